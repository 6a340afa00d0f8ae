// SPDX-License-Identifier: MIT
// Hostile-request test of examples/billing_dashboard: starts the real binary on a free
// loopback port with a fresh in-memory store, sends it what an attacker or a broken client
// would (bad percent-encoding, invalid UTF-8 in every parameter, huge values, 40 × "é",
// cross-origin writes, wrong and DNS-rebound Host headers, wrong content types, oversized
// bodies, slowloris connections, more connections than allowed, a model name of HTML and
// script from the host's rate card, budgets asked for with every bad businessId, a call
// past a hard budget, the breakdown per end user with every bad dimension, period and
// businessId, LLM calls with every bad endUser, an end user of markup) and checks each status
// code, that nothing was recorded by a refused write, that a normal client is served
// while slow clients dribble headers, and that the server is alive and answering at the end.
// Only Node's built-in modules; raw sockets, so every byte sent is exactly the test's.
//
//   node hostile.test.mjs <billing_dashboard binary>
import { spawn } from 'node:child_process';
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const [binary] = process.argv.slice(2);
if (!binary) {
  console.error('usage: node hostile.test.mjs <billing_dashboard>');
  process.exit(2);
}
const acme = '6f1c2a4e-8d3b-4f5a-9c7e-1b2d3e4f5a6b';
const curry = '1c2d3e4f-5a6b-4c7d-8e9f-a0b1c2d3e4f5';  // the seed's hard budget "ai-cap" is exceeded
const unknownBusiness = '11111111-1111-4111-8111-111111111111';
const requestTimeoutMs = 2000;  // the server's whole-request deadline in this test
const maxConnections = 16;
const started = Date.now();
// A model whose name is markup: the host's card (and so the provider's string) is not ours.
const evilModel = 'evil/<img src=x onerror="alert(1)">&amp;<script>alert(2)</script>\'"';
const work = mkdtempSync(join(tmpdir(), 'metered-hostile-'));
const cardFile = join(work, 'card.json');
writeFileSync(cardFile, JSON.stringify({ models: { [evilModel]: { prices: [
  { from: '2020-01-01', per: '1M', input: '1', output: '2' }] } } }));

function startServer() {
  const server = spawn(binary, ['--store', 'memory:', '--seed-scenario', '--port', '0', '--rate-card', cardFile,
                                '--request-timeout-ms', String(requestTimeoutMs),
                                '--max-connections', String(maxConnections)],
                       { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let output = '';
    server.stdout.on('data', (chunk) => {
      output += chunk;
      const match = output.match(/http:\/\/127\.0\.0\.1:(\d+)\//);
      if (match) resolve({ server, port: Number(match[1]) });
    });
    server.on('exit', (code, signal) => reject(new Error(`billing_dashboard exited (${code ?? signal}): ${output}`)));
    setTimeout(() => reject(new Error('billing_dashboard did not start')), 30000).unref();
  });
}

const { server, port } = await startServer();
let exited = null;
server.on('exit', (code, signal) => { exited = code ?? signal; });
const host = `127.0.0.1:${port}`;

// Parses an HTTP response; null while incomplete (`ended`: the server closed the socket).
function parseResponse(buffer, ended) {
  const text = buffer.toString('latin1');
  const split = text.indexOf('\r\n\r\n');
  if (split < 0) return ended ? { status: 0, headers: {}, body: '' } : null;
  const head = text.slice(0, split);
  const status = Number((head.match(/^HTTP\/1\.[01] (\d{3})/) || [])[1] || 0);
  const headers = {};
  for (const line of head.split('\r\n').slice(1)) {
    const at = line.indexOf(':');
    if (at > 0) headers[line.slice(0, at).toLowerCase()] = line.slice(at + 1).trim();
  }
  const body = buffer.subarray(Buffer.byteLength(head, 'latin1') + 4);
  const length = Number(headers['content-length'] ?? NaN);
  if (!ended && !(body.length >= length)) return null;
  return { status, headers, body: body.toString('utf8') };
}

// Sends `bytes` on a fresh connection and reads one response (complete by its
// Content-Length, or when the server closes the connection).
function raw(bytes, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no response in time to ${Buffer.from(bytes).toString('latin1').split('\r\n')[0].slice(0, 120)}`));
    }, timeoutMs);
    const finish = (ended) => {
      const response = parseResponse(received, ended);
      if (!response) return;
      clearTimeout(timer);
      socket.destroy();
      resolve(response);
    };
    socket.on('data', (chunk) => { received = Buffer.concat([received, chunk]); finish(false); });
    socket.on('error', () => {});  // a reset after the response is fine
    socket.on('close', () => finish(true));
    socket.write(bytes);
  });
}

function get(target, extra = {}) {
  const headers = { Host: host, Connection: 'close', ...extra };
  const lines = Object.entries(headers).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}: ${v}`);
  return raw(Buffer.concat([Buffer.from(`GET ${target} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`, 'latin1')]));
}

