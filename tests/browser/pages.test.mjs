// pages.test.mjs: quotad's public pages and verifier in Debian's chromium (playwright-core), with
// axe-core's accessibility checks. run.sh starts quotad with a small registry and sets the env.
// Tampered answers come from a small proxy in this file (a forked checkpoint signed by the real
// log key, a fake consistency proof); tampered receipts are edited here byte by byte.
import { createRequire } from 'node:module';
import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const env = process.env;
const require = createRequire(path.join(env.QUOTAD_NODE_DIR, 'node_modules', 'x.js'));
const { chromium } = require('playwright-core');
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const BASE = env.QUOTAD_URL, T = env.QUOTAD_T, VK = env.QUOTAD_VK, ORIGIN = env.QUOTAD_ORIGIN;

let passed = 0, failed = 0;
function check(name, cond, detail) {
  if (cond) { passed++; console.log(`ok   - ${name}`); } else { failed++; console.log(`FAIL - ${name}${detail ? `\n       ${detail}` : ''}`); }
}
const api = async (p) => (await fetch(BASE + p)).json();
const fmt = (n) => BigInt(n).toLocaleString('en-US');

// --- keys and notes made here, as a witness or an attacker would make them
function seedKey(seed) {
  return crypto.createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });
}
function pubOf(key) { return crypto.createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(12); }
function keyId(name, type, pub) {
  return crypto.createHash('sha256').update(Buffer.concat([Buffer.from(`${name}\n`), Buffer.from([type]), pub])).digest().subarray(0, 4);
}
function vkey(name, type, pub) { return `${name}+${keyId(name, type, pub).toString('hex')}+${Buffer.concat([Buffer.from([type]), pub]).toString('base64')}`; }
const logKey = seedKey(Buffer.from(fs.readFileSync(env.QUOTAD_LOG_KEY, 'utf8').trim().split(' ')[1], 'base64'));
function signNote(body, name, key) {
  const sig = crypto.sign(null, Buffer.from(body), key);
  return `${body}\n\u2014 ${name} ${Buffer.concat([keyId(name, 1, pubOf(key)), sig]).toString('base64')}\n`;
}
function cosign(note, name, key, time) {
  const body = note.slice(0, note.lastIndexOf('\n\n') + 1);
  const ts = Buffer.alloc(8);
  ts.writeBigUInt64BE(BigInt(time));
  const sig = crypto.sign(null, Buffer.from(`cosignature/v1\ntime ${time}\n${body}`), key);
  return `${note}\u2014 ${name} ${Buffer.concat([keyId(name, 4, pubOf(key)), ts, sig]).toString('base64')}\n`;
}
const receiptParts = (r) => {
  const cut = r.indexOf('\n\n');
  return { head: r.slice(0, cut).split('\n'), checkpoint: r.slice(cut + 2) };
};
const joinReceipt = (head, checkpoint) => `${head.join('\n')}\n\n${checkpoint}`;

// --- the tamper proxy: honest until told otherwise
let mode = 'honest', forked = null;
const proxy = http.createServer(async (req, res) => {
  if ((mode === 'fork' || mode === 'cosigned') && req.url === '/v1/checkpoint') return res.end(forked);
  if (mode === 'fork' && req.url === '/v1/log') { // a forking registry serves no witness policy either
    const j = await (await fetch(BASE + req.url)).json();
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ ...j, witness_policy: null }));
  }
  if (mode === 'fork' && req.url.startsWith('/v1/proof/consistency')) {
    return res.end(JSON.stringify({ hashes: [crypto.randomBytes(32).toString('base64')] }));
  }
  const up = await fetch(BASE + req.url, { headers: { 'accept-encoding': 'identity' } });
  const headers = {};
  for (const h of ['content-type', 'content-security-policy', 'location', 'etag', 'cache-control']) if (up.headers.get(h)) headers[h] = up.headers.get(h);
  res.writeHead(up.status, headers);
  res.end(Buffer.from(await up.arrayBuffer()));
});
await new Promise((ok) => proxy.listen(0, '127.0.0.1', ok));
const PROXY = `http://127.0.0.1:${proxy.address().port}`;

const userDir = fs.mkdtempSync(path.join(T, 'chromium-'));
const ctx = await chromium.launchPersistentContext(userDir, {
  executablePath: '/usr/bin/chromium', headless: true, acceptDownloads: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run'],
});

