import type { Socket } from 'node:net';
import { flushAccessLogs, reopenAccessLogs } from '../access-log/index.ts';
import { BufferPool } from '../buffers/index.ts';
import type { JunctionConfig, ListenerConfig } from '../config/types.ts';
import { Connector, type UpstreamConnectionInfo } from '../connector/index.ts';
import { Listener, type ListenerHandlers } from '../listener/index.ts';
import type { TlsConnectionInfo } from '../tls/index.ts';
import * as certificates from './certificates.ts';
import type { CertificateInfo, CertificateInput } from './certificates.ts';
import { failureFields, silentLogger, type Logger } from '../log/index.ts';
import type { ErrorCode } from '../errors/index.ts';
import { Router, type ActiveHealthEvent, type AttemptObserver, type UpstreamState } from '../router/index.ts';
import { ActiveHealthRole, type ActiveHealthListener, type ActiveHealthMode } from './active-health-role.ts';
import { applyReload, type ReloadPort, type ReloadResult, type ServerStatus } from './reload.ts';
import { Http1Session, type ClientPeer, type ServedSession, type SessionHost } from '../session/index.ts';
import { ProxyHeaderStep, type ProxyStepHandler } from '../proxy-protocol/index.ts';
import { TcpSession } from '../tcp/index.ts';
import { PluginHost, type SessionInfo } from '../plugins/index.ts';
import { BUILTIN_STRATEGIES } from '../strategies/index.ts';
import {
  TransactionObservers,
  type RuntimeSnapshot,
  type TransactionObserver,
} from '../transaction/index.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import { buildSnapshot, combineHooks } from './snapshot.ts';
import { RouteTable } from '../routes/index.ts';
import { ruleHookTables } from '../rules/index.ts';
import { configHash } from './config-diff.ts';
import { drainUpstream } from './drain.ts';
import { closeWithinGrace } from './shutdown-grace.ts';
import { Retirement } from './retirement.ts';
import { observe, type ServerObservation } from './observation.ts';
import { ReloadError } from '../errors/index.ts';

/** A session still past a fired deadline this long after is a zombie: the checker closes it. */
const ZOMBIE_GRACE_MS = 5_000;
/** How often deadlines and accept queues are checked (the zombie checker's beat). */
const SWEEP_INTERVAL_MS = 100;
/** Head buffers pre-allocated for sessions whose request head arrives in several reads. */
const HEAD_BUFFER_SIZE = 32 * 1024 + 1024;
const HEAD_BUFFER_COUNT = 1024;

export interface StartOptions {
  readonly logger?: Logger;
  readonly clock?: Clock;
  /**
   * Outbound session events: called when a connection to a backend opens and when it closes (health
   * check connections included). Synchronous and on the data path: keep them cheap. A listener that
   * throws is logged and otherwise ignored.
   */
  readonly upstreamEvents?: UpstreamEvents;
  /**
   * Active health checks: 'run' (the default) runs them; 'follow' runs none and applies the results
   * another server sends (applyActiveHealth()), so a group of workers checks each backend once.
   */
  readonly activeHealth?: ActiveHealthMode;
}

/** Listeners for outbound connections opening and closing. */
export interface UpstreamEvents {
  onUpstreamOpen?(info: UpstreamConnectionInfo): void;
  onUpstreamClose?(info: UpstreamConnectionInfo): void;
}

/** One cluster's strategy and retry counters, as `JunctionServer.clusters()` reports them. */
export interface ClusterStatus {
  readonly name: string;
  /** The cluster's strategy name and kind. */
  readonly strategy: string;
  readonly strategyKind: string;
  readonly backends: number;
  /** Healthy backends: neither passive nor active health has them down, nor are they draining. */
  readonly backendsUp: number;
  /** Panic mode: fewer than `health.panic_threshold` of its backends are healthy, so all are picked. */
  readonly panic: boolean;
  /** Requests that entered the cluster (first attempts), retries granted, retries the budget refused. */
  readonly requests: number;
  readonly retries: number;
  readonly retriesRefused: number;
}

export interface BoundListener {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** `https` on a listener that terminates TLS. */
  readonly scheme: 'http' | 'https' | 'tcp';
}

/** One backend's health and counters, as `JunctionServer.upstreams()` reports them. */
export interface UpstreamStatus {
  readonly cluster: string;
  readonly id: string;
  readonly address: string;
  /**
   * Healthy: neither passive health nor active checks have it down, nor is it draining. Strategies
   * pick among the healthy backends, or among all not draining while the cluster is in panic mode.
   */
  readonly isUp: boolean;
  /** Being drained: no new picks, and removed once its attempts under way finish. */
  readonly draining: boolean;

