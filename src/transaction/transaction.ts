/**
 * One request/response: Traffic Server's HttpSM, as a phase driver. It walks the phases of phases.ts
 * (hook points and its own steps: route, dispatch, write the request, start the response, answer
 * itself), holds the two sides' state objects (request-body.ts, response-side.ts), and decides every
 * failure in one place (fail): answer while nothing went to the client, cut the connection after.
 * Owns: routing a request, asking the Router, retries' conditions, the outcome it reports, the access
 * line and trace at its end. Delegates: the request as routing and hooks see it (txn-view.ts, its
 * base class), writing an attempt's request (request-writer.ts), the retry decision and the acquire
 * failure's log (attempts.ts), body forwarding and framing (request-body.ts, response-body.ts,
 * framed-writer.ts), reading response heads (response-head-reader.ts), Junction's own answers (their
 * text: local-answers.ts; held for send-response hooks and written: own-answer.ts),
 * head serialisation (forward-heads.ts), hooks' context (txn-hooks.ts).
 * Seams: #dispatch is the one step between routing and the Router (both the hook-free path and the
 * `dispatch` phase reach it); the response body starts in ResponseSide (response-side.ts).
 * Must not: open, pool or close connections (the Router lends an UpstreamChannel, the session a
 * SessionPort), parse request heads (the session does), or hold timers (the session's deadline).
 */
import type { RequestHead, ResponseHead } from '../codec/types.ts';
import type { ErrorCode, JunctionError } from '../errors/index.ts';
import { HOOKS_FAILED, HOOKS_PENDING, type HookFailure, type TxnTimeouts } from '../hooks/index.ts';
import type {
  AcquireHandler,
  CertificateNames,
  RetryReason,
  RouterLease,
  UpstreamChannel,
} from '../router/index.ts';
import type { Strategy, Upstream } from '../strategies/index.ts';
import type { RouteCacheConfig } from '../config/cache-types.ts';
import type { TxnTrace } from '../tracing/index.ts';
import type { Tunnel, TunnelReport } from '../tunnel/index.ts';
import { assignRequestId, logTransactionEnd, lowerCased, withoutField } from './access-entry.ts';
import { logAcquireFailure, mayReplay } from './attempts.ts';
import { NO_CLUSTER_TEXT, UNREACHABLE_TEXT, answerStatus, answerText } from './local-answers.ts';
import { OwnAnswer, type OwnAnswerHost } from './own-answer.ts';
import { TXN_PHASES, handlesAnswer, type TxnPhase } from './phases.ts';
import { RequestBodyForwarder, hasRequestBody, type RequestBodyHost } from './request-body.ts';
import { writeUpstreamRequest } from './request-writer.ts';
import { ResponseSide, type ResponseSideHost } from './response-side.ts';
import { PAUSE_UPSTREAM_FULL, PAUSE_WAIT_UPSTREAM, type SessionPort } from './session-port.ts';
import type { RuntimeSnapshot } from './snapshot.ts';
import { beginTrace } from './trace-entry.ts';
import { CacheStep } from './cache-step.ts';
import type { CacheLookup, CacheStatus, CachedChannel } from '../cache/index.ts';
import type { TxnCacheState } from './cache-hooks.ts';
import { HeldAttempt } from './os-dns.ts';
import { TxnHooks, logHookFailure, type HookedTransaction } from './txn-hooks.ts';
import { routeTransaction, strategyFor } from './txn-routing.ts';
import { TxnView } from './txn-view.ts';
import {
  hasUpgradeField,
  logTunnelEnd,
  openTunnel,
  upgradeDecision,
  type TunnellingTransaction,
} from './upgrade.ts';

