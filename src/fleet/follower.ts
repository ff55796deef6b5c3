/**
 * An instance following the fleet: reads `<prefix>/config`, watches it from the revision it read, and
 * hands each new document to the target (the ConfigStore: the same path as SIGHUP, so with worker
 * processes every worker applies it or none). A document that does not validate is refused and the
 * last good config keeps serving. The instance registers under `<prefix>/instances/<id>` with a lease
 * it renews, and rewrites that record whenever what it serves, or its last refusal, changes.
 *
 * Phases: `syncing` (a fresh range, then a watch from the revision after it) → `following` (the watch
 * is up) → on any failure `stale` (serving the last good config) → after a backoff with jitter,
 * `syncing` again, on the next endpoint. Never a partial view: after a break, the document is read
 * whole again before the watch resumes, so a compaction or a missed event cannot leave it behind.
 */
import { rename, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import {
  expiredProblem,
  inspectFleetCertificate,
  type FleetCertificate,
  type FleetCertificates,
} from '../config/index.ts';
import { ConfigErrors, FleetError } from '../errors/index.ts';
import type { Logger } from '../log/index.ts';
import type { EtcdClient, Watch } from './etcd-client.ts';
import type { WatchFrame } from './etcd-codec.ts';
import { advance, fleetStateFrom, samePair, type FleetState } from './fleet-state.ts';
import { configKey, fleetRange, instanceKey, type FleetPaths } from './keys.ts';

/** What the follower applies documents to (the ConfigStore). */
export interface FleetTarget {
  applyFleet(fleet: {
    text: string;
    source: string;
    certificates: FleetCertificates;
  }): Promise<{ version: number; hash: string; changed: boolean }>;
}

/** A certificate the instance serves from the fleet, as its record shows it (never the key). */
export interface ServedCertificate {
  readonly name: string;
  readonly revision: number;
  readonly not_after: string | null;
  readonly fingerprint: string | null;
}

/** When the local file was last read and applied (at start, SIGHUP, POST /reload). */
export interface LocalFileState {
  readonly path: string;
  /** The config version that read made (or kept, when nothing changed). */
  readonly version: number;
  /** ISO 8601. */
  readonly loaded_at: string;
}

export type FleetPhase = 'syncing' | 'following' | 'stale' | 'stopped';

export interface FleetRefusal {
  /** The etcd revision (mod_revision) of the refused document. */
  readonly revision: number;
  /** ISO 8601. */
  readonly at: string;
  /** Each problem, `<prefix>/config:line:column: ...` for the document's. */
  readonly problems: readonly string[];
}

/** The instance's record under `<prefix>/instances/<id>` (JSON), and GET /fleet. */
export interface InstanceRecord {
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  /** Where it serves, and its admin API: `address:port`. */
  readonly listeners: readonly string[];
  readonly admin: string | null;
  /** Junction's version. */
  readonly version: string;
  /**
   * The fleet revision it serves: the highest mod_revision of the document and the certificates it
   * applied (0: none yet, the file alone).
   */
  readonly revision: number;
  /** When it applied that document (ISO 8601), or null. */
  readonly applied_at: string | null;
  /** The config version (1 at start, +1 per applied change) and hash serving now. */
  readonly config_version: number;
  readonly config_hash: string;
  /** The local file's part of that config: when it was last read, and the version that made. */
  readonly local_file: LocalFileState | null;
  /** The fleet's certificates it serves. */
  readonly certificates: readonly ServedCertificate[];
  /** True while it cannot follow etcd: it serves its last good config. */
  readonly stale: boolean;
  readonly last_refusal: FleetRefusal | null;
  readonly started_at: string;
}

export interface FollowerOptions {
  readonly client: EtcdClient;
  readonly paths: FleetPaths;
  readonly target: FleetTarget;
  readonly logger: Logger;
  readonly instanceId: string;
  readonly leaseTtlMs: number;
  /** Written (atomically) with every document applied; read at start when etcd cannot be reached. */
  readonly cacheFile?: string | undefined;
  /** The document the instance started with and its revision; stale when it came from the cache. */
  readonly initial: {
    readonly revision: number;
    readonly text: string | undefined;
    readonly certificates: FleetCertificates;
    /** The local file and when it was read for the config started with. */
    readonly localFile?: string | undefined;
    readonly stale: boolean;
    /** The config version and hash the instance started with. */
    readonly version: number;
    readonly hash: string;
    /** A refusal at start (the document in etcd did not validate; the cache served instead). */
    readonly refusal?: FleetRefusal | undefined;
  };
  readonly describe: () => { listeners: readonly string[]; admin: string | null; version: string };
  /** First and largest delay between reconnections (ms); jittered. */
  readonly backoffMs?: { readonly first: number; readonly max: number };
}

/**
 * The cache file: the document, the certificates (keys included: the file is written 0600) and the
 * fleet revision they had, so a start from it serves them and reports that revision.
 */
export interface CachedDocument {
  readonly revision: number;
  readonly text: string;
  readonly certificates: Readonly<Record<string, FleetCertificate>>;
}

export function encodeCache(cache: CachedDocument): string {
  return `${JSON.stringify(cache)}\n`;
}

function isCertificate(value: unknown): value is FleetCertificate {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  return (
    typeof c['revision'] === 'number' &&
    (c['cert'] === undefined || typeof c['cert'] === 'string') &&
    (c['key'] === undefined || typeof c['key'] === 'string')
  );
}

export function decodeCache(text: string): CachedDocument | undefined {
  try {
    const value = JSON.parse(text) as Partial<CachedDocument>;
    if (typeof value.revision !== 'number' || typeof value.text !== 'string') return undefined;
    // A cache an earlier version wrote has no certificates.
    const certificates = value.certificates ?? {};
    if (typeof certificates !== 'object' || !Object.values(certificates).every(isCertificate))
      return undefined;
    return { revision: value.revision, text: value.text, certificates };
  } catch {
    return undefined;
  }
}

/** What the record says of each certificate served: its name, revision, expiry and fingerprint. */
export function servedCertificates(set: FleetCertificates): ServedCertificate[] {
  return Object.keys(set.entries)
    .sort()
    .map((name) => {
      const checked = inspectFleetCertificate(set, name);
      return {
        name,
        revision: set.entries[name]!.revision,
        not_after: checked.ok ? checked.facts.notAfter : null,
        fingerprint: checked.ok ? checked.facts.fingerprint : null,
      };
    });
}

/** Full jitter (AWS's): a delay drawn from [0, min(max, first * 2^attempt)), at least `first` / 2. */
export function backoffDelay(
  attempt: number,
  first: number,
  max: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(max, first * 2 ** Math.min(attempt, 20));
  return Math.max(first / 2, Math.floor(random() * ceiling));
}

export function defaultInstanceId(): string {
  return `${hostname()}-${process.pid}`;
}

export class FleetFollower {
  readonly #o: FollowerOptions;
  readonly #log: Logger;
  readonly #startedAt = new Date().toISOString();
  #phase: FleetPhase = 'syncing';
  #stale: boolean;
  #staleSince: string | null = null;
  #lastError: string | null = null;
  #revision: number;
  #appliedAt: string | null = null;
  #refusal: FleetRefusal | null;
  #served: { version: number; hash: string };
  /** The document and certificates serving, and the latest the watch has seen (ahead while applying). */
  #applied: FleetState;
  #latest: FleetState;
  #servedCertificates: ServedCertificate[];
  #localFile: LocalFileState | null;
  #watch: Watch | undefined;
  #timer: NodeJS.Timeout | undefined;
  #keepAliveTimer: NodeJS.Timeout | undefined;
  #lease: string | undefined;
  #attempt = 0;
  /** One apply at a time; a newer revision arriving meanwhile replaces any still waiting. */
  #applying: Promise<void> = Promise.resolve();
  #pending: FleetState | undefined;
  #generation = 0;

  constructor(options: FollowerOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'fleet' });
    this.#revision = options.initial.revision;
    this.#stale = options.initial.stale;
    this.#refusal = options.initial.refusal ?? null;
    this.#served = { version: options.initial.version, hash: options.initial.hash };
    const initial = options.initial;
    this.#applied = {
      document:
        initial.text === undefined || initial.revision === 0
          ? undefined
          : { text: initial.text, revision: initial.revision },
      certificates: initial.certificates,
      revision: initial.revision,
    };
    this.#latest = this.#applied;
    this.#servedCertificates = servedCertificates(initial.certificates);
    this.#localFile =
      initial.localFile === undefined
        ? null
        : { path: initial.localFile, version: initial.version, loaded_at: this.#startedAt };
    if (this.#stale) this.#staleSince = this.#startedAt;
    if (options.initial.text !== undefined && options.initial.revision > 0) this.#appliedAt = this.#startedAt;
  }

  get phase(): FleetPhase {
    return this.#phase;
  }

  /** The record etcd holds for this instance, as it is now. */
  record(): InstanceRecord {
    const described = this.#o.describe();
    const served = this.#served;
    return {
      id: this.#o.instanceId,
      host: hostname(),
      pid: process.pid,
      listeners: described.listeners,
      admin: described.admin,
      version: described.version,
      revision: this.#revision,
      applied_at: this.#appliedAt,
      config_version: served.version,
      config_hash: served.hash,
      local_file: this.#localFile,
      certificates: this.#servedCertificates,
      stale: this.#stale,
      last_refusal: this.#refusal,
      started_at: this.#startedAt,
    };
  }

  /** GET /fleet: the record plus where it follows and how. */
  view(): InstanceRecord & {
    phase: FleetPhase;
    prefix: string;
    endpoint: string;
    stale_since: string | null;
    last_error: string | null;
  } {
    return {
      ...this.record(),
      phase: this.#phase,
      prefix: this.#o.paths.prefix,
      endpoint: this.#o.client.endpoint,
      stale_since: this.#staleSince,
      last_error: this.#lastError,
    };
  }

  start(): void {
    const { initial } = this.#o;
    // The document started with came from etcd and serves: it is the last good one from now on.
    if (
      !initial.stale &&
      initial.refusal === undefined &&
      initial.text !== undefined &&
      initial.revision > 0
    ) {
      void this.#writeCache({
        revision: initial.revision,
        text: initial.text,
        certificates: initial.certificates.entries,
      });
    }
    this.#sync();
  }

  /**
   * The local file was read again (SIGHUP, POST /reload, a file watch) and applied: the config version
   * and hash changed (or were kept), the fleet revision did not. The record says so at once.
   */
  localFileApplied(change: { path: string; version: number; hash: string }): void {
    this.#served = { version: change.version, hash: change.hash };
    this.#localFile = { path: change.path, version: change.version, loaded_at: new Date().toISOString() };
    void this.#publish();
  }

  async stop(): Promise<void> {
    this.#phase = 'stopped';
    this.#generation++;
    clearTimeout(this.#timer);
    clearTimeout(this.#keepAliveTimer);
    this.#watch?.close();
    this.#watch = undefined;
    await this.#applying.catch(() => undefined);
    const lease = this.#lease;
    this.#lease = undefined;
    // Leave the fleet at once rather than when the lease runs out; unreachable etcd: it runs out.
    if (lease !== undefined) await this.#o.client.revokeLease(lease).catch(() => undefined);
    this.#o.client.close();
  }

  /** A fresh read of the document, then the watch from the revision after it. */
  #sync(): void {
    if (this.#phase === 'stopped') return;
    const generation = ++this.#generation;
    this.#phase = 'syncing';
    const paths = this.#o.paths;
    const range = fleetRange(paths);
    this.#o.client
      .range(range.key, { end: range.end })
      .then(async ({ revision, kvs }) => {
        if (generation !== this.#generation) return;
        await this.#register();
        const state = fleetStateFrom(paths, kvs);
        this.#latest = state;
        if (state.document === undefined && this.#revision !== 0) this.#refuseMissing(revision);
        else if (state.document !== undefined && state.revision !== this.#revision) this.#enqueue(state);
        this.#watch = this.#o.client.watch(
          range.key,
          { end: range.end, startRevision: revision + 1 },
          {
            onFrame: (frame) => {
              if (generation === this.#generation) this.#onFrame(frame);
            },
            onEnd: (error) => {
              if (generation === this.#generation) this.#broken(error);
            },
          },
        );
      })
      .catch((error: unknown) => {
        if (generation === this.#generation) this.#broken(error);
      });
  }

  #onFrame(frame: WatchFrame): void {
    switch (frame.kind) {
      case 'created':
        this.#attempt = 0;
        this.#phase = 'following';
        if (this.#stale) {
          this.#stale = false;
          this.#staleSince = null;
          this.#lastError = null;
          this.#log.info({ revision: this.#revision }, 'fleet: etcd reached again; following it');
          void this.#publish();
        }
        return;
      case 'events': {
        // One frame is one revision's changes (a certificate's cert and key written together).
        const state = advance(this.#o.paths, this.#latest, frame.events);
        if (state.revision === this.#latest.revision) return;
        this.#latest = state;
        if (state.document === undefined) this.#refuseMissing(frame.revision);
        else this.#enqueue(state);
        return;
      }
      case 'compacted':
        this.#broken(
          new Error(`the watch fell behind a compaction (revision ${frame.compactRevision}); reading afresh`),
        );
        return;
      case 'canceled':
        this.#broken(new Error(`etcd canceled the watch: ${frame.reason}`));
        return;
      case 'error':
        this.#broken(new Error(`watch: ${frame.message}`));
        return;
      case 'progress':
        return;
    }
  }

  /** Lost etcd (or the watch): keep serving, say so, and try again after a backoff. */
  #broken(error: unknown): void {
    if (this.#phase === 'stopped') return;
    this.#generation++;
    this.#watch?.close();
    this.#watch = undefined;
    clearTimeout(this.#keepAliveTimer);
    const message = error instanceof Error ? error.message : String(error);
    this.#lastError = message;
    const backoff = this.#o.backoffMs ?? { first: 500, max: 15_000 };
    const delay = backoffDelay(this.#attempt++, backoff.first, backoff.max);
    if (!this.#stale) {
      this.#stale = true;
      this.#staleSince = new Date().toISOString();
      this.#log.warn(
        { err: message, revision: this.#revision },
        `fleet: lost etcd (${message}); serving the last good config (revision ${this.#revision}), stale until it is back`,
      );
    } else {
      this.#log.debug({ err: message, delayMs: delay }, 'fleet: etcd still unreachable');
    }
    this.#phase = 'stale';
    this.#timer = setTimeout(() => {
      this.#sync();
    }, delay);
  }

  #enqueue(state: FleetState): void {
    this.#pending = state;
    this.#applying = this.#applying.then(() => this.#applyPending());
  }

  async #applyPending(): Promise<void> {
    const state = this.#pending;
    this.#pending = undefined;
    if (state?.document === undefined || state.revision === this.#revision || this.#phase === 'stopped')
      return;
    const revision = state.revision;
    const source = configKey(this.#o.paths);
    const text = state.document.text;
    const certificates = state.certificates;
    try {
      // A pair that arrives expired is refused; one that expired while serving is not (fleet-certificates.ts).
      const expired = Object.keys(certificates.entries)
        .filter((name) => !samePair(certificates, this.#applied.certificates, name))
        .map((name) => expiredProblem(certificates, name))
        .filter((problem) => problem !== undefined);
      if (expired.length > 0) throw new ConfigErrors(expired);
      const result = await this.#o.target.applyFleet({ text, source, certificates });
      this.#revision = revision;
      this.#applied = state;
      this.#servedCertificates = servedCertificates(certificates);
      this.#served = { version: result.version, hash: result.hash };
      this.#appliedAt = new Date().toISOString();
      this.#log.info(
        { revision, version: result.version, changed: result.changed },
        `fleet: revision ${revision} of ${source} applied (config version ${result.version})`,
      );
      await this.#writeCache({ revision, text, certificates: certificates.entries });
    } catch (error) {
      const problems =
        error instanceof ConfigErrors
          ? error.errors.map((e) => e.message)
          : [error instanceof Error ? error.message : String(error)];
      this.#refusal = { revision, at: new Date().toISOString(), problems };
      this.#log.error(
        { revision, problems },
        `fleet: revision ${revision} of ${source} refused; the running config (revision ${this.#revision}) keeps serving:\n${problems.join('\n')}`,
      );
    }
    await this.#publish();
  }

  /** The document was deleted: nothing to apply; the last good config keeps serving. */
  #refuseMissing(revision: number): void {
    const source = configKey(this.#o.paths);
    this.#refusal = {
      revision,
      at: new Date().toISOString(),
      problems: [`${source}: the fleet document was deleted; the last good config keeps serving`],
    };
    this.#log.error({ revision }, `fleet: ${source} was deleted; the running config keeps serving`);
    void this.#publish();
  }

  async #writeCache(cache: CachedDocument): Promise<void> {
    const file = this.#o.cacheFile;
    if (file === undefined) return;
    const temporary = `${file}.${process.pid}.tmp`;
    try {
      await writeFile(temporary, encodeCache(cache), { mode: 0o600 });
      await rename(temporary, file);
    } catch (error) {
      this.#log.warn({ err: error, file }, `fleet: cannot write the cache file ${file}`);
    }
  }

  /** A lease, the record under it, and its renewal; again with a new lease if the old one expired. */
  async #register(): Promise<void> {
    const client = this.#o.client;
    const ttlSeconds = Math.max(2, Math.round(this.#o.leaseTtlMs / 1000));
    if (this.#lease !== undefined) {
      const ttl = await client.keepAlive(this.#lease);
      if (ttl <= 0) this.#lease = undefined;
    }
    if (this.#lease === undefined) this.#lease = (await client.grantLease(ttlSeconds)).id;
    await this.#publish(true);
    this.#scheduleKeepAlive(ttlSeconds);
  }

  #scheduleKeepAlive(ttlSeconds: number): void {
    clearTimeout(this.#keepAliveTimer);
    const generation = this.#generation;
    this.#keepAliveTimer = setTimeout(
      () => {
        const lease = this.#lease;
        if (lease === undefined || generation !== this.#generation) return;
        this.#o.client.keepAlive(lease).then(
          (ttl) => {
            if (generation !== this.#generation) return;
            if (ttl <= 0) {
              this.#broken(new FleetError('JCT_ERR_FLEET_UNAVAILABLE', 'the instance lease expired'));
              return;
            }
            this.#scheduleKeepAlive(ttlSeconds);
          },
          (error: unknown) => {
            if (generation === this.#generation) this.#broken(error);
          },
        );
      },
      (ttlSeconds * 1000) / 3,
    );
    this.#keepAliveTimer.unref();
  }

  /** Writes the record; a failure is a broken connection unless `rethrow` (then the caller's). */
  async #publish(rethrow = false): Promise<void> {
    const lease = this.#lease;
    if (lease === undefined || this.#phase === 'stopped') return;
    try {
      await this.#o.client.put(
        instanceKey(this.#o.paths, this.#o.instanceId),
        JSON.stringify(this.record()),
        {
          lease,
        },
      );
    } catch (error) {
      if (rethrow) throw error;
      this.#log.debug({ err: error }, 'fleet: cannot update the instance record');
    }
  }
}
