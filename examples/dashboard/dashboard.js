// SPDX-License-Identifier: MIT
// The Billing Overview page: reads /api/billing/analytics and draws the card, the charges
// and 30-day trend charts, AI usage per model with each model's parts from
// /api/billing/bill (a table and a cost chart: breakdownTable, breakdownChart), a bar per
// budget from /api/budgets, and the list cost per end user from /api/billing/breakdown (a
// table and a chart, the same helpers). Text always goes in through textContent (never
// innerHTML): model names (and so budgets' models) and end users are the host's and the
// provider's strings, not ours. Money is shown as the exact digits the server sent; the
// page does no arithmetic on it (bar widths are computed from the server's percent and
// costs, for display only).
'use strict';

const $ = (id) => document.getElementById(id);
const SVG = 'http://www.w3.org/2000/svg';

// Keep numbers as the exact digits the server sent (JSON.parse source text access),
// where the browser supports it; otherwise fall back to the parsed number.
function parseExact(text) {
  return JSON.parse(text, (key, value, context) =>
    typeof value === 'number' && context && typeof context.source === 'string' ? context.source : value);
}
const money = (value) => typeof value === 'string' ? '$' + value : '$' + Number(value || 0).toFixed(2);
const count = (value) => String(value ?? 0);
// A credit (negative) as "−$0.43", from the server's digits; no arithmetic.
const signedMoney = (value) => {
  const text = String(value ?? 0);
  return text.startsWith('-') ? '\u2212$' + text.slice(1) : '$' + text;
};
// Exact amounts as sent (rate-card costs have more digits than cents).
const exact = (value) => '$' + String(value ?? 0);
// Exact amounts with at least cents: "0.2" → "$0.20", "0.1538" as is (digits only, no arithmetic).
const cents = (value) => {
  const text = String(value ?? 0);
  const point = text.indexOf('.');
  const digits = point < 0 ? 0 : text.length - point - 1;
  return '$' + (point < 0 ? text + '.00' : text + '0'.repeat(Math.max(0, 2 - digits)));
};
const partNames = { input: 'input tokens', cached_input: 'cached input tokens', cache_write: 'cache write tokens',
                    output: 'output tokens', reasoning: 'reasoning tokens', requests: 'requests',
                    audio_seconds: 'audio seconds', characters: 'characters' };

async function getJson(url, options) {
  const response = await fetch(url, options);
  const body = parseExact(await response.text());
  if (!response.ok || body.success === false) throw new Error(body.error || response.statusText);
  return body;
}

function setText(id, text) { $(id).textContent = text; }

function row(texts, className) {
  const tr = document.createElement('tr');
  if (className) tr.className = className;
  for (const text of texts) {
    const cell = document.createElement('td');
    cell.textContent = text;
    tr.appendChild(cell);
  }
  return tr;
}

// An element with a class and text (textContent: never markup).
function el(tag, className, text) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

// A breakdown ("cost by X"): `body` (a tbody) gets a row per item, its cells' texts from
// `cells(item)`, with `rowClass`; `decorate(tr, item)` may mark the row, and `after(item)`
// returns rows to follow it (detail lines). Returns the rows' count.
function breakdownTable(body, items, { cells, rowClass, decorate, after }) {
  body.replaceChildren();
  for (const item of items) {
    const tr = row(cells(item), rowClass);
    decorate?.(tr, item);
    body.appendChild(tr);
    for (const extra of after?.(item) ?? []) body.appendChild(extra);
  }
  return items.length;
}

