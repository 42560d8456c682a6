// allocation-page: /allocation: the allocation tables published on the ledger
// (GET /v1/allocation-tables): per scheme its balance value and every unit; "none published"
// when the registry has none (404).
import { initPage, getJSON, showError, cell } from './common.js';
import { t, onLangChange } from './i18n.js';

let tables = null;

function unitTable(s) {
  const table = document.createElement('table');
  const cap = document.createElement('caption');
  cap.textContent = `${t('alloc.scheme')}: ${s.scheme || s.name || ''} - ${t('alloc.bv')}: ${s.balance_value ?? '-'}`;
  const units = Array.isArray(s.units) ? s.units : [];
  const cols = units.length ? Object.keys(units[0]) : [];
  const head = document.createElement('tr');
  for (const c of cols) { const th = cell('th', c); th.scope = 'col'; head.append(th); }
  table.append(cap, document.createElement('thead'), document.createElement('tbody'));
  table.tHead.append(head);
  for (const u of units) {
    const tr = document.createElement('tr');
    for (const c of cols) tr.append(cell('td', typeof u[c] === 'object' ? JSON.stringify(u[c]) : String(u[c])));
    table.tBodies[0].append(tr);
  }
  const wrap = document.createElement('div');
  wrap.className = 'scroll';
  wrap.tabIndex = 0;
  wrap.append(table);
  return wrap;
}

function render() {
  const box = document.getElementById('tables');
  box.replaceChildren();
  if (!tables) return;
  const list = Array.isArray(tables) ? tables : tables.tables || tables.schemes || [];
  document.getElementById('none').hidden = list.length > 0;
  for (const s of list) box.append(unitTable(s));
}

initPage();
onLangChange(render);
getJSON('/v1/allocation-tables').then((j) => { tables = j; render(); }).catch((e) => {
  if (e.status === 404) { tables = []; render(); } else showError(document.getElementById('error'), e);
});