// Opens a page, collecting console errors (a 404 the page expects is named in allow).
async function open(url, allow) {
  const page = await ctx.newPage();
  page.errors = [];
  page.on('console', (m) => { if (m.type() === 'error' && !(allow && allow.test(m.text() + (m.location().url || '')))) page.errors.push(m.text()); });
  page.on('pageerror', (e) => page.errors.push(String(e)));
  await page.goto(url);
  await page.waitForLoadState('networkidle');
  return page;
}
async function axeClean(page, name) {
  await page.evaluate(AXE);
  const r = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations.map((v) => `${v.id}: ${v.nodes.length}`));
  check(`axe finds no violations on ${name}`, r.length === 0, r.join(', '));
}
// Every visible label (data-i18n) changes with the switch, and the page's language with it.
async function langSwitch(page, name) {
  const texts = () => page.$$eval('[data-i18n]', (els) => els.filter((e) => e.offsetParent !== null || e.tagName === 'TITLE')
    .map((e) => [e.dataset.i18n, e.textContent]));
  const before = await texts();
  await page.click('#lang-switch');
  const after = await texts();
  const same = after.filter(([k, v], i) => before[i] && v === before[i][1] && !['ver.standalone.link', 'sector.none'].includes(k));
  check(`the language switch changes every visible label on ${name}`, before.length > 5 && same.length === 0 &&
    (await page.getAttribute('html', 'lang')) === 'zh', same.map((s) => s[0]).join(', '));
  const unlabelled = await page.$$eval('h1, h2, th, button, label, caption, nav a, summary', (els) =>
    els.filter((e) => e.offsetParent !== null && !e.closest('[data-i18n]') && !e.querySelector('[data-i18n]') && !e.id && /[A-Za-z]{3}/.test(e.textContent)
      && !e.closest('#years, tbody')).map((e) => e.outerHTML.slice(0, 80)));
  check(`no fixed English label is left on ${name} in Chinese`, unlabelled.length === 0, unlabelled.join(' | '));
  await page.click('#lang-switch');
}

// ---------------------------------------------------------------- headers
{
  const r = await fetch(`${BASE}/`, { headers: { 'accept-encoding': 'gzip' } });
  const csp = r.headers.get('content-security-policy') || '';
  check('pages carry a strict CSP (default-src self, no inline script)', /default-src 'self'/.test(csp) && !/unsafe-inline/.test(csp), csp);
  check('pages carry X-Content-Type-Options: nosniff', r.headers.get('x-content-type-options') === 'nosniff');
  const html = await r.text();
  const asset = /href="(\/assets\/[0-9a-f]{16}\/app\.css)"/.exec(html);
  check('asset URLs carry the content version', !!asset, html.slice(0, 300));
  const a = await fetch(BASE + asset[1], { headers: { 'accept-encoding': 'gzip' } });
  check('versioned assets are cached for a year', /max-age=31536000, immutable/.test(a.headers.get('cache-control')));
  const raw = await new Promise((ok) => http.get(BASE + asset[1], { headers: { 'accept-encoding': 'gzip' } }, (res) => { res.resume(); ok(res); }));
  check('gzip is sent when accepted', raw.headers['content-encoding'] === 'gzip');
  const etag = r.headers.get('etag');
  const again = await fetch(`${BASE}/`, { headers: { 'if-none-match': etag } });
  check('a page whose ETag the browser holds answers 304', again.status === 304);
  const csv = await (await fetch(`${BASE}/compliance/2024.csv`)).text();
  const comp = await api('/v1/compliance/2024');
  check('the compliance CSV has a row per enterprise', csv.trim().split('\r\n').length === comp.enterprises.length + 1);
  check('an unknown year\'s CSV is 404', (await fetch(`${BASE}/compliance/2031.csv`)).status === 404);
  const years = [...(await (await fetch(`${BASE}/compliance/2024`)).text()).matchAll(/<a href="\/compliance\/(\d{4})\.csv"/g)].map((m) => m[1]);
  check('without JavaScript the compliance page links each compliance year\'s CSV (only 2024 is open)', years.join() === '2024', years.join());
}

