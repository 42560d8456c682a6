// entry: decodes a log entry (the leaf data, proto/FORMAT.md sections 3, 4, 8 and 9) and its
// transaction, and says what the transaction did in words.
import { toHex } from './bytes.js';

const ENUMS = {
  role: ['', 'operator', 'authority', 'representative', 'exchange', 'auditor'],
  account_kind: ['', 'national', 'provincial', 'enterprise', 'participant'],
  sector: ['none', 'power', 'steel', 'cement', 'aluminium'],
  instrument_kind: ['', 'cea', 'ccer'],
  alloc_kind: ['', 'pre', 'final', 'supplement'],
  position: ['', 'registry', 'trading'],
  cover: ['', 'registry', 'trading', 'both'],
};

const F = (name, kind, arg) => ({ name, kind, arg });
const MOVE = [F('from', 'u64'), F('to', 'u64'), F('instrument', 'instrument'), F('amount', 'u64')];
const HOLD = [F('account', 'u64'), F('instrument', 'instrument'), F('amount', 'u64')];
const ACCOUNT = [F('account', 'u64'), F('kind', 'enum', 'account_kind'), F('province', 'u8'),
  F('sector', 'enum', 'sector'), F('threshold', 'u8'), F('uscc', 'uscc'), F('name', 'text'), F('note', 'text')];

// Types 22-27 (accounts reopened and at risk, allocation tables, carry-over rules: proto/FORMAT.md
// sections 4 and 4a), kept apart from the older rows of TX_TYPES. A function: TX_TYPES is built from it.
Object.assign(ENUMS, {
  table_phase: ['', 'pre', 'final'],
  scheme_status: ['', 'final', 'draft'],
  bp_kind: ['', 'none', 'published', 'solved'],
  table_action: ['', 'close', 'abandon'],
  row_sector: ['none', 'power', 'steel', 'cement', 'aluminium'],
  deduct_kind: ['', 'shortfall', 'fraud'],
});
function TABLE_TYPES() {
  return [
    { name: 'account_reopen', fields: [F('account', 'u64'), F('reason', 'text')] },
    { name: 'at_risk', fields: [F('account', 'u64'), F('set', 'u8'), F('reason', 'text')] },
    { name: 'alloc_table_open', fields: [F('table', 'u64'), F('instrument', 'instrument'), F('phase', 'enum', 'table_phase'),
      F('status', 'enum', 'scheme_status'), F('bp_kind', 'enum', 'bp_kind'), F('bp', 'text'), F('rows_count', 'u64'),
      F('rows_hash', 'bytes32'), F('scheme', 'text')] },
    { name: 'alloc_table_rows', fields: [F('table', 'u64'), F('first_row', 'u64'), F('rows', 'rows')] },
    { name: 'alloc_table_close', fields: [F('table', 'u64'), F('action', 'enum', 'table_action'), F('reason', 'text')] },
    { name: 'carry_over_rule', fields: [F('vintage_from', 'u16'), F('vintage_to', 'u16'), F('to_instrument', 'instrument'),
      F('window_start_ms', 'u64'), F('window_end_ms', 'u64'), F('base', 'u64'), F('factor_milli', 'u64'),
      F('sectors', 'u8'), F('ref', 'text')] },
  ];
}

