// log-page: / (the log): origin, verifier key, tree size, the latest checkpoint and who signed
// it, checked in this browser against the key, and against the last checkpoint this browser saw.
import { initPage, getJSON, getText, showError, cell } from './common.js';
import { t, fmtInt, fmtTimeMs, onLangChange } from './i18n.js';
import { b64decode } from './bytes.js';
import { loadTrust, verifyCheckpoint, browserLastSeen, savedPolicy } from './verifier.js';
import { cosignatureTime } from './note.js';
import { checkText } from './verify-ui.js';

let state = null;

function sigRows() {
  const tbody = document.querySelector('#sigs tbody');
  tbody.replaceChildren();
  for (const s of state.res.note ? state.res.note.sigs : []) {
    const isLog = s.name === state.log.origin;
    const witness = state.res.cosigs.find((c) => c.name === s.name);
    const time = isLog ? null : cosignatureTime(s);
    const sigCheck = state.res.checks.find((c) => c.id === 'signature');
    const result = isLog ? sigCheck.state : witness ? (witness.status === 'ok' ? 'pass' : 'fail') : 'skip';
    const tr = document.createElement('tr');
    tr.append(cell('td', s.name, 'mono'), cell('td', t(isLog ? 'log.sig.log' : time !== null ? 'log.sig.witness' : 'log.sig.unknown')),
      cell('td', time !== null ? fmtTimeMs(Number(time) * 1000) : '-'),
      cell('td', t(result === 'pass' ? 'ver.passed' : result === 'fail' ? 'ver.failed' : 'ver.skipped'), `state ${result}`));
    tbody.append(tr);
  }
}

function render() {
  if (!state) return;
  document.getElementById('size').textContent = fmtInt(state.log.tree_size);
  sigRows();
  const ul = document.getElementById('checks');
  ul.replaceChildren();
  for (const c of state.res.checks) {
    const li = document.createElement('li');
    li.className = `check ${c.state}`;
    li.dataset.check = c.id;
    li.dataset.state = c.state;
    li.textContent = `${t(c.state === 'pass' ? 'ver.passed' : c.state === 'fail' ? 'ver.failed' : 'ver.skipped')} - ${t(`chk.${c.id}`)}: ${checkText(c.msg)}`;
    ul.append(li);
  }
}

async function main() {
  initPage();
  onLangChange(render);
  try {
    const log = await getJSON('/v1/log');
    const text = await getText('/v1/checkpoint');
    document.getElementById('origin').textContent = log.origin;
    document.getElementById('vkey').textContent = log.verifier_key;
    document.getElementById('checkpoint').textContent = text;
    const policy = savedPolicy.get();
    const src = document.getElementById('policysource');
    src.dataset.i18n = policy ? 'log.policy.saved' : 'log.policy.none';
    src.textContent = t(src.dataset.i18n);
    const trust = await loadTrust(log.verifier_key, policy);
    const proofFn = async (a, b) => (await getJSON(`/v1/proof/consistency?first=${a}&second=${b}`)).hashes.map(b64decode);
    state = { log, res: await verifyCheckpoint(text, trust, browserLastSeen, proofFn) };
    render();
  } catch (e) {
    showError(document.getElementById('error'), e);
  }
}

main();
