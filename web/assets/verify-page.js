// verify-page: /verify, the verifier served by the registry: the key comes from /v1/log unless
// the reader pastes another, consistency proofs and public receipts come from the registry.
import { initPage, getJSON, getText, showError } from './common.js';
import { initVerifier } from './verify-ui.js';
import { b64decode } from './bytes.js';

async function consistencyFromRegistry(first, second) {
  const j = await getJSON(`/v1/proof/consistency?first=${first}&second=${second}`);
  return j.hashes.map(b64decode);
}

// A receipt built from the registry's answers (public logs): the checks are then made on it.
async function receiptFromRegistry(id) {
  if (!/^[0-9a-fA-F]{32}$/.test(id)) throw new Error('a transaction id is 32 hex digits');
  const tx = await getJSON(`/v1/tx/${id.toLowerCase()}`);
  const cp = await getText('/v1/checkpoint');
  const size = cp.split('\n')[1];
  if (!/^[0-9]+$/.test(size) || BigInt(size) <= BigInt(tx.index)) throw new Error('no checkpoint covers the entry yet');
  const proof = await getJSON(`/v1/proof/inclusion?index=${tx.index}&tree_size=${size}`);
  return ['c2sp.org/tlog-proof@v1', `extra ${tx.entry.leaf}`, `index ${tx.index}`, ...proof.hashes, '', cp].join('\n');
}

initPage();
try {
  const log = await getJSON('/v1/log');
  document.getElementById('vkey').value = log.verifier_key;
  initVerifier({ served: true, registryKey: log.verifier_key, consistencyProof: consistencyFromRegistry,
    fetchReceipt: receiptFromRegistry });
} catch (e) {
  showError(document.getElementById('error'), e);
}