// The same breakdown as horizontal bars in `container`: one line per item, `name(item)`,
// a bar as long as `value(item)` relative to the largest (display only: widths are the
// page's one arithmetic), and `label(item)` (the server's exact digits).
function breakdownChart(container, items, { name, value, label }) {
  const values = items.map((item) => Math.max(Number(value(item)) || 0, 0));
  const most = Math.max(...values, 0) || 1;
  container.replaceChildren(...items.map((item, i) => {
    const line = el('div', 'breakdown-line');
    line.dataset.name = name(item);
    const track = el('span', 'breakdown-track');
    const fill = el('span', 'breakdown-fill');
    const width = (values[i] / most) * 100;
    fill.style.width = `${width}%`;  // CSSOM: allowed by the page's CSP
    fill.dataset.width = String(width);
    track.appendChild(fill);
    const title = el('span', 'breakdown-name', name(item));
    title.title = name(item);  // the whole name, when the line cuts it
    line.append(title, track, el('span', 'breakdown-value', label(item)));
    return line;
  }));
}

// One row per (type, model) of billingUsage.aiUsage, then that model's parts from the
// bill's aiLines (quantity, cost at the rate card, charge); the included credit if any; and
// the rate-card cost per model as bars.
function aiUsage(usage, bill) {
  const lines = usage.aiUsage ?? [];
  const partRows = (line) => {
    const detail = (bill?.aiLines ?? []).find((l) => l.type === line.type && l.model === line.model);
    return (detail?.parts ?? []).map((part) => {
      const how = part.unitPrice !== undefined ? ` at ${exact(part.unitPrice)}`
        : part.markupPercent !== undefined ? ` + ${part.markupPercent}%` : '';
      return row([`  ${count(part.quantity)} ${partNames[part.part] ?? part.part}`, '', '',
                  exact(part.cost), exact(part.charge) + how], 'ai-part');
    });
  };
  breakdownTable($('ai-usage'), lines, {
    cells: (line) => [line.model, line.type, count(line.calls), exact(line.cost), money(line.amount)],
    rowClass: 'ai-model',
    decorate: (tr, line) => { tr.dataset.model = line.model; },
    after: partRows,
  });
  breakdownChart($('ai-chart'), lines, {
    name: (line) => lines.filter((l) => l.model === line.model).length > 1 ? `${line.model} (${line.type})` : line.model,
    value: (line) => line.cost,
    label: (line) => exact(line.cost),
  });
  $('ai-chart').hidden = lines.length === 0;
  $('ai-empty').hidden = lines.length > 0;
  const included = usage.aiIncluded;
  setText('ai-included', included
    ? `Included AI usage: ${money(included.includedAmount)} per period; credit ${signedMoney(included.amount)}`
    : (lines.length > 0 ? 'No AI usage included in this plan: charged as shown.' : ''));
}

// Usage per end user (/api/billing/breakdown, dimension end_user): a row per value (the
// host's own string, so text only) with its events and list cost (what the recorder priced
// them at), and the list cost as bars. The events are counts summed over the value's event
// types; the costs are the server's digits.
function endUsers(breakdown) {
  const groups = breakdown.groups ?? [];
  const events = (group) => String((group.usage ?? []).reduce((sum, u) => sum + (Number(u.events) || 0), 0));
  breakdownTable($('end-user-usage'), groups, {
    cells: (group) => [group.value, events(group), exact(group.listCost)],
    rowClass: 'end-user',
    decorate: (tr, group) => { tr.dataset.value = group.value; },
  });
  breakdownChart($('end-user-chart'), groups, {
    name: (group) => group.value,
    value: (group) => group.listCost,
    label: (group) => exact(group.listCost),
  });
  $('end-user-chart').hidden = groups.length === 0;
  $('end-user-empty').hidden = groups.length > 0;
}

// How a budget stands, in words: a hard budget reached refuses calls; a soft one only tells.
function budgetState(status, percent, crossed) {
  if (status.exceeded) return 'Exceeded: calls refused';
  if (percent >= 100) return 'Over budget (soft: not refused)';
  if (crossed.length > 0) return `${crossed[crossed.length - 1]}% threshold reached`;
  return 'Within budget';
}

