// receipt: C2SP tlog-proof files (c2sp.org/tlog-proof@v1): extra data (here the entry's leaf),
// the index, the inclusion proof hashes and the checkpoint, verbatim.
import { b64decode } from './bytes.js';

const RECEIPT_HEADER = 'c2sp.org/tlog-proof@v1';
const RECEIPT_HASHES_MAX = 64; // a tree of 2^64 leaves needs no more

export function parseReceipt(text) {
  const t = String(text).replace(/\r\n/g, '\n');
  const lines = t.split('\n');
  if (lines[0] !== RECEIPT_HEADER) throw new Error(`the first line is not ${RECEIPT_HEADER}`);
  let at = 1, extra = null;
  if (lines[at] && lines[at].startsWith('extra ')) extra = b64decode(lines[at++].slice(6));
  const m = /^index (0|[1-9][0-9]*)$/.exec(lines[at] || '');
  if (!m) throw new Error('no "index N" line');
  at++;
  const proof = [];
  for (; at < lines.length && lines[at] !== ''; at++) {
    const h = b64decode(lines[at]);
    if (h.length !== 32) throw new Error(`proof line ${proof.length + 1} is not a 32-byte hash`);
    proof.push(h);
    if (proof.length > RECEIPT_HASHES_MAX) throw new Error('the proof has too many hashes');
  }
  if (at >= lines.length) throw new Error('no blank line before the checkpoint');
  const checkpoint = lines.slice(at + 1).join('\n');
  if (!checkpoint) throw new Error('no checkpoint after the proof');
  return { extra, index: BigInt(m[1]), proof, checkpoint };
}
