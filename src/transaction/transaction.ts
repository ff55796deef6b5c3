import { ChunkedDecoder, LAST_CHUNK, chunkHeader, parseResponseHead, statusText } from '../codec/index.ts';
import type { RequestHead, ResponseHead } from '../codec/types.ts';
import type { RouteConfig } from '../config/types.ts';
import type { ErrorCode, JunctionError } from '../errors/index.ts';
import type {
  ClusterRuntime,
  RouterLease,
  UpstreamChannel,
  UpstreamHandler,
  AcquireHandler,
  RetryReason,
} from '../router/index.ts';
import {
  checkedLocalFields,
  HOOKS_DONE,
  HOOKS_FAILED,
  HOOKS_PENDING,
  type HookFailure,
  type HookRunResult,
  type LocalResponse,
  type TxnHookName,
  type TxnSession,
  type TxnTimeouts,
} from '../hooks/index.ts';
import { failureFields, type Logger } from '../log/index.ts';
import type { SelectionInput, Strategy, Upstream } from '../strategies/index.ts';
import { TransformChain, removeFramingFields } from '../transforms/index.ts';
import {
  clientFramingFor,
  serializeClientResponseHead,
  serializeLocalHead,
  serializeSwitchingHead,
  serializeUpstreamRequestHead,
  type ClientFraming,
} from './forward-heads.ts';
import { PAUSE_UPSTREAM_FULL, PAUSE_WAIT_UPSTREAM, type SessionPort } from './session-port.ts';
import type { RouteRequest, RuntimeSnapshot } from './snapshot.ts';
import { TxnHooks, type HookedTransaction } from './txn-hooks.ts';
import { Tunnel, type TunnelReport } from '../tunnel/index.ts';
import { TunnelLink, hasUpgradeField, logTunnelEnd, upgradeDecision } from './upgrade.ts';
import { withHsts } from './hsts.ts';
import { assignRequestId, logTransactionEnd, withoutField } from './access-entry.ts';
import { beginTrace } from './trace-entry.ts';
import type { TxnTrace } from '../tracing/index.ts';
import {
  BodyLimitSink,
  ChainFeedSink,
  RequestChunkSink,
  RequestTransformSink,
  ResponseChunkSink,
  ResponseTransformSink,
  applyInOrder,
  chunkedPrefixIsValid,
  type RequestBodyTarget,
  type ResponseBodyTarget,
} from './body-sinks.ts';

type RequestState = 'awaiting-upstream' | 'body' | 'done';
/** `hooks`: a response head is held while read-response/send-response hooks run. */
type ResponseState = 'head' | 'hooks' | 'body' | 'done';

// Where a transaction resumes after a hook point (TxnHooks.run's `step`).
const STEP_TXN_START = 0;
const STEP_READ_REQUEST = 1;
const STEP_PRE_REMAP = 2;
const STEP_ROUTE = 3;
const STEP_POST_REMAP = 4;
const STEP_DISPATCH = 5;
const STEP_WRITE_REQUEST = 6;
const STEP_SEND_RESPONSE = 7;
const STEP_START_RESPONSE = 8;
const STEP_WRITE_LOCAL = 9;
const STEP_CLOSED = 10;

/** A response waiting for read-response/send-response hooks: its head and the bytes read after it. */
interface HeldResponse {
  readonly head: ResponseHead;
  buf: Buffer;
  readonly offset: number;
  /** The upstream ended ('end') or failed meanwhile: replayed once the head is written. */
  ended: boolean;
  closed: boolean;
  error: Error | undefined;
}

/** A response Junction makes itself, waiting for send-response hooks. */
interface HeldLocal {
  readonly head: ResponseHead;
  readonly body: Buffer;
  readonly code: ErrorCode | undefined;
}

/** Responses up to this size that arrive whole are written to the client in one buffer. */
const SMALL_BODY_BYTES = 16 * 1024;

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/**
 * An idempotent request's Content-Length body up to this size, arrived whole before the upstream was
 * ready, is kept so a retry can send it again. Larger or streamed bodies are sent once: never retried.
 */
const REPLAYABLE_BODY_BYTES = 16 * 1024;

/**
 * One request/response: Traffic Server's HttpSM. It routes the request, asks the Router for an
 * upstream connection, re-frames and streams both bodies with backpressure, and reports the outcome.
 * It borrows the client side from its session (SessionPort) and the upstream side from the Router
 * (UpstreamChannel); it never opens or pools connections itself.
 */
