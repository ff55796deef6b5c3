/**
 * The response body on its way to the client: the framing it gets there (kept, re-framed as chunked,
 * or close-delimited for HTTP/1.0), the small-body path (a whole small response in one write), and
 * response transforms. The forwarder exists only while a body streams; the transaction owns when the
 * upstream is released and when the session hears the response is done.
 */
import { ChunkedDecoder, TRAILER_FIELDS_DROPPED } from '../codec/index.ts';
import type { ResponseHead } from '../codec/types.ts';
import type { HttpParseError } from '../errors/index.ts';
import { TransformChain, type BodyTransform } from '../transforms/index.ts';
import { ChainOutputSink, ResponseChunkSink } from './body-sinks.ts';
import type { ResponseBodyEvents } from './body-events.ts';
import { clientFramingFor } from './forward-heads.ts';
import { endFramed, writeFramed, type BodyFraming, type FrameSink } from './framed-writer.ts';
import type { SessionPort } from './session-port.ts';

/** The last chunk with the upstream's trailer fields (flat name, value pairs), minus those a trailer
 * section never carries forward (codec's TRAILER_FIELDS_DROPPED). */
export function lastChunkWith(trailers: readonly string[]): string {
  let out = '0\r\n';
  for (let i = 0; i < trailers.length; i += 2) {
    if (!TRAILER_FIELDS_DROPPED.has(trailers[i]!.toLowerCase()))
      out += `${trailers[i]}: ${trailers[i + 1]}\r\n`;
  }
  return out + '\r\n';
}

/** Responses up to this size that arrive whole are written to the client in one buffer. */
export const SMALL_BODY_BYTES = 16 * 1024;

/**
 * The client-side framing of a response: its own when the hops agree; a transformed body's length is
 * unknown, so it goes chunked (close-delimited to an HTTP/1.0 client).
 */
export function responseFraming(
  response: ResponseHead,
  clientVersionMinor: 0 | 1,
  transformed: boolean,
): BodyFraming {
  if (!transformed) return clientFramingFor(response, clientVersionMinor);
  return clientVersionMinor === 1 ? 'chunked' : 'close';
}

/** Whether `response` ends at its head: no body, or an empty one. */
export function isBodyless(response: ResponseHead): boolean {
  return response.bodyKind === 'none' || (response.bodyKind === 'length' && response.contentLength === 0);
}

/** Whether the whole (small, length-framed) body of `response` is in `buf` from `offset` on. */
export function isWholeSmallBody(response: ResponseHead, buf: Buffer, offset: number): boolean {
  return (
    response.bodyKind === 'length' &&
    response.contentLength <= SMALL_BODY_BYTES &&
    buf.length - offset >= response.contentLength
  );
}

/** The head and the body in one buffer: one write() syscall, no writev bookkeeping. */
export function headAndBody(headText: string, buf: Buffer, offset: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(headText.length + length);
  out.write(headText, 0, 'latin1');
  buf.copy(out, headText.length, offset, offset + length);
  return out;
}

/**
 * What became of body bytes fed: all taken (`flushed`), taken but the client is the slow side now
 * (`full`), the upstream's body is complete (`complete`), or its chunk framing is invalid (`invalid`).
 */
export type ResponseFeed = 'flushed' | 'full' | 'complete' | 'invalid';

/** What the forwarder needs from its transaction. */
export interface ResponseBodyHost {
  /** The transaction is over (cut, or the client left): chain output is dropped. */
  readonly isFinished: boolean;
  /** The response transforms have room again: read the upstream again. */
  responseChainDrained(): void;
  /** The transformed body reached the client whole (its framing's end is written). */
  responseDelivered(): void;
  chainFailed(error: Error): void;
}

export class ResponseBodyForwarder implements ResponseBodyEvents {
  /** Bytes came past the end of the body: the upstream connection is out of step, not reusable. */
  overran = false;
  /** Why a chunked body was refused (`invalid`). */
  error: HttpParseError | null = null;
  readonly framing: BodyFraming;
  readonly #host: ResponseBodyHost;
  readonly #session: SessionPort;
  readonly #client: FrameSink;
  readonly #kind: ResponseHead['bodyKind'];
  #remaining: number;
  readonly #decoder: ChunkedDecoder | null;
  #chunkSink: ResponseChunkSink | null = null;
  /** Response transforms: upstream body → chain → client. */
  readonly #chain: TransformChain | null;
  /** The chain's input is full: the upstream waits for its drain. */
  #chainFull = false;

