/**
 * What the fleet holds in etcd for an instance, as one value: the document at `<prefix>/config` and
 * the certificates under `<prefix>/certificates/`, read by one range and kept current by one watch.
 * Pure: built from a range, advanced by watch events, and compared by the revision it was read at.
 *
 * Its revision is the fleet's: the highest mod_revision among its keys, or the revision of the last
 * delete seen. It is what an instance reports it serves, and what `ctl fleet status` compares.
 */
import { parseFleetCertificateKey, type FleetCertificate, type FleetCertificates } from '../config/index.ts';
import type { KeyValue, WatchEvent } from './etcd-codec.ts';
import { certificatesPrefix, configKey, type FleetPaths } from './keys.ts';

export interface FleetState {
  /** The document's text and revision; undefined when the key does not exist. */
  readonly document: { readonly text: string; readonly revision: number } | undefined;
  readonly certificates: FleetCertificates;
  readonly revision: number;
}

export function emptyFleetState(paths: FleetPaths): FleetState {
  return {
    document: undefined,
    certificates: { prefix: certificatesPrefix(paths), entries: {} },
    revision: 0,
  };
}

/** The state a range over fleetRange() read. */
export function fleetStateFrom(paths: FleetPaths, kvs: readonly KeyValue[]): FleetState {
  return advance(
    paths,
    emptyFleetState(paths),
    kvs.map((kv) => ({ type: 'put' as const, kv })),
  );
}

/** The state after watch events (in order); keys that are neither the document nor a certificate are ignored. */
export function advance(paths: FleetPaths, state: FleetState, events: readonly WatchEvent[]): FleetState {
  const key = configKey(paths);
  const prefix = state.certificates.prefix;
  let document = state.document;
  const entries = new Map<string, FleetCertificate>(Object.entries(state.certificates.entries));
  let revision = state.revision;
  for (const event of events) {
    const kv = event.kv;
    if (kv.key === key) {
      document =
        event.type === 'put' ? { text: kv.value.toString('utf8'), revision: kv.modRevision } : undefined;
    } else {
      const at = parseFleetCertificateKey(prefix, kv.key);
      if (at === undefined) continue;
      const was = entries.get(at.name);
      const value = event.type === 'put' ? kv.value.toString('utf8') : undefined;
      const next: FleetCertificate = {
        cert: at.part === 'cert' ? value : was?.cert,
        key: at.part === 'key' ? value : was?.key,
        revision: Math.max(was?.revision ?? 0, kv.modRevision),
      };
      if (next.cert === undefined && next.key === undefined) entries.delete(at.name);
      else entries.set(at.name, next);
    }
    revision = Math.max(revision, kv.modRevision);
  }
  return { document, certificates: { prefix, entries: Object.fromEntries(entries) }, revision };
}

/** Whether two sets hold the same pairs (revisions aside). */
export function sameCertificates(a: FleetCertificates, b: FleetCertificates): boolean {
  const names = Object.keys(a.entries);
  if (names.length !== Object.keys(b.entries).length) return false;
  return names.every((name) => samePair(a, b, name));
}

/** Whether `name` has the same pair in both sets (absent in both counts as the same). */
export function samePair(a: FleetCertificates, b: FleetCertificates, name: string): boolean {
  const x = a.entries[name];
  const y = b.entries[name];
  return x?.cert === y?.cert && x?.key === y?.key;
}
