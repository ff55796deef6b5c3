/**
 * The public face of a running Junction: the JunctionServer interface, the options startJunction()
 * takes, and what watch() attaches. Types only: junction-server.ts implements them; the status records
 * they return are server-status.ts's.
 */
import type { CacheCommand, CacheReport } from '../cache/index.ts';
import type { JunctionConfig } from '../config/types.ts';
import type { UpstreamConnectionInfo } from '../connector/index.ts';
import type { TxnHookName } from '../hooks/index.ts';
import type { Logger } from '../log/index.ts';
import type { ActiveHealthEvent, AttemptObserver } from '../router/index.ts';
import type { KeptRequest, TransactionObserver } from '../transaction/index.ts';
import type { Clock } from '../util/clock.ts';
import type { ActiveHealthListener, ActiveHealthMode } from './active-health-role.ts';
import type { CertificateInfo, CertificateInput } from './certificates.ts';
import type { ServerObservation } from './observation.ts';
import type { ReloadResult, ServerStatus } from './reload.ts';
import type { BoundListener, ClusterStatus, RuntimeStats, UpstreamStatus } from './server-status.ts';

/** Hook point → the names of the plugins hooked there, in the order they run. */
export type PluginHookOwners = Partial<Record<TxnHookName, string[]>>;

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
  /** A cache command (counters, purge, clear) on this server's cache; null when no route caches. */
  cacheCommand(command: CacheCommand): CacheReport | null;
  /** Every backend of every cluster with its health state and counters (the in-process health API). */
  upstreams(): UpstreamStatus[];
  /** The request heads kept for `junction ctl preview` (explain.keep_requests), newest first; null when off. */
  recentRequests(): KeptRequest[] | null;
  /** The plugins hooked at each point for a request on `route`, by name (ctl explain lists them). */
  pluginHooks(route: string | undefined): PluginHookOwners;
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