  /** Passive health has it ejected. */
  readonly ejected: boolean;
  /** When an ejected upstream gets its trial, in ms from now; 0 when it is not ejected. */
  readonly ejectedForMs: number;
  /** Back in rotation after an ejection, waiting for one request to prove itself. */
  readonly onTrial: boolean;
  /** Why it was last ejected (`3 consecutive failures`, …); '' if it never was. */
  readonly ejectionReason: string;

  /** Its cluster has active health checks. */
  readonly checked: boolean;
  /** Active checks have it up (always true when it is not checked). */
  readonly activeUp: boolean;
  /** Checks finished so far. */
  readonly checks: number;
  /** The last check's response status; 0 if it got none (or none has run). */
  readonly lastCheckStatus: number;
  /** Why the last check got no usable response (a connect error, a reset, a timeout, a malformed head). */
  readonly lastCheckError: ErrorCode | undefined;
  /** Checks in a row that passed, and that failed (one of the two is 0). */
  readonly checkSuccesses: number;
  readonly checkFailures: number;

  readonly inFlight: number;
  /** Finished attempts, failed attempts, and failures in a row. */
  readonly requests: number;
  readonly failures: number;
  readonly consecutiveFailures: number;
  /** Pooled connections: open now, idle now, opened in all, reused in all. */
  readonly connectionsOpen: number;
  readonly connectionsIdle: number;
  readonly connectionsOpened: number;
  readonly connectionReuses: number;
  /** Connect attempts that failed, and asks refused because the pool was at `max_total`. */
  readonly connectFailures: number;
  readonly poolExhausted: number;
}

/**
 * Resource counters, as `JunctionServer.stats()` reports them: what a connection holds while it lives and
 * must give back when it ends, for leak checks (the abort-storm test) and dashboards.
 */
export interface RuntimeStats {
  /** Client connections with a live session. */
  readonly sessions: number;
  /** Head buffers: slices of the pre-allocated region in use and free, and its capacity. */
  readonly headBuffersInUse: number;
  readonly headBuffersFree: number;
  readonly headBuffersCapacity: number;
  /** acquire() calls that found the region empty and allocated instead, in all. */
  readonly headBufferFallbacks: number;
  /** Over every backend's pool: connections open (idle or leased), idle, and being connected. */
  readonly upstreamConnectionsOpen: number;
  readonly upstreamConnectionsIdle: number;
  readonly upstreamConnectionsConnecting: number;
  /** Attempts under way over every backend (each holds or awaits a leased connection). */
  readonly upstreamInFlight: number;
  /** Session deadlines the sweep fired (idle and head timeouts, slow bodies, silent upstreams), in all. */
  readonly deadlinesFired: number;
  /**
   * Sessions the zombie checker closed: still open well past a deadline that already fired, so their
   * own timeout handling did not end them. In a healthy run this stays 0.
   */
  readonly zombiesClosed: number;
  /** Over every listener: sockets accepted in all, waiting in accept queues now, and dropped from them
   * (queue full or waited past `accept_queue_timeout`), and refused with 429 by a per-client cap. */
  readonly connectionsAccepted: number;
  readonly acceptQueued: number;
  readonly acceptQueueDropped: number;
  readonly refusedPerClient: number;
  /** Over every HTTPS listener: handshakes under way now, done, failed, and closed at `handshake_timeout`. */
  readonly tlsHandshakesInProgress: number;
  readonly tlsHandshakes: number;
  readonly tlsHandshakeFailures: number;
  readonly tlsHandshakeTimeouts: number;
}

export type { ReloadResult, ServerStatus } from './reload.ts';

