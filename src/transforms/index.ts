/**
 * transforms: body transforms, Traffic Server's transform hooks without the sockets. A BodyTransform
 * is a Node Transform stream (Buffers in, Buffers out) plus the head edits its output needs; factories
 * decide per message whether one applies. Owns: the BodyTransform types, the TransformPipe that runs
 * one stream between a producer and a consumer with backpressure both ways, header-list helpers, and
 * the built-ins (compressResponse: gzip and brotli with Accept-Encoding negotiation; replaceText).
 * Does not: touch sockets, sessions or transactions, frame bodies (the caller removes Content-Length
 * and Transfer-Encoding and re-frames), or read config files.
 * Used by: transaction/. Uses: codec/ types, node:stream, node:zlib.
 */
export type {
  BodyTransform,
  MessageTransformFactory,
  RequestTransformFactory,
  ResponseTransformFactory,
} from './types.ts';
export { TransformPipe, type TransformSink } from './transform-pipe.ts';
export { TransformChain } from './transform-chain.ts';
export {
  appendVary,
  hasListToken,
  headerValue,
  removeFramingFields,
  removeHeader,
  setHeader,
  weakenETag,
} from './headers.ts';
export {
  forbidsTransform,
  hasBody,
  hasContentCoding,
  markContentRewritten,
  responseHasRewritableBody,
} from './message-rules.ts';
export { compileMediaTypes, mediaTypeOf, type MediaTypeMatcher } from './media-types.ts';
export {
  CONTENT_CODINGS,
  negotiateEncoding,
  parseAcceptEncoding,
  type ContentCoding,
} from './accept-encoding.ts';
export {
  compressResponse,
  DEFAULT_BROTLI_QUALITY,
  DEFAULT_COMPRESS_MIN_SIZE,
  DEFAULT_COMPRESSIBLE_TYPES,
  DEFAULT_GZIP_LEVEL,
  type CompressOptions,
} from './compress.ts';
export {
  DEFAULT_REPLACE_TYPES,
  ReplaceStream,
  replaceText,
  type Replacement,
  type ReplaceTextOptions,
} from './replace-text.ts';
