// The side panel: the selected element's name and this product's properties, as plain,
// labelled form controls (keyboard and screen-reader friendly). A change is written into
// the diagram when the control's value is committed (change event), not on every key.

import { INSTRUCTIONS, getBody, getOperator, getProperty, setBody, setOperator, setProperty } from './extensions.js';

const STATUSES = [
  ['1', 'Mới', 'New'], ['2', 'Đã tiếp nhận', 'Received'], ['3', 'Từ chối tiếp nhận', 'Refused at intake'],
  ['4', 'Đang xử lý', 'Processing'], ['5', 'Yêu cầu bổ sung', 'Supplement requested'],
  ['6', 'Yêu cầu thanh toán', 'Payment requested'], ['7', 'Yêu cầu rút hồ sơ', 'Withdrawal requested'],
  ['8', 'Dừng xử lý', 'Stopped'], ['9', 'Có kết quả', 'Result ready'], ['10', 'Đã trả kết quả', 'Result returned'],
];

function is(element, type) {
  const bo = element && element.businessObject;
  return Boolean(bo && bo.$instanceOf(type));
}

export function createPanel(root, modeler, choices, t) {
  const services = { modeling: modeler.get('modeling'), moddle: modeler.get('moddle') };
  let current = null;

  function field(id, labelText, control, hint) {
    const wrap = document.createElement('div');
    wrap.className = 'field';
    const label = document.createElement('label');
    label.htmlFor = id;
    label.textContent = labelText;
    control.id = id;
    wrap.append(label);
    if (hint) {
      const small = document.createElement('p');
      small.className = 'hint';
      small.id = id + '-hint';
      small.textContent = hint;
      control.setAttribute('aria-describedby', small.id);
      wrap.append(small);
    }
    wrap.append(control);
    root.append(wrap);
    return control;
  }

  function input(value) {
    const el = document.createElement('input');
    el.type = 'text';
    el.value = value;
    return el;
  }

  function select(options, value) {
    const el = document.createElement('select');
    const known = options.some(([key]) => key === value);
    const all = known || !value ? options : [...options, [value, value + ' ' + t('unknown')]];
    for (const [key, label] of all) {
      const option = document.createElement('option');
      option.value = key;
      option.textContent = label;
      option.selected = key === value;
      el.append(option);
    }
    return el;
  }

  function onCommit(control, apply) {
    control.addEventListener('change', () => {
      apply(control.value);
      refresh(); // some fields depend on others (a connector's parameters)
    });
  }

  // Rendered again after the event, once focus has moved on, so Tab is never undone.
  let pending = false;
  function refresh() {
    if (pending) return;
    pending = true;
    setTimeout(() => { pending = false; render(current); }, 0);
  }

  function render(element) {
    const focused = document.activeElement && root.contains(document.activeElement) ? document.activeElement.id : null;
    current = element;
    root.replaceChildren();
    const heading = document.createElement('h2');
    root.append(heading);
    if (!element || !element.businessObject || element.type === 'label') {
      heading.textContent = t('noSelection');
      return;
    }
    const bo = element.businessObject;
    heading.textContent = t('properties');
    const where = document.createElement('p');
    where.className = 'hint';
    where.textContent = `${bo.$type.replace('bpmn:', '')} · ${bo.id}`;
    root.append(where);

    if (is(element, 'bpmn:Lane')) {
      const roles = [['', t('chooseRole')], ...choices.roles.map((r) => [r.key, `${r.label} (${r.key})`])];
      onCommit(field('panel-role', t('role'), select(roles, bo.name || ''), t('roleHint')),
        (value) => services.modeling.updateProperties(element, { name: value || undefined }));
    } else if (!is(element, 'bpmn:Process') && !is(element, 'bpmn:Collaboration')) {
      onCommit(field('panel-name', t('name'), input(bo.name || '')),
        (value) => services.modeling.updateLabel(element, value.trim() || null));
    }

    const human = is(element, 'bpmn:UserTask') || is(element, 'bpmn:StartEvent');
    if (human) {
      const schemas = [['', t('noForm')], ...choices.schemas.map((f) => [f, f])];
      onCommit(field('panel-form', t('form'), select(schemas, getProperty(bo, 'formJsonSchemaFilename'))),
        (value) => setProperty(element, 'formJsonSchemaFilename', value, services));
      const layouts = [['', t('noForm')], ...choices.uischemas.map((f) => [f, f])];
      onCommit(field('panel-uiform', t('uiForm'), select(layouts, getProperty(bo, 'formUiSchemaFilename'))),
        (value) => setProperty(element, 'formUiSchemaFilename', value, services));
      const instructions = document.createElement('textarea');
      instructions.rows = 4;
      instructions.value = getBody(bo, INSTRUCTIONS);
      onCommit(field('panel-instructions', t('instructions'), instructions),
        (value) => setBody(element, INSTRUCTIONS, value, services));
    }
    if (is(element, 'bpmn:UserTask')) {
      onCommit(field('panel-deadline', t('deadline'), input(getProperty(bo, 'stepDeadline')), t('deadlineHint')),
        (value) => setProperty(element, 'stepDeadline', value, services));
    }
    if (is(element, 'bpmn:FlowNode')) {
      const statuses = [['', t('noStatus')], ...STATUSES.map(([code, vi, en]) => [code, `${code} · ${choices.lang === 'en' ? en : vi}`])];
      onCommit(field('panel-status-enter', t('statusOnEnter'), select(statuses, getProperty(bo, 'statusOnEnter'))),
        (value) => setProperty(element, 'statusOnEnter', value, services));
      onCommit(field('panel-status-complete', t('statusOnComplete'), select(statuses, getProperty(bo, 'statusOnComplete'))),
        (value) => setProperty(element, 'statusOnComplete', value, services));
    }
    if (is(element, 'bpmn:ServiceTask')) renderOperator(element, bo);

    const again = focused && document.getElementById(focused);
    if (again) again.focus();
  }

  function renderOperator(element, bo) {
    const operator = getOperator(bo);
    const names = [['', t('noConnector')], ...choices.connectors.map((c) => [c.name, c.name])];
    const write = (changes) => {
      const next = { ...operator, ...changes };
      const params = {};
      for (const [name, p] of Object.entries(next.params)) params[name] = typeof p === 'string' ? p : p.value;
      setOperator(element, { id: next.id, resultVariable: next.resultVariable, params }, services);
    };
    onCommit(field('panel-connector', t('connector'), select(names, operator.id)), (id) => write({ id }));
    if (!operator.id) return;
    onCommit(field('panel-result', t('resultVariable'), input(operator.resultVariable)),
      (resultVariable) => write({ resultVariable }));
    const spec = choices.connectors.find((c) => c.name === operator.id) || { required: [], optional: [] };
    const names_ = [...new Set([...spec.required, ...spec.optional, ...Object.keys(operator.params)])];
    names_.forEach((name, index) => {
      const value = operator.params[name] ? operator.params[name].value : '';
      const label = `${t('parameter')} ${name}${spec.required.includes(name) ? ' ' + t('required') : ''}`;
      onCommit(field(`panel-param-${index}`, label, input(value), index === 0 ? t('parameterHint') : null),
        (text) => write({ params: { ...operator.params, [name]: text } }));
    });
  }

  return { render, refresh, get current() { return current; } };
}
