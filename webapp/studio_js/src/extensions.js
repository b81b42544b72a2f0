// Reading and writing the product's BPMN hooks in the format the library already uses
// (README "What you write on BPMN elements"): spiffworkflow:properties/property name+value,
// spiffworkflow:instructionsForEndUser, spiffworkflow:serviceTaskOperator with parameters.
// Every write goes through modeling.updateModdleProperties, so undo/redo covers it.

const PROPERTIES = 'spiffworkflow:Properties';
const OPERATOR = 'spiffworkflow:ServiceTaskOperator';
export const INSTRUCTIONS = 'spiffworkflow:InstructionsForEndUser';

function extensions(bo) {
  return (bo.extensionElements && bo.extensionElements.get('values')) || [];
}

function findExtension(bo, type) {
  return extensions(bo).find((value) => value.$instanceOf(type));
}

export function getProperty(bo, name) {
  const container = findExtension(bo, PROPERTIES);
  const property = container && container.get('properties').find((p) => p.name === name);
  return property ? property.value || '' : '';
}

export function getBody(bo, type) {
  const found = findExtension(bo, type);
  return found ? found.value || '' : '';
}

export function getOperator(bo) {
  const operator = findExtension(bo, OPERATOR);
  if (!operator) return { id: '', resultVariable: '', params: {} };
  const params = {};
  const list = operator.parameters ? operator.parameters.get('parameters') : [];
  for (const p of list) params[p.id] = { type: p.type, value: p.value || '' };
  return { id: operator.id || '', resultVariable: operator.resultVariable || '', params };
}

function ensureExtension(element, type, { modeling, moddle }) {
  const bo = element.businessObject;
  let container = bo.extensionElements;
  if (!container) {
    container = moddle.create('bpmn:ExtensionElements', { values: [] });
    container.$parent = bo;
    modeling.updateModdleProperties(element, bo, { extensionElements: container });
  }
  let found = container.get('values').find((value) => value.$instanceOf(type));
  if (!found) {
    found = moddle.create(type);
    found.$parent = container;
    modeling.updateModdleProperties(element, container, { values: [...container.get('values'), found] });
  }
  return found;
}

function removeExtension(element, target, { modeling }) {
  const bo = element.businessObject;
  const container = bo.extensionElements;
  const rest = container.get('values').filter((value) => value !== target);
  if (rest.length) {
    modeling.updateModdleProperties(element, container, { values: rest });
  } else {
    modeling.updateModdleProperties(element, bo, { extensionElements: undefined });
  }
}

export function setProperty(element, name, rawValue, services) {
  const value = (rawValue || '').trim();
  const bo = element.businessObject;
  const container = findExtension(bo, PROPERTIES);
  const existing = container && container.get('properties').find((p) => p.name === name);
  if (!value) {
    if (!existing) return;
    const rest = container.get('properties').filter((p) => p !== existing);
    if (rest.length) services.modeling.updateModdleProperties(element, container, { properties: rest });
    else removeExtension(element, container, services);
    return;
  }
  if (existing) {
    if (existing.value !== value) services.modeling.updateModdleProperties(element, existing, { value });
    return;
  }
  const target = container || ensureExtension(element, PROPERTIES, services);
  const property = services.moddle.create('spiffworkflow:Property', { name, value });
  property.$parent = target;
  services.modeling.updateModdleProperties(element, target, { properties: [...target.get('properties'), property] });
}

export function setBody(element, type, rawValue, services) {
  const value = (rawValue || '').trim();
  const existing = findExtension(element.businessObject, type);
  if (!value) {
    if (existing) removeExtension(element, existing, services);
    return;
  }
  const target = existing || ensureExtension(element, type, services);
  if (target.value !== value) services.modeling.updateModdleProperties(element, target, { value });
}

// operator: {id, resultVariable, params: {name: value}}; an empty id removes the connector.
export function setOperator(element, operator, services) {
  const { modeling, moddle } = services;
  const existing = findExtension(element.businessObject, OPERATOR);
  if (!operator.id) {
    if (existing) removeExtension(element, existing, services);
    return;
  }
  const previous = getOperator(element.businessObject).params;
  const target = existing || ensureExtension(element, OPERATOR, services);
  const list = moddle.create('spiffworkflow:Parameters');
  const parameters = [];
  for (const [name, value] of Object.entries(operator.params)) {
    if (!value.trim()) continue;
    const parameter = moddle.create('spiffworkflow:Parameter', {
      id: name, type: (previous[name] && previous[name].type) || 'str', value: value.trim() });
    parameter.$parent = list;
    parameters.push(parameter);
  }
  list.set('parameters', parameters);
  list.$parent = target;
  modeling.updateModdleProperties(element, target, {
    id: operator.id,
    resultVariable: operator.resultVariable.trim() || undefined,
    parameters: parameters.length ? list : undefined,
  });
}

// SpiffWorkflow's multi-instance tasks name a process variable in loopDataInputRef /
// loopDataOutputRef, not a BPMN element; bpmn-moddle would drop such a reference on save.
// Keep it as a stand-in that is written back as the same name.
const VARIABLE_REFERENCES = ['loopDataInputRef', 'loopDataOutputRef'];

export function keepVariableReferences(moddle, warnings) {
  for (const warning of warnings || []) {
    const property = (warning.property || '').replace(/^bpmn:/, '');
    if (!warning.element || !VARIABLE_REFERENCES.includes(property) || !warning.value) continue;
    warning.element.set(property, moddle.create('bpmn:ItemAwareElement', { id: warning.value }));
  }
}
