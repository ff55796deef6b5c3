import type { HttpParseError } from '../errors/index.ts';

/** Limits the head parsers enforce. Defaults live in config/defaults.ts. */
export interface HeadLimits {
  /** Request or response line plus all fields plus the blank line. Over it: 431 (requests). */
  readonly maxHeadBytes: number;
  /** Number of header fields. Over it: 431. */
  readonly maxHeaderCount: number;
  /** Request line length. Over it: 414. */
  readonly maxRequestLineBytes: number;
}

/**
 * How a message body is delimited (RFC 9112 §6.3).
 * - `none`: no body (no framing header on a request; HEAD/1xx/204/304 responses).
 * - `length`: exactly `contentLength` bytes.
 * - `chunked`: chunked transfer coding.
 * - `close`: until the connection closes (responses only).
 */
export type BodyKind = 'none' | 'length' | 'chunked' | 'close';

/** Fields every parsed head has. `headers` is flat: name, value, name, value, … (names as sent). */
interface MessageHead {
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  readonly versionMinor: 0 | 1;
  readonly headers: string[];
  readonly bodyKind: BodyKind;
  /** The body length when `bodyKind` is `length`, else -1. */
  readonly contentLength: number;
  /** Whether the sender allows the connection to be reused after this message (version and Connection). */
  readonly keepAlive: boolean;
  /** Lower-cased tokens of the Connection field(s): the extra hop-by-hop fields to drop. */
  readonly connectionTokens: readonly string[];
}

export interface RequestHead extends MessageHead {
  readonly method: string;
  /** The request-target exactly as sent (origin-form, absolute-form, authority-form or `*`). */
  readonly target: string;
  /** Lower-cased host without port, from the absolute-form target if present, else the Host field; '' if none. */
  readonly host: string;
  /** The port from the authority, or '' if none was given. */
  readonly port: string;
  /** The path of the target (origin-form path, or the path of an absolute-form target), without the query. */
  readonly path: string;
  /** The query string including its leading '?', or ''. */
  readonly query: string;
  readonly expectContinue: boolean;
  /** The request asks for a protocol upgrade (Connection: upgrade plus an Upgrade field). */
  readonly upgrade: boolean;
  /**
   * `host[:port]` as the client asked for it, kept by the first rewrite of the host (a hook's or rule's
   * setHost) for X-Forwarded-Host; absent while the host is the client's. Set only on that rare path,
   * so parsed heads keep one shape.
   */
  readonly clientAuthority?: string;
}

export interface ResponseHead extends MessageHead {
  readonly status: number;
  readonly reason: string;
}

export type HeadStep<H> =
  | { readonly kind: 'need-more' }
  | { readonly kind: 'done'; readonly head: H; readonly consumed: number }
  | { readonly kind: 'reject'; readonly error: HttpParseError };

/** Receives the pieces of a chunked body as the decoder finds them. */
export interface ChunkSink {
  /** A run of body bytes (chunk data only, framing removed). The buffer may be reused after the call. */
  onData(buf: Buffer, start: number, end: number): void;
  /** The last chunk and the trailer section have been read. */
  onEnd(): void;
}

/**
 * The result of feeding bytes to a body decoder: how many bytes of the input belong to this body
 * (the rest belongs to the next message on the connection), or an error.
 */
export type DecodeStep =
  | { readonly kind: 'ok'; readonly consumed: number; readonly done: boolean }
  | { readonly kind: 'reject'; readonly error: HttpParseError };