// One budget of /api/budgets: its name and scope, soft or hard, its state; a bar filled to
// spent / amount (the server's exact percent, capped at the bar's end) with a marker at
// each threshold (past 100 %: at the end); spent, amount, remaining and forecast as sent.
// The widths are the only arithmetic, on the percent, for display.
function budgetItem(status) {
  const budget = status.budget;
  const percent = Number(status.percent) || 0;
  const crossed = (status.crossedThresholds ?? []).map(Number);
  const item = el('li', 'budget');
  item.dataset.budgetId = budget.id;
  item.dataset.kind = budget.kind;
  item.dataset.percent = String(status.percent);
  item.dataset.exceeded = String(status.exceeded === true);
  item.classList.toggle('exceeded', status.exceeded === true);
  item.classList.toggle('over', !status.exceeded && percent >= 100);
  item.classList.toggle('warned', percent < 100 && crossed.length > 0);

  const head = el('div', 'budget-head');
  head.append(el('span', 'budget-id', budget.id),
              el('span', 'budget-scope', budget.model ? `model ${budget.model}` : 'whole business'),
              el('span', `badge kind ${budget.kind === 'hard' ? 'hard' : 'soft'}`,
                 budget.kind === 'hard' ? 'hard cap' : 'soft: alert only'),
              el('span', 'badge state', budgetState(status, percent, crossed)));

  const bar = el('div', 'budget-bar');
  const width = Math.min(Math.max(percent, 0), 100);
  bar.setAttribute('role', 'meter');
  bar.setAttribute('aria-valuemin', '0');
  bar.setAttribute('aria-valuemax', '100');
  bar.setAttribute('aria-valuenow', String(width));
  bar.setAttribute('aria-label', `${budget.id}: ${status.percent}% of ${cents(budget.amount)} spent`);
  const fill = el('div', 'budget-fill');
  fill.style.width = `${width}%`;  // CSSOM, which the page's CSP allows (a style attribute it would not)
  fill.dataset.width = String(width);
  bar.appendChild(fill);
  for (const value of budget.thresholdsPercent ?? []) {
    const threshold = Number(value);
    const reached = crossed.includes(threshold);
    const marker = el('div', reached ? 'budget-marker crossed' : 'budget-marker');
    const at = Math.min(threshold, 100);
    marker.style.left = `${at}%`;
    marker.dataset.threshold = String(threshold);
    marker.dataset.at = String(at);
    marker.title = `${threshold}% of the budget${reached ? ': reached' : ''}`;
    marker.appendChild(el('span', undefined, `${threshold}%`));
    bar.appendChild(marker);
  }

  const figures = el('p', 'budget-figures');
  const figure = (name, label, value) => {
    const span = el('span', undefined, label + ' ');
    span.dataset.figure = name;
    span.appendChild(el('strong', undefined, value));
    figures.appendChild(span);
  };
  figure('spent', 'Spent', `${cents(status.spent)} of ${cents(budget.amount)} (${status.percent}%)`);
  figure('remaining', 'Remaining', cents(status.remaining));
  figure('forecast', 'Forecast for the cycle', cents(status.forecast));
  figure('cycle', 'Cycle', `${status.cycle.from} up to ${status.cycle.to}`);

  item.append(head, bar, figures);
  return item;
}

function budgets(statuses) {
  $('budget-list').replaceChildren(...statuses.map(budgetItem));
  $('budgets-empty').hidden = statuses.length > 0;
}

function bars(figureId, points, valueOf, label) {
  const figure = $(figureId);
  figure.querySelector('svg')?.remove();
  figure.querySelector('.axis')?.remove();
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 600 80');
  svg.setAttribute('preserveAspectRatio', 'none');
  const values = points.map((p) => Number(valueOf(p)) || 0);
  const most = Math.max(...values, 0) || 1;
  const width = 600 / Math.max(points.length, 1);
  points.forEach((point, i) => {
    const height = (values[i] / most) * 75;
    const rect = document.createElementNS(SVG, 'rect');
    rect.setAttribute('x', String(i * width + 1));
    rect.setAttribute('y', String(80 - height));
    rect.setAttribute('width', String(Math.max(width - 2, 1)));
    rect.setAttribute('height', String(height));
    const title = document.createElementNS(SVG, 'title');
    title.textContent = `${point.date}: ${label(valueOf(point))}`;
    rect.appendChild(title);
    svg.appendChild(rect);
  });
  const axis = document.createElement('div');
  axis.className = 'axis';
  const first = document.createElement('span');
  first.textContent = points[0]?.date ?? '';
  const last = document.createElement('span');
  last.textContent = points[points.length - 1]?.date ?? '';
  axis.append(first, last);
  figure.append(svg, axis);
}

