// The studio's diagram editor: bpmn-js loads the version's process.bpmn from the server,
// the side panel edits this product's properties, Save posts the XML back for the server's
// checks and shows any problem on its element. The page works without this file.

import BpmnModeler from 'bpmn-js/lib/Modeler';
import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css';
import './modeler.css';

import spiffworkflow from './spiffworkflow.json';
import { keepVariableReferences } from './extensions.js';
import { createPanel } from './panel.js';
import { createProblems } from './problems.js';
import { words } from './words.js';

async function start(app) {
  const choices = JSON.parse(document.getElementById('modeler-choices').textContent);
  const t = words(choices.lang);
  const status = document.getElementById('modeler-status');
  const saveButton = document.getElementById('modeler-save');
  const picker = document.getElementById('modeler-pick');
  const say = (text) => { status.textContent = text; };
  let saveUrl = app.dataset.saveUrl;

  app.hidden = false;
  const modeler = new BpmnModeler({
    container: document.getElementById('modeler-canvas'),
    moddleExtensions: { spiffworkflow },
  });
  modeler.on('import.parse.complete', ({ warnings }) => keepVariableReferences(modeler.get('moddle'), warnings));
  const canvas = modeler.get('canvas');
  const registry = modeler.get('elementRegistry');
  const selection = modeler.get('selection');
  const panel = createPanel(document.getElementById('modeler-panel'), modeler, choices, t);
  const show = (element) => {
    selection.select(element);
    canvas.scrollToElement(element);
    const first = document.querySelector('#modeler-panel input, #modeler-panel select, #modeler-panel textarea');
    if (first) first.focus();
  };
  const problems = createProblems(modeler, document.getElementById('modeler-problems'), t, show);

  modeler.on('selection.changed', ({ newSelection }) => panel.render(newSelection.length === 1 ? newSelection[0] : null));
  // Undo, redo and edits on the canvas itself show in the panel and the element list.
  modeler.on('commandStack.changed', () => { panel.refresh(); fillPicker(); });
  picker.addEventListener('change', () => {
    const element = picker.value && registry.get(picker.value);
    if (element) show(element);
  });

  function fillPicker() {
    const chosen = picker.value;
    const options = registry.filter((e) => e.type !== 'label' && e.parent && e.businessObject)
      .map((e) => [e.id, `${e.businessObject.name || e.type.replace('bpmn:', '')} (${e.id})`])
      .sort((a, b) => a[1].localeCompare(b[1]));
    picker.replaceChildren(picker.options[0]);
    for (const [id, label] of options) {
      const option = document.createElement('option');
      option.value = id;
      option.textContent = label;
      option.selected = id === chosen;
      picker.append(option);
    }
  }

  say(t('loading'));
  try {
    const response = await fetch(app.dataset.xmlUrl, { credentials: 'same-origin' });
    if (!response.ok) throw new Error(String(response.status));
    await modeler.importXML(await response.text());
    canvas.zoom('fit-viewport');
    fillPicker();
    panel.render(null);
    say(t('loaded'));
    app.dataset.ready = 'true';
  } catch (error) {
    say(t('loadFailed') + error.message);
    return;
  }

  saveButton.addEventListener('click', async () => {
    saveButton.disabled = true;
    say(t('checking'));
    try {
      const { xml } = await modeler.saveXML({ format: true });
      const body = new FormData();
      body.append('csrf_token', app.dataset.csrf);
      body.append('so_do', new Blob([xml], { type: 'application/xml' }), 'process.bpmn');
      const response = await fetch(saveUrl, {
        method: 'POST', body, credentials: 'same-origin', headers: { Accept: 'application/json' } });
      const result = await response.json().catch(() => null);
      if (result && result.ok) {
        problems.clear();
        saveUrl = result.save_url; // the next save goes on from the version just stored
        history.replaceState(null, '', result.url);
        document.getElementById('modeler-version').textContent = result.number;
        say(result.message);
      } else if (result) {
        problems.show(result.problems);
        say(t('notSaved'));
      } else {
        say(t('saveFailed') + response.status + ').');
      }
    } catch (error) {
      say(t('saveFailed') + error.message + ').');
    } finally {
      saveButton.disabled = false;
    }
  });
}

const app = document.getElementById('modeler-app');
if (app) start(app);