/** A running Junction: its listeners, its upstreams' health, and a graceful close. */
export interface JunctionServer {
  readonly listeners: readonly BoundListener[];
  /** The validated config in force now. */
  readonly config: JunctionConfig;
  /** The config's version, hash and source. */
  status(): ServerStatus;
  /**
   * Applies a new validated config without dropping a connection: new transactions use it at once,
   * transactions under way finish on the old one, and unchanged clusters and backends keep their
   * state. Listeners are opened, closed and rebound by name. Rejects with ReloadError (the running
   * config keeps serving) if a listener cannot bind or a plugin fails to set up. Reloads run one at a
   * time, in the order they were asked for.
   */
  reload(config: JunctionConfig): Promise<ReloadResult>;
  /**
   * Takes a backend out of rotation (no new picks) and resolves once its attempts under way have
   * finished, or after `timeoutMs` (false). Removing it from the config is the caller's next step.
   * Rejects if the cluster has no such backend.
   */
  drainBackend(cluster: string, id: string, timeoutMs?: number): Promise<boolean>;
  /** Every backend of every cluster with its health state and counters (the in-process health API). */
  upstreams(): UpstreamStatus[];
  /** Every cluster with its strategy and retry counters. */
  clusters(): ClusterStatus[];
  /** Sessions, head buffers and upstream connections in use now: a few sums, cheap to poll. */
  stats(): RuntimeStats;
  /** Every counter and gauge kept, by listener, cluster and backend name: what a metrics scrape reads. */
  observe(): ServerObservation;
  /**
   * Attaches the data path's observer (the metrics counted per request): it hears every finished
   * transaction and every upstream attempt, new connection and retry, across reloads. One at a time:
   * a second replaces the first. Returns a function that detaches it.
   */
  watch(observer: DataPathObserver): () => void;
  /** Whether this server runs the active health checks or follows results given to it. */
  readonly activeHealthMode: ActiveHealthMode;
  /**
   * Switches between running the active checks and following them (the runner of a group died, and
   * this server takes over; or another took over). Verdicts so far carry over either way.
   */
  setActiveHealthMode(mode: ActiveHealthMode): void;
  /**
   * Hears every active check this server runs, as a serialisable event (to send to the servers that
   * follow). Returns a function that stops it.
   */
  onActiveHealth(listener: ActiveHealthListener): () => void;
  /**
   * Applies a check run elsewhere ('follow' mode). Returns false, changing nothing, in 'run' mode or
   * for a backend without active checks in the config in force (a reload under way).
   */
  applyActiveHealth(event: ActiveHealthEvent): boolean;
  /** Every checked backend's verdict now, as events: what a server that starts following is given first. */
  activeHealthState(): ActiveHealthEvent[];
  /** Every certificate of every HTTPS listener. */
  certificates(): CertificateInfo[];
  /** Adds a certificate to HTTPS listener `listener` (by name). Throws TlsCertificateError, changing nothing. */
  addCertificate(listener: string, certificate: CertificateInput): CertificateInfo;
  /** Replaces certificate `id`; if the new one cannot load, this throws and the old one keeps serving. */
  replaceCertificate(listener: string, id: string, certificate: CertificateInput): CertificateInfo;
  /** Removes certificate `id`; a listener's last certificate cannot be removed. */
  removeCertificate(listener: string, id: string): void;
  /**
   * Encrypts TLS session tickets on every HTTPS listener (those bound later too) with `keys` (48 bytes)
   * instead of each certificate's own random keys, so processes given the same keys (the workers of one
   * group) resume each other's sessions. Tickets issued before the call do a full handshake.
   */
  setTicketKeys(keys: Buffer): void;
  /**
   * Stop accepting, let in-flight transactions finish within the grace period, close idle connections
   * (at once, or once idle for `idleLingerMs`: a worker being replaced gives keep-alive clients that
   * long to send a request it answers with `Connection: close`).
   */
  close(graceMs?: number, options?: CloseOptions): Promise<void>;
  /** Closes the access log files and opens them again by path (logrotate's SIGUSR1); reloads do it too. */
  reopenLogs(): void;
}

export interface CloseOptions {
  readonly idleLingerMs?: number;
}

/** What watch() attaches: it hears transactions end and upstream attempts settle. */
export type DataPathObserver = TransactionObserver & AttemptObserver;

/** Starts Junction on a validated config. Resolves once every listener is bound. */
export async function startJunction(
  config: JunctionConfig,
  options: StartOptions = {},
): Promise<JunctionServer> {
  const server = new ServerRuntime(
    config,
    options.logger ?? silentLogger(),
    options.clock ?? systemClock,
    options.upstreamEvents,
    options.activeHealth ?? 'run',
  );
  await server.start();
  return server;
}

