/**
 * A small etcd v3 client over etcd's own JSON gateway (`/v3/...`, served on every client port) and
 * Node's http/https: ranges, puts, a compare-and-swap transaction, leases and watches. No npm client:
 * those bring gRPC and protobuf runtimes for six calls, and the gateway is part of every etcd release.
 * Endpoints are tried in turn: a request that cannot reach one moves to the next, and later requests
 * start from the one that last answered. Off the hot path: the proxy's data plane never waits on it.
 */
import http from 'node:http';
import https from 'node:https';
import { FleetError } from '../errors/index.ts';
import {
  decodeRange,
  decodeWatchFrame,
  encodeBytes,
  FrameSplitter,
  gatewayError,
  GRPC_UNAUTHENTICATED,
  headerRevision,
  int,
  prefixRangeEnd,
  type KeyValue,
  type RangeResult,
  type WatchFrame,
} from './etcd-codec.ts';

export interface EtcdTls {
  readonly ca?: string | undefined;
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
}

export type EtcdAuth =
  | { readonly kind: 'password'; readonly username: string; readonly password: string }
  | { readonly kind: 'token'; readonly token: string };

export interface EtcdClientOptions {
  /** `http://host:port` or `https://host:port`; at least one. */
  readonly endpoints: readonly string[];
  readonly tls?: EtcdTls | undefined;
  readonly auth?: EtcdAuth | undefined;
  /** A unary request (range, put, txn, lease) that takes longer fails; default 5 s. */
  readonly requestTimeoutMs?: number;
}

export interface Watch {
  /** Ends the watch; no callback runs after it. */
  close(): void;
}

export interface WatchHandlers {
  onFrame(frame: WatchFrame): void;
  /** The stream ended or failed (never after close()). */
  onEnd(error: Error): void;
}

const DEFAULT_TIMEOUT_MS = 5_000;

export class EtcdClient {
  readonly endpoints: readonly URL[];
  readonly #agentHttp = new http.Agent({ keepAlive: true, maxSockets: 8 });
  readonly #agentHttps: https.Agent | undefined;
  readonly #tls: { ca?: string; cert?: string; key?: string };
  readonly #auth: EtcdAuth | undefined;
  readonly #timeoutMs: number;
  #current = 0;
  #token: string | undefined;

  constructor(options: EtcdClientOptions) {
    if (options.endpoints.length === 0) throw new Error('etcd: no endpoint');
    this.endpoints = options.endpoints.map((endpoint) => new URL(endpoint));
    this.#auth = options.auth;
    this.#timeoutMs = options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (this.#auth?.kind === 'token') this.#token = this.#auth.token;
    const tls = options.tls;
    this.#tls = {
      ...(tls?.ca === undefined ? {} : { ca: tls.ca }),
      ...(tls?.cert === undefined ? {} : { cert: tls.cert }),
      ...(tls?.key === undefined ? {} : { key: tls.key }),
    };
    this.#agentHttps = this.endpoints.some((e) => e.protocol === 'https:')
      ? new https.Agent({ keepAlive: true, maxSockets: 8, ...this.#tls })
      : undefined;
  }

  /** The endpoint requests go to first now. */
  get endpoint(): string {
    return this.endpoints[this.#current]!.origin;
  }

  async get(key: string): Promise<{ revision: number; kv: KeyValue | undefined }> {
    const result = await this.range(key);
    return { revision: result.revision, kv: result.kvs[0] };
  }

  /** The key, or with `prefix` every key under it, and the revision the read saw. */
  async range(key: string, options: RangeOptions = {}): Promise<RangeResult> {
    const body = await this.#call('/v3/kv/range', { key: encodeBytes(key), ...rangeEnd(key, options) });
    return decodeRange(body);
  }

  async put(key: string, value: string | Buffer, options: { lease?: string } = {}): Promise<number> {
    const body = await this.#call('/v3/kv/put', {
      key: encodeBytes(key),
      value: encodeBytes(value),
      ...(options.lease === undefined ? {} : { lease: options.lease }),
    });
    return headerRevision(body);
  }

