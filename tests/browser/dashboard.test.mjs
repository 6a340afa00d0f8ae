// SPDX-License-Identifier: MIT
// Browser test of examples/billing_dashboard: starts the server on a free loopback port
// with a fresh SQLite store holding the seed scenario, checks the API's answers, then
// drives Debian's headless Chromium (never a downloaded browser) through the page:
// the card shows what the library computes ($8.31), recording through the page moves it,
// the AI table shows each model's calls, rate-card cost, charge and parts exactly as the
// server computed them, a model named with HTML and script is shown as text (no element,
// no dialog), the budget bars (fill = spent / amount, a marker per threshold, soft or hard,
// exceeded) match /api/budgets, the cost by end user (table and bars) matches
// /api/billing/breakdown and the seed's hand-worked figures, an end user named with markup
// is text, and a screenshot is saved.
//
//   node dashboard.test.mjs <billing_dashboard binary> <screenshot.png>
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const [binary, screenshot] = process.argv.slice(2);
if (!binary || !screenshot) {
  console.error('usage: node dashboard.test.mjs <billing_dashboard> <screenshot.png>');
  process.exit(2);
}
const acme = '6f1c2a4e-8d3b-4f5a-9c7e-1b2d3e4f5a6b';
const bella = '8a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
const curry = '1c2d3e4f-5a6b-4c7d-8e9f-a0b1c2d3e4f5';
const work = mkdtempSync(join(tmpdir(), 'metered-dashboard-'));
// The host's card prices a model whose name is markup: the page must show it as text.
const evilModel = 'evil/<img src=x onerror="alert(1)"><script>alert(2)</script>&amp;';
const cardFile = join(work, 'card.json');
writeFileSync(cardFile, JSON.stringify({ models: { [evilModel]: { prices: [
  { from: '2020-01-01', per: '1M', input: '1', output: '2' }] } } }));
// A budget on that model (besides the seed's budgets), with a threshold past its amount.
const budgetsFile = join(work, 'budgets.json');
writeFileSync(budgetsFile, JSON.stringify([{ businessId: bella, id: 'evil-model', model: evilModel, amount: '1',
                                             kind: 'hard', thresholdsPercent: [25, 150] }]));

