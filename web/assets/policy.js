// policy: C2SP tlog-policy files (logs, witnesses, groups, one quorum) and whether a set of
// witnesses that cosigned meets the quorum.
import { parseVerifierKey, SIG_ED25519, SIG_COSIGNATURE_V1 } from './note.js';

const POLICY_NAMES_MAX = 64; // logs + witnesses + groups, above the spec's recommended 32 each

function policyThreshold(word, n) {
  if (word === 'all') return n;
  if (word === 'any') return 1;
  if (!/^[1-9][0-9]*$/.test(word)) throw new Error(`group threshold '${word}' is not all, any or a number`);
  const k = Number(word);
  if (k > n) throw new Error(`group threshold ${k} is above its ${n} members`);
  return k;
}

async function policyLine(p, words, lineNo) {
  const [kw, ...rest] = words;
  const defined = (name) => p.witnesses.has(name) || p.groups.has(name);
  if (kw === 'log' && (rest.length === 1 || rest.length === 2)) {
    const key = await parseVerifierKey(rest[0], SIG_ED25519);
    if (p.logs.some((l) => l.text === key.text)) throw new Error(`line ${lineNo}: duplicate log`);
    p.logs.push(key);
  } else if (kw === 'witness' && (rest.length === 2 || rest.length === 3)) {
    if (defined(rest[0]) || rest[0] === 'none') throw new Error(`line ${lineNo}: ${rest[0]} is defined twice`);
    const key = await parseVerifierKey(rest[1], SIG_COSIGNATURE_V1);
    for (const w of p.witnesses.values()) {
      if (w.pub.every((b, i) => b === key.pub[i])) throw new Error(`line ${lineNo}: duplicate witness key`);
    }
    p.witnesses.set(rest[0], key);
  } else if (kw === 'group' && rest.length >= 3) {
    const [name, k, ...members] = rest;
    if (defined(name) || name === 'none') throw new Error(`line ${lineNo}: ${name} is defined twice`);
    if (new Set(members).size !== members.length) throw new Error(`line ${lineNo}: a member is listed twice`);
    for (const m of members) if (!defined(m)) throw new Error(`line ${lineNo}: ${m} is not defined above`);
    p.groups.set(name, { k: policyThreshold(k, members.length), members });
  } else if (kw === 'quorum' && rest.length === 1) {
    if (p.quorum !== null) throw new Error(`line ${lineNo}: a second quorum line`);
    if (rest[0] !== 'none' && !defined(rest[0])) throw new Error(`line ${lineNo}: ${rest[0]} is not defined above`);
    p.quorum = rest[0];
  } else {
    throw new Error(`line ${lineNo}: not a log, witness, group or quorum line`);
  }
}

export async function parsePolicy(text) {
  if (/[^\t\n\x20-\x7e\x80-\uffff]/u.test(text)) throw new Error('the policy holds a control character');
  const p = { logs: [], witnesses: new Map(), groups: new Map(), quorum: null, text };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const words = lines[i].trim().split(/[ \t]+/);
    if (words[0] === '' || words[0].startsWith('#')) continue;
    await policyLine(p, words, i + 1);
    if (p.logs.length + p.witnesses.size + p.groups.size > POLICY_NAMES_MAX) throw new Error('the policy is too large');
  }
  if (p.quorum === null) throw new Error('the policy has no quorum line');
  return p;
}

// Whether the witnesses in `cosigned` (a Set of names) satisfy the policy's quorum.
export function quorumMet(policy, cosigned) {
  const met = (name) => {
    if (name === 'none') return true;
    if (policy.witnesses.has(name)) return cosigned.has(name);
    const g = policy.groups.get(name);
    return g.members.filter(met).length >= g.k;
  };
  return met(policy.quorum);
}
