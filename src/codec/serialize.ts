/**
 * Writing heads and chunk framing. Junction re-writes every head it forwards from the parsed fields
 * and never forwards raw bytes it could not parse, so these helpers are the only way bytes leave.
 * They trust their input: values set by plugins must pass isValidFieldName/isValidFieldValue first,
 * or a CRLF in a value would become header injection.
 */
import { HOP_BY_HOP_FIELDS } from './field-lists.ts';
import { FIELD_VALUE, TOKEN } from './tables.ts';

export const CRLF = '\r\n';
/** The last chunk with an empty trailer section: Junction discards trailers, so it never writes any. */
export const LAST_CHUNK = '0\r\n\r\n';

/** The size line of a chunk of `size` bytes (size > 0; a 0 size line is LAST_CHUNK's job). */
export function chunkHeader(size: number): string {
  return size.toString(16) + CRLF;
}

/** Whether a field is hop-by-hop. Takes the lower-cased name. */
export function isHopByHop(lowerCaseName: string): boolean {
  return HOP_BY_HOP_FIELDS.includes(lowerCaseName);
}

const REASONS: Record<number, string> = {
  100: 'Continue',
  101: 'Switching Protocols',
  102: 'Processing',
  103: 'Early Hints',
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  203: 'Non-Authoritative Information',
  204: 'No Content',
  205: 'Reset Content',
  206: 'Partial Content',
  207: 'Multi-Status',
  208: 'Already Reported',
  226: 'IM Used',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  304: 'Not Modified',
  305: 'Use Proxy',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  417: 'Expectation Failed',
  418: "I'm a Teapot",
  421: 'Misdirected Request',
  422: 'Unprocessable Content',
  423: 'Locked',
  424: 'Failed Dependency',
  425: 'Too Early',
  426: 'Upgrade Required',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  451: 'Unavailable For Legal Reasons',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
  506: 'Variant Also Negotiates',
  507: 'Insufficient Storage',
  508: 'Loop Detected',
  510: 'Not Extended',
  511: 'Network Authentication Required',
};
const REASON_BY_STATUS: string[] = [];
for (let s = 0; s < 600; s++) REASON_BY_STATUS.push(REASONS[s] ?? '');

/** The standard reason phrase (RFC 9110 §15 and the IANA registry), or '' for an unregistered status. */
export function statusText(status: number): string {
  return REASON_BY_STATUS[status] ?? '';
}

/**
 * The head of a request to send upstream, blank line included. `headers` is flat (name, value, …).
 * Junction speaks HTTP/1.1 to upstreams whatever the client spoke (RFC 9110 §6.2).
 */
export function serializeRequestHead(
  method: string,
  target: string,
  headers: readonly string[],
  versionMinor: 0 | 1 = 1,
): string {
  let out = method + ' ' + target + (versionMinor === 1 ? ' HTTP/1.1\r\n' : ' HTTP/1.0\r\n');
  for (let i = 0; i + 1 < headers.length; i += 2) out += headers[i]! + ': ' + headers[i + 1]! + CRLF;
  return out + CRLF;
}

/** The head of a response to send to a client, blank line included. An empty reason keeps its SP. */
export function serializeResponseHead(
  status: number,
  reason: string,
  headers: readonly string[],
  versionMinor: 0 | 1 = 1,
): string {
  let out = `${versionMinor === 1 ? 'HTTP/1.1' : 'HTTP/1.0'} ${status} ${reason}\r\n`;
  for (let i = 0; i + 1 < headers.length; i += 2) out += headers[i]! + ': ' + headers[i + 1]! + CRLF;
  return out + CRLF;
}

/** A non-empty token: safe to write as a field name. */
export function isValidFieldName(name: string): boolean {
  const n = name.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c > 0xff || TOKEN[c] !== 1) return false;
  }
  return true;
}

/**
 * Safe to write as a field value: no CTLs (so no CR or LF), no code points above 0xFF, and no
 * leading or trailing whitespace, which a parser would strip and so change the value.
 */
export function isValidFieldValue(value: string): boolean {
  const n = value.length;
  if (n === 0) return true;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c > 0xff || FIELD_VALUE[c] !== 1) return false;
  }
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(n - 1);
  return first !== 0x20 && first !== 0x09 && last !== 0x20 && last !== 0x09;
}
