// log-page: / (the log): origin, verifier key, tree size, the published checkpoint, when it was
// published and who signed it (witnesses named as in the policy), checked in this browser against
// the key and the witness policy, and against the last checkpoint this browser saw.
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
      cell('td', t(result === 'pass' ? 'ver.passed' : result === 'fail' ? 'ver.failed' : 'ver.skipped'), `state ${result}`),
      cell('td', witness ? witness.policyName : '-', 'mono'));
    tbody.append(tr);
  }
}

function render() {
  if (!state) return;
  document.getElementById('size').textContent = fmtInt(state.log.tree_size);
  const pub = state.log.published || {};
  const size = fmtInt(pub.size !== undefined ? pub.size : state.log.tree_size);
  document.getElementById('published').textContent = pub.time_ms
    ? t('log.published.at', { size, time: fmtTimeMs(pub.time_ms) }) : t('log.published.signed', { size });
  const src = document.getElementById('policysource');
  src.dataset.i18n = state.policySource;
  src.textContent = t(state.policySource);
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
    // The reader's own policy first; else the one the registry publishes under, said as such.
    const saved = savedPolicy.get();
    const policy = saved || log.witness_policy || null;
    const policySource = saved ? 'log.policy.saved' : policy ? 'log.policy.served' : 'log.policy.none';
    const trust = await loadTrust(log.verifier_key, policy);
    const proofFn = async (a, b) => (await getJSON(`/v1/proof/consistency?first=${a}&second=${b}`)).hashes.map(b64decode);
    state = { log, policySource, res: await verifyCheckpoint(text, trust, browserLastSeen, proofFn) };
    render();
  } catch (e) {
    showError(document.getElementById('error'), e);
  }
}

main();
