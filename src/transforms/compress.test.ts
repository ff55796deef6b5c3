import { createHash, randomBytes } from 'node:crypto';
import { brotliDecompressSync, constants as zlib, createGunzip, gunzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import type { RequestHead, ResponseHead } from '../codec/types.ts';
import { compressResponse, type CompressOptions } from './compress.ts';
import { requestHead, responseHead } from './heads.test-suite.ts';
import { RecordingSink, runThrough, turns } from './sink.test-suite.ts';
import { TransformPipe } from './transform-pipe.ts';
import type { BodyTransform } from './types.ts';

const HTML = ['Content-Type: text/html; charset=utf-8', 'Content-Length: 5000'];

function decide(
  requestFields: readonly string[],
  responseFields: readonly string[],
  options: CompressOptions = {},
  statusLine?: string,
  requestLine?: string,
): string | undefined {
  const request = requestHead(requestFields, requestLine);
  const response = responseHead(responseFields, statusLine, request.method);
  return compressResponse(options)(request, response)?.name;
}

function mustCompress(
  request: RequestHead,
  response: ResponseHead,
  options: CompressOptions = {},
): BodyTransform {
  const transform = compressResponse(options)(request, response);
  if (transform === undefined) throw new Error('expected the response to be compressed');
  return transform;
}

describe('compressResponse: when it applies', () => {
  test.each<[string, readonly string[], readonly string[], string | undefined, string?, string?]>([
    ['gzip only', ['Accept-Encoding: gzip'], HTML, 'compress-gzip'],
    ['br preferred on a tie', ['Accept-Encoding: gzip, deflate, br'], HTML, 'compress-br'],
    ['q-values decide', ['Accept-Encoding: br;q=0.5, gzip'], HTML, 'compress-gzip'],
    ['no Accept-Encoding', [], HTML, undefined],
    ['nothing acceptable', ['Accept-Encoding: deflate, zstd'], HTML, undefined],
    ['gzip;q=0', ['Accept-Encoding: gzip;q=0'], HTML, undefined],
    ['already encoded', ['Accept-Encoding: gzip'], [...HTML, 'Content-Encoding: br'], undefined],
    [
      'identity coding is not encoded',
      ['Accept-Encoding: gzip'],
      [...HTML, 'Content-Encoding: identity'],
      'compress-gzip',
    ],
    [
      'no-transform on the response',
      ['Accept-Encoding: gzip'],
      [...HTML, 'Cache-Control: public, no-transform'],
      undefined,
    ],
    [
      'no-transform on the request',
      ['Accept-Encoding: gzip', 'Cache-Control: no-transform'],
      HTML,
      undefined,
    ],
    ['no Content-Type', ['Accept-Encoding: gzip'], ['Content-Length: 5000'], undefined],
    ['image/png', ['Accept-Encoding: gzip'], ['Content-Type: image/png', 'Content-Length: 5000'], undefined],
    [
      'application/json',
      ['Accept-Encoding: gzip'],
      ['Content-Type: application/json', 'Content-Length: 5000'],
      'compress-gzip',
    ],
    [
      'a +json type',
      ['Accept-Encoding: gzip'],
      ['Content-Type: application/problem+json', 'Content-Length: 5000'],
      'compress-gzip',
    ],
    [
      'image/svg+xml',
      ['Accept-Encoding: gzip'],
      ['Content-Type: image/svg+xml', 'Content-Length: 5000'],
      'compress-gzip',
    ],
    [
      'below minSize',
      ['Accept-Encoding: gzip'],
      ['Content-Type: text/plain', 'Content-Length: 1023'],
      undefined,
    ],
    [
      'at minSize',
      ['Accept-Encoding: gzip'],
      ['Content-Type: text/plain', 'Content-Length: 1024'],
      'compress-gzip',
    ],
    ['empty body', ['Accept-Encoding: gzip'], ['Content-Type: text/plain', 'Content-Length: 0'], undefined],
    [
      'chunked (unknown length)',
      ['Accept-Encoding: gzip'],
      ['Content-Type: text/plain', 'Transfer-Encoding: chunked'],
      'compress-gzip',
    ],
    ['close-delimited', ['Accept-Encoding: gzip'], ['Content-Type: text/plain'], 'compress-gzip'],
    ['204', ['Accept-Encoding: gzip'], ['Content-Type: text/plain'], undefined, 'HTTP/1.1 204 No Content'],
    ['304', ['Accept-Encoding: gzip'], HTML, undefined, 'HTTP/1.1 304 Not Modified'],
    ['206', ['Accept-Encoding: gzip'], HTML, undefined, 'HTTP/1.1 206 Partial Content'],
    ['404 with a body', ['Accept-Encoding: gzip'], HTML, 'compress-gzip', 'HTTP/1.1 404 Not Found'],
    ['HEAD', ['Accept-Encoding: gzip'], HTML, undefined, 'HTTP/1.1 200 OK', 'HEAD / HTTP/1.1'],
  ])('%s', (_name, requestFields, responseFields, expected, statusLine, requestLine) => {
    expect(decide(requestFields, responseFields, {}, statusLine, requestLine)).toBe(expected);
  });

  test('1xx responses are left alone', () => {
    const request = requestHead(['Accept-Encoding: gzip']);
    expect(
      compressResponse()(request, responseHead(['Content-Type: text/plain'], 'HTTP/1.1 103 Early Hints')),
    ).toBeUndefined();
  });

  test('options: encodings and their order, minSize, types', () => {
    expect(decide(['Accept-Encoding: gzip, br'], HTML, { encodings: ['gzip', 'br'] })).toBe('compress-gzip');
    expect(decide(['Accept-Encoding: br'], HTML, { encodings: ['gzip'] })).toBeUndefined();
    expect(
      decide(['Accept-Encoding: gzip'], ['Content-Type: text/plain', 'Content-Length: 10'], { minSize: 0 }),
    ).toBe('compress-gzip');
    expect(decide(['Accept-Encoding: gzip'], HTML, { minSize: 5001 })).toBeUndefined();
    expect(decide(['Accept-Encoding: gzip'], HTML, { types: ['application/json'] })).toBeUndefined();
    expect(
      decide(['Accept-Encoding: gzip'], ['Content-Type: application/wasm', 'Content-Length: 5000'], {
        types: ['application/wasm'],
      }),
    ).toBe('compress-gzip');
  });

  test.each<[string, CompressOptions, RegExp]>([
    ['no encodings', { encodings: [] }, /at least one/],
    ['an unknown coding', { encodings: ['zstd' as 'gzip'] }, /unknown coding "zstd"/],
    ['a coding twice', { encodings: ['gzip', 'gzip'] }, /twice/],
    ['a negative minSize', { minSize: -1 }, /minSize/],
    ['a fractional minSize', { minSize: 1.5 }, /minSize/],
    ['gzip level 0', { gzipLevel: 0 }, /gzipLevel/],
    ['brotli quality 12', { brotliQuality: 12 }, /brotliQuality/],
    ['a malformed type', { types: ['html'] }, /not a media type pattern/],
  ])('rejects %s', (_name, options, message) => {
    expect(() => compressResponse(options)).toThrow(message);
  });
});

describe('compressResponse: head edits', () => {
  test('sets Content-Encoding, adds Vary, weakens the ETag, drops byte-exact fields, leaves framing alone', () => {
    const request = requestHead(['Accept-Encoding: br']);
    const response = responseHead([
      'Content-Type: text/html',
      'Content-Length: 5000',
      'ETag: "v1"',
      'Vary: Origin',
      'Accept-Ranges: bytes',
      'Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==',
      'Cache-Control: max-age=60',
    ]);
    const headers = [...response.headers];
    mustCompress(request, response).editHead?.(headers);
    expect(headers).toEqual([
      'Content-Type',
      'text/html',
      'Content-Length',
      '5000',
      'ETag',
      'W/"v1"',
      'Vary',
      'Origin, Accept-Encoding',
      'Cache-Control',
      'max-age=60',
      'Content-Encoding',
      'br',
    ]);
  });

  test('Vary is not duplicated, and Content-Encoding: identity is replaced', () => {
    const request = requestHead(['Accept-Encoding: gzip']);
    const response = responseHead([...HTML, 'Content-Encoding: identity', 'Vary: accept-encoding']);
    const headers = [...response.headers];
    mustCompress(request, response).editHead?.(headers);
    expect(headers.filter((_, i) => i % 2 === 0 && /^vary$/i.test(headers[i]!))).toHaveLength(1);
    expect(headers).toContain('accept-encoding');
    expect(
      headers.slice(headers.indexOf('Content-Encoding'), headers.indexOf('Content-Encoding') + 2),
    ).toEqual(['Content-Encoding', 'gzip']);
  });
});

const TEXT = Buffer.from(
  Array.from({ length: 3000 }, (_, i) => `<p class="row-${i % 7}">Row ${i}: the quick brown fox</p>\n`).join(
    '',
  ),
);

function chunksOf(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

describe('compressResponse: round trips', () => {
  test.each([
    ['gzip', (b: Buffer) => gunzipSync(b)],
    ['br', (b: Buffer) => brotliDecompressSync(b)],
  ] as const)('%s output decompresses to the body, and is smaller', async (coding, decompress) => {
    const transform = mustCompress(
      requestHead([`Accept-Encoding: ${coding}`]),
      responseHead(['Content-Type: text/html', `Content-Length: ${TEXT.length}`]),
    );
    const out = await runThrough(transform, chunksOf(TEXT, 7000));
    expect(decompress(out).equals(TEXT)).toBe(true);
    expect(out.length).toBeLessThan(TEXT.length / 5);
  });

  test.each(['gzip', 'br'])('%s of a body of unknown length, in one-byte chunks', async (coding) => {
    const transform = mustCompress(
      requestHead([`Accept-Encoding: ${coding}`]),
      responseHead(['Content-Type: text/plain', 'Transfer-Encoding: chunked']),
    );
    const body = TEXT.subarray(0, 3000);
    const out = await runThrough(transform, chunksOf(body, 1));
    const decoded = coding === 'gzip' ? gunzipSync(out) : brotliDecompressSync(out);
    expect(decoded.equals(body)).toBe(true);
  });

  test.each([
    ['gzip', (b: Buffer) => gunzipSync(b, { finishFlush: zlib.Z_SYNC_FLUSH })],
    ['br', (b: Buffer) => brotliDecompressSync(b, { finishFlush: zlib.BROTLI_OPERATION_FLUSH })],
  ] as const)('a slow %s body makes progress before it ends', async (coding, decodeSoFar) => {
    const transform = mustCompress(
      requestHead([`Accept-Encoding: ${coding}`]),
      responseHead(['Content-Type: text/event-stream', 'Transfer-Encoding: chunked']),
    );
    const sink = new RecordingSink();
    const pipe = new TransformPipe(transform, sink);
    let expected = '';
    for (const event of ['data: one\n\n', 'data: two\n\n']) {
      pipe.write(Buffer.from(event));
      expected += event;
      for (let i = 0; i < 200 && decodeSoFar(sink.body).toString() !== expected; i++) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(decodeSoFar(sink.body).toString()).toBe(expected);
    }
    pipe.end();
    await sink.finished;
  });
});

describe('compressResponse: large bodies', () => {
  test('8 MiB through gzip to a slow consumer: all of it arrives, and the pipe never holds more than a few buffers', async () => {
    const chunkSize = 64 * 1024;
    const total = 8 * 1024 * 1024;
    // Random bytes do not compress, so output is as large as input and the consumer is really the slow side.
    const source = randomBytes(total);
    const transform = mustCompress(
      requestHead(['Accept-Encoding: gzip']),
      responseHead(['Content-Type: application/json', 'Transfer-Encoding: chunked']),
    );
    const sink = new RecordingSink();
    const pipe = new TransformPipe(transform, sink);
    const gunzip = createGunzip();
    const digest = createHash('sha256');
    gunzip.on('data', (b: Buffer) => digest.update(b));
    const decoded = new Promise((resolve) => gunzip.on('end', resolve));
    let maxBuffered = 0;
    let consumerRefusals = 0;
    // The consumer takes 32 KiB, then is full until a timer fires.
    let sinceResume = 0;
    sink.afterData = (buf) => {
      gunzip.write(buf);
      sinceResume += buf.length;
      maxBuffered = Math.max(maxBuffered, pipe.bufferedBytes);
      if (sinceResume < 32 * 1024) return;
      sink.accept = false;
      consumerRefusals++;
      setTimeout(() => {
        sinceResume = 0;
        sink.accept = true;
        pipe.resumeOutput();
      }, 0);
    };
    sink.chunks.length = 0;
    for (let offset = 0; offset < total; offset += chunkSize) {
      const accepted = pipe.write(source.subarray(offset, offset + chunkSize));
      maxBuffered = Math.max(maxBuffered, pipe.bufferedBytes);
      if (!accepted) await new Promise<void>((resolve) => (sink.onDrainHook = resolve));
      // Drop what the sink recorded: the digest has it, and the test should not hold 8 MiB twice.
      sink.chunks.length = 0;
    }
    pipe.end();
    await sink.finished;
    gunzip.end();
    await decoded;
    expect(sink.errors).toEqual([]);
    expect(digest.digest('hex')).toBe(createHash('sha256').update(source).digest('hex'));
    expect(consumerRefusals).toBeGreaterThan(10);
    // One write (64 KiB) past the input high-water mark, plus the output side's: far below the body.
    expect(maxBuffered).toBeLessThanOrEqual(4 * chunkSize);
    expect(pipe.bytesIn).toBe(total);
    await turns();
  });
});
