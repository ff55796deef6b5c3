// Junction's dashboard: polls the admin listener's /dashboard/api/state and draws it. Plain JavaScript,
// no build step; uPlot (served beside it) draws the charts. Rows are updated in place, keyed by name,
// so a button keeps its focus across updates. Every value from the server is set as text, never HTML.
'use strict';

(() => {
  const STATE_PATH = '/dashboard/api/state';
  const POLL_MS = 2000;
  const TOKEN_KEY = 'junction-admin-token';
  const DRAINED_KEY = 'junction-drained';
  const SHOWN_ERRORS = 15;

  const $ = (id) => document.getElementById(id);
  const enc = encodeURIComponent;

  class AuthError extends Error {}

  function authHeaders(extra) {
    const headers = { ...extra };
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers.authorization = `Bearer ${token}`;
    return headers;
  }

  /** A call to the admin API, with the token as a header; throws AuthError on 401. */
  async function api(method, path, body) {
    const init = {
      method,
      cache: 'no-store',
      headers: authHeaders(body === undefined ? {} : { 'content-type': 'application/json' }),
    };
    if (body !== undefined) init.body = JSON.stringify(body);
    const response = await fetch(path, init);
    const data = await response.json().catch(() => null);
    if (response.status === 401) throw new AuthError(data?.error?.message ?? 'unauthorized');
    if (!response.ok) throw new Error(data?.error?.message ?? `HTTP ${response.status}`);
    return data;
  }

  // ---- formatting -------------------------------------------------------------------------------

  const dash = '–';
  function num(value, digits = 1) {
    if (value === null || value === undefined) return dash;
    if (value >= 1000) return Math.round(value).toLocaleString('en');
    return Number(value.toFixed(digits)).toString();
  }
  function bytes(value) {
    if (value === null || value === undefined) return dash;
    const units = ['B', 'kB', 'MB', 'GB'];
    let v = value;
    let i = 0;
    while (v >= 1000 && i < units.length - 1) {
      v /= 1000;
      i++;
    }
    return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
  }
  function millis(value) {
    if (value === null || value === undefined) return dash;
    return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${num(value, value < 10 ? 2 : 1)} ms`;
  }
  function percent(ratio) {
    if (ratio === null || ratio === undefined) return dash;
    return `${(ratio * 100).toFixed(ratio < 0.01 && ratio > 0 ? 2 : 1)} %`;
  }
  function duration(ms) {
    const s = Math.floor(ms / 1000);
    const d = Math.floor(s / 86400);
    const h = Math.floor((s % 86400) / 3600);
    const m = Math.floor((s % 3600) / 60);
    if (d > 0) return `${d}d ${h}h`;
    if (h > 0) return `${h}h ${m}m`;
    if (m > 0) return `${m}m ${s % 60}s`;
    return `${s}s`;
  }
  const time = (ms) => new Date(ms).toLocaleTimeString();

  // ---- DOM helpers -----------------------------------------------------------------------------

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (name === 'class') node.className = value;
      else if (name === 'text') node.textContent = value;
      else node.setAttribute(name, value);
    }
    for (const child of children) node.append(child);
    return node;
  }

  function setText(node, text) {
    const value = String(text);
    if (node.textContent !== value) node.textContent = value;
  }

  /**
   * Makes `container`'s children the items' rows, in order, reusing a row by its key (its
   * `data-key`): create(item) builds one, update(row, item) refreshes it.
   */
  function syncRows(container, items, key, create, update) {
    const existing = new Map();
    for (const child of [...container.children]) existing.set(child.dataset.key, child);
    let previous = null;
    for (const item of items) {
      const k = key(item);
      let row = existing.get(k);
      if (row === undefined) {
        row = create(item);
        row.dataset.key = k;
      }
      existing.delete(k);
      update(row, item);
      const wanted = previous === null ? container.firstChild : previous.nextSibling;
      if (wanted !== row) container.insertBefore(row, wanted);
      previous = row;
    }
    for (const stale of existing.values()) {
      stale.chart?.destroy();
      stale.remove();
    }
  }

  /** A row of `cells` cells; `row.cells[i]` is filled by update. */
  function tableRow(count, numeric = []) {
    const tr = el('tr');
    for (let i = 0; i < count; i++) tr.append(el('td', numeric.includes(i) ? { class: 'num' } : {}));
    return tr;
  }

  // ---- charts ----------------------------------------------------------------------------------

  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

  let trafficChart = null;

  function trafficOptions(width) {
    const axis = {
      stroke: css('--muted'),
      grid: { stroke: css('--border'), width: 1 },
      ticks: { stroke: css('--border') },
    };
    return {
      width,
      height: 170,
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [axis, { ...axis, size: 50 }],
      series: [
        {},
        { label: 'req/s', stroke: css('--accent'), width: 2, fill: 'transparent' },
        { label: 'errors/s', stroke: css('--bad'), width: 2 },
      ],
    };
  }

  function drawTraffic(series) {
    if (series.t.length < 2) return; // a chart needs two readings
    const host = $('traffic-chart');
    const data = [series.t, series.rps, series.eps];
    const width = Math.max(240, host.clientWidth);
    if (trafficChart === null) {
      trafficChart = new uPlot(trafficOptions(width), data, host);
    } else {
      if (trafficChart.width !== width) trafficChart.setSize({ width, height: 170 });
      trafficChart.setData(data);
    }
  }

  function sparkOptions(width) {
    return {
      width,
      height: 44,
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: true }, ms: { auto: true } },
      axes: [{ show: false }, { show: false }, { show: false, scale: 'ms' }],
      series: [
        {},
        { label: 'req/s', stroke: css('--accent'), width: 1.5, spanGaps: true },
        { label: 'p95 ms', stroke: css('--warn'), width: 1, dash: [3, 3], scale: 'ms', spanGaps: true },
      ],
    };
  }

  // ---- sections --------------------------------------------------------------------------------

  function renderOverview(state) {
    setText($('version'), `v${state.version}`);
    const totals = state.totals;
    setText($('rps'), num(totals.requestsPerSecond));
    setText($('eps'), num(totals.errorsPerSecond));
    setText($('bytes'), `${bytes(totals.receivedBytesPerSecond)}/s · ${bytes(totals.sentBytesPerSecond)}/s`);
    setText($('sessions'), num(totals.sessions, 0));
    setText($('inflight'), num(totals.upstreamInFlight, 0));
    setText($('uptime'), duration(state.uptimeMs));
    setText($('window'), state.windowSeconds ? `last ${duration(state.windowSeconds * 1000)}` : '');
    const c = state.config;
    const facts = [
      ['Version', `${c.version} (${c.hash.slice(0, 12)})`],
      ['Source', c.source + (c.unsaved ? ' (API edits not saved)' : '')],
      ['Applied', new Date(c.appliedAt).toLocaleString()],
      ['Reloads', `${c.reloadsApplied} applied, ${c.reloadsRefused} refused`],
    ];
    syncRows(
      $('config'),
      facts.flatMap(([k, v]) => [
        ['dt', k],
        ['dd', v, k],
      ]),
      (f) => (f[0] === 'dt' ? `t:${f[1]}` : `d:${f[2]}`),
      (f) => el(f[0]),
      (node, f) => setText(node, f[1]),
    );
    const change = c.lastChange;
    setText(
      $('config-change'),
      change === null
        ? ''
        : `Last change, version ${change.from ?? 'at start'} → ${change.to} (${time(change.at)}): ${change.summary}`,
    );
  }

  function renderListeners(state) {
    syncRows(
      $('listeners').tBodies[0],
      state.listeners,
      (l) => l.name,
      () => tableRow(6, [2, 3, 4, 5]),
      (tr, l) => {
        const host = l.address.includes(':') ? `[${l.address}]` : l.address;
        setText(tr.cells[0], l.name);
        setText(tr.cells[1], `${l.scheme}://${host}:${l.port}`);
        setText(tr.cells[2], num(l.open, 0));
        setText(tr.cells[3], num(l.queued, 0));
        setText(tr.cells[4], `${bytes(l.receivedBytesPerSecond)}/s`);
        setText(tr.cells[5], `${bytes(l.sentBytesPerSecond)}/s`);
      },
    );
  }

  function renderWorkers(state) {
    $('workers-section').hidden = state.workers === null;
    if (state.workers === null) return;
    syncRows(
      $('workers').tBodies[0],
      state.workers,
      (w) => String(w.worker),
      () => tableRow(6, [3, 4, 5]),
      (tr, w) => {
        setText(tr.cells[0], w.worker);
        setText(tr.cells[1], w.pid);
        setText(tr.cells[2], w.version ?? dash);
        setText(tr.cells[3], num(w.sessions, 0));
        setText(tr.cells[4], num(w.upstreamInFlight, 0));
        setText(tr.cells[5], w.rss === undefined ? dash : bytes(w.rss));
      },
    );
  }

  function renderRoutes(state) {
    const t = state.series.t;
    syncRows(
      $('route-table').tBodies[0],
      state.routes,
      (r) => r.name,
      () => {
        const tr = tableRow(10, [4, 5, 6, 7, 8]);
        tr.cells[1].className = 'wrap';
        tr.cells[9].append(el('div', { class: 'spark', role: 'img' }));
        return tr;
      },
      (tr, r) => {
        setText(tr.cells[0], r.name);
        const conditions = r.conditions.join('\u0000');
        if (tr.dataset.conditions !== conditions) {
          tr.dataset.conditions = conditions;
          tr.cells[1].replaceChildren(...r.conditions.map((c) => el('span', { class: 'chip', text: c })));
        }
        setText(tr.cells[2], r.cluster);
        setText(tr.cells[3], r.strategy ?? dash);
        setText(tr.cells[4], num(r.requestsPerSecond));
        setText(tr.cells[5], percent(r.errorRatio));
        setText(tr.cells[6], millis(r.p50Ms));
        setText(tr.cells[7], millis(r.p95Ms));
        setText(tr.cells[8], millis(r.p99Ms));
        const spark = tr.cells[9].firstChild;
        spark.setAttribute('aria-label', `${r.name}: requests per second and p95 latency`);
        if (r.series !== null && t.length > 1) {
          const data = [t, r.series.rps, r.series.p95Ms];
          if (tr.chart === undefined)
            tr.chart = new uPlot(sparkOptions(spark.clientWidth || 180), data, spark);
          else tr.chart.setData(data);
        }
      },
    );
  }

  function drainedList() {
    try {
      return JSON.parse(sessionStorage.getItem(DRAINED_KEY) ?? '[]');
    } catch {
      return [];
    }
  }
  function saveDrained(list) {
    sessionStorage.setItem(DRAINED_KEY, JSON.stringify(list));
  }

  const busy = new Set();

  async function drain(cluster, backend) {
    const question =
      `Drain ${backend.id} of ${cluster}? It gets no new requests, and leaves the config once ` +
      'the requests under way finish. Undrain puts it back.';
    if (!window.confirm(question)) return;
    const key = `${cluster}/${backend.id}`;
    busy.add(key);
    setText($('drain-status'), `Draining ${key}…`);
    refresh();
    try {
      const result = await api(
        'POST',
        `/clusters/${enc(cluster)}/backends/${enc(backend.id)}/drain?timeout_ms=30000`,
      );
      if (backend.restore !== null) {
        saveDrained([
          ...drainedList().filter((d) => d.key !== key),
          { key, cluster, restore: backend.restore },
        ]);
      }
      setText(
        $('drain-status'),
        `${key} ${result.drained ? 'drained' : 'removed (requests still running past 30 s finish on the old config)'}; config version ${result.version}.`,
      );
    } catch (error) {
      handleError(error);
      setText($('drain-status'), `Drain of ${key} failed: ${error.message}`);
    } finally {
      busy.delete(key);
      refresh();
    }
  }

  async function undrain(entry) {
    busy.add(entry.key);
    setText($('drain-status'), `Putting ${entry.key} back…`);
    try {
      const result = await api('POST', `/clusters/${enc(entry.cluster)}/backends`, entry.restore);
      saveDrained(drainedList().filter((d) => d.key !== entry.key));
      setText($('drain-status'), `${entry.key} is back in rotation; config version ${result.version}.`);
    } catch (error) {
      handleError(error);
      setText($('drain-status'), `Undrain of ${entry.key} failed: ${error.message}`);
    } finally {
      busy.delete(entry.key);
      refresh();
    }
  }

  function backendRows(cluster) {
    const present = new Set(cluster.backends.map((b) => b.id));
    const drained = drainedList().filter((d) => d.cluster === cluster.name && !present.has(d.restore.id));
    return [
      ...cluster.backends.map((b) => ({ kind: 'live', b })),
      ...drained.map((d) => ({ kind: 'drained', d })),
    ];
  }

  function renderClusters(state) {
    syncRows(
      $('clusters'),
      state.clusters,
      (c) => c.name,
      (c) => {
        const div = el('div', { class: 'cluster' });
        div.append(el('h3'), el('p', { class: 'muted codes' }));
        const table = el('table', {}, el('thead'), el('tbody'));
        table.tHead.append(
          el(
            'tr',
            {},
            ...[
              'Backend',
              'Address',
              'State',
              'Why',
              'In flight',
              'Pool (open/idle)',
              'Failures',
              'Recent codes',
              '',
            ].map((h) => el('th', { scope: 'col', text: h })),
          ),
        );
        table.setAttribute('aria-label', `Backends of ${c.name}`);
        div.append(el('div', { class: 'scroll', tabindex: '0' }, table));
        return div;
      },
      (div, c) => {
        const h3 = div.querySelector('h3');
        setText(
          h3,
          `${c.name} · ${c.strategy} · ${c.backendsUp ?? dash}/${c.backends.length} up${c.panic ? ' · PANIC' : ''}`,
        );
        const codes = Object.entries(c.failuresByCode);
        setText(
          div.querySelector('.codes'),
          codes.length === 0
            ? 'No failed attempts in the window.'
            : `Failed attempts in the window: ${codes.map(([code, n]) => `${code} ×${n}`).join(', ')}`,
        );
        syncRows(
          div.querySelector('tbody'),
          backendRows(c),
          (row) => (row.kind === 'live' ? `live:${row.b.id}` : `drained:${row.d.key}`),
          () => {
            const tr = tableRow(9, [4, 6]);
            const button = el('button', { type: 'button' });
            tr.cells[8].append(button);
            button.addEventListener('click', () => button.action?.());
            return tr;
          },
          (tr, row) => {
            const button = tr.cells[8].firstChild;
            if (row.kind === 'drained') {
              const d = row.d;
              setText(tr.cells[0], d.restore.id);
              setText(tr.cells[1], d.restore.address);
              tr.cells[2].replaceChildren(el('span', { class: 'state state-drained', text: 'drained' }));
              setText(tr.cells[3], 'removed by a drain from this page');
              for (const i of [4, 5, 6, 7]) setText(tr.cells[i], dash);
              setText(button, 'Undrain');
              button.setAttribute('aria-label', `Undrain ${d.restore.id} of ${c.name}`);
              button.disabled = busy.has(d.key);
              button.action = () => undrain(d);
              return;
            }
            const b = row.b;
            setText(tr.cells[0], b.id);
            setText(tr.cells[1], b.address);
            const badge = tr.cells[2].firstChild ?? tr.cells[2].appendChild(el('span'));
            badge.className = `state state-${b.state}`;
            setText(badge, b.state);
            tr.dataset.state = b.state;
            setText(tr.cells[3], b.reason);
            setText(tr.cells[4], b.inFlight);
            setText(tr.cells[5], `${b.connectionsOpen}/${b.connectionsIdle}`);
            setText(
              tr.cells[6],
              b.windowFailures === null ? b.failures : `${b.windowFailures} (${b.failures} in all)`,
            );
            setText(
              tr.cells[7],
              Object.entries(b.recentCodes)
                .map(([code, n]) => `${code} ×${n}`)
                .join(', ') || dash,
            );
            const key = `${c.name}/${b.id}`;
            setText(button, b.state === 'draining' || busy.has(key) ? 'Draining…' : 'Drain');
            button.setAttribute('aria-label', `Drain ${b.id} of ${c.name}`);
            button.disabled = b.state === 'draining' || busy.has(key);
            button.action = () => drain(c.name, b);
          },
        );
      },
    );
  }

  function renderErrors(state) {
    const body = $('errors').tBodies[0];
    if (state.recentErrors === null) {
      syncRows(
        body,
        [{ note: true }],
        () => 'note',
        () => tableRow(1),
        (tr) => {
          tr.cells[0].colSpan = 6;
          setText(tr.cells[0], 'Not kept here (per-request metrics are off).');
        },
      );
      return;
    }
    const list =
      state.recentErrors.length === 0 ? [{ none: true }] : state.recentErrors.slice(0, SHOWN_ERRORS);
    syncRows(
      body,
      list,
      (e) => (e.none ? 'none' : `${e.time}:${e.requestId}`),
      (e) => {
        const tr = tableRow(e.none ? 1 : 6, [4]);
        if (e.none) tr.cells[0].colSpan = 6;
        return tr;
      },
      (tr, e) => {
        if (e.none) {
          setText(tr.cells[0], 'No failed transactions since the admin API started.');
          return;
        }
        setText(tr.cells[0], time(e.time));
        tr.cells[1].replaceChildren(el('code', { text: e.requestId }));
        // With several workers, which one served it (its pid, as the workers list shows).
        if (e.pid !== undefined) tr.cells[1].append(el('span', { class: 'muted', text: ` worker ${e.pid}` }));
        setText(tr.cells[2], e.route || dash);
        setText(tr.cells[3], e.upstream ? `${e.cluster}/${e.upstream}` : e.cluster || dash);
        setText(tr.cells[4], e.status || dash);
        setText(tr.cells[5], e.code || dash);
      },
    );
  }

  // ---- the loop --------------------------------------------------------------------------------

  let timer = null;
  let lastOk = 0;

  function handleError(error) {
    if (error instanceof AuthError)
      showLogin(sessionStorage.getItem(TOKEN_KEY) ? 'The token was refused.' : '');
  }

  function showLogin(message) {
    $('main').hidden = true;
    $('login').hidden = false;
    $('signout').hidden = true;
    setText($('login-error'), message);
    setText($('live'), 'signed out');
    $('live').className = 'live';
    $('token').focus();
  }

  async function refresh() {
    clearTimeout(timer);
    timer = null;
    try {
      const state = await api('GET', STATE_PATH);
      lastOk = Date.now();
      $('login').hidden = true;
      $('main').hidden = false;
      $('signout').hidden = sessionStorage.getItem(TOKEN_KEY) === null;
      renderOverview(state);
      drawTraffic(state.series);
      renderListeners(state);
      renderWorkers(state);
      renderRoutes(state);
      renderClusters(state);
      renderErrors(state);
      setText($('live'), `live · updated ${time(state.now)}`);
      $('live').className = 'live ok';
    } catch (error) {
      if (error instanceof AuthError) {
        handleError(error);
        return; // polling resumes after signing in
      }
      setText(
        $('live'),
        `no answer since ${lastOk === 0 ? 'the start' : time(lastOk)} (${error.message}); retrying`,
      );
      $('live').className = 'live stale';
    }
    timer = setTimeout(refresh, POLL_MS);
  }

  $('login').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $('token').value.trim());
    $('token').value = '';
    refresh();
  });
  $('signout').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    showLogin('');
  });
  window.addEventListener('resize', () => {
    if (trafficChart !== null)
      trafficChart.setSize({ width: Math.max(240, $('traffic-chart').clientWidth), height: 170 });
  });
  refresh();
})();
