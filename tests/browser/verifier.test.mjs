// verifier.test.mjs: the in-browser verifier's modules (web/assets) run in node against the
// project's reference vectors (tests/vectors/tlog-vectors.json: RFC 6962 roots and proofs and a
// signed checkpoint, computed by an independent implementation), and against cosignatures,
// policies, receipts and entries made here. Usage: node verifier.test.mjs SOURCE_DIR
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import crypto from 'node:crypto';

// Node 18 (Debian 12's) has WebCrypto only as crypto.webcrypto, not as the browser's global.
if (!globalThis.crypto) globalThis.crypto = crypto.webcrypto;

const src = path.resolve(process.argv[2]);
const mod = (f) => import(pathToFileURL(path.join(src, 'web', 'assets', f)).href);
const { merkleLeafHash, merkleVerifyInclusion, merkleVerifyConsistency } = await mod('merkle.js');
const { parseVerifierKey, parseNote, parseCheckpoint, checkLogSignature, checkCosignature, SIG_ED25519, SIG_COSIGNATURE_V1 } = await mod('note.js');
const { parsePolicy, quorumMet } = await mod('policy.js');
const { parseReceipt } = await mod('receipt.js');
const { decodeEntry } = await mod('entry.js');
const V = JSON.parse(fs.readFileSync(path.join(src, 'tests', 'vectors', 'tlog-vectors.json'), 'utf8'));

let passed = 0, failed = 0;
function check(name, cond, detail) {
  if (cond) { passed++; console.log(`ok   - ${name}`); } else { failed++; console.log(`FAIL - ${name}${detail ? ` (${detail})` : ''}`); }
}
async function throws(fn) { try { await fn(); return false; } catch { return true; } }
const hex = (h) => Uint8Array.from(Buffer.from(h, 'hex'));
const leaf = (i) => new TextEncoder().encode(`leaf ${i}`);
const flip = (proof, k) => proof.map((h, j) => (j === k ? Uint8Array.from(h, (b, i) => (i === 0 ? b ^ 1 : b)) : h));

// ---- RFC 6962 inclusion and consistency, byte for byte against the vectors
let incl = 0, inclBad = 0;
for (const v of V.inclusion_proofs) {
  const proof = v.Proof.map(hex), root = hex(V.roots[String(v.TreeSize)]), lh = await merkleLeafHash(leaf(v.Index));
  if (await merkleVerifyInclusion(v.Index, v.TreeSize, lh, proof, root)) incl++;
  for (let k = 0; k < proof.length; k++) if (!(await merkleVerifyInclusion(v.Index, v.TreeSize, lh, flip(proof, k), root))) inclBad++;
}
const inclHashes = V.inclusion_proofs.reduce((n, v) => n + v.Proof.length, 0);
check(`every inclusion vector verifies (${V.inclusion_proofs.length})`, incl === V.inclusion_proofs.length);
check('every inclusion vector with one hash changed fails', inclBad === inclHashes, `${inclBad}/${inclHashes}`);
const iv = V.inclusion_proofs.find((v) => v.TreeSize > 2);
const otherIndex = async () => {
  try {
    return await merkleVerifyInclusion((iv.Index + 1) % iv.TreeSize, iv.TreeSize, await merkleLeafHash(leaf(iv.Index)),
      iv.Proof.map(hex), hex(V.roots[String(iv.TreeSize)]));
  } catch { return false; } // a proof of the wrong length for that index is malformed: also a failure
};
check('an inclusion proof used for another index fails', !(await otherIndex()));
check('an index at the tree size is refused', await throws(() => merkleVerifyInclusion(3, 3, new Uint8Array(32), [], new Uint8Array(32))));
let cons = 0, consBad = 0, consHashes = 0;
for (const v of V.consistency_proofs) {
  const proof = v.Proof.map(hex), a = hex(V.roots[String(v.First)]), b = hex(V.roots[String(v.Second)]);
  if (await merkleVerifyConsistency(v.First, v.Second, a, b, proof)) cons++;
  for (let k = 0; k < proof.length; k++) {
    consHashes++;
    let ok = true;
    try { ok = await merkleVerifyConsistency(v.First, v.Second, a, b, flip(proof, k)); } catch { ok = false; }
    if (!ok) consBad++;
  }
}
check(`every consistency vector verifies (${V.consistency_proofs.length})`, cons === V.consistency_proofs.length);
check('every consistency vector with one hash changed fails', consBad === consHashes, `${consBad}/${consHashes}`);
const c = V.consistency_proofs.find((v) => v.First !== v.Second && v.Proof.length);
check('a consistency proof against another old root fails',
  !(await merkleVerifyConsistency(c.First, c.Second, hex(V.roots[String(c.First + 1)] || V.roots['0']), hex(V.roots[String(c.Second)]), c.Proof.map(hex))));
