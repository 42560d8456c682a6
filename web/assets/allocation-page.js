// allocation-page: /allocation: the allocation tables published on the ledger. The list is
// GET /v1/allocation-tables (paged by "next"); each table's scheme text and rows come from
// GET /v1/allocation-tables/{id} (paged by "next_row"). Per table: its scheme, vintage, phase,
// status and balance value, then every unit. An input its operator marked confidential arrives as
// {"commitment": hex} and is shown as such, never guessed.
import { initPage, getJSON, showError, cell } from './common.js';
import { t, fmtInt, onLangChange } from './i18n.js';

let tables = null; // [{ head, rows, scheme }] once loaded

// The scheme's own name (its "name =" line), or the table id when the text has none.
function schemeName(text, id) {
  const m = /^\s*name\s*=\s*(\S+)/m.exec(text || '');
  return m ? m[1] : `#${id}`;
}

async function allPages(first, next, fetchPage) {
  const out = [];
  let page = await fetchPage(first);
  for (;;) {
    out.push(page);
    const n = next(page);
    if (n === null || n === undefined) return out;
    page = await fetchPage(n);
  }
}

async function load() {
  const lists = await allPages(0, (p) => p.next, (after) => getJSON(`/v1/allocation-tables?after=${after}`));
  const heads = lists.flatMap((p) => p.tables || []);
  const out = [];
  for (const h of heads) {
    const pages = await allPages(0, (p) => p.next_row,
      (start) => getJSON(`/v1/allocation-tables/${h.id}?row_start=${start}`));
    out.push({ head: h, scheme: pages[0].scheme, rows: pages.flatMap((p) => p.rows || []) });
  }
  return out;
}

// A label that follows the language switch.
function label(key) {
  const s = document.createElement('span');
  s.dataset.i18n = key;
  s.textContent = t(key);
  return s;
}

function caption(tb) {
  const h = tb.head;
  const cap = document.createElement('caption');
  cap.append(label('alloc.scheme'), `: ${schemeName(tb.scheme, h.id)} (${h.instrument}, `,
    label(`alloc.phase.${h.phase}`), ', ', label(`alloc.status.${h.status}`), ') - ',
    label('alloc.table'), ` ${h.id} - `, label('alloc.bv'), ': ');
  const bv = document.createElement('span');
  bv.className = 'bv';
  bv.textContent = h.bp_kind === 'none' ? '-' : h.bp;
  cap.append(bv, ' (', label(`alloc.bp.${h.bp_kind}`), ') - ', label('alloc.rows'), `: ${fmtInt(h.rows_count)}`);
  return cap;
}

// An input as published: decimal text, absent (null), or a commitment to a confidential value.
function input(v) {
  if (v === null || v === undefined) return cell('td', '-');
  if (typeof v === 'object') {
    const c = cell('td', t('alloc.committed'));
    c.title = v.commitment;
    return c;
  }
  return cell('td', v, 'num');
}

const COLS = ['col.uscc', 'col.unit', 'col.sector', 'col.emissions', 'col.output', 'col.prev', 'col.pre', 'col.quota', 'col.version'];

function unitTable(tb) {
  const table = document.createElement('table');
  table.append(caption(tb), document.createElement('thead'), document.createElement('tbody'));
  const head = document.createElement('tr');
  for (const c of COLS) {
    const th = cell('th', t(c));
    th.scope = 'col';
    th.dataset.i18n = c;
    head.append(th);
  }
  table.tHead.append(head);
  for (const r of tb.rows) {
    const tr = document.createElement('tr');
    tr.append(cell('td', r.uscc), cell('td', r.unit), cell('td', t(`sector.${r.sector}`)), input(r.emissions),
      input(r.output), input(r.prev_emissions), cell('td', fmtInt(r.pre), 'num'),
      cell('td', tb.head.phase === 'pre' ? '-' : fmtInt(r.quota), 'num'), cell('td', String(r.version), 'num'));
    table.tBodies[0].append(tr);
  }
  const wrap = document.createElement('div');
  wrap.className = 'scroll';
  wrap.tabIndex = 0;
  wrap.setAttribute('role', 'region');
  wrap.setAttribute('aria-label', `${t('alloc.table')} ${tb.head.id}`);
  wrap.dataset.table = String(tb.head.id);
  wrap.append(table);
  return wrap;
}

function render() {
  const box = document.getElementById('tables');
  box.replaceChildren();
  if (!tables) return;
  document.getElementById('none').hidden = tables.length > 0;
  for (const tb of tables) box.append(unitTable(tb));
}

initPage();
onLangChange(render);
load().then((list) => { tables = list; render(); }).catch((e) => showError(document.getElementById('error'), e));
