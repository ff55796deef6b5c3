/**
 * The cache states of one transaction (Traffic Server's HttpSM around its cache): after routing, the
 * lookup (CACHE_LOOKUP, SELECT_ALT, fresh or stale: CACHE_LOOKUP_COMPLETE); a fresh hit is played back
 * through the response side like a backend's response (cached-channel.ts); a miss or a stale object
 * may wait for another transaction filling the same key ("lock URL in cache"), then goes upstream,
 * a stale object with a conditional request. On the way back this step sits between the upstream
 * channel and the response side: it reads the final head first, answers a 304 or (stale-if-error) a
 * 5xx from the stored object, tees a storable response's bytes as they go to the client ("set up cache
 * write"), decides what is stored on the head read-response hooks leave (responseSettled), and stores
 * it once complete, or after the client left (background fill, cache-fill.ts). A stale object within
 * stale-while-revalidate is served at once and refreshed by cache-refresh.ts. Unsafe methods
 * invalidate (RFC 9111 §4.4).
 * The cache itself (store, rules, collapsing) is src/cache/'s; this file is only the transaction's side.
 */
import type { RequestHead, ResponseHead } from '../codec/types.ts';
import type { RouteCacheConfig } from '../config/cache-types.ts';
import type { RouteConfig } from '../config/types.ts';
import type { ErrorCode } from '../errors/index.ts';
import type { TxnTimeouts } from '../hooks/index.ts';
import type { TxnHooks } from './txn-hooks.ts';
import {
  CachedChannel,
  rangeRequest,
  sliceOf,
  type ByteSlice,
  type RangeRequest,
  ResponseRecorder,
  cacheKey,
  fieldList,
  headerObject,
  relatedKey,
  takeCookies,
  type CacheLookup,
  type CacheRequest,
  type CacheStatus,
  type CachedObject,
  type HttpCache,
} from '../cache/index.ts';
import type CachePolicy from 'http-cache-semantics';
import { serializeResponseHead } from '../codec/index.ts';
import type { Router, RouterLease, UpstreamChannel, UpstreamHandler } from '../router/index.ts';
import { readResponseHead, type HeadReadResult } from './response-head-reader.ts';
import type { SessionPort } from './session-port.ts';
import type { RuntimeSnapshot } from './snapshot.ts';
import { withoutField } from './access-entry.ts';
import { BackgroundFill, fillWorthwhile, type FillEnd } from './cache-fill.ts';
import { recordLimit, refreshInBackground, type RefreshHost } from './cache-refresh.ts';
import type { TxnCacheState } from './cache-hooks.ts';

/** What the cache step reads from and asks of its transaction. */
export interface CacheStepHost extends RefreshHost {
  readonly head: RequestHead;
  readonly port: SessionPort;
  readonly snapshot: RuntimeSnapshot;
  readonly route: RouteConfig | undefined;
  readonly isFinished: boolean;
  readonly timeouts: TxnTimeouts;
  readonly txnHooks: TxnHooks | null;
  /** Plays a stored response through the response side (no upstream is asked). */
  serveFromCache(channel: UpstreamChannel): void;
  /** Goes on to the Router: the request goes upstream. */
  dispatchUpstream(): void;
  releaseUpstream(reusable: boolean, status: number, errorCode: ErrorCode | undefined): void;
  /** cache-hooks.ts: the key and switch hooks and rules set, their alternate chooser; undefined without hooks. */
  readonly cacheState: TxnCacheState | undefined;
  /** The lookup found `found` (or was skipped): true when the cache's hooks run first (then act()). */
  lookedUp(found: CacheLookup | 'skipped'): boolean;
}