check('the same size with two roots is inconsistent', !(await merkleVerifyConsistency(5, 5, hex(V.roots['5']), hex(V.roots['6']), [])));

// ---- the signed checkpoint of the vectors
const cp = V.checkpoint;
const vkey = await parseVerifierKey(cp.verifier_key, SIG_ED25519);
check('the verifier key parses with its key id', Buffer.from(vkey.id).toString('hex') === cp.key_id_hex && Buffer.from(vkey.pub).toString('hex') === cp.ed25519_public_hex);
check('a verifier key with a wrong key id is refused', await throws(() => parseVerifierKey(cp.verifier_key.replace(cp.key_id_hex, '00000000'), SIG_ED25519)));
check('a log key is refused as a witness key (type byte)', await throws(() => parseVerifierKey(cp.verifier_key, SIG_COSIGNATURE_V1)));
const note = parseNote(cp.signed_note);
check('the note text is the three checkpoint lines', note.body === cp.note_text);
check('the checkpoint parses', parseCheckpoint(note.body).size === 21n);
check('the vectors\' checkpoint signature verifies', (await checkLogSignature(note, vkey)).status === 'ok');
const forged = parseNote(cp.signed_note.replace('\n21\n', '\n22\n'));
check('a changed tree size fails the signature', (await checkLogSignature(forged, vkey)).status === 'bad');
check('a note without a blank line is refused', await throws(() => parseNote(cp.note_text)));

// ---- cosignature/v1 made here with a witness key
const wk = crypto.generateKeyPairSync('ed25519');
const wpub = wk.publicKey.export({ format: 'der', type: 'spki' }).subarray(12);
const wname = 'witness.example/w1';
const wid = crypto.createHash('sha256').update(Buffer.concat([Buffer.from(`${wname}\n`), Buffer.from([4]), wpub])).digest().subarray(0, 4);
const wvkey = `${wname}+${wid.toString('hex')}+${Buffer.concat([Buffer.from([4]), wpub]).toString('base64')}`;
function cosignLine(time, msgTime = time) {
  const ts = Buffer.alloc(8);
  ts.writeBigUInt64BE(BigInt(time));
  const sig = crypto.sign(null, Buffer.from(`cosignature/v1\ntime ${msgTime}\n${cp.note_text}`), wk.privateKey);
  return `\u2014 ${wname} ${Buffer.concat([wid, ts, sig]).toString('base64')}\n`;
}
const wkey = await parseVerifierKey(wvkey, SIG_COSIGNATURE_V1);
let r = await checkCosignature(parseNote(cp.signed_note + cosignLine(1700000000)), wkey);
check('a cosignature/v1 verifies with its time', r.status === 'ok' && r.time === 1700000000n);
r = await checkCosignature(parseNote(cp.signed_note + cosignLine(1700000001, 1700000000)), wkey);
check('a cosignature whose timestamp was changed fails', r.status === 'bad');
check('a checkpoint without the witness\'s line reports it missing', (await checkCosignature(note, wkey)).status === 'missing');
check('the log\'s signature still verifies beside a cosignature', (await checkLogSignature(parseNote(cp.signed_note + cosignLine(1)), vkey)).status === 'ok');

