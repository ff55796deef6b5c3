import type { Transform } from 'node:stream';
import { constants as zlib, createBrotliCompress, createGzip } from 'node:zlib';
import type { RequestHead, ResponseHead } from '../codec/types.ts';
import { CONTENT_CODINGS, negotiateEncoding, type ContentCoding } from './accept-encoding.ts';
import { appendVary, headerValue, setHeader } from './headers.ts';
import { compileMediaTypes, mediaTypeOf } from './media-types.ts';
import {
  forbidsTransform,
  hasContentCoding,
  markContentRewritten,
  responseHasRewritableBody,
} from './message-rules.ts';
import type { BodyTransform, ResponseTransformFactory } from './types.ts';

/** Content types worth compressing: text, and the structured text formats served most. */
export const DEFAULT_COMPRESSIBLE_TYPES: readonly string[] = [
  'text/*',
  'application/json',
  'application/javascript',
  'application/xml',
  'image/svg+xml',
  '*/*+json',
  '*/*+xml',
];

/** Below this Content-Length the coding's overhead eats most of the gain. */
export const DEFAULT_COMPRESS_MIN_SIZE = 1024;

/** zlib level for on-the-fly gzip: close to level 6's size for clearly less CPU. */
export const DEFAULT_GZIP_LEVEL = 5;

/** Brotli quality for on-the-fly use: smaller than gzip 5 at about its speed; 11 is for static files. */
export const DEFAULT_BROTLI_QUALITY = 4;

/**
 * Brotli's window, as log2 bytes (256 KiB). The default (4 MiB) costs about 4 MiB per response in
 * flight for large bodies; 256 KiB keeps a stream near 1.3 MiB for a few percent of size on multi-MiB
 * bodies, and nothing on bodies smaller than the window.
 */
const BROTLI_WINDOW_BITS = 18;

export interface CompressOptions {
  /** The codings to offer, in order of preference when a client weighs them equally. Default: br, gzip. */
  readonly encodings?: readonly ContentCoding[] | undefined;
  /** Bodies whose Content-Length is below this are sent as they are. Unknown lengths are compressed. */
  readonly minSize?: number | undefined;
  /** Media-type patterns of compressible bodies (see compileMediaTypes). Default: DEFAULT_COMPRESSIBLE_TYPES. */
  readonly types?: readonly string[] | undefined;
  /** gzip level, 1 (fastest) to 9 (smallest). Default: 5. */
  readonly gzipLevel?: number | undefined;
  /** Brotli quality, 0 (fastest) to 11 (smallest). Default: 4. */
  readonly brotliQuality?: number | undefined;
}

interface Settings {
  readonly encodings: readonly ContentCoding[];
  readonly minSize: number;
  readonly isCompressible: (mediaType: string) => boolean;
  readonly gzipLevel: number;
  readonly brotliQuality: number;
}

/**
 * Compresses response bodies with the best coding the client accepts (gzip or brotli). The factory
 * returns undefined, leaving the response alone, when:
 * - the request is HEAD, or the response is 1xx, 204, 206 or 304, or has an empty body;
 * - the response already has a Content-Encoding other than identity;
 * - the response or the request says Cache-Control: no-transform;
 * - the Content-Type is missing or not compressible, or the Content-Length is below minSize;
 * - the client accepts none of the codings (see negotiateEncoding).
 * A compressed response gets Content-Encoding, Vary: Accept-Encoding, a weak ETag, and loses
 * Accept-Ranges and digests of the old bytes. Throws on invalid options.
 */
export function compressResponse(options: CompressOptions = {}): ResponseTransformFactory {
  const settings = settingsFrom(options);
  return (request, response) => {
    const encoding = chooseEncoding(settings, request, response);
    if (encoding === undefined) return undefined;
    return compression(encoding, settings, response.bodyKind === 'length' ? response.contentLength : -1);
  };
}

function chooseEncoding(
  settings: Settings,
  request: RequestHead,
  response: ResponseHead,
): ContentCoding | undefined {
  if (!responseHasRewritableBody(request, response)) return undefined;
  const headers = response.headers;
  if (hasContentCoding(headers) || forbidsTransform(headers) || forbidsTransform(request.headers))
    return undefined;
  if (response.bodyKind === 'length' && response.contentLength < settings.minSize) return undefined;
  if (!settings.isCompressible(mediaTypeOf(headerValue(headers, 'content-type')))) return undefined;
  return negotiateEncoding(headerValue(request.headers, 'accept-encoding'), settings.encodings);
}

function compression(encoding: ContentCoding, settings: Settings, knownLength: number): BodyTransform {
  return {
    name: `compress-${encoding}`,
    editHead(headers) {
      setHeader(headers, 'Content-Encoding', encoding);
      appendVary(headers, 'Accept-Encoding');
      markContentRewritten(headers);
    },
    stream: () =>
      encoding === 'gzip'
        ? createGzip({ level: settings.gzipLevel })
        : createBrotli(settings.brotliQuality, knownLength),
    flush(stream) {
      // A sync flush ends the current block but keeps the dictionary: little cost in size.
      if (isFlushable(stream))
        stream.flush(encoding === 'gzip' ? zlib.Z_SYNC_FLUSH : zlib.BROTLI_OPERATION_FLUSH);
    },
  };
}

function createBrotli(quality: number, knownLength: number): Transform {
  const params: Record<number, number> = {
    [zlib.BROTLI_PARAM_QUALITY]: quality,
    [zlib.BROTLI_PARAM_LGWIN]: BROTLI_WINDOW_BITS,
    [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT,
  };
  // A known size lets the encoder size its buffers to the body instead of to the window.
  if (knownLength > 0) params[zlib.BROTLI_PARAM_SIZE_HINT] = Math.min(knownLength, 2 ** 31 - 1);
  return createBrotliCompress({ params });
}

function isFlushable(stream: Transform): stream is Transform & { flush(kind: number): void } {
  return 'flush' in stream && typeof stream.flush === 'function';
}

function settingsFrom(options: CompressOptions): Settings {
  const encodings = options.encodings ?? CONTENT_CODINGS;
  if (encodings.length === 0) throw new Error('compress: encodings must name at least one coding');
  for (const coding of encodings) {
    if (!CONTENT_CODINGS.includes(coding)) {
      throw new Error(`compress: unknown coding "${coding}" (known: ${CONTENT_CODINGS.join(', ')})`);
    }
  }
  if (new Set(encodings).size !== encodings.length)
    throw new Error('compress: encodings names a coding twice');
  return {
    encodings: [...encodings],
    minSize: integerIn('minSize', options.minSize, DEFAULT_COMPRESS_MIN_SIZE, 0, Number.MAX_SAFE_INTEGER),
    isCompressible: compileMediaTypes(options.types ?? DEFAULT_COMPRESSIBLE_TYPES),
    gzipLevel: integerIn('gzipLevel', options.gzipLevel, DEFAULT_GZIP_LEVEL, 1, 9),
    brotliQuality: integerIn('brotliQuality', options.brotliQuality, DEFAULT_BROTLI_QUALITY, 0, 11),
  };
}

function integerIn(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`compress: ${name} must be an integer from ${min} to ${max}, not ${value}`);
  }
  return value;
}