function startServer(extra = []) {
  const server = spawn(binary, ['--store', `sqlite:${join(work, 'store.db')}`, '--seed-scenario', '--port', '0',
                                '--rate-card', cardFile, '--budgets', budgetsFile, ...extra],
                       { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let output = '';
    server.stdout.on('data', (chunk) => {
      output += chunk;
      const match = output.match(/http:\/\/127\.0\.0\.1:(\d+)\//);
      if (match) resolve({ server, url: `http://127.0.0.1:${match[1]}` });
    });
    server.on('exit', (code) => reject(new Error(`billing_dashboard exited with ${code}: ${output}`)));
    setTimeout(() => reject(new Error('billing_dashboard did not start')), 30000);
  });
}

async function status(url, options) {
  const response = await fetch(url, options);
  const body = await response.json();
  return { code: response.status, body };
}

// A budget id is 1–64 of [A-Za-z0-9_.-]: one of markup is refused before serving.
const badBudgets = join(work, 'bad-budgets.json');
writeFileSync(badBudgets, JSON.stringify([{ businessId: bella, id: '<img src=x onerror=alert(1)>', amount: '1' }]));
const refused = spawn(binary, ['--store', 'memory:', '--port', '0', '--budgets', badBudgets],
                      { stdio: ['ignore', 'ignore', 'pipe'] });
let refusedError = '';
refused.stderr.on('data', (chunk) => { refusedError += chunk; });
assert.equal(await new Promise((resolve) => refused.on('exit', resolve)), 1);
assert.match(refusedError, /id: must be 1 to 64 characters/);

const { server, url } = await startServer();
let browser;
try {
  // The API: the seed's shape and figures, and clear errors.
  const ok = await status(`${url}/api/billing/analytics?businessId=${acme}&period=current_month&days=30`);
  assert.equal(ok.code, 200);
  assert.equal(ok.body.success, true);
  assert.deepEqual(Object.keys(ok.body.data), ['billingUsage', 'trends']);
  assert.equal(ok.body.data.billingUsage.apiCalls, 1500);
  assert.equal(ok.body.data.billingUsage.minutesUsed, 75.5);
  assert.equal(ok.body.data.billingUsage.cost, 8.31);
  assert.equal(ok.body.data.trends.length, 30);
  for (const query of ['', 'businessId=not-a-uuid', `businessId=${acme}&period=this_year`,
                       `businessId=${acme}&days=0`, `businessId=${acme}&days=367`, `businessId=${acme}&days=ten`]) {
    const bad = await status(`${url}/api/billing/analytics?${query}`);
    assert.equal(bad.code, 400, query);
    assert.equal(bad.body.success, false);
    assert.ok(bad.body.error.length > 0);
  }
  assert.equal(ok.body.data.billingUsage.aiUsage, undefined);  // Acme Pizza: the seed's usage only
  // Bella Bistro's demo LLM calls, at cost on the basic plan (billing_dashboard.cpp works them out).
  const ai = await status(`${url}/api/billing/analytics?businessId=${bella}&days=1`);
  assert.equal(ai.body.data.billingUsage.cost, 0.16);
  assert.deepEqual(ai.body.data.billingUsage.aiUsage.map((l) => [l.model, l.calls, l.cost, l.amount]),
                   [['anthropic/claude-sonnet-4', 10, 0.135, 0.14], ['openai/gpt-4o-mini', 40, 0.0168, 0.02]]);
  const bill = await status(`${url}/api/billing/bill?businessId=${bella}`);
  assert.equal(bill.code, 200);
  assert.equal(bill.body.data.total, 0.16);
  assert.deepEqual(bill.body.data.aiLines[1].parts.map((p) => [p.part, p.quantity, p.cost]),
                   [['input', 48000, 0.0072], ['cached_input', 32000, 0.0024], ['output', 12000, 0.0072],
                    ['requests', 40, 0]]);
  const unknown = await status(`${url}/api/billing/analytics?businessId=11111111-1111-4111-8111-111111111111`);
  assert.equal(unknown.code, 404);

  // Budgets (the seed's, billing_dashboard.cpp works them out, and the test's), exact.
  const budgetRows = (list) => list.map((s) => [s.budget.id, s.budget.model, s.budget.kind, s.budget.amount, s.spent,
                                                s.remaining, s.percent, s.crossedThresholds, s.exceeded]);
  const bellaBudgets = await status(`${url}/api/budgets?businessId=${bella}`);
  assert.equal(bellaBudgets.code, 200);
  assert.deepEqual(budgetRows(bellaBudgets.body.data),
                   [['evil-model', evilModel, 'hard', 1, 0, 1, 0, [], false],
                    ['monthly-ai', null, 'soft', 0.25, 0.1518, 0.0982, 60.72, [50], false],
                    ['sonnet-cap', 'anthropic/claude-sonnet-4', 'hard', 0.2, 0.135, 0.065, 67.5, [50], false]]);
  assert.deepEqual(bellaBudgets.body.data[1].budget.thresholdsPercent, [50, 80, 100]);
  assert.deepEqual(Object.keys(bellaBudgets.body.data[1].cycle), ['from', 'to']);
  const curryBudgets = await status(`${url}/api/budgets?businessId=${curry}`);
  assert.deepEqual(budgetRows(curryBudgets.body.data),
                   [['ai-cap', null, 'hard', 0.07, 0.0725, 0, 103.57, [50, 80, 100], true]]);
  assert.deepEqual((await status(`${url}/api/budgets?businessId=${acme}`)).body, { success: true, data: [] });
  for (const query of ['', 'businessId=not-a-uuid']) {
    assert.equal((await status(`${url}/api/budgets?${query}`)).code, 400, query);
  }
  assert.equal((await status(`${url}/api/budgets?businessId=11111111-1111-4111-8111-111111111111`)).code, 404);
  // Curry Corner's hard cap is exceeded: a further LLM call is refused (402) and not recorded.
  const capped = await fetch(`${url}/api/usage/llm-call`, {
    method: 'POST', headers: { Origin: url },
    body: new URLSearchParams({ businessId: curry, model: 'google/gemini-2.5-flash', input: '1000' }) });
  assert.equal(capped.status, 402);
  assert.match((await capped.json()).error, /ai-cap/);
  assert.equal((await status(`${url}/api/budgets?businessId=${curry}`)).body.data[0].spent, 0.0725);

  // Cost by end user (and by feature, by model): each value's list cost, the seed's calls at
  // the rate card (billing_dashboard.cpp works them out), exact; bad queries 400/404.
  const breakdown = async (business, dimension) => {
    const query = new URLSearchParams({ businessId: business, ...(dimension ? { dimension } : {}) });
    const answer = await status(`${url}/api/billing/breakdown?${query}`);
    assert.equal(answer.code, 200, `breakdown ${dimension}`);
    assert.equal(answer.body.success, true);
    return answer.body.data;
  };
  const groupRows = (data) => data.groups.map((g) => [g.value, g.usage.reduce((n, u) => n + u.events, 0), g.listCost]);
  const bellaUsers = await breakdown(bella);
  assert.equal(bellaUsers.dimension, 'end_user');
  assert.deepEqual(groupRows(bellaUsers), [['guest-ana', 22, 0.0354], ['guest-ben', 17, 0.07254], ['table-7', 11, 0.04386]]);
  assert.deepEqual(bellaUsers.groups[1].usage.map((u) => [u.type, u.events, u.listCost]), [['llm_call', 17, 0.07254]]);
  assert.deepEqual(groupRows(await breakdown(curry, 'end_user')), [['guest-dev', 15, 0.0435], ['guest-esha', 10, 0.029]]);
  assert.deepEqual(groupRows(await breakdown(bella, 'feature')), [['menu_questions', 10, 0.135], ['order_taking', 40, 0.0168]]);
  assert.deepEqual(groupRows(await breakdown(bella, 'model')),
                   [['anthropic/claude-sonnet-4', 10, 0.135], ['openai/gpt-4o-mini', 40, 0.0168]]);
  assert.deepEqual((await breakdown(acme)).groups, []);  // the seed's usage for Acme Pizza has no end users
  for (const query of ['', 'businessId=not-a-uuid', `businessId=${acme}&dimension=region`,
                       `businessId=${acme}&dimension=MODEL`, `businessId=${acme}&dimension=`,
                       `businessId=${acme}&period=this_year`]) {
    const bad = await status(`${url}/api/billing/breakdown?${query}`);
    assert.equal(bad.code, 400, query);
    assert.equal(bad.body.success, false);
  }
  assert.equal((await status(`${url}/api/billing/breakdown?businessId=11111111-1111-4111-8111-111111111111`)).code, 404);

  // The page, in Debian's Chromium with a fresh profile.
  const profile = join(work, 'profile');
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
    viewport: { width: 1200, height: 900 },
  });
  const page = browser.pages()[0] ?? await browser.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  const dialogs = [];
  page.on('dialog', (dialog) => { dialogs.push(dialog.message()); dialog.dismiss(); });
  await page.goto(url + '/');
  await page.selectOption('#business', acme);
  // (Waits use locators: the page's Content-Security-Policy forbids evaluating strings.)
  await page.locator(`body[data-loaded^="${acme}"]`).waitFor();
  const card = async () => ({
    minutes: await page.textContent('#minutes'),
    calls: await page.textContent('#api-calls'),
    queries: await page.textContent('#ai-queries'),
    storage: await page.textContent('#storage'),
    total: await page.textContent('#total'),
  });
  assert.deepEqual(await card(), { minutes: '75.5', calls: '1500', queries: '150', storage: '1500', total: '$8.31' });
  assert.equal(await page.locator('#breakdown tr').count(), 4);
  assert.equal(await page.locator('#trend-calls rect').count(), 30);
  assert.equal(await page.locator('#budget-list li').count(), 0);  // Acme Pizza has no budgets
  assert.equal(await page.isVisible('#budgets-empty'), true);
  assert.equal(await page.locator('#end-user-usage tr').count(), 0);  // no end users yet
  assert.equal(await page.isVisible('#end-user-empty'), true);
  assert.equal(await page.isVisible('#end-user-chart'), false);

  // Recording through the page moves the card: one more call is one more cent.
  await page.click('#record-call');
  await page.locator('#api-calls', { hasText: /^1501$/ }).waitFor();
  assert.equal(await page.textContent('#total'), '$8.32');
  // 2.5 more minutes: 18 billable minutes at 2 cents.
  await page.click('#record-voice');
  await page.locator('#minutes', { hasText: /^78$/ }).waitFor();
  assert.equal(await page.textContent('#total'), '$8.37');

  // AI usage by model: none for Acme Pizza yet; one gpt-4o-mini call through the page
  // (1200 input + 300 output tokens at $0.15 / $0.60 per million: $0.00036, charged $0.00).
  assert.equal(await page.locator('#ai-usage tr').count(), 0);
  assert.equal(await page.isVisible('#ai-empty'), true);
  assert.equal(await page.isVisible('#ai-chart'), false);
  await page.click('#record-llm');
  await page.locator('#ai-usage tr.ai-model').waitFor();
  const cells = async (selector) => page.locator(selector).evaluateAll(
    (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)));
  assert.deepEqual(await cells('#ai-usage tr.ai-model'),
                   [['openai/gpt-4o-mini', 'llm_call', '1', '$0.00036', '$0.00']]);
  assert.deepEqual((await cells('#ai-usage tr.ai-part')).map((r) => [r[0].trim(), r[3], r[4]]),
                   [['1200 input tokens', '$0.00018', '$0.00018'], ['300 output tokens', '$0.00018', '$0.00018'],
                    ['1 requests', '$0', '$0']]);
  assert.equal(await page.isVisible('#ai-empty'), false);
  assert.equal(await page.textContent('#total'), '$8.37');
  // The page's call was for end user "dashboard-demo": its row and list cost.
  assert.deepEqual(await cells('#end-user-usage tr.end-user'), [['dashboard-demo', '1', '$0.00036']]);
  assert.equal(await page.isVisible('#end-user-empty'), false);

  // Bella Bistro's demo calls, exact as the server sent them.
  await page.selectOption('#business', bella);
  await page.locator(`body[data-loaded^="${bella}"]`).waitFor();
  assert.deepEqual(await cells('#ai-usage tr.ai-model'),
                   [['anthropic/claude-sonnet-4', 'llm_call', '10', '$0.135', '$0.14'],
                    ['openai/gpt-4o-mini', 'llm_call', '40', '$0.0168', '$0.02']]);
  assert.equal(await page.locator('#ai-usage tr.ai-part').count(), 7);
  assert.equal(await page.textContent('#total'), '$0.16');
  // Cost by end user: the API's rows and the hand-worked figures, exact.
  const userRows = [['guest-ana', '22', '$0.0354'], ['guest-ben', '17', '$0.07254'], ['table-7', '11', '$0.04386']];
  assert.deepEqual(await cells('#end-user-usage tr.end-user'), userRows);
  assert.deepEqual(userRows, groupRows(bellaUsers).map(([value, events, cost]) => [value, String(events), `$${cost}`]));

  // A model and an end user named with markup (recorded as a host would, then shown): text,
  // never elements.
  const evilUser = '<img src=x onerror="alert(3)"><script>alert(4)</script>&amp;';
  const recorded = await fetch(`${url}/api/usage/llm-call`, {
    method: 'POST', headers: { Origin: url },
    body: new URLSearchParams({ businessId: bella, model: evilModel, input: '1000', output: '500', endUser: evilUser }) });
  assert.equal(recorded.status, 200);
  await page.selectOption('#business', acme);
  await page.locator(`body[data-loaded^="${acme}"]`).waitFor();
  await page.selectOption('#business', bella);
  await page.locator(`body[data-loaded^="${bella}"]`).waitFor();
  const evilRow = (await cells('#ai-usage tr.ai-model')).find((r) => r[0] === evilModel);
  assert.deepEqual(evilRow, [evilModel, 'llm_call', '1', '$0.002', '$0.00']);
  assert.equal(await page.locator('#ai-usage img, #ai-usage script, main img, main script').count(), 0);
  // The cost per model as bars (the breakdown chart): relative to the largest, labels exact.
  const chart = await page.locator('#ai-chart .breakdown-line').evaluateAll((lines) => lines.map((line) => [
    line.querySelector('.breakdown-name').textContent,
    line.querySelector('.breakdown-fill').getBoundingClientRect().width /
      line.querySelector('.breakdown-track').getBoundingClientRect().width,
    line.querySelector('.breakdown-value').textContent]));
  assert.deepEqual(chart.map((l) => [l[0], l[2]]), [['anthropic/claude-sonnet-4', '$0.135'], [evilModel, '$0.002'],
                                                    ['openai/gpt-4o-mini', '$0.0168']]);
  [1, 0.002 / 0.135, 0.0168 / 0.135].forEach((share, i) =>
    assert.ok(Math.abs(chart[i][1] - share) < 0.005, `chart bar ${i}: ${chart[i][1]}, expected ${share}`));
  // The markup end user is a row of text (values ordered bytewise: "<" first), and the list
  // cost per end user as bars relative to the largest (guest-ben's 0.07254).
  const shownUsers = [[evilUser, '1', '$0.002'], ...userRows];
  assert.deepEqual(await cells('#end-user-usage tr.end-user'), shownUsers);
  assert.deepEqual(groupRows(await breakdown(bella)).map(([value, events, cost]) => [value, String(events), `$${cost}`]),
                   shownUsers);
  assert.equal(await page.locator('#end-users img, #end-users script').count(), 0);
  const userChart = await page.locator('#end-user-chart .breakdown-line').evaluateAll((lines) => lines.map((line) => [
    line.querySelector('.breakdown-name').textContent,
    line.querySelector('.breakdown-fill').getBoundingClientRect().width /
      line.querySelector('.breakdown-track').getBoundingClientRect().width,
    line.querySelector('.breakdown-value').textContent]));
  assert.deepEqual(userChart.map((l) => [l[0], l[2]]), shownUsers.map((r) => [r[0], r[2]]));
  [0.002, 0.0354, 0.07254, 0.04386].forEach((cost, i) => {
    const share = cost / 0.07254;
    assert.ok(Math.abs(userChart[i][1] - share) < 0.005, `end-user bar ${i}: ${userChart[i][1]}, expected ${share}`);
  });

  // The budget bars match /api/budgets: fill = min(spent / amount, 1) of the bar, a marker at
  // each threshold (past 100 %: at the bar's end), soft or hard, the figures as sent.
  const bars = async () => page.locator('#budget-list li.budget').evaluateAll((items) => items.map((item) => {
    const bar = item.querySelector('.budget-bar');
    const box = bar.getBoundingClientRect();
    const inner = box.left + bar.clientLeft;
    const fill = item.querySelector('.budget-fill').getBoundingClientRect();
    return {
      id: item.dataset.budgetId,
      classes: [...item.classList].filter((c) => c !== 'budget'),
      scope: item.querySelector('.budget-scope').textContent,
      kind: item.querySelector('.badge.kind').textContent,
      state: item.querySelector('.badge.state').textContent,
      fill: Math.abs(fill.left - inner) < 0.5 ? fill.width / bar.clientWidth : NaN,  // from the bar's start
      markers: [...item.querySelectorAll('.budget-marker')].map((m) => {
        const r = m.getBoundingClientRect();
        return [Number(m.dataset.threshold), (r.left + r.width / 2 - inner) / bar.clientWidth,
                m.classList.contains('crossed')];
      }),
      figures: Object.fromEntries([...item.querySelectorAll('[data-figure]')].map(
        (f) => [f.dataset.figure, f.querySelector('strong').textContent])),
    };
  }));
  // The page's money: the server's digits with at least cents (0.2 → $0.20, 0.1538 as is).
  const cents = (n) => { const t = String(n); return '$' + (t.includes('.') ? t.padEnd(t.indexOf('.') + 3, '0') : t + '.00'); };
  const near = (actual, expected, what) =>
    assert.ok(Math.abs(actual - expected) < 0.005, `${what}: ${actual}, expected ${expected}`);
  const checkBars = async (business) => {
    const api = (await status(`${url}/api/budgets?businessId=${business}`)).body.data;
    const shown = await bars();
    assert.deepEqual(shown.map((b) => b.id), api.map((s) => s.budget.id));
    shown.forEach((b, i) => {
      const s = api[i];
      near(b.fill, Math.min(s.spent / s.budget.amount, 1), `${b.id} fill`);
      assert.deepEqual(b.markers.map((m) => [m[0], m[2]]),
                       s.budget.thresholdsPercent.map((t) => [t, s.crossedThresholds.includes(t)]), `${b.id} markers`);
      b.markers.forEach((m) => near(m[1], Math.min(m[0], 100) / 100, `${b.id} marker ${m[0]}`));
      assert.equal(b.scope, s.budget.model === null ? 'whole business' : `model ${s.budget.model}`);
      assert.equal(b.kind, s.budget.kind === 'hard' ? 'hard cap' : 'soft: alert only');
      assert.equal(b.classes.includes('exceeded'), s.exceeded, `${b.id} exceeded`);
      assert.equal(b.figures.spent, `${cents(s.spent)} of ${cents(s.budget.amount)} (${s.percent}%)`);
      assert.equal(b.figures.remaining, cents(s.remaining));
      assert.equal(b.figures.forecast, cents(s.forecast));
    });
    return shown;
  };
  const bellaBars = await checkBars(bella);
  // The markup model is text: the scope reads it back exactly, and made no element.
  assert.equal(bellaBars[0].scope, `model ${evilModel}`);
  assert.deepEqual(bellaBars[0].markers.map((m) => m[0]), [25, 150]);
  assert.equal(bellaBars[1].state, '50% threshold reached');
  assert.deepEqual(bellaBars[1].classes, ['warned']);
  assert.equal(bellaBars[1].figures.spent, '$0.1538 of $0.25 (61.52%)');  // + the markup model's $0.002
  assert.deepEqual([bellaBars[0].figures.spent, bellaBars[2].figures.spent, bellaBars[2].figures.remaining],
                   ['$0.002 of $1.00 (0.2%)', '$0.135 of $0.20 (67.5%)', '$0.065']);
  assert.equal(await page.locator('#budget-list img, #budget-list script').count(), 0);
  await page.selectOption('#business', curry);
  await page.locator(`body[data-loaded^="${curry}"]`).waitFor();
  const curryBars = await checkBars(curry);
  assert.deepEqual(curryBars.map((b) => [b.id, b.classes, b.state, b.fill]),
                   [['ai-cap', ['exceeded'], 'Exceeded: calls refused', 1]]);
  assert.equal(curryBars[0].figures.spent, '$0.0725 of $0.07 (103.57%)');
  assert.equal(curryBars[0].figures.remaining, '$0.00');
  assert.equal(await page.isVisible('#budgets-empty'), false);
  assert.deepEqual(dialogs, []);
  assert.deepEqual(errors, []);

  await page.selectOption('#business', bella);
  await page.locator(`body[data-loaded^="${bella}"]`).waitFor();
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`browser test passed; screenshot: ${screenshot}`);
} finally {
  await browser?.close();
  server.kill();
  rmSync(work, { recursive: true, force: true });
}
