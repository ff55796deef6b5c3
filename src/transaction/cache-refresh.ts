/**
 * Background revalidation (stale-while-revalidate, RFC 5861 §3): a stale response within its window
 * was served at once; this request, made for no client, revalidates it. It holds the key's collapsing
 * lock (one refresh per key, and misses on the key wait for it rather than double it), asks the Router
 * for an upstream of the route's cluster (its default strategy), sends a GET with the cache's
 * validators, reads the whole answer into a recorder bounded like a cache write, and hands it to the
 * cache (HttpCache.refreshed). It is bounded by the connect timeout plus backend_response; whatever
 * happens, no client sees it: a failure only leaves the stale response as it was.
 */
import type { RequestHead, ResponseHead } from '../codec/types.ts';
import type { ForwardedConfig } from '../config/types.ts';
import type { ErrorCode } from '../errors/index.ts';
import {
  ResponseRecorder,
  headerObject,
  type BackgroundResult,
  type CacheRequest,
  type CachedObject,
  type HttpCache,
} from '../cache/index.ts';
import type CachePolicy from 'http-cache-semantics';
import type { HeadLimits } from '../codec/index.ts';
import type {
  AcquireHandler,
  ClusterRuntime,
  RouterLease,
  UpstreamChannel,
  UpstreamHandler,
} from '../router/index.ts';
import type { SelectionInput } from '../strategies/index.ts';
import { serializeUpstreamRequestHead } from './forward-heads.ts';
import { readResponseHead, type HeadReadResult } from './response-head-reader.ts';
import type { RuntimeSnapshot } from './snapshot.ts';

/** What a refresh needs of the transaction that found the stale response (copied: it may end first). */
export interface RefreshOrder {
  readonly snapshot: RuntimeSnapshot;
  readonly cluster: ClusterRuntime;
  readonly input: SelectionInput;
  /** The request as it would go upstream (after request rules), made a GET with the cache's validators. */
  readonly head: RequestHead;
  readonly clientAddress: string;
  readonly scheme: 'http' | 'https';
  readonly forwarded: ForwardedConfig;
  readonly connectMs: number;
  readonly responseMs: number;
  /** The recorder's bound: the largest object stored plus room for the head and framing. */
  readonly maxBytes: number;
  /** Called once: the complete answer, or how it failed. Returns what the cache made of it. */
  readonly done: (answer: RefreshAnswer) => BackgroundResult;
}

export type RefreshAnswer =
  | { readonly kind: 'response'; readonly head: ResponseHead; readonly body: Buffer }
  | { readonly kind: 'failed' }
  | { readonly kind: 'timeout' };

export class BackgroundRefresh implements AcquireHandler, UpstreamHandler, HeadReadResult {
  readonly #order: RefreshOrder;
  readonly #recorder: ResponseRecorder;
  readonly #timer: NodeJS.Timeout;
  #lease: RouterLease | undefined = undefined;
  #channel: UpstreamChannel | undefined = undefined;
  #over = false;
  /** Bytes a length-delimited answer takes in all (head and body); -1 until known or when not known. */
  #total = -1;
  #received = 0;
  // HeadReadResult
  head: ResponseHead | null = null;
  offset = 0;
  error: HeadReadResult['error'] = null;