// The fields of each transaction type, in encoding order (proto/FORMAT.md section 4); v2: the
// layout of body version 2 where the type has one.
export const TX_TYPES = [null,
  { name: 'genesis', fields: [F('origin', 'text'), F('log_public_key', 'bytes32'), F('national_account', 'u64'),
    F('operator_threshold', 'u8'), F('operator_keys', 'keys')] },
  { name: 'key_register', fields: [F('public_key', 'bytes32'), F('role', 'enum', 'role'), F('scope', 'u64'), F('name', 'text')] },
  { name: 'key_revoke', fields: [F('key_hash', 'bytes32'), F('reason', 'text')] },
  { name: 'account_open', fields: ACCOUNT },
  { name: 'account_update', fields: ACCOUNT },
  { name: 'account_close', fields: [F('account', 'u64'), F('reason', 'text')] },
  { name: 'instrument_create', fields: [F('code', 'instrument'), F('kind', 'enum', 'instrument_kind'), F('vintage', 'u16'),
    F('cap', 'u64'), F('first_year', 'u16'), F('last_year', 'u16')] },
  { name: 'compliance_year', fields: [F('year', 'u16'), F('deadline_ms', 'u64')] },
  { name: 'issue', fields: [F('instrument', 'instrument'), F('amount', 'u64')] },
  { name: 'allocate', fields: [...MOVE, F('year', 'u16'), F('kind', 'enum', 'alloc_kind')] },
  { name: 'clawback', fields: [...MOVE, F('reason', 'text')] },
  { name: 'transfer', fields: MOVE },
  { name: 'position_move', fields: [...HOLD, F('to_position', 'enum', 'position')] },
  { name: 'settle', fields: [F('ref', 'text'), F('legs', 'legs')],
    v2: [F('ref', 'text'), F('legs_count', 'u16'), F('legs_root', 'bytes32')] },
  { name: 'freeze', fields: [...HOLD, F('legal_ref', 'text')],
    v2: [...HOLD, F('positions', 'enum', 'cover'), F('expiry_ms', 'u64'), F('legal_ref', 'text')] },
  { name: 'unfreeze', fields: [...HOLD, F('legal_ref', 'text')],
    v2: [F('account', 'u64'), F('order', 'id'), F('amount', 'u64'), F('legal_ref', 'text')] },
  { name: 'verified_emissions', fields: [F('account', 'u64'), F('year', 'u16'), F('emissions', 'u64'), F('ref', 'text')],
    v2: [F('account', 'u64'), F('year', 'u16'), F('emissions', 'u64'), F('ref', 'text'), F('deadline_ms', 'u64')] },
  { name: 'surrender', fields: [F('account', 'u64'), F('from', 'u64'), F('year', 'u16'), F('instrument', 'instrument'), F('amount', 'u64')] },
  { name: 'cancel', fields: [...HOLD, F('reason', 'text')] },
  { name: 'carry_over', fields: [F('account', 'u64'), F('from_instrument', 'instrument'), F('to_instrument', 'instrument'),
    F('amount', 'u64'), F('cap', 'u64'), F('net_sales', 'u64'), F('window_start_ms', 'u64'), F('window_end_ms', 'u64')],
    v2: [F('account', 'u64'), F('rule', 'id'), F('from_instrument', 'instrument'), F('to_instrument', 'instrument'),
      F('amount', 'u64'), F('cap', 'u64'), F('net_sales', 'u64')] },
  { name: 'deduct', fields: [F('account', 'u64'), F('amount', 'u64'), F('year', 'u16'), F('reason', 'text')],
    v2: [F('account', 'u64'), F('kind', 'enum', 'deduct_kind'), F('year', 'u16'), F('amount', 'u64'),
      F('percent', 'u8'), F('legal_ref', 'text')] },
  ...TABLE_TYPES(),
];

