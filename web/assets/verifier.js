// verifier: the checks of a receipt or a checkpoint, each passed, failed or not checked with its
// reason (a message key and its parameters, so the page can say it in either language).
import { b64encode, b64decode, toHex } from './bytes.js';
import { merkleLeafHash, merkleVerifyInclusion, merkleVerifyConsistency } from './merkle.js';
import { parseVerifierKey, parseNote, parseCheckpoint, checkLogSignature, checkCosignature, SIG_ED25519 } from './note.js';
import { parsePolicy, quorumMet } from './policy.js';
import { parseReceipt } from './receipt.js';
import { decodeEntry } from './entry.js';

const LAST_SEEN_PREFIX = 'quotad.lastSeen:';

const pass = (id, key, p) => ({ id, state: 'pass', msg: [key, p || {}] });
const fail = (id, key, p) => ({ id, state: 'fail', msg: [key, p || {}] });
const skip = (id, key, p) => ({ id, state: 'skip', msg: [key, p || {}] });

// The last checkpoint this browser verified for an origin, kept in localStorage.
export const browserLastSeen = {
  get(origin) {
    try { return JSON.parse(localStorage.getItem(LAST_SEEN_PREFIX + origin) || 'null'); } catch { return null; }
  },
  set(origin, cp) {
    try {
      localStorage.setItem(LAST_SEEN_PREFIX + origin, JSON.stringify({ size: String(cp.size), root: cp.rootText }));
    } catch { /* storage refused: nothing remembered */ }
  },
};

const POLICY_KEY = 'quotad.policy';

// The witness policy the reader last used in this browser (pasted or loaded on the verify
// page), so the log page checks the latest checkpoint's witnesses against it too.
export const savedPolicy = {
  get() {
    try { return localStorage.getItem(POLICY_KEY) || ''; } catch { return ''; }
  },
  set(text) {
    try {
      if (text.trim()) localStorage.setItem(POLICY_KEY, text);
      else localStorage.removeItem(POLICY_KEY);
    } catch { /* storage refused: nothing remembered */ }
  },
};

// The verifier key and the witness policy, with where they came from.
export async function loadTrust(vkeyText, policyText) {
  const trust = { vkey: null, policy: null, errors: [] };
  if (policyText && policyText.trim()) {
    try { trust.policy = await parsePolicy(policyText); } catch (e) { trust.errors.push(fail('witnesses', 'm.pol_bad', { why: e.message })); }
  }
  const text = vkeyText && vkeyText.trim() ? vkeyText : trust.policy && trust.policy.logs[0] && trust.policy.logs[0].text;
  try { trust.vkey = await parseVerifierKey(text || '', SIG_ED25519); } catch (e) { trust.errors.push(fail('signature', 'm.key_bad', { why: e.message })); }
  return trust;
}

async function signatureCheck(note, cp, vkey) {
  if (cp.origin !== vkey.name) return fail('signature', 'm.origin', { origin: cp.origin, name: vkey.name });
  const r = await checkLogSignature(note, vkey);
  const p = { name: vkey.name, id: toHex(vkey.id), size: String(cp.size) };
  if (r.status === 'ok') return pass('signature', 'm.sig_ok', p);
  return fail('signature', r.status === 'missing' ? 'm.sig_missing' : 'm.sig_bad', p);
}

async function witnessCheck(note, policy, vkey) {
  if (!policy || policy.quorum === 'none') return { check: pass('witnesses', 'm.wit_none'), cosigs: [] };
  if (policy.logs.length && !policy.logs.some((l) => l.text === vkey.text)) return { check: fail('witnesses', 'm.pol_log'), cosigs: [] };
  const cosigned = new Set(), cosigs = [];
  for (const [name, wkey] of policy.witnesses) {
    const r = await checkCosignature(note, wkey);
    cosigs.push({ name: wkey.name, policyName: name, ...r });
    if (r.status === 'ok') cosigned.add(name);
  }
  const list = cosigs.map((c) => ({ key: `m.wit_one_${c.status}`, name: c.name, time: c.time }));
  const ok = quorumMet(policy, cosigned);
  return { check: (ok ? pass : fail)('witnesses', ok ? 'm.wit_ok' : 'm.wit_fail', { list }), cosigs };
}

