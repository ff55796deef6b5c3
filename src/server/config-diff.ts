/**
 * What changed between two validated configs, by name: listeners, routes, clusters and their backends.
 * Pure. The reload logs it, the admin API returns it, and the snapshot builder uses the same equality
 * to decide which cluster runtimes carry over.
 *
 * "Changed" is structural equality of the validated pieces (defaults filled in, durations in ms), so
 * rewriting `30s` as `30000ms`, or reordering keys, changes nothing. Two entries with the same name
 * are "modified" when any validated field differs.
 */
import { configDocument, contentHash, rememberedHash } from '../config/index.ts';
import type { JunctionConfig } from '../config/types.ts';

/** Names added, removed and modified in one kind of entry. */
export interface EntryDiff {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly modified: readonly string[];
  /** The exact counts when the name lists above were cut short (boundDiff); absent when they are whole. */
  readonly counts?: EntryCounts;
}

export interface EntryCounts {
  readonly added: number;
  readonly removed: number;
  readonly modified: number;
}

/** How many names were added, removed and modified, whether or not the lists were cut short. */
export function entryCounts(d: EntryDiff): EntryCounts {
  return d.counts ?? { added: d.added.length, removed: d.removed.length, modified: d.modified.length };
}

const countOf = (d: EntryDiff): number => {
  const c = entryCounts(d);
  return c.added + c.removed + c.modified;
};

export interface ConfigDiff {
  readonly listeners: EntryDiff;
  readonly routes: EntryDiff;
  readonly clusters: EntryDiff;
  /** Backends as `cluster/id`; those of added and removed clusters included. */
  readonly backends: EntryDiff;
  /** Top-level sections other than the above that changed: `timeouts`, `limits`, `plugins`, ... */
  readonly settings: readonly string[];
}

/**
 * Structural equality over the values a validated config holds: primitives, arrays, plain objects,
 * Maps and Sets. Functions and class instances (plugin definitions, compiled rules) compare by identity.
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((value, i) => deepEqual(value, b[i]));
  }
  if (a instanceof Uint8Array) return b instanceof Uint8Array && Buffer.compare(a, b) === 0;
  if (a instanceof Map) {
    if (!(b instanceof Map) || a.size !== b.size) return false;
    for (const [key, value] of a) if (!b.has(key) || !deepEqual(value, b.get(key))) return false;
    return true;
  }
  if (a instanceof Set) {
    if (!(b instanceof Set) || a.size !== b.size) return false;
    for (const value of a) if (!b.has(value)) return false;
    return true;
  }
  if (Object.getPrototypeOf(a) !== Object.prototype || Object.getPrototypeOf(b) !== Object.prototype) {
    return false;
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  // Undefined fields count as absent, as they do in the YAML.
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  for (const key of keys) if (!deepEqual(ra[key], rb[key])) return false;
  return true;
}

function diffEntries<T>(before: ReadonlyMap<string, T>, after: ReadonlyMap<string, T>): EntryDiff {
  const added: string[] = [];
  const removed: string[] = [];
  const modified: string[] = [];
  for (const [name, value] of after) {
    const old = before.get(name);
    if (old === undefined) added.push(name);
    else if (!deepEqual(old, value)) modified.push(name);
  }
  for (const name of before.keys()) if (!after.has(name)) removed.push(name);
  return { added, removed, modified };
}

function byName<T extends { readonly name: string }>(entries: readonly T[]): Map<string, T> {
  return new Map(entries.map((entry) => [entry.name, entry]));
}

function backendsOf(config: JunctionConfig): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [name, cluster] of config.clusters) {
    for (const backend of cluster.backends) out.set(`${name}/${backend.id}`, backend);
  }
  return out;
}

/** Sections compared as a whole. Rules are compiled objects: any reload with rules counts them changed. */
const SETTINGS = [
  'timeouts',
  'limits',
  'forwarded',
  'strategies',
  'plugins',
  'rules',
  'admin',
  'workers',
  'cache',
] as const;

export function diffConfigs(before: JunctionConfig, after: JunctionConfig): ConfigDiff {
  return {
    listeners: diffEntries(byName(before.listeners), byName(after.listeners)),
    routes: diffEntries(byName(before.routes), byName(after.routes)),
    clusters: diffEntries(before.clusters, after.clusters),
    backends: diffEntries(backendsOf(before), backendsOf(after)),
    settings: SETTINGS.filter((key) => !deepEqual(before[key], after[key])),
  };
}

/** Entries compared between two turns of the event loop by diffConfigsGradually(). */
const ENTRIES_PER_TURN = 1000;