export class Transaction
  extends TxnView
  implements
    AcquireHandler,
    HookedTransaction,
    OwnAnswerHost,
    RequestBodyHost,
    ResponseSideHost,
    TunnellingTransaction
{
  #lease: RouterLease | undefined = undefined;
  #channel: UpstreamChannel | undefined = undefined;
  /** The transaction is over: answered, cut, tunnelled to its end, or its client left. */
  #finished = false;
  /** The request side; null for a request without a body (its side is done from the start). */
  #request: RequestBodyForwarder | null = null;
  readonly #response: ResponseSide = new ResponseSide(this);
  /** The deadline armed is the client's, for the next piece of its request body. */
  #awaitingClientBody = false;
  /** Null unless the snapshot has hooks: a hook-free transaction pays one null check per point. */
  readonly txnHooks: TxnHooks | null;
  /** Junction's own answers, held while send-response hooks see them. */
  readonly #own: OwnAnswer = new OwnAnswer(this);
  /** The upstream of the last attempt, for txn-close hooks and the access line (its lease is gone by then). */
  #lastUpstreamId: string | undefined = undefined;
  /** The request is forwarded as a protocol upgrade (see upgrade.ts): a 101 starts a tunnel. */
  forwardsUpgrade = false;
  /** When the upstream switched protocols; the tunnel's report once it is over. */
  #switchedAt = 0;
  #tunnelReport: TunnelReport | undefined = undefined;
  /** cache: the cache states (cache-step.ts); undefined before the lookup, null on a route that does not cache. */
  #cache: CacheStep | null | undefined = undefined;
  /** os-dns: the attempt the Router holds while the hooks run (os-dns.ts). */
  #held: HeldAttempt | null = null;

  /** Kept for the client, sent upstream, returned on every response and logged. */
  readonly requestId: string;
  /** The request ID field to add to a response: [name, value]. */
  readonly #requestIdField: readonly string[];
  /** The trace this transaction is part of; null when none came in and none is started here. */
  readonly #trace: TxnTrace | null;
  // For the access line: the status and error code the transaction ended with, and its timings.
  #status = 0;
  #errorCode: ErrorCode | undefined = undefined;
  #upstreamHeadAt = 0;
  #attempts = 0;
  readonly #readMark: number;
  readonly #writeMark: number;

  constructor(session: SessionPort, snapshot: RuntimeSnapshot, head: RequestHead) {
    super(session, snapshot, head);
    this.#readMark = session.readMark;
    this.#writeMark = session.bytesWritten;
    const idHeader = snapshot.config.requestId?.header ?? 'X-Request-ID';
    this.requestId = assignRequestId(head, session, idHeader);
    this.#requestIdField = [idHeader, this.requestId];
    this.#trace = beginTrace(head, session, snapshot);
    // The head as the client sent it, before any rule or hook changes it; off: one test.
    snapshot.requests?.keep(session, head);
    const hooks = snapshot.hooks;
    this.txnHooks = hooks === null ? null : new TxnHooks(this, hooks.global, snapshot.config.timeouts);
  }

  /** The timeouts in force: the config's, or what a hook set for this transaction. */
  get timeouts(): TxnTimeouts {
    return this.txnHooks?.timeouts ?? this.snapshot.config.timeouts;
  }

  get isFinished(): boolean {
    return this.#finished;
  }

  /** Whether the session still owes this transaction request-body bytes. */
  get wantsRequestBody(): boolean {
    return this.#request !== null && this.#request.state !== 'done';
  }

  /** The request side is done: its whole body (if any) went, or went into the request transforms. */
  get isRequestDone(): boolean {
    return this.#request === null || this.#request.state === 'done';
  }

  /** Starts the transaction; `body` holds bytes read after the head, from `bodyStart` on. */
  start(body: Buffer | null, bodyStart: number): void {
    const head = this.head;
    const rest = body !== null && bodyStart < body.length ? body : null;
    if (hasRequestBody(head)) {
      this.#request = new RequestBodyForwarder(head, this, rest === null ? null : rest.subarray(bodyStart));
    } else if (rest !== null) {
      this.port.stashPipelined(rest, bodyStart);
    }
    if (this.txnHooks !== null) {
      // Hooks may wait: hold the body in the socket, not in memory, until an upstream is ready.
      if (this.#request !== null) this.port.pauseClient(PAUSE_WAIT_UPSTREAM);
      this.runPhase('txn-start');
      return;
    }
    if (this.#routeRequest()) this.#dispatch();
  }

  // The phase driver (only for snapshots that have hooks; without, start() routes and dispatches).

  /** Walks the phase table from `phase` until a hook waits or fails, an answer is due, or a step stops. */
  runPhase(phase: TxnPhase): void {
    const hooks = this.txnHooks!;
    for (;;) {
      if (this.#finished) return;
      if (hooks.answer !== undefined && !handlesAnswer(phase)) {
        this.#own.fromHook(hooks.answer);
        return;
      }
      // cache: the response is stored as read-response hooks left it (cache-step.ts).
      if (phase === 'send-response') this.#cache?.responseSettled(this.#response.held?.head);
      const entry = TXN_PHASES[phase];
      if (entry.hook === null) {
        if (phase !== 'route') {
          this.#ownStep(phase);
          return;
        }
        if (!this.#routeRequest()) return;
        hooks.useTable(this.snapshot.hooks!.forRoute(this.route!.name));
        phase = entry.next!;
        continue;
      }
      const result = hooks.run(entry.hook, entry.next!);
      if (result === HOOKS_PENDING) {
        this.port.setDeadline(0);
        return;
      }
      if (result === HOOKS_FAILED) {
        this.#hookFailed(hooks.lastFailure!);
        return;
      }
      phase = entry.next!;
    }
  }

  /** The transaction's own steps that end a run of the driver ('closed': nothing follows). */
  #ownStep(phase: TxnPhase): void {
    const answer = this.txnHooks!.answer;
    if (phase === 'dispatch') this.#dispatch();
    else if (phase === 'cache-decided') this.#cacheDecided();
    else if (phase === 'connect') this.#connectChosen();
    else if (phase === 'write-request') this.#writeRequest();
    else if (phase === 'write-local') this.#own.write();
    else if (phase === 'start-response') {
      if (answer !== undefined) this.#own.fromHook(answer);
      else this.#response.startHeld();
    }
  }

  /** @internal TxnHooks: an asynchronous hook run finished; go on at `phase`. */
  resumeAfterHooks(phase: TxnPhase, failure: HookFailure | undefined): void {
    if (phase === 'closed') {
      if (failure !== undefined) logHookFailure(this.port.log, failure);
      return;
    }
    if (this.#finished) return;
    if (failure !== undefined) this.#hookFailed(failure);
    else this.runPhase(phase);
  }

  /** A hook threw, rejected or timed out: this transaction ends with a 500; nothing else is affected. */
  #hookFailed(failure: HookFailure): void {
    logHookFailure(this.port.log, failure);
    const hooks = this.txnHooks;
    if (hooks !== null) {
      hooks.failed = true;
      hooks.answer = undefined;
    }
    if (this.#finished) return;
    if (!this.#response.started) {
      this.#response.held = null;
      this.#channel?.resume();
    }
    this.fail('JCT_ERR_HOOK_FAILED');
  }

  // Routing and dispatch

  /** Routes the request (see txn-routing.ts); answers and returns false when it may not go on. */
  #routeRequest(): boolean {
    const refusal = routeTransaction(this, this.port);
    if (refusal !== undefined) {
      this.fail(refusal);
      return false;
    }
    if (this.head.upgrade)
      this.forwardsUpgrade = upgradeDecision(this.head, this.route!.upgrade) === 'tunnel';
    return true;
  }

  /**
   * Asks the Router for an upstream for the routed request: the one step between routing and an
   * upstream, reached by start() without hooks and by the `dispatch` phase with them.
   */
  #dispatch(): void {
    const cluster = this.cluster;
    if (cluster === undefined) {
      this.fail('JCT_ERR_NO_UPSTREAM', NO_CLUSTER_TEXT);
      return;
    }
    // HTTP/2 has no Upgrade: a WebSocket to an h2/h2c cluster is refused, not sent as a plain request.
    if (this.forwardsUpgrade && cluster.config.protocol !== 'http/1.1') {
      this.fail('JCT_ERR_UPGRADE_H2_UPSTREAM');
      return;
    }
    // cache: the lookup, between routing and the Router; it may answer, or wait for another fill.
    if (this.#cache === undefined) {
      const step = (this.#cache = CacheStep.open(this));
      if (step === null ? this.lookedUp('skipped') : step.lookup()) return;
    }
    this.#askRouter();
  }

  /** After the cache's hooks: the cache acts on the lookup as they left it, or the Router is asked. */
  #cacheDecided(): void {
    const step = this.#cache;
    const found = this.txnHooks!.cacheState?.decided(step?.request);
    if (found !== undefined && step!.act(found)) return;
    this.#askRouter();
  }

  /** The Router is asked for an upstream for the routed request. */
  #askRouter(): void {
    const cluster = this.cluster!;
    let strategy: Strategy;
    try {
      const config = this.snapshot.config;
      strategy = strategyFor(cluster, this.route, config, this.strategyName, this.upstreamChoice);
    } catch (error) {
      this.#hookFailed({ hook: 'post-remap', owner: 'transaction', kind: 'threw', error });
      return;
    }
    if (this.#request?.state === 'awaiting-upstream') this.port.pauseClient(PAUSE_WAIT_UPSTREAM);
    this.port.setDeadline(0);
    const session = this.port;
    // The session is the client connection a PROXY protocol header sent upstream describes.
    const lease = this.snapshot.router.acquire(
      cluster,
      this,
      this.timeouts.connectMs,
      this,
      strategy,
      session,
      false,
      this.txnHooks?.upstreamSettings,
    );
    // Over already (an os-dns hook failed or answered, no backend): the lease was given back.
    if (!this.#finished) this.#lease = lease;
  }

  // cache: what the cache step (cache-step.ts) asks for.

  /** A stored response answers: played back through the response side, no upstream asked. */
  serveFromCache(channel: CachedChannel): void {
    this.#channel = channel;
    this.#response.pending = null;
    channel.attach(this.#response);
    this.port.setDeadline(this.timeouts.backendResponseMs);
    channel.start();
  }

  /** cache: the response comes from the cache, stored after read-response hooks: they do not run again. */
  get fromCache(): boolean {
    return this.#cache?.answered === true;
  }

  get cacheState(): TxnCacheState | undefined {
    return this.txnHooks?.cacheStateInUse;
  }

  /** The lookup found `found`: true when the cache's hooks run first (cache-hooks.ts). */
  lookedUp(found: CacheLookup | 'skipped'): boolean {
    const state = this.txnHooks?.cacheStateInUse;
    if (state === undefined) return false;
    const failure = state.selectFailure;
    if (failure !== undefined) {
      this.#hookFailed(failure);
      return true;
    }
    const first = state.lookedUp(found);
    if (first === undefined) return false;
    this.runPhase(first);
    return true;
  }

  get hasCache(): boolean {
    return this.snapshot.cache != null;
  }
  get routeCache(): RouteCacheConfig | undefined {
    return this.route?.cache;
  }
  get cacheOutcome(): CacheStatus | undefined {
    return this.#cache?.status;
  }

  // os-dns: the Router chose an upstream; the hooks see it (and may pick another) before it connects.

  /** @internal Router: true when os-dns hooks hold the attempt (then the `connect` step goes on). */
  upstreamChosen(lease: RouterLease, upstream: Upstream): boolean {
    const hooks = this.txnHooks;
    if (hooks === null || hooks.failed || !hooks.has('os-dns')) return false;
    this.#lease = lease;
    this.#held = new HeldAttempt(lease, upstream);
    this.runPhase('os-dns');
    return true;
  }

  chooseAttemptUpstream(id: string): void {
    this.#held?.redirect(id);
  }

  #connectChosen(): void {
    const held = this.#held;
    this.#held = null;
    held?.proceed(this.snapshot.router);
  }

  /** The cache step is done (a miss, or a wait for another fill is over): on to the Router. */
  dispatchUpstream(): void {
    if (!this.#finished) this.#dispatch();
  }

  // HookedTransaction: what TxnHooks reads (its choices are TxnView's).

  get tunnel(): TunnelReport | undefined {
    return this.#tunnelReport;
  }
  get sentResponse(): ResponseHead | null {
    return this.#response.sent;
  }
  get upstreamId(): string | undefined {
    return this.#held?.chosen.id ?? this.#lease?.upstream?.pool.upstreamId ?? this.#lastUpstreamId;
  }
  get upstreamLocalAddress(): string | undefined {
    return this.#channel?.localAddress;
  }
  upstreamCertificate(side: 'local' | 'remote'): CertificateNames | undefined {
    return this.#channel?.certificate?.(side);
  }

  // AcquireHandler

  onUpstreamReady(channel: UpstreamChannel, lease: RouterLease): void {
    this.#lease = lease;
    this.#attempts++;
    this.#channel = channel;
    this.#lastUpstreamId = channel.upstreamId;
    channel.attach(this.#cache?.wrap(this.#response) ?? this.#response); // cache: the tee
    if (this.txnHooks?.has('send-request') === true) this.runPhase('send-request');
    else this.#writeRequest();
  }

  onAcquireFailed(error: JunctionError): void {
    this.#lease = undefined;
    logAcquireFailure(this.snapshot, this.port.log, error, this.cluster?.name);
    this.fail(error.code, UNREACHABLE_TEXT);
  }

  // Request, client → upstream

  /** The attempt's request goes upstream (request-writer.ts); then the deadline for what comes next. */
  #writeRequest(): void {
    const channel = this.#channel;
    if (channel === undefined) return;
    if (this.forwardsUpgrade && !hasUpgradeField(this.head.headers)) this.forwardsUpgrade = false;
    const transforms = this.txnHooks?.requestTransforms;
    const request = this.#request;
    this.bodyFed(writeUpstreamRequest(this, channel, request, transforms, this.#trace, this.#lease));
  }

  /** Bytes from the client while the request body is still owed. */
  onClientBody(buf: Buffer): void {
    const request = this.#request;
    if (request === null) return;
    if (request.state === 'awaiting-upstream') request.hold(buf);
    else if (request.state === 'body') request.forward(buf, 0);
  }

  // RequestBodyHost

  /**
   * Arms the deadline after request bytes moved: waiting for more body from the client is the
   * client's time (timeouts.client_body); waiting for the upstream to take it, or to answer, is the
   * upstream's.
   */
  bodyFed(awaitingClient: boolean): void {
    this.#awaitingClientBody = awaitingClient;
    const ms = awaitingClient ? this.snapshot.config.timeouts.clientBodyMs : this.timeouts.backendResponseMs;
    this.port.setDeadline(ms);
  }
  requestChainDrained(): void {
    this.port.resumeClient(PAUSE_UPSTREAM_FULL);
  }

  // ResponseSideHost: what the response side (response-side.ts) reads and asks for.

  get channel(): UpstreamChannel | undefined {
    return this.#channel;
  }
  get lease(): RouterLease | undefined {
    return this.#lease;
  }
  get isRequestComplete(): boolean {
    return this.#request === null || this.#request.isComplete;
  }
  upstreamHeadArrived(): void {
    this.#upstreamHeadAt = this.snapshot.router.now();
  }
  responseStatus(status: number): void {
    this.#status = status;
  }
  complete(reusable: boolean, status: number, keepAlive: boolean): void {
    this.#cache?.upstreamComplete();
    this.#finished = true;
    this.releaseUpstream(reusable, status, undefined);
    this.port.onTransactionDone(keepAlive);
    this.#closed();
  }
  delivered(keepAlive: boolean): void {
    this.#cache?.upstreamComplete();
    this.#finished = true;
    this.port.onTransactionDone(keepAlive);
    this.#closed();
  }
  requestUpstreamDrained(): void {
    if (this.#request?.upstreamDrained() !== true) this.port.resumeClient(PAUSE_UPSTREAM_FULL);
  }

  /** A response or request transform failed. */
  chainFailed(error: Error): void {
    if (this.#finished) return;
    const message = `body transform failed: ${error.message}`;
    this.port.log.error({ err: error, code: 'JCT_ERR_TRANSFORM_FAILED' }, message);
    this.fail('JCT_ERR_TRANSFORM_FAILED');
  }

  /** The response carries Junction's request ID, not one the upstream set. */
  withRequestId(response: ResponseHead, extra: readonly string[] | undefined): readonly string[] {
    withoutField(response.headers, lowerCased(this.#requestIdField[0]!));
    const cacheStatus = this.#cache?.fields(); // cache: Cache-Status (RFC 9211)
    if (cacheStatus !== undefined && cacheStatus.length > 0) extra = [...(extra ?? []), ...cacheStatus];
    return extra === undefined ? this.#requestIdField : [...extra, ...this.#requestIdField];
  }

  /** The upstream answered 101 to an upgrade: the session and the upstream become a tunnel (upgrade.ts). */
  switchProtocols(response: ResponseHead, buf: Buffer, offset: number): Tunnel {
    this.#response.switched(response);
    this.#switchedAt = this.snapshot.router.now();
    this.#status = 101;
    return openTunnel(this, this.#channel!, this.#lease!, response, buf, offset);
  }

  /** The tunnel ended: the upstream's outcome is the 101 and how the tunnel went; then txn-close. */
  tunnelOver(report: TunnelReport): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#tunnelReport = report;
    this.#errorCode = report.errorCode;
    const upstreamId = this.upstreamId;
    const lease = this.#lease;
    if (lease !== undefined) {
      this.#lease = undefined;
      this.#channel = undefined;
      // The time to the 101, not the tunnel's life: strategies read durations as response latency.
      const durationMs = this.#switchedAt - lease.attemptStartedAt;
      this.snapshot.router.release(lease, false, { status: 101, errorCode: report.errorCode, durationMs });
    }
    logTunnelEnd(this.port.log, report, this.route?.name, upstreamId);
    this.port.onTransactionDone(false);
    this.#closed();
  }

  /** The client's socket drained: let the upstream (or the transform feeding the client) flow again. */
  onClientDrain(): void {
    this.#response.onClientDrain();
  }

  /** The session's deadline passed while this transaction waited on the upstream. */
  onDeadline(): void {
    if (this.#finished || this.#response.state === 'hooks') return;
    if (this.#awaitingClientBody && this.#request?.state === 'body') {
      // The client stopped sending its body: nothing can be completed or retried.
      this.port.log.info({ code: 'JCT_ERR_CLIENT_TIMEOUT' }, 'the request body stopped arriving');
      this.fail('JCT_ERR_CLIENT_TIMEOUT');
      return;
    }
    const started = this.#response.started;
    if (!started && this.retryAttempt('timeout')) return;
    this.port.log.warn(
      { code: 'JCT_ERR_UPSTREAM_TIMEOUT', upstream: this.#channel?.upstreamId, started },
      started ? 'the upstream response body stopped arriving' : 'the upstream did not answer in time',
    );
    this.fail('JCT_ERR_UPSTREAM_TIMEOUT');
  }

  /**
   * Reports a failed attempt to the Router when the request can be sent again: nothing went to the
   * client, and the request is idempotent and bodiless or its body was kept. Returns true when the
   * Router started another attempt (this one's connection is gone), false when the failure stands.
   */
  retryAttempt(reason: RetryReason, status = 0): boolean {
    const lease = this.#lease;
    if (lease === undefined) return false;
    const kept = this.#request?.replayBody != null;
    const started = this.#response.started;
    if (!mayReplay(this.head, reason, this.forwardsUpgrade, started, this.isRequestDone, kept)) return false;
    // The next attempt may begin before retry() returns, so this attempt's upstream state goes first.
    const res = this.#response;
    const channel = this.#channel;
    const pending = res.pending;
    this.#channel = undefined;
    res.pending = null;
    if (!this.snapshot.router.retry(lease, reason, status)) {
      this.#channel = channel;
      res.pending = pending;
      return false;
    }
    this.#trace?.attemptEnded(status, status > 0 ? undefined : reason);
    // Backing off or connecting: no deadline runs meanwhile (a connect has its own timeout).
    if (!this.#finished && lease.connection === undefined) this.port.setDeadline(0);
    return true;
  }

  /** The client went away: give everything back. */
  onClientGone(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#destroyChains();
    if (this.#lease !== undefined && this.#channel === undefined) this.snapshot.router.abandon(this.#lease);
    // Not the upstream's fault: health tracking ignores this code.
    this.#errorCode ??= 'JCT_ERR_CLIENT_ABORTED';
    // cache: a response being stored may be read to its end without its client (background fill).
    if (!this.#fillInBackground())
      this.releaseUpstream(false, this.#response.sent?.status ?? 0, 'JCT_ERR_CLIENT_ABORTED');
    this.#closed();
  }

  /** cache: hands the upstream to a background fill (cache-step.ts), which releases it when it is over. */
  #fillInBackground(): boolean {
    const [lease, channel, cache] = [this.#lease, this.#channel, this.#cache];
    const status = this.#response.sent?.status ?? 0;
    if (lease === undefined || channel === undefined || cache == null) return false;
    if (!cache.fillWithoutClient(this.snapshot.router, lease, channel, status)) return false;
    [this.#lease, this.#channel] = [undefined, undefined];
    this.#trace?.attemptEnded(status, undefined);
    return true;
  }

  /** The transaction is over: its access line, then txn-close hooks. */
  #closed(): void {
    logTransactionEnd(this.port, this.snapshot, {
      head: this.head,
      requestId: this.requestId,
      route: this.route,
      cluster: this.cluster?.name,
      upstream: this.upstreamId ?? this.#lastUpstreamId,
      status: this.#status,
      errorCode: this.#errorCode,
      startedAt: this.startedAt,
      upstreamHeadAt: this.#upstreamHeadAt,
      attempts: this.#attempts,
      readMark: this.#readMark,
      writeMark: this.#writeMark,
      tunnel: this.#tunnelReport,
      traceId: this.#trace?.traceId ?? null,
      cache: this.#cache?.status,
    });
    this.#cache?.ended();
    this.#trace?.end(this.#status, this.#errorCode, this.route?.name);
    this.txnHooks?.close();
  }

  #destroyChains(): void {
    this.#response.body?.destroy();
    this.#request?.destroy();
  }

  releaseUpstream(reusable: boolean, status: number, errorCode: ErrorCode | undefined): void {
    const lease = this.#lease;
    if (lease === undefined) return;
    const held = this.#held;
    if (held !== null) {
      // Held at os-dns, not connected: the Router drops the attempt.
      this.#held = null;
      this.#lease = undefined;
      held.drop(this.snapshot.router);
      return;
    }
    this.#lease = undefined;
    this.#channel = undefined;
    this.#trace?.attemptEnded(status, errorCode);
    const durationMs = this.snapshot.router.now() - lease.attemptStartedAt;
    this.snapshot.router.release(lease, reusable, { status, errorCode, durationMs });
  }

  /**
   * The one way a transaction fails: with `code`'s status and answer text (local-answers.ts) while
   * nothing went to the client; once the response started, only by cutting the connection, so the
   * client sees a truncated response, never one that looks complete. The upstream goes back unreusable.
   */
  fail(code: ErrorCode, text = answerText(code), status = answerStatus(code)): void {
    if (this.#finished) return;
    if (this.#response.started) {
      this.#finished = true;
      this.#errorCode = code;
      this.#destroyChains();
      this.releaseUpstream(false, this.#response.sent?.status ?? 0, code);
      this.port.abortClient();
      this.#closed();
      return;
    }
    // cache: under stale-if-error, a stored response answers for a failed upstream.
    if (this.#cache?.answerOnError(code) === true) return;
    // Junction answers itself. The body quotes the request ID, so a user's report can be matched
    // to the access line.
    const body = Buffer.from(`${text}request id: ${this.requestId}\n`);
    this.#own.respond(status, code, ['Content-Type', 'text/plain; charset=utf-8'], body);
  }

  // Junction's own answers (own-answer.ts)

  get requestIdField(): readonly string[] {
    return this.#requestIdField;
  }
  responseReplaced(head: ResponseHead | null): void {
    if (head === null) this.#response.held = null;
    else this.#response.sent = head;
  }
  finishing(status: number, code: ErrorCode | undefined): void {
    this.#finished = true;
    this.#status = status;
    this.#errorCode = code;
  }
  ended(): void {
    this.#closed();
  }
}