function post(target, body, extra = {}) {
  const payload = Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1');
  const headers = { Host: host, Origin: `http://${host}`, 'Content-Type': 'application/x-www-form-urlencoded',
                    'Content-Length': payload.length, Connection: 'close', ...extra };
  const lines = Object.entries(headers).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}: ${v}`);
  return raw(Buffer.concat([Buffer.from(`POST ${target} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`, 'latin1'), payload]));
}

async function expect(status, responsePromise, what) {
  const response = await responsePromise;
  assert.equal(response.status, status, `${what}: got ${response.status} ${response.body}`);
  if (status >= 400 && status !== 503) {
    const body = JSON.parse(response.body);  // always JSON, always valid UTF-8
    assert.equal(body.success, false, what);
    assert.ok(body.error.length > 0, what);
  }
  assert.equal(exited, null, `the server died after: ${what}`);
  return response;
}

async function apiCalls() {
  const response = await expect(200, get(`/api/billing/analytics?businessId=${acme}&days=1`), 'analytics');
  return JSON.parse(response.body).data.billingUsage.apiCalls;
}

const analytics = (query) => `/api/billing/analytics?businessId=${acme}&${query}`;
const e40 = '%C3%A9'.repeat(40);
let checks = 0;
async function check(status, promise, what) { await expect(status, promise, what); ++checks; }

try {
  // ---- the requests that used to end the process, and their kin ----
  const badValues = ['%FF', '%C3', '%E9%80', '%ED%A0%80', '%C0%AF', e40, '%', '%G1', '%%%', '%00', '%0A%0D',
                     'x'.repeat(5000), '9'.repeat(400), '1e999999', '-1', 'NaN', 'Infinity'];
  for (const value of badValues) {
    await check(400, get(analytics(`period=${value}`)), `period=${value.slice(0, 40)}`);
    await check(400, get(analytics(`days=${value}`)), `days=${value.slice(0, 40)}`);
    await check(400, get(`/api/billing/analytics?businessId=${value}`), `businessId=${value.slice(0, 40)}`);
    await check(400, get(`/api/budgets?businessId=${value}`), `budgets businessId=${value.slice(0, 40)}`);
    await check(400, post('/api/usage/voice-minutes', `businessId=${acme}&minutes=${value}`), `minutes=${value.slice(0, 40)}`);
    await check(400, post('/api/usage/api-call', `businessId=${value}`), `POST businessId=${value.slice(0, 40)}`);
    await check(400, get(`/api/billing/bill?businessId=${acme}&period=${value}`), `bill period=${value.slice(0, 40)}`);
    await check(400, post('/api/usage/llm-call', `businessId=${acme}&model=${value}`), `model=${value.slice(0, 40)}`);
    await check(400, post('/api/usage/llm-call', `businessId=${acme}&model=openai%2Fgpt-4o-mini&input=${value}`),
                `input=${value.slice(0, 40)}`);
    await check(400, post('/api/usage/llm-call', `businessId=${acme}&model=openai%2Fgpt-4o-mini&output=${value}`),
                `output=${value.slice(0, 40)}`);
  }
  for (const model of ['openai%2Fno-such-model', 'openai', '%2Fgpt-4o', 'openai%2F', 'evil%2F%3Cscript%3E']) {
    await check(400, post('/api/usage/llm-call', `businessId=${acme}&model=${model}&input=1`), `model=${model}`);
  }
  await check(400, post('/api/usage/llm-call', `businessId=${acme}`), 'no model');
  // Raw (not percent-encoded) invalid UTF-8 and control bytes in the query and the body.
  const rawBytes = Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82]);
  await check(400, raw(Buffer.concat([Buffer.from(`GET /api/billing/analytics?businessId=${acme}&period=`),
                                      rawBytes, Buffer.from(` HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)])),
              'raw invalid UTF-8 in the query');
  await check(400, post('/api/usage/voice-minutes', Buffer.concat([Buffer.from(`businessId=${acme}&minutes=`), rawBytes])),
              'raw invalid UTF-8 in the body');
  // The error text never carries raw request bytes: invalid UTF-8 comes back replaced.
  const echoed = await get(analytics('period=%FF%FE'));
  assert.ok(!echoed.body.includes('\uFFFD\uFFFD\uFFFD'), 'one replacement per bad byte at most');
  assert.doesNotThrow(() => JSON.parse(echoed.body));
  await check(400, post('/api/usage/voice-minutes', `businessId=${acme}&minutes=${'%C3%A9'.repeat(40)}`), '40 × é minutes');
  await check(400, get(analytics('days=0')), 'days=0');
  await check(404, get('/api/billing/analytics?businessId=11111111-1111-4111-8111-111111111111'), 'unknown business');
  await check(404, get('/%FF%00/../../etc/passwd'), 'odd path');

  // ---- budgets: a missing, malformed or unknown business is 400/404 JSON, never a 500 ----
  for (const query of ['', '?', '?businessId', '?businessId=', `?businessid=${acme}`, `?business=${acme}`,
                       `?businessId=${acme.toUpperCase().replace(/-/g, '')}x`, `?businessId=%20${acme}`,
                       `?businessId=${acme}%00`, `?businessId=${encodeURIComponent('<script>alert(1)</script>')}`,
                       `?businessId=${acme}'--`, `?businessId[]=${acme}`]) {
    const response = await expect(400, get(`/api/budgets${query}`), `budgets${query}`);
    assert.match(JSON.parse(response.body).error, /businessId/, `budgets${query}`);
    ++checks;
  }
  await check(400, raw(Buffer.concat([Buffer.from('GET /api/budgets?businessId='), rawBytes,
                                      Buffer.from(` HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)])),
              'budgets: raw invalid UTF-8 in businessId');
  await check(404, get(`/api/budgets?businessId=${unknownBusiness}`), 'budgets of an unknown business');
  await check(404, get(`/api/budgets/${acme}`), 'budgets: a path, not a query');
  const noBudgets = await expect(200, get(`/api/budgets?businessId=${acme}`), 'budgets of a business without any');
  assert.equal(noBudgets.body, '{"success":true,"data":[]}');
  assert.equal(noBudgets.headers['content-type'], 'application/json');
  const capStatus = async () => {
    const response = await expect(200, get(`/api/budgets?businessId=${curry}`), 'budgets of Curry Corner');
    const data = JSON.parse(response.body).data;
    assert.deepEqual(data.map((s) => [s.budget.id, s.budget.kind, s.exceeded]), [['ai-cap', 'hard', true]]);
    return response.body;
  };
  const capBefore = await capStatus();
  // A call past the hard cap is refused with 402 JSON naming the budget, and records nothing.
  const refusedCall = await expect(402, post('/api/usage/llm-call',
    `businessId=${curry}&model=google%2Fgemini-2.5-flash&input=1000&output=10`), 'an LLM call past the hard cap');
  assert.match(JSON.parse(refusedCall.body).error, /ai-cap/);
  assert.equal(await capStatus(), capBefore, 'a refused call changed the budget');
  // Writes to the budgets route are not routes (nothing to create budgets over HTTP).
  await check(404, post('/api/budgets', `businessId=${curry}&amount=1000000`), 'POST /api/budgets');
  assert.equal(await capStatus(), capBefore);
  checks += 2;
  // ---- the breakdown per dimension: bad queries are 400/404 JSON, never a 500 ----
  const breakdown = (query) => `/api/billing/breakdown?${query}`;
  for (const value of badValues) {
    await check(400, get(breakdown(`businessId=${acme}&period=${value}`)), `breakdown period=${value.slice(0, 40)}`);
    await check(400, get(breakdown(`businessId=${acme}&dimension=${value}`)), `breakdown dimension=${value.slice(0, 40)}`);
    await check(400, get(breakdown(`businessId=${value}`)), `breakdown businessId=${value.slice(0, 40)}`);
  }
  for (const dimension of ['', 'region', 'END_USER', 'end_user%00', 'model%20', '%3Cscript%3E', '(other)', 'end_user,model',
                           'a'.repeat(33)]) {
    const response = await expect(400, get(breakdown(`businessId=${acme}&dimension=${dimension}`)), `dimension=${dimension}`);
    assert.match(JSON.parse(response.body).error, /dimension/, `dimension=${dimension}`);
    ++checks;
  }
  for (const query of ['', 'businessId=', 'dimension=end_user', `businessid=${acme}`]) {
    await check(400, get(breakdown(query)), `breakdown ${query}`);
  }
  // The server closes a connection after a 400, and says so (a keep-alive client must not reuse it).
  const keepAlive = { Connection: 'keep-alive' };
  const closing = await expect(400, get(breakdown(`businessId=${acme}&dimension=region`), keepAlive), 'a 400 closes');
  assert.equal(closing.headers.connection, 'close');
  const kept = await expect(200, get(breakdown(`businessId=${acme}`), keepAlive), 'a 200 keeps the connection');
  assert.equal(kept.headers.connection, undefined);
  await check(404, get(breakdown(`businessId=${unknownBusiness}`)), 'breakdown of an unknown business');
  await check(404, post('/api/billing/breakdown', `businessId=${acme}`), 'POST /api/billing/breakdown');
  const noGroups = async () => {
    for (const dimension of ['end_user', 'model']) {
      const response = await expect(200, get(breakdown(`businessId=${acme}&dimension=${dimension}`)), dimension);
      assert.equal(response.headers['content-type'], 'application/json');
      assert.deepEqual(JSON.parse(response.body).data.groups, [], `acme's ${dimension}s`);
    }
  };
  await noGroups();
  // ---- a bad endUser on an LLM call: 400 naming the field, nothing recorded ----
  for (const endUser of ['', 'u'.repeat(65), e40, '%FF', '%C3', '%ED%A0%80', '%00', 'a%00b', '(other)']) {
    const response = await expect(400, post('/api/usage/llm-call',
      `businessId=${acme}&model=openai%2Fgpt-4o-mini&input=1&endUser=${endUser}`), `endUser=${endUser.slice(0, 40)}`);
    assert.match(JSON.parse(response.body).error, /end_user/, `endUser=${endUser.slice(0, 40)}`);
    ++checks;
  }
  await check(400, post('/api/usage/llm-call', Buffer.concat([
    Buffer.from(`businessId=${acme}&model=openai%2Fgpt-4o-mini&input=1&endUser=`), rawBytes])), 'raw invalid UTF-8 endUser');
  await noGroups();
  const longUrl = await get(analytics(`period=${'a'.repeat(20000)}`));
  assert.ok(longUrl.status >= 400 && longUrl.status < 500, `a 20 kB URL: ${longUrl.status}`);
  const longHeader = await get(analytics(''), { 'X-Long': 'h'.repeat(20000) });
  assert.ok(longHeader.status >= 400 && longHeader.status < 500 || longHeader.status === 0, 'a 20 kB header');

  // ---- Host: only this server's own names (DNS rebinding gets nothing) ----
  for (const bad of ['evil.example', `evil.example:${port}`, `127.0.0.1:${port + 1}`, `localhost.evil.example:${port}`,
                     '127.0.0.1', '']) {
    await check(421, get(analytics('period=current_month'), { Host: bad }), `Host: ${bad}`);
  }
  await check(421, get(analytics('period=current_month'), { Host: undefined }), 'no Host');
  await check(421, raw(`GET /api/businesses HTTP/1.1\r\nHost: ${host}\r\nHost: evil.example\r\nConnection: close\r\n\r\n`),
              'two Host headers');
  await check(200, get(analytics('period=current_month'), { Host: `localhost:${port}` }), 'Host: localhost');
  await check(200, get('/api/businesses'), 'Host: 127.0.0.1');

  // ---- cross-site writes are refused, and record nothing ----
  const before = await apiCalls();
  await check(403, post('/api/usage/voice-minutes', `businessId=${acme}&minutes=1000`, { Origin: 'https://evil.example' }),
              'cross-origin POST');
  await check(403, post('/api/usage/api-call', `businessId=${acme}`, { Origin: 'null' }), 'Origin: null');
  await check(403, post('/api/usage/api-call', `businessId=${acme}`, { Origin: `http://localhost:${port + 1}` }),
              'another local port');
  await check(403, post('/api/usage/api-call', `businessId=${acme}`, { Origin: undefined, 'Sec-Fetch-Site': 'cross-site' }),
              'Sec-Fetch-Site: cross-site');
  await check(403, post('/api/usage/api-call', `businessId=${acme}`, { 'Sec-Fetch-Site': 'same-site' }),
              'Sec-Fetch-Site: same-site');
  await check(421, post('/api/usage/api-call', `businessId=${acme}`, { Host: 'evil.example', Origin: 'http://evil.example' }),
              'rebound POST');
  for (const type of ['text/plain', 'multipart/form-data; boundary=x', 'application/json', undefined]) {
    await check(415, post('/api/usage/api-call', `businessId=${acme}`, { 'Content-Type': type }), `Content-Type ${type}`);
  }
  await check(413, post('/api/usage/api-call', `businessId=${acme}&pad=${'p'.repeat(20000)}`), 'a 20 kB body');
  assert.equal(await apiCalls(), before, 'a refused write recorded usage');
  const ok = await check(200, post('/api/usage/api-call', `businessId=${acme}`, { 'Sec-Fetch-Site': 'same-origin' }),
                         'same-origin POST');
  void ok;
  await check(200, post('/api/usage/voice-minutes', `businessId=${acme}&minutes=2.5`,
                        { 'Content-Type': 'application/x-www-form-urlencoded;charset=UTF-8' }), 'form with charset');
  assert.equal(await apiCalls(), before + 1);
  await check(403, post('/api/usage/llm-call', `businessId=${acme}&model=openai%2Fgpt-4o-mini&input=1`,
                        { Origin: 'https://evil.example' }), 'cross-origin LLM call');
  const aiBefore = JSON.parse((await get(`/api/billing/bill?businessId=${acme}`)).body).data.aiLines;
  assert.deepEqual(aiBefore, [], 'a refused LLM call recorded usage');

  // ---- a model and an end user named with HTML and script come back as data, exactly, in JSON only ----
  const evilUser = '<img src=x onerror="alert(1)">\'"&amp;<script>';
  const recorded = await expect(200, post('/api/usage/llm-call',
    `businessId=${acme}&model=${encodeURIComponent(evilModel)}&input=1000&output=500&endUser=${encodeURIComponent(evilUser)}`),
    'LLM call of the markup model');
  assert.equal(JSON.parse(recorded.body).cost, '0.002');  // 1000 × $1 + 500 × $2 per million
  for (const target of [analytics('period=current_month'), `/api/billing/bill?businessId=${acme}`]) {
    const response = await expect(200, get(target), target);
    assert.equal(response.headers['content-type'], 'application/json', target);
    assert.equal(response.headers['x-content-type-options'], 'nosniff', target);
    const data = JSON.parse(response.body).data;
    const lines = data.billingUsage?.aiUsage ?? data.aiLines;
    assert.equal(lines.length, 1, target);
    assert.equal(lines[0].model, evilModel, target);
    assert.equal(lines[0].calls, 1, target);
    ++checks;
  }
  for (const [dimension, value] of [['end_user', evilUser], ['model', evilModel]]) {
    const response = await expect(200, get(breakdown(`businessId=${acme}&dimension=${dimension}`)), `${dimension} breakdown`);
    const groups = JSON.parse(response.body).data.groups;
    assert.deepEqual(groups.map((g) => [g.value, g.listCost]), [[value, 0.002]], `${dimension} breakdown`);
    ++checks;
  }

  // ---- security headers on pages and errors alike ----
  for (const response of [await get('/'), await get(analytics('period=%FF'))]) {
    assert.match(response.headers['content-security-policy'], /frame-ancestors 'none'/);
    assert.equal(response.headers['x-frame-options'], 'DENY');
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
    assert.equal(response.headers['referrer-policy'], 'no-referrer');
  }

  // ---- slowloris: slow clients are cut off at the deadline, a normal client is served ----
  const slow = [];
  for (let i = 0; i < 8; ++i) {
    const socket = net.connect(port, '127.0.0.1');
    const state = { socket, closedAt: null, timer: null };
    socket.on('error', () => {});
    socket.resume();  // read what the server sends, so that its close is seen at once
    socket.on('close', () => { state.closedAt = Date.now(); clearInterval(state.timer); });
    socket.write(`GET /api/businesses HTTP/1.1\r\nHost: ${host}\r\n`);
    state.timer = setInterval(() => { if (!socket.destroyed) socket.write(`X-Slow-${Date.now()}: 1\r\n`); }, 400);
    slow.push(state);
  }
  const slowStart = Date.now();
  await new Promise((r) => setTimeout(r, 500));
  const t0 = Date.now();
  await check(200, get('/api/businesses'), 'a normal request among slow clients');
  assert.ok(Date.now() - t0 < 2000, `a normal request took ${Date.now() - t0} ms among slow clients`);
  await new Promise((r) => setTimeout(r, requestTimeoutMs + 1500));
  for (const state of slow) {
    assert.ok(state.closedAt !== null, `a slow client was not cut off (${slow.map((s) => s.closedAt && s.closedAt - slowStart)})`);
    assert.ok(state.closedAt - slowStart < requestTimeoutMs + 1500, `cut off after ${state.closedAt - slowStart} ms`);
    state.socket.destroy();
  }

  // ---- connections beyond the limit are refused at once; the server recovers ----
  const idle = [];
  let refused = 0;
  for (let i = 0; i < maxConnections + 14; ++i) {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.on('close', () => { ++refused; });
    socket.resume();  // read (and drop) the 503, so that the server's close is seen
    idle.push(socket);
    await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise((r) => setTimeout(r, 1000));
  assert.ok(refused >= 14, `only ${refused} connections over the limit were closed`);
  const busy = await get('/api/businesses');
  assert.ok(busy.status === 503 || busy.status === 0, `at the limit: ${busy.status}`);
  for (const socket of idle) socket.destroy();
  await new Promise((r) => setTimeout(r, 300));

  // ---- still alive and answering ----
  assert.equal(exited, null, 'the server died');
  await check(200, get(analytics('period=current_month')), 'after everything');
  const final = JSON.parse((await get(analytics('period=calendar_month'))).body);
  assert.equal(final.success, true);
  console.log(`hostile-request test passed: ${checks} checks in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} finally {
  server.kill();
  rmSync(work, { recursive: true, force: true });
}
