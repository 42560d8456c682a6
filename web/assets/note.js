// note: C2SP signed notes, checkpoints and verifier keys; Ed25519 checkpoint signatures (type
// 0x01) and witness cosignatures (cosignature/v1, type 0x04), verified with WebCrypto.
import { b64decode, concatBytes, bytesEqual, sha256, subtleCrypto, toHex, utf8 } from './bytes.js';

export const SIG_ED25519 = 0x01;
export const SIG_COSIGNATURE_V1 = 0x04;

function keyNameOk(name) {
  return name.length > 0 && !/[\s+]/u.test(name);
}

async function noteKeyId(name, type, pub) {
  return (await sha256(concatBytes(utf8(name), new Uint8Array([0x0a, type]), pub))).slice(0, 4);
}

// "<name>+<8 hex key id>+<base64(type || public key)>", the key id checked against the key.
export async function parseVerifierKey(text, wantType) {
  const m = /^([^+]+)\+([^+]+)\+(.+)$/s.exec(String(text).trim()); // base64 may hold '+' too
  const parts = m ? m.slice(1) : [];
  if (!m || !keyNameOk(parts[0]) || !/^[0-9a-f]{8}$/.test(parts[1])) {
    throw new Error('a verifier key is NAME+ID+KEY (8 hex digits of key id)');
  }
  const raw = b64decode(parts[2]);
  if (raw.length !== 33 || raw[0] !== wantType) {
    throw new Error(`the key is not of type 0x0${wantType} with 32 bytes of Ed25519 public key`);
  }
  const pub = raw.slice(1);
  const id = await noteKeyId(parts[0], wantType, pub);
  if (toHex(id) !== parts[1]) throw new Error(`the key id ${parts[1]} does not match the key (${toHex(id)})`);
  return { name: parts[0], id, type: wantType, pub, text: String(text).trim() };
}

// Splits a signed note into its text (with the final newline) and its signature lines.
export function parseNote(text) {
  if (typeof text !== 'string' || !text.endsWith('\n')) throw new Error('a signed note ends with a newline');
  const cut = text.lastIndexOf('\n\n');
  if (cut < 0) throw new Error('a signed note has a blank line before its signatures');
  const body = text.slice(0, cut + 1);
  const sigs = [];
  for (const line of text.slice(cut + 2, -1).split('\n')) {
    const m = /^\u2014 (\S+) (\S+)$/u.exec(line);
    if (!m || !keyNameOk(m[1])) throw new Error(`not a signature line: ${line.slice(0, 60)}`);
    const raw = b64decode(m[2]);
    if (raw.length < 5) throw new Error(`signature of ${m[1]} is too short`);
    sigs.push({ name: m[1], id: raw.slice(0, 4), sig: raw.slice(4), line });
  }
  if (sigs.length === 0) throw new Error('the note has no signature');
  return { body, sigs };
}

// tlog-checkpoint: origin, decimal size, base64 root, then optional extension lines.
export function parseCheckpoint(body) {
  const lines = body.slice(0, -1).split('\n');
  if (lines.length < 3 || lines.some((l) => l === '')) throw new Error('a checkpoint has three non-empty lines');
  if (!/^(0|[1-9][0-9]*)$/.test(lines[1])) throw new Error('the tree size is not a decimal number');
  const root = b64decode(lines[2]);
  if (root.length !== 32) throw new Error('the root hash is not 32 bytes');
  return { origin: lines[0], size: BigInt(lines[1]), root, rootText: lines[2], extensions: lines.slice(3) };
}

export async function ed25519Verify(pub, sig, msg) {
  try {
    const key = await subtleCrypto().importKey('raw', pub, { name: 'Ed25519' }, false, ['verify']);
    return await subtleCrypto().verify({ name: 'Ed25519' }, key, sig, msg);
  } catch (e) {
    if (String(e.message).startsWith('WebCrypto')) throw e;
    return false; // a key that is not a point, a signature of the wrong length
  }
}

// The log's signature: 'ok', 'missing' (no line with its name and key id) or 'bad'.
export async function checkLogSignature(note, vkey) {
  const line = note.sigs.find((s) => s.name === vkey.name && bytesEqual(s.id, vkey.id));
  if (!line) return { status: 'missing' };
  const ok = line.sig.length === 64 && (await ed25519Verify(vkey.pub, line.sig, utf8(note.body)));
  return { status: ok ? 'ok' : 'bad' };
}

// A witness's cosignature/v1: 'ok' with its time (unix seconds, BigInt), 'missing' or 'bad'.
export async function checkCosignature(note, wkey) {
  const line = note.sigs.find((s) => s.name === wkey.name && bytesEqual(s.id, wkey.id));
  if (!line) return { status: 'missing' };
  if (line.sig.length !== 72) return { status: 'bad' };
  let time = 0n;
  for (let i = 0; i < 8; i++) time = (time << 8n) | BigInt(line.sig[i]);
  if (time >= 1n << 63n) return { status: 'bad' };
  const msg = utf8(`cosignature/v1\ntime ${time}\n${note.body}`);
  const ok = await ed25519Verify(wkey.pub, line.sig.slice(8), msg);
  return ok ? { status: 'ok', time } : { status: 'bad', time };
}

// The timestamp a cosignature line carries (unverified), or null when it cannot be one.
export function cosignatureTime(sigLine) {
  if (sigLine.sig.length !== 72) return null;
  let time = 0n;
  for (let i = 0; i < 8; i++) time = (time << 8n) | BigInt(sigLine.sig[i]);
  return time;
}