// ---- tlog-policy and quorums
const wv = (n) => { const k = crypto.generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(12);
  const id = crypto.createHash('sha256').update(Buffer.concat([Buffer.from(`w${n}.example\n`), Buffer.from([4]), k])).digest().subarray(0, 4);
  return `w${n}.example+${id.toString('hex')}+${Buffer.concat([Buffer.from([4]), k]).toString('base64')}`; };
const pol = await parsePolicy(`# two organisations\nlog ${cp.verifier_key}\nwitness X1 ${wv(1)}\nwitness X2 ${wv(2)}\nwitness X3 ${wv(3)}\n` +
  `group X 2 X1 X2 X3\nwitness Y1 ${wv(4)}\n\twitness Y2 ${wv(5)} https://y2.example/\ngroup Y any Y1 Y2\ngroup XY all X Y\nquorum XY\n`);
check('a two-level policy: 2 of X and 1 of Y meets the quorum', quorumMet(pol, new Set(['X1', 'X3', 'Y2'])));
check('a two-level policy: 1 of X and both Y does not', !quorumMet(pol, new Set(['X1', 'Y1', 'Y2'])));
check('quorum none needs no witness', quorumMet(await parsePolicy('quorum none\n'), new Set()));
const refused = [
  ['no quorum line', `witness A ${wv(6)}\n`],
  ['a group naming an undefined witness', 'group G any Z\nquorum G\n'],
  ['a threshold above the members', `witness A ${wv(7)}\ngroup G 2 A\nquorum G\n`],
  ['a member listed twice', `witness A ${wv(8)}\ngroup G any A A\nquorum G\n`],
  ['two quorum lines', 'quorum none\nquorum none\n'],
  ['a name defined twice', `witness A ${wv(9)}\nwitness A ${wv(10)}\nquorum A\n`],
  ['an unknown keyword', 'witnesses A\nquorum none\n'],
  ['a log key as a witness key', `witness A ${cp.verifier_key}\nquorum A\n`],
];
for (const [what, text] of refused) check(`a policy with ${what} is refused`, await throws(() => parsePolicy(text)));

// ---- receipts
const good = `c2sp.org/tlog-proof@v1\nextra AAEC\nindex 5\n${Buffer.alloc(32, 1).toString('base64')}\n\n${cp.signed_note}`;
const rc = parseReceipt(good);
check('a receipt parses: extra, index, proof, checkpoint', rc.index === 5n && rc.extra.length === 3 && rc.proof.length === 1 && rc.checkpoint === cp.signed_note);
for (const [what, text] of [
  ['another first line', good.replace('@v1', '@v2')],
  ['no index line', good.replace('index 5\n', '')],
  ['an index with a leading zero', good.replace('index 5', 'index 05')],
  ['a proof line that is not 32 bytes', good.replace(Buffer.alloc(32, 1).toString('base64'), 'AAAA')],
  ['no checkpoint', `c2sp.org/tlog-proof@v1\nindex 5\n`],
]) check(`a receipt with ${what} is refused`, await throws(() => parseReceipt(text)));

// ---- entries (proto/FORMAT.md sections 3, 4, 8, 9): an issue transaction built here
function entryBytes({ reserved = 0, trailing = false } = {}) {
  const body = Buffer.concat([Buffer.from([1, 9, 0, 0]), Buffer.alloc(16, 0xab), Buffer.from('CEA-2024'.padEnd(16, '\0')),
    Buffer.from([0, 0, 0, 0, 0, 0, 0x03, 0xe8])]);
  const env = Buffer.concat([Buffer.from([1, 1, 0, body.length]), body, Buffer.alloc(96, 7)]);
  const head = Buffer.alloc(28);
  head[0] = 1; head[1] = reserved;
  head.writeBigUInt64BE(42n, 2); head.writeBigUInt64BE(1700000000000n, 10); head.writeUInt16BE(env.length, 26);
  return Uint8Array.from(Buffer.concat([head, env, trailing ? Buffer.from([0]) : Buffer.alloc(0)]));
}
const e = decodeEntry(entryBytes());
check('an entry decodes: index, time, transaction', e.index === 42n && e.timeMs === 1700000000000n && e.tx.type === 'issue' &&
  e.tx.instrument === 'CEA-2024' && e.tx.amount === 1000n && e.tx.id === 'ab'.repeat(16) && e.signers.length === 1);
