/**
 * The running server's lifecycle and composition: startJunction() builds the Connector, Router and
 * snapshot from a validated config, binds listeners, starts the sweep's beat and active health checks,
 * wires reloads (applyReload's port onto the server's private state), keeps the books of live sessions,
 * and shuts down gracefully. Each concern it composes lives beside it: the accept pipeline
 * (accept-pipeline.ts), the deadline sweep and zombie checker (session-sweep.ts), the status records
 * and how they are filled in (server-status.ts, introspection.ts), the public interface (server-api.ts),
 * certificates (certificates.ts), reloads (reload.ts), shutdown's grace (shutdown-grace.ts).
 * Does not: tell session kinds apart, parse config files or handle process signals.
 */
import { flushAccessLogs, reopenAccessLogs } from '../access-log/index.ts';
import { BufferPool } from '../buffers/index.ts';
import { runCacheCommand, type CacheCommand, type CacheReport } from '../cache/index.ts';
import type { JunctionConfig, ListenerConfig } from '../config/types.ts';
import { Connector } from '../connector/index.ts';
import { UpstreamLinks } from '../upstream-h2/index.ts';
import { Listener } from '../listener/index.ts';
import * as certificates from './certificates.ts';
import type { CertificateInfo, CertificateInput } from './certificates.ts';
import { failureFields, silentLogger, type Logger } from '../log/index.ts';
import { Router, type ActiveHealthEvent, type UpstreamState } from '../router/index.ts';
import { ActiveHealthRole, type ActiveHealthListener, type ActiveHealthMode } from './active-health-role.ts';
import {
  applyReload,
  type LastReload,
  type ReloadPort,
  type ReloadResult,
  type ServerStatus,
} from './reload.ts';
import type { ServedSession, SessionHost } from '../session/index.ts';
import { PluginHost, type SessionInfo } from '../plugins/index.ts';
import { BUILTIN_STRATEGIES } from '../strategies/index.ts';
import { TransactionObservers, type KeptRequest, type RuntimeSnapshot } from '../transaction/index.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import { buildSnapshot, combineHooks } from './snapshot.ts';
import { RouteTable } from '../routes/index.ts';
import { ruleHookTables } from '../rules/index.ts';
import { boundDiff, configHash } from './config-diff.ts';
import { drainUpstream } from './drain.ts';
import { closeWithinGrace } from './shutdown-grace.ts';
import { Retirement } from './retirement.ts';
import { observe, type ServerObservation } from './observation.ts';
import { ReloadError } from '../errors/index.ts';
import { AcceptPipeline } from './accept-pipeline.ts';
import { SessionSweep, snapshotsHeld, SWEEP_INTERVAL_MS } from './session-sweep.ts';
import { boundListeners, clusterStatuses, runtimeStats, upstreamStatuses } from './introspection.ts';
import type { BoundListener, ClusterStatus, RuntimeStats, UpstreamStatus } from './server-status.ts';
import type {
  PluginHookOwners,
  CloseOptions,
  DataPathObserver,
  JunctionServer,
  StartOptions,
  UpstreamEvents,
} from './server-api.ts';

