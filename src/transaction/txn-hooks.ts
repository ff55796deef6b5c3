import type { RequestHead, ResponseHead } from '../codec/types.ts';
import {
  checkedLocalFields,
  DEFAULT_HOOK_TIMEOUT_MS,
  HOOKS_DONE,
  HOOKS_FAILED,
  isTxnHookName,
  HOOK_INDEX,
  HookRunner,
  RequestHeadView,
  ResponseHeadView,
  TXN_HOOKS,
  type HookEntry,
  type HookFailure,
  type HookRunHost,
  type HookRunResult,
  type HookTable,
  type LocalResponse,
  type ResponseView,
  type TxnContext,
  type TxnHook,
  type TxnHookName,
  type TxnSession,
  type TxnCertificate,
  type TxnTimeouts,
  type TxnUpstreamSettings,
} from '../hooks/index.ts';
import { HookError } from '../errors/index.ts';
import type { RouteCacheConfig } from '../config/cache-types.ts';
import type { CacheOutcome, TxnCache } from '../hooks/index.ts';
import type { Logger } from '../log/index.ts';
import type { TunnelReport } from '../tunnel/index.ts';
import type { RequestTransformFactory, ResponseTransformFactory } from '../transforms/index.ts';
import type { TxnPhase } from './phases.ts';
import type { SessionPort } from './session-port.ts';
import { TxnCacheState, type CacheHooksHost } from './cache-hooks.ts';

/** What the hook driver needs of its transaction. The Transaction implements it. */
export interface HookedTransaction {
  readonly head: RequestHead;
  /** The client side, for the session facts, the log and the bytes written. */
  readonly port: SessionPort;
  /** When the transaction started, on the Router's clock, and that clock. */
  readonly startedAt: number;
  readonly snapshot: { readonly router: { now(): number } };
  readonly route: { readonly name: string } | undefined;
  readonly cluster: { readonly name: string } | undefined;
  readonly upstreamId: string | undefined;
  /** The local address of the upstream connection, once there is one. */
  readonly upstreamLocalAddress: string | undefined;
  /** A certificate of the upstream connection (its own, or the one presented to it), once there is one. */
  upstreamCertificate(side: 'local' | 'remote'): TxnCertificate | undefined;
  /** Set when the transaction's tunnel is over. */
  readonly tunnel: TunnelReport | undefined;
  /** The response head written (or being written) to the client; null before one. */
  readonly sentResponse: ResponseHead | null;
  chooseRoute(name: string): void;
  chooseCluster(name: string): void;
  chooseStrategy(name: string): void;
  chooseUpstream(id: string): void;
  /** os-dns: the backend of the cluster this attempt connects to instead of the one chosen. */
  chooseAttemptUpstream(id: string): void;
  /** Whether the server has a cache (some route caches): the cache's hook points and `txn.cache`. */
  readonly hasCache: boolean;
  /** The route's `cache:`, once routed. */
  readonly routeCache: RouteCacheConfig | undefined;
  /** The cache's outcome so far (the access log's `cache`). */
  readonly cacheOutcome: CacheOutcome | undefined;
  /** An asynchronous run finished: continue at `phase`, or fail with `failure`. */
  resumeAfterHooks(phase: TxnPhase, failure: HookFailure | undefined): void;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const NO_SETTINGS: TxnUpstreamSettings = {};
/** A DNS name or an IP address (what SNI and a certificate's name check take). */
const SERVER_NAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?$|^[0-9A-Fa-f:.]+$/;

/**
 * One transaction's hooks: the table in force (global, then the route's after remap), hooks added
 * by hooks for later points, the context object every hook receives, and the answer a hook gave.
 * Created only for transactions of a snapshot that has hooks.
 */
export class TxnHooks implements TxnContext, HookRunHost<TxnPhase>, CacheHooksHost {
  readonly #txn: HookedTransaction;
  readonly #runner: HookRunner<TxnPhase>;
  #table: HookTable | null;
  /** Hooks added by hooks of this transaction, per point; allocated on first use. */
  #added: HookEntry[][] | undefined = undefined;
  #current: TxnHookName = 'txn-start';
  #request: RequestHeadView | undefined = undefined;
  #response: ResponseHeadView | undefined = undefined;
  /** The head `#response` views, to tell whether a head already has its view. */
  #responseHead: ResponseHead | undefined = undefined;
  /** The upstream's final response head and its view (the same as `#response` while that is it). */
  #upstreamHead: ResponseHead | undefined = undefined;
  #upstreamView: ResponseHeadView | undefined = undefined;
  /** The client socket's bytes written when the transaction began: responseBytes counts from it. */
  readonly #bytesAtStart: number;
  #vars: Map<string, unknown> | undefined = undefined;
  #timeouts: TxnTimeouts;
  #upstreamSettings: TxnUpstreamSettings = NO_SETTINGS;
  /** The response a hook asked for instead of the upstream's; taken by the transaction. */
  answer: LocalResponse | undefined = undefined;
  ruleState: unknown = undefined;
  /** A hook failed: later hooks (except txn-close) do not run. */
  failed = false;
  /** Transforms hooks asked for, in order; null while there are none. */
  responseTransforms: ResponseTransformFactory[] | null = null;
  requestTransforms: RequestTransformFactory[] | null = null;
  /** The cache's side (cache-hooks.ts), made on first use on a server with a cache. */
  #cacheState: TxnCacheState | undefined = undefined;

