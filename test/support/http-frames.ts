/**
 * A deliberately small HTTP/1.x framer for assertions: splits a byte stream into requests or responses
 * (Content-Length, chunked, close-delimited) and reports exactly what was on the wire, including a final
 * message that was cut short. It is lenient where Junction's codec is strict, because its job is to let a
 * test look at whatever Junction sent, not to judge it; a start line it cannot read is an error.
 */

export type HeaderList = readonly (readonly [name: string, value: string])[];

export type BodyFraming = 'none' | 'content-length' | 'chunked' | 'close';

interface MessageBase {
  readonly httpVersion: string;
  /** Fields in wire order, names as sent. */
  readonly rawHeaders: HeaderList;
  /** Lower-cased names; repeated fields joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  /** The decoded payload (chunk framing removed). */
  readonly body: Buffer;
  readonly framing: BodyFraming;
  /** Trailer fields of a chunked body. */
  readonly trailers: HeaderList;
  /** False when the bytes ran out (or the peer closed) before the message's framing said it ends. */
  readonly complete: boolean;
  /** The exact bytes of this message as received. */
  readonly raw: Buffer;
}

export interface ParsedResponse extends MessageBase {
  readonly statusCode: number;
  readonly reason: string;
}

export interface ParsedRequest extends MessageBase {
  readonly method: string;
  readonly target: string;
}

export interface SplitResult<M> {
  /** Complete messages, then possibly one incomplete message whose head was complete. */
  readonly messages: M[];
  /** Bytes after the last message that do not yet form a complete head. */
  readonly rest: Buffer;
}

export interface ResponseFramingOptions {
  /** True when the peer has closed: a close-delimited body is then complete. */
  readonly eof?: boolean;
  /** The methods of the requests being answered, in order; a response to HEAD has no body. */
  readonly requestMethods?: readonly string[];
}

const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');

/** Splits raw bytes into responses. See `SplitResult`. */
export function splitResponses(
  buf: Buffer,
  options: ResponseFramingOptions = {},
): SplitResult<ParsedResponse> {
  const messages: ParsedResponse[] = [];
  let offset = 0;
  let answered = 0;
  while (offset < buf.length) {
    const head = readHead(buf, offset);
    if (!head) break;
    const match = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/.exec(head.startLine);
    if (!match) throw new Error(`not an HTTP response status line: ${JSON.stringify(head.startLine)}`);
    const statusCode = Number(match[2]);
    const interim = statusCode >= 100 && statusCode < 200;
    const method = interim ? undefined : options.requestMethods?.[answered];
    const bodiless = interim || statusCode === 204 || statusCode === 304 || method === 'HEAD';
    const body = readBody(buf, head, bodiless ? 'none' : undefined, options.eof ?? false);
    messages.push({
      httpVersion: match[1]!,
      statusCode,
      reason: match[3] ?? '',
      ...head.fields,
      ...body,
      raw: buf.subarray(offset, body.end),
    });
    if (!interim) answered++;
    offset = body.end;
    if (!body.complete) break;
  }
  return { messages, rest: buf.subarray(offset) };
}

/** Splits raw bytes into requests (a request without Content-Length or Transfer-Encoding has no body). */
export function splitRequests(buf: Buffer, options: { eof?: boolean } = {}): SplitResult<ParsedRequest> {
  const messages: ParsedRequest[] = [];
  let offset = 0;
  while (offset < buf.length) {
    const head = readHead(buf, offset);
    if (!head) break;
    const match = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) (HTTP\/\d\.\d)$/.exec(head.startLine);
    if (!match) throw new Error(`not an HTTP request line: ${JSON.stringify(head.startLine)}`);
    const hasFraming = 'content-length' in head.fields.headers || 'transfer-encoding' in head.fields.headers;
    const body = readBody(buf, head, hasFraming ? undefined : 'none', options.eof ?? false);
    messages.push({
      method: match[1]!,
      target: match[2]!,
      httpVersion: match[3]!,
      ...head.fields,
      ...body,
      raw: buf.subarray(offset, body.end),
    });
    offset = body.end;
    if (!body.complete) break;
  }
  return { messages, rest: buf.subarray(offset) };
}

/**
 * The responses in `buf`: every complete one, plus a last one with `complete: false` when its head arrived
 * but its body was cut short. Bytes that do not form a complete head are ignored.
 */