class ServerRuntime implements JunctionServer, SessionHost {
  readonly bufferPool = new BufferPool(HEAD_BUFFER_SIZE, HEAD_BUFFER_COUNT);
  readonly clock: Clock;
  readonly log: Logger;
  readonly #connector: Connector;
  readonly #router: Router;
  /** Shared by every snapshot: an observer attached by watch() sees all of them. */
  readonly #observers = new TransactionObservers();
  readonly #sessions = new Map<ServedSession, Listener>();
  /** The first step on listeners with `proxy_protocol`: sockets whose PROXY header is awaited. */
  readonly #proxyStep = new ProxyHeaderStep();
  /** Bound listeners by name; a reload opens, closes and rebinds entries. */
  readonly #listeners = new Map<string, Listener>();
  /** Listeners a reload closed, still waiting for their sessions to end; shutdown waits for them. */
  readonly #listenersClosing = new Set<Promise<void>>();
  #config: JunctionConfig;
  #snapshot: RuntimeSnapshot;
  #version = 1;
  #hash: string;
  readonly #startedAt: number = Date.now();
  #appliedAt: number = this.#startedAt;
  /** Reloads queue up behind this one. */
  #reloading: Promise<unknown> = Promise.resolve();
  #reloadsApplied = 0;
  #reloadsRefused = 0;
  readonly #retirement: Retirement;
  /** Set up in start(); null when the config names no plugin. */
  #plugins: PluginHost | null = null;
  #sweepTimer: NodeJS.Timeout | undefined;
  #deadlinesFired = 0;
  #zombiesClosed = 0;
  readonly #activeHealth: ActiveHealthRole;
  #closing: Promise<void> | undefined;
  /** Shared TLS session ticket keys (setTicketKeys), applied to listeners bound later too. */
  #ticketKeys: Buffer | undefined;
  #sessionsGone: (() => void) | undefined;