  constructor(
    host: ResponseBodyHost,
    session: SessionPort,
    response: ResponseHead,
    framing: BodyFraming,
    transforms: BodyTransform[] | null,
    maxTrailerBytes: number,
  ) {
    this.#host = host;
    this.#session = session;
    this.#client = session.clientStream;
    this.framing = framing;
    this.#kind = response.bodyKind;
    this.#chain = transforms === null ? null : new TransformChain(transforms, new ChainOutputSink(this));
    this.#remaining = response.bodyKind === 'length' ? response.contentLength : 0;
    this.#decoder = response.bodyKind === 'chunked' ? new ChunkedDecoder('upstream', maxTrailerBytes) : null;
    // Chunked to chunked, untransformed: the upstream's trailers (gRPC's status) go on to the client.
    if (framing === 'chunked' && transforms === null) this.#decoder?.keepTrailers();
  }

  get isTransformed(): boolean {
    return this.#chain !== null;
  }

  /** Forwards the body bytes of `buf` from `start` on. */
  feed(buf: Buffer, start: number): ResponseFeed {
    const session = this.#session;
    switch (this.#kind) {
      case 'length': {
        const n = Math.min(this.#remaining, buf.length - start);
        const data = start === 0 && n === buf.length ? buf : buf.subarray(start, start + n);
        const flushed = this.#chain === null ? session.writeClient(data) : this.#writeBody(data);
        this.#remaining -= n;
        if (start + n < buf.length) this.overran = true;
        if (this.#remaining === 0) return 'complete';
        return flushed ? 'flushed' : 'full';
      }
      case 'chunked': {
        session.corkClient();
        const step = this.#decoder!.feed(
          buf,
          start,
          buf.length,
          (this.#chunkSink ??= new ResponseChunkSink(this)),
        );
        session.uncorkClient();
        if (step.kind === 'reject') {
          this.error = step.error;
          return 'invalid';
        }
        if (start + step.consumed < buf.length) this.overran = true;
        if (step.done) return 'complete';
        return (this.#chain === null ? !session.clientNeedsDrain : !this.#chainFull) ? 'flushed' : 'full';
      }
      case 'close':
        return this.#writeBody(start === 0 ? buf : buf.subarray(start)) ? 'flushed' : 'full';
      case 'none':
        return 'flushed';
    }
  }

  /** The upstream's FIN: the end of a close-delimited body. False when the body is not close-delimited. */
  upstreamEnded(): boolean {
    if (this.#kind !== 'close') return false;
    if (this.#chain === null) endFramed(this.#client, this.framing);
    return true;
  }

  /** The upstream's part is over: the transforms get their end (and deliver the rest). */
  endTransforms(): void {
    this.#chain?.end();
  }

  /** The client drained: true when the transforms take that (they write again), false for the upstream. */
  clientDrained(): boolean {
    if (this.#chain === null) return false;
    this.#chain.resumeOutput();
    return true;
  }

  destroy(): void {
    this.#chain?.destroy();
  }

  #writeBody(data: Buffer): boolean {
    const chain = this.#chain;
    if (chain !== null) {
      if (!chain.write(data)) this.#chainFull = true;
      return !this.#chainFull;
    }
    return writeFramed(this.#client, this.framing, data);
  }

  // ResponseBodyEvents

  responseBody(data: Buffer): void {
    this.#writeBody(data);
  }

  responseBodyEnded(): void {
    if (this.#chain !== null) return;
    const trailers = this.framing === 'chunked' ? this.#decoder?.trailerFields() : undefined;
    if (trailers !== undefined && trailers.length > 0) this.#client.write(lastChunkWith(trailers), 'latin1');
    else endFramed(this.#client, this.framing);
  }

  chainOutput(data: Buffer): boolean {
    if (this.#host.isFinished) return true;
    return writeFramed(this.#client, this.framing, data);
  }

  chainEnded(): void {
    if (this.#host.isFinished) return;
    endFramed(this.#client, this.framing);
    this.#host.responseDelivered();
  }

  chainDrained(): void {
    this.#chainFull = false;
    this.#host.responseChainDrained();
  }

  chainFailed(error: Error): void {
    this.#host.chainFailed(error);
  }
}
