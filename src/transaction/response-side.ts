/**
 * The response side of a transaction: where the upstream's response stands (a small state machine
 * with named moves; with invariants on, in the tests, a move the table does not allow throws), and
 * what it does with the upstream's events while its channel is attached: reading the head through
 * interim responses, holding it for response hooks, writing it to the client and starting the body
 * (response-body.ts), and deciding when the upstream's part is complete. Failures, retries, the
 * tunnel and the transaction's end are the transaction's: it hears of them through ResponseSideHost.
 */
import type { RequestHead, ResponseHead } from '../codec/types.ts';
import type { RouteConfig } from '../config/types.ts';
import type { ErrorCode, HttpParseError } from '../errors/index.ts';
import type { TxnTimeouts } from '../hooks/index.ts';
import { failureFields } from '../log/index.ts';
import type { RetryReason, RouterLease, UpstreamChannel, UpstreamHandler } from '../router/index.ts';
import type { SelectionInput } from '../strategies/index.ts';
import { removeFramingFields, type BodyTransform } from '../transforms/index.ts';
import type { Tunnel } from '../tunnel/index.ts';
import { INVARIANTS_ENABLED, invariant } from '../util/invariant.ts';
import { applyInOrder, chunkedPrefixIsValid } from './body-sinks.ts';
import { serializeClientResponseHead } from './forward-heads.ts';
import { withHsts } from './hsts.ts';
import { UNASKED_SWITCH_TEXT } from './local-answers.ts';
import type { TxnPhase } from './phases.ts';
import {
  ResponseBodyForwarder,
  headAndBody,
  isBodyless,
  isWholeSmallBody,
  responseFraming,
  type ResponseBodyHost,
} from './response-body.ts';
import { readResponseHead, type HeadReadResult } from './response-head-reader.ts';
import type { SessionPort } from './session-port.ts';
import type { RuntimeSnapshot } from './snapshot.ts';
import type { TxnHooks } from './txn-hooks.ts';

/** What the response side reads from and asks of its transaction. */
export interface ResponseSideHost extends SelectionInput {
  readonly head: RequestHead;
  readonly snapshot: RuntimeSnapshot;
  readonly port: SessionPort;
  readonly isFinished: boolean;
  readonly txnHooks: TxnHooks | null;
  readonly channel: UpstreamChannel | undefined;
  readonly lease: RouterLease | undefined;
  readonly route: RouteConfig | undefined;
  readonly timeouts: TxnTimeouts;
  /** The request went upstream as a protocol upgrade: a 101 may start a tunnel. */
  readonly forwardsUpgrade: boolean;
  /** The request side owes nothing more (the client may send its next request after this response). */
  readonly isRequestDone: boolean;
  /** The response is played back from the cache (a hit, stale or revalidated). */
  readonly fromCache: boolean;
  /** The request went upstream whole (the upstream connection may be reused). */
  readonly isRequestComplete: boolean;
  fail(code: ErrorCode, text?: string): void;
  /** Asks the Router for another attempt; true when one starts (this attempt's channel is gone). */
  retryAttempt(reason: RetryReason, status?: number): boolean;
  releaseUpstream(reusable: boolean, status: number, errorCode: ErrorCode | undefined): void;
  runPhase(phase: TxnPhase): void;
  upstreamHeadArrived(): void;
  responseStatus(status: number): void;
  withRequestId(response: ResponseHead, extra: readonly string[] | undefined): readonly string[];
  switchProtocols(response: ResponseHead, buf: Buffer, offset: number): Tunnel;
  /** The upstream's part is complete: release it (`reusable` or not) and end with the client's keep-alive. */
  complete(reusable: boolean, status: number, keepAlive: boolean): void;
  /** The transformed body reached the client whole: the transaction ends. */
  delivered(keepAlive: boolean): void;
  requestUpstreamDrained(): void;
  chainFailed(error: Error): void;
}

