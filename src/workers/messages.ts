/**
 * The message kinds the primary and its workers exchange over the cluster IPC channel, as one typed
 * table each: requests (answered, with a timeout) and notices (one way, never answered). Adding a kind
 * is one entry here plus its handler (worker-main.ts for primary → worker requests); rpc.ts checks
 * both ends against these tables. Bodies cross as JSON: Buffers go as base64 text, Maps do not cross.
 */
import type { WireMessage } from '../config/index.ts';
import type { FailedTransaction, WorkerMetricsReport } from '../metrics/index.ts';
import type {
  ActiveHealthEvent,
  CacheCommand,
  CacheReport,
  BoundListener,
  CertificateInfo,
  ClusterStatus,
  KeptRequest,
  PluginHookOwners,
  ReloadResult,
  RuntimeStats,
  ServerObservation,
  ServerStatus,
  UpstreamStatus,
} from '../server/index.ts';

/**
 * A validated config as the primary sends it: the wire form the loading worker posts (config-wire.ts),
 * or, for a config that cannot cross as data, its document for the worker to load itself.
 */
export type ConfigMessage =
  | { readonly kind: 'wire'; readonly wire: WireMessage; readonly baseDir: string }
  | { readonly kind: 'document'; readonly json: string; readonly source: string; readonly baseDir: string };

/** The environment variable that tells a forked worker its slot (1..N), the number its log lines carry. */
export const SLOT_ENV = 'JUNCTION_WORKER_SLOT';

/** What a worker needs to start serving. */
export interface StartRequest {
  readonly config: ConfigMessage;
  /** The group's TLS session ticket keys (48 bytes, base64): every worker resumes every other's sessions. */
  readonly ticketKeys: string;
  /** The health role this worker starts with (see `health-role`). */
  readonly healthRole: HealthRole;
}

/** What a started worker reports: where it listens, and the config it serves. */
export interface WorkerStarted {
  readonly pid: number;
  readonly listeners: readonly BoundListener[];
  readonly hash: string;
}

/** A worker's answer to a reload: the server's result, and where it listens afterwards. */
export interface WorkerReloaded extends ReloadResult {
  readonly listeners: readonly BoundListener[];
}

/** What a worker says of itself for the group's status. */
export interface WorkerSelfStatus {
  readonly pid: number;
  readonly status: ServerStatus;
  /** process.memoryUsage(): resident set size, and the V8 heap in use (bytes). */
  readonly rss: number;
  readonly heapUsed: number;
}

/** A certificate change crossing the channel (the OCSP response as base64). */
export interface CertificateChange {
  readonly listener: string;
  readonly id?: string | undefined;
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
  readonly names?: readonly string[] | undefined;
  readonly ocsp?: string | undefined;
  readonly isDefault?: boolean | undefined;
}

/**
 * Whether a worker runs the active health checks itself (`run`) or applies the results another
 * worker's checks found (`follow`); the primary makes exactly one worker the runner.
 */
export type HealthRole = 'run' | 'follow';

/** Primary → worker requests. */
export interface WorkerRequests {
  start: { request: StartRequest; reply: WorkerStarted };
  reload: { request: ConfigMessage; reply: WorkerReloaded };
  status: { request: null; reply: WorkerSelfStatus };
  /** The worker's counters, and its resident set size (bytes). */
  stats: { request: null; reply: RuntimeStats & { readonly rss: number } };
  clusters: { request: null; reply: ClusterStatus[] };
  upstreams: { request: null; reply: UpstreamStatus[] };
  observe: { request: null; reply: ServerObservation };
  /** The worker's metrics as data (metric families), for the primary to merge into one scrape. */
  metrics: { request: null; reply: WorkerMetricsReport['value'] };
  /** The worker's last failed transactions, newest first (the dashboard's recent errors). */
  'recent-failures': { request: null; reply: FailedTransaction[] };
  /** The request heads the worker kept (explain.keep_requests), newest first; null when none are kept. */
  'recent-requests': { request: null; reply: KeptRequest[] | null };
  /** The plugins hooked at each point for a request on the route (null: no route), by name. */
  'plugin-hooks': { request: { route: string | null }; reply: PluginHookOwners };
  /** The health runner's results so far, for a worker that starts following it. */
  'health-state': { request: null; reply: ActiveHealthEvent[] };
  /** Close the access log files and open them again by path (SIGUSR1 to the primary). */
  'reopen-logs': { request: null; reply: null };
  'drain-backend': {
    request: { readonly cluster: string; readonly id: string; readonly timeoutMs: number };
    reply: boolean;
  };
  certificates: { request: null; reply: CertificateInfo[] };
  'add-certificate': { request: CertificateChange; reply: CertificateInfo };
  'replace-certificate': { request: CertificateChange & { readonly id: string }; reply: CertificateInfo };
  'remove-certificate': { request: { readonly listener: string; readonly id: string }; reply: null };
  'ticket-keys': { request: { readonly keys: string }; reply: null };
  /** Become the health runner, or a follower; a new follower is given the runner's state so far. */
  'health-role': {
    request: { readonly role: HealthRole; readonly state?: readonly ActiveHealthEvent[] };
    reply: null;
  };
  /** A cache command (counters, purge, clear) on the worker's own cache; null when none of its routes caches. */
  cache: { request: CacheCommand; reply: CacheReport | null };
  /** Stop accepting, finish requests within `graceMs`, then exit. Answered once the server is closed. */
  close: { request: { readonly graceMs: number }; reply: null };
}

/** Worker → primary requests (none yet: workers report through notices). */
export type PrimaryRequests = Record<string, never>;

/**
 * One-way messages, either direction. `health-event`: what the health runner's checks found, relayed by
 * the primary to every other worker (each checks its shape before applying it).
 */
export interface Notices {
  'health-event': ActiveHealthEvent;
  /** Worker → primary: its handlers are installed; requests sent before this would be lost. */
  ready: { readonly pid: number };
}

/** The kinds of WorkerRequests whose request body is null: the read-only queries. */
export type QueryKind = {
  [K in keyof WorkerRequests]: WorkerRequests[K]['request'] extends null ? K : never;
}[keyof WorkerRequests];
