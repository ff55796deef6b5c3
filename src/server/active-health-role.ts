/**
 * The server's part in its group's active health checks. Checks are run once per group, not once per
 * worker: one server runs them ('run') and tells the others each result (onEvent()); the others run
 * none ('follow') and apply the results they are given (apply()). A server on its own runs them, as it
 * always has. The role can change while the server runs: when the runner dies, another takes over,
 * keeping the verdicts it followed (they live in the backends' state).
 */
import type { HeadLimits } from '../codec/index.ts';
import type { CheckConnector } from '../router/active-health.ts';
import type { Logger } from '../log/index.ts';
import {
  ActiveHealthChecker,
  activeHealthEvent,
  applyActiveHealthEvent,
  type ActiveHealthEvent,
  type ClusterRuntime,
} from '../router/index.ts';

/** 'run': this server runs the checks; 'follow': it runs none and applies the runner's results. */
export type ActiveHealthMode = 'run' | 'follow';

export type ActiveHealthListener = (event: ActiveHealthEvent) => void;

/** What the role reads of the server. */
export interface ActiveHealthHost {
  readonly connector: CheckConnector;
  readonly log: Logger;
  /** The clusters of the config in force now. */
  clusters(): ReadonlyMap<string, ClusterRuntime>;
  responseHeadLimits(): HeadLimits;
  /** Wall-clock time in ms, for the events' `at`. */
  now(): number;
}

export class ActiveHealthRole {
  readonly #host: ActiveHealthHost;
  readonly #listeners = new Set<ActiveHealthListener>();
  #mode: ActiveHealthMode;
  #checker: ActiveHealthChecker | undefined;
  /** After stop() (shutdown), nothing starts again. */
  #stopped = false;

  constructor(host: ActiveHealthHost, mode: ActiveHealthMode) {
    this.#host = host;
    this.#mode = mode;
  }

  get mode(): ActiveHealthMode {
    return this.#mode;
  }

  /** Checks follow the config in force: called at start and after every reload. */
  restart(): void {
    this.#checker?.stop();
    this.#checker = undefined;
    if (this.#mode !== 'run' || this.#stopped) return;
    this.#checker = new ActiveHealthChecker(this.#host.clusters().values(), {
      connector: this.#host.connector,
      limits: this.#host.responseHeadLimits(),
      log: this.#host.log,
      onCheck: (cluster, upstream, result, transition) => {
        if (this.#listeners.size === 0) return;
        const event = activeHealthEvent(cluster.name, upstream, result, transition, this.#host.now());
        for (const listener of this.#listeners) {
          try {
            listener(event);
          } catch (error) {
            this.#host.log.error({ err: error }, 'an active health listener threw');
          }
        }
      },
    });
    this.#checker.start();
  }

  setMode(mode: ActiveHealthMode): void {
    if (mode === this.#mode) return;
    this.#mode = mode;
    this.#host.log.info(
      { mode },
      mode === 'run'
        ? 'running the active health checks'
        : 'following the active health checks run elsewhere',
    );
    this.restart();
  }

  /** Hears every check this server runs (in 'run' mode). Returns a function that stops it. */
  onEvent(listener: ActiveHealthListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /**
   * Applies a check the runner ran. Returns false, changing nothing, when this server runs the checks
   * itself, or has no such backend with active checks (a reload under way on either side).
   */
  apply(event: ActiveHealthEvent): boolean {
    if (this.#mode !== 'follow' || this.#stopped) return false;
    const cluster = this.#host.clusters().get(event.cluster);
    if (cluster?.config.health.active === undefined) return false;
    const upstream = cluster.upstreams.find((u) => u.id === event.backend);
    if (upstream === undefined) return false;
    const transition = applyActiveHealthEvent(upstream, event);
    if (transition !== undefined) {
      this.#host.log.debug(
        { cluster: cluster.name, upstream: upstream.id, reason: event.reason },
        `upstream ${upstream.id} of cluster '${cluster.name}' ${transition} by the group's health checks`,
      );
      cluster.membersChanged();
    }
    return true;
  }

  /**
   * Every checked backend's verdict now, as events (`changed` false): what a server that starts
   * following later is given first, so it does not send traffic to a backend the checks have down.
   */
  state(): ActiveHealthEvent[] {
    const at = this.#host.now();
    const out: ActiveHealthEvent[] = [];
    for (const cluster of this.#host.clusters().values()) {
      if (cluster.config.health.active === undefined) continue;
      for (const u of cluster.upstreams) {
        out.push({
          cluster: cluster.name,
          backend: u.id,
          result: u.activeDown ? 'down' : 'up',
          passed: u.checkFailures === 0,
          changed: false,
          status: u.lastCheckStatus,
          ...(u.lastCheckError === undefined ? {} : { code: u.lastCheckError }),
          reason: u.lastCheckError ?? `status ${u.lastCheckStatus}`,
          at,
        });
      }
    }
    return out;
  }

  /** Shutdown: checks stop for good. */
  stop(): void {
    this.#stopped = true;
    this.#checker?.stop();
    this.#checker = undefined;
  }
}