/**
 * `head`: reading the upstream's head; `hooks`: a head is held while read-response/send-response hooks
 * run; `body`: the head went to the client, the body follows; `done`: the upstream switched protocols
 * (a tunnel has both sides now).
 */
export type ResponseState = 'head' | 'hooks' | 'body' | 'done';

/** The only moves a response side makes. */
const RESPONSE_MOVES: Readonly<Record<ResponseState, readonly ResponseState[]>> = {
  head: ['hooks', 'body', 'done'],
  hooks: ['head'],
  body: [],
  done: [],
};

/** A response waiting for read-response/send-response hooks: its head and the bytes read after it. */
export interface HeldResponse {
  readonly head: ResponseHead;
  buf: Buffer;
  readonly offset: number;
  /** The upstream ended ('end') or failed meanwhile: replayed once the head is written. */
  ended: boolean;
  closed: boolean;
  error: Error | undefined;
}

export class ResponseSide implements HeadReadResult, UpstreamHandler, ResponseBodyHost {
  readonly #txn: ResponseSideHost;
  state: ResponseState = 'head';
  // HeadReadResult: where the head reader leaves what it found.
  head: ResponseHead | null = null;
  offset = 0;
  error: HttpParseError | null = null;
  /** Bytes of a response head not complete yet. */
  pending: Buffer | null = null;
  held: HeldResponse | null = null;
  /** The head written (or being written) to the client, Junction's own answers included. */
  sent: ResponseHead | null = null;
  /** Bytes went to the client: a failure from now on can only cut the connection. */
  started = false;
  /** The client may send another request on this connection after this response. */
  keepAlive = false;
  /** Bytes came after the response: the upstream connection is out of step, not reusable. */
  overran = false;
  /** The upstream's part is over (its connection released); the response transforms still deliver. */
  upstreamDone = false;
  /** Set while a body streams to the client. */
  body: ResponseBodyForwarder | null = null;

  constructor(txn: ResponseSideHost) {
    this.#txn = txn;
  }

  // The response as the upstream sends it (the side is the channel's handler while it is attached).

  onUpstreamData(chunk: Buffer): void {
    const txn = this.#txn;
    if (txn.isFinished) return;
    switch (this.state) {
      case 'body':
        this.#forwardBody(chunk, 0);
        return;
      case 'done':
        this.overran = true;
        return;
      case 'hooks':
        this.held!.buf = Buffer.concat([this.held!.buf, chunk]);
        return;
      case 'head':
        break;
    }
    const buf = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    const limits = txn.snapshot.responseHeadLimits;
    const kind = readResponseHead(buf, 0, limits, txn.head.method, txn.forwardsUpgrade, this);
    if (kind === 'need-more') {
      this.pending = this.offset === 0 ? buf : buf.subarray(this.offset);
      return;
    }
    if (kind === 'reject') {
      // An over-limit head is the backend's answer, not a fault: its code is not a health failure.
      const error = this.error!;
      txn.port.log.warn({ code: error.code, upstream: txn.channel?.upstreamId }, error.message);
      txn.fail(error.code);
      return;
    }
    const response = this.head!;
    const offset = this.offset;
    txn.upstreamHeadArrived();
    if (kind === 'bad-switch') {
      txn.fail('JCT_ERR_HTTP_BAD_RESPONSE', UNASKED_SWITCH_TEXT);
      return;
    }
    this.pending = null;
    // A status the cluster retries: drop this response (the Router closes its connection).
    if (kind === 'final' && txn.retryAttempt('status', response.status)) return;
    const hooks = txn.txnHooks;
    hooks?.noteUpstreamResponse(response);
    if (hooks !== null && (hooks.has('read-response') || hooks.has('send-response'))) {
      this.#move('hooks');
      this.held = { head: response, buf, offset, ended: false, closed: false, error: undefined };
      txn.channel?.pause();
      hooks.setResponse(response);
      // A stored response was stored after read-response hooks ran: only send-response hooks run.
      txn.runPhase(txn.fromCache ? 'send-response' : 'read-response');
      return;
    }
    if (kind === 'switch') txn.switchProtocols(response, buf, offset);
    else this.#start(response, buf, offset);
  }

