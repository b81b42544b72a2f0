// Problems the server found, shown on their elements (a marker and a badge) and in the list.

const MARKER = 'has-problem';

export function createProblems(modeler, summary, t, onShow) {
  const canvas = modeler.get('canvas');
  const overlays = modeler.get('overlays');
  const registry = modeler.get('elementRegistry');
  let marked = [];

  function clear() {
    for (const id of marked) canvas.removeMarker(id, MARKER);
    overlays.remove({ type: 'problem' });
    marked = [];
    summary.querySelector('ul').replaceChildren();
    summary.hidden = true;
  }

  function show(problems) {
    clear();
    const list = summary.querySelector('ul');
    for (const problem of problems) {
      const element = problem.element && registry.get(problem.element);
      const item = document.createElement('li');
      item.dataset.element = problem.element || '';
      const where = document.createElement('code');
      where.textContent = problem.element || problem.file;
      item.append(where, ': ' + problem.message + ' ');
      if (element) {
        if (!marked.includes(element.id)) {
          canvas.addMarker(element.id, MARKER);
          marked.push(element.id);
          const badge = document.createElement('span');
          badge.className = 'problem-badge';
          badge.textContent = '!';
          badge.title = problem.message;
          overlays.add(element.id, 'problem', { position: { top: -10, left: -10 }, html: badge });
        }
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'secondary';
        button.textContent = t('showOnDiagram');
        button.addEventListener('click', () => onShow(element));
        item.append(button);
      }
      list.append(item);
    }
    summary.hidden = problems.length === 0;
    if (problems.length) summary.focus();
  }

  return { show, clear };
}