  /**
   * Writes `value` only if the key's mod_revision is still `modRevision` (0: the key must not exist):
   * etcd's compare-and-swap. `succeeded` false means someone else wrote it since it was read.
   */
  async putIfUnchanged(
    key: string,
    value: string | Buffer,
    modRevision: number,
  ): Promise<{ succeeded: boolean; revision: number }> {
    const k = encodeBytes(key);
    const body = await this.#call('/v3/kv/txn', {
      compare: [{ key: k, target: 'MOD', result: 'EQUAL', mod_revision: String(modRevision) }],
      success: [{ request_put: { key: k, value: encodeBytes(value) } }],
    });
    return {
      succeeded: (body as { succeeded?: boolean }).succeeded === true,
      revision: headerRevision(body),
    };
  }

  /**
   * A transaction: the writes and deletes happen only if every key's mod_revision is still the one
   * given (0: the key must not exist), all at one revision. `succeeded` false: nothing was written.
   */
  async txn(
    compare: readonly { readonly key: string; readonly modRevision: number }[],
    writes: readonly ({ readonly put: string; readonly value: string } | { readonly delete: string })[],
  ): Promise<{ succeeded: boolean; revision: number }> {
    const body = await this.#call('/v3/kv/txn', {
      compare: compare.map((c) => ({
        key: encodeBytes(c.key),
        target: 'MOD',
        result: 'EQUAL',
        mod_revision: String(c.modRevision),
      })),
      success: writes.map((w) =>
        'put' in w
          ? { request_put: { key: encodeBytes(w.put), value: encodeBytes(w.value) } }
          : { request_delete_range: { key: encodeBytes(w.delete) } },
      ),
    });
    return {
      succeeded: (body as { succeeded?: boolean }).succeeded === true,
      revision: headerRevision(body),
    };
  }

  async grantLease(ttlSeconds: number): Promise<{ id: string; ttl: number }> {
    const body = (await this.#call('/v3/lease/grant', { TTL: String(ttlSeconds) })) as Record<
      string,
      unknown
    >;
    if (typeof body['error'] === 'string' && body['error'] !== '')
      throw new FleetError('JCT_ERR_FLEET_UNAVAILABLE', `etcd: ${body['error']}`);
    return { id: String(body['ID']), ttl: int(body['TTL']) };
  }

  /** Renews a lease once; resolves with its TTL, 0 when the lease is gone (expired or revoked). */
  async keepAlive(id: string): Promise<number> {
    // The gateway maps the keep-alive stream onto one request: one renewal per POST.
    const body = (await this.#call('/v3/lease/keepalive', { ID: id })) as Record<string, unknown>;
    const result = (body['result'] ?? body) as Record<string, unknown>;
    return int(result['TTL']);
  }

  async revokeLease(id: string): Promise<void> {
    await this.#call('/v3/lease/revoke', { ID: id });
  }

  /**
   * Watches `key` (with `prefix`, every key under it) from `startRevision`: every change after the
   * revision a range returned is seen, none twice. One streaming POST on the current endpoint.
   */
  watch(key: string, options: RangeOptions & { startRevision: number }, handlers: WatchHandlers): Watch {
    const endpoint = this.endpoints[this.#current]!;
    let closed = false;
    let ended = false;
    const end = (error: Error): void => {
      if (closed || ended) return;
      ended = true;
      handlers.onEnd(error);
    };
    const body = JSON.stringify({
      create_request: {
        key: encodeBytes(key),
        ...rangeEnd(key, options),
        start_revision: String(options.startRevision),
      },
    });
    const request = this.#transport(endpoint).request(endpoint, {
      method: 'POST',
      path: '/v3/watch',
      // Its own connection: a stream that lasts for hours must not hold a pooled socket.
      agent: false,
      headers: this.#headers(body),
      ...this.#tlsOptions(endpoint),
    });
    request.on('response', (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        end(new FleetError('JCT_ERR_FLEET_UNAVAILABLE', `etcd watch: HTTP ${response.statusCode}`));
        return;
      }
      const splitter = new FrameSplitter();
      response.setEncoding('utf8');
      const deliver = (frames: unknown[]): void => {
        for (const frame of frames) {
          if (closed) return;
          handlers.onFrame(decodeWatchFrame(frame));
        }
      };
      response.on('data', (chunk: string) => {
        try {
          deliver(splitter.push(chunk));
        } catch (error) {
          request.destroy();
          end(error as Error);
        }
      });
      response.on('end', () => {
        try {
          deliver(splitter.end());
        } catch {
          // A cut frame at the end: the stream is over either way.
        }
        end(new FleetError('JCT_ERR_FLEET_UNAVAILABLE', 'etcd closed the watch'));
      });
      response.on('error', (error) => {
        end(error);
      });
    });
    request.on('error', (error) => {
      this.#rotate(endpoint);
      end(error);
    });
    request.end(body);
    return {
      close: () => {
        closed = true;
        request.destroy();
      },
    };
  }

  /** Closes pooled connections. */
  close(): void {
    this.#agentHttp.destroy();
    this.#agentHttps?.destroy();
  }

  /** A unary call, on each endpoint in turn until one answers; re-authenticates once on UNAUTHENTICATED. */
  async #call(path: string, payload: unknown): Promise<unknown> {
    if (this.#auth?.kind === 'password' && this.#token === undefined) await this.#authenticate();
    try {
      return await this.#callAnyEndpoint(path, payload);
    } catch (error) {
      if (
        error instanceof GatewayError &&
        error.grpcCode === GRPC_UNAUTHENTICATED &&
        this.#auth?.kind === 'password'
      ) {
        await this.#authenticate();
        return this.#callAnyEndpoint(path, payload);
      }
      throw error;
    }
  }

  async #authenticate(): Promise<void> {
    if (this.#auth?.kind !== 'password') return;
    this.#token = undefined;
    const body = (await this.#callAnyEndpoint('/v3/auth/authenticate', {
      name: this.#auth.username,
      password: this.#auth.password,
    })) as Record<string, unknown>;
    if (typeof body['token'] !== 'string') {
      throw new FleetError('JCT_ERR_FLEET_UNAVAILABLE', 'etcd: authentication gave no token');
    }
    this.#token = body['token'];
  }

  async #callAnyEndpoint(path: string, payload: unknown): Promise<unknown> {
    const errors: string[] = [];
    let tries = this.endpoints.length;
    while (tries-- > 0) {
      // Each turn takes the endpoint the last failure rotated to.
      const endpoint = this.endpoints[this.#current]!;
      try {
        return await this.#post(endpoint, path, payload);
      } catch (error) {
        // An answer from etcd (an auth or request error) is final; only an unreachable endpoint rotates.
        if (error instanceof GatewayError) throw error;
        errors.push(`${endpoint.origin}: ${(error as Error).message}`);
        this.#rotate(endpoint);
      }
    }
    throw new FleetError('JCT_ERR_FLEET_UNAVAILABLE', `etcd unreachable (${errors.join('; ')})`);
  }

  #rotate(failed: URL): void {
    if (this.endpoints[this.#current] === failed) this.#current = (this.#current + 1) % this.endpoints.length;
  }

  #transport(endpoint: URL): typeof http | typeof https {
    return endpoint.protocol === 'https:' ? https : http;
  }

  #tlsOptions(endpoint: URL): https.RequestOptions {
    return endpoint.protocol === 'https:' ? this.#tls : {};
  }

  #headers(body: string): http.OutgoingHttpHeaders {
    return {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      ...(this.#token === undefined ? {} : { authorization: this.#token }),
    };
  }

  #post(endpoint: URL, path: string, payload: unknown): Promise<unknown> {
    const body = JSON.stringify(payload);
    return new Promise((resolve, reject) => {
      const request = this.#transport(endpoint).request(endpoint, {
        method: 'POST',
        path,
        agent: endpoint.protocol === 'https:' ? this.#agentHttps : this.#agentHttp,
        headers: this.#headers(body),
        timeout: this.#timeoutMs,
      });
      request.on('timeout', () => {
        request.destroy(new Error(`no answer within ${this.#timeoutMs} ms`));
      });
      request.on('error', reject);
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
          } catch {
            reject(new Error(`HTTP ${response.statusCode}: not JSON`));
            return;
          }
          if (response.statusCode !== 200) {
            const { message, code } = gatewayError(parsed);
            reject(new GatewayError(`etcd: ${message}`, code));
            return;
          }
          resolve(parsed);
        });
      });
      request.end(body);
    });
  }
}

/** Which keys a range or watch covers: one, every key under it (`prefix`), or up to `end` (excluded). */
export interface RangeOptions {
  readonly prefix?: boolean;
  readonly end?: string;
}

function rangeEnd(key: string, options: RangeOptions): { range_end?: string } {
  if (options.end !== undefined) return { range_end: encodeBytes(options.end) };
  return options.prefix === true ? { range_end: prefixRangeEnd(key).toString('base64') } : {};
}

/** etcd answered with an error (as opposed to not answering). */
export class GatewayError extends FleetError {
  readonly grpcCode: number;
  constructor(message: string, grpcCode: number) {
    super('JCT_ERR_FLEET_UNAVAILABLE', message);
    this.grpcCode = grpcCode;
  }
}