export class Transaction
  implements
    RouteRequest,
    SelectionInput,
    AcquireHandler,
    UpstreamHandler,
    HookedTransaction,
    ResponseBodyTarget,
    RequestBodyTarget
{
  readonly head: RequestHead;
  readonly snapshot: RuntimeSnapshot;
  readonly #session: SessionPort;
  readonly startedAt: number;
  route: RouteConfig | undefined = undefined;
  cluster: ClusterRuntime | undefined = undefined;

  #lease: RouterLease | undefined = undefined;
  #channel: UpstreamChannel | undefined = undefined;
  #finished = false;
  /** The request body, kept for retries (see REPLAYABLE_BODY_BYTES); null when there is none to replay. */
  #replayBody: Buffer | null = null;

  #reqState: RequestState = 'done';
  #reqRemaining = 0;
  #reqDecoder: ChunkedDecoder | null = null;
  #requestSink: RequestChunkSink | ChainFeedSink | null = null;
  /** Counts a chunked request body against the route's limit in front of #requestSink. */
  #limitSink: BodyLimitSink | null = null;
  #held: Buffer | null = null;

  #resState: ResponseState = 'head';
  #resPending: Buffer | null = null;
  #response: ResponseHead | null = null;
  #resRemaining = 0;
  #resDecoder: ChunkedDecoder | null = null;
  #responseSink: ResponseChunkSink | null = null;
  #clientFraming: ClientFraming = 'none';
  #clientKeepAlive = false;
  #responseStarted = false;
  #upstreamOverran = false;
  /** The deadline armed is the client's, for the next piece of its request body. */
  #awaitingClientBody = false;

  /** Null unless the snapshot has hooks: a hook-free transaction pays one null check per point. */
  readonly #hooks: TxnHooks | null;
  /** A strategy or upstream a hook chose, resolved when the Router is asked. */
  #strategyName: string | undefined = undefined;
  #upstreamChoice: string | undefined = undefined;
  #heldResponse: HeldResponse | null = null;
  #heldLocal: HeldLocal | null = null;
  /** Response body transforms (hooks asked for them): upstream body → chain → client. */
  #resChain: TransformChain | null = null;
  /** The chain's input is full: the upstream waits for its onDrain. */
  #resChainFull = false;
  /** The upstream's part is over (its connection released); the chain still delivers. */
  #upstreamDone = false;
  /** Request body transforms: client body → chain → upstream, chunked. */
  #reqChain: TransformChain | null = null;
  #reqChainEnded = false;
  /** The upstream of the last attempt, for txn-close hooks and the access line (its lease is gone by then). */
  #lastUpstreamId: string | undefined = undefined;
  /** The request is forwarded as a protocol upgrade (see upgrade.ts): a 101 starts a tunnel. */
  #upgrade = false;
  /** When the upstream switched protocols; the tunnel's report once it is over. */
  #switchedAt = 0;
  #tunnelReport: TunnelReport | undefined = undefined;

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
    this.#session = session;
    this.snapshot = snapshot;
    this.head = head;
    this.startedAt = snapshot.router.now();
    this.#readMark = session.readMark;
    this.#writeMark = session.bytesWritten;
    const idHeader = snapshot.config.requestId?.header ?? 'X-Request-ID';
    this.requestId = assignRequestId(head, session, idHeader);
    this.#requestIdField = [idHeader, this.requestId];
    this.#trace = beginTrace(head, session, snapshot);
    const hooks = snapshot.hooks;
    this.#hooks = hooks === null ? null : new TxnHooks(this, hooks.global, snapshot.config.timeouts);
  }

  get #timeouts(): TxnTimeouts {
    return this.#hooks?.timeouts ?? this.snapshot.config.timeouts;
  }

  // RouteRequest and SelectionInput: the request as routing and strategies see it.
  get method(): string {
    return this.head.method;
  }
  get host(): string {
    return this.head.host;
  }
  get path(): string {
    return this.head.path;
  }
  get clientAddress(): string {
    return this.#session.clientAddress;
  }
  /** The TLS server name of the connection; '' without TLS or SNI. */
  get sni(): string {
    return this.#session.tls?.serverName ?? '';
  }
  header(lowerCaseName: string): string | undefined {
    const headers = this.head.headers;
    const n = lowerCaseName.length;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      if (name.length === n && name.toLowerCase() === lowerCaseName) return headers[i + 1];
    }
    return undefined;
  }

  get isFinished(): boolean {
    return this.#finished;
  }

  /** Whether the session still owes this transaction request-body bytes. */
  get wantsRequestBody(): boolean {
    return this.#reqState !== 'done';
  }

  /** Starts the transaction; `body` holds bytes read after the head, from `bodyStart` on. */
  start(body: Buffer | null, bodyStart: number): void {
    const head = this.head;
    if (head.bodyKind === 'chunked' || (head.bodyKind === 'length' && head.contentLength > 0)) {
      this.#reqState = 'awaiting-upstream';
    }
    if (body !== null && bodyStart < body.length) {
      if (this.#reqState === 'done') this.#session.stashPipelined(body, bodyStart);
      else this.#held = body.subarray(bodyStart);
    }
    if (this.#hooks !== null) {
      // Hooks may wait: hold the body in the socket, not in memory, until an upstream is ready.
      if (this.#reqState === 'awaiting-upstream') this.#session.pauseClient(PAUSE_WAIT_UPSTREAM);
      this.#advance(STEP_TXN_START);
      return;
    }
    if (this.#routeRequest()) this.#dispatch();
  }

  /** Finds the route and its cluster (unless a hook chose them); answers 404 and returns false if none. */
  #routeRequest(): boolean {
    if (this.#session.tls?.isMisdirected(this.head.host) === true) {
      this.#respondLocal(
        421,
        'JCT_ERR_HTTP_MISDIRECTED',
        "this connection's certificate does not cover this host\n",
      );
      return false;
    }
    this.route ??= this.snapshot.routes.match(this);
    if (this.route === undefined) {
      this.#respondLocal(404, 'JCT_ERR_ROUTE_NOT_FOUND', 'no route matches this request\n');
      return false;
    }
    this.cluster ??= this.snapshot.clusters.get(this.route.cluster);
    const head = this.head;
    if (head.bodyKind === 'length' && head.contentLength > this.#maxBodyBytes) {
      this.#session.log.info(
        { code: 'JCT_ERR_HTTP_BODY_TOO_LARGE', route: this.route.name, contentLength: head.contentLength },
        'request body larger than the route allows',
      );
      this.#respondLocal(413, 'JCT_ERR_HTTP_BODY_TOO_LARGE', 'request body too large\n');
      return false;
    }
    if (head.upgrade) {
      const decision = upgradeDecision(head, this.route.upgrade);
      if (decision === 'refused') {
        this.#session.log.info(
          { code: 'JCT_ERR_UPGRADE_REFUSED', route: this.route.name },
          'protocol upgrade refused by the route',
        );
        this.#respondLocal(
          403,
          'JCT_ERR_UPGRADE_REFUSED',
          'this route does not allow this protocol upgrade\n',
        );
        return false;
      }
      this.#upgrade = decision === 'tunnel';
    }
    return true;
  }

  /** The route's body size limit, or the global one. */
  get #maxBodyBytes(): number {
    return this.route?.maxBodyBytes ?? this.snapshot.config.limits.maxBodyBytes;
  }

  #dispatch(): void {
    const cluster = this.cluster;
    if (cluster === undefined) {
      this.#respondLocal(503, 'JCT_ERR_NO_UPSTREAM', 'the route names no cluster\n');
      return;
    }
    let strategy: Strategy;
    try {
      strategy = this.#strategyFor(cluster);
    } catch (error) {
      this.#hookFailed({ hook: 'post-remap', owner: 'transaction', kind: 'threw', error });
      return;
    }
    if (this.#reqState === 'awaiting-upstream') this.#session.pauseClient(PAUSE_WAIT_UPSTREAM);
    this.#session.setDeadline(0);
    const session = this.#session;
    // The session is the client connection a PROXY protocol header sent upstream describes.
    this.#lease = this.snapshot.router.acquire(
      cluster,
      this,
      this.#timeouts.connectMs,
      this,
      strategy,
      session,
    );
  }

  /** The cluster's strategy, the route's, or what a hook chose (a strategy name, or one upstream). */
  #strategyFor(cluster: ClusterRuntime): Strategy {
    const upstreamId = this.#upstreamChoice;
    if (upstreamId !== undefined) {
      const upstream = cluster.upstreams.find((u) => u.id === upstreamId);
      if (upstream === undefined) throw new Error(`cluster '${cluster.name}' has no backend '${upstreamId}'`);
      return pinnedTo(upstream);
    }
    const name = this.#strategyName;
    if (name !== undefined) {
      return cluster.strategyFor(
        this.snapshot.config.strategies.get(name) ?? { name, kind: name, options: {} },
      );
    }
    const routeStrategy = this.route?.strategy;
    return routeStrategy === undefined ? cluster.strategy : cluster.strategyFor(routeStrategy);
  }

  // Hooks (only for snapshots that have them)

  /** Runs hook points from `step` on until one waits, fails, answers, or the transaction moves on. */
  #advance(step: number): void {
    const hooks = this.#hooks!;
    for (;;) {
      if (this.#finished) return;
      if (hooks.answer !== undefined && step !== STEP_WRITE_LOCAL && step !== STEP_START_RESPONSE) {
        this.#answerFromHook(hooks.answer);
        return;
      }
      let result: HookRunResult;
      switch (step) {
        case STEP_TXN_START:
          result = hooks.run('txn-start', (step = STEP_READ_REQUEST));
          break;
        case STEP_READ_REQUEST:
          result = hooks.run('read-request', (step = STEP_PRE_REMAP));
          break;
        case STEP_PRE_REMAP:
          result = hooks.run('pre-remap', (step = STEP_ROUTE));
          break;
        case STEP_ROUTE:
          if (!this.#routeRequest()) return;
          hooks.useTable(this.snapshot.hooks!.forRoute(this.route!.name));
          result = hooks.run('remap', (step = STEP_POST_REMAP));
          break;
        case STEP_POST_REMAP:
          result = hooks.run('post-remap', (step = STEP_DISPATCH));
          break;
        case STEP_DISPATCH:
          this.#dispatch();
          return;
        case STEP_WRITE_REQUEST:
          this.#writeRequest();
          return;
        case STEP_SEND_RESPONSE:
          result = hooks.run('send-response', (step = STEP_START_RESPONSE));
          break;
        case STEP_START_RESPONSE:
          if (hooks.answer !== undefined) {
            this.#answerFromHook(hooks.answer);
            return;
          }
          this.#startHeldResponse();
          return;
        case STEP_WRITE_LOCAL:
          this.#writeHeldLocal();
          return;
        default:
          return;
      }
      if (result === HOOKS_PENDING) {
        this.#session.setDeadline(0);
        return;
      }
      if (result === HOOKS_FAILED) {
        this.#hookFailed(hooks.lastFailure!);
        return;
      }
    }
  }

  /** @internal TxnHooks: an asynchronous hook run finished. */
  resumeAfterHooks(step: number, failure: HookFailure | undefined): void {
    if (step === STEP_CLOSED) {
      if (failure !== undefined) this.#logHookFailure(failure);
      return;
    }
    if (this.#finished) return;
    if (failure !== undefined) this.#hookFailed(failure);
    else this.#advance(step);
  }

  /** Runs `name`'s hooks, continuing at `next` when they are done. */
  #runHooks(name: TxnHookName, next: number): void {
    const result = this.#hooks!.run(name, next);
    if (result === HOOKS_DONE) this.#advance(next);
    else if (result === HOOKS_FAILED) this.#hookFailed(this.#hooks!.lastFailure!);
    else this.#session.setDeadline(0);
  }

  #logHookFailure(failure: HookFailure): void {
    const how = failure.kind === 'timed-out' ? 'timed out' : failure.kind;
    this.#session.log.error(
      { plugin: failure.owner, hook: failure.hook, err: failure.error, code: 'JCT_ERR_HOOK_FAILED' },
      `hook ${failure.hook} of plugin '${failure.owner}' ${how}`,
    );
  }

  /** A hook threw, rejected or timed out: this transaction ends with a 500; nothing else is affected. */
  #hookFailed(failure: HookFailure): void {
    this.#logHookFailure(failure);
    const hooks = this.#hooks;
    if (hooks !== null) {
      hooks.failed = true;
      hooks.answer = undefined;
    }
    if (this.#finished) return;
    if (this.#responseStarted) {
      this.#abort('JCT_ERR_HOOK_FAILED');
      return;
    }
    this.#heldResponse = null;
    this.#channel?.resume();
    this.#releaseUpstream(false, 0, 'JCT_ERR_HOOK_FAILED');
    this.#respondLocal(500, 'JCT_ERR_HOOK_FAILED', 'internal error\n');
  }

  /** A hook answered the client itself: whatever the upstream was doing is dropped. */
  #answerFromHook(answer: LocalResponse): void {
    this.#hooks!.answer = undefined;
    this.#heldResponse = null;
    this.#releaseUpstream(false, 0, undefined);
    const headers = checkedLocalFields(answer.headers ?? {});
    const body = answer.body === undefined ? EMPTY : Buffer.from(answer.body);
    if (answer.body !== undefined && !hasField(headers, 'content-type')) {
      headers.push(
        'Content-Type',
        typeof answer.body === 'string' ? 'text/plain; charset=utf-8' : 'application/octet-stream',
      );
    }
    this.#respondWith(answer.status, undefined, headers, body);
  }

  // HookedTransaction: what TxnHooks reads and asks for.

  get session(): TxnSession {
    const session = this.#session;
    return {
      clientAddress: session.clientAddress,
      clientPort: session.clientPort,
      localAddress: session.localAddress,
      localPort: session.localPort,
      scheme: session.scheme,
      sni: session.tls?.serverName ?? '',
      protocol: this.head.versionMinor === 1 ? 'http/1.1' : 'http/1.0',
      // The session counts finished transactions; this one is under way.
      transactions: session.requests + 1,
    };
  }

  get log(): Logger {
    return this.#session.log;
  }
  get elapsedMs(): number {
    return this.snapshot.router.now() - this.startedAt;
  }
  get routeName(): string | undefined {
    return this.route?.name;
  }
  get clusterName(): string | undefined {
    return this.cluster?.name;
  }
  get tunnel(): TunnelReport | undefined {
    return this.#tunnelReport;
  }
  get sentResponse(): ResponseHead | null {
    return this.#response;
  }
  get clientBytesWritten(): number {
    return this.#session.bytesWritten;
  }
  get upstreamId(): string | undefined {
    return this.#lease?.upstream?.pool.upstreamId ?? this.#lastUpstreamId;
  }

  chooseRoute(name: string): void {
    const route = this.snapshot.config.routes.find((r) => r.name === name);
    if (route === undefined) throw new Error(`no route named '${name}'`);
    this.route = route;
    this.cluster = undefined;
  }

  chooseCluster(name: string): void {
    const cluster = this.snapshot.clusters.get(name);
    if (cluster === undefined) throw new Error(`no cluster named '${name}'`);
    this.cluster = cluster;
  }

  chooseStrategy(name: string): void {
    this.#strategyName = name;
    this.#upstreamChoice = undefined;
  }

  chooseUpstream(id: string): void {
    this.#upstreamChoice = id;
  }

  // AcquireHandler

  onUpstreamReady(channel: UpstreamChannel, lease: RouterLease): void {
    this.#lease = lease;
    this.#attempts++;
    this.#channel = channel;
    this.#lastUpstreamId = channel.upstreamId;
    channel.attach(this);
    if (this.#hooks?.has('send-request') === true) {
      this.#runHooks('send-request', STEP_WRITE_REQUEST);
      return;
    }
    this.#writeRequest();
  }

  #writeRequest(): void {
    const channel = this.#channel;
    if (channel === undefined) return;
    const session = this.#session;
    const head = this.head;
    if (this.#upgrade && !hasUpgradeField(head.headers)) this.#upgrade = false;
    const factories = this.#hooks?.requestTransforms;
    if (factories != null && this.#reqChain === null && this.#reqState === 'awaiting-upstream') {
      const transforms = applyInOrder(factories, (factory) => factory(head), head.headers);
      if (transforms !== null) {
        removeFramingFields(head.headers);
        this.#reqChain = new TransformChain(transforms, new RequestTransformSink(this));
      }
    }
    this.#trace?.writeFields(head.headers, head.method, this.#lease?.upstream);
    channel.cork();
    channel.write(
      serializeUpstreamRequestHead(head, {
        clientAddress: session.clientAddress,
        scheme: session.scheme,
        forwarded: this.snapshot.config.forwarded,
        chunkedBody: this.#reqChain !== null,
        upstreamAuthority: channel.upstreamId,
        upgrade: this.#upgrade,
      }),
      'latin1',
    );
    if (this.#reqState === 'awaiting-upstream') {
      if (head.expectContinue) session.writeClient('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
      this.#reqState = 'body';
      if (head.bodyKind === 'chunked')
        this.#reqDecoder = new ChunkedDecoder('client', this.snapshot.headLimits.maxHeadBytes);
      else this.#reqRemaining = head.contentLength;
      const held = this.#held;
      this.#held = null;
      if (held !== null) {
        if (this.#reqChain === null) this.#keepForReplay(held);
        this.#forwardRequestBody(held, 0);
      }
      session.resumeClient(PAUSE_WAIT_UPSTREAM);
    } else if (this.#replayBody !== null) {
      // A retry: the body came whole with the first attempt and was kept.
      channel.write(this.#replayBody);
    }
    channel.uncork();
    this.#awaitingClientBody = this.#reqState === 'body' && !channel.needsDrain;
    session.setDeadline(
      this.#awaitingClientBody
        ? this.snapshot.config.timeouts.clientBodyMs
        : this.#timeouts.backendResponseMs,
    );
  }

  /** Keeps a small idempotent body that is all here, so a retry can send it again. */
  #keepForReplay(held: Buffer): void {
    const head = this.head;
    const length = head.contentLength;
    if (
      head.bodyKind !== 'length' ||
      length > REPLAYABLE_BODY_BYTES ||
      held.length < length ||
      !IDEMPOTENT.has(head.method)
    ) {
      return;
    }
    // Read buffers are never reused, so a view is enough: no copy.
    this.#replayBody = held.length === length ? held : held.subarray(0, length);
  }

  onAcquireFailed(error: JunctionError): void {
    this.#lease = undefined;
    // The cause's code (refused, TLS…) leads; JCT_ERR_NO_UPSTREAM stays in outerCode. No stack: expected.
    const fields = { ...failureFields(error), cluster: this.cluster?.name };
    const key = `acquire|${fields.cluster ?? ''}|${fields.code ?? ''}|${fields.errno ?? ''}`;
    // A dead backend fails every request alike: repeats are counted, not written (see RepeatLimiter).
    if (fields.err === undefined)
      this.snapshot.router.failureLog.warn(this.#session.log, key, fields, error.message);
    else this.#session.log.warn(fields, error.message);
    this.#respondLocal(error.status ?? 503, error.code, 'no upstream could be reached\n');
  }

  // Request body, client → upstream

  /** Bytes from the client while the request body is still owed. */
  onClientBody(buf: Buffer): void {
    if (this.#reqState === 'awaiting-upstream') {
      this.#held = this.#held === null ? buf : Buffer.concat([this.#held, buf]);
      return;
    }
    if (this.#reqState === 'body') this.#forwardRequestBody(buf, 0);
  }

  #forwardRequestBody(buf: Buffer, start: number): void {
    const channel = this.#channel!;
    const chain = this.#reqChain;
    let end: number;
    let flushed: boolean;
    if (this.#reqDecoder === null) {
      const n = Math.min(this.#reqRemaining, buf.length - start);
      end = start + n;
      const data = start === 0 && end === buf.length ? buf : buf.subarray(start, end);
      flushed = chain === null ? channel.write(data) : chain.write(data);
      this.#reqRemaining -= n;
      if (this.#reqRemaining === 0) {
        this.#reqState = 'done';
        chain?.end();
      }
    } else {
      channel.cork();
      const step = this.#reqDecoder.feed(
        buf,
        start,
        buf.length,
        (this.#limitSink ??= new BodyLimitSink(
          (this.#requestSink ??= chain === null ? new RequestChunkSink(channel) : new ChainFeedSink(chain)),
          this.#maxBodyBytes,
        )),
      );
      channel.uncork();
      if (this.#limitSink.over) {
        // The head and part of the body went upstream: that connection is closed, never reused.
        this.#session.log.info(
          { code: 'JCT_ERR_HTTP_BODY_TOO_LARGE', route: this.route?.name },
          'chunked request body grew larger than the route allows',
        );
        this.#failAfterUpstream(413, 'JCT_ERR_HTTP_BODY_TOO_LARGE', 'request body too large\n');
        return;
      }
      if (step.kind === 'reject') {
        this.#session.log.info({ code: step.error.code }, step.error.message);
        this.#failAfterUpstream(400, step.error.code, 'malformed request body\n');
        return;
      }
      end = start + step.consumed;
      if (step.done) this.#reqState = 'done';
      flushed = chain === null ? !channel.needsDrain : (this.#requestSink as ChainFeedSink).takeFlushed();
    }
    if (end < buf.length) this.#session.stashPipelined(buf, end);
    if (!flushed) this.#session.pauseClient(PAUSE_UPSTREAM_FULL);
    // Waiting for more body from the client is the client's time (timeouts.client_body); waiting for
    // the upstream to take it, or to answer, is the upstream's.
    this.#awaitingClientBody = flushed && this.#reqState === 'body';
    this.#session.setDeadline(
      this.#awaitingClientBody
        ? this.snapshot.config.timeouts.clientBodyMs
        : this.#timeouts.backendResponseMs,
    );
  }

  // UpstreamHandler: response, upstream → client

  onUpstreamData(chunk: Buffer): void {
    if (this.#finished) return;
    if (this.#resState === 'body') {
      this.#forwardResponseBody(chunk, 0);
      return;
    }
    if (this.#resState === 'done') {
      this.#upstreamOverran = true;
      return;
    }
    if (this.#resState === 'hooks') {
      const held = this.#heldResponse!;
      held.buf = Buffer.concat([held.buf, chunk]);
      return;
    }
    const buf = this.#resPending === null ? chunk : Buffer.concat([this.#resPending, chunk]);
    let offset = 0;
    for (;;) {
      const step = parseResponseHead(
        buf,
        offset,
        buf.length,
        this.snapshot.responseHeadLimits,
        this.head.method,
      );
      if (step.kind === 'need-more') {
        this.#resPending = offset === 0 ? buf : buf.subarray(offset);
        return;
      }
      if (step.kind === 'reject') {
        const code = step.error.code;
        this.#session.log.warn({ code, upstream: this.#channel?.upstreamId }, step.error.message);
        // An over-limit head is the backend's answer, not a fault: its code is not a health failure.
        this.#failAfterUpstream(
          502,
          code,
          code === 'JCT_ERR_HTTP_RESPONSE_HEAD_TOO_LARGE'
            ? "the upstream's response head is too large\n"
            : 'the upstream sent an invalid response\n',
        );
        return;
      }
      offset += step.consumed;
      const response = step.head;
      if (response.status >= 200 || response.status === 101)
        this.#upstreamHeadAt = this.snapshot.router.now();
      if (response.status >= 200) {
        this.#resPending = null;
        // A status the cluster retries: drop this response (the Router closes its connection).
        if (this.#retry('status', response.status)) return;
        const hooks = this.#hooks;
        hooks?.noteUpstreamResponse(response);
        if (hooks !== null && (hooks.has('read-response') || hooks.has('send-response'))) {
          this.#holdForHooks(response, buf, offset);
          return;
        }
        this.#startResponse(response, buf, offset);
        return;
      }
      // A 101 must name the protocol it switched to (RFC 9110 §15.2.2).
      if (response.status === 101 && this.#upgrade && hasUpgradeField(response.headers)) {
        this.#resPending = null;
        const hooks = this.#hooks;
        hooks?.noteUpstreamResponse(response);
        if (hooks !== null && (hooks.has('read-response') || hooks.has('send-response'))) {
          this.#holdForHooks(response, buf, offset);
          return;
        }
        this.#switchProtocols(response, buf, offset);
        return;
      }
      if (response.status === 101) {
        this.#failAfterUpstream(
          502,
          'JCT_ERR_HTTP_BAD_RESPONSE',
          'the upstream switched protocols unasked, or without an Upgrade field\n',
        );
        return;
      }
      // Other 1xx: Junction answered Expect itself, so interim responses stop here.
    }
  }

  /**
   * The upstream answered 101: the client gets the 101 head, and the session and the upstream
   * connection become the two sides of a tunnel, which ends this transaction when it is over. Bytes
   * the upstream sent after the head go first; the session then gives the tunnel what the client sent
   * ahead of the 101.
   */
  #switchProtocols(response: ResponseHead, buf: Buffer, offset: number): Tunnel {
    const channel = this.#channel!;
    const lease = this.#lease!;
    const session = this.#session;
    this.#response = response;
    this.#responseStarted = true;
    this.#resState = 'done';
    this.#switchedAt = this.snapshot.router.now();
    this.snapshot.router.tunnelling(lease);
    const upstream = lease.upstream;
    this.#status = 101;
    const extraHeaders = this.#withRequestId(
      response,
      upstream === undefined ? undefined : lease.strategy.responseHeaders?.(upstream, this),
    );
    session.writeClient(serializeSwitchingHead(response, extraHeaders), 'latin1');
    const tunnel = new Tunnel(
      channel,
      new TunnelLink(session, this.snapshot.router, this.#tunnelOver),
      this.snapshot.config.timeouts.tunnelIdleMs,
      offset < buf.length ? buf.subarray(offset) : null,
    );
    // Half-closes pass through a tunnel both ways: the upstream's FIN must not end our side of it.
    channel.allowHalfOpen();
    channel.attach(tunnel);
    session.startTunnel(tunnel);
    return tunnel;
  }

  /** The tunnel ended: the upstream's outcome is the 101 and how the tunnel went; then txn-close. */
  readonly #tunnelOver = (report: TunnelReport): void => {
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
      this.snapshot.router.release(lease, false, {
        status: 101,
        errorCode: report.errorCode,
        durationMs: this.#switchedAt - lease.attemptStartedAt,
      });
    }
    logTunnelEnd(this.#session.log, report, this.route?.name, upstreamId);
    this.#session.onTransactionDone(false);
    this.#closed();
  };

  /** Keeps the response head (and what came after it) while read-response and send-response run. */
  #holdForHooks(response: ResponseHead, buf: Buffer, offset: number): void {
    this.#resState = 'hooks';
    this.#heldResponse = { head: response, buf, offset, ended: false, closed: false, error: undefined };
    this.#channel?.pause();
    this.#hooks!.setResponse(response);
    this.#runHooks('read-response', STEP_SEND_RESPONSE);
  }

  #startHeldResponse(): void {
    const held = this.#heldResponse;
    if (held === null) return;
    this.#heldResponse = null;
    this.#resState = 'head';
    this.#channel?.resume();
    if (held.head.status === 101) {
      const tunnel = this.#switchProtocols(held.head, held.buf, held.offset);
      if (held.ended) tunnel.onUpstreamEnd();
      if (held.closed) tunnel.onUpstreamClose(held.error);
      return;
    }
    this.#startResponse(held.head, held.buf, held.offset);
    if (held.ended) this.onUpstreamEnd();
    else if (held.closed) this.onUpstreamClose(held.error);
  }

  #startResponse(response: ResponseHead, buf: Buffer, offset: number): void {
    const session = this.#session;
    const head = this.head;
    this.#response = response;
    const factories = this.#hooks?.responseTransforms;
    if (factories != null) {
      const transforms = applyInOrder(factories, (factory) => factory(head, response), response.headers);
      if (transforms !== null) {
        removeFramingFields(response.headers);
        this.#resChain = new TransformChain(transforms, new ResponseTransformSink(this));
      }
    }
    const framing =
      this.#resChain === null
        ? clientFramingFor(response, head.versionMinor)
        : head.versionMinor === 1
          ? 'chunked'
          : 'close';
    this.#clientFraming = framing;
    this.#clientKeepAlive =
      head.keepAlive && !session.draining && framing !== 'close' && this.#reqState === 'done';
    const lease = this.#lease;
    const upstream = lease?.upstream;
    let extraHeaders = upstream === undefined ? undefined : lease!.strategy.responseHeaders?.(upstream, this);
    const hsts = this.route?.hsts;
    if (hsts !== undefined && session.tls !== null)
      extraHeaders = withHsts(extraHeaders, hsts, response.headers);
    extraHeaders = this.#withRequestId(response, extraHeaders);
    this.#status = response.status;
    const headText = serializeClientResponseHead(
      response,
      framing,
      this.#clientKeepAlive,
      head.versionMinor,
      extraHeaders,
    );
    if (
      response.bodyKind === 'chunked' &&
      offset < buf.length &&
      !chunkedPrefixIsValid(buf, offset, this.snapshot.responseHeadLimits.maxHeadBytes)
    ) {
      // Bad chunk framing that arrived with the head: nothing has gone out yet, so the client can
      // still get a clean 502 instead of a head followed by a cut connection.
      this.#session.log.warn(
        { upstream: this.#channel?.upstreamId, code: 'JCT_ERR_HTTP_BAD_RESPONSE' },
        'the upstream sent an invalid chunked body',
      );
      this.#failAfterUpstream(502, 'JCT_ERR_HTTP_BAD_RESPONSE', 'the upstream sent an invalid response\n');
      return;
    }
    this.#responseStarted = true;
    const bodyLength = response.contentLength;
    if (
      this.#resChain === null &&
      response.bodyKind === 'length' &&
      bodyLength <= SMALL_BODY_BYTES &&
      buf.length - offset >= bodyLength
    ) {
      // The whole (small) response is here: one buffer, one write() syscall, no writev bookkeeping.
      const out = Buffer.allocUnsafe(headText.length + bodyLength);
      out.write(headText, 0, 'latin1');
      buf.copy(out, headText.length, offset, offset + bodyLength);
      if (offset + bodyLength < buf.length) this.#upstreamOverran = true;
      this.#resState = 'body';
      session.writeClient(out);
      this.#finish();
      return;
    }
    session.corkClient();
    session.writeClient(headText, 'latin1');
    this.#resState = 'body';
    if (response.bodyKind === 'length') this.#resRemaining = response.contentLength;
    else if (response.bodyKind === 'chunked')
      this.#resDecoder = new ChunkedDecoder('upstream', this.snapshot.responseHeadLimits.maxHeadBytes);
    if (response.bodyKind === 'none' || (response.bodyKind === 'length' && response.contentLength === 0)) {
      if (offset < buf.length) this.#upstreamOverran = true;
      session.uncorkClient();
      this.#finish();
      return;
    }
    if (offset < buf.length) this.#forwardResponseBody(buf, offset);
    else session.setDeadline(this.#timeouts.backendBodyMs);
    session.uncorkClient();
  }

  #forwardResponseBody(buf: Buffer, start: number): void {
    const response = this.#response!;
    const session = this.#session;
    let flushed = true;
    switch (response.bodyKind) {
      case 'length': {
        const n = Math.min(this.#resRemaining, buf.length - start);
        const data = start === 0 && n === buf.length ? buf : buf.subarray(start, start + n);
        flushed = this.#resChain === null ? session.writeClient(data) : this.#writeBodyBytes(data);
        this.#resRemaining -= n;
        if (start + n < buf.length) this.#upstreamOverran = true;
        if (this.#resRemaining === 0) {
          this.#finish();
          return;
        }
        break;
      }
      case 'chunked': {
        session.corkClient();
        const step = this.#resDecoder!.feed(
          buf,
          start,
          buf.length,
          (this.#responseSink ??= new ResponseChunkSink(this)),
        );
        session.uncorkClient();
        if (step.kind === 'reject') {
          this.#session.log.warn({ code: step.error.code }, step.error.message);
          this.#abort('JCT_ERR_HTTP_BAD_RESPONSE');
          return;
        }
        if (start + step.consumed < buf.length) this.#upstreamOverran = true;
        if (step.done) {
          this.#finish();
          return;
        }
        flushed = this.#resChain === null ? !session.clientNeedsDrain : !this.#resChainFull;
        break;
      }
      case 'close':
        flushed = this.#writeBodyBytes(start === 0 ? buf : buf.subarray(start));
        break;
      case 'none':
        break;
    }
    if (flushed) session.setDeadline(this.#timeouts.backendBodyMs);
    else {
      // The client is the slow side now: stop reading the upstream and stop its clock.
      this.#channel?.pause();
      session.setDeadline(0);
    }
  }

  /** The response carries Junction's request ID, not one the upstream set. */
  #withRequestId(response: ResponseHead, extra: readonly string[] | undefined): readonly string[] {
    withoutField(response.headers, this.#requestIdField[0]!.toLowerCase());
    return extra === undefined ? this.#requestIdField : [...extra, ...this.#requestIdField];
  }

  #writeBodyBytes(data: Buffer): boolean {
    const chain = this.#resChain;
    if (chain !== null) {
      if (!chain.write(data)) this.#resChainFull = true;
      return !this.#resChainFull;
    }
    return this.#writeFramed(data);
  }

  /** Body bytes to the client in its framing (chunked or raw). False: the client socket is full. */
  #writeFramed(data: Buffer): boolean {
    const session = this.#session;
    if (this.#clientFraming !== 'chunked') return session.writeClient(data);
    session.writeClient(chunkHeader(data.length), 'latin1');
    session.writeClient(data);
    return session.writeClient('\r\n', 'latin1');
  }

  /** Called by the response's chunk sink for each run of body bytes. */
  writeResponseBody(data: Buffer): void {
    this.#writeBodyBytes(data);
  }

  /** Called by the response's chunk sink after the last chunk. */
  endResponseBody(): void {
    if (this.#resChain === null && this.#clientFraming === 'chunked') {
      this.#session.writeClient(LAST_CHUNK, 'latin1');
    }
  }

  // Body transforms: their sinks call these.

  /** @internal The response chain's output: frame it for the client. */
  chainResponseData(data: Buffer): boolean {
    if (this.#finished) return true;
    return this.#writeFramed(data);
  }

  /** @internal The response chain takes input again: read the upstream again. */
  chainResponseDrained(): void {
    this.#resChainFull = false;
    if (this.#finished || this.#upstreamDone) return;
    this.#channel?.resume();
    this.#session.setDeadline(this.#timeouts.backendBodyMs);
  }

  /** @internal The response chain delivered the whole transformed body. */
  chainResponseEnded(): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#clientFraming === 'chunked') this.#session.writeClient(LAST_CHUNK, 'latin1');
    this.#session.onTransactionDone(this.#clientKeepAlive);
    this.#closed();
  }

  /** @internal A response or request transform failed. */
  chainFailed(error: Error): void {
    if (this.#finished) return;
    this.#session.log.error(
      { err: error, code: 'JCT_ERR_TRANSFORM_FAILED' },
      `body transform failed: ${error.message}`,
    );
    if (this.#responseStarted) this.#abort('JCT_ERR_TRANSFORM_FAILED');
    else this.#failAfterUpstream(500, 'JCT_ERR_TRANSFORM_FAILED', 'internal error\n');
  }

  /** @internal The request chain's output: one chunk upstream. */
  chainRequestData(data: Buffer): boolean {
    const channel = this.#channel;
    if (channel === undefined) return true;
    channel.write(chunkHeader(data.length), 'latin1');
    channel.write(data);
    return channel.write('\r\n', 'latin1');
  }

  /** @internal The request chain ended: the last chunk goes upstream. */
  chainRequestEnded(): void {
    this.#reqChainEnded = true;
    this.#channel?.write(LAST_CHUNK, 'latin1');
  }

  /** @internal The request chain takes input again: read the client again. */
  chainRequestDrained(): void {
    this.#session.resumeClient(PAUSE_UPSTREAM_FULL);
  }

  onUpstreamEnd(): void {
    if (this.#finished) return;
    if (this.#resState === 'hooks') {
      this.#heldResponse!.ended = true;
      return;
    }
    if (this.#resState === 'body' && this.#response?.bodyKind === 'close') {
      if (this.#resChain === null && this.#clientFraming === 'chunked') {
        this.#session.writeClient(LAST_CHUNK, 'latin1');
      }
      this.#finish();
      return;
    }
    this.onUpstreamClose(undefined);
  }

  onUpstreamClose(error: Error | undefined): void {
    if (this.#finished) return;
    if (this.#resState === 'hooks') {
      const held = this.#heldResponse!;
      held.closed = true;
      held.error = error;
      return;
    }
    const channel = this.#channel;
    // Not one response byte on a reused connection: the upstream had closed it while it sat idle.
    const stale = this.#resPending === null && channel !== undefined && channel.reuseCount > 0;
    if (!this.#responseStarted && this.#retry(stale ? 'stale' : 'reset')) return;
    this.#session.log.warn(
      {
        code: 'JCT_ERR_UPSTREAM_RESET',
        ...failureFields(error),
        upstream: channel?.upstreamId,
        started: this.#responseStarted,
      },
      'upstream closed before the response was complete',
    );
    if (this.#responseStarted) this.#abort('JCT_ERR_UPSTREAM_RESET');
    else this.#failAfterUpstream(502, 'JCT_ERR_UPSTREAM_RESET', 'the upstream closed the connection early\n');
  }

  onUpstreamDrain(): void {
    if (this.#reqChain !== null && !this.#reqChainEnded) this.#reqChain.resumeOutput();
    else this.#session.resumeClient(PAUSE_UPSTREAM_FULL);
  }

  /** The client's socket drained: let the upstream (or the transform feeding the client) flow again. */
  onClientDrain(): void {
    if (this.#finished || this.#resState !== 'body') return;
    if (this.#resChain !== null) {
      this.#resChain.resumeOutput();
      return;
    }
    this.#channel?.resume();
    this.#session.setDeadline(this.#timeouts.backendBodyMs);
  }

  /** The session's deadline passed while this transaction waited on the upstream. */
  onDeadline(): void {
    if (this.#finished || this.#resState === 'hooks') return;
    if (this.#awaitingClientBody && this.#reqState === 'body') {
      // The client stopped sending its body: nothing can be completed or retried.
      this.#session.log.info({ code: 'JCT_ERR_CLIENT_TIMEOUT' }, 'the request body stopped arriving');
      this.#failAfterUpstream(408, 'JCT_ERR_CLIENT_TIMEOUT', 'the request body did not arrive in time\n');
      return;
    }
    const started = this.#responseStarted;
    if (!started && this.#retry('timeout')) return;
    this.#session.log.warn(
      { code: 'JCT_ERR_UPSTREAM_TIMEOUT', upstream: this.#channel?.upstreamId, started },
      started ? 'the upstream response body stopped arriving' : 'the upstream did not answer in time',
    );
    if (started) this.#abort('JCT_ERR_UPSTREAM_TIMEOUT');
    else this.#failAfterUpstream(504, 'JCT_ERR_UPSTREAM_TIMEOUT', 'the upstream did not answer in time\n');
  }

  /**
   * Reports a failed attempt to the Router when the request can be sent again: nothing went to the
   * client, and the request is idempotent and bodiless or its body was kept. Returns true when the
   * Router started another attempt (this one's connection is gone), false when the failure stands.
   */
  #retry(reason: RetryReason, status = 0): boolean {
    // An upgrade is sent once: only a pooled connection found closed before any answer is replayed.
    if (this.#upgrade && reason !== 'stale') return false;
    const lease = this.#lease;
    if (lease === undefined || !this.#canReplay()) return false;
    // The next attempt may begin before retry() returns, so this attempt's upstream state goes first.
    const channel = this.#channel;
    const pending = this.#resPending;
    this.#channel = undefined;
    this.#resPending = null;
    if (!this.snapshot.router.retry(lease, reason, status)) {
      this.#channel = channel;
      this.#resPending = pending;
      return false;
    }
    this.#trace?.attemptEnded(status, status > 0 ? undefined : reason);
    // Backing off or connecting: no deadline runs meanwhile (a connect has its own timeout).
    if (!this.#finished && lease.connection === undefined) this.#session.setDeadline(0);
    return true;
  }

  #canReplay(): boolean {
    if (this.#responseStarted || this.#reqState !== 'done') return false;
    const head = this.head;
    if (!IDEMPOTENT.has(head.method)) return false;
    return this.#replayBody !== null || (head.bodyKind !== 'chunked' && head.contentLength <= 0);
  }

  /** The client went away: give everything back. */
  onClientGone(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#destroyChains();
    if (this.#lease !== undefined && this.#channel === undefined) this.snapshot.router.abandon(this.#lease);
    // Not the upstream's fault: health tracking ignores this code.
    this.#errorCode ??= 'JCT_ERR_CLIENT_ABORTED';
    this.#releaseUpstream(false, this.#response?.status ?? 0, 'JCT_ERR_CLIENT_ABORTED');
    this.#closed();
  }

  /** The transaction is over: its access line, then txn-close hooks. */
  #closed(): void {
    logTransactionEnd(this.#session, this.snapshot, {
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
    });
    this.#trace?.end(this.#status, this.#errorCode, this.route?.name);
    this.#closeHooks();
  }

  /** A pending hook is dropped, and txn-close hooks run (their failures only log). */
  #closeHooks(): void {
    const hooks = this.#hooks;
    if (hooks === null) return;
    hooks.cancel();
    // An answer no longer matters, and the runner would skip txn-close hooks while one is pending.
    hooks.answer = undefined;
    if (!hooks.has('txn-close')) return;
    hooks.settleResponse();
    if (hooks.run('txn-close', STEP_CLOSED) === HOOKS_FAILED) this.#logHookFailure(hooks.lastFailure!);
  }

  #destroyChains(): void {
    this.#resChain?.destroy();
    this.#reqChain?.destroy();
  }

  /** The upstream's response body is complete (with a response transform, the client's may not be). */
  #finish(): void {
    if (this.#finished || this.#upstreamDone) return;
    const response = this.#response!;
    const reusable =
      response.keepAlive &&
      this.#reqState === 'done' &&
      (this.#reqChain === null || this.#reqChainEnded) &&
      !this.#upstreamOverran &&
      response.bodyKind !== 'close';
    const chain = this.#resChain;
    if (chain !== null) {
      this.#upstreamDone = true;
      this.#releaseUpstream(reusable, response.status, undefined);
      chain.end();
      return;
    }
    this.#finished = true;
    this.#releaseUpstream(reusable, response.status, undefined);
    this.#session.onTransactionDone(this.#clientKeepAlive);
    this.#closed();
  }

  #releaseUpstream(reusable: boolean, status: number, errorCode: ErrorCode | undefined): void {
    const lease = this.#lease;
    if (lease === undefined) return;
    this.#lease = undefined;
    this.#channel = undefined;
    this.#trace?.attemptEnded(status, errorCode);
    this.snapshot.router.release(lease, reusable, {
      status,
      errorCode,
      durationMs: this.snapshot.router.now() - lease.attemptStartedAt,
    });
  }

  /** The exchange failed after an upstream was involved: answer if nothing was sent, else cut. */
  #failAfterUpstream(status: number, code: ErrorCode, body: string): void {
    if (this.#responseStarted) {
      this.#abort(code);
      return;
    }
    this.#releaseUpstream(false, 0, code);
    this.#respondLocal(status, code, body);
  }

  #abort(code: ErrorCode): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#errorCode = code;
    this.#destroyChains();
    this.#releaseUpstream(false, this.#response?.status ?? 0, code);
    this.#session.abortClient();
    this.#closed();
  }

  /** Junction answers the client itself. The connection closes if request bytes are still owed. */
  #respondLocal(status: number, code: ErrorCode, message: string): void {
    if (this.#finished) return;
    // The body quotes the request ID, so a user's report can be matched to the access line.
    const body = `${message}request id: ${this.requestId}\n`;
    if (this.#hooks === null) {
      this.#finished = true;
      this.#status = status;
      this.#errorCode = code;
      this.#releaseUpstream(false, 0, code);
      const session = this.#session;
      const keepAlive = this.head.keepAlive && !session.draining && this.#reqState === 'done';
      const headOnly = this.head.method === 'HEAD';
      session.writeClient(
        serializeLocalHead(
          status,
          statusText(status),
          ['Content-Type', 'text/plain; charset=utf-8', ...this.#requestIdField, ...this.#localHsts([])],
          Buffer.byteLength(body),
          !keepAlive,
        ) + (headOnly ? '' : body),
        'latin1',
      );
      session.onTransactionDone(keepAlive);
      this.#closed();
      return;
    }
    this.#respondWith(status, code, ['Content-Type', 'text/plain; charset=utf-8'], Buffer.from(body));
  }

  /** A local response on a transaction with hooks: send-response hooks see it (unless a hook failed). */
  #respondWith(status: number, code: ErrorCode | undefined, headers: string[], body: Buffer): void {
    this.#releaseUpstream(false, 0, code);
    const hooks = this.#hooks!;
    const head: ResponseHead = {
      status,
      reason: statusText(status),
      versionMinor: 1,
      headers,
      bodyKind: 'length',
      contentLength: body.length,
      keepAlive: true,
      connectionTokens: [],
    };
    this.#heldLocal = { head, body, code };
    this.#response = head;
    hooks.setResponse(head);
    if (hooks.failed || hooks.hook === 'send-response' || !hooks.has('send-response')) {
      this.#writeHeldLocal();
      return;
    }
    this.#runHooks('send-response', STEP_WRITE_LOCAL);
  }

  /**
   * Strict-Transport-Security for an answer Junction makes itself (an error, a hook's or a rule's reply)
   * on a route that sets `hsts`, over HTTPS, unless the answer has its own: `fields` to add.
   */
  #localHsts(fields: readonly string[]): readonly string[] {
    const hsts = this.route?.hsts;
    if (hsts === undefined || this.#session.tls === null) return NO_FIELDS;
    return withHsts(undefined, hsts, fields) ?? NO_FIELDS;
  }

  #writeHeldLocal(): void {
    const local = this.#heldLocal;
    if (local === null || this.#finished) return;
    this.#heldLocal = null;
    const answer = this.#hooks?.answer;
    if (answer !== undefined) {
      // A send-response hook replaced Junction's own answer with its own.
      this.#answerFromHook(answer);
      return;
    }
    this.#finished = true;
    const session = this.#session;
    const keepAlive = this.head.keepAlive && !session.draining && this.#reqState === 'done';
    const { head, body } = local;
    this.#status = head.status;
    this.#errorCode = local.code;
    withoutField(head.headers, this.#requestIdField[0]!.toLowerCase());
    const headers = [...head.headers, ...this.#requestIdField, ...this.#localHsts(head.headers)];
    const text = serializeLocalHead(head.status, head.reason, headers, body.length, !keepAlive);
    const withBody = body.length > 0 && localResponseHasBody(this.head.method, head.status);
    session.writeClient(
      withBody ? Buffer.concat([Buffer.from(text, 'latin1'), body]) : Buffer.from(text, 'latin1'),
    );
    session.onTransactionDone(keepAlive);
    this.#closed();
  }
}

const EMPTY = Buffer.alloc(0);

/** A response to HEAD, and a 204 or 304, has no body whatever Junction would have said. */
function localResponseHasBody(method: string, status: number): boolean {
  return method !== 'HEAD' && status !== 204 && status !== 304;
}

function hasField(headers: readonly string[], lowerName: string): boolean {
  for (let i = 0; i < headers.length; i += 2) if (headers[i]!.toLowerCase() === lowerName) return true;
  return false;
}

/** A strategy that always picks one upstream (a hook's setUpstream), while it is up and untried. */
function pinnedTo(upstream: Upstream): Strategy {
  return {
    select: (_input, exclude) => (upstream.isUp && exclude?.has(upstream) !== true ? upstream : undefined),
  };
}

const NO_FIELDS: readonly string[] = [];