/** Head buffers pre-allocated for sessions whose request head arrives in several reads. */
const HEAD_BUFFER_SIZE = 32 * 1024 + 1024;
const HEAD_BUFFER_COUNT = 1024;

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
  /** The Connector, and HTTP/2 sessions for h2/h2c clusters: what the Router and health checks use. */
  readonly #links: UpstreamLinks;
  readonly #router: Router;
  /** Shared by every snapshot: an observer attached by watch() sees all of them. */
  readonly #observers = new TransactionObservers();
  readonly #sessions = new Map<ServedSession, Listener>();
  /** From an accepted socket to its session, which it hands back to be counted here. */
  readonly #accept = new AcceptPipeline({
    host: this,
    started: (session, listener) => {
      this.#sessions.set(session, listener);
      this.#plugins?.sessionStarted(sessionInfo(session, listener));
      if (this.#closing !== undefined) session.drain();
    },
  });
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
  #lastReload: LastReload | null = null;
  #reloadsRefused = 0;
  readonly #retirement: Retirement;
  /** Set up in start(); null when the config names no plugin. */
  #plugins: PluginHost | null = null;
  #sweepTimer: NodeJS.Timeout | undefined;
  readonly #deadlines: SessionSweep;
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
    this.#deadlines = new SessionSweep(log);
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
    this.#links = new UpstreamLinks(this.#connector);
    this.#router = new Router(this.#links, BUILTIN_STRATEGIES, {
      clock,
      log: log.child({ component: 'router' }),
    });
    // Replaced in start() once plugins have registered their hooks.
    this.#snapshot = buildSnapshot(config, this.#router, this.#observers, 1);
    this.#activeHealth = new ActiveHealthRole(
      {
        connector: this.#links,
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
        this.#links.close();
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
      this.#links.close();
      throw error;
    }
    this.#sweepTimer = setInterval(this.#sweep, SWEEP_INTERVAL_MS);
    this.#sweepTimer.unref();
    this.#activeHealth.restart();
    for (const l of this.listeners)
      this.log.info({ listener: l.name }, `listening on ${l.scheme}://${l.address}:${l.port}`);
  }

  #newListener(config: ListenerConfig): Listener {
    const listener = new Listener(config, this.clock, this.#accept.handlers);
    if (listener.tls !== null && this.#ticketKeys !== undefined) listener.tls.setTicketKeys(this.#ticketKeys);
    if (listener.tls !== null) {
      const log = this.log.child({ component: 'tls', listener: config.name });
      listener.tls.onHandshakeError = (error, client) => {
        // A refused client certificate (mutual TLS) is worth seeing, as nginx logs it at info.
        if (isClientCertificateRefusal(error)) {
          log.info(
            { code: 'JCT_ERR_TLS_CLIENT_CERTIFICATE', client, ...failureFields(error) },
            error.message.startsWith('client certificate')
              ? error.message
              : 'client certificate refused: the client sent none',
          );
          return;
        }
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
    return boundListeners(this.#listeners.values());
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
      lastReload: this.#lastReload,
    };
  }

  observe(): ServerObservation {
    return observe({
      status: this.status(),
      snapshot: this.#snapshot,
      listeners: this.#listeners.values(),
      deadlinesFired: this.#deadlines.deadlinesFired,
      zombiesClosed: this.#deadlines.zombiesClosed,
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
      (result) => {
        this.#reloadsApplied++;
        if (result.changed)
          this.#lastReload = {
            at: this.#appliedAt,
            version: result.version,
            diff: boundDiff(result.diff),
          };
      },
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

  /** A cache command (counters, purge, clear) on this server's cache; null when no route caches. */
  cacheCommand(command: CacheCommand): CacheReport | null {
    const cache = this.#snapshot.cache;
    return cache == null ? null : runCacheCommand(cache, command);
  }

  /** The request heads kept for `junction ctl preview`, newest first; null when the ring is off. */
  recentRequests(): KeptRequest[] | null {
    return this.#snapshot.requests?.list().reverse() ?? null;
  }

  pluginHooks(route: string | undefined): PluginHookOwners {
    return this.#plugins?.hookOwners(route) ?? {};
  }

  upstreams(): UpstreamStatus[] {
    return upstreamStatuses(this.#snapshot, this.clock.now());
  }

  clusters(): ClusterStatus[] {
    return clusterStatuses(this.#snapshot);
  }

  stats(): RuntimeStats {
    return runtimeStats({
      snapshot: this.#snapshot,
      listeners: this.#listeners.values(),
      sessions: this.#sessions.size,
      bufferPool: this.bufferPool,
      deadlinesFired: this.#deadlines.deadlinesFired,
      zombiesClosed: this.#deadlines.zombiesClosed,
    });
  }

  current(): RuntimeSnapshot {
    return this.#snapshot;
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

  /** The sweep's beat: session deadlines and zombies, accept queues, ejections due, replaced configs. */
  readonly #sweep = (): void => {
    this.#deadlines.check(this.#sessions.keys(), this.clock.now());
    for (const listener of this.#listeners.values()) listener.expireQueue();
    this.#router.readmitExpired(this.#snapshot.clusters.values());
    if (this.#retirement.pending > 0) {
      const pools = new Set(upstreamsOf(this.#snapshot).map((u) => u.pool));
      this.#retirement.sweep(snapshotsHeld(this.#sessions.keys()), pools);
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
    this.#accept.closeAll();
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
    this.#links.close();
    await this.#plugins?.dispose();
    this.#config.rules?.dispose();
    // The last sessions' access lines are written before the process may exit.
    await flushAccessLogs();
    // The cache's disk writes under way land before the process may exit (a restart finds them).
    await this.#snapshot.cache?.close();
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

/** A handshake ended for the client's certificate: refused by Junction, or sent none where one is required. */
function isClientCertificateRefusal(error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'JCT_ERR_TLS_CLIENT_CERTIFICATE' || code === 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE';
}