// ---------------------------------------------------------------- the log
const log = await api('/v1/log');
{
  const page = await open(`${BASE}/`);
  await page.waitForSelector('#checks li');
  check('the log page shows the origin', (await page.textContent('#origin')) === log.origin);
  check('the log page shows the verifier key', (await page.textContent('#vkey')) === log.verifier_key);
  check('the log page shows the tree size', (await page.textContent('#size')) === fmt(log.tree_size));
  check('the log page shows the latest checkpoint', (await page.textContent('#checkpoint')).startsWith(`${log.origin}\n`));
  check('the checkpoint\'s signature verifies in the browser', (await page.getAttribute('#checks li[data-check=signature]', 'data-state')) === 'pass');
  check('the first checkpoint this browser sees is kept', /first checkpoint/.test(await page.textContent('#checks li[data-check=consistency]')));
  const rows = await page.$$eval('#sigs tbody tr', (trs) => trs.map((tr) => Array.from(tr.cells, (c) => c.textContent)));
  const wrows = rows.filter((r) => r[1] === 'witness');
  check('the log page lists the published checkpoint\'s three witnesses, named as in the policy, with their times',
    wrows.length === 3 && wrows.map((r) => r[4]).sort().join() === 'W1,W2,W3' &&
    wrows.every((r) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/.test(r[2]) && r[3] === 'passed'), JSON.stringify(rows));
  check('the witnesses are checked against the policy the registry publishes under, said as such',
    (await page.getAttribute('#checks li[data-check=witnesses]', 'data-state')) === 'pass' &&
    /served by this registry/.test(await page.textContent('#policysource')) && log.witness_policy === fs.readFileSync(env.QUOTAD_POLICY, 'utf8'));
  check('the log page says when the checkpoint was published', log.published.size === log.tree_size && log.published.time_ms > 0 &&
    (await page.textContent('#published')).startsWith(`size ${fmt(log.tree_size)}, published 20`), await page.textContent('#published'));
  await axeClean(page, 'the log page');
  await langSwitch(page, 'the log page');
  check('the log page has no console error', page.errors.length === 0, page.errors.join(' | '));
  await page.close();
}

// ---------------------------------------------------------------- instruments
{
  const inst = await api('/v1/instruments');
  const page = await open(`${BASE}/instruments`);
  await page.waitForSelector('#instruments tbody tr');
  check('the instruments page has a row per instrument', (await page.$$('#instruments tbody tr')).length === inst.instruments.length);
  const cea = inst.instruments.find((i) => i.code === 'CEA-2024');
  const cells = await page.$$eval('#instruments tbody tr[data-code="CEA-2024"] td', (tds) => tds.map((t) => t.textContent));
  check('CEA-2024 shows the API\'s cap, issued and surrendered', cells[3] === fmt(cea.cap) && cells[4] === fmt(cea.issued) && cells[5] === fmt(cea.surrendered), cells.join(','));
  await axeClean(page, 'the instruments page');
  await langSwitch(page, 'the instruments page');
  check('the instruments page has no console error', page.errors.length === 0, page.errors.join(' | '));
  await page.close();
}

// ---------------------------------------------------------------- compliance
{
  const comp = (await api('/v1/compliance/2024')).enterprises;
  const sum = (k) => comp.reduce((s, r) => s + BigInt(r[k]), 0n);
  const page = await open(`${BASE}/compliance`);
  await page.waitForSelector('#compliance tbody tr');
  check('/compliance goes to the latest year', page.url().endsWith('/compliance/2024'));
  check('the totals count every enterprise', (await page.textContent('#t-count')) === fmt(comp.length));
  check('the obligation total is the API\'s sum', (await page.textContent('#t-emissions')) === `${fmt(sum('emissions'))} t`);
  check('the shortfall total is the API\'s sum', (await page.textContent('#t-shortfall')) === `${fmt(sum('shortfall'))} t`);
  const shorts = comp.filter((r) => r.status === 'short').length;
  check('the short count is the API\'s (4)', (await page.textContent('#t-short')) === String(shorts) && shorts === 4);
  check('a page holds 25 rows', (await page.$$('#compliance tbody tr')).length === 25);
  await page.click('#next');
  check('the second page holds the rest', (await page.$$('#compliance tbody tr')).length === comp.length - 25);
  await page.selectOption('#f-status', 'short');
  check('the status filter shows the short enterprises only', (await page.$$('#compliance tbody tr')).length === shorts);
  await page.selectOption('#f-status', '');
  await page.selectOption('#f-province', '35');
  check('the province filter shows Fujian\'s 12', (await page.$$('#compliance tbody tr')).length === comp.filter((r) => r.province === 35).length);
  await page.selectOption('#f-province', '');
  await page.click('th[data-sort=emissions] button');
  await page.click('th[data-sort=emissions] button');
  const top = comp.reduce((a, b) => (b.emissions > a.emissions ? b : a));
  check('sorting by emissions (descending) puts the largest first', (await page.getAttribute('#compliance tbody tr', 'data-uscc')) === top.uscc);
  check('the CSV link is the year\'s', (await page.getAttribute('#csv', 'href')) === '/compliance/2024.csv');
  await page.setViewportSize({ width: 1440, height: 1000 });
  await page.reload();
  await page.waitForSelector('#compliance tbody tr');
  await page.selectOption('#f-province', '35');
  await page.evaluate(() => document.activeElement.blur());
  fs.mkdirSync(env.QUOTAD_SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(env.QUOTAD_SHOTS, 'compliance.png'), fullPage: true });
  await page.selectOption('#f-province', '');
  await axeClean(page, 'the compliance page');
  await langSwitch(page, 'the compliance page');
  await page.setViewportSize({ width: 375, height: 800 });
  const wide = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
  check('the compliance page fits a phone\'s width (the table scrolls in its box)', wide);
  check('the compliance page has no console error', page.errors.length === 0, page.errors.join(' | '));
  await page.close();
}