  onUpstreamEnd(): void {
    if (this.#txn.isFinished) return;
    if (this.state === 'hooks') {
      this.held!.ended = true;
      return;
    }
    if (this.state === 'body' && this.body?.upstreamEnded() === true) {
      this.#finish();
      return;
    }
    this.onUpstreamClose(undefined);
  }

  onUpstreamClose(error: Error | undefined): void {
    const txn = this.#txn;
    if (txn.isFinished) return;
    if (this.state === 'hooks') {
      const held = this.held!;
      held.closed = true;
      held.error = error;
      return;
    }
    const channel = txn.channel;
    // Not one response byte on a reused connection: the upstream had closed it while it sat idle.
    const stale = this.pending === null && channel !== undefined && channel.reuseCount > 0;
    if (!this.started && txn.retryAttempt(stale ? 'stale' : 'reset')) return;
    txn.port.log.warn(
      {
        code: 'JCT_ERR_UPSTREAM_RESET',
        ...failureFields(error),
        upstream: channel?.upstreamId,
        started: this.started,
      },
      'upstream closed before the response was complete',
    );
    txn.fail('JCT_ERR_UPSTREAM_RESET');
  }

  onUpstreamDrain(): void {
    this.#txn.requestUpstreamDrained();
  }

  /** The client's socket drained: let the upstream (or the transform feeding the client) flow again. */
  onClientDrain(): void {
    const txn = this.#txn;
    if (txn.isFinished || this.state !== 'body') return;
    if (this.body?.clientDrained() === true) return;
    txn.channel?.resume();
    txn.port.setDeadline(txn.timeouts.backendBodyMs);
  }

  /** The response hooks are done: the held response goes on, with what happened to the upstream meanwhile. */
  startHeld(): void {
    const held = this.held;
    if (held === null) return;
    this.held = null;
    this.#move('head');
    const txn = this.#txn;
    txn.channel?.resume();
    if (held.head.status === 101) {
      const tunnel = txn.switchProtocols(held.head, held.buf, held.offset);
      if (held.ended) tunnel.onUpstreamEnd();
      if (held.closed) tunnel.onUpstreamClose(held.error);
      return;
    }
    this.#start(held.head, held.buf, held.offset);
    if (held.ended) this.onUpstreamEnd();
    else if (held.closed) this.onUpstreamClose(held.error);
  }

  /** The upstream switched protocols (the 101 head is being written): the tunnel has the connection now. */
  switched(sent: ResponseHead): void {
    this.#move('done');
    this.sent = sent;
    this.started = true;
  }

  /** The head goes to the client, then the body: at once when it is small and here, else as it comes. */
  #start(response: ResponseHead, buf: Buffer, offset: number): void {
    const txn = this.#txn;
    const session = txn.port;
    const head = txn.head;
    this.sent = response;
    const factories = txn.txnHooks?.responseTransforms;
    let transforms: BodyTransform[] | null = null;
    if (factories != null) {
      transforms = applyInOrder(factories, (factory) => factory(head, response), response.headers);
      if (transforms !== null) removeFramingFields(response.headers);
    }
    const framing = responseFraming(response, head.versionMinor, transforms !== null);
    this.keepAlive = head.keepAlive && !session.draining && framing !== 'close' && txn.isRequestDone;
    const lease = txn.lease;
    const upstream = lease?.upstream;
    let extra = upstream === undefined ? undefined : lease!.strategy.responseHeaders?.(upstream, txn);
    const hsts = txn.route?.hsts;
    if (hsts !== undefined && session.tls !== null) extra = withHsts(extra, hsts, response.headers);
    extra = txn.withRequestId(response, extra);
    txn.responseStatus(response.status);
    const headText = serializeClientResponseHead(response, framing, this.keepAlive, head.versionMinor, extra);
    const maxTrailerBytes = txn.snapshot.responseHeadLimits.maxHeadBytes;
    if (
      response.bodyKind === 'chunked' &&
      offset < buf.length &&
      !chunkedPrefixIsValid(buf, offset, maxTrailerBytes)
    ) {
      // Bad chunk framing that arrived with the head: nothing has gone out yet, so the client can
      // still get a clean 502 instead of a head followed by a cut connection.
      session.log.warn(
        { upstream: txn.channel?.upstreamId, code: 'JCT_ERR_HTTP_BAD_RESPONSE' },
        'the upstream sent an invalid chunked body',
      );
      txn.fail('JCT_ERR_HTTP_BAD_RESPONSE');
      return;
    }
    this.#move('body');
    this.started = true;
    if (transforms === null && isWholeSmallBody(response, buf, offset)) {
      const length = response.contentLength;
      if (offset + length < buf.length) this.overran = true;
      session.writeClient(headAndBody(headText, buf, offset, length));
      this.#finish();
      return;
    }
    const bodyless = isBodyless(response);
    // A bodyless response is one write: no cork around it.
    if (!bodyless) session.corkClient();
    session.writeClient(headText, 'latin1');
    if (!bodyless || transforms !== null) {
      this.body = new ResponseBodyForwarder(this, session, response, framing, transforms, maxTrailerBytes);
    }
    if (bodyless) {
      if (offset < buf.length) this.overran = true;
      this.#finish();
      return;
    }
    if (offset < buf.length) this.#forwardBody(buf, offset);
    else session.setDeadline(txn.timeouts.backendBodyMs);
    session.uncorkClient();
  }