// Consistency of a verified checkpoint with the last one this browser saw; remembers the larger.
async function consistencyCheck(cp, store, proofFn) {
  const last = store.get(cp.origin);
  if (!last) {
    store.set(cp.origin, cp);
    return pass('consistency', 'm.cons_first');
  }
  const oldSize = BigInt(last.size), oldRoot = b64decode(last.root);
  const p = { old: last.size, oldroot: last.root };
  if (oldSize === cp.size) {
    return last.root === cp.rootText ? pass('consistency', 'm.cons_same', p) : fail('consistency', 'm.cons_bad', p);
  }
  if (!proofFn) return skip('consistency', 'm.cons_offline');
  const [a, b] = oldSize < cp.size ? [oldSize, cp.size] : [cp.size, oldSize];
  let proof;
  try { proof = await proofFn(a, b); } catch (e) { return fail('consistency', 'm.cons_err', { why: e.message }); }
  let ok = false;
  try {
    ok = oldSize < cp.size ? await merkleVerifyConsistency(a, b, oldRoot, cp.root, proof)
      : await merkleVerifyConsistency(a, b, cp.root, oldRoot, proof);
  } catch { ok = false; }
  if (!ok) return fail('consistency', 'm.cons_bad', p);
  if (cp.size > oldSize) store.set(cp.origin, cp);
  return pass('consistency', 'm.cons_ok', p);
}

// A checkpoint (signed note text): its signature, its witnesses, its consistency.
export async function verifyCheckpoint(text, trust, store, proofFn) {
  const out = { checks: [...trust.errors], checkpoint: null, note: null, cosigs: [] };
  if (!trust.vkey) return out;
  try {
    out.note = parseNote(text);
    out.checkpoint = parseCheckpoint(out.note.body);
  } catch (e) {
    out.checks.push(fail('signature', 'm.note_bad', { why: e.message }));
    return out;
  }
  const sig = await signatureCheck(out.note, out.checkpoint, trust.vkey);
  out.checks.push(sig);
  if (!trust.errors.some((c) => c.id === 'witnesses')) {
    const w = await witnessCheck(out.note, trust.policy, trust.vkey);
    out.checks.push(w.check);
    out.cosigs = w.cosigs;
  }
  const trusted = out.checks.every((c) => c.state === 'pass');
  out.checks.push(trusted ? await consistencyCheck(out.checkpoint, store, proofFn) : skip('consistency', 'm.cons_unsigned'));
  return out;
}

function leafCheck(receipt) {
  if (!receipt.extra) return { check: fail('leaf', 'm.noextra'), entry: null };
  try {
    const entry = decodeEntry(receipt.extra);
    if (entry.index !== receipt.index) {
      return { check: fail('leaf', 'm.leaf_index', { leaf: String(entry.index), index: String(receipt.index) }), entry };
    }
    return { check: pass('leaf', 'm.leaf_ok', { index: String(entry.index), timeMs: entry.timeMs }), entry };
  } catch (e) {
    return { check: fail('leaf', 'm.leaf_bad', { why: e.message }), entry: null };
  }
}

async function inclusionCheck(receipt, cp) {
  if (!receipt.extra) return fail('inclusion', 'm.noextra');
  try {
    const lh = await merkleLeafHash(receipt.extra);
    const ok = await merkleVerifyInclusion(receipt.index, cp.size, lh, receipt.proof, cp.root);
    const p = { index: String(receipt.index), size: String(cp.size), root: b64encode(cp.root) };
    return ok ? pass('inclusion', 'm.incl_ok', p) : fail('inclusion', 'm.incl_bad', p);
  } catch (e) {
    return fail('inclusion', 'm.incl_err', { why: e.message });
  }
}

// Every check of a receipt, in the order a reader follows them.
export async function verifyReceipt(text, trust, store, proofFn) {
  let receipt;
  try {
    receipt = parseReceipt(text);
  } catch (e) {
    return { checks: [fail('receipt', 'm.receipt_bad', { why: e.message })], entry: null };
  }
  const checks = [pass('receipt', 'm.receipt_ok', { index: String(receipt.index), n: receipt.proof.length })];
  const leaf = leafCheck(receipt);
  checks.push(leaf.check);
  const cp = await verifyCheckpoint(receipt.checkpoint, trust, store, proofFn);
  const tail = cp.checks.filter((c) => c.id === 'consistency');
  checks.push(...cp.checks.filter((c) => c.id !== 'consistency'));
  if (cp.checkpoint) checks.push(await inclusionCheck(receipt, cp.checkpoint));
  else checks.push(skip('inclusion', 'm.cons_unsigned'));
  checks.push(...tail);
  return { checks, entry: leaf.entry, checkpoint: cp.checkpoint, cosigs: cp.cosigs };
}

export function allPassed(checks) {
  return checks.length > 0 && checks.every((c) => c.state !== 'fail') && checks.some((c) => c.id === 'inclusion' && c.state === 'pass');
}