async function diffEntriesGradually<T>(
  before: ReadonlyMap<string, T>,
  after: ReadonlyMap<string, T>,
): Promise<EntryDiff> {
  const added: string[] = [];
  const removed: string[] = [];
  const modified: string[] = [];
  let count = 0;
  for (const [name, value] of after) {
    const old = before.get(name);
    if (old === undefined) added.push(name);
    else if (!deepEqual(old, value)) modified.push(name);
    if (++count % ENTRIES_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  for (const name of before.keys()) if (!after.has(name)) removed.push(name);
  return { added, removed, modified };
}

/**
 * diffConfigs() for a running server: the same answer, but comparing a few entries at a time with the
 * event loop turning in between, so a config of many routes does not stall traffic while it is compared.
 */
export async function diffConfigsGradually(
  before: JunctionConfig,
  after: JunctionConfig,
): Promise<ConfigDiff> {
  return {
    listeners: diffEntries(byName(before.listeners), byName(after.listeners)),
    routes: await diffEntriesGradually(byName(before.routes), byName(after.routes)),
    clusters: await diffEntriesGradually(before.clusters, after.clusters),
    backends: await diffEntriesGradually(backendsOf(before), backendsOf(after)),
    settings: SETTINGS.filter((key) => !deepEqual(before[key], after[key])),
  };
}

/** Whether the diff changes nothing at all. */
export function isEmptyDiff(diff: ConfigDiff): boolean {
  const empty = (d: EntryDiff) => countOf(d) === 0;
  return (
    empty(diff.listeners) &&
    empty(diff.routes) &&
    empty(diff.clusters) &&
    empty(diff.backends) &&
    diff.settings.length === 0
  );
}

/** Names describeDiff() lists per kind before it counts instead. */
const DESCRIBED_NAMES = 20;

/** Names a remembered diff keeps per list (boundDiff). */
const REMEMBERED_NAMES = 100;

/**
 * The diff with each name list cut to its first `keep` names and the exact counts beside them: what a
 * server remembers of its last reload and serves on every status read, so its size must not follow
 * the config's (a reload may replace 100,000 routes).
 */
export function boundDiff(diff: ConfigDiff, keep = REMEMBERED_NAMES): ConfigDiff {
  const bound = (d: EntryDiff): EntryDiff =>
    d.added.length <= keep && d.removed.length <= keep && d.modified.length <= keep
      ? d
      : {
          added: d.added.slice(0, keep),
          removed: d.removed.slice(0, keep),
          modified: d.modified.slice(0, keep),
          counts: entryCounts(d),
        };
  return {
    listeners: bound(diff.listeners),
    routes: bound(diff.routes),
    clusters: bound(diff.clusters),
    backends: bound(diff.backends),
    settings: diff.settings,
  };
}

/** The diff with each list cut to its first names, for a log record; the counts stay exact. */
export function summarizeDiff(diff: ConfigDiff): Record<string, unknown> {
  const cut = (d: EntryDiff) => ({
    ...entryCounts(d),
    names: [...d.added, ...d.removed, ...d.modified].slice(0, DESCRIBED_NAMES),
  });
  return {
    listeners: cut(diff.listeners),
    routes: cut(diff.routes),
    clusters: cut(diff.clusters),
    backends: cut(diff.backends),
    settings: diff.settings,
  };
}

/** One line for logs: `routes +a -b ~c; clusters +d`, or `no change`. */
export function describeDiff(diff: ConfigDiff): string {
  const parts: string[] = [];
  for (const kind of ['listeners', 'routes', 'clusters', 'backends'] as const) {
    const d = diff[kind];
    const counts = entryCounts(d);
    const count = countOf(d);
    // A log line, not a report: past a few dozen names, counts (a reload may replace 100,000 routes).
    const names = [
      ...d.added.slice(0, DESCRIBED_NAMES).map((n) => `+${n}`),
      ...d.removed.slice(0, DESCRIBED_NAMES).map((n) => `-${n}`),
      ...d.modified.slice(0, DESCRIBED_NAMES).map((n) => `~${n}`),
    ].slice(0, DESCRIBED_NAMES);
    if (count > names.length) {
      names.push(`(${count} in all: +${counts.added} -${counts.removed} ~${counts.modified})`);
    }
    if (names.length > 0) parts.push(`${kind} ${names.join(' ')}`);
  }
  if (diff.settings.length > 0) parts.push(`settings ~${diff.settings.join(' ~')}`);
  return parts.length === 0 ? 'no change' : parts.join('; ');
}

/**
 * A short, stable fingerprint of a config's content (sha256, 16 hex digits), for status pages: the
 * document it was parsed from when there is one (key order ignored), else its validated values.
 */
export function configHash(config: JunctionConfig): string {
  const remembered = rememberedHash(config);
  if (remembered !== undefined) return remembered;
  const document = configDocument(config);
  // The source names where it came from, not what it holds; compiled rules are not data.
  return contentHash(document ?? { ...config, source: undefined, rules: undefined });
}
