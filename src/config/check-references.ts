/**
 * Checks that span entries, which a per-value schema cannot see: routes naming clusters that do not
 * exist, and names or addresses used twice. Works on the raw converted YAML, defensively, so these
 * problems are reported alongside schema problems elsewhere in the same file, not after they are fixed.
 */
import { formatHostPort, parseBackendAddress } from './addresses.ts';
import { formatKeyPath, valueIssue, type ConfigIssue, type KeyPath } from './config-issue.ts';
import { DEFAULT_LISTENER_ADDRESS } from './defaults.ts';
import { didYouMean } from './edit-distance.ts';
import { checkTcpListenerClusters } from './tcp-config.ts';

type Entry = Record<string, unknown>;

function isRecord(value: unknown): value is Entry {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function entries(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The explicit name if it is a usable string, else the default (or undefined when there is none). */
function nameOf(
  entry: Entry,
  fallback: string | undefined,
): { name: string | undefined; path: 'name' | undefined } {
  const name = entry['name'];
  if (typeof name === 'string' && name !== '') return { name, path: 'name' };
  return { name: fallback, path: undefined };
}

/** Records the first path that used each value; reports every later use. */
class FirstUse {
  readonly #first = new Map<string, KeyPath>();
  readonly #what: string;
  constructor(what: string) {
    this.#what = what;
  }
  /** `path` is where to report a repeat; `entry` names the entry in the message of a later repeat. */
  /** Returns whether `value` was a repeat. */
  add(value: string, path: KeyPath, entry: KeyPath, out: ConfigIssue[], hint = ''): boolean {
    const first = this.#first.get(value);
    if (first === undefined) {
      this.#first.set(value, entry);
      return false;
    }
    out.push(valueIssue(path, `${this.#what} '${value}' is already used by ${formatKeyPath(first)}${hint}`));
    return true;
  }
}

function checkListeners(listeners: unknown, out: ConfigIssue[]): void {
  const names = new FirstUse('listener name');
  const addresses = new FirstUse('listen address');
  entries(listeners).forEach((entry, index) => {
    if (!isRecord(entry)) return;
    const at: KeyPath = ['listeners', index];
    const address = typeof entry['address'] === 'string' ? entry['address'] : DEFAULT_LISTENER_ADDRESS;
    const port = Number.isInteger(entry['port']) ? (entry['port'] as number) : undefined;
    const endpoint = port === undefined ? undefined : formatHostPort(address, port);
    // Port 0 asks the OS for a fresh port each time, so two such listeners never collide.
    const isRepeatedAddress =
      endpoint !== undefined && port !== 0 && addresses.add(endpoint, [...at, 'port'], at, out);
    const { name, path } = nameOf(entry, endpoint);
    // A default name repeats exactly when the address does; that problem is already reported.
    if (name !== undefined && !(path === undefined && isRepeatedAddress)) {
      names.add(
        name,
        path === undefined ? at : [...at, path],
        at,
        out,
        path === undefined ? '; give the listeners names' : '',
      );
    }
  });
}

function checkRoutes(routes: unknown, clusters: unknown, out: ConfigIssue[]): void {
  const names = new FirstUse('route name');
  const clusterNames = isRecord(clusters) ? Object.keys(clusters) : [];
  entries(routes).forEach((entry, index) => {
    if (!isRecord(entry)) return;
    const at: KeyPath = ['routes', index];
    const { name, path } = nameOf(entry, `route-${index + 1}`);
    if (name !== undefined) names.add(name, path === undefined ? at : [...at, path], at, out);
    const cluster = entry['cluster'];
    if (typeof cluster === 'string' && cluster !== '' && !clusterNames.includes(cluster)) {
      const hint =
        clusterNames.length === 0 ? '; no clusters are defined' : didYouMean(cluster, clusterNames);
      out.push(valueIssue([...at, 'cluster'], `unknown cluster '${cluster}'${hint}`));
    }
  });
}

function checkBackendIds(clusters: unknown, out: ConfigIssue[]): void {
  if (!isRecord(clusters)) return;
  for (const [clusterName, cluster] of Object.entries(clusters)) {
    if (!isRecord(cluster)) continue;
    const ids = new FirstUse('backend id');
    entries(cluster['backends']).forEach((entry, index) => {
      const at: KeyPath = ['clusters', clusterName, 'backends', index];
      const backend = typeof entry === 'string' ? { address: entry } : entry;
      if (!isRecord(backend)) return;
      const id = backend['id'];
      if (typeof id === 'string' && id !== '') {
        ids.add(id, [...at, 'id'], at, out);
      } else if (typeof backend['address'] === 'string') {
        const parsed = parseBackendAddress(backend['address']);
        if (parsed.ok) {
          const hint = '; give each an id, or list the address once with a weight';
          ids.add(formatHostPort(parsed.value.host, parsed.value.port), at, at, out, hint);
        }
      }
    });
  }
}

/** Cross-entry problems in the converted YAML `data`, whatever shape it has. */
export function checkReferences(data: unknown): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  if (!isRecord(data)) return out;
  checkListeners(data['listeners'], out);
  checkRoutes(data['routes'], data['clusters'], out);
  checkBackendIds(data['clusters'], out);
  checkTcpListenerClusters(data['listeners'], data['clusters'], out);
  return out;
}