/** Methods RFC 9111 §4.4 invalidates on: unsafe ones (and any unknown one is unsafe). */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/** Failures a stale object may answer for under stale-if-error: the upstream's, not the client's. */
const UPSTREAM_FAILURES = new Set<string>([
  'JCT_ERR_NO_UPSTREAM',
  'JCT_ERR_CONNECT_TIMEOUT',
  'JCT_ERR_CONNECT_REFUSED',
  'JCT_ERR_CONNECT_UNREACHABLE',
  'JCT_ERR_CONNECT_UNRESOLVABLE',
  'JCT_ERR_CONNECT_FAILED',
  'JCT_ERR_TLS_HANDSHAKE',
  'JCT_ERR_POOL_EXHAUSTED',
  'JCT_ERR_UPSTREAM_RESET',
  'JCT_ERR_UPSTREAM_TIMEOUT',
  'JCT_ERR_HTTP_BAD_RESPONSE',
]);

/** Request fields that ask for something other than the stored whole response: passed through. */
function bypasses(head: RequestHead): boolean {
  const fields = head.headers;
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i]!.toLowerCase() === 'if-range') return true;
  }
  return head.upgrade || head.bodyKind !== 'none';
}

/**
 * The upstream side as the step sees it: `head` (reading the final head), `record` (teeing a storable
 * response), `pass` (forwarding untouched), `replaced` (the client got a stored object instead).
 */
type TeeState = 'head' | 'record' | 'pass' | 'replaced';

export class CacheStep implements UpstreamHandler, HeadReadResult {
  readonly #host: CacheStepHost;
  readonly #cache: HttpCache;
  readonly #settings: RouteCacheConfig;
  readonly #request: CacheRequest;
  /** GET or HEAD on a caching route; false: only invalidation (unsafe methods) or nothing. */
  readonly #cacheable: boolean;
  /** The request's Range: a fresh hit answers one range from the stored body (byte-range.ts). */
  readonly #range: RangeRequest;
  /** The cache status for the access log and metrics; undefined until decided. */
  status: CacheStatus | undefined = undefined;
  /** The Cache-Status parameters after the cache's name (RFC 9211). */
  #detail = '';
  /** The stale object a conditional request revalidates. */
  #stale: CachedObject | undefined = undefined;
  /** This transaction fills the key: others wait for it. */
  #locked = false;
  #waited = false;
  /** The disk tier was asked once already (a read back from disk, or a dropped file). */
  #diskAsked = false;
  /** The hit came from an object read back from disk. */
  #fromDisk = false;
  // The tee (UpstreamHandler in front of the response side).
  #side: UpstreamHandler | null = null;
  #state: TeeState = 'head';
  #pending: Buffer | null = null;
  #recorder: ResponseRecorder | null = null;
  #policy: CachePolicy | null = null;
  #cookies: readonly string[] = [];
  #upstreamEnded = false;
  /** Body bytes teed so far, and the body's declared length (-1: not known), for a background fill. */
  #bodySeen = 0;
  #length = -1;
  /**
   * A response recorded before read-response hooks ran: whether it is stored is decided on the head
   * they leave (responseSettled). `fwd` is its Cache-Status so far; `transforms` the response
   * transforms there were before those hooks (one they add changes the body: not stored).
   */
  #settle: { readonly fwd: string; readonly transforms: number } | null = null;
  /** The status line stored: the one read-response hooks left (else the upstream's). */
  #stored: { readonly status: number; readonly reason: string } | null = null;
  // HeadReadResult
  head: ResponseHead | null = null;
  offset = 0;
  error: HeadReadResult['error'] = null;

  /** The step of a transaction on a caching route; null when the route does not cache. */
  static open(host: CacheStepHost): CacheStep | null {
    const state = host.cacheState; // cache-hooks: hooks and rules may turn the cache on or off
    const settings = state === undefined ? host.route?.cache : state.settings(host.route?.cache);
    const cache = host.snapshot.cache;
    if (settings === undefined || cache == null) return null;
    return new CacheStep(host, cache, settings);
  }

