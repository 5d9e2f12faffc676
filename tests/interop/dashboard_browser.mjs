// Drives the cost dashboard in headless Chromium (Debian's /usr/bin/chromium through playwright-core) against a real
// gateway that DashboardBrowserTests started with scripted traffic. Checks the page against the REST API it reads,
// sends more traffic itself and times the live updates. Prints one JSON object; exits 1 with the reason on a failure.
// Usage: node dashboard_browser.mjs <config.json>
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const base = config.baseUrl.replace(/\/$/, '');
const LIVE_LIMIT_MS = 2000;
const report = { steps: [], liveUpdatesMs: [] };

// The page's money format (app.js `usd`): the text must read as the API's number.
const usdFormat2 = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
function usd(value) {
  const v = Number(value) || 0;
  const abs = Math.abs(v);
  if (abs === 0) return '$0.00';
  if (abs >= 1) return '$' + usdFormat2.format(v);
  if (abs >= 0.01) return '$' + v.toFixed(4);
  return '$' + v.toFixed(6);
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

function step(name) {
  report.steps.push(name);
}

async function http(method, path, key, body) {
  const headers = { 'content-type': 'application/json' };
  if (key) headers.authorization = 'Bearer ' + key;
  const response = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: response.status, json, text };
}

async function ok(method, path, key, body) {
  const result = await http(method, path, key, body);
  check(result.status === 200, `${method} ${path} answered ${result.status}: ${result.text.slice(0, 300)}`);
  return result.json;
}

function chat(model, text, maxTokens) {
  return { model, maxTokens, messages: [{ role: 'user', content: text }] };
}

/** Everything the page shows from /api/cost/summary equals the API's numbers, as data and as text. */
async function expectSummary(page, key, userId) {
  const summary = await ok('GET', '/api/cost/summary' + (userId ? '?userId=' + userId : ''), key);
  await page.waitForFunction(
    ([requests, cost]) => {
      const r = document.querySelector('[data-testid="total-requests"]');
      const c = document.querySelector('[data-testid="total-cost"]');
      return r && c && r.dataset.value === String(requests) && c.dataset.value === String(cost);
    },
    [Number(summary.totalRequests), summary.totalCost],
    { timeout: 5000 });
  const shown = await page.evaluate(() => {
    const read = (id) => {
      const el = document.querySelector(`[data-testid="${id}"]`);
      return { value: el.dataset.value, text: el.textContent };
    };
    const table = (id) => Object.fromEntries([...document.querySelectorAll(`[data-testid="${id}"] tbody tr[data-key]`)]
      .map((row) => [row.dataset.key, { value: row.cells[1].dataset.value, text: row.cells[1].textContent }]));
    return {
      tenant: document.querySelector('[data-testid="tenant"]').textContent,
      totalCost: read('total-cost'),
      totalRequests: read('total-requests'),
      cacheHitRate: read('cache-hit-rate'),
      cacheSavings: read('cache-savings'),
      routingSavings: read('routing-savings'),
      naiveCost: read('naive-cost'),
      byModel: table('cost-by-model'),
      byProvider: table('cost-by-provider'),
      byOperation: table('cost-by-operation'),
    };
  });
  const money = (name, got, want) => {
    check(Number(got.value) === want, `${name}: page has ${got.value}, API ${want}`);
    check(got.text === usd(want), `${name}: page reads "${got.text}", expected "${usd(want)}"`);
  };
  money('totalCost', shown.totalCost, summary.totalCost);
  check(Number(shown.totalRequests.value) === Number(summary.totalRequests), `totalRequests: ${shown.totalRequests.value} vs ${summary.totalRequests}`);
  check(Number(shown.cacheHitRate.value) === summary.cacheHitRate, `cacheHitRate: ${shown.cacheHitRate.value} vs ${summary.cacheHitRate}`);
  check(shown.cacheHitRate.text === (summary.cacheHitRate * 100).toFixed(1) + ' %', `cacheHitRate text "${shown.cacheHitRate.text}"`);
  money('cacheSavings', shown.cacheSavings, summary.cacheSavings);
  money('routingSavings', shown.routingSavings, summary.modelRoutingSavings);
  money('naiveCost', shown.naiveCost, summary.totalCost + summary.totalSavings);
  for (const [name, got, want] of [['costByModel', shown.byModel, summary.costByModel], ['costByProvider', shown.byProvider, summary.costByProvider],
    ['costByOperation', shown.byOperation, summary.costByOperation]]) {
    check(JSON.stringify(Object.keys(got).sort()) === JSON.stringify(Object.keys(want).sort()),
      `${name}: page lists ${Object.keys(got)}, API ${Object.keys(want)}`);
    for (const [key, value] of Object.entries(want)) money(`${name}[${key}]`, got[key], value);
  }
  return { summary, shown };
}

