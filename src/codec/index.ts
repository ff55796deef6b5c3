/**
 * codec: sans-io HTTP/1.1, bytes in and values out.
 * - Parses request heads (from clients) and response heads (from upstreams) strictly: anything two
 *   parsers could read differently is refused, so Junction never forwards an ambiguous message.
 * - Decodes chunked bodies incrementally and writes heads and chunk framing back out.
 * - Returns need-more / done / reject values; never throws on network bytes.
 * Does not: touch sockets or timers, write to the buffers it reads, keep per-connection state outside a
 * ChunkedDecoder, decide what to do with a rejected message (session/), or rewrite fields (transaction/).
 * Used by: session/ (request heads), transaction/ (response heads, bodies, serializing). Uses: errors/.
 */
export type {
  BodyKind,
  ChunkSink,
  DecodeStep,
  HeadLimits,
  HeadStep,
  RequestHead,
  ResponseHead,
} from './types.ts';
export { parseRequestHead, MAX_LEADING_EMPTY_LINES } from './request-head.ts';
export { parseResponseHead } from './response-head.ts';
export { ChunkedDecoder, DEFAULT_MAX_TRAILER_BYTES, MAX_CHUNK_SIZE_LINE_BYTES } from './chunked.ts';
export { NEED_MORE } from './steps.ts';
export { CONNECTION_SPECIFIC_FIELDS, HOP_BY_HOP_FIELDS, TRAILER_FIELDS_DROPPED } from './field-lists.ts';
export {
  CRLF,
  LAST_CHUNK,
  chunkHeader,
  isHopByHop,
  isValidFieldName,
  isValidFieldValue,
  serializeRequestHead,
  serializeResponseHead,
  statusText,
} from './serialize.ts';