class EntryReader {
  constructor(bytes) { this.b = bytes; this.at = 0; }
  take(n) {
    if (this.at + n > this.b.length) throw new Error('the leaf ends early (truncated)');
    const out = this.b.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
  uint(n) {
    let v = 0n;
    for (const x of this.take(n)) v = (v << 8n) | BigInt(x);
    return v;
  }
  text() {
    return new TextDecoder('utf-8', { fatal: true }).decode(this.take(Number(this.uint(2))));
  }
}

function readField(r, f) {
  switch (f.kind) {
    case 'u8': return r.uint(1);
    case 'u16': return r.uint(2);
    case 'u64': return r.uint(8);
    case 'text': return r.text();
    case 'bytes32': return toHex(r.take(32));
    case 'id': return toHex(r.take(16));
    case 'enum': { const v = Number(r.uint(1)); return ENUMS[f.arg][v] || `unknown (${v})`; }
    case 'instrument': return new TextDecoder().decode(r.take(16)).replace(/\0+$/, '');
    case 'uscc': return new TextDecoder().decode(r.take(18)).replace(/\0+$/, '');
    case 'keys': return Array.from({ length: Number(r.uint(1)) }, () => toHex(r.take(32)));
    case 'legs': return Array.from({ length: Number(r.uint(2)) }, () => ({
      from: r.uint(8), to: r.uint(8), instrument: readField(r, { kind: 'instrument' }), amount: r.uint(8) }));
    case 'rows': return Array.from({ length: Number(r.uint(2)) }, () => readRow(r));
    default: throw new Error(`unknown field kind ${f.kind}`);
  }
}

// An allocation table row (proto/FORMAT.md section 4a): inputs scaled by 10^6 as decimal strings.
const ROW_INPUTS = ['emissions', 'output', 'prev_emissions', 'supplied_mwh', 'heat_gj', 'load_pct', 'carbide_slag_rate'];
function readRow(r) {
  const row = { uscc: readField(r, { kind: 'uscc' }) };
  row.unit = new TextDecoder('utf-8', { fatal: true }).decode(r.take(Number(r.uint(1))));
  row.sector = readField(r, { kind: 'enum', arg: 'row_sector' });
  row.category = r.uint(1);
  const present = Number(r.uint(1)), confidential = Number(r.uint(1));
  row.flags = r.uint(2);
  ROW_INPUTS.forEach((name) => {
    const v = r.uint(8);
    const known = !(name === 'emissions' && !(present & 1)) && !(name === 'prev_emissions' && !(present & 4));
    row[name] = known ? `${v / 1000000n}.${String(v % 1000000n).padStart(6, '0')}`.replace(/\.?0+$/, '') : null;
  });
  row.confidential = ROW_INPUTS.filter((_, i) => confidential & (1 << i));
  row.salt = toHex(r.take(16));
  row.pre = r.uint(8);
  row.quota = r.uint(8);
  return row;
}

// Body version 2 of issue (to the owner it names), allocate and clawback (citing a table row):
// version 1's fields, then these (proto/tx_table.c, the T2 rows).
const V2_EXTRA = {
  issue: [F('to', 'u64')],
  allocate: [F('table', 'u64'), F('row', 'u64')],
  clawback: [F('table', 'u64'), F('row', 'u64')],
};
function typeFields(type, version) {
  const t = TX_TYPES[type];
  if (!t) throw new Error(`unknown transaction type ${type}`);
  if (version === 1) return t.fields;
  if (version === 2 && t.v2) return t.v2; /* a layout of its own */
  if (version === 2 && V2_EXTRA[t.name]) return [...t.fields, ...V2_EXTRA[t.name]];
  throw new Error(`${t.name} has no body version ${version}`);
}

function decodeBody(body) {
  const r = new EntryReader(body);
  const version = Number(r.uint(1));
  const type = Number(r.uint(1));
  const fields = typeFields(type, version);
  r.take(2);
  const tx = { type: TX_TYPES[type].name, id: toHex(r.take(16)) };
  if (version > 1) tx.version = version;
  for (const f of fields) tx[f.name] = readField(r, f);
  if (r.at !== body.length) throw new Error('bytes after the transaction body');
  return tx;
}

// The entry: version, index, commit time, withheld, the envelope's signers and the transaction.
export function decodeEntry(leaf) {
  const r = new EntryReader(leaf);
  if (r.uint(1) !== 1n) throw new Error('the entry is not format version 1');
  if (r.uint(1) !== 0n) throw new Error('the reserved byte is not zero');
  const entry = { index: r.uint(8), timeMs: r.uint(8), withheld: r.uint(8) };
  const env = new EntryReader(r.take(Number(r.uint(2))));
  if (r.at !== leaf.length) throw new Error('bytes after the envelope');
  if (env.uint(1) !== 1n) throw new Error('the envelope is not format version 1');
  const sigs = Number(env.uint(1));
  const body = env.take(Number(env.uint(2)));
  entry.signers = Array.from({ length: sigs }, () => { const k = toHex(env.take(32)); env.take(64); return k; });
  if (env.at !== env.b.length) throw new Error('bytes after the signatures');
  entry.tx = decodeBody(body);
  return entry;
}