// ---------------------------------------------------------------- allocation tables
{
  // run.sh published table 202502 (steel 2025, solved balance value, outputs confidential)
  const list = await api('/v1/allocation-tables');
  const head = (list.tables || []).find((x) => x.id === 202502);
  const full = await api('/v1/allocation-tables/202502');
  check('the API lists the published table, complete, with every unit', head && head.status === 'complete' &&
    full.rows.length === Number(env.QUOTAD_STEEL_UNITS) && full.rows.length > 5, JSON.stringify(head));
  const page = await open(`${BASE}/allocation`);
  await page.waitForSelector('[data-table="202502"] tbody tr');
  check('the allocation page does not say none published', !(await page.isVisible('#none')));
  const shown = await page.$eval('[data-table="202502"] caption .bv', (e) => e.textContent);
  check('the allocation page shows the table\'s balance value as the API gives it', shown === full.bp && /^\d+\.\d+$/.test(shown), `${shown} vs ${full.bp}`);
  const rows = await page.$$eval('[data-table="202502"] tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => [c.textContent, c.title])));
  const want = full.rows.map((r) => [r.uscc, r.unit, r.emissions, r.output.commitment, fmt(r.pre), fmt(r.quota)]);
  const got = rows.map((c) => [c[0][0], c[1][0], c[3][0], c[4][1], c[6][0], c[7][0]]);
  check('the allocation page shows every unit with its emissions, pre-allocation and quota (compared with the API)',
    JSON.stringify(got) === JSON.stringify(want), `${JSON.stringify(got[0])} vs ${JSON.stringify(want[0])}`);
  check('a confidential input is shown as its commitment, not a value',
    rows.every((c) => /^[0-9a-f]{64}$/.test(c[4][1]) && !/\d/.test(c[4][0])));
  check('the caption names the scheme, its vintage and phase', /steel-2025 \(CEA-2025, final quota, complete\)/.test(
    await page.$eval('[data-table="202502"] caption', (e) => e.textContent)));
  await axeClean(page, 'the allocation page');
  await langSwitch(page, 'the allocation page');
  await page.click('#lang-switch');
  const zh = await page.$eval('[data-table="202502"] caption', (e) => e.textContent);
  check('in Chinese the caption and headers are Chinese', /方案/.test(zh) && /最终核定/.test(zh) &&
    (await page.$eval('[data-table="202502"] thead', (e) => e.textContent)).includes('预分配量'), zh);
  await page.click('#lang-switch');
  check('the allocation page has no console error', page.errors.length === 0, page.errors.join(' | '));
  await page.close();
}

// ---------------------------------------------------------------- the verifier
const receipt = fs.readFileSync(path.join(T, 'receipt.tlog-proof'), 'utf8');
async function verifyOn(page, text, policy) {
  await page.fill('#receipt', text);
  if (policy !== undefined) await page.fill('#policy', policy);
  await page.click('#verify-button');
  await page.waitForSelector('#verdict[data-state]');
  const states = Object.fromEntries(await page.$$eval('#checks li', (lis) => lis.map((l) => [l.dataset.check, [l.dataset.state, l.querySelector('.msg') ? l.querySelector('.msg').textContent : l.textContent]])));
  const verdict = await page.getAttribute('#verdict', 'data-state');
  await page.evaluate(() => { document.getElementById('verdict').removeAttribute('data-state'); });
  return { states, verdict };
}
const w1 = crypto.generateKeyPairSync('ed25519').privateKey, w2 = crypto.generateKeyPairSync('ed25519').privateKey;
const policy = `log ${VK}\nwitness w1 ${vkey('witness1.example', 4, pubOf(w1))}\nwitness w2 ${vkey('witness2.example', 4, pubOf(w2))}\ngroup both all w1 w2\nquorum both\n`;
{
  const page = await open(`${BASE}/verify`);
  await page.waitForFunction(() => document.getElementById('vkey').value !== '');
  check('the verify page takes the key from /v1/log and says so', (await page.inputValue('#vkey')) === log.verifier_key &&
    /this registry/.test(await page.textContent('#key-source')));
  let r = await verifyOn(page, receipt);
  check('a receipt from quotactl proof --receipt verifies', r.verdict === 'pass' && Object.values(r.states).every((s) => s[0] === 'pass'), JSON.stringify(r.states));
  check('the transaction is shown in words', /Surrender for 2024 by account/.test(await page.textContent('#tx-words')), await page.textContent('#tx-words'));
  // Receipts of an allocation table's closing entry and of an allocation citing its row (version 2).
  for (const [file, words, zh] of [
    ['receipt-table.tlog-proof', /^Closing of allocation table 202502: recomputed by the ledger/, /^关闭分配表 202502/],
    ['receipt-allocate-v2.tlog-proof', /^Allocation \(final, year 2025\) of [0-9,]+ t of CEA-2025 from account \d+ to account \d+, held to row \d+ of allocation table 202502/,
      /^从账户 \d+ 向账户 \d+ 分配（final，2025 年度）CEA-2025 [0-9,]+ 吨，依据分配表 202502 第 \d+ 行/],
  ]) {
    r = await verifyOn(page, fs.readFileSync(path.join(T, file), 'utf8'));
    const said = await page.textContent('#tx-words');
    check(`a receipt of ${file.slice(8, -11)} verifies and is said in words`, r.verdict === 'pass' &&
      Object.values(r.states).every((s) => s[0] === 'pass') && words.test(said), `${said} ${JSON.stringify(r.states)}`);
    await page.click('#lang-switch');
    const saidZh = await page.textContent('#tx-words');
    check(`the same in Chinese (${file})`, zh.test(saidZh), saidZh);
    await page.click('#lang-switch');
  }
  // Real cosignatures: quota-witness processes cosigned the checkpoint the receipt carries.
  const realPolicy = fs.readFileSync(env.QUOTAD_POLICY, 'utf8');
  const wn = [1, 2, 3].map((i) => `w${i}.browser.example`);
  const rp = receiptParts(receipt);
  const without = (names) => rp.checkpoint.split('\n').filter((l) => !names.some((n) => l.startsWith(`\u2014 ${n} `))).join('\n');
  r = await verifyOn(page, receipt, realPolicy);
  check('a receipt with three quota-witness processes\' cosignatures verifies against their 2-of-3 policy',
    r.verdict === 'pass' && r.states.witnesses[0] === 'pass' && wn.every((n) => r.states.witnesses[1].includes(`${n} cosigned at`)),
    JSON.stringify(r.states.witnesses));
  r = await verifyOn(page, joinReceipt(rp.head, without([wn[2]])), realPolicy);
  check('with one witness\'s cosignature removed the 2-of-3 quorum is still met', r.verdict === 'pass' &&
    r.states.witnesses[1].includes(`${wn[2]} missing`), JSON.stringify(r.states.witnesses));
  r = await verifyOn(page, joinReceipt(rp.head, without([wn[1], wn[2]])), realPolicy);
  check('with two removed it fails: quorum not met, naming the missing witnesses', r.verdict === 'fail' && r.states.witnesses[0] === 'fail' &&
    new RegExp(`quorum not met: ${wn[0]} cosigned at .*${wn[1]} missing.*${wn[2]} missing`).test(r.states.witnesses[1]),
    JSON.stringify(r.states.witnesses));
  await page.setViewportSize({ width: 1100, height: 1300 });
  await page.screenshot({ path: path.join(env.QUOTAD_SHOTS, 'verified-receipt.png'), fullPage: true });
  await axeClean(page, 'the verify page');

  const { head, checkpoint } = receiptParts(receipt);
  const leaf = Buffer.from(head[1].slice(6), 'base64');
  leaf[leaf.length - 3] ^= 1; // a byte of the last signature: the entry still decodes
  r = await verifyOn(page, joinReceipt([head[0], `extra ${leaf.toString('base64')}`, ...head.slice(2)], checkpoint));
  check('one leaf byte changed: the inclusion proof fails', r.verdict === 'fail' && r.states.inclusion[0] === 'fail' &&
    /does not lead to the checkpoint's root/.test(r.states.inclusion[1]), JSON.stringify(r.states.inclusion));

  const h = Buffer.from(head[3], 'base64');
  h[0] ^= 0x80;
  r = await verifyOn(page, joinReceipt([...head.slice(0, 3), h.toString('base64'), ...head.slice(4)], checkpoint));
  check('one proof hash changed: the inclusion proof fails', r.verdict === 'fail' && r.states.inclusion[0] === 'fail', JSON.stringify(r.states));

  const body = checkpoint.slice(0, checkpoint.indexOf('\n\n') + 1);
  const other = crypto.generateKeyPairSync('ed25519').privateKey;
  r = await verifyOn(page, joinReceipt(head, signNote(body, ORIGIN, other)));
  check('a checkpoint signed by another key fails the signature check', r.verdict === 'fail' && r.states.signature[0] === 'fail' &&
    /signed by another key/.test(r.states.signature[1]), JSON.stringify(r.states.signature));

  const t0 = Math.floor(Date.now() / 1000);
  r = await verifyOn(page, joinReceipt(head, cosign(cosign(checkpoint, 'witness1.example', w1, t0), 'witness2.example', w2, t0 + 1)), policy);
  check('with both witnesses\' cosignatures the quorum is met', r.verdict === 'pass' && r.states.witnesses[0] === 'pass' &&
    /quorum met: witness1.example cosigned at/.test(r.states.witnesses[1]), JSON.stringify(r.states.witnesses));
  r = await verifyOn(page, joinReceipt(head, cosign(checkpoint, 'witness1.example', w1, t0)), policy);
  check('a missing witness cosignature fails the quorum', r.verdict === 'fail' && r.states.witnesses[0] === 'fail' &&
    /quorum not met: .*witness2.example missing/.test(r.states.witnesses[1]), JSON.stringify(r.states.witnesses));
  await page.reload();
  await page.waitForFunction(() => document.getElementById('vkey').value !== '');
  check('the verify page restores the reader\'s policy and says where it came from', (await page.inputValue('#policy')) === policy &&
    /kept in this browser/.test(await page.textContent('#policy-source')));
  const bad = cosign(checkpoint, 'witness2.example', w1, t0); // signed with w1's key under w2's name
  r = await verifyOn(page, joinReceipt(head, cosign(bad, 'witness1.example', w1, t0)), policy);
  check('a cosignature by the wrong key is not counted', r.states.witnesses[0] === 'fail', JSON.stringify(r.states.witnesses));
  const entry = (await api(`/v1/entries?start=${log.tree_size - 1}&limit=1`)).entries[0];
  await page.fill('#txid', entry.tx.id);
  await page.fill('#policy', '');
  await page.click('#fetch-receipt');
  await page.waitForSelector('#verdict[data-state]');
  check('on a public log a transaction id fetches a receipt that verifies', (await page.getAttribute('#verdict', 'data-state')) === 'pass' &&
    (await page.inputValue('#receipt')).startsWith('c2sp.org/tlog-proof@v1\nextra '));
  await page.evaluate(() => { document.getElementById('verdict').removeAttribute('data-state'); });
  check('the verify page has no console error', page.errors.length === 0, page.errors.join(' | '));
  await langSwitch(page, 'the verify page');
  await page.close();
}

// ---------------------------------------------------------------- witnesses on the log page
{
  const served = await (await fetch(`${BASE}/v1/checkpoint`)).text();
  const cp = served.split('\n').filter((l) => !l.startsWith('\u2014 ') || l.startsWith(`\u2014 ${ORIGIN} `)).join('\n'); // the log's line only
  forked = cosign(cp, 'witness1.example', w1, 1767225600); // 2026-01-01 00:00:00 UTC
  mode = 'cosigned';
  const page = await open(`${PROXY}/`);
  await page.waitForSelector('#sigs tbody tr');
  const rows = await page.$$eval('#sigs tbody tr', (trs) => trs.map((tr) => Array.from(tr.cells, (c) => c.textContent)));
  check('the log page lists the witness\'s cosignature line with its time', rows.length === 2 && rows[1][0] === 'witness1.example' &&
    rows[1][1] === 'witness' && rows[1][2] === '2026-01-01 00:00:00 UTC', JSON.stringify(rows));
  await page.evaluate((p) => localStorage.setItem('quotad.policy', p), policy); // as the verify page keeps it
  await page.reload();
  await page.waitForSelector('#checks li[data-check=witnesses]');
  const w = await page.textContent('#checks li[data-check=witnesses]');
  const res = await page.$$eval('#sigs tbody tr', (trs) => trs.map((tr) => tr.cells[3].textContent));
  check('with the reader\'s policy the log page checks the witnesses: one of two is not a quorum',
    (await page.getAttribute('#checks li[data-check=witnesses]', 'data-state')) === 'fail' && /witness1.example cosigned at .*witness2.example missing/.test(w) &&
    res[1] === 'passed' && /yours/.test(await page.textContent('#policysource')), `${w} ${res}`);
  await page.evaluate(() => localStorage.removeItem('quotad.policy'));
  mode = 'honest';
  await page.close();
}

// ---------------------------------------------------------------- split view through a tampering server
{
  const page = await open(`${PROXY}/`);
  await page.waitForSelector('#checks li[data-check=consistency]');
  const size = log.tree_size;
  const fake = crypto.randomBytes(32).toString('base64');
  forked = signNote(`${ORIGIN}\n${size}\n${fake}\n`, ORIGIN, logKey); // the real log key, another tree
  mode = 'fork';
  await page.reload();
  await page.waitForSelector('#checks li[data-check=consistency]');
  const li = await page.textContent('#checks li[data-check=consistency]');
  check('a forked checkpoint of the same size, signed by the log key, is caught as inconsistent',
    (await page.getAttribute('#checks li[data-check=consistency]', 'data-state')) === 'fail' && /NOT consistent/.test(li), li);
  forked = signNote(`${ORIGIN}\n${size + 5}\n${fake}\n`, ORIGIN, logKey);
  const v = await open(`${PROXY}/verify`);
  await v.waitForFunction(() => document.getElementById('vkey').value !== '');
  const { head } = receiptParts(receipt);
  const r = await verifyOn(v, joinReceipt(head, forked));
  check('a receipt whose checkpoint does not extend the stored one fails the consistency check',
    r.states.consistency[0] === 'fail' && /NOT consistent/.test(r.states.consistency[1]), JSON.stringify(r.states.consistency));
  mode = 'honest';
  await page.close();
  await v.close();
}

// ---------------------------------------------------------------- the standalone file, from disk
{
  const file = path.join(T, 'quotad-verifier.html');
  fs.writeFileSync(file, Buffer.from(await (await fetch(`${BASE}/quotad-verifier.html`)).arrayBuffer()));
  const page = await open(`file://${file}`);
  await page.fill('#vkey', VK);
  let r = await verifyOn(page, receipt);
  check('the standalone file opened from disk verifies a receipt', r.verdict === 'pass' && r.states.inclusion[0] === 'pass', JSON.stringify(r.states));
  const early = fs.readFileSync(path.join(T, 'receipt-early.tlog-proof'), 'utf8');
  r = await verifyOn(page, early);
  check('the standalone file verifies a second receipt of the same tree', r.verdict === 'pass', JSON.stringify(r.states));
  await page.fill('#vkey', vkey(ORIGIN, 1, pubOf(crypto.generateKeyPairSync('ed25519').privateKey)));
  r = await verifyOn(page, receipt);
  check('the standalone file refuses a receipt under another verifier key', r.verdict === 'fail' && r.states.signature[0] === 'fail');
  await axeClean(page, 'the standalone verifier');
  await langSwitch(page, 'the standalone verifier');
  check('the standalone file has no console error', page.errors.length === 0, page.errors.join(' | '));
  await page.close();
}

await ctx.close();
proxy.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