  constructor(
    config: JunctionConfig,
    log: Logger,
    clock: Clock,
    events: UpstreamEvents | undefined,
    activeHealth: ActiveHealthMode,
  ) {
    this.clock = clock;
    this.log = log;
    this.#config = config;
    this.#hash = configHash(config);
    this.#retirement = new Retirement((error) => {
      log.error({ err: error }, 'freeing a replaced config failed');
    });
    // Outbound events cost nothing unless someone listens: the embedding program, or a plugin.
    const listened = events !== undefined || PluginHost.configHasPlugins(config);
    this.#connector = new Connector(clock, {
      events: !listened
        ? undefined
        : {
            onUpstreamOpen: (info) => {
              events?.onUpstreamOpen?.(info);
              this.#plugins?.upstreamOpened(info);
            },
            onUpstreamClose: (info) => {
              events?.onUpstreamClose?.(info);
              this.#plugins?.upstreamClosed(info);
            },
            onListenerError: (error, event) => {
              log.error({ err: error, event }, `an upstream ${event} listener threw`);
            },
          },
    });
    this.#router = new Router(this.#connector, BUILTIN_STRATEGIES, {
      clock,
      log: log.child({ component: 'router' }),
    });
    // Replaced in start() once plugins have registered their hooks.
    this.#snapshot = buildSnapshot(config, this.#router, this.#observers, 1);
    this.#activeHealth = new ActiveHealthRole(
      {
        connector: this.#connector,
        log: log.child({ component: 'health' }),
        clusters: () => this.#snapshot.clusters,
        responseHeadLimits: () => this.#snapshot.responseHeadLimits,
        now: () => Date.now(),
      },
      activeHealth,
    );
  }

  async start(): Promise<void> {
    const config = this.#config;
    if (PluginHost.configHasPlugins(config)) {
      try {
        this.#plugins = await PluginHost.start(config, this.log.child({ component: 'plugins' }));
      } catch (error) {
        this.#connector.close();
        throw error;
      }
    }
    this.#watchRuleResources(config);
    const hooks = this.#hooksFor(config, this.#plugins);
    if (hooks !== undefined) this.#snapshot = buildSnapshot(config, this.#router, this.#observers, 1, hooks);
    try {
      for (const listenerConfig of config.listeners) {
        const listener = this.#newListener(listenerConfig);
        await listener.listen();
        this.#listeners.set(listenerConfig.name, listener);
      }
    } catch (error) {
      await Promise.all([...this.#listeners.values()].map((l) => l.close()));
      await this.#plugins?.dispose();
      this.#connector.close();
      throw error;
    }
    this.#sweepTimer = setInterval(this.#sweep, SWEEP_INTERVAL_MS);
    this.#sweepTimer.unref();
    this.#activeHealth.restart();
    for (const l of this.listeners)
      this.log.info({ listener: l.name }, `listening on ${l.scheme}://${l.address}:${l.port}`);
  }

  #newListener(config: ListenerConfig): Listener {
    const listener = new Listener(config, this.clock, this.#handlers);
    if (listener.tls !== null && this.#ticketKeys !== undefined) listener.tls.setTicketKeys(this.#ticketKeys);
    if (listener.tls !== null) {
      const log = this.log.child({ component: 'tls', listener: config.name });
      listener.tls.onHandshakeError = (error, client) => {
        // A client's failed handshake is expected (scanners, old clients): its codes, no stack.
        log.debug(
          { code: 'JCT_ERR_TLS_CLIENT_HANDSHAKE', client, ...failureFields(error) },
          `TLS handshake failed: ${error.message}`,
        );
      };
    }
    return listener;
  }

  #watchRuleResources(config: JunctionConfig): void {
    const resources = config.rules?.resources;
    if (resources === undefined) return;
    const log = this.log.child({ component: 'rules' });
    resources.onReloadError = (error, source) => {
      log.warn(
        { err: error, ...source },
        `${source.kind} '${source.name}': ${source.path} could not be re-read; keeping the old contents`,
      );
    };
    resources.onReload = (source) => {
      log.info(source, `${source.kind} '${source.name}' re-read from ${source.path}`);
    };
  }

  /** Plugins' hooks run before the rules' at each point (rules can read what plugins set). */
  #hooksFor(config: JunctionConfig, plugins: PluginHost | null) {
    return combineHooks(
      plugins ?? undefined,
      config.rules === undefined ? undefined : ruleHookTables(config.rules),
    );
  }

  get listeners(): readonly BoundListener[] {
    return [...this.#listeners.values()].map((l) => ({
      name: l.config.name,
      address: l.config.address,
      port: l.port,
      scheme:
        l.config.tcp !== undefined
          ? ('tcp' as const)
          : l.tls === null
            ? ('http' as const)
            : ('https' as const),
    }));
  }

  setTicketKeys(keys: Buffer): void {
    this.#ticketKeys = Buffer.from(keys);
    for (const listener of this.#listeners.values()) listener.tls?.setTicketKeys(this.#ticketKeys);
  }

  certificates(): CertificateInfo[] {
    return certificates.describeCertificates([...this.#listeners.values()]);
  }

  addCertificate(listener: string, certificate: CertificateInput): CertificateInfo {
    const added = certificates.addCertificate([...this.#listeners.values()], listener, certificate);
    this.log.info({ listener, certificate: added.id, names: added.names }, 'certificate added');
    return added;
  }

  replaceCertificate(listener: string, id: string, certificate: CertificateInput): CertificateInfo {
    const replaced = certificates.replaceCertificate(
      [...this.#listeners.values()],
      listener,
      id,
      certificate,
    );
    this.log.info({ listener, certificate: id, fingerprint: replaced.fingerprint }, 'certificate replaced');
    return replaced;
  }

  removeCertificate(listener: string, id: string): void {
    certificates.removeCertificate([...this.#listeners.values()], listener, id);
    this.log.info({ listener, certificate: id }, 'certificate removed');
  }

  get config(): JunctionConfig {
    return this.#config;
  }

  status(): ServerStatus {
    return {
      version: this.#version,
      hash: this.#hash,
      source: this.#config.source,
      appliedAt: this.#appliedAt,
      startedAt: this.#startedAt,
      sessions: this.#sessions.size,
      reloadsApplied: this.#reloadsApplied,
      reloadsRefused: this.#reloadsRefused,
      closing: this.#closing !== undefined,
    };
  }

  observe(): ServerObservation {
    return observe({
      status: this.status(),
      snapshot: this.#snapshot,
      listeners: this.#listeners.values(),
      deadlinesFired: this.#deadlinesFired,
      zombiesClosed: this.#zombiesClosed,
    });
  }

  watch(observer: DataPathObserver): () => void {
    this.#observers.observer = observer;
    this.#router.observer = observer;
    return () => {
      if (this.#observers.observer !== observer) return;
      this.#observers.observer = null;
      this.#router.observer = null;
    };
  }

  get activeHealthMode(): ActiveHealthMode {
    return this.#activeHealth.mode;
  }

  setActiveHealthMode(mode: ActiveHealthMode): void {
    this.#activeHealth.setMode(mode);
  }

  onActiveHealth(listener: ActiveHealthListener): () => void {
    return this.#activeHealth.onEvent(listener);
  }

  applyActiveHealth(event: ActiveHealthEvent): boolean {
    return this.#activeHealth.apply(event);
  }

  activeHealthState(): ActiveHealthEvent[] {
    return this.#activeHealth.state();
  }

  reload(config: JunctionConfig): Promise<ReloadResult> {
    const next = this.#reloading.then(() => applyReload(this.#reloadPort, config));
    this.#reloading = next.then(
      () => this.#reloadsApplied++,
      () => this.#reloadsRefused++,
    );
    return next;
  }

  drainBackend(cluster: string, id: string, timeoutMs = 60_000): Promise<boolean> {
    const runtime = this.#snapshot.clusters.get(cluster);
    const upstream = runtime?.upstreams.find((u) => u.id === id);
    if (runtime === undefined || upstream === undefined) {
      return Promise.reject(new ReloadError(`cluster '${cluster}' has no backend '${id}'`));
    }
    return drainUpstream(runtime, upstream, {
      clock: this.clock,
      log: this.log,
      timeoutMs,
      pollMs: SWEEP_INTERVAL_MS,
      isClosing: () => this.#closing !== undefined,
    });
  }

  /** What applyReload() needs of the server's private state. */
  readonly #reloadPort: ReloadPort = {
    current: () => this.#snapshot,
    applied: () => ({ version: this.#version, hash: this.#hash }),
    closing: () => this.#closing !== undefined,
    // A reload (SIGHUP, logrotate's postrotate) opens the access log files anew, even one that changes nothing.
    reopenLogs: reopenAccessLogs,
    startPlugins: (config) =>
      PluginHost.configHasPlugins(config)
        ? PluginHost.start(config, this.log.child({ component: 'plugins' }))
        : Promise.resolve(null),
    build: async (config, plugins, previous) => {
      // Compiled a slice at a time: a reload of many routes must not stall the traffic it serves.
      const routes = await RouteTable.gradually(config.routes);
      this.#watchRuleResources(config);
      return buildSnapshot(
        config,
        this.#router,
        this.#observers,
        this.#version + 1,
        this.#hooksFor(config, plugins),
        previous,
        routes,
      );
    },
    listeners: this.#listeners,
    prepareTlsUpdate: (listenerConfig) =>
      this.#listeners.get(listenerConfig.name)!.prepareTlsUpdate(listenerConfig),
    bind: async (listenerConfig) => {
      const listener = this.#newListener(listenerConfig);
      await listener.listen();
      return listener;
    },
    unbind: (listener) => {
      const closed = listener.close();
      this.#listenersClosing.add(closed);
      void closed.then(() => this.#listenersClosing.delete(closed));
      for (const [session, owner] of this.#sessions) if (owner === listener) session.drain();
    },
    swap: (config, snapshot, plugins) => {
      const old = { snapshot: this.#snapshot, plugins: this.#plugins, config: this.#config };
      this.#snapshot = snapshot;
      this.#plugins = plugins;
      this.#config = config;
      this.#version = snapshot.version;
      this.#hash = configHash(config);
      this.#appliedAt = Date.now();
      old.plugins?.replaced();
      this.#retirement.retireSnapshot(old.snapshot, async () => {
        await old.plugins?.dispose();
        if (old.config.rules !== config.rules) old.config.rules?.dispose();
      });
      const live = new Set(upstreamsOf(snapshot));
      this.#retirement.keep(live);
      this.#retirement.retireUpstreams(upstreamsOf(old.snapshot).filter((u) => !live.has(u)));
      // Checks follow the new set of backends; their verdicts live in the backends' state and carry over.
      this.#activeHealth.restart();
      return { version: this.#version, hash: this.#hash };
    },
    log: (): Logger => this.log,
  };

  upstreams(): UpstreamStatus[] {
    const now = this.clock.now();
    const out: UpstreamStatus[] = [];
    for (const cluster of this.#snapshot.clusters.values()) {
      const checked = cluster.config.health.active !== undefined;
      for (const u of cluster.upstreams) {
        out.push({
          cluster: cluster.name,
          id: u.id,
          address: u.pool.upstreamId,
          isUp: u.healthy,
          draining: u.draining,
          ejected: u.passiveDown,
          ejectedForMs: u.passiveDown ? Math.max(0, Math.round(u.ejectedUntil - now)) : 0,
          onTrial: u.onTrial,
          ejectionReason: u.ejectionReason,
          checked,
          activeUp: !u.activeDown,
          checks: u.checks,
          lastCheckStatus: u.lastCheckStatus,
          lastCheckError: u.lastCheckError,
          checkSuccesses: u.checkSuccesses,
          checkFailures: u.checkFailures,
          inFlight: u.inFlight,
          requests: u.requests,
          failures: u.failures,
          consecutiveFailures: u.consecutiveFailures,
          connectionsOpen: u.pool.openCount,
          connectionsIdle: u.pool.idleCount,
          connectionsOpened: u.pool.connectsOpened,
          connectionReuses: u.pool.reuses,
          connectFailures: u.pool.connectFailures,
          poolExhausted: u.pool.exhausted,
        });
      }
    }
    return out;
  }

  clusters(): ClusterStatus[] {
    return [...this.#snapshot.clusters.values()].map((cluster) => ({
      name: cluster.name,
      strategy: cluster.config.strategy.name,
      strategyKind: cluster.config.strategy.kind,
      backends: cluster.upstreams.length,
      backendsUp: cluster.upstreams.filter((u) => u.healthy).length,
      panic: cluster.panic,
      requests: cluster.retryBudget.requests,
      retries: cluster.retryBudget.retries,
      retriesRefused: cluster.retryBudget.retriesRefused,
    }));
  }

  stats(): RuntimeStats {
    let open = 0;
    let idle = 0;
    let connecting = 0;
    let inFlight = 0;
    for (const cluster of this.#snapshot.clusters.values()) {
      for (const u of cluster.upstreams) {
        open += u.pool.openCount;
        idle += u.pool.idleCount;
        connecting += u.pool.connectingCount;
        inFlight += u.inFlight;
      }
    }
    const pool = this.bufferPool;
    let accepted = 0;
    let queued = 0;
    let dropped = 0;
    let refused = 0;
    let handshaking = 0;
    let handshakes = 0;
    let handshakeFailures = 0;
    let handshakeTimeouts = 0;
    for (const listener of this.#listeners.values()) {
      accepted += listener.accepted;
      queued += listener.queued;
      dropped += listener.droppedFromQueue;
      refused += listener.refusedPerClient;
      const counters = listener.tls?.counters;
      if (counters === undefined) continue;
      handshaking += counters.inProgress;
      handshakes += counters.completed;
      handshakeFailures += counters.failed;
      handshakeTimeouts += counters.timedOut;
    }
    return {
      sessions: this.#sessions.size,
      headBuffersInUse: pool.checkedOut,
      headBuffersFree: pool.available,
      headBuffersCapacity: pool.capacity,
      headBufferFallbacks: pool.fallbacks,
      upstreamConnectionsOpen: open,
      upstreamConnectionsIdle: idle,
      upstreamConnectionsConnecting: connecting,
      upstreamInFlight: inFlight,
      deadlinesFired: this.#deadlinesFired,
      zombiesClosed: this.#zombiesClosed,
      connectionsAccepted: accepted,
      acceptQueued: queued,
      acceptQueueDropped: dropped,
      refusedPerClient: refused,
      tlsHandshakesInProgress: handshaking,
      tlsHandshakes: handshakes,
      tlsHandshakeFailures: handshakeFailures,
      tlsHandshakeTimeouts: handshakeTimeouts,
    };
  }

  current(): RuntimeSnapshot {
    return this.#snapshot;
  }

  /**
   * The path from an accepted socket to its session: the PROXY header step first (on listeners that
   * expect one), then TLS (on HTTPS listeners), then the session for the listener's protocol.
   */
  readonly #handlers: ListenerHandlers = {
    accepted: (socket, listener) => {
      const proxy = listener.config.proxyProtocol;
      if (proxy === undefined) this.#afterProxyHeader(socket, listener, undefined);
      else this.#proxyStep.accept(socket, proxy, this.#afterProxyStep(listener));
    },
    secured: (socket, listener, tls, peer) => {
      this.#startSession(socket, listener, peer, tls);
    },
  };

  /**
   * The PROXY step left `socket` paused with the bytes after the header put back. A session resumes
   * it; the TLS step must not be raced by a resume, which would hand those bytes (the start of the
   * ClientHello) to the plain socket's reader instead of the TLS layer, which takes them itself.
   */
  #afterProxyHeader(socket: Socket, listener: Listener, peer: ClientPeer | undefined): void {
    if (listener.tls !== null) {
      listener.secure(socket, peer);
      return;
    }
    this.#startSession(socket, listener, peer, null);
    socket.resume();
  }

  /** One handler per listener, made on its first connection. */
  readonly #proxyStepHandlers = new Map<Listener, ProxyStepHandler>();

  #afterProxyStep(listener: Listener): ProxyStepHandler {
    let handler = this.#proxyStepHandlers.get(listener);
    if (handler !== undefined) return handler;
    handler = {
      onReady: (socket, peer) => {
        if (!listener.admitClient(socket, peer?.address ?? socket.remoteAddress ?? '')) return;
        this.#afterProxyHeader(socket, listener, peer);
      },
      onRefused: (_socket, error) => {
        this.log.info({ code: error.code, listener: listener.config.name }, error.message);
        listener.sessionEnded(undefined);
      },
    };
    this.#proxyStepHandlers.set(listener, handler);
    return handler;
  }

  #startSession(
    socket: Socket,
    listener: Listener,
    peer: ClientPeer | undefined,
    tls: TlsConnectionInfo | null,
  ): void {
    const { tcp, redirectToHttps, name, accessLog, trustRequestId = false } = listener.config;
    const about = { name, accessLog, trustRequestId };
    const session =
      tcp !== undefined
        ? new TcpSession(socket, this, tcp, peer, about)
        : new Http1Session(socket, this, tls === null ? 'http' : 'https', {
            tls,
            redirectToHttps,
            peer,
            listener: about,
          });
    this.#sessions.set(session, listener);
    this.#plugins?.sessionStarted(sessionInfo(session, listener));
    if (this.#closing !== undefined) session.drain();
  }

  onSessionClosed(session: ServedSession): void {
    const listener = this.#sessions.get(session);
    this.#sessions.delete(session);
    // Behind a PROXY protocol peer, sessions are counted per client (Listener.admitClient).
    listener?.sessionEnded(
      listener.config.proxyProtocol === undefined ? session.socketAddress : session.clientAddress,
    );
    if (this.#plugins !== null && listener !== undefined) {
      this.#plugins.sessionClosed(sessionInfo(session, listener));
    }
    if (this.#sessions.size === 0) this.#sessionsGone?.();
  }

  /** Fires deadlines that have passed and expires accept queues. Cheap: one comparison per session. */
  readonly #sweep = (): void => {
    const now = this.clock.now();
    for (const session of this.#sessions.keys()) {
      if (session.deadlineAt !== 0 && session.deadlineAt <= now) {
        this.#deadlinesFired++;
        session.onDeadline();
        session.overdueSince ||= now;
      } else {
        session.overdueSince = 0;
      }
      // The zombie checker (Sōzu): a session whose deadline fired but that is still past one long after
      // did not end by its own timeout handling. Close it, count it, say so.
      if (session.overdueSince !== 0 && now - session.overdueSince >= ZOMBIE_GRACE_MS) {
        this.#zombiesClosed++;
        this.log.warn(
          { client: session.clientAddress, openForMs: now - session.openedAt, requests: session.requests },
          'zombie session closed: still open long after its deadline',
        );
        session.destroy();
      }
    }
    for (const listener of this.#listeners.values()) listener.expireQueue();
    this.#router.readmitExpired(this.#snapshot.clusters.values());
    if (this.#retirement.pending > 0) {
      const inUse = new Set<RuntimeSnapshot>();
      for (const session of this.#sessions.keys()) {
        // TCP sessions hold cluster runtimes, never a snapshot.
        const held = session instanceof Http1Session ? session.transactionSnapshot : undefined;
        if (held !== undefined) inUse.add(held);
      }
      this.#retirement.sweep(inUse, new Set(upstreamsOf(this.#snapshot).map((u) => u.pool)));
    }
  };

  reopenLogs(): void {
    reopenAccessLogs();
  }

  close(graceMs: number = this.#config.timeouts.shutdownGraceMs, options: CloseOptions = {}): Promise<void> {
    this.#closing ??= this.#shutdown(graceMs, options.idleLingerMs ?? 0);
    return this.#closing;
  }

  async #shutdown(graceMs: number, idleLingerMs: number): Promise<void> {
    // A reload under way finishes first (later ones are refused): it may bind listeners and restart checks.
    await this.#reloading;
    // Checks judge backends for traffic to come; while draining there is none.
    this.#activeHealth.stop();
    const stopped = Promise.all([
      ...[...this.#listeners.values()].map((l) => l.close()),
      ...this.#listenersClosing,
    ]);
    this.#proxyStep.closeAll();
    for (const session of this.#sessions.keys()) session.drain(idleLingerMs);
    const allGone =
      this.#sessions.size === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            this.#sessionsGone = resolve;
          });
    const grace = await closeWithinGrace(this.#sessions, allGone, graceMs, this.log);
    await stopped;
    clearInterval(this.#sweepTimer);
    await this.#retirement.flush();
    this.#connector.close();
    await this.#plugins?.dispose();
    this.#config.rules?.dispose();
    // The last sessions' access lines are written before the process may exit.
    await flushAccessLogs();
    this.log.info({ cutRequests: grace.cut.requests, cutTunnels: grace.cut.tunnels }, 'stopped');
  }
}

function sessionInfo(session: ServedSession, listener: Listener): SessionInfo {
  return {
    clientAddress: session.clientAddress,
    clientPort: session.clientPort,
    listener: listener.config.name,
  };
}

function upstreamsOf(snapshot: RuntimeSnapshot): UpstreamState[] {
  return [...snapshot.clusters.values()].flatMap((cluster) => cluster.upstreams);
}
