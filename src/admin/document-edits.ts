/**
 * Edits of a config document (the YAML as plain data), one per admin API change. Pure: each returns a
 * new document and never validates; the edited document is then loaded like a file, so the API and
 * the file accept exactly the same configs.
 */
import { formatHostPort, parseBackendAddress } from '../config/index.ts';
import { AdminError } from '../errors/index.ts';

export type ConfigDocument = Readonly<Record<string, unknown>>;
type Mutable = Record<string, unknown>;

/** Where the edited entry sits in the document, to name fields in validation errors. */
export interface EditResult {
  readonly document: ConfigDocument;
  /** The key path of the entry the change wrote (`routes[2]`, `clusters.api`), if it wrote one. */
  readonly at: string | undefined;
}

/**
 * A copy to edit: the top level only. Edits copy each container they change on the way down and share
 * the rest, so an edit of a config of 100,000 routes does not deep-copy it on the serving thread.
 */
function clone(document: ConfigDocument): Mutable {
  return { ...document };
}

function asRecord(value: unknown): Mutable | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Mutable)
    : undefined;
}

function notFound(what: string): AdminError {
  return new AdminError('JCT_ERR_ADMIN_NOT_FOUND', `no ${what}`);
}

function requireObject(body: unknown, what: string): Mutable {
  const record = asRecord(body);
  if (record === undefined) {
    throw new AdminError('JCT_ERR_ADMIN_BAD_REQUEST', `the body must be a JSON object (${what})`, [
      { field: '', message: 'must be a JSON object' },
    ]);
  }
  return record;
}

/**
 * The list under `key` with every entry named: entries without a `name` get the one the config would
 * give them (`nameOf`), so removing one entry never renames the others.
 */
function namedList(doc: Mutable, key: string, nameOf: (entry: Mutable, index: number) => string): Mutable[] {
  const raw = doc[key];
  const list = Array.isArray(raw) ? (raw as unknown[]) : [];
  const named = list.map((entry, index) => {
    const record = asRecord(entry);
    if (record === undefined) return entry as Mutable;
    if (typeof record['name'] !== 'string') return { name: nameOf(record, index), ...record };
    return record;
  });
  doc[key] = named;
  return named;
}

const routeName = (_route: Mutable, index: number): string => `route-${index + 1}`;
const listenerName = (listener: Mutable): string => {
  const address = typeof listener['address'] === 'string' ? listener['address'] : '127.0.0.1';
  const port = typeof listener['port'] === 'number' ? listener['port'] : 0;
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
};

function putNamed(
  document: ConfigDocument,
  key: 'routes' | 'listeners',
  name: string,
  body: unknown,
  nameOf: (entry: Mutable, index: number) => string,
): EditResult {
  const entry = { ...requireObject(body, key.slice(0, -1)), name };
  const doc = clone(document);
  const list = namedList(doc, key, nameOf);
  const index = list.findIndex((e) => asRecord(e)?.['name'] === name);
  if (index >= 0) list[index] = entry;
  else list.push(entry);
  return { document: doc, at: `${key}[${index >= 0 ? index : list.length - 1}]` };
}

function deleteNamed(
  document: ConfigDocument,
  key: 'routes' | 'listeners',
  name: string,
  nameOf: (entry: Mutable, index: number) => string,
): EditResult {
  const doc = clone(document);
  const list = namedList(doc, key, nameOf);
  const index = list.findIndex((e) => asRecord(e)?.['name'] === name);
  if (index < 0) throw notFound(`${key.slice(0, -1)} '${name}'`);
  list.splice(index, 1);
  return { document: doc, at: undefined };
}

export function putRoute(document: ConfigDocument, name: string, body: unknown): EditResult {
  return putNamed(document, 'routes', name, body, routeName);
}

export function deleteRoute(document: ConfigDocument, name: string): EditResult {
  return deleteNamed(document, 'routes', name, routeName);
}

export function putListener(document: ConfigDocument, name: string, body: unknown): EditResult {
  return putNamed(document, 'listeners', name, body, listenerName);
}

export function deleteListener(document: ConfigDocument, name: string): EditResult {
  return deleteNamed(document, 'listeners', name, listenerName);
}

function clustersOf(doc: Mutable): Mutable {
  const clusters = { ...asRecord(doc['clusters']) };
  doc['clusters'] = clusters;
  return clusters;
}

export function putCluster(document: ConfigDocument, name: string, body: unknown): EditResult {
  const cluster = requireObject(body, 'cluster');
  const doc = clone(document);
  clustersOf(doc)[name] = cluster;
  return { document: doc, at: `clusters.${name}` };
}

export function deleteCluster(document: ConfigDocument, name: string): EditResult {
  const doc = clone(document);
  const clusters = clustersOf(doc);
  if (!(name in clusters)) throw notFound(`cluster '${name}'`);
  doc['clusters'] = Object.fromEntries(Object.entries(clusters).filter(([key]) => key !== name));
  return { document: doc, at: undefined };
}

/** A backend entry's id as the config derives it: `id`, else its address as `host:port`. */
export function backendId(entry: unknown): string | undefined {
  const record = asRecord(entry);
  if (record !== undefined && typeof record['id'] === 'string') return record['id'];
  const address = typeof entry === 'string' ? entry : record?.['address'];
  if (typeof address !== 'string') return undefined;
  const parsed = parseBackendAddress(address);
  return parsed.ok ? formatHostPort(parsed.value.host, parsed.value.port) : address;
}

function backendsOf(doc: Mutable, cluster: string): unknown[] {
  const clusters = clustersOf(doc);
  const shared = asRecord(clusters[cluster]);
  if (shared === undefined) throw notFound(`cluster '${cluster}'`);
  const entry = { ...shared };
  clusters[cluster] = entry;
  const backends = Array.isArray(entry['backends']) ? [...(entry['backends'] as unknown[])] : [];
  entry['backends'] = backends;
  return backends;
}

/** Adds a backend (`"host:port"` or `{ address, weight, id }`), or replaces the one with its id. */
export function addBackend(document: ConfigDocument, cluster: string, body: unknown): EditResult {
  const entry = typeof body === 'string' ? body : requireObject(body, 'backend');
  const doc = clone(document);
  const backends = backendsOf(doc, cluster);
  const id = backendId(entry);
  const index = id === undefined ? -1 : backends.findIndex((b) => backendId(b) === id);
  if (index >= 0) backends[index] = entry;
  else backends.push(entry);
  return { document: doc, at: `clusters.${cluster}.backends[${index >= 0 ? index : backends.length - 1}]` };
}

export function removeBackend(document: ConfigDocument, cluster: string, id: string): EditResult {
  const doc = clone(document);
  const backends = backendsOf(doc, cluster);
  const index = backends.findIndex((b) => backendId(b) === id);
  if (index < 0) throw notFound(`backend '${id}' in cluster '${cluster}'`);
  backends.splice(index, 1);
  return { document: doc, at: undefined };
}
