// compliance-page: /compliance/<year>: every enterprise's verified emissions, surrenders and
// status from GET /v1/compliance/{year}; sortable, filtered by province and status, paged, with
// totals (exact: BigInt sums) and the server's CSV of the same rows.
import { initPage, getJSON, showError, cell } from './common.js';
import { t, fmtInt, provinceName, onLangChange } from './i18n.js';

const PAGE_ROWS = 25;
const NUMERIC = ['emissions', 'surrendered_cea', 'surrendered_ccer', 'counted', 'shortfall', 'province'];
const view = { year: 0, rows: [], sort: 'name', dir: 1, province: '', status: '', page: 0 };

function filtered() {
  const rows = view.rows.filter((r) => (!view.province || String(r.province) === view.province) &&
    (!view.status || r.status === view.status));
  const k = view.sort;
  const key = (r) => (k === 'province' ? provinceName(r.province) : k === 'sector' ? t(`sector.${r.sector}`) : r[k]);
  return rows.sort((a, b) => {
    const x = key(a), y = key(b);
    const c = NUMERIC.includes(k) && k !== 'province' ? (x < y ? -1 : x > y ? 1 : 0) : String(x).localeCompare(String(y));
    return c * view.dir || a.account - b.account;
  });
}

function renderTotals() {
  const sum = (k) => view.rows.reduce((s, r) => s + BigInt(r[k]), 0n);
  document.getElementById('t-count').textContent = fmtInt(view.rows.length);
  document.getElementById('t-emissions').textContent = `${fmtInt(sum('emissions'))} t`;
  document.getElementById('t-counted').textContent = `${fmtInt(sum('counted'))} t`;
  document.getElementById('t-shortfall').textContent = `${fmtInt(sum('shortfall'))} t`;
  for (const s of ['compliant', 'short', 'compliant_late', 'overdue']) {
    document.getElementById(`t-${s}`).textContent = fmtInt(view.rows.filter((r) => r.status === s).length);
  }
}

function renderProvinces() {
  const sel = document.getElementById('f-province');
  const codes = [...new Set(view.rows.map((r) => r.province))].sort((a, b) => a - b);
  sel.replaceChildren(sel.options[0]);
  for (const c of codes) {
    const o = document.createElement('option');
    o.value = String(c);
    o.textContent = provinceName(c);
    sel.append(o);
  }
  sel.value = view.province;
}

function renderRows() {
  const rows = filtered();
  const pages = Math.max(1, Math.ceil(rows.length / PAGE_ROWS));
  view.page = Math.min(view.page, pages - 1);
  const tbody = document.querySelector('#compliance tbody');
  tbody.replaceChildren();
  for (const r of rows.slice(view.page * PAGE_ROWS, (view.page + 1) * PAGE_ROWS)) {
    const tr = document.createElement('tr');
    tr.dataset.uscc = r.uscc;
    const name = cell('th', r.name);
    name.scope = 'row';
    tr.append(name, cell('td', r.uscc, 'mono'), cell('td', provinceName(r.province)), cell('td', t(`sector.${r.sector}`)));
    for (const k of ['emissions', 'surrendered_cea', 'surrendered_ccer', 'counted', 'shortfall']) tr.append(cell('td', fmtInt(r[k]), 'num'));
    tr.append(cell('td', t(`status.${r.status}`), `status ${r.status}`));
    tbody.append(tr);
  }
  if (!rows.length) {
    const tr = document.createElement('tr');
    const td = cell('td', t('comp.norows'));
    td.colSpan = 10;
    tr.append(td);
    tbody.append(tr);
  }
  document.getElementById('shown').textContent = t('comp.shown', { n: fmtInt(rows.length), total: fmtInt(view.rows.length) });
  document.getElementById('page-of').textContent = t('page.of', { page: view.page + 1, pages });
  document.getElementById('prev').disabled = view.page === 0;
  document.getElementById('next').disabled = view.page >= pages - 1;
  for (const th of document.querySelectorAll('#compliance th[data-sort]')) {
    th.setAttribute('aria-sort', th.dataset.sort === view.sort ? (view.dir > 0 ? 'ascending' : 'descending') : 'none');
  }
}

function render() {
  if (!view.year) return;
  document.getElementById('caption').textContent = t('comp.caption', { year: view.year });
  renderTotals();
  renderProvinces();
  renderRows();
}

function wire() {
  for (const th of document.querySelectorAll('#compliance th[data-sort]')) {
    th.querySelector('button').addEventListener('click', () => {
      view.dir = view.sort === th.dataset.sort ? -view.dir : 1;
      view.sort = th.dataset.sort;
      renderRows();
    });
  }
  document.getElementById('f-province').addEventListener('change', (e) => { view.province = e.target.value; view.page = 0; renderRows(); });
  document.getElementById('f-status').addEventListener('change', (e) => { view.status = e.target.value; view.page = 0; renderRows(); });
  document.getElementById('prev').addEventListener('click', () => { view.page--; renderRows(); });
  document.getElementById('next').addEventListener('click', () => { view.page++; renderRows(); });
}

// The years: quotad renders one item per compliance year into #years (with its CSV link), so
// the list works without JavaScript; here the current one is marked.
function markYear() {
  for (const a of document.querySelectorAll('#years a[data-year]')) {
    if (Number(a.dataset.year) === view.year) a.setAttribute('aria-current', 'page');
  }
}

async function main() {
  initPage();
  onLangChange(render);
  wire();
  try {
    const m = /^\/compliance\/(\d{4})$/.exec(location.pathname);
    let data = null; // the server sends /compliance to the latest year; without one there is none
    if (m) {
      try { data = await getJSON(`/v1/compliance/${m[1]}`); } catch (e) { if (e.status !== 404) throw e; }
    }
    if (!data) { document.getElementById('none').hidden = false; return; }
    view.year = data.year;
    view.rows = data.enterprises;
    markYear();
    document.getElementById('csv').href = `/compliance/${view.year}.csv`;
    document.getElementById('year-view').hidden = false;
    render();
  } catch (e) {
    showError(document.getElementById('error'), e);
  }
}

main();