  constructor(txn: HookedTransaction, table: HookTable | null, timeouts: TxnTimeouts) {
    this.#txn = txn;
    this.#table = table;
    this.#timeouts = timeouts;
    this.#runner = new HookRunner<TxnPhase>(this, this);
    this.#bytesAtStart = txn.port.bytesWritten;
  }

  /** After routing: the route's table (global hooks, then the route's own). */
  useTable(table: HookTable | null): void {
    this.#table = table;
  }

  /** Whether any hook is registered for `name` in this transaction. */
  has(name: TxnHookName): boolean {
    const i = HOOK_INDEX[name];
    return this.#table?.[i] !== undefined || (this.#added?.[i]?.length ?? 0) > 0;
  }

  /** Runs the hooks of `name`; `next` is the phase the transaction resumes at after an asynchronous run. */
  run(name: TxnHookName, next: TxnPhase): HookRunResult {
    this.#current = name;
    const i = HOOK_INDEX[name];
    return this.#runner.run(name, this.#table?.[i], this.#added?.[i], next);
  }

  /**
   * Runs a point whose hooks must not wait (select-alternate runs inside the lookup): a hook that
   * returns a promise fails like one that throws. The failure, if any.
   */
  runSynchronous(name: TxnHookName): HookFailure | undefined {
    const result = this.run(name, 'closed');
    if (result === HOOKS_DONE) return undefined;
    if (result === HOOKS_FAILED) return this.lastFailure;
    this.#runner.cancel();
    const error = new HookError(`a ${name} hook must not return a promise: it runs inside the cache lookup`);
    return { hook: name, owner: 'transaction', kind: 'threw', error };
  }

  get lastFailure(): HookFailure | undefined {
    return this.#runner.lastFailure;
  }

  /** Sets the response hooks see from now on (read-response, send-response). */
  setResponse(head: ResponseHead): void {
    this.#responseHead = head;
    this.#response = new ResponseHeadView(head);
  }

  /** The upstream answered with `head` (a final one, not retried): upstreamResponse from now on. */
  noteUpstreamResponse(head: ResponseHead): void {
    this.#upstreamHead = head;
  }

