// instruments-page: /instruments: each instrument with its cap, issued, surrendered, cancelled
// and carried-over totals, from GET /v1/instruments.
import { initPage, getJSON, showError, cell } from './common.js';
import { t, fmtInt, onLangChange } from './i18n.js';

let rows = [];

function render() {
  const tbody = document.querySelector('#instruments tbody');
  tbody.replaceChildren();
  for (const i of rows) {
    const tr = document.createElement('tr');
    tr.dataset.code = i.code;
    tr.append(cell('th', i.code, 'mono'), cell('td', t(`kind.${i.kind}`)), cell('td', String(i.vintage)),
      cell('td', `${i.first_year}-${i.last_year}`));
    for (const k of ['cap', 'issued', 'surrendered', 'cancelled', 'carried_over']) tr.append(cell('td', fmtInt(i[k]), 'num'));
    tr.firstChild.scope = 'row';
    tbody.append(tr);
  }
}

initPage();
onLangChange(render);
getJSON('/v1/instruments').then((j) => { rows = j.instruments; render(); })
  .catch((e) => showError(document.getElementById('error'), e));