  constructor(order: RefreshOrder) {
    this.#order = order;
    this.#recorder = new ResponseRecorder(order.maxBytes);
    this.#timer = setTimeout(() => {
      this.#end({ kind: 'timeout' }, false);
    }, order.connectMs + order.responseMs);
    this.#timer.unref();
    const router = order.snapshot.router;
    this.#lease = router.acquire(order.cluster, order.input, order.connectMs, this);
  }

  onUpstreamReady(channel: UpstreamChannel, lease: RouterLease): void {
    this.#lease = lease;
    if (this.#over) {
      this.#release(false, 0, 'JCT_ERR_UPSTREAM_TIMEOUT');
      return;
    }
    this.#channel = channel;
    channel.attach(this);
    const order = this.#order;
    const info = {
      clientAddress: order.clientAddress,
      scheme: order.scheme,
      forwarded: order.forwarded,
      upstreamAuthority: channel.upstreamId,
    };
    channel.write(serializeUpstreamRequestHead(order.head, info), 'latin1');
  }

  onAcquireFailed(): void {
    this.#lease = undefined;
    this.#end({ kind: 'failed' }, false);
  }

  onUpstreamData(chunk: Buffer): void {
    if (this.#over) return;
    if (!this.#recorder.record(chunk)) {
      // Larger than the cache stores: nothing to keep.
      this.#end({ kind: 'failed' }, false);
      return;
    }
    this.#received += chunk.length;
    if (this.head === null) {
      const buf = this.#recorder.peek();
      const limits = this.#order.snapshot.responseHeadLimits;
      const kind = readResponseHead(buf, 0, limits, 'GET', false, this);
      if (kind === 'need-more') return;
      if (kind !== 'final') {
        this.#end({ kind: 'failed' }, false);
        return;
      }
      const head = this.head!;
      if (head.bodyKind === 'none') this.#total = this.offset;
      else if (head.bodyKind === 'length') this.#total = this.offset + head.contentLength;
    }
    this.#check(false, chunk);
  }

  onUpstreamEnd(): void {
    this.#check(true, undefined);
    this.#end({ kind: 'failed' }, false);
  }

  onUpstreamClose(): void {
    this.#end({ kind: 'failed' }, false);
  }

  onUpstreamDrain(): void {
    // The request is one head.
  }

  /** The answer is whole: its declared length arrived, a chunked body ended, or a close ended it. */
  #check(ended: boolean, last: Buffer | undefined): void {
    const head = this.head;
    if (this.#over || head === null) return;
    if (this.#total >= 0 && this.#received < this.#total) return;
    if (head.bodyKind === 'close' && !ended) return;
    // A chunked body can only have ended on a chunk that ends a line pair (last chunk, trailers).
    if (head.bodyKind === 'chunked' && last !== undefined && !endsBlankLine(last)) return;
    const decoded = this.#recorder.decode(this.#order.snapshot.responseHeadLimits);
    if (decoded === undefined) return; // a chunked body not ended yet
    const exact = this.#total < 0 || this.#received === this.#total;
    const reusable = head.keepAlive && head.bodyKind !== 'close' && exact;
    this.#end({ kind: 'response', head: decoded.head, body: decoded.body }, reusable);
  }

  #end(answer: RefreshAnswer, reusable: boolean): void {
    if (this.#over) return;
    this.#over = true;
    clearTimeout(this.#timer);
    const status = answer.kind === 'response' ? answer.head.status : 0;
    const code = answer.kind === 'timeout' ? 'JCT_ERR_UPSTREAM_TIMEOUT' : 'JCT_ERR_UPSTREAM_RESET';
    if (this.#channel !== undefined) this.#release(reusable, status, code);
    else if (this.#lease !== undefined) this.#order.snapshot.router.abandon(this.#lease);
    this.#order.done(answer);
  }

  #release(reusable: boolean, status: number, code: ErrorCode): void {
    const lease = this.#lease;
    if (lease === undefined) return;
    this.#lease = undefined;
    this.#channel = undefined;
    const router = this.#order.snapshot.router;
    const durationMs = router.now() - lease.attemptStartedAt;
    const errorCode = status === 0 ? code : undefined;
    router.release(lease, reusable, { status, errorCode, durationMs });
  }
}

function endsBlankLine(chunk: Buffer): boolean {
  const n = chunk.length;
  return n >= 2 && chunk[n - 2] === 13 && chunk[n - 1] === 10;
}

/** A cache write's bound: the largest body stored, plus room for the head and chunk framing. */
export function recordLimit(cache: HttpCache, limits: HeadLimits): number {
  const maxBody = cache.config.maxObjectBytes;
  return maxBody + limits.maxHeadBytes + Math.ceil(maxBody / 8) + 1024;
}

/** The transaction that found a stale response within stale-while-revalidate. */
export interface RefreshHost extends SelectionInput {
  readonly head: RequestHead;
  readonly snapshot: RuntimeSnapshot;
  readonly cluster: ClusterRuntime | undefined;
  readonly port: { readonly clientAddress: string; readonly scheme: 'http' | 'https' };
  readonly timeouts: { readonly connectMs: number; readonly backendResponseMs: number };
}

/**
 * Revalidates `stale` in the background, unless the key is being filled or refreshed already (its
 * collapsing lock is taken: that request will refresh it). Never throws; no client waits for it.
 */
export function refreshInBackground(
  host: RefreshHost,
  cache: HttpCache,
  request: CacheRequest,
  stale: CachedObject,
  conditional: CachePolicy.Headers,
  setCookie: boolean,
): void {
  const cluster = host.cluster;
  const key = request.key;
  if (cluster === undefined || !cache.collapse.tryLock(key)) return;
  const snapshot = host.snapshot;
  const done = (answer: RefreshAnswer): BackgroundResult => {
    let result: BackgroundResult = answer.kind === 'response' ? 'not-stored' : answer.kind;
    if (answer.kind === 'response') {
      const { status, reason, headers } = answer.head;
      const response = { status, reason, headers: headerObject(headers) };
      result = cache.refreshed(stale, request, response, answer.body, setCookie);
    }
    cache.collapse.unlock(key, result === 'stored' ? 'stored' : 'not-stored');
    cache.background.revalidate[result]++;
    return result;
  };
  new BackgroundRefresh({
    snapshot,
    cluster,
    input: host,
    head: refreshHead(host.head, conditional),
    clientAddress: host.port.clientAddress,
    scheme: host.port.scheme,
    forwarded: snapshot.config.forwarded,
    connectMs: host.timeouts.connectMs,
    responseMs: host.timeouts.backendResponseMs,
    maxBytes: recordLimit(cache, snapshot.responseHeadLimits),
    done,
  });
}

/** Fields of the client's request that ask for something other than a whole validated response. */
const DROPPED = new Set(['if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'range']);

/** The refresh's request: the client's as it would go upstream, a GET with the cache's validators only. */
function refreshHead(head: RequestHead, conditional: CachePolicy.Headers): RequestHead {
  const headers: string[] = [];
  const fields = head.headers;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (!DROPPED.has(fields[i]!.toLowerCase())) headers.push(fields[i]!, fields[i + 1]!);
  }
  for (const name of ['if-none-match', 'if-modified-since']) {
    const value = conditional[name];
    if (typeof value === 'string') headers.push(name, value);
  }
  return { ...head, method: 'GET', target: head.path + head.query, headers };
}