export function parseResponses(buf: Buffer, options: ResponseFramingOptions = {}): ParsedResponse[] {
  return splitResponses(buf, options).messages;
}

/** The requests in `buf`, like `parseResponses`. */
export function parseRequests(buf: Buffer, options: { eof?: boolean } = {}): ParsedRequest[] {
  return splitRequests(buf, options).messages;
}

/** The value of a header (case-insensitive) in a raw header list, all occurrences joined with `, `. */
export function headerValue(headers: HeaderList, name: string): string | undefined {
  const lower = name.toLowerCase();
  const values = headers.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
  return values.length === 0 ? undefined : values.join(', ');
}

interface Head {
  readonly startLine: string;
  readonly fields: { rawHeaders: HeaderList; headers: Record<string, string> };
  /** Offset of the first body byte. */
  readonly bodyStart: number;
}

function readHead(buf: Buffer, offset: number): Head | undefined {
  const end = buf.indexOf(HEAD_END, offset);
  if (end < 0) return undefined;
  const lines = buf.subarray(offset, end).toString('latin1').split('\r\n');
  const startLine = lines.shift() ?? '';
  return { startLine, fields: parseFields(lines), bodyStart: end + HEAD_END.length };
}

function parseFields(lines: readonly string[]): { rawHeaders: HeaderList; headers: Record<string, string> } {
  const rawHeaders: [string, string][] = [];
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).trim();
    rawHeaders.push([name, value]);
    const key = name.toLowerCase();
    headers[key] = key in headers ? `${headers[key]!}, ${value}` : value;
  }
  return { rawHeaders, headers };
}

interface BodyResult {
  body: Buffer;
  framing: BodyFraming;
  trailers: HeaderList;
  complete: boolean;
  /** Offset just past the message (or past the last byte available when incomplete). */
  end: number;
}

function readBody(buf: Buffer, head: Head, forced: 'none' | undefined, eof: boolean): BodyResult {
  const start = head.bodyStart;
  const headers = head.fields.headers;
  if (forced === 'none')
    return { body: Buffer.alloc(0), framing: 'none', trailers: [], complete: true, end: start };
  const te = headers['transfer-encoding'];
  if (te !== undefined && /(?:^|,)\s*chunked\s*$/i.test(te)) return readChunked(buf, start);
  const cl = headers['content-length'];
  if (cl !== undefined) {
    const length = Number(cl.split(',')[0]!.trim());
    const end = Math.min(buf.length, start + length);
    return {
      body: buf.subarray(start, end),
      framing: 'content-length',
      trailers: [],
      complete: end === start + length,
      end,
    };
  }
  return { body: buf.subarray(start), framing: 'close', trailers: [], complete: eof, end: buf.length };
}

function readChunked(buf: Buffer, start: number): BodyResult {
  const parts: Buffer[] = [];
  let offset = start;
  const incomplete = (): BodyResult => ({
    body: Buffer.concat(parts),
    framing: 'chunked',
    trailers: [],
    complete: false,
    end: buf.length,
  });
  for (;;) {
    const lineEnd = buf.indexOf(CRLF, offset);
    if (lineEnd < 0) return incomplete();
    const sizeText = buf.subarray(offset, lineEnd).toString('latin1').split(';')[0]!.trim();
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) throw new Error(`bad chunk size line: ${JSON.stringify(sizeText)}`);
    const size = parseInt(sizeText, 16);
    offset = lineEnd + CRLF.length;
    if (size === 0) {
      const trailerLines: string[] = [];
      for (;;) {
        const end = buf.indexOf(CRLF, offset);
        if (end < 0) return incomplete();
        const line = buf.subarray(offset, end).toString('latin1');
        offset = end + CRLF.length;
        if (line === '') break;
        trailerLines.push(line);
      }
      return {
        body: Buffer.concat(parts),
        framing: 'chunked',
        trailers: parseFields(trailerLines).rawHeaders,
        complete: true,
        end: offset,
      };
    }
    if (offset + size > buf.length) {
      parts.push(buf.subarray(offset));
      return incomplete();
    }
    parts.push(buf.subarray(offset, offset + size));
    offset += size;
    if (buf.length < offset + CRLF.length) return incomplete();
    if (!buf.subarray(offset, offset + CRLF.length).equals(CRLF))
      throw new Error('chunk data not followed by CRLF');
    offset += CRLF.length;
  }
}