check('an entry with a reserved byte set is refused', await throws(() => decodeEntry(entryBytes({ reserved: 1 }))));
check('an entry with a byte after it is refused', await throws(() => decodeEntry(entryBytes({ trailing: true }))));
check('a truncated entry is refused', await throws(() => decodeEntry(entryBytes().subarray(0, 60))));
// a version 2 freeze (a freeze order, proto/FORMAT.md section 4)
function orderEntry(version) {
  const u64 = (v) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(v); return b; };
  const body = Buffer.concat([Buffer.from([version, 15, 0, 0]), Buffer.alloc(16, 0xcd), u64(101n),
    Buffer.from('CEA-2025'.padEnd(16, '\0')), u64(500n), Buffer.from([3]), u64(0n), Buffer.from([0, 5]), Buffer.from('court')]);
  const env = Buffer.concat([Buffer.from([1, 1, 0, body.length]), body, Buffer.alloc(96, 7)]);
  const head = Buffer.alloc(28);
  head[0] = 1;
  head.writeUInt16BE(env.length, 26);
  return Uint8Array.from(Buffer.concat([head, env]));
}
const o = decodeEntry(orderEntry(2));
check('a freeze order decodes with its positions and expiry', o.tx.type === 'freeze' && o.tx.version === 2 &&
  o.tx.positions === 'both' && o.tx.amount === 500n && o.tx.expiry_ms === 0n && o.tx.legal_ref === 'court');
check('a body version no type has is refused', await throws(() => decodeEntry(orderEntry(3))));

// ---- entries the C encoder made (tests/vectors/web-entries.json): types 22-26 and version 2
// bodies decode to the fields of the encoder's own JSON form, and are described in both languages.
const { describeTx } = await mod('verify-ui.js').catch(() => ({}));
const W = JSON.parse(fs.readFileSync(path.join(src, 'tests', 'vectors', 'web-entries.json'), 'utf8'));
const same = (a, b) => (Array.isArray(b) ? Array.isArray(a) && a.length === b.length && b.every((x, i) => same(a[i], x))
  : b !== null && typeof b === 'object' ? Object.keys(b).every((k) => same(a?.[k], b[k]))
    : String(a) === String(b));
const seen = new Set();
for (const w of W.entries) {
  let d = null;
  try { d = decodeEntry(hex(w.hex)); } catch (err) { check(`${w.name}: the entry decodes`, false, err.message); continue; }
  const diff = Object.keys(w.json).filter((k) => k !== 'version' && !same(d.tx[k], w.json[k]));
  check(`${w.name}: decodes to the encoder's fields`, d.index === BigInt(w.index) && d.tx.type === w.json.type &&
    (d.tx.version ?? 1) === (w.json.version ?? 1) && diff.length === 0, diff.join(', '));
  seen.add(`${w.json.type} v${w.json.version ?? 1}`);
  const truncated = hex(w.hex).subarray(0, hex(w.hex).length - 1);
  check(`${w.name}: a byte short is refused`, await throws(() => decodeEntry(truncated)));
}
for (const want of ['account_reopen v1', 'at_risk v1', 'alloc_table_open v1', 'alloc_table_rows v1', 'alloc_table_close v1',
  'issue v2', 'allocate v2', 'clawback v2', 'carry_over_rule v1', 'carry_over v2', 'deduct v2']) check(`the vectors include ${want}`, seen.has(want));
const versionOf = (w, v) => { const b = hex(w.hex); const at = 28 + 4; b[at] = v; return b; };
const alloc2 = W.entries.find((w) => w.json.type === 'allocate' && w.json.version === 2);
check('a version 3 body is refused', await throws(() => decodeEntry(versionOf(alloc2, 3))));
const reopen = W.entries.find((w) => w.json.type === 'account_reopen');
check('a version 2 of a type that has none is refused', await throws(() => decodeEntry(versionOf(reopen, 2))));

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
