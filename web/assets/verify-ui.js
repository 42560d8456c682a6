// verify-ui: the verifier's form and results, the same code on the served page (/verify) and in
// the standalone file. The served page may fetch from the registry; the standalone file never does.
import { t, fmtInt, fmtTimeMs, onLangChange } from './i18n.js';
import { loadTrust, verifyReceipt, browserLastSeen, allPassed, savedPolicy } from './verifier.js';

const AMOUNT_FIELDS = ['amount', 'cap', 'emissions', 'net_sales'];
let lastResult = null;

export function checkText([key, p]) {
  const q = { ...p };
  if (p.list) {
    q.list = p.list.map((i) => t(i.key, { name: i.name, time: i.time != null ? fmtTimeMs(Number(i.time) * 1000) : '' })).join('; ');
  }
  if (p.timeMs != null) q.time = fmtTimeMs(p.timeMs);
  return t(key, q);
}

export function describeTx(tx) {
  const p = {};
  for (const [k, v] of Object.entries(tx)) p[k] = typeof v === 'bigint' && AMOUNT_FIELDS.includes(k) ? fmtInt(v) : v;
  if (tx.type === 'instrument_create') p.kind = t(`kind.${tx.kind}`);
  if (tx.type === 'genesis') p.nkeys = tx.operator_keys.length;
  if (tx.type === 'settle') p.nlegs = tx.legs ? tx.legs.length : tx.legs_count;
  if (tx.type === 'compliance_year') p.deadline = fmtTimeMs(tx.deadline_ms);
  /* version 2 freezes are orders: their own sentences */
  const order = tx.version === 2 && (tx.type === 'freeze' || tx.type === 'unfreeze');
  if (order) return t(`tx.${tx.type}_order`, p);
  return t(tableTxKey(tx, p), p);
}

// Types 22-27 and body version 2 of issue, allocate, clawback, carry_over and deduct: the words'
// key, and the parameters they need beside the fields (an allocate v2 citing no table reads as
// version 1).
function tableTxKey(tx, p) {
  if (tx.type === 'deduct' && tx.version === 2) return `tx.deduct.${tx.kind}`;
  if (tx.type === 'carry_over' && tx.version === 2) return 'tx.carry_over.v2';
  if (tx.type === 'at_risk') p.state = t(tx.set ? 'risk.set' : 'risk.clear');
  if (tx.type === 'alloc_table_open') {
    Object.assign(p, { phase: t(`phase.${tx.phase}`), status: t(`scheme_status.${tx.status}`) });
    p.bp = tx.bp_kind === 'none' ? t('bp.none') : tx.bp;
  }
  if (tx.type === 'alloc_table_rows') {
    Object.assign(p, { nrows: tx.rows.length, first: tx.first_row, last: tx.first_row + BigInt(tx.rows.length) - 1n });
  }
  if (tx.type === 'alloc_table_close') return `tx.alloc_table_close.${tx.action}`;
  const cites = tx.type === 'issue' || tx.table > 0n;
  return tx.version === 2 && cites ? `tx.${tx.type}.v2` : `tx.${tx.type}`;
}

// A table row in the field list: unit, sector and amounts.
const rowText = (x) => `${x.uscc}/${x.unit} ${x.sector} pre ${x.pre} quota ${x.quota}`;

function fieldText(v) {
  if (Array.isArray(v)) return v.map((x) => (typeof x !== 'object' ? x : x.uscc ? rowText(x) : `${x.from} -> ${x.to} ${x.instrument} ${x.amount}`)).join(', ');
  return String(v);
}

function renderTx(entry) {
  const words = document.getElementById('tx-words'), dl = document.getElementById('tx-fields');
  dl.replaceChildren();
  if (!entry) {
    words.textContent = '-';
    return;
  }
  words.textContent = `${describeTx(entry.tx)}. ${t('ver.entry', { index: entry.index, time: fmtTimeMs(entry.timeMs) })}`;
  for (const [k, v] of Object.entries(entry.tx)) {
    const dt = document.createElement('dt'), dd = document.createElement('dd');
    dt.textContent = k;
    dd.textContent = fieldText(v);
    dl.append(dt, dd);
  }
}

