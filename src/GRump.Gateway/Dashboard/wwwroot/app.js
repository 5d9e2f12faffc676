// GRump Gateway cost dashboard. Reads the CostService's REST routes and the live feed (/api/cost/events, Server-Sent
// Events read with fetch so the key travels as a Bearer header, never in a URL). No framework; Chart.js for charts.
'use strict';

(() => {
  const KEY_STORAGE = 'grump.dashboard.key';
  const STATS_INTERVAL_MS = 5000;
  // Cost numbers follow the live feed; this catches what it cannot see (a budget changed by someone else).
  const COST_INTERVAL_MS = 30000;
  const REFRESH_DEBOUNCE_MS = 150;
  const MAX_FEED_ROWS = 25;
  const RECONNECT_MAX_MS = 30000;

  const state = {
    key: sessionStorage.getItem(KEY_STORAGE) || '',
    session: null,
    tenant: '',
    resolution: 'hour',
    summary: null,
    realtime: null,
    charts: {},
    feed: null,
    refreshTimer: 0,
    statsTimer: 0,
    costTimer: 0,
    generation: 0,
    feedRows: 0,
  };

  const $ = (id) => document.getElementById(id);

  // ---------- formatting (the browser test formats expected values with the same rules) ----------
  const usdFormat2 = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  function usd(value) {
    const v = Number(value) || 0;
    const abs = Math.abs(v);
    if (abs === 0) return '$0.00';
    if (abs >= 1) return '$' + usdFormat2.format(v);
    if (abs >= 0.01) return '$' + v.toFixed(4);
    return '$' + v.toFixed(6);
  }
  const intFormat = new Intl.NumberFormat('en-US');
  const int = (value) => intFormat.format(Number(value) || 0);
  const percent = (ratio, digits = 1) => (Number(ratio) * 100).toFixed(digits) + ' %';
  const ms = (value) => (Number(value) < 1 ? Number(value).toFixed(3) : Number(value).toFixed(2)) + ' ms';
  const bytes = (value) => {
    const v = Number(value) || 0;
    if (v >= 1 << 30) return (v / (1 << 30)).toFixed(1) + ' GiB';
    if (v >= 1 << 20) return (v / (1 << 20)).toFixed(0) + ' MiB';
    return (v / 1024).toFixed(0) + ' KiB';
  };
  const utcDay = (date) => date.toISOString().slice(0, 10);

  function setMoney(id, value) {
    const el = $(id);
    el.textContent = usd(value);
    el.dataset.value = String(Number(value) || 0);
  }
  function setCount(id, value) {
    const el = $(id);
    el.textContent = int(value);
    el.dataset.value = String(Number(value) || 0);
  }

  // ---------- API ----------
  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  function headers() {
    return state.key ? { Authorization: 'Bearer ' + state.key } : {};
  }

  function withTenant(path) {
    if (!state.tenant || !state.session || state.tenant === state.session.userId) return path;
    return path + (path.includes('?') ? '&' : '?') + 'userId=' + encodeURIComponent(state.tenant);
  }

  async function api(path) {
    const response = await fetch(path, { headers: headers(), cache: 'no-store' });
    if (!response.ok) {
      let message = response.statusText;
      try { message = (await response.json()).message || message; } catch { /* not JSON */ }
      throw new ApiError(response.status, message);
    }
    return response.json();
  }

  // ---------- sign-in ----------
  function showSignIn(message) {
    stopLive();
    $('dashboard').hidden = true;
    $('session').hidden = true;
    $('signin').hidden = false;
    $('key-error').textContent = message || '';
    $('key-input').value = '';
    $('key-input').focus();
  }

  async function start() {
    let session;
    try {
      session = await api('/api/dashboard/session');
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        const hadKey = !!state.key;
        state.key = '';
        sessionStorage.removeItem(KEY_STORAGE);
        showSignIn(hadKey ? 'That key is not valid for this gateway.' : '');
        return;
      }
      showSignIn('The gateway did not answer: ' + error.message);
      return;
    }
    if (!session.authenticated) {
      showSignIn('');
      return;
    }
    state.session = session;
    state.tenant = session.userId;
    $('signin').hidden = true;
    $('session').hidden = false;
    $('dashboard').hidden = false;
    $('sign-out').hidden = !session.keyed;
    renderTenant();
    await switchTenant(session.userId);
    startStats();
  }

  function renderTenant() {
    const session = state.session;
    $('tenant-name').textContent = state.tenant;
    if (session.admin) {
      const select = $('tenant-select');
      select.replaceChildren();
      const tenants = [...new Set([session.userId, ...session.tenants])].sort();
      for (const tenant of tenants) {
        const option = document.createElement('option');
        option.value = tenant;
        option.textContent = tenant === session.userId ? tenant + ' (you)' : tenant;
        select.append(option);
      }
      select.value = state.tenant;
      $('tenant-switch').hidden = false;
      $('tenant-view').hidden = true;
    } else {
      $('tenant-switch').hidden = true;
      $('tenant-view').hidden = false;
    }
  }

  async function switchTenant(tenant) {
    state.tenant = tenant;
    state.generation++;
    $('tenant-name').textContent = tenant;
    $('feed-rows').replaceChildren();
    state.feedRows = 0;
    $('feed-count').textContent = 'waiting for traffic';
    startLive();
    await refresh();
  }

  // ---------- cost data ----------
  function scheduleRefresh() {
    clearTimeout(state.refreshTimer);
    state.refreshTimer = setTimeout(() => refresh(), REFRESH_DEBOUNCE_MS);
  }

  async function refresh() {
    const generation = state.generation;
    const now = new Date();
    const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    const previousMonthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
    try {
      const [summary, twoMonths, budget, realtime, savings, recommendations] = await Promise.all([
        api(withTenant('/api/cost/summary')),
        api(withTenant('/api/cost/summary?startDate=' + utcDay(previousMonthStart))),
        api(withTenant('/api/cost/budget')),
        api(withTenant('/api/cost/realtime')),
        api(withTenant('/api/cost/savings')),
        api(withTenant('/api/cost/recommendations')),
      ]);
      if (generation !== state.generation) return; // the tenant changed meanwhile
      state.summary = summary;
      state.realtime = realtime;
      renderKpis(summary, twoMonths, realtime, now, monthStart);
      renderBudget(budget);
      renderSavings(summary, savings);
      renderTimeChart();
      renderBreakdowns(summary);
      renderRecommendations(recommendations.recommendations || []);
      $('updated').textContent = 'Updated ' + new Date().toLocaleTimeString('en-GB');
    } catch (error) {
      handleError(error);
    }
  }

  function handleError(error) {
    if (!(error instanceof ApiError)) console.error('dashboard refresh failed:', error);
    if (error instanceof ApiError && error.status === 401) {
      state.key = '';
      sessionStorage.removeItem(KEY_STORAGE);
      showSignIn('The key was refused; sign in again.');
      return;
    }
    $('updated').textContent = 'Last refresh failed: ' + error.message;
  }

  function renderKpis(summary, twoMonths, realtime, now, monthStart) {
    const days = new Map((twoMonths.costByDay || []).map((d) => [d.date, d]));
    const today = days.get(utcDay(now)) || { cost: 0, requests: 0 };
    const yesterday = days.get(utcDay(new Date(now.getTime() - 86400000))) || { cost: 0, requests: 0 };
    setMoney('today-cost', today.cost);
    setCount('today-requests', today.requests);
    trend('today-trend', today.cost, yesterday.cost, 'yesterday');

    // Month to date against the same days of the previous month.
    const dayOfMonth = now.getUTCDate();
    let month = 0;
    let previous = 0;
    for (const [date, day] of days) {
      const d = new Date(date + 'T00:00:00Z');
      if (d >= monthStart) month += day.cost;
      else if (d.getUTCDate() <= dayOfMonth) previous += day.cost;
    }
    setMoney('month-cost', month);
    trend('month-trend', month, previous, 'last month, same days');

    setMoney('hour-cost', realtime.lastHourCost);
    setCount('hour-requests', realtime.lastHourRequests);
    $('day24-cost').textContent = usd(realtime.last24hCost);

    setMoney('total-cost', summary.totalCost);
    setCount('total-requests', summary.totalRequests);
    const rate = $('cache-hit-rate');
    rate.textContent = percent(summary.cacheHitRate);
    rate.dataset.value = String(summary.cacheHitRate);
  }

  function trend(id, current, previous, against) {
    const el = $(id);
    el.classList.remove('up', 'down');
    if (previous <= 0) {
      el.textContent = current > 0 ? 'nothing ' + against : 'no spend yet';
      return;
    }
    const change = (current - previous) / previous;
    el.textContent = (change >= 0 ? '▲ ' : '▼ ') + Math.abs(change * 100).toFixed(0) + ' % vs ' + against;
    el.classList.add(change >= 0 ? 'up' : 'down');
  }

  function renderBudget(answer) {
    const budget = answer.budget || {};
    const status = answer.status || {};
    const threshold = Number(budget.alertThresholdPercent) || 80;
    gauge('daily', status.dailySpentUsd, budget.dailyLimitUsd, status.dailyPercent, threshold);
    gauge('monthly', status.monthlySpentUsd, budget.monthlyLimitUsd, status.monthlyPercent, threshold);

    const badge = $('budget-state');
    const banner = $('budget-banner');
    const hasBudget = budget.dailyLimitUsd > 0 || budget.monthlyLimitUsd > 0;
    badge.className = 'badge';
    banner.className = 'banner';
    if (!hasBudget) {
      badge.textContent = 'No budget';
      badge.dataset.state = 'none';
      banner.hidden = true;
      $('budget-note').textContent = 'No limit is set for this tenant: POST /api/cost/budget to set daily and monthly limits.';
      return;
    }
    $('budget-note').textContent = 'Alert at ' + threshold + ' %. Reserved by calls in flight: ' + usd(status.reservedUsd) + '.';
    if (status.exhausted) {
      badge.textContent = 'Blocked';
      badge.dataset.state = 'blocked';
      badge.classList.add('bad');
      banner.textContent = 'Budget exhausted: new requests for ' + state.tenant + ' are refused (HTTP 429 / RESOURCE_EXHAUSTED) until the period ends or the limit is raised.';
      banner.classList.add('bad');
      banner.dataset.state = 'blocked';
      banner.hidden = false;
    } else if (status.alert) {
      badge.textContent = 'Alert';
      badge.dataset.state = 'alert';
      badge.classList.add('warn');
      const used = Math.max(Number(status.dailyPercent) || 0, Number(status.monthlyPercent) || 0);
      banner.textContent = 'Budget alert: ' + used.toFixed(0) + ' % of a limit used (alert at ' + threshold + ' %).';
      banner.classList.add('warn');
      banner.dataset.state = 'alert';
      banner.hidden = false;
    } else {
      badge.textContent = 'Within budget';
      badge.dataset.state = 'ok';
      badge.classList.add('good');
      banner.hidden = true;
    }
  }

  function gauge(name, spent, limit, pct, threshold) {
    const root = $('gauge-' + name);
    const track = root.querySelector('.gauge-track');
    const numbers = root.querySelector('.gauge-numbers');
    if (!(limit > 0)) {
      root.dataset.level = 'none';
      numbers.textContent = usd(spent) + ' · no limit';
      track.setAttribute('aria-valuenow', '0');
      track.setAttribute('aria-valuetext', 'no limit');
      root.querySelector('.gauge-fill').style.width = '0%';
      return;
    }
    const value = Number(pct) || 0;
    root.dataset.level = value >= 100 ? 'blocked' : value >= threshold ? 'alert' : 'ok';
    numbers.textContent = usd(spent) + ' of ' + usd(limit) + ' · ' + value.toFixed(1) + ' %';
    track.setAttribute('aria-valuenow', String(Math.min(100, value)));
    track.setAttribute('aria-valuetext', value.toFixed(1) + ' percent of ' + usd(limit));
    root.querySelector('.gauge-fill').style.width = Math.min(100, value) + '%';
    root.querySelector('.gauge-mark').style.left = Math.min(100, threshold) + '%';
  }

  function renderSavings(summary, savings) {
    const spent = Number(summary.totalCost) || 0;
    const saved = Number(summary.totalSavings) || 0;
    const naive = spent + saved;
    setMoney('naive-cost', naive);
    setMoney('savings-spent', spent);
    setMoney('cache-savings', summary.cacheSavings);
    setMoney('routing-savings', summary.modelRoutingSavings);
    $('cheap-share').textContent = percent(savings.cheapModelShare, 0) + ' of upstream calls';
    $('savings-share').textContent = naive > 0 ? percent(saved / naive, 1) + ' saved' : 'nothing to save yet';
    chart('savings', 'savings-chart', {
      type: 'doughnut',
      data: {
        labels: ['Spent', 'Saved by cache', 'Saved by routing'],
        datasets: [{ data: [spent, summary.cacheSavings, summary.modelRoutingSavings], backgroundColor: [COLORS.accent, COLORS.good, COLORS.violet], borderWidth: 0 }],
      },
      options: { cutout: '68%', plugins: { legend: { display: false }, tooltip: { callbacks: { label: (c) => c.label + ': ' + usd(c.raw) } } } },
    });
    $('savings-chart').setAttribute('aria-label', 'Spent ' + usd(spent) + ', saved by cache ' + usd(summary.cacheSavings) + ', saved by routing ' + usd(summary.modelRoutingSavings));
  }

  function renderTimeChart() {
    if (!state.summary || !state.realtime) return;
    let labels;
    let costs;
    let requests;
    if (state.resolution === 'hour') {
      const hours = state.realtime.costByHour || [];
      labels = hours.map((h) => h.hour.slice(11, 16));
      costs = hours.map((h) => h.cost);
      requests = hours.map((h) => Number(h.requests));
    } else {
      // 30 days, every day listed (the summary lists only days with records).
      const byDate = new Map((state.summary.costByDay || []).map((d) => [d.date, d]));
      const start = new Date(state.summary.startDate + 'T00:00:00Z');
      const end = new Date(state.summary.endDate + 'T00:00:00Z');
      labels = [];
      costs = [];
      requests = [];
      for (let d = start; d <= end; d = new Date(d.getTime() + 86400000)) {
        const key = utcDay(d);
        const day = byDate.get(key);
        labels.push(key.slice(5));
        costs.push(day ? day.cost : 0);
        requests.push(day ? Number(day.requests) : 0);
      }
    }
    chart('time', 'time-chart', {
      type: 'bar',
      data: {
        labels,
        datasets: [
          { type: 'bar', label: 'Cost (USD)', data: costs, backgroundColor: COLORS.accent, borderRadius: 4, yAxisID: 'y', order: 2 },
          { type: 'line', label: 'Requests', data: requests, borderColor: COLORS.violet, backgroundColor: COLORS.violet, pointRadius: 0, tension: .3, yAxisID: 'y1', order: 1 },
        ],
      },
      options: {
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 12 } },
          y: { beginAtZero: true, ticks: { callback: (v) => usd(v) }, grid: { color: COLORS.grid } },
          y1: { beginAtZero: true, position: 'right', grid: { display: false }, ticks: { precision: 0 } },
        },
        plugins: { legend: { labels: { boxWidth: 12 } }, tooltip: { callbacks: { label: (c) => c.dataset.yAxisID === 'y' ? 'Cost ' + usd(c.raw) : 'Requests ' + int(c.raw) } } },
      },
    });
    const total = costs.reduce((a, b) => a + b, 0);
    $('time-chart').setAttribute('aria-label', (state.resolution === 'hour' ? 'Cost per hour, last 24 hours' : 'Cost per day, last 30 days') + ': ' + usd(total) + ' in total');
  }

  function renderBreakdowns(summary) {
    breakdown('model', summary.costByModel || {});
    breakdown('provider', summary.costByProvider || {});
    breakdown('operation', summary.costByOperation || {});
  }

  function breakdown(name, map) {
    const entries = Object.entries(map).sort((a, b) => b[1] - a[1]);
    const table = document.querySelector('[data-testid="cost-by-' + name + '"] tbody');
    table.replaceChildren();
    if (entries.length === 0) {
      const row = table.insertRow();
      row.className = 'empty';
      const cell = row.insertCell();
      cell.colSpan = 2;
      cell.textContent = 'No spend in the last 30 days';
    }
    for (const [key, value] of entries) {
      const row = table.insertRow();
      row.dataset.key = key;
      row.insertCell().textContent = key;
      const cost = row.insertCell();
      cost.className = 'num';
      cost.textContent = usd(value);
      cost.dataset.value = String(value);
    }
    chart(name, name + '-chart', {
      type: 'bar',
      data: { labels: entries.map((e) => e[0]), datasets: [{ label: 'Cost (USD)', data: entries.map((e) => e[1]), backgroundColor: PALETTE, borderRadius: 4 }] },
      options: {
        indexAxis: 'y',
        scales: { x: { beginAtZero: true, ticks: { callback: (v) => usd(v), maxTicksLimit: 4 }, grid: { color: COLORS.grid } }, y: { grid: { display: false } } },
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: (c) => usd(c.raw) } } },
      },
    });
  }

  function renderRecommendations(list) {
    const root = $('recommendations');
    root.replaceChildren();
    for (const rec of list) {
      const item = document.createElement('li');
      item.dataset.severity = rec.severity || 'info';
      item.dataset.kind = rec.kind;
      const title = document.createElement('div');
      title.className = 'rec-title';
      const text = document.createElement('span');
      const sev = document.createElement('span');
      sev.className = 'sev';
      sev.textContent = rec.severity || 'info';
      text.append(sev, document.createTextNode(rec.title));
      title.append(text);
      if (rec.estimatedSavingsUsd > 0) {
        const saving = document.createElement('span');
        saving.className = 'rec-saving';
        saving.textContent = 'save ≈ ' + usd(rec.estimatedSavingsUsd) + '/mo';
        title.append(saving);
      }
      const detail = document.createElement('p');
      detail.className = 'rec-detail';
      detail.textContent = rec.detail;
      item.append(title, detail);
      root.append(item);
    }
  }

  // ---------- operations (gateway-wide, polled) ----------
  function startStats() {
    clearInterval(state.statsTimer);
    loadStats();
    state.statsTimer = setInterval(() => { if (document.visibilityState === 'visible') loadStats(); }, STATS_INTERVAL_MS);
    clearInterval(state.costTimer);
    state.costTimer = setInterval(() => { if (document.visibilityState === 'visible') refresh(); }, COST_INTERVAL_MS);
  }

  async function loadStats() {
    let stats;
    try {
      stats = await api('/api/cost/stats');
    } catch (error) {
      handleError(error);
      return;
    }
    const process = stats.process || {};
    const workers = stats.workers || {};
    const overhead = stats.overhead || {};
    const batches = stats.embeddingBatches || {};
    $('ops-rps').textContent = (Number(process.requestRatePerSecond) || 0).toFixed(1);
    $('ops-p50').textContent = Number(overhead.count) > 0 ? ms(overhead.p50Ms) : 'no calls';
    $('ops-p99').textContent = Number(overhead.count) > 0 ? ms(overhead.p99Ms) : 'no calls';
    $('ops-workers').textContent = workers.active + '/' + workers.workers + ' busy · queue ' + workers.queueDepth + '/' + workers.queueCapacity;
    $('ops-batches').textContent = Number(batches.batches) > 0
      ? 'avg ' + Number(batches.meanSize).toFixed(1) + ' · p50 ' + batches.p50Size + ' · max ' + batches.maxSize
      : 'no batches';
    $('ops-process').textContent = (Number(process.cpuPercent) || 0).toFixed(0) + ' % · ' + bytes(process.workingSetBytes);
    const calls = Number(batches.batches) || 0;
    const inputs = Number(batches.inputs) || 0;
    $('coalescing').textContent = calls > 0 || Number(batches.deduplicated) > 0
      ? int(inputs) + ' texts in ' + int(calls) + ' calls · ' + int(batches.deduplicated) + ' deduplicated'
      : 'no embeddings yet';

    const tiers = $('tier-rows');
    tiers.replaceChildren();
    for (const tier of (stats.cache && stats.cache.tiers) || []) {
      const hits = Number(tier.hits) || 0;
      const lookups = hits + (Number(tier.misses) || 0);
      const row = tiers.insertRow();
      row.dataset.layer = tier.layer;
      row.insertCell().textContent = tier.layer;
      cell(row, lookups > 0 ? percent(hits / lookups) : '–', 'num');
      cell(row, int(hits), 'num');
      cell(row, int(tier.entries), 'num');
      status(row.insertCell(), !tier.enabled ? ['', 'off'] : tier.circuitOpen ? ['bad', 'circuit open'] : ['good', 'ok']);
    }

    const upstreams = $('upstream-rows');
    upstreams.replaceChildren();
    for (const upstream of stats.upstreams || []) {
      for (const destination of upstream.destinations || []) {
        const row = upstreams.insertRow();
        row.dataset.destination = destination.id;
        const name = row.insertCell();
        name.textContent = destination.id;
        name.title = destination.address;
        const health = destination.activeHealth === 'unhealthy' || destination.passiveHealth === 'unhealthy' ? 'unhealthy'
          : destination.activeHealth === 'healthy' || destination.passiveHealth === 'healthy' ? 'healthy' : 'no checks';
        status(row.insertCell(), [health === 'unhealthy' ? 'bad' : health === 'healthy' ? 'good' : '', health]);
        const circuit = row.insertCell();
        circuit.dataset.testid = 'circuit';
        status(circuit, [destination.circuit === 'open' ? 'bad' : destination.circuit === 'half_open' ? 'warn' : 'good', destination.circuit.replace('_', '-')]);
        cell(row, String(upstream.inFlight), 'num');
      }
    }
    if (!upstreams.rows.length) {
      const row = upstreams.insertRow();
      row.className = 'empty';
      const c = row.insertCell();
      c.colSpan = 4;
      c.textContent = 'Only the local development model is configured';
    }

    const advice = $('advice');
    advice.replaceChildren();
    for (const line of (stats.performance && stats.performance.recommendations) || []) {
      const item = document.createElement('li');
      item.textContent = line;
      advice.append(item);
    }
    $('ops-updated').textContent = 'gateway-wide · every ' + STATS_INTERVAL_MS / 1000 + ' s';
  }

  function cell(row, text, className) {
    const c = row.insertCell();
    c.textContent = text;
    if (className) c.className = className;
    return c;
  }

  function status(c, [level, text]) {
    const dot = document.createElement('span');
    dot.className = 'dot ' + level;
    dot.setAttribute('aria-hidden', 'true');
    c.replaceChildren(dot, document.createTextNode(text));
    c.dataset.value = text;
  }

  // ---------- live feed ----------
  function setLive(s, text) {
    const el = $('live');
    el.dataset.state = s;
    el.textContent = text;
  }

  function stopLive() {
    if (state.feed) {
      state.feed.stopped = true;
      state.feed.controller.abort();
      clearTimeout(state.feed.retryTimer);
      state.feed = null;
    }
  }

  function startLive() {
    stopLive();
    const feed = { controller: new AbortController(), stopped: false, attempt: 0, retryTimer: 0, retryMs: 2000 };
    state.feed = feed;
    connect(feed);
  }

  async function connect(feed) {
    setLive(feed.attempt === 0 ? 'connecting' : 'reconnecting', feed.attempt === 0 ? 'Connecting…' : 'Reconnecting…');
    let heartbeatMs = 15000;
    let watchdog = 0;
    const controller = new AbortController();
    feed.controller = controller;
    const arm = () => {
      clearTimeout(watchdog);
      // Silence for three heartbeats means the connection is gone even if the socket has not said so.
      watchdog = setTimeout(() => controller.abort(), heartbeatMs * 3);
    };
    try {
      const response = await fetch(withTenant('/api/cost/events'), { headers: headers(), cache: 'no-store', signal: controller.signal });
      if (response.status === 401) {
        handleError(new ApiError(401, 'unauthenticated'));
        return;
      }
      if (!response.ok || !response.body) throw new Error('HTTP ' + response.status);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      arm();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        arm();
        buffer += value.replace(/\r\n/g, '\n');
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = parseFrame(frame);
          if (event.retry) feed.retryMs = event.retry;
          if (!event.name) continue;
          if (event.name === 'ready') {
            const ready = JSON.parse(event.data);
            heartbeatMs = (ready.heartbeatSeconds || 15) * 1000;
            arm();
            setLive('live', 'Live');
            if (feed.attempt > 0) scheduleRefresh(); // catch up on anything metered while disconnected
            feed.attempt = 0;
          } else if (event.name === 'record') {
            addFeedRow(JSON.parse(event.data));
            scheduleRefresh();
          } else if (event.name === 'alert') {
            scheduleRefresh();
          }
        }
      }
    } catch (error) {
      if (feed.stopped) return;
      if (error && error.name !== 'AbortError') console.info('live feed dropped:', error.message);
    } finally {
      clearTimeout(watchdog);
    }
    if (feed.stopped || state.feed !== feed) return;
    feed.attempt++;
    setLive('reconnecting', 'Reconnecting…');
    const delay = Math.min(RECONNECT_MAX_MS, feed.retryMs * Math.min(8, feed.attempt));
    feed.retryTimer = setTimeout(() => connect(feed), delay);
  }

  function parseFrame(frame) {
    const event = { name: '', data: '', retry: 0 };
    const data = [];
    for (const line of frame.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event.name = value;
      else if (field === 'data') data.push(value);
      else if (field === 'retry' && /^\d+$/.test(value)) event.retry = Number(value);
    }
    event.data = data.join('\n');
    return event;
  }

  function addFeedRow(record) {
    const rows = $('feed-rows');
    const row = rows.insertRow(0);
    row.className = 'fresh';
    row.dataset.id = record.id;
    const at = new Date(record.timestamp);
    cell(row, at.toLocaleTimeString('en-GB'));
    const model = cell(row, record.model);
    model.title = record.provider + ' · ' + record.operation;
    cell(row, int(Number(record.inputTokens) + Number(record.outputTokens)), 'num');
    const cost = cell(row, usd(record.costUsd), 'num');
    cost.dataset.value = String(record.costUsd);
    cell(row, record.cacheHit ? 'hit · saved ' + usd(record.cacheSavingsUsd) : 'miss');
    while (rows.rows.length > MAX_FEED_ROWS) rows.deleteRow(rows.rows.length - 1);
    state.feedRows++;
    $('feed-count').textContent = int(state.feedRows) + ' since the page opened';
  }

  // ---------- charts ----------
  const COLORS = { accent: '#5aa9ff', violet: '#a58bff', good: '#3fcf8e', warn: '#f5b83d', grid: 'rgba(163, 177, 194, .12)' };
  const PALETTE = ['#5aa9ff', '#a58bff', '#3fcf8e', '#f5b83d', '#ff8fa3', '#4dd4e6', '#c9d36a'];

  function chart(name, canvasId, config) {
    const existing = state.charts[name];
    if (existing && existing.config.type === config.type) {
      // New data only: each chart's options never change, and Chart.js resolves them through proxies.
      existing.data.labels = config.data.labels;
      existing.data.datasets = config.data.datasets;
      existing.update('none');
      return;
    }
    if (existing) existing.destroy();
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options);
    state.charts[name] = new Chart($(canvasId), config);
  }

  function configureCharts() {
    Chart.defaults.color = '#a3b1c2';
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.font.size = 12;
    Chart.defaults.borderColor = 'rgba(163, 177, 194, .15)';
  }

  // ---------- wiring ----------
  document.addEventListener('DOMContentLoaded', () => {
    configureCharts();
    $('signin-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const key = $('key-input').value.trim();
      if (!key) {
        $('key-error').textContent = 'Enter an API key.';
        return;
      }
      state.key = key;
      sessionStorage.setItem(KEY_STORAGE, key);
      start();
    });
    $('sign-out').addEventListener('click', () => {
      state.key = '';
      sessionStorage.removeItem(KEY_STORAGE);
      clearInterval(state.statsTimer);
      clearInterval(state.costTimer);
      showSignIn('');
    });
    $('tenant-select').addEventListener('change', (event) => switchTenant(event.target.value));
    for (const [id, resolution] of [['by-hour', 'hour'], ['by-day', 'day']]) {
      $(id).addEventListener('click', () => {
        state.resolution = resolution;
        $('by-hour').setAttribute('aria-pressed', String(resolution === 'hour'));
        $('by-day').setAttribute('aria-pressed', String(resolution === 'day'));
        renderTimeChart();
      });
    }
    start();
  });
})();
