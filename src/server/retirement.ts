/**
 * What a reload leaves behind, freed once nothing uses it: an old snapshot's plugins and rule resources
 * once no transaction holds that snapshot, and a removed backend's pooled connections once its last
 * attempt has finished. Checked on the server's sweep; costs nothing while nothing is retiring.
 */
import type { UpstreamState } from '../router/index.ts';
import type { RuntimeSnapshot } from '../transaction/index.ts';

interface RetiringSnapshot {
  readonly snapshot: RuntimeSnapshot;
  /** Frees the snapshot's own resources (plugin instances, rule watchers). */
  readonly dispose: () => Promise<void> | void;
}

export class Retirement {
  readonly #snapshots: RetiringSnapshot[] = [];
  #upstreams: UpstreamState[] = [];
  readonly #onError: (error: unknown) => void;

  constructor(onError: (error: unknown) => void) {
    this.#onError = onError;
  }

  get pending(): number {
    return this.#snapshots.length + this.#upstreams.length;
  }

  retireSnapshot(snapshot: RuntimeSnapshot, dispose: () => Promise<void> | void): void {
    this.#snapshots.push({ snapshot, dispose });
  }

  /** Backends no longer in the running snapshot: no new picks reach them (no strategy lists them). */
  retireUpstreams(upstreams: Iterable<UpstreamState>): void {
    for (const u of upstreams) if (!this.#upstreams.includes(u)) this.#upstreams.push(u);
  }

  /** A backend that came back in a later config is not retired after all. */
  keep(live: ReadonlySet<UpstreamState>): void {
    this.#upstreams = this.#upstreams.filter((u) => !live.has(u));
  }

  /**
   * Frees what is no longer used. `inUse` are the snapshots transactions hold now; `livePools` the pools
   * the running snapshot's backends use (another cluster may share a removed backend's pool).
   */
  sweep(inUse: ReadonlySet<RuntimeSnapshot>, livePools: ReadonlySet<unknown>): void {
    for (let i = this.#snapshots.length - 1; i >= 0; i--) {
      const entry = this.#snapshots[i]!;
      if (inUse.has(entry.snapshot)) continue;
      this.#snapshots.splice(i, 1);
      try {
        void Promise.resolve(entry.dispose()).catch(this.#onError);
      } catch (error) {
        this.#onError(error);
      }
    }
    // An old snapshot's transaction may still retry onto a removed backend: close pools only after.
    if (this.#snapshots.length > 0) return;
    this.#upstreams = this.#upstreams.filter((u) => {
      if (u.inFlight > 0 || u.pool.connectingCount > 0) return true;
      if (!livePools.has(u.pool)) u.pool.closeIdle();
      return false;
    });
  }

  /** Shutdown: dispose of every retiring snapshot now. */
  async flush(): Promise<void> {
    const entries = this.#snapshots.splice(0);
    this.#upstreams = [];
    for (const entry of entries) {
      try {
        await entry.dispose();
      } catch (error) {
        this.#onError(error);
      }
    }
  }
}