  #forwardBody(buf: Buffer, start: number): void {
    const txn = this.#txn;
    const body = this.body!;
    const fed = body.feed(buf, start);
    if (fed === 'complete') {
      this.#finish();
      return;
    }
    if (fed === 'invalid') {
      txn.port.log.warn({ code: body.error!.code }, body.error!.message);
      txn.fail('JCT_ERR_HTTP_BAD_RESPONSE');
      return;
    }
    if (fed === 'flushed') txn.port.setDeadline(txn.timeouts.backendBodyMs);
    else {
      // The client is the slow side now: stop reading the upstream and stop its clock.
      txn.channel?.pause();
      txn.port.setDeadline(0);
    }
  }

  /** The upstream's response body is complete (with a response transform, the client's may not be). */
  #finish(): void {
    const txn = this.#txn;
    if (txn.isFinished || this.upstreamDone) return;
    const response = this.sent!;
    const reusable =
      response.keepAlive &&
      txn.isRequestComplete &&
      !this.overran &&
      this.body?.overran !== true &&
      response.bodyKind !== 'close';
    const body = this.body;
    if (body?.isTransformed === true) {
      this.upstreamDone = true;
      txn.releaseUpstream(reusable, response.status, undefined);
      body.endTransforms();
      return;
    }
    txn.complete(reusable, response.status, this.keepAlive);
  }

  // ResponseBodyHost: the response transforms report here.

  get isFinished(): boolean {
    return this.#txn.isFinished;
  }

  responseChainDrained(): void {
    const txn = this.#txn;
    if (txn.isFinished || this.upstreamDone) return;
    txn.channel?.resume();
    txn.port.setDeadline(txn.timeouts.backendBodyMs);
  }

  responseDelivered(): void {
    this.#txn.delivered(this.keepAlive);
  }

  chainFailed(error: Error): void {
    this.#txn.chainFailed(error);
  }

  #move(next: ResponseState): void {
    if (INVARIANTS_ENABLED) {
      invariant(RESPONSE_MOVES[this.state].includes(next), `response side: ${this.state} → ${next}`);
    }
    this.state = next;
  }
}