  private constructor(host: CacheStepHost, cache: HttpCache, settings: RouteCacheConfig) {
    this.#host = host;
    this.#cache = cache;
    this.#settings = settings;
    const head = host.head;
    const port = head.port === '' ? '' : head.port;
    const computed = cacheKey(host.port.scheme, head.host, port, head.path, head.query);
    const key = host.cacheState?.keyFor(computed) ?? computed; // cache-hooks: a key set by hooks or rules
    const headers = headerObject(head.headers);
    // Requests that share a key set by hooks or rules share the URL the policy compares, too.
    const url = key === computed ? head.path + head.query : key;
    this.#request = { key, policyRequest: { url, method: 'GET', headers } };
    this.#range = rangeRequest(head.headers);
    this.#cacheable = (head.method === 'GET' || head.method === 'HEAD') && !bypasses(head);
  }

  // Lookup, before dispatch

  /** The request as the cache sees it (its key, and what the policy reads). */
  get request(): CacheRequest {
    return this.#request;
  }

  /** Looks the request up; true when the step took the transaction over (answered, or waiting). */
  lookup(): boolean {
    if (!this.#cacheable) {
      if (SAFE_METHODS.has(this.#host.head.method)) this.#decide('bypass', 'fwd=bypass');
      return this.#host.lookedUp('skipped');
    }
    const cache = this.#cache;
    const found = cache.lookup(this.#request, this.#host.cacheState?.selectAlternate);
    if (found.kind === 'miss' && !this.#diskAsked) {
      const entry = cache.onDisk(this.#request);
      if (entry !== undefined) {
        // READ_CACHE_HDR from disk: the read runs off the serving thread; then look again.
        this.#diskAsked = true;
        this.#host.port.setDeadline(0);
        void cache.loadFromDisk(entry).then((loaded) => {
          if (this.#host.isFinished) return;
          this.#fromDisk = loaded;
          if (!this.lookup()) this.#host.dispatchUpstream();
        });
        return true;
      }
    }
    // cache-hooks: read-cache-header and cache-lookup-complete run first; then act() on what they left.
    if (this.#host.lookedUp(found)) return true;
    return this.act(found);
  }

  /** Acts on a lookup: answers a fresh hit, or goes on to the backend (after waiting for a fill). */
  act(found: CacheLookup): boolean {
    const cache = this.#cache;
    const range = this.#range;
    if (found.kind === 'fresh' || found.kind === 'revalidate-later') {
      const object = found.object;
      // One range of a stored whole 200: 206, or 416 past its end; an ignored Range: the whole 200.
      const partial = range.kind === 'single' && object.status === 200;
      const slice = partial ? sliceOf(range, object.body.length) : undefined;
      if (found.kind === 'fresh') this.#decide('hit', this.#ttlDetail(object, 'hit'));
      else {
        // stale-while-revalidate: served now, revalidated by one request in the background.
        const ttl = Math.floor(object.policy.maxAge() - object.policy.age()); // negative: stale
        this.#decide('stale', `fwd=stale; ttl=${ttl}; detail=stale-while-revalidate`);
        const setCookie = this.#settings.setCookie;
        refreshInBackground(this.#host, cache, this.#request, object, found.conditional, setCookie);
      }
      const notModified = isNotModified(this.#request.policyRequest.headers, found.headers);
      const answer: Playback = notModified ? 'not-modified' : partial ? (slice ?? 'unsatisfiable') : 'whole';
      this.#host.serveFromCache(this.#channelFor(object, found.headers, false, answer));
      return true;
    }
    // A range the cache cannot answer goes to the backend as it is: no validation, no wait, and
    // nothing is filled from its 206 (a backend that answers with the whole 200 fills the cache).
    if (range.kind !== 'none') return false;
    if (found.kind === 'stale') {
      this.#stale = found.object;
      this.#conditional(found.conditional);
    }
    if (!this.#settings.collapse || this.#waited || cache.collapse.tryLock(this.#request.key)) {
      this.#locked = !this.#waited && this.#settings.collapse;
      return false;
    }
    this.#waited = true;
    this.#host.port.setDeadline(0);
    return cache.collapse.wait(this.#request.key, (outcome) => {
      if (this.#host.isFinished) return;
      // Filled: look again (a hit, or go on without waiting twice); otherwise go on at once.
      if (outcome === 'stored' && this.lookup()) return;
      this.#host.dispatchUpstream();
    });
  }

  /** A conditional request for the stale object: the client's own validators give way to the cache's. */
  #conditional(fields: CachePolicy.Headers): void {
    const headers = this.#host.head.headers;
    withoutField(headers, 'if-none-match');
    withoutField(headers, 'if-modified-since');
    for (const name of ['if-none-match', 'if-modified-since']) {
      const value = fields[name];
      if (typeof value === 'string')
        headers.push(name === 'if-none-match' ? 'If-None-Match' : 'If-Modified-Since', value);
    }
  }

  #channelFor(
    object: CachedObject,
    headers: CachePolicy.Headers,
    close: boolean,
    answer: Playback = 'whole',
  ): CachedChannel {
    const { head, body } = this.#playback(object, headers, close, answer);
    return new CachedChannel(head, body);
  }

  /** The head and body that answer from `object`: the policy's fields, framed by length. */
  #playback(
    object: CachedObject,
    headers: CachePolicy.Headers,
    close: boolean,
    answer: Playback = 'whole',
  ): { head: Buffer; body: Buffer } {
    const fields = fieldList(headers);
    withoutField(fields, 'content-length');
    withoutField(fields, 'transfer-encoding');
    for (const cookie of object.cookies) fields.push('set-cookie', cookie);
    let body = object.body;
    let [status, reason] = [object.status, object.reason];
    const notModified = answer === 'not-modified';
    if (notModified) [status, reason, body] = [304, 'Not Modified', EMPTY];
    else if (answer === 'unsatisfiable') {
      // RFC 9110 §15.5.17: the range is past the end; Content-Range says the length.
      [status, reason, body] = [416, 'Range Not Satisfiable', EMPTY];
      fields.push('content-range', `bytes */${object.body.length}`);
    } else if (answer !== 'whole') {
      // RFC 9110 §14: one range of the stored whole body.
      [status, reason, body] = [206, 'Partial Content', body.subarray(answer.start, answer.end + 1)];
      fields.push('content-range', `bytes ${answer.start}-${answer.end}/${object.body.length}`);
    }
    if (!notModified) fields.push('content-length', String(body.length));
    // The upstream connection this answer replaces is not reusable (its own body was not read).
    if (close) fields.push('connection', 'close');
    const head = Buffer.from(serializeResponseHead(status, reason, fields), 'latin1');
    const isHead = this.#host.head.method === 'HEAD';
    return { head, body: isHead ? EMPTY : body };
  }

  #ttlDetail(object: CachedObject, first: string): string {
    const ttl = `${first}; ttl=${Math.round(object.policy.timeToLive() / 1000)}`;
    return this.#fromDisk ? `${ttl}; detail=disk` : ttl;
  }

  /** The status so far (a retried attempt may decide again); counted once, when the transaction ends. */
  #decide(status: CacheStatus, detail: string): void {
    this.status = status;
    this.#detail = detail;
  }

  /** The Cache-Status field of the response (RFC 9211), with the name `Junction`. */
  fields(): readonly string[] {
    return this.#detail === '' ? NO_FIELDS : ['Cache-Status', `Junction; ${this.#detail}`];
  }

  // The tee: between the upstream channel and the response side

  /** The handler to attach to an upstream channel: this step in front of `side`. */
  wrap(side: UpstreamHandler): UpstreamHandler {
    this.#side = side;
    this.#state = 'head';
    this.#pending = null;
    this.#recorder = null;
    this.#upstreamEnded = false;
    this.#settle = null;
    this.#stored = null;
    this.#policy = null;
    return this;
  }

  onUpstreamData(chunk: Buffer): void {
    const side = this.#side!;
    switch (this.#state) {
      case 'pass':
        side.onUpstreamData(chunk);
        return;
      case 'replaced':
        return;
      case 'record':
        this.#bodySeen += chunk.length;
        if (!this.#recorder!.record(chunk)) this.#giveUpStoring();
        side.onUpstreamData(chunk);
        return;
      case 'head':
        break;
    }
    const buf = this.#pending === null ? chunk : Buffer.concat([this.#pending, chunk]);
    const host = this.#host;
    const kind = readResponseHead(buf, 0, host.snapshot.responseHeadLimits, host.head.method, false, this);
    if (kind === 'need-more') {
      this.#pending = buf;
      return;
    }
    this.#pending = null;
    if (kind !== 'final') {
      this.#state = 'pass';
      this.#unlock(false);
    } else if (this.#headArrived(this.head!, buf) === 'replaced') return;
    side.onUpstreamData(buf);
  }

  onUpstreamEnd(): void {
    this.#upstreamEnded = true;
    if (this.#state !== 'replaced') this.#side!.onUpstreamEnd();
  }

  onUpstreamClose(error: Error | undefined): void {
    if (this.#state !== 'replaced') this.#side!.onUpstreamClose(error);
  }

  onUpstreamDrain(): void {
    this.#side!.onUpstreamDrain();
  }

  /** The upstream's final head: answer from the stored object, tee the response, or let it pass. */
  #headArrived(response: ResponseHead, buf: Buffer): TeeState {
    this.#state = this.#onHead(response, buf);
    return this.#state;
  }

  #onHead(response: ResponseHead, buf: Buffer): TeeState {
    const method = this.#host.head.method;
    if (!SAFE_METHODS.has(method)) {
      if (response.status >= 200 && response.status < 400) this.#invalidate(response);
      return 'pass';
    }
    if (!this.#cacheable) return 'pass';
    const cache = this.#cache;
    const status = response.status;
    const stale = this.#stale;
    if (stale !== undefined) {
      const headers = headerObject(response.headers);
      if (status === 304) {
        const updated = cache.revalidated(stale, this.#request, status, headers);
        if (updated !== undefined) {
          this.#decide('revalidated', 'fwd=stale; fwd-status=304');
          this.#unlock(true);
          this.#replaceWith(updated, updated.policy.responseHeaders(), !response.keepAlive);
          return 'replaced';
        }
      } else if (status >= 500 && cache.usableOnError(stale, this.#request.policyRequest.headers)) {
        this.#decide('stale', `fwd=stale; fwd-status=${status}; detail=stale-if-error`);
        this.#unlock(false);
        this.#replaceWith(stale, stale.policy.responseHeaders(), true);
        return 'replaced';
      }
    }
    const fwd = stale === undefined ? 'fwd=miss' : `fwd=stale; fwd-status=${status}`;
    const length = response.bodyKind === 'length' ? response.contentLength : -1;
    const hooks = this.#host.txnHooks;
    if (method === 'GET' && hooks?.has('read-response') === true && cache.fitsLength(length)) {
      // What is stored is decided after read-response hooks (responseSettled): record meanwhile.
      this.#settle = { fwd, transforms: hooks.responseTransforms?.length ?? 0 };
      this.#decide('miss', fwd);
      return this.#startRecording(buf, length) ? 'record' : 'pass';
    }
    const fields = headerObject(response.headers);
    // A route that shares cookies: the policy judges the response without them (cached-object.ts).
    const cookies = this.#settings.setCookie ? takeCookies(fields) : NO_FIELDS;
    const policy = cache.policyFor(this.#request, status, fields);
    if (method === 'GET' && cache.mayStore(policy, status, this.#settings.setCookie, length)) {
      this.#policy = policy;
      this.#cookies = cookies;
      const recording = this.#startRecording(buf, length);
      this.#decide('miss', recording ? `${fwd}; stored` : fwd);
      return recording ? 'record' : 'pass';
    }
    this.#decide('miss', fwd);
    // An uncacheable answer: the transactions waiting for this one go upstream themselves at once.
    this.#unlock(false);
    return 'pass';
  }

  /** Tees the response from its head on; false (and the waiters let go) when it is too large already. */
  #startRecording(buf: Buffer, length: number): boolean {
    this.#recorder = new ResponseRecorder(recordLimit(this.#cache, this.#host.snapshot.responseHeadLimits));
    this.#bodySeen = buf.length - this.offset;
    this.#length = length;
    if (this.#recorder.record(buf)) return true;
    this.#recorder = null;
    this.#unlock(false);
    return false;
  }

  /**
   * Read-response hooks are done with the upstream's head (Traffic Server writes the cache after
   * READ_RESPONSE_HDR): a response recorded meanwhile is stored as they left it (status, fields, so
   * freshness), or not at all when they made it unstorable or added a response transform.
   */
  responseSettled(head: ResponseHead | undefined): void {
    const settle = this.#settle;
    if (settle === null || head === undefined || this.#state !== 'record') return;
    this.#settle = null;
    const transforms = this.#host.txnHooks?.responseTransforms?.length ?? 0;
    const fields = headerObject(head.headers);
    const setCookie = this.#settings.setCookie;
    const cookies = setCookie ? takeCookies(fields) : NO_FIELDS;
    const policy = this.#cache.policyFor(this.#request, head.status, fields);
    if (transforms !== settle.transforms || !this.#cache.mayStore(policy, head.status, setCookie, -1)) {
      this.#giveUpStoring();
      return;
    }
    this.#policy = policy;
    this.#cookies = cookies;
    this.#stored = { status: head.status, reason: head.reason };
    this.#decide('miss', `${settle.fwd}; stored`);
  }

  /** Whether this response was answered from the cache (a hit, stale, or revalidated): no read-response hooks. */
  get answered(): boolean {
    const status = this.status;
    return status === 'hit' || status === 'stale' || status === 'revalidated';
  }

  /** The client gets `object` in place of the upstream's answer, whose connection goes back after it. */
  #replaceWith(object: CachedObject, headers: CachePolicy.Headers, close: boolean): void {
    // As if the upstream had sent it: the response side reads it on the upstream's channel.
    const { head, body } = this.#playback(object, headers, close);
    const side = this.#side!;
    side.onUpstreamData(head);
    if (body.length > 0) side.onUpstreamData(body);
  }

  #giveUpStoring(): void {
    this.#state = 'pass';
    this.#recorder = null;
    this.#unlock(false);
  }

  /** RFC 9111 §4.4: the target URI, and Location and Content-Location on the same host. */
  #invalidate(response: ResponseHead): void {
    const key = this.#request.key;
    const keys = [key];
    const headers = headerObject(response.headers);
    for (const name of ['location', 'content-location']) {
      const value = headers[name];
      const related = typeof value === 'string' ? relatedKey(key, value) : undefined;
      if (related !== undefined) keys.push(related);
    }
    this.#cache.invalidate(keys);
  }

  // The end of the upstream's part and of the transaction

  /** The upstream's response is complete: store the teed copy. */
  upstreamComplete(): void {
    if (this.#state !== 'record' || this.#recorder === null) return;
    this.#unlock(this.#store());
  }

  /** Stores the teed copy once the response is whole; false when it is not (or not stored). */
  #store(): boolean {
    const recorder = this.#recorder;
    if (recorder === null) return false;
    this.#recorder = null;
    this.#state = 'pass';
    const decoded = recorder.decode(this.#host.snapshot.responseHeadLimits);
    // A close-delimited body is whole only if the upstream ended it.
    const whole = decoded !== undefined && (decoded.head.bodyKind !== 'close' || this.#upstreamEnded);
    const line = this.#stored ?? decoded?.head;
    const stored =
      whole &&
      this.#policy !== null &&
      this.#cache.put(this.#request, this.#policy, line!.status, line!.reason, decoded.body, this.#cookies);
    return stored;
  }

  /**
   * The client left while this transaction's response was being stored: a background fill may take
   * the attempt's upstream over (fillInBackground) and gives the Router's lease back when it is over.
   */
  fillWithoutClient(router: Router, lease: RouterLease, channel: UpstreamChannel, status: number): boolean {
    return this.fillInBackground(channel, (reusable) => {
      const durationMs = router.now() - lease.attemptStartedAt;
      const errorCode = reusable ? undefined : 'JCT_ERR_CLIENT_ABORTED';
      router.release(lease, reusable, { status, errorCode, durationMs });
    });
  }

  /**
   * The client went away while this response was being stored: when enough of its body has arrived
   * (cache.background_fill), the rest is read from `channel` into the cache, and `release` gives the
   * upstream back once it is over. True when the fill took the channel over.
   */
  fillInBackground(channel: UpstreamChannel, release: (reusable: boolean) => void): boolean {
    const recorder = this.#recorder;
    // Not while read-response hooks still decide whether it is stored.
    if (this.#state !== 'record' || recorder === null || this.#settle !== null) return false;
    const cache = this.#cache;
    const settings = cache.config.backgroundFill;
    const length = this.#length;
    if (!fillWorthwhile(settings.threshold, this.#bodySeen, length)) return false;
    if (!cache.fillStarted(length)) return false;
    // The fill owns the collapsing lock now: waiters go on when it stores or gives up.
    const locked = this.#locked;
    this.#locked = false;
    const timeouts = { idleMs: this.#host.timeouts.backendBodyMs, totalMs: settings.timeoutMs };
    const owed = length - this.#bodySeen;
    const done = (end: FillEnd, reusable: boolean): void => {
      cache.fillEnded(length);
      this.#locked = locked;
      const stored = end === 'complete' && this.#store();
      this.#unlock(stored);
      cache.background.fill[end === 'complete' ? (stored ? 'stored' : 'not-stored') : end]++;
      release(reusable);
    };
    if (owed <= 0) done('complete', owed === 0);
    else new BackgroundFill(channel, recorder, owed, timeouts, done);
    return true;
  }

  /**
   * The transaction is failing before anything went to the client: under stale-if-error, the stale
   * object answers instead. True when it does.
   */
  answerOnError(code: ErrorCode): boolean {
    const stale = this.#stale;
    if (stale === undefined || !UPSTREAM_FAILURES.has(code)) return false;
    if (!this.#cache.usableOnError(stale, this.#request.policyRequest.headers)) return false;
    this.#stale = undefined;
    this.#state = 'replaced';
    this.#host.releaseUpstream(false, 0, code);
    this.#decide('stale', `fwd=stale; detail=stale-if-error`);
    this.#unlock(false);
    this.#host.serveFromCache(this.#channelFor(stale, stale.policy.responseHeaders(), false));
    return true;
  }

  /** The transaction is over: a fill that did not store lets its waiters go. */
  ended(): void {
    this.#unlock(false);
    if (this.status !== undefined) this.#cache.count(this.status, this.#fromDisk);
  }

  #unlock(stored: boolean): void {
    if (!this.#locked) return;
    this.#locked = false;
    this.#cache.collapse.unlock(this.#request.key, stored ? 'stored' : 'not-stored');
  }
}

const NO_FIELDS: readonly string[] = [];

/** What a playback sends: the stored response, a 304, one range of it (206), or a 416. */
type Playback = 'whole' | 'not-modified' | 'unsatisfiable' | ByteSlice;

/**
 * Whether a client's conditional GET or HEAD is answered with a 304 from a stored response (RFC 9110
 * §13.1.2, §13.1.3): If-None-Match by weak comparison (or `*`); without it, If-Modified-Since at or
 * after the stored Last-Modified.
 */
function isNotModified(request: CachePolicy.Headers, stored: CachePolicy.Headers): boolean {
  const inm = request['if-none-match'];
  if (inm !== undefined) {
    const etag = stored['etag'];
    if (typeof etag !== 'string') return false;
    const list = (Array.isArray(inm) ? inm.join(',') : inm).split(',').map((tag) => tag.trim());
    const weak = (tag: string) => tag.replace(/^W\//, '');
    return list.some((tag) => tag === '*' || weak(tag) === weak(etag.trim()));
  }
  const ims = request['if-modified-since'];
  const lastModified = stored['last-modified'];
  if (typeof ims !== 'string' || typeof lastModified !== 'string') return false;
  const since = Date.parse(ims);
  const modified = Date.parse(lastModified);
  return Number.isFinite(since) && Number.isFinite(modified) && modified <= since;
}

const EMPTY = Buffer.alloc(0);
