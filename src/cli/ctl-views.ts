/**
 * How `junction ctl` prints the admin API's status, clusters and backends for people. With several
 * workers the API answers with their merged view and a `workers` breakdown in each entry; when there
 * is more than one worker, a table per worker follows the merged one, since passive health, sessions
 * and memory are each worker's own.
 */
import { formatTable } from './table.ts';

type Row = Record<string, unknown>;

function rows(answer: unknown, key: string): Row[] {
  const list = (answer as Record<string, unknown>)[key];
  return Array.isArray(list) ? (list as Row[]) : [];
}

/** The entry's per-worker breakdown, when the answer came from more than one worker. */
function workersOf(entry: Row): Row[] {
  const workers = entry['workers'];
  return Array.isArray(workers) && workers.length > 1 ? (workers as Row[]) : [];
}

/** The columns some row has a value for: answers from different versions carry different fields. */
function presentColumns(rows: readonly Row[], columns: readonly string[]): string[] {
  return columns.filter((column) => rows.some((row) => row[column] !== undefined));
}

/** `123456789` → `117.7 MiB`. */
export function formatBytes(bytes: unknown): string {
  if (typeof bytes !== 'number' || !Number.isFinite(bytes)) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]!}`;
}

/** A name list of a reload's diff, shortened past a few names: `+b, +c, ~a (and 4 more)`. */
function summariseEntries(diff: Row, kind: string, shown: number): string[] {
  const entry = diff[kind] as Row | undefined;
  if (entry === undefined) return [];
  const mark = (key: string, sign: string): string[] => {
    const names = entry[key];
    return Array.isArray(names) ? names.map((name) => `${sign}${String(name)}`) : [];
  };
  const all = [...mark('added', '+'), ...mark('removed', '-'), ...mark('modified', '~')];
  if (all.length === 0) return [];
  // A server keeps the first names of a large reload and the exact counts beside them.
  const counts = entry['counts'] as Row | undefined;
  const total =
    counts === undefined
      ? all.length
      : ['added', 'removed', 'modified'].reduce((sum, key) => sum + Number(counts[key] ?? 0), 0);
  const head = all.slice(0, shown).join(', ');
  return [`${kind} ${head}${total > shown ? ` (and ${total - shown} more)` : ''}`];
}

/**
 * The status's `lastReload` in one line: when, the version, and what changed
 * (`2026-12-07T21:00:00.000Z v3: routes +b ~a; clusters -old; settings timeouts`); '-' when none.
 */
export function describeLastReload(lastReload: unknown): string {
  if (typeof lastReload !== 'object' || lastReload === null) return '-';
  const r = lastReload as Row;
  const at = typeof r['at'] === 'number' ? new Date(r['at']).toISOString() : '?';
  const diff = (r['diff'] ?? {}) as Row;
  const parts = ['listeners', 'routes', 'clusters', 'backends'].flatMap((kind) =>
    summariseEntries(diff, kind, 4),
  );
  const settings = diff['settings'];
  if (Array.isArray(settings) && settings.length > 0) parts.push(`settings ${settings.join(', ')}`);
  return `${at} v${String(r['version'])}: ${parts.length === 0 ? 'no change by name' : parts.join('; ')}`;
}

export function renderStatus(answer: unknown): string {
  const s = answer as Row;
  const workers = workersOf(s);
  const fields: Row[] = [
    { field: 'version', value: s['version'] },
    { field: 'hash', value: s['hash'] },
    { field: 'source', value: s['source'] },
    { field: 'file', value: s['file'] ?? '-' },
    { field: 'unsaved changes', value: s['unsaved'] },
    { field: 'last reload', value: describeLastReload(s['lastReload']) },
    { field: 'listeners', value: s['listeners'] },
    { field: 'routes', value: s['routes'] },
    { field: 'clusters', value: s['clusters'] },
    { field: 'backends up', value: `${String(s['backendsUp'])}/${String(s['backends'])}` },
    { field: 'sessions', value: s['sessions'] },
  ];
  if (workers.length > 0) {
    fields.push({ field: 'workers', value: workers.length });
    fields.push({ field: 'memory (RSS)', value: formatBytes(s['rss']) });
    if (s['consistent'] === false) {
      fields.push({ field: 'config', value: 'workers serve different versions (a reload under way?)' });
    }
  }
  const table = formatTable(fields, ['field', 'value'], { header: false });
  if (workers.length === 0) return table;
  const perWorker = workers.map((w) => ({
    ...w,
    rss: w['rss'] === undefined ? undefined : formatBytes(w['rss']),
  }));
  return `${table}\n${formatTable(
    perWorker,
    presentColumns(perWorker, [
      'worker',
      'pid',
      'state',
      'version',
      'hash',
      'sessions',
      'upstreamInFlight',
      'rss',
    ]),
  )}`;
}

export function renderClusters(answer: unknown): string {
  const clusters = rows(answer, 'clusters');
  const table = formatTable(clusters, [
    'name',
    'strategy',
    'backends',
    'backendsUp',
    'panic',
    'requests',
    'retries',
  ]);
  const perWorker = clusters.flatMap((c) => workersOf(c).map((w) => ({ cluster: c['name'], ...w })));
  if (perWorker.length === 0) return table;
  return `${table}\nBy worker (backends up is each worker's own view: passive health is per worker):\n${formatTable(
    perWorker,
    ['cluster', 'worker', 'pid', 'backendsUp', 'panic', 'requests', 'retries'],
  )}`;
}

/** One backend's state in a word, from its merged view or one worker's. */
function backendState(b: Row): string {
  if (b['draining'] === true) return 'draining';
  if (b['isUp'] === true) return 'up';
  const workers = b['workers'];
  const upIn = b['upInWorkers'];
  if (typeof upIn === 'number' && upIn > 0 && Array.isArray(workers)) {
    return `up in ${upIn}/${workers.length}`;
  }
  if (b['ejected'] === true) return 'ejected';
  return 'down';
}

export function renderBackends(answer: unknown): string {
  const backends = rows(answer, 'backends');
  const table = formatTable(
    backends.map((b) => ({ ...b, state: backendState(b) })),
    ['id', 'address', 'state', 'inFlight', 'requests', 'failures', 'connectionsOpen'],
  );
  const perWorker = backends.flatMap((b) =>
    workersOf(b).map((w) => ({ id: b['id'], ...w, state: backendState(w) })),
  );
  if (perWorker.length === 0) return table;
  return `${table}\nBy worker:\n${formatTable(perWorker, [
    'id',
    'worker',
    'pid',
    'state',
    'inFlight',
    'requests',
    'failures',
    'consecutiveFailures',
  ])}`;
}
