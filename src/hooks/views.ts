import { statusText } from '../codec/index.ts';
import type { RequestHead, ResponseHead } from '../codec/types.ts';
import type { HeaderFields, RequestView, ResponseView } from './context.ts';

/** Fields hooks may not touch: Junction frames every hop itself, and a wrong length smuggles. */
const FRAMING_FIELDS = new Set(['content-length', 'transfer-encoding']);
/** Fields a hook's own response may not carry besides: Junction decides the connection's fate. */
const LOCAL_RESPONSE_FIELDS = new Set([...FRAMING_FIELDS, 'connection', 'keep-alive']);

/** A field value may not carry line breaks or NUL: that would split the head Junction writes. */
const UNSAFE_VALUE = /[\r\n\0]/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function checkName(name: string): string {
  const lower = name.toLowerCase();
  if (FRAMING_FIELDS.has(lower)) {
    throw new TypeError(`${name} belongs to Junction's framing and cannot be changed by a hook`);
  }
  if (!TOKEN.test(name)) throw new TypeError(`'${name}' is not a valid header field name`);
  return lower;
}

function checkValue(name: string, value: string): void {
  if (UNSAFE_VALUE.test(value)) throw new TypeError(`the value of ${name} contains a line break or NUL`);
}

/**
 * The fields of a response a hook makes (`respond()`), checked like any header change: throws on a
 * bad name, a line break, or a field Junction owns (framing, Connection).
 */
export function checkedLocalFields(fields: Readonly<Record<string, string>>): string[] {
  const list: string[] = [];
  for (const [name, value] of Object.entries(fields)) {
    const lower = checkName(name);
    if (LOCAL_RESPONSE_FIELDS.has(lower)) throw new TypeError(`${name} is set by Junction, not by a hook`);
    if (typeof value !== 'string') throw new TypeError(`the value of ${name} must be a string`);
    checkValue(name, value);
    list.push(name, value);
  }
  return list;
}

/** HeaderFields over a head's flat `[name, value, …]` list, changed in place. */
export class FlatHeaderFields implements HeaderFields {
  readonly #list: string[];

  constructor(list: string[]) {
    this.#list = list;
  }

  get(name: string): string | undefined {
    const lower = name.toLowerCase();
    const list = this.#list;
    for (let i = 0; i < list.length; i += 2) if (list[i]!.toLowerCase() === lower) return list[i + 1];
    return undefined;
  }

  getAll(name: string): string[] {
    const lower = name.toLowerCase();
    const out: string[] = [];
    const list = this.#list;
    for (let i = 0; i < list.length; i += 2) if (list[i]!.toLowerCase() === lower) out.push(list[i + 1]!);
    return out;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  set(name: string, value: string): void {
    checkName(name);
    checkValue(name, value);
    this.#remove(name.toLowerCase());
    this.#list.push(name, value);
  }

  append(name: string, value: string): void {
    checkName(name);
    checkValue(name, value);
    this.#list.push(name, value);
  }

  delete(name: string): boolean {
    return this.#remove(checkName(name));
  }

  entries(): [string, string][] {
    const out: [string, string][] = [];
    const list = this.#list;
    for (let i = 0; i < list.length; i += 2) out.push([list[i]!, list[i + 1]!]);
    return out;
  }

  #remove(lower: string): boolean {
    const list = this.#list;
    let removed = false;
    for (let i = list.length - 2; i >= 0; i -= 2) {
      if (list[i]!.toLowerCase() === lower) {
        list.splice(i, 2);
        removed = true;
      }
    }
    return removed;
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const HOST_NAME = /^[a-z0-9_.-]+$|^\[[0-9a-f:.]+\]$/i;

/** The client request as hooks see it: reads and rewrites go to the head Junction forwards. */
export class RequestHeadView implements RequestView {
  readonly #head: Mutable<RequestHead>;
  readonly headers: HeaderFields;

  constructor(head: RequestHead) {
    this.#head = head;
    this.headers = new FlatHeaderFields(head.headers);
  }

  get method(): string {
    return this.#head.method;
  }
  get host(): string {
    return this.#head.host;
  }
  get port(): string {
    return this.#head.port;
  }
  get path(): string {
    return this.#head.path;
  }
  get query(): string {
    return this.#head.query;
  }
  get versionMinor(): 0 | 1 {
    return this.#head.versionMinor;
  }

  setPath(path: string): void {
    if (!path.startsWith('/') || /[\s?#]/.test(path)) {
      throw new TypeError(`a path must start with '/' and contain no spaces, '?' or '#', got '${path}'`);
    }
    this.#head.path = path;
    this.#head.target = path + this.#head.query;
  }

  setQuery(query: string): void {
    if (query !== '' && (!query.startsWith('?') || /[\s#]/.test(query))) {
      throw new TypeError(`a query must be '' or start with '?', without spaces or '#', got '${query}'`);
    }
    this.#head.query = query;
    this.#head.target = this.#head.path + query;
  }

  setHost(host: string, port = ''): void {
    if (!HOST_NAME.test(host) || !/^\d{0,5}$/.test(port)) {
      throw new TypeError(`'${host}${port === '' ? '' : `:${port}`}' is not a valid host`);
    }
    const head = this.#head;
    // X-Forwarded-Host tells the upstream what the client asked for, not what a rewrite made of it.
    head.clientAuthority ??= head.port === '' ? head.host : `${head.host}:${head.port}`;
    head.host = host.toLowerCase();
    head.port = port;
    // The forwarded Host follows; an absolute-form target would override it, so drop to origin-form.
    head.target = head.path + head.query;
    const fields = head.headers;
    for (let i = fields.length - 2; i >= 0; i -= 2) {
      if (fields[i]!.toLowerCase() === 'host') fields.splice(i, 2);
    }
    fields.push('Host', port === '' ? host : `${host}:${port}`);
  }
}

/** A response head as hooks see it, changed in place before it is written. */
export class ResponseHeadView implements ResponseView {
  readonly #head: Mutable<ResponseHead>;
  readonly headers: HeaderFields;

  constructor(head: ResponseHead) {
    this.#head = head;
    this.headers = new FlatHeaderFields(head.headers);
  }

  get status(): number {
    return this.#head.status;
  }
  get reason(): string {
    return this.#head.reason;
  }

  setStatus(status: number, reason?: string): void {
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      throw new RangeError(`a response status must be from 200 to 599, got ${status}`);
    }
    if (status === 204 || status === 304) {
      // Those statuses have no body, and this response may have one already framed: use respond().
      throw new RangeError(`setStatus(${status}) would leave a body on a bodiless status; use respond()`);
    }
    if (this.#head.status === 101) {
      // The upstream has switched protocols already; the client can only be told so, or refused.
      throw new RangeError('a 101 Switching Protocols keeps its status; use respond() to refuse the upgrade');
    }
    if (reason !== undefined && /[\r\n\0]/.test(reason))
      throw new TypeError('the reason contains a line break');
    this.#head.status = status;
    this.#head.reason = reason ?? statusText(status);
  }
}
