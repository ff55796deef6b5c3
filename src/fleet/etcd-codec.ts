/**
 * The JSON shapes of etcd v3's gRPC gateway, sans-io: keys and values are base64, 64-bit integers are
 * decimal strings, a watch answers with a stream of newline-separated JSON objects. Pure functions, so
 * the client (etcd-client.ts) stays a thin transport and this part is unit-tested without an etcd.
 */

/** One key as etcd stores it. Revisions are safe integers: a cluster would need 2^53 writes to pass. */
export interface KeyValue {
  readonly key: string;
  readonly value: Buffer;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly version: number;
  /** The lease the key is attached to, as etcd's decimal string; '0' for none. */
  readonly lease: string;
}

export interface RangeResult {
  /** The store's revision when the range was read: a watch from revision + 1 misses nothing. */
  readonly revision: number;
  readonly kvs: readonly KeyValue[];
}

export interface WatchEvent {
  readonly type: 'put' | 'delete';
  readonly kv: KeyValue;
}

/** What one watch frame says. */
export type WatchFrame =
  | { readonly kind: 'created'; readonly revision: number }
  | { readonly kind: 'events'; readonly revision: number; readonly events: readonly WatchEvent[] }
  /** The start revision was compacted away: events were lost, the watcher must read afresh. */
  | { readonly kind: 'compacted'; readonly compactRevision: number }
  | { readonly kind: 'canceled'; readonly reason: string }
  /** A progress notification or anything else carrying no events. */
  | { readonly kind: 'progress'; readonly revision: number }
  | { readonly kind: 'error'; readonly message: string };

export function encodeBytes(text: string | Buffer): string {
  return (typeof text === 'string' ? Buffer.from(text, 'utf8') : text).toString('base64');
}

export function decodeText(base64: unknown): string {
  return typeof base64 === 'string' ? Buffer.from(base64, 'base64').toString('utf8') : '';
}

/**
 * The `range_end` that makes a range cover every key starting with `prefix`: the prefix with its last
 * byte below 0xff incremented and what follows dropped (etcd's own clientv3.GetPrefixRangeEnd).
 * A prefix of only 0xff bytes (or empty) ranges to the end of the keyspace: `\0`.
 */
export function prefixRangeEnd(prefix: string): Buffer {
  const bytes = Buffer.from(prefix, 'utf8');
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i]! < 0xff) {
      const end = Buffer.from(bytes.subarray(0, i + 1));
      end[i] = bytes[i]! + 1;
      return end;
    }
  }
  return Buffer.from([0]);
}

/** etcd's int64 fields: a decimal string, absent when zero (proto3 drops defaults). */
export function int(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  return 0;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

export function decodeKeyValue(raw: unknown): KeyValue {
  const kv = record(raw);
  return {
    key: decodeText(kv['key']),
    value: typeof kv['value'] === 'string' ? Buffer.from(kv['value'], 'base64') : Buffer.alloc(0),
    createRevision: int(kv['create_revision']),
    modRevision: int(kv['mod_revision']),
    version: int(kv['version']),
    lease: typeof kv['lease'] === 'string' ? kv['lease'] : '0',
  };
}

export function headerRevision(body: unknown): number {
  return int(record(record(body)['header'])['revision']);
}

export function decodeRange(body: unknown): RangeResult {
  const kvs = record(body)['kvs'];
  return {
    revision: headerRevision(body),
    kvs: Array.isArray(kvs) ? kvs.map(decodeKeyValue) : [],
  };
}

/** One object of a watch stream (`{"result": {...}}` or `{"error": {...}}`). */
export function decodeWatchFrame(raw: unknown): WatchFrame {
  const frame = record(raw);
  if (frame['error'] !== undefined) {
    const error = record(frame['error']);
    return { kind: 'error', message: text(error['message']) ?? text(error['error']) ?? 'watch failed' };
  }
  const result = record(frame['result']);
  const revision = headerRevision(result);
  const compactRevision = int(result['compact_revision']);
  if (compactRevision > 0) return { kind: 'compacted', compactRevision };
  if (result['canceled'] === true) {
    return { kind: 'canceled', reason: text(result['cancel_reason']) ?? 'the watch was canceled' };
  }
  if (result['created'] === true) return { kind: 'created', revision };
  const events = result['events'];
  if (Array.isArray(events) && events.length > 0) {
    return {
      kind: 'events',
      revision,
      events: events.map((event) => {
        const e = record(event);
        return { type: e['type'] === 'DELETE' ? 'delete' : 'put', kv: decodeKeyValue(e['kv']) };
      }),
    };
  }
  return { kind: 'progress', revision };
}

/**
 * Splits a watch stream into JSON objects. The gateway writes one object per line; this also copes
 * with a line split across chunks, and with several objects in one chunk.
 */
export class FrameSplitter {
  #pending = '';
  /** Bytes buffered without a newline: a frame past this is a broken stream, not a big event. */
  static readonly MAX_FRAME_BYTES = 64 * 1024 * 1024;

  push(chunk: string): unknown[] {
    this.#pending += chunk;
    const frames: unknown[] = [];
    let newline = this.#pending.indexOf('\n');
    while (newline >= 0) {
      const line = this.#pending.slice(0, newline).trim();
      this.#pending = this.#pending.slice(newline + 1);
      if (line !== '') frames.push(JSON.parse(line) as unknown);
      newline = this.#pending.indexOf('\n');
    }
    if (this.#pending.length > FrameSplitter.MAX_FRAME_BYTES) {
      throw new Error('a watch frame is larger than 64 MiB');
    }
    return frames;
  }

  /** What is left when the stream ends (a last object without its newline). */
  end(): unknown[] {
    const line = this.#pending.trim();
    this.#pending = '';
    return line === '' ? [] : [JSON.parse(line) as unknown];
  }
}

/** The message of a gateway error body (`{"error": "...", "code": 16, "message": "..."}`). */
export function gatewayError(body: unknown): { message: string; code: number } {
  const b = record(body);
  return { message: text(b['message']) ?? text(b['error']) ?? 'request failed', code: int(b['code']) };
}

/** gRPC's UNAUTHENTICATED: the token expired or is invalid; authenticate again. */
export const GRPC_UNAUTHENTICATED = 16;
