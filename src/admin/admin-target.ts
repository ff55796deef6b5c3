/**
 * What the admin API drives: the members of a running Junction it reads and changes, and nothing else.
 * A JunctionServer satisfies it as it is (one process). With several workers, the primary's stand-in
 * for the group satisfies it too: it asks every worker and merges their answers (workers/aggregate.ts),
 * and broadcasts every change, so the admin routes, the ConfigStore and the health endpoints never
 * reach past these members into a server's internals.
 *
 * Reads that a group answers by asking its workers may return a promise; the admin awaits every one of
 * them. `config` and `listeners` are synchronous: the config is validated where the admin runs, and
 * the listeners are bound from it.
 */
import type { JunctionConfig } from '../config/index.ts';
import type { FailedTransaction } from '../metrics/index.ts';
import type {
  Answer,
  CertificateInfo,
  CertificateInput,
  PluginHookOwners,
  ReloadResult,
  StatusReadings,
} from '../server/index.ts';
import type { KeptRequest } from '../transaction/index.ts';
import type { CacheCommand, CacheReport } from '../cache/index.ts';

export type { Answer } from '../server/index.ts';

/** The readings (the listener list and `/ready` read `listeners` and `status()`), and the changes. */
export interface AdminTarget extends StatusReadings {
  /**
   * Applies a validated config; the ConfigStore calls it for every reload and API edit. A group applies
   * it in every worker, or in none (rejecting, the old config serving on).
   */
  reload(config: JunctionConfig): Promise<ReloadResult>;
  /**
   * Takes a backend out of rotation and resolves once its attempts under way finished (true), or after
   * `timeoutMs` (false). A group drains it in every worker: true only when every worker drained it.
   */
  drainBackend(cluster: string, id: string, timeoutMs?: number): Promise<boolean>;
  /** Every certificate of every HTTPS listener. */
  certificates(): Answer<readonly CertificateInfo[]>;
  /** The certificate API. A refusal throws (or rejects with) TlsCertificateError, changing nothing. */
  addCertificate(listener: string, certificate: CertificateInput): Answer<CertificateInfo>;
  replaceCertificate(listener: string, id: string, certificate: CertificateInput): Answer<CertificateInfo>;
  removeCertificate(listener: string, id: string): Answer<void>;
  /**
   * The request heads kept for `junction ctl preview` (`explain.keep_requests`), newest first; null when
   * the ring is off. A group merges its workers' (newest first, as many as the setting keeps). Absent
   * where no ring is kept.
   */
  recentRequests?(): Answer<readonly KeptRequest[] | null>;
  /** The plugins hooked at each point for a request on `route`, as the running process set them up. */
  pluginHooks?(route: string | undefined): Answer<PluginHookOwners>;
  /**
   * Runs a cache command (cache/cache-admin.ts) on the server's cache, or in every worker of a group
   * (the answers summed); null when no route caches.
   */
  cacheCommand?(command: CacheCommand): Answer<CacheReport | null>;
}

/**
 * What `GET /metrics` renders: a JunctionMetrics over one server, or a group's renderer that asks every
 * worker and merges their metrics (metrics/group-metrics.ts).
 */
export interface AdminMetrics {
  /** The scrape in the Prometheus text format. */
  render(): Answer<string>;
  /** The Content-Type of render(); default the Prometheus text format 0.0.4. */
  readonly contentType?: string;
  /** The last failed transactions, newest first, for the dashboard (none kept: omitted). */
  recentFailures?(): Answer<readonly FailedTransaction[]>;
  /** Stops whatever the metrics hold (per-request counting on the data path). */
  close(): void;
}

/** The Prometheus text format's Content-Type, for renderers that do not say. */
export const PROMETHEUS_TEXT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
