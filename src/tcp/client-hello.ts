/**
 * Reads the server name (SNI, RFC 6066) from a TLS ClientHello without terminating TLS: sans-io, over
 * the bytes a client sent first. It follows the record layer (a ClientHello may span several handshake
 * records), the handshake header, the hello's fixed fields and its extensions, and stops there; it never
 * decrypts or answers anything. Parsing never throws at network bytes.
 */

export type ClientHelloParse =
  | { readonly kind: 'need-more' }
  /** A whole ClientHello; `serverName` is lower case without a trailing dot, undefined when it has none. */
  | { readonly kind: 'done'; readonly serverName: string | undefined; readonly consumed: number }
  | { readonly kind: 'reject'; readonly reason: string };

/** The most Junction reads looking for a ClientHello (the record layer's own fragment limit). */
export const MAX_CLIENT_HELLO_BYTES = 16 * 1024;

const RECORD_HANDSHAKE = 0x16;
const HANDSHAKE_CLIENT_HELLO = 0x01;
const EXTENSION_SERVER_NAME = 0x0000;
const NAME_TYPE_HOST = 0x00;

const NEED_MORE: ClientHelloParse = { kind: 'need-more' };

function reject(reason: string): ClientHelloParse {
  return { kind: 'reject', reason };
}

/** Letters, digits, `-` and `_` per label, 1 to 63 bytes each, 253 in all. */
const HOST_NAME =
  /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/**
 * Parses the ClientHello at the start of `buf[0..len)`. Asks for more while the bytes so far are a
 * valid beginning; refuses anything that is not a TLS handshake record carrying a ClientHello, and a
 * hello larger than `maxBytes`.
 */
export function parseClientHello(
  buf: Uint8Array,
  len: number = buf.length,
  maxBytes: number = MAX_CLIENT_HELLO_BYTES,
): ClientHelloParse {
  // The handshake message, gathered from the fragments of consecutive records.
  const fragments: Uint8Array[] = [];
  let gathered = 0;
  let at = 0;
  let messageLength = -1;
  for (;;) {
    if (messageLength >= 0 && gathered >= 4 + messageLength) break;
    if (at + 5 > len) return at + 5 > maxBytes ? reject('the ClientHello is too large') : NEED_MORE;
    if (buf[at] !== RECORD_HANDSHAKE) return reject('not a TLS handshake record');
    if (buf[at + 1] !== 3 || buf[at + 2]! > 4) return reject('not a TLS record version');
    const recordLength = (buf[at + 3]! << 8) | buf[at + 4]!;
    if (recordLength === 0) return reject('an empty handshake record');
    if (at + 5 + recordLength > maxBytes) return reject('the ClientHello is too large');
    if (at + 5 + recordLength > len) {
      // The record is still arriving; its first bytes may already say this is no ClientHello.
      if (gathered === 0 && at + 5 < len && buf[at + 5] !== HANDSHAKE_CLIENT_HELLO) {
        return reject('the first handshake message is not a ClientHello');
      }
      return NEED_MORE;
    }
    fragments.push(buf.subarray(at + 5, at + 5 + recordLength));
    gathered += recordLength;
    at += 5 + recordLength;
    if (messageLength < 0 && gathered >= 4) {
      const head = concat(fragments, gathered);
      if (head[0] !== HANDSHAKE_CLIENT_HELLO)
        return reject('the first handshake message is not a ClientHello');
      messageLength = (head[1]! << 16) | (head[2]! << 8) | head[3]!;
      if (4 + messageLength > maxBytes) return reject('the ClientHello is too large');
    }
  }
  const message = concat(fragments, gathered);
  // Bytes past the hello in its last record belong to no ClientHello: a client would not send them.
  if (gathered !== 4 + messageLength) return reject('bytes after the ClientHello in its record');
  const serverName = readServerName(message.subarray(4, 4 + messageLength));
  if (typeof serverName === 'object') return serverName;
  return { kind: 'done', serverName: serverName === '' ? undefined : serverName, consumed: at };
}

function concat(fragments: readonly Uint8Array[], total: number): Uint8Array {
  if (fragments.length === 1) return fragments[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const f of fragments) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

/** The host name in the hello's server_name extension, '' when there is none, or why the hello is bad. */
function readServerName(body: Uint8Array): string | ClientHelloParse {
  const end = body.length;
  // client_version (2) and random (32)
  let at = 34;
  if (at + 1 > end) return reject('a ClientHello cut short');
  const sessionIdLength = body[at]!;
  if (sessionIdLength > 32) return reject('a session id longer than 32 bytes');
  at += 1 + sessionIdLength;
  if (at + 2 > end) return reject('a ClientHello cut short');
  const suitesLength = (body[at]! << 8) | body[at + 1]!;
  if (suitesLength < 2 || suitesLength % 2 !== 0) return reject('a bad cipher suite list');
  at += 2 + suitesLength;
  if (at + 1 > end) return reject('a ClientHello cut short');
  const compressionLength = body[at]!;
  if (compressionLength < 1) return reject('an empty compression method list');
  at += 1 + compressionLength;
  if (at > end) return reject('a ClientHello cut short');
  if (at === end) return ''; // no extensions at all: an old client, no SNI
  if (at + 2 > end) return reject('a ClientHello cut short');
  const extensionsLength = (body[at]! << 8) | body[at + 1]!;
  at += 2;
  if (at + extensionsLength !== end) return reject('the extensions do not fill the ClientHello');
  let name = '';
  let seen = false;
  while (at < end) {
    if (at + 4 > end) return reject('an extension cut short');
    const type = (body[at]! << 8) | body[at + 1]!;
    const length = (body[at + 2]! << 8) | body[at + 3]!;
    at += 4;
    if (at + length > end) return reject('an extension runs past the ClientHello');
    if (type === EXTENSION_SERVER_NAME) {
      // RFC 8446 §4.2: an extension type appears at most once.
      if (seen) return reject('two server_name extensions');
      seen = true;
      const parsed = readHostName(body.subarray(at, at + length));
      if (typeof parsed === 'object') return parsed;
      name = parsed;
    }
    at += length;
  }
  return name;
}

function readHostName(ext: Uint8Array): string | ClientHelloParse {
  if (ext.length < 2) return reject('a server_name extension cut short');
  const listLength = (ext[0]! << 8) | ext[1]!;
  if (2 + listLength !== ext.length) return reject('a server_name list of the wrong length');
  let at = 2;
  let host: string | undefined;
  while (at < ext.length) {
    if (at + 3 > ext.length) return reject('a server name cut short');
    const nameType = ext[at]!;
    const length = (ext[at + 1]! << 8) | ext[at + 2]!;
    at += 3;
    if (at + length > ext.length) return reject('a server name runs past its list');
    // RFC 6066: at most one name of each type.
    if (nameType === NAME_TYPE_HOST) {
      if (host !== undefined) return reject('two host names in server_name');
      let text = '';
      for (let i = at; i < at + length; i++) text += String.fromCharCode(ext[i]!);
      text = text.toLowerCase();
      if (text.endsWith('.')) text = text.slice(0, -1);
      if (!HOST_NAME.test(text)) return reject('a server name that is not a host name');
      host = text;
    }
    at += length;
  }
  return host ?? '';
}