/** Sends one chat call and returns how long the page took to show it (total requests + 1). */
async function timedLiveUpdate(page, key, request, userId) {
  const before = await page.$eval('[data-testid="total-requests"]', (el) => Number(el.dataset.value));
  const answered = await http('POST', '/api/chat/complete', key, request);
  check(answered.status === 200, `chat answered ${answered.status}: ${answered.text.slice(0, 300)}`);
  const started = Date.now();
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid="total-requests"]').dataset.value) === n, before + 1,
    { timeout: LIVE_LIMIT_MS });
  const elapsed = Date.now() - started;
  report.liveUpdatesMs.push(elapsed);
  await expectSummary(page, key, userId);
  return answered.json;
}

async function signIn(page, key) {
  await page.locator('#signin').waitFor({ state: 'visible' });
  await page.fill('#key-input', key);
  await page.click('#signin-form button[type="submit"]');
  await page.locator('#live[data-state="live"]').waitFor({ timeout: 10000 });
}

async function noHorizontalOverflow(page, width) {
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  check(scrollWidth <= width, `at ${width} px the page is ${scrollWidth} px wide (horizontal scrolling)`);
  for (const id of ['total-cost', 'today-cost', 'budget-state', 'cost-by-model', 'ops-p99']) {
    const box = await page.locator(`[data-testid="${id}"]`).boundingBox();
    check(box && box.x >= 0 && box.x + box.width <= width + 0.5, `[${id}] is outside the ${width} px viewport: ${JSON.stringify(box)}`);
  }
}