  /**
   * The transaction is over, before txn-close: `response` becomes the head that was sent, which no
   * hook may have seen yet (a proxied response when no read-response or send-response hook ran).
   */
  settleResponse(): void {
    const sent = this.#txn.sentResponse;
    if (sent !== null && sent !== this.#responseHead) this.setResponse(sent);
  }

  /** The transaction ended: a pending hook's result no longer matters. */
  cancel(): void {
    this.#runner.cancel();
  }

  /** The transaction is over: a pending hook is dropped, and txn-close hooks run (their failures only log). */
  close(): void {
    this.#runner.cancel();
    // An answer no longer matters, and the runner would skip txn-close hooks while one is pending.
    this.answer = undefined;
    if (!this.has('txn-close')) return;
    this.settleResponse();
    if (this.run('txn-close', 'closed') === HOOKS_FAILED)
      logHookFailure(this.#txn.port.log, this.lastFailure!);
  }

  // HookRunHost

  get answered(): boolean {
    return this.answer !== undefined;
  }

  hooksFinished(next: TxnPhase, failure: HookFailure | undefined): void {
    this.#txn.resumeAfterHooks(next, failure);
  }

  // TxnContext

  get hook(): TxnHookName {
    return this.#current;
  }
  get request(): RequestHeadView {
    return (this.#request ??= new RequestHeadView(this.#txn.head));
  }
  get response(): ResponseView | undefined {
    return this.#response;
  }
  get upstreamResponse(): ResponseView | undefined {
    const head = this.#upstreamHead;
    if (head === undefined) return undefined;
    if (head === this.#responseHead) return this.#response;
    // Another answer replaced the upstream's: its own view, made once (edits made to it persist).
    if (this.#upstreamView === undefined) this.#upstreamView = new ResponseHeadView(head);
    return this.#upstreamView;
  }
  get responseBytes(): number {
    return this.#txn.port.bytesWritten - this.#bytesAtStart;
  }
  get clientAddress(): string {
    return this.#txn.port.clientAddress;
  }
  get session(): TxnSession {
    return txnSession(this.#txn.port, this.#txn.head);
  }
  get upstream(): string | undefined {
    return this.#txn.upstreamId;
  }
  get route(): string | undefined {
    return this.#txn.route?.name;
  }
  get cluster(): string | undefined {
    return this.#txn.cluster?.name;
  }
  get elapsedMs(): number {
    const txn = this.#txn;
    return txn.snapshot.router.now() - txn.startedAt;
  }
  get vars(): Map<string, unknown> {
    return (this.#vars ??= new Map());
  }
  get timeouts(): TxnTimeouts {
    return this.#timeouts;
  }
  get log(): Logger {
    return this.#txn.port.log;
  }
  get tunnel(): TunnelReport | undefined {
    return this.#txn.tunnel;
  }
  get cache(): TxnCache | undefined {
    return this.cacheState;
  }

  // CacheHooksHost (cache-hooks.ts)

  /** The cache's side of the transaction; undefined on a server without a cache. */
  get cacheState(): TxnCacheState | undefined {
    if (this.#cacheState === undefined && this.#txn.hasCache) this.#cacheState = new TxnCacheState(this);
    return this.#cacheState;
  }

  /**
   * The cache's side when the transaction needs one: a hook or rule read or set `txn.cache`, or a
   * cache point has hooks. Otherwise undefined, and nothing is allocated.
   */
  get cacheStateInUse(): TxnCacheState | undefined {
    if (this.#cacheState !== undefined) return this.#cacheState;
    const used =
      this.has('select-alternate') || this.has('read-cache-header') || this.has('cache-lookup-complete');
    return used ? this.cacheState : undefined;
  }
  get currentHook(): TxnHookName {
    return this.#current;
  }
  get requestHead(): RequestHead {
    return this.#txn.head;
  }
  get scheme(): string {
    return this.#txn.port.scheme;
  }
  get routeCache(): RouteCacheConfig | undefined {
    return this.#txn.routeCache;
  }
  get outcome(): CacheOutcome | undefined {
    return this.#txn.cacheOutcome;
  }

  get upstreamSettings(): TxnUpstreamSettings {
    return this.#upstreamSettings;
  }
  get upstreamLocalAddress(): string | undefined {
    return this.#txn.upstreamLocalAddress;
  }
  upstreamCertificate(side: 'local' | 'remote'): TxnCertificate | undefined {
    return this.#txn.upstreamCertificate(side);
  }

  setUpstreamSettings(settings: TxnUpstreamSettings): void {
    this.#until('post-remap', 'setUpstreamSettings');
    const max = settings.maxConnections;
    if (max !== undefined && (!Number.isInteger(max) || max < 0 || max > 1_000_000)) {
      throw new RangeError(`a connection limit must be a whole number from 0 to 1000000, got ${max}`);
    }
    const name = settings.serverName;
    if (name !== undefined && !SERVER_NAME.test(name)) {
      throw new RangeError(`a TLS server name must be a host name or an IP address, got '${name}'`);
    }
    this.#upstreamSettings = { ...this.#upstreamSettings, ...settings };
  }

  setTimeout(name: keyof TxnTimeouts, ms: number): void {
    // The connect timeout is read when the Router is asked, right after post-remap; the body timeout
    // once the response head has been through its hooks.
    const last =
      name === 'connectMs' ? 'post-remap' : name === 'backendBodyMs' ? 'read-response' : 'send-request';
    this.#until(last, `setTimeout('${name}')`);
    if (!Number.isInteger(ms) || ms < 1 || ms > 2 ** 31 - 1) {
      throw new RangeError(`a timeout must be a whole number of ms from 1, got ${ms}`);
    }
    this.#timeouts = { ...this.#timeouts, [name]: ms };
  }

  respond(response: LocalResponse): void {
    this.#until('send-response', 'respond');
    if (!Number.isInteger(response.status) || response.status < 200 || response.status > 599) {
      throw new RangeError(`a response status must be from 200 to 599, got ${response.status}`);
    }
    // Checked now, so a bad field fails the hook that wrote it, not a later write.
    checkedLocalFields(response.headers ?? {});
    this.answer = response;
  }

  redirect(location: string, status = 302): void {
    if (!REDIRECT_STATUSES.has(status)) throw new RangeError(`${status} is not a redirect status`);
    if (/[\r\n\0]/.test(location)) throw new TypeError('the location contains a line break');
    this.respond({ status, headers: { location } });
  }

  setRoute(name: string): void {
    this.#until('pre-remap', 'setRoute');
    this.#txn.chooseRoute(name);
  }

  setCluster(name: string): void {
    this.#until('post-remap', 'setCluster');
    this.#txn.chooseCluster(name);
  }

  setStrategy(name: string): void {
    this.#until('post-remap', 'setStrategy');
    this.#txn.chooseStrategy(name);
  }

  setUpstream(id: string): void {
    if (this.#current === 'os-dns') {
      this.#txn.chooseAttemptUpstream(id);
      return;
    }
    this.#until('post-remap', 'setUpstream');
    this.#txn.chooseUpstream(id);
  }

  addHook(name: TxnHookName, hook: TxnHook): void {
    if (!isTxnHookName(name)) throw new TypeError(`'${String(name)}' is not a hook point`);
    if (typeof hook !== 'function') throw new TypeError('a hook must be a function');
    if (HOOK_INDEX[name] <= HOOK_INDEX[this.#current]) {
      throw new HookError(
        `addHook('${name}') from ${this.#current}: a hook can only be added for a later point`,
      );
    }
    this.#added ??= TXN_HOOKS.map(() => []);
    this.#added[HOOK_INDEX[name]]!.push({ hook, owner: 'transaction', timeoutMs: DEFAULT_HOOK_TIMEOUT_MS });
  }

  transformResponse(factory: ResponseTransformFactory): void {
    this.#until('send-response', 'transformResponse');
    (this.responseTransforms ??= []).push(factory);
  }

  transformRequest(factory: RequestTransformFactory): void {
    this.#until('send-request', 'transformRequest');
    (this.requestTransforms ??= []).push(factory);
  }

  #until(last: TxnHookName, what: string): void {
    if (HOOK_INDEX[this.#current] > HOOK_INDEX[last]) {
      throw new HookError(`${what}() is too late in ${this.#current}: it takes effect only until ${last}`);
    }
  }
}

/** The client connection as hooks see it. */
function txnSession(session: SessionPort, head: RequestHead): TxnSession {
  return {
    clientAddress: session.clientAddress,
    clientPort: session.clientPort,
    localAddress: session.localAddress,
    localPort: session.localPort,
    scheme: session.scheme,
    sni: session.tls?.serverName ?? '',
    protocol: head.versionMinor === 1 ? 'http/1.1' : 'http/1.0',
    // The session counts finished transactions; this one is under way.
    transactions: session.requests + 1,
    clientCertificate: session.tls?.clientCertificate,
    // Read from the socket only when asked (rules reading inbound-cert-local-*).
    get localCertificate() {
      return session.tls?.localCertificate;
    },
  };
}

/** One error line for a hook that threw, rejected or timed out, naming its plugin. */
export function logHookFailure(log: Logger, failure: HookFailure): void {
  const how = failure.kind === 'timed-out' ? 'timed out' : failure.kind;
  log.error(
    { plugin: failure.owner, hook: failure.hook, err: failure.error, code: 'JCT_ERR_HOOK_FAILED' },
    `hook ${failure.hook} of plugin '${failure.owner}' ${how}`,
  );
}
