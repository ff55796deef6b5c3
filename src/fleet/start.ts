/**
 * The fleet document an instance starts with: read from etcd, or, when etcd cannot be reached, from
 * the cache file the last applied revision was written to. Without either, the instance does not
 * start: serving the local file alone would answer the fleet's traffic with no routes.
 */
import { readFile } from 'node:fs/promises';
import type { FleetCertificates, FleetConfig } from '../config/index.ts';
import { FleetError } from '../errors/index.ts';
import { EtcdClient } from './etcd-client.ts';
import { decodeCache, type CachedDocument } from './follower.ts';
import { fleetStateFrom } from './fleet-state.ts';
import { certificatesPrefix, configKey, fleetRange } from './keys.ts';

/** A unary request at start waits at most this long per endpoint. */
export const START_REQUEST_TIMEOUT_MS = 3_000;

export interface FleetStart {
  /** The document's text; '' when the key does not exist yet (the file alone serves). */
  readonly text: string;
  readonly source: string;
  /** The fleet's certificates (`<prefix>/certificates/`), read at the same revision. */
  readonly certificates: FleetCertificates;
  /** The fleet revision (fleet-state.ts); 0 when the document does not exist. */
  readonly revision: number;
  /** True when it came from the cache file because etcd could not be reached. */
  readonly fromCache: boolean;
  /** Why etcd could not be used, when it came from the cache. */
  readonly problem?: string;
}

export function createEtcdClient(fleet: FleetConfig, requestTimeoutMs?: number): EtcdClient {
  return new EtcdClient({
    endpoints: fleet.endpoints,
    tls: fleet.tls,
    auth: fleet.auth,
    ...(requestTimeoutMs === undefined ? {} : { requestTimeoutMs }),
  });
}

/** The cached document, or why there is none. */
export async function readCache(
  fleet: FleetConfig,
): Promise<({ ok: true } & CachedDocument) | { ok: false; problem: string }> {
  if (fleet.cacheFile === undefined) return { ok: false, problem: 'fleet.cache_file is not set' };
  let text: string;
  try {
    text = await readFile(fleet.cacheFile, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    return { ok: false, problem: `no cache file ${fleet.cacheFile} (${reason})` };
  }
  const cached = decodeCache(text);
  if (cached === undefined)
    return { ok: false, problem: `the cache file ${fleet.cacheFile} is not a fleet cache` };
  return { ok: true, ...cached };
}

/** Throws FleetError (JCT_ERR_FLEET_UNAVAILABLE) when neither etcd nor the cache gives a document. */
export async function readFleetAtStart(fleet: FleetConfig): Promise<FleetStart> {
  const source = configKey(fleet);
  const client = createEtcdClient(fleet, START_REQUEST_TIMEOUT_MS);
  try {
    // The document and the certificates in one range: one revision, never half of a change.
    const range = fleetRange(fleet);
    const { kvs } = await client.range(range.key, { end: range.end });
    const state = fleetStateFrom(fleet, kvs);
    return {
      text: state.document?.text ?? '',
      source,
      certificates: state.certificates,
      revision: state.document === undefined ? 0 : state.revision,
      fromCache: false,
    };
  } catch (error) {
    const problem = error instanceof Error ? error.message : String(error);
    const cached = await readCache(fleet);
    if (!cached.ok) {
      throw new FleetError(
        'JCT_ERR_FLEET_UNAVAILABLE',
        `cannot start: the fleet's etcd cannot be reached (${problem}), and there is no last good fleet config to start from (${cached.problem})`,
        { cause: error },
      );
    }
    return {
      text: cached.text,
      source,
      certificates: { prefix: certificatesPrefix(fleet), entries: cached.certificates },
      revision: cached.revision,
      fromCache: true,
      problem,
    };
  } finally {
    client.close();
  }
}