function renderChecks(res) {
  const ul = document.getElementById('checks');
  ul.replaceChildren();
  for (const c of res.checks) {
    const li = document.createElement('li');
    li.className = `check ${c.state}`;
    li.dataset.check = c.id;
    li.dataset.state = c.state;
    const badge = document.createElement('span');
    badge.className = 'badge';
    badge.textContent = t(c.state === 'pass' ? 'ver.passed' : c.state === 'fail' ? 'ver.failed' : 'ver.skipped');
    const name = document.createElement('strong');
    name.textContent = `${t(`chk.${c.id}`)}: `;
    const msg = document.createElement('span');
    msg.className = 'msg';
    msg.textContent = checkText(c.msg);
    li.append(badge, ' ', name, msg);
    ul.append(li);
  }
  const ok = allPassed(res.checks);
  const v = document.getElementById('verdict');
  v.textContent = t(ok ? 'ver.all.ok' : 'ver.all.bad');
  v.className = ok ? 'verdict pass' : 'verdict fail';
  v.dataset.state = ok ? 'pass' : 'fail';
}

function render() {
  if (!lastResult) return;
  document.getElementById('result').hidden = false;
  renderTx(lastResult.entry);
  renderChecks(lastResult);
}

function showSources(opts) {
  const vk = document.getElementById('vkey').value.trim(), pol = document.getElementById('policy').value.trim();
  const keySrc = vk === '' ? (pol ? 'src.policylog' : 'src.none') : opts.served && vk === opts.registryKey ? 'src.registry' : 'src.reader';
  document.getElementById('key-source').textContent = t('ver.keysrc', { src: keySrc === 'src.none' ? '-' : t(keySrc) });
  const polSrc = !pol ? 'src.none' : document.getElementById('policy').dataset.source === 'saved' ? 'src.saved' : 'src.reader';
  document.getElementById('policy-source').textContent = t('ver.policysrc', { src: t(polSrc) });
}

async function runVerify(opts) {
  const policyText = document.getElementById('policy').value;
  const trust = await loadTrust(document.getElementById('vkey').value, policyText);
  if (!trust.errors.some((c) => c.msg[0] === 'm.pol_bad')) savedPolicy.set(policyText);
  try {
    lastResult = await verifyReceipt(document.getElementById('receipt').value, trust, browserLastSeen, opts.consistencyProof || null);
  } catch (e) {
    lastResult = { checks: [{ id: 'signature', state: 'fail', msg: ['m.crypto', { why: e.message }] }], entry: null };
  }
  showSources(opts);
  render();
}

function readFileInto(file, target) {
  const fr = new FileReader();
  fr.onload = () => { document.getElementById(target).value = String(fr.result); };
  fr.readAsText(file);
}

// opts: { served, registryKey, consistencyProof(first, second) -> hashes, fetchReceipt(id) -> text }
export function initVerifier(opts) {
  const form = document.getElementById('verify-form');
  form.addEventListener('submit', (ev) => { ev.preventDefault(); runVerify(opts); });
  document.getElementById('receipt-file').addEventListener('change', (ev) => {
    if (ev.target.files[0]) readFileInto(ev.target.files[0], 'receipt');
  });
  const drop = document.getElementById('receipt');
  drop.addEventListener('dragover', (ev) => ev.preventDefault());
  drop.addEventListener('drop', (ev) => {
    ev.preventDefault();
    if (ev.dataTransfer.files[0]) readFileInto(ev.dataTransfer.files[0], 'receipt');
  });
  const keyFile = document.getElementById('trust-file');
  if (keyFile) keyFile.addEventListener('change', (ev) => {
    const f = ev.target.files[0];
    if (f) f.text().then((s) => { document.getElementById(/^\s*(log|witness|group|quorum|#)/m.test(s) ? 'policy' : 'vkey').value = s.trim(); });
  });
  const fetchBtn = document.getElementById('fetch-receipt');
  if (fetchBtn && opts.fetchReceipt) fetchBtn.addEventListener('click', async () => {
    try {
      document.getElementById('receipt').value = await opts.fetchReceipt(document.getElementById('txid').value.trim());
      await runVerify(opts);
    } catch (e) {
      lastResult = { checks: [{ id: 'receipt', state: 'fail', msg: ['m.receipt_bad', { why: e.message }] }], entry: null };
      render();
    }
  });
  const policy = document.getElementById('policy');
  if (!policy.value && savedPolicy.get()) {
    policy.value = savedPolicy.get();
    policy.dataset.source = 'saved';
  }
  policy.addEventListener('input', () => { policy.dataset.source = 'reader'; });
  showSources(opts);
  onLangChange(() => { showSources(opts); render(); });
}

