// cco dashboard: polls /api/status and /api/stats and draws what they say.
// Plain DOM and inline SVG, no dependencies; every field may be missing
// (an older daemon), so every read is guarded and shows "—" instead.
'use strict';

(() => {
  const POLL_MS = 5000;
  const DAYS = 30;
  const DAY_MS = 86400000;
  const SVG = 'http://www.w3.org/2000/svg';

  const state = { status: null, stats: null, statusAt: 0, metric: 'requests', newest: 0, refreshes: 0, timer: 0 };

  const $ = (id) => document.getElementById(id);
  const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

  // el builds an element; attrs starting with "on" are listeners, "text" is textContent.
  function el(tag, attrs, ...children) {
    const node = tag.startsWith('svg:') ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'text') node.textContent = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, String(v));
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  }
  function setText(id, text, title) {
    const node = $(id);
    node.textContent = text;
    if (title) node.title = title; else node.removeAttribute('title');
  }

  // Formatting, in the reader's locale.
  const intFmt = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
  const compactFmt = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
  const pctFmt = new Intl.NumberFormat(undefined, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const usdFmts = {};
  const fmt = {
    int: (v) => (num(v) === null ? '—' : intFmt.format(v)),
    compact: (v) => (num(v) === null ? '—' : compactFmt.format(v)),
    pct: (v) => (num(v) === null ? '—' : pctFmt.format(v)),
    usd(v) {
      if (num(v) === null) return '—';
      const a = Math.abs(v);
      const d = a === 0 || a >= 1 ? 2 : a >= 0.01 ? 3 : 4; // small costs stay visible
      usdFmts[d] = usdFmts[d] || new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD', minimumFractionDigits: d, maximumFractionDigits: d });
      return usdFmts[d].format(v);
    },
    bytes(v) {
      if (num(v) === null) return '—';
      const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
      let i = 0;
      while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
      return (i === 0 ? intFmt.format(v) : v.toFixed(v < 10 ? 2 : 1)) + ' ' + units[i];
    },
    ms(v) {
      if (num(v) === null) return '—';
      return v < 1000 ? intFmt.format(Math.round(v)) + ' ms' : (v / 1000).toFixed(v < 10000 ? 2 : 1) + ' s';
    },
    duration(s) {
      if (num(s) === null) return '—';
      s = Math.max(0, Math.floor(s));
      const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
      if (d) return `${d}d ${h}h`;
      if (h) return `${h}h ${m}m`;
      if (m) return `${m}m ${s % 60}s`;
      return `${s}s`;
    },
    ago(iso) {
      const t = Date.parse(iso);
      if (!Number.isFinite(t)) return '—';
      const s = Math.round((Date.now() - t) / 1000);
      if (s < 5) return 'just now';
      if (s < 90) return `${s}s ago`;
      if (s < 5400) return `${Math.round(s / 60)} min ago`;
      return `${Math.round(s / 3600)} h ago`;
    },
    time(iso) {
      const d = new Date(iso);
      if (!Number.isFinite(d.getTime())) return '—';
      const sameDay = d.toDateString() === new Date().toDateString();
      return sameDay
        ? d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' })
        : d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
    },
    day: (key) => new Date(key + 'T00:00:00Z').toLocaleDateString(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' }),
  };

  // The 30-day window, in whole UTC days, ending now.
  function windowDays(now) {
    const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    const keys = [];
    for (let i = DAYS - 1; i >= 0; i--) keys.push(new Date(today - i * DAY_MS).toISOString().slice(0, 10));
    return { since: new Date(today - (DAYS - 1) * DAY_MS), keys };
  }

  async function getJSON(path) {
    const r = await fetch(path, { cache: 'no-store', headers: { Accept: 'application/json' } });
    if (!r.ok) {
      let msg = `HTTP ${r.status}`;
      try { msg = (await r.json()).error.message || msg; } catch (_) { /* not an API error body */ }
      throw new Error(msg);
    }
    return r.json();
  }

  async function refresh() {
    clearTimeout(state.timer);
    const now = new Date();
    const win = windowDays(now);
    const q = new URLSearchParams({ since: win.since.toISOString(), until: now.toISOString() });
    const by = (what) => getJSON('/api/stats?' + new URLSearchParams({ since: win.since.toISOString(), until: now.toISOString(), by: what, limit: '20' }));
    const [status, stats, sessions, projects] = await Promise.allSettled([getJSON('/api/status'), getJSON('/api/stats?' + q), by('session'), by('project')]);
    try {
      if (status.status === 'fulfilled') { state.status = status.value; state.statusAt = Date.now(); }
      if (stats.status === 'fulfilled') state.stats = stats.value;
      renderBanner(status, stats);
      renderStatus(status.status === 'fulfilled');
      if (stats.status === 'fulfilled') renderStats(win.keys);
      if (sessions.status === 'fulfilled') renderSessions(sessions.value.groups || []);
      if (projects.status === 'fulfilled') renderProjects(projects.value.groups || []);
      if (status.status === 'fulfilled') await renderTeam(status.value.team, win, now);
      state.refreshes++;
      document.body.dataset.refreshes = String(state.refreshes);
      document.body.dataset.state = status.status === 'fulfilled' && stats.status === 'fulfilled' ? 'ready' : 'error';
    } finally {
      // A render bug must not stop the page from trying again.
      clearTimeout(state.timer);
      if (!document.hidden) state.timer = setTimeout(refresh, POLL_MS);
    }
  }

  function renderBanner(status, stats) {
    const b = $('banner');
    let msg = '';
    if (status.status === 'rejected') {
      msg = `Cannot reach the cco daemon at ${location.host} (${status.reason.message}). Retrying every ${POLL_MS / 1000} s — is it running? Try “cco status”.`;
    } else if (stats.status === 'rejected') {
      msg = `Usage statistics are unavailable: ${stats.reason.message}. Retrying every ${POLL_MS / 1000} s.`;
    }
    b.textContent = msg;
    b.hidden = !msg;
  }

  function renderStatus(reachable) {
    const s = state.status || {};
    const health = s.health || {};
    const pill = $('health');
    let cls = 'pill-ok', label = 'healthy';
    if (!reachable) { cls = 'pill-bad'; label = 'unreachable'; }
    else if (s.ready === false) { cls = 'pill-warn'; label = 'not ready'; }
    else if (num(health.consecutive_failures) > 0) { cls = 'pill-warn'; label = 'health check failing'; }
    pill.className = 'pill ' + cls;
    pill.textContent = label;

    setText('s-version', s.version || '—');
    setText('s-pid', s.pid ? String(s.pid) : '—');
    setText('s-manager', s.manager || '—');
    setText('s-listen', s.listen || '—', s.url);
    tick();

    let checks = '—', checksTitle = '';
    if (health.checks_enabled === false) checks = 'off';
    else if (health.checks_enabled) {
      const n = num(health.consecutive_failures) || 0;
      checks = n > 0 ? `failing (${n} in a row)` : health.last_check ? `passing, checked ${fmt.ago(health.last_check)}` : 'on, not run yet';
      checksTitle = health.last_error || '';
    }
    setText('s-checks', checks, checksTitle);
    const a = s.analytics;
    let an = '—';
    if (a) {
      an = `${fmt.int(a.written)} recorded`;
      if (num(a.queued)) an += `, ${fmt.int(a.queued)} queued`;
      if (num(a.write_errors)) an += `, ${fmt.int(a.write_errors)} write errors`;
    }
    setText('s-analytics', an, a && a.last_error);
    const pr = s.prices;
    setText('s-prices', pr ? `${pr.version} (${pr.date})` : '—', pr && pr.source);
    renderPlan(s.plan);

    const c = s.cache || {};
    setText('c-entries', fmt.int(c.entries));
    setText('c-bytes', fmt.bytes(c.bytes));
    setText('c-max', fmt.bytes(c.max_bytes));
    const used = num(c.bytes) !== null && num(c.max_bytes) ? Math.min(1, c.bytes / c.max_bytes) : 0;
    $('c-meter').style.width = (used > 0 ? Math.max(used * 100, 1) : 0) + '%';
    const lookups = (num(c.hits) || 0) + (num(c.misses) || 0);
    setText('c-hitrate', num(c.hits) === null ? '—' : lookups ? fmt.pct(c.hits / lookups) : 'no lookups yet');
    setText('c-hits', num(c.hits) === null ? '—' : `${fmt.int(c.hits)} / ${fmt.int(c.misses)}`);
    setText('c-evictions', fmt.int(c.evictions));
    setText('c-ttl', num(c.ttl_s) === null ? '—' : fmt.duration(c.ttl_s));
    if (s.url) $('empty-cmd').textContent = `export ANTHROPIC_BASE_URL=${s.url}`;
  }

  // tick keeps the clocks on the page moving between polls.
  function tick() {
    const s = state.status;
    if (s && num(s.uptime_s) !== null) setText('s-uptime', fmt.duration(s.uptime_s + (Date.now() - state.statusAt) / 1000), s.started_at);
    if (state.statusAt) setText('updated', `updated ${fmt.ago(new Date(state.statusAt).toISOString())}`);
  }

  function renderStats(keys) {
    const st = state.stats || {};
    const t = st.totals || {};
    document.body.dataset.empty = String(!(num(t.requests) > 0));
    setText('t-requests', fmt.int(t.requests));
    setText('t-requests-sub', num(t.errors) ? `${fmt.int(t.errors)} errors · avg ${fmt.ms(t.avg_latency_ms)}` : num(t.requests) ? `no errors · avg ${fmt.ms(t.avg_latency_ms)}` : '');
    setText('t-input', fmt.int(t.input_tokens));
    setText('t-input-sub', num(t.cache_read_tokens) || num(t.cache_creation_tokens) ? `+ ${fmt.compact(t.cache_read_tokens)} cache read, ${fmt.compact(t.cache_creation_tokens)} written` : '');
    setText('t-output', fmt.int(t.output_tokens));
    setText('t-output-sub', '');
    setText('t-cost', fmt.usd(t.cost_usd));
    const costNotes = [];
    if (num(t.subscription_cost_usd)) costNotes.push(`${fmt.usd(t.subscription_cost_usd)} of it API-equivalent (subscription)`);
    if (num(t.unpriced_requests)) costNotes.push(`${fmt.int(t.unpriced_requests)} unpriced`);
    if (num(t.saved_cost_usd)) costNotes.push(`${fmt.usd(t.saved_cost_usd)} saved by the cache`);
    setText('t-cost-sub', costNotes.join(' · '), num(t.unpriced_requests) ? 'unpriced: a model with no known price (not $0); give it one with [prices."MODEL"] in config.toml' : null);
    setText('t-hitrate', num(t.requests) ? fmt.pct(t.cache_hit_rate) : '—');
    setText('t-hitrate-sub', num(t.cache_hits) ? `${fmt.int(t.cache_hits)} hits · ${fmt.compact(t.saved_tokens)} tokens saved` : '');
    $('empty').hidden = num(t.requests) > 0;

    const byDay = new Map((st.days || []).map((d) => [d.day, d]));
    state.days = keys.map((k) => Object.assign({ day: k, requests: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0, cache_hits: 0 }, byDay.get(k)));
    drawChart();
    renderModels(st.models || []);
    renderRecent(st.recent || []);
  }

  function renderModels(models) {
    const rows = models.map((m) => el('tr', null,
      el('td', { class: 'model', text: m.model || '(unknown)' }),
      el('td', { class: 'num requests', text: fmt.int(m.requests) }),
      el('td', { class: 'num errors', text: fmt.int(m.errors) }),
      el('td', { class: 'num input', text: fmt.int(m.input_tokens) }),
      el('td', { class: 'num output', text: fmt.int(m.output_tokens) }),
      el('td', { class: 'num cache-read', text: fmt.int(m.cache_read_tokens) }),
      el('td', { class: 'num cache-write', text: fmt.int(m.cache_creation_tokens) }),
      el('td', { class: 'num hitrate', text: fmt.pct(m.cache_hit_rate) }),
      el('td', { class: 'num latency', text: fmt.ms(m.avg_latency_ms) }),
      el('td', { class: 'num cost', text: cost(m.cost_usd, m.unpriced_requests), title: m.unpriced_requests ? unpricedHint : null })));
    fillTable('models', rows, 10, 'No calls in the last 30 days.');
  }

  const unpricedHint = 'no price known for this model (unpriced, not $0): give it one with [prices."MODEL"] in config.toml';

  // cost shows a cost that may be unknown: "unpriced", never $0.00.
  function cost(v, unpriced) {
    if (v === null || v === undefined) return 'unpriced';
    return unpriced ? `${fmt.usd(v)} + unpriced` : fmt.usd(v);
  }

  function tokens(g) {
    return (num(g.input_tokens) || 0) + (num(g.output_tokens) || 0) + (num(g.cache_read_tokens) || 0) + (num(g.cache_creation_tokens) || 0);
  }

  function renderSessions(groups) {
    const projectOf = new Map();
    for (const r of (state.stats && state.stats.recent) || []) if (r.session && r.project && !projectOf.has(r.session)) projectOf.set(r.session, r.project);
    const rows = groups.map((g) => el('tr', null,
      el('td', { class: 'session mono', text: g.key ? g.key.slice(0, 8) : '(none)', title: g.key || 'calls without a Claude Code session' }),
      el('td', { class: 'project', text: projectOf.get(g.key) || '—', title: projectOf.get(g.key) || null }),
      el('td', { class: 'num requests', text: fmt.int(g.requests) }),
      el('td', { class: 'num tokens', text: fmt.compact(tokens(g)) }),
      el('td', { class: 'num cost', text: cost(g.cost_usd, g.unpriced_requests), title: g.subscription_cost_usd ? `${fmt.usd(g.subscription_cost_usd)} API-equivalent (subscription)` : null }),
      el('td', { class: 'num duration', text: fmt.duration((Date.parse(g.last) - Date.parse(g.first)) / 1000) })));
    fillTable('sessions', rows, 6, 'No Claude Code sessions yet (run Claude Code through cco).');
  }

  function renderProjects(groups) {
    const rows = groups.map((g) => groupRow(g,
      el('td', { class: 'project', text: g.key || '(none)', title: g.key || 'calls without a project (started without cco claude)' }), null));
    fillTable('projects', rows, 5, 'No projects yet.');
  }

  // The group tables (data-group names their key's column: projects, the
  // team's users and machines) have one set of columns: groupHead heads
  // them, groupRow is one group's row after its key's cell.
  function groupHead(key) {
    const th = (text, cls) => el('th', { scope: 'col', class: cls, text });
    return el('tr', null, th(key), th('Requests', 'num'), th('Tokens', 'num'), th('Cost', 'num'), th('Last call'));
  }

  function groupRow(g, keyCell, costTitle) {
    return el('tr', null, keyCell,
      el('td', { class: 'num requests', text: fmt.int(g.requests) }),
      el('td', { class: 'num tokens', text: fmt.compact(tokens(g)) }),
      el('td', { class: 'num cost', text: cost(g.cost_usd, g.unpriced_requests), title: costTitle }),
      el('td', { class: 'time', text: fmt.time(g.last), title: g.last }));
  }

  // renderTeam shows the team database's figures when team_url is set:
  // the shipping's state from /api/status, and the team's usage by user
  // and machine, which the daemon reads from the team database.
  async function renderTeam(team, win, now) {
    $('team').hidden = !team;
    if (!team) return;
    const parts = [`${fmt.int(team.pending)} rows pending`, `${fmt.int(team.shipped)} shipped since start`];
    if (team.last_shipped_at) parts.push(`last shipped ${fmt.ago(team.last_shipped_at)}`);
    if (team.last_error) parts.push(`failing${team.failing_since ? ' since ' + fmt.time(team.failing_since) : ''}: ${team.last_error}`);
    setText('team-state', `${team.url} · ${parts.join(' · ')}`);
    $('team-state').className = 'small' + (team.last_error ? ' bad' : '');
    const by = (what) => getJSON('/api/team/stats?' + new URLSearchParams({ since: win.since.toISOString(), until: now.toISOString(), by: what, limit: '20' }));
    const [users, machines] = await Promise.allSettled([by('user'), by('machine')]);
    const rows = (res, what) => {
      if (res.status !== 'fulfilled') return [el('tr', null, el('td', { class: 'none', colspan: 5, text: `The team database did not answer: ${res.reason.message}` }))];
      return (res.value.groups || []).map((g) => groupRow(g, el('td', { class: what, text: g.key || '(none)' }),
        g.subscription_cost_usd ? `${fmt.usd(g.subscription_cost_usd)} API-equivalent (subscription)` : null));
    };
    fillTable('team-users', rows(users, 'user'), 5, 'No calls shipped by anyone yet.');
    fillTable('team-machines', rows(machines, 'machine'), 5, 'No calls shipped from any machine yet.');
  }

  // renderPlan draws one gauge per window of the subscription plan.
  function renderPlan(plan) {
    const box = $('plan');
    const windows = (plan && plan.windows) || [];
    box.hidden = !windows.length;
    if (!windows.length) return;
    setText('plan-seen', plan.seen_at ? `seen ${fmt.ago(plan.seen_at)}` : '');
    $('plan-windows').replaceChildren(...windows.map((w) => {
      const pct = Math.max(0, Math.min(1, num(w.utilization) || 0));
      const level = w.stale ? 'stale' : pct >= 0.9 ? 'bad' : pct >= 0.75 ? 'warn' : 'ok';
      const resets = w.resets_at ? (w.stale ? 'has reset since' : `resets ${fmt.time(w.resets_at)}`) : '';
      // The width is set through the CSSOM: the page's CSP allows no inline style attributes.
      const fill = el('div', { class: 'meter-fill' });
      fill.style.width = `${Math.max(pct * 100, pct > 0 ? 1 : 0)}%`;
      return el('div', { class: 'plan-window ' + level, 'data-window': w.name },
        el('div', { class: 'plan-name', text: w.name }),
        el('div', { class: 'meter', role: 'meter', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': Math.round(pct * 100), 'aria-label': `${w.name} window used` }, fill),
        el('div', { class: 'plan-figure', text: `${Math.round(pct * 100)}%${w.stale ? ' (stale)' : ''}` }),
        el('div', { class: 'muted small', text: resets }));
    }));
  }

  function renderRecent(recent) {
    const prevNewest = state.newest;
    const rows = recent.map((r) => {
      const ok = r.status >= 200 && r.status < 300;
      const cache = r.cache || '—';
      const tr = el('tr', null,
        el('td', { class: 'time', text: fmt.time(r.time), title: r.time }),
        el('td', { class: 'model', text: r.model || '(unknown)' }),
        el('td', { class: 'status' }, el('span', { class: ok ? 'tag' : 'tag tag-bad', text: String(r.status ?? '—') }),
          r.interrupted ? el('span', { class: 'muted small', text: ' interrupted' }) : r.error_type ? el('span', { class: 'muted small', text: ' ' + r.error_type }) : null,
          r.stream ? el('span', { class: 'muted small', text: ' stream' }) : null),
        el('td', { class: 'cache' }, el('span', { class: cache === 'hit' ? 'tag tag-hit' : 'tag', text: cache })),
        el('td', { class: 'num input', text: fmt.int(r.input_tokens) }),
        el('td', { class: 'num output', text: fmt.int(r.output_tokens) }),
        el('td', { class: 'num cache-read', text: fmt.int(r.cache_read_tokens) }),
        el('td', { class: 'num latency', text: fmt.ms(r.latency_ms), title: num(r.ttfb_ms) !== null ? `first byte after ${fmt.ms(r.ttfb_ms)}` : null }),
        el('td', { class: 'num cost', text: r.cost_usd === null ? 'unpriced' : fmt.usd(r.cost_usd), title: r.cost_usd === null ? unpricedHint : null }));
      if (prevNewest && Date.parse(r.time) > prevNewest) tr.classList.add('fresh');
      return tr;
    });
    if (recent.length) state.newest = Date.parse(recent[0].time) || state.newest;
    fillTable('recent', rows, 9, 'No calls yet.');
  }

  function fillTable(id, rows, cols, emptyText) {
    const body = $(id).tBodies[0];
    body.replaceChildren(...(rows.length ? rows : [el('tr', null, el('td', { class: 'none', colspan: cols, text: emptyText }))]));
  }

  // The chart: one column per UTC day, tokens stacked input under output.
  const metrics = {
    requests: { parts: [['requests', 'bar']], axis: fmt.compact, label: (d) => `${fmt.int(d.requests)} requests` },
    tokens: { parts: [['input_tokens', 'bar-in'], ['output_tokens', 'bar']], axis: fmt.compact,
      label: (d) => `${fmt.int(d.input_tokens)} in · ${fmt.int(d.output_tokens)} out` },
    cost: { parts: [['cost_usd', 'bar']], axis: fmt.usd, label: (d) => fmt.usd(d.cost_usd) },
  };

  // axisScale picks a round step for at most six gridlines; counts never get
  // fractional steps such as 2.5 requests.
  function axisScale(max, integer) {
    if (!(max > 0)) return { top: integer ? 4 : 1, step: integer ? 1 : 0.25 };
    const raw = max / 5;
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    let step = [1, 2, 2.5, 5, 10].filter((x) => !(integer && x === 2.5 && p < 10)).find((x) => x * p >= raw) * p;
    if (integer) step = Math.max(1, Math.round(step));
    return { top: Math.ceil(max / step - 1e-9) * step, step };
  }

  function drawChart() {
    const box = $('chart');
    const days = state.days || [];
    const m = metrics[state.metric];
    $('chart-legend').hidden = state.metric !== 'tokens';
    const W = box.clientWidth, H = box.clientHeight;
    if (!W || !H || !days.length) { box.replaceChildren(); return; }
    const pad = { l: 56, r: 6, t: 8, b: 26 };
    const pw = W - pad.l - pad.r, ph = H - pad.t - pad.b;
    const total = (d) => m.parts.reduce((sum, [k]) => sum + (num(d[k]) || 0), 0);
    const { top, step } = axisScale(Math.max(...days.map(total)), state.metric !== 'cost');
    const y = (v) => pad.t + ph - (v / top) * ph;
    const svg = el('svg:svg', { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img',
      'aria-label': `${state.metric} per day for the last ${DAYS} days` });
    for (let i = 0; i * step <= top + 1e-9; i++) {
      const v = i * step;
      svg.append(el('svg:line', { class: 'gridline', x1: pad.l, x2: W - pad.r, y1: y(v), y2: y(v) }),
        el('svg:text', { class: 'axis', x: pad.l - 8, y: y(v) + 4, 'text-anchor': 'end', text: m.axis(v) }));
    }
    const slot = pw / days.length, bw = Math.max(2, Math.min(28, slot * 0.66));
    days.forEach((d, i) => {
      const x = pad.l + i * slot + (slot - bw) / 2;
      const col = el('svg:g', { class: 'col', 'data-day': d.day });
      let base = 0;
      for (const [k, cls] of m.parts) {
        const v = num(d[k]) || 0;
        if (v > 0) {
          const h = Math.max(1.5, y(base) - y(base + v)); // a tiny day still shows
          col.append(el('svg:rect', { class: 'bar ' + cls, x, y: y(base) - h, width: bw, height: h, rx: Math.min(3, bw / 4), 'data-value': v }));
        }
        base += v;
      }
      col.append(el('svg:rect', { class: 'hit', x: pad.l + i * slot, y: pad.t, width: slot, height: ph,
        onmouseenter: () => showTip(d, x + bw / 2, y(total(d))), onmouseleave: hideTip }));
      svg.append(col);
      const fromEnd = days.length - 1 - i;
      if (fromEnd % 7 === 0) {
        svg.append(el('svg:text', { class: fromEnd === 0 ? 'axis today' : 'axis', x: pad.l + i * slot + slot / 2, y: H - 8,
          'text-anchor': fromEnd === 0 ? 'end' : 'middle', text: fromEnd === 0 ? 'today' : fmt.day(d.day) }));
      }
    });
    box.replaceChildren(svg);
  }

  function showTip(d, x, y) {
    const tip = $('tooltip');
    tip.replaceChildren(el('b', { text: fmt.day(d.day) }), metrics[state.metric].label(d),
      num(d.cache_hits) ? el('div', { class: 'small', text: `${fmt.int(d.cache_hits)} cache hits` }) : null);
    const box = $('chart');
    tip.style.left = box.offsetLeft + x + 'px';
    tip.style.top = box.offsetTop + y - 6 + 'px';
    tip.hidden = false;
  }
  function hideTip() { $('tooltip').hidden = true; }

  function selectMetric(metric) {
    if (!metrics[metric]) return;
    state.metric = metric;
    for (const b of document.querySelectorAll('.tabs button')) b.setAttribute('aria-selected', String(b.dataset.metric === metric));
    try { localStorage.setItem('cco.metric', metric); } catch (_) { /* storage may be disabled */ }
    drawChart();
  }

  function start() {
    for (const t of document.querySelectorAll('table[data-group]')) t.tHead.replaceChildren(groupHead(t.dataset.group));
    for (const b of document.querySelectorAll('.tabs button')) b.addEventListener('click', () => selectMetric(b.dataset.metric));
    let saved = null;
    try { saved = localStorage.getItem('cco.metric'); } catch (_) { /* storage may be disabled */ }
    if (saved) selectMetric(saved);
    new ResizeObserver(() => drawChart()).observe($('chart'));
    document.addEventListener('visibilitychange', () => { if (!document.hidden) refresh(); else clearTimeout(state.timer); });
    setInterval(tick, 1000);
    refresh();
  }

  start();
})();