// Answers to an older refresh (the business or period changed while it waited) are dropped.
let latestRefresh = 0;

async function refresh() {
  const business = $('business').value;
  if (!business) return;
  const mine = ++latestRefresh;
  const query = new URLSearchParams({ businessId: business, period: $('period').value, days: '30' });
  const billQuery = new URLSearchParams({ businessId: business, period: $('period').value });
  const breakdownQuery = new URLSearchParams({ businessId: business, period: $('period').value, dimension: 'end_user' });
  const [{ data }, bill, budgetList, breakdown] = await Promise.all([
    getJson('/api/billing/analytics?' + query), getJson('/api/billing/bill?' + billQuery),
    getJson('/api/budgets?' + new URLSearchParams({ businessId: business })),
    getJson('/api/billing/breakdown?' + breakdownQuery)]);
  if (mine !== latestRefresh) return;
  const usage = data.billingUsage;
  setText('minutes', count(usage.minutesUsed));
  setText('api-calls', count(usage.apiCalls));
  setText('ai-queries', count(usage.breakdown.aiQueries?.count));
  setText('storage', count(usage.breakdown.storage?.count));
  setText('total', money(usage.cost));
  if (usage.period) setText('period-days', `${usage.period.from} up to ${usage.period.to} (${usage.period.timeZone})`);
  const names = { apiCalls: 'API calls', voiceMinutes: 'Voice minutes', aiQueries: 'AI queries', storage: 'Storage (MB)' };
  breakdownTable($('breakdown'), Object.entries(usage.breakdown), {
    cells: ([key, line]) => [names[key] ?? key, count(line.count), money(line.cost)],
  });
  aiUsage(usage, bill.data);
  budgets(budgetList.data);
  endUsers(breakdown.data);
  bars('trend-calls', data.trends, (p) => p.apiCalls, (v) => `${v} calls`);
  bars('trend-minutes', data.trends, (p) => p.voiceMinutes, (v) => `${v} minutes`);
  bars('trend-cost', data.trends, (p) => p.cost, (v) => money(v));
  document.body.dataset.loaded = business + ':' + usage.apiCalls + ':' + usage.cost;
}

async function record(path, fields) {
  const body = new URLSearchParams({ businessId: $('business').value, ...fields });
  try {
    await getJson(path, { method: 'POST', body });
    setText('status', 'Recorded.');
    await refresh();
  } catch (error) {
    setText('status', 'Could not record: ' + error.message);
  }
}

async function start() {
  const { data } = await getJson('/api/businesses');
  const select = $('business');
  for (const business of data) {
    const option = document.createElement('option');
    option.value = business.id;
    option.textContent = `${business.name} (${business.plan}, ${business.timeZone})`;
    select.appendChild(option);
  }
  select.addEventListener('change', refresh);
  $('period').addEventListener('change', refresh);
  $('record-call').addEventListener('click', () => record('/api/usage/api-call', {}));
  $('record-voice').addEventListener('click', () => record('/api/usage/voice-minutes', { minutes: '2.5' }));
  $('record-llm').addEventListener('click', () =>
    record('/api/usage/llm-call', { model: 'openai/gpt-4o-mini', input: '1200', output: '300', endUser: 'dashboard-demo' }));
  await refresh();
}

start().catch((error) => setText('status', 'Could not load: ' + error.message));
