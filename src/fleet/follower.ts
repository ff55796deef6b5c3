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
import { ConfigErrors, FleetError } from '../errors/index.ts';
import type { Logger } from '../log/index.ts';
import type { EtcdClient, Watch } from './etcd-client.ts';
import type { KeyValue, WatchFrame } from './etcd-codec.ts';
import { configKey, instanceKey, type FleetPaths } from './keys.ts';

/** What the follower applies documents to (the ConfigStore). */
export interface FleetTarget {
  applyFleet(fleet: {
    text: string;
    source: string;
  }): Promise<{ version: number; hash: string; changed: boolean }>;
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
  /** The etcd revision of the fleet document it serves (0: none yet, the file alone). */
  readonly revision: number;
  /** When it applied that document (ISO 8601), or null. */
  readonly applied_at: string | null;
  /** The config version (1 at start, +1 per applied change) and hash serving now. */
  readonly config_version: number;
  readonly config_hash: string;
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

/** The cache file: the document and the revision it had, so a start from it reports that revision. */
export interface CachedDocument {
  readonly revision: number;
  readonly text: string;
}

export function encodeCache(cache: CachedDocument): string {
  return `${JSON.stringify(cache)}\n`;
}

export function decodeCache(text: string): CachedDocument | undefined {
  try {
    const value = JSON.parse(text) as Partial<CachedDocument>;
    return typeof value.revision === 'number' && typeof value.text === 'string'
      ? { revision: value.revision, text: value.text }
      : undefined;
  } catch {
    return undefined;
  }
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
  #watch: Watch | undefined;
  #timer: NodeJS.Timeout | undefined;
  #keepAliveTimer: NodeJS.Timeout | undefined;
  #lease: string | undefined;
  #attempt = 0;
  /** One apply at a time; a newer revision arriving meanwhile replaces any still waiting. */
  #applying: Promise<void> = Promise.resolve();
  #pending: KeyValue | undefined;
  #generation = 0;

  constructor(options: FollowerOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'fleet' });
    this.#revision = options.initial.revision;
    this.#stale = options.initial.stale;
    this.#refusal = options.initial.refusal ?? null;
    this.#served = { version: options.initial.version, hash: options.initial.hash };
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
      void this.#writeCache({ revision: initial.revision, text: initial.text });
    }
    this.#sync();
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
    const key = configKey(this.#o.paths);
    this.#o.client
      .get(key)
      .then(async ({ revision, kv }) => {
        if (generation !== this.#generation) return;
        await this.#register();
        if (kv !== undefined && kv.modRevision !== this.#revision) this.#enqueue(kv);
        else if (kv === undefined && this.#revision !== 0) this.#refuseMissing(revision);
        this.#watch = this.#o.client.watch(
          key,
          { startRevision: revision + 1 },
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
        const last = frame.events.at(-1)!;
        if (last.type === 'put') this.#enqueue(last.kv);
        else this.#refuseMissing(frame.revision);
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

  #enqueue(kv: KeyValue): void {
    this.#pending = kv;
    this.#applying = this.#applying.then(() => this.#applyPending());
  }

  async #applyPending(): Promise<void> {
    const kv = this.#pending;
    this.#pending = undefined;
    if (kv === undefined || kv.modRevision === this.#revision || this.#phase === 'stopped') return;
    const source = configKey(this.#o.paths);
    const text = kv.value.toString('utf8');
    try {
      const result = await this.#o.target.applyFleet({ text, source });
      this.#revision = kv.modRevision;
      this.#served = { version: result.version, hash: result.hash };
      this.#appliedAt = new Date().toISOString();
      this.#log.info(
        { revision: kv.modRevision, version: result.version, changed: result.changed },
        `fleet: revision ${kv.modRevision} of ${source} applied (config version ${result.version})`,
      );
      await this.#writeCache({ revision: kv.modRevision, text });
    } catch (error) {
      const problems =
        error instanceof ConfigErrors
          ? error.errors.map((e) => e.message)
          : [error instanceof Error ? error.message : String(error)];
      this.#refusal = { revision: kv.modRevision, at: new Date().toISOString(), problems };
      this.#log.error(
        { revision: kv.modRevision, problems },
        `fleet: revision ${kv.modRevision} of ${source} refused; the running config (revision ${this.#revision}) keeps serving:\n${problems.join('\n')}`,
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