const profile = mkdtempSync(join(tmpdir(), 'grump-chromium-'));
const consoleErrors = [];
let context;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: config.chromium || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] || await context.newPage();
  page.on('console', (message) => { if (message.type() === 'error') consoleErrors.push(message.text()); });
  page.on('pageerror', (error) => consoleErrors.push('uncaught: ' + error.message));
  const keys = config.keys;

  // No key: the static shell asks for one and shows no data.
  await page.goto(base + '/');
  await page.locator('#signin').waitFor({ state: 'visible' });
  check(await page.locator('#dashboard').isHidden(), 'the dashboard is visible without a key');
  check((await page.locator('[data-testid="total-cost"]').textContent()) === '–', 'numbers are filled in without a key');
  step('no key: sign-in form, no data');

  // Keyed mode: tenant a sees its own numbers only.
  await signIn(page, keys.a);
  const first = await expectSummary(page, keys.a);
  check(first.shown.tenant === 'a', `tenant shown: ${first.shown.tenant}`);
  check(await page.locator('#tenant-switch').isHidden(), 'a user key is offered the tenant switch');
  check(!(config.models.premium in first.shown.byModel), `tenant a's page lists ${config.models.premium}, which only tenant b used`);
  const other = await ok('GET', '/api/cost/summary?userId=b', keys.admin);
  check(other.totalRequests !== first.summary.totalRequests, 'tenants a and b have the same request count; the isolation check would prove nothing');
  for (const path of ['/api/cost/summary?userId=b', '/api/cost/events?userId=b', '/api/cost/budget?userId=b']) {
    const denied = await http('GET', path, keys.a);
    check(denied.status === 403, `${path} with tenant a's key answered ${denied.status}`);
  }
  step('user key: numbers equal /api/cost/summary, only its tenant, other tenant 403');

  await page.locator('[data-testid="upstreams"] tbody tr[data-destination]').first().waitFor({ timeout: 10000 });
  const ops = await page.evaluate(() => ({
    p50: document.querySelector('[data-testid="ops-p50"]').textContent,
    p99: document.querySelector('[data-testid="ops-p99"]').textContent,
    circuits: [...document.querySelectorAll('[data-testid="upstreams"] tbody tr[data-destination]')].map((r) => r.dataset.destination + ':' + r.cells[2].dataset.value),
    tiers: [...document.querySelectorAll('[data-testid="cache-tiers"] tbody tr')].map((r) => r.dataset.layer),
  }));
  check(/ms$/.test(ops.p50) && /ms$/.test(ops.p99), `overhead not shown: ${ops.p50} / ${ops.p99}`);
  check(JSON.stringify(ops.tiers) === JSON.stringify(['L1', 'L2', 'L3']), `cache tiers: ${ops.tiers}`);
  check(ops.circuits.includes('nim-0:closed') && ops.circuits.includes('anthropic-0:closed'), `upstreams: ${ops.circuits}`);
  report.operations = ops;
  step('operations panel: overhead, cache tiers, upstream circuits');

  // Live: a new request shows without a reload.
  await timedLiveUpdate(page, keys.a, chat(config.models.cheap, 'live update one', 100));
  check((await page.locator('#feed-rows tr').count()) >= 1, 'the live requests table is empty after a request');
  step('live update within 2 s');

  // 80 %: a budget the next premium call (maxTokens 100 reserved, the fake bills more) takes from below 80 % to 90 %.
  const premiumCost = config.premiumCallUsd;
  let status = (await ok('GET', '/api/cost/budget', keys.a)).status;
  const spent = status.dailySpentUsd;
  check(spent < 8 * premiumCost, `tenant a already spent ${spent} today; the 80 % step needs less than ${8 * premiumCost}`);
  await ok('POST', '/api/cost/budget', keys.a, { userId: 'a', dailyLimitUsd: (spent + premiumCost) / 0.9, monthlyLimitUsd: 25, alertThresholdPercent: 80 });
  await timedLiveUpdate(page, keys.a, chat(config.models.premium, 'cross the alert threshold', 100));
  await page.locator('[data-testid="budget-banner"][data-state="alert"]').waitFor({ timeout: LIVE_LIMIT_MS });
  check((await page.locator('[data-testid="budget-state"]').getAttribute('data-state')) === 'alert', 'budget badge is not "alert"');
  status = (await ok('GET', '/api/cost/budget', keys.a)).status;
  check(status.alert && !status.exhausted, `API budget status after the alert step: ${JSON.stringify(status)}`);
  step('80 % alert shown');
  await page.waitForTimeout(1300); // let the new row's highlight fade before the picture
  await page.screenshot({ path: config.screenshot, fullPage: true });

  // 100 %: admitted against its reservation, the call's actual cost takes the day over the limit.
  const premiumRequest = chat(config.models.premium, 'cross the limit', 100);
  const reservation = (await ok('POST', '/api/routing/analyze', keys.a, premiumRequest)).estimatedCostUsd;
  check(reservation < premiumCost, `reservation ${reservation} is not below the billed ${premiumCost}`);
  await ok('POST', '/api/cost/budget', keys.a, { userId: 'a', dailyLimitUsd: status.dailySpentUsd + (reservation + premiumCost) / 2, monthlyLimitUsd: 25, alertThresholdPercent: 80 });
  await timedLiveUpdate(page, keys.a, premiumRequest);
  await page.locator('[data-testid="budget-banner"][data-state="blocked"]').waitFor({ timeout: LIVE_LIMIT_MS });
  check((await page.locator('[data-testid="budget-state"]').getAttribute('data-state')) === 'blocked', 'budget badge is not "blocked"');
  const refused = await http('POST', '/api/chat/complete', keys.a, chat(config.models.cheap, 'after the limit', 100));
  check(refused.status === 429, `a call after the limit answered ${refused.status}`);
  step('100 % blocked shown, next call 429');

  // 390 px wide: one column, nothing off screen, same numbers.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForFunction(() => document.documentElement.scrollWidth <= 390, null, { timeout: 5000 }).catch(() => {});
  await noHorizontalOverflow(page, 390);
  await expectSummary(page, keys.a);
  if (config.mobileScreenshot) await page.screenshot({ path: config.mobileScreenshot, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });
  await noHorizontalOverflow(page, 1280);
  step('390 px and 1280 px');

  // Admin: switch tenants; the live feed follows the chosen tenant.
  await page.click('#sign-out');
  await signIn(page, keys.admin);
  check(await page.locator('#tenant-switch').isVisible(), 'an admin is not offered the tenant switch');
  const options = await page.$$eval('#tenant-select option', (list) => list.map((o) => o.value));
  check(['a', 'b', 'ops'].every((t) => options.includes(t)), `tenant options: ${options}`);
  await page.selectOption('#tenant-select', 'b');
  await page.locator('#live[data-state="live"]').waitFor({ timeout: 10000 });
  const tenantB = await expectSummary(page, keys.admin, 'b');
  check(!(config.models.cheap in tenantB.shown.byModel), "tenant b's page lists tenant a's model");
  await timedLiveUpdate(page, keys.b, chat(config.models.premium, 'tenant b live', 100), 'b');
  step('admin: tenant switch, live feed of the chosen tenant');

  check(consoleErrors.length === 0, 'console errors: ' + consoleErrors.join(' | '));
  step('no console errors');
  report.ok = true;
  console.log(JSON.stringify(report));
} catch (error) {
  report.ok = false;
  report.error = error.message;
  report.consoleErrors = consoleErrors;
  console.log(JSON.stringify(report));
  process.exitCode = 1;
} finally {
  if (context) await context.close();
  rmSync(profile, { recursive: true, force: true });
}
