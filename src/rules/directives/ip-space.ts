/**
 * IP spaces: a CSV file mapping address ranges to rows of values, compiled into sorted disjoint
 * intervals so a lookup is one binary search. The first column is a range: a CIDR network
 * (`10.0.0.0/8`, `2001:db8::/32`), a single address, or `first-last`. The other columns are the row.
 *
 * Overlapping ranges: the most specific one wins, that is the smallest range containing the address
 * (for networks, the longest prefix); between ranges of the same size, the later line wins.
 */
import { IpAddress, type Feature, type IpSpaceLookup } from '../types.ts';

export type ColumnType = 'string' | 'integer' | 'enum' | 'flags';
export const COLUMN_TYPES: readonly ColumnType[] = ['string', 'integer', 'enum', 'flags'];

export interface ColumnSpec {
  readonly name: string | undefined;
  readonly type: ColumnType;
  /** The keys an enum or flags column may hold (required for flags; any key for an enum without). */
  readonly keys?: readonly string[] | undefined;
}

/** A line of the file that cannot be used; `line` is 1-based. */
export class IpSpaceError extends Error {
  readonly line: number;
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'IpSpaceError';
    this.line = line;
  }
}

// --- Addresses ---

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

function parseV4(text: string): number | undefined {
  const m = V4.exec(text);
  if (m === null) return undefined;
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

function parseV6(text: string): bigint | undefined {
  let groups: string[];
  let tail: number | undefined;
  let body = text;
  const lastColon = body.lastIndexOf(':');
  if (lastColon >= 0 && body.slice(lastColon + 1).includes('.')) {
    tail = parseV4(body.slice(lastColon + 1));
    if (tail === undefined) return undefined;
    body = `${body.slice(0, lastColon + 1)}0:0`;
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  if (halves.length === 2) {
    const rest = halves[1] === '' ? [] : halves[1]!.split(':');
    const missing = 8 - head.length - rest.length;
    if (missing < 1) return undefined;
    groups = [...head, ...Array<string>(missing).fill('0'), ...rest];
  } else {
    groups = head;
  }
  if (groups.length !== 8 || !groups.every((g) => HEX_GROUP.test(g))) return undefined;
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(parseInt(g, 16));
  if (tail !== undefined) value = (value & ~0xffffffffn) | BigInt(tail);
  return value;
}

interface ParsedAddress {
  readonly family: 4 | 6;
  readonly value: bigint;
}

/** An IPv4 or IPv6 address (IPv6 in brackets too) as a number; undefined if malformed. */
export function parseAddress(text: string): ParsedAddress | undefined {
  const t = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const v4 = parseV4(t);
  if (v4 !== undefined) return { family: 4, value: BigInt(v4) };
  if (!t.includes(':')) return undefined;
  const v6 = parseV6(t);
  return v6 === undefined ? undefined : { family: 6, value: v6 };
}

const BITS = { 4: 32n, 6: 128n } as const;

/** The common case without bigint arithmetic: `a.b.c.d` or `a.b.c.d/n`. */
function parseV4Network(text: string): { first: number; last: number } | undefined {
  const slash = text.indexOf('/');
  const address = parseV4(slash < 0 ? text : text.slice(0, slash));
  if (address === undefined) return undefined;
  if (slash < 0) return { first: address, last: address };
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,2}$/.test(prefixText) || Number(prefixText) > 32) return undefined;
  const size = 2 ** (32 - Number(prefixText));
  const first = Math.floor(address / size) * size;
  return { first, last: first + size - 1 };
}

interface ParsedRange {
  readonly family: 4 | 6;
  readonly first: bigint;
  readonly last: bigint;
}

/** `network/prefix`, `first-last` or one address; a string saying what is wrong otherwise. */
export function parseRange(text: string): ParsedRange | string {
  const v4 = parseV4Network(text);
  if (v4 !== undefined) return { family: 4, first: BigInt(v4.first), last: BigInt(v4.last) };
  const slash = text.indexOf('/');
  if (slash >= 0) {
    const address = parseAddress(text.slice(0, slash).trim());
    const prefixText = text.slice(slash + 1).trim();
    if (address === undefined) return `'${text}' is not a network: the address is malformed`;
    const bits = BITS[address.family];
    if (!/^\d{1,3}$/.test(prefixText) || BigInt(prefixText) > bits) {
      return `'${text}' is not a network: the prefix length must be 0 to ${bits}`;
    }
    const hostBits = bits - BigInt(prefixText);
    const first = (address.value >> hostBits) << hostBits; // host bits are ignored
    return { family: address.family, first, last: first + (1n << hostBits) - 1n };
  }
  const dash = text.indexOf('-');
  if (dash >= 0) {
    const first = parseAddress(text.slice(0, dash).trim());
    const last = parseAddress(text.slice(dash + 1).trim());
    if (first === undefined || last === undefined) return `'${text}' is not a range: an address is malformed`;
    if (first.family !== last.family) return `'${text}' mixes IPv4 and IPv6`;
    if (first.value > last.value) return `'${text}' ends before it starts`;
    return { family: first.family, first: first.value, last: last.value };
  }
  const address = parseAddress(text.trim());
  if (address === undefined) return `'${text}' is not an address, a network or a range`;
  return { family: address.family, first: address.value, last: address.value };
}

function addressValue(address: IpAddress): ParsedAddress {
  let value = 0n;
  for (const byte of address.bytes) value = (value << 8n) | BigInt(byte);
  // An IPv4-mapped IPv6 address (::ffff:a.b.c.d, as dual-stack sockets report IPv4 clients) is IPv4.
  if (address.family === 6 && value >> 32n === 0xffffn) return { family: 4, value: value & 0xffffffffn };
  return { family: address.family, value };
}

// --- CSV ---

/** One CSV line's fields: commas separate, double quotes quote ("" is a quote), unquoted fields are trimmed. */
export function splitCsvLine(line: string, lineNumber: number): string[] {
  if (!line.includes('"')) return line.split(',').map((field) => field.trim());
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= line.length) throw new IpSpaceError(lineNumber, 'a quoted field is not closed');
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += line.charAt(i++);
      }
      while (line[i] === ' ' || line[i] === '\t') i++;
      if (i < line.length && line[i] !== ',') throw new IpSpaceError(lineNumber, 'text after a quoted field');
      fields.push(value);
    } else {
      const comma = line.indexOf(',', i);
      const end = comma < 0 ? line.length : comma;
      fields.push(line.slice(i, end).trim());
      i = end;
    }
    if (i >= line.length) return fields;
    i++; // the comma
  }
}

function convertCell(text: string, column: ColumnSpec, lineNumber: number, index: number): Feature {
  if (text === '') return null;
  const where = `column ${index + 1}${column.name === undefined ? '' : ` (${column.name})`}`;
  switch (column.type) {
    case 'string':
      return text;
    case 'integer': {
      if (!/^[-+]?\d{1,15}$/.test(text))
        throw new IpSpaceError(lineNumber, `${where}: '${text}' is not an integer`);
      return Number(text);
    }
    case 'enum': {
      if (column.keys !== undefined && !column.keys.includes(text)) {
        throw new IpSpaceError(lineNumber, `${where}: '${text}' is not one of ${column.keys.join(', ')}`);
      }
      return text;
    }
    case 'flags': {
      const flags = text.split(/[\s|;]+/).filter((f) => f !== '');
      for (const flag of flags) {
        if (column.keys !== undefined && !column.keys.includes(flag)) {
          throw new IpSpaceError(lineNumber, `${where}: '${flag}' is not one of ${column.keys.join(', ')}`);
        }
      }
      return flags;
    }
  }
}

// --- The table ---

/** A range: numbers for IPv4 (exact below 2^53, and faster), bigints for IPv6. */
interface Entry<K extends number | bigint = number | bigint> {
  readonly first: K;
  readonly last: K;
  readonly size: K;
  readonly order: number;
  readonly row: readonly Feature[];
}

/** Whether `a` beats `b` where both contain an address: smaller, or as small and later. */
function beats<K extends number | bigint>(a: Entry<K>, b: Entry<K>): boolean {
  return a.size < b.size || (a.size === b.size && a.order > b.order);
}

/** A binary heap of entries, best (per `beats`) on top. */
class EntryHeap<K extends number | bigint> {
  readonly #items: Entry<K>[] = [];
  get top(): Entry<K> | undefined {
    return this.#items[0];
  }
  push(entry: Entry<K>): void {
    const items = this.#items;
    items.push(entry);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!beats(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }
  pop(): void {
    const items = this.#items;
    const last = items.pop()!;
    if (items.length === 0) return;
    items[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < items.length && beats(items[l]!, items[best]!)) best = l;
      if (r < items.length && beats(items[r]!, items[best]!)) best = r;
      if (best === i) return;
      [items[i], items[best]] = [items[best]!, items[i]!];
      i = best;
    }
  }
}

interface Segments<K> {
  readonly firsts: K[];
  readonly lasts: K[];
  readonly rows: (readonly Feature[])[];
}

/**
 * Flattens overlapping entries into disjoint sorted segments, each with its winning row: a sweep
 * over the points where ranges start or end, the best containing range on top of a heap.
 */
function flatten<K extends number | bigint>(entries: Entry<K>[], one: K): Segments<K> {
  const out: Segments<K> = { firsts: [], lasts: [], rows: [] };
  const plus = (a: K, b: K): K => ((a as number) + (b as number)) as K;
  const minus = (a: K, b: K): K => ((a as number) - (b as number)) as K;
  if (entries.length === 0) return out;
  const byFirst = [...entries].sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  // Every place the set of containing ranges can change. (Sorted then deduplicated: a Set of large
  // bigints hashes badly and is orders of magnitude slower.)
  const all: K[] = [];
  for (const e of entries) all.push(e.first, plus(e.last, one));
  // Numbers sort natively in a typed array, several times faster than with a comparator.
  const sorted: Iterable<K> =
    typeof one === 'number'
      ? (Float64Array.from(all as number[]).sort() as Iterable<number> as Iterable<K>)
      : all.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const points: K[] = [];
  for (const p of sorted) if (points.length === 0 || points[points.length - 1] !== p) points.push(p);
  const heap = new EntryHeap<K>();
  let next = 0;
  let current: Entry<K> | undefined;
  for (const p of points) {
    while (next < byFirst.length && byFirst[next]!.first <= p) heap.push(byFirst[next++]!);
    while (heap.top !== undefined && heap.top.last < p) heap.pop();
    const winner = heap.top;
    if (winner === current) continue;
    if (current !== undefined) out.lasts.push(minus(p, one));
    if (winner !== undefined) {
      out.firsts.push(p);
      out.rows.push(winner.row);
    }
    current = winner;
  }
  return out;
}

/** The last index whose start is at most `x`, or -1. */
function floorIndex<T extends number | bigint>(starts: ArrayLike<T>, x: T): number {
  let lo = 0;
  let hi = starts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid]! <= x) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** A loaded IP space: immutable; a reload builds a new one. */
export class IpTable implements IpSpaceLookup {
  /** Ranges as read from the file (before flattening). */
  readonly ranges: number;
  readonly #v4First: Float64Array;
  readonly #v4Last: Float64Array;
  readonly #v4Rows: (readonly Feature[])[];
  readonly #v6First: bigint[];
  readonly #v6Last: bigint[];
  readonly #v6Rows: (readonly Feature[])[];

  constructor(v4: Entry<number>[], v6: Entry<bigint>[]) {
    this.ranges = v4.length + v6.length;
    const s4 = flatten(v4, 1);
    this.#v4First = Float64Array.from(s4.firsts);
    this.#v4Last = Float64Array.from(s4.lasts);
    this.#v4Rows = s4.rows;
    const s6 = flatten(v6, 1n);
    this.#v6First = s6.firsts;
    this.#v6Last = s6.lasts;
    this.#v6Rows = s6.rows;
  }

  lookup(address: IpAddress): readonly Feature[] | undefined {
    const { family, value } = addressValue(address);
    if (family === 4) {
      const x = Number(value);
      const i = floorIndex(this.#v4First, x);
      return i >= 0 && this.#v4Last[i]! >= x ? this.#v4Rows[i] : undefined;
    }
    const i = floorIndex(this.#v6First, value);
    return i >= 0 && this.#v6Last[i]! >= value ? this.#v6Rows[i] : undefined;
  }

  /** Lookup by text (tests, tools); undefined for a malformed address too. */
  lookupText(text: string): readonly Feature[] | undefined {
    const parsed = parseAddress(text);
    if (parsed === undefined) return undefined;
    const bytes = new Uint8Array(parsed.family === 4 ? 4 : 16);
    let v = parsed.value;
    for (let i = bytes.length - 1; i >= 0; i--) {
      bytes[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    return this.lookup(new IpAddress(parsed.family, bytes, text));
  }
}

/**
 * Parses an IP space file. Blank lines and lines starting with '#' are skipped. With `columns`,
 * every line has exactly that many columns after the range, converted to their types (an empty cell
 * is null); without, the columns are strings, as many as each line has. Throws IpSpaceError.
 */
export function parseIpSpace(text: string, columns: readonly ColumnSpec[] | undefined): IpTable {
  const v4: Entry<number>[] = [];
  const v6: Entry<bigint>[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.replace(/\r$/, '');
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const lineNumber = n + 1;
    const fields = splitCsvLine(line, lineNumber);
    const v4Range = parseV4Network(fields[0]!);
    const range = v4Range === undefined ? parseRange(fields[0]!) : undefined;
    if (typeof range === 'string') throw new IpSpaceError(lineNumber, range);
    const cells = fields.slice(1);
    let row: Feature[];
    if (columns === undefined) {
      row = cells;
    } else {
      if (cells.length !== columns.length) {
        throw new IpSpaceError(
          lineNumber,
          `${cells.length} column${cells.length === 1 ? '' : 's'} after the range; the space has ${columns.length}`,
        );
      }
      row = cells.map((cell, i) => convertCell(cell, columns[i]!, lineNumber, i));
    }
    const frozen = Object.freeze(row);
    if (v4Range !== undefined) {
      const { first, last } = v4Range;
      v4.push({ first, last, size: last - first, order: n, row: frozen });
    } else if (range!.family === 4) {
      const first = Number(range!.first);
      const last = Number(range!.last);
      v4.push({ first, last, size: last - first, order: n, row: frozen });
    } else {
      const { first, last } = range!;
      v6.push({ first, last, size: last - first, order: n, row: frozen });
    }
  }
  return new IpTable(v4, v6);
}

/** The space rules refer to by name: the table in force, replaced whole when the file is re-read. */
export class LiveIpSpace implements IpSpaceLookup {
  table: IpTable;
  /** Column names (index 0 is the first column after the range); undefined for unnamed ones. */
  readonly columnNames: readonly (string | undefined)[];

  constructor(table: IpTable, columns: readonly ColumnSpec[] | undefined) {
    this.table = table;
    this.columnNames = columns?.map((c) => c.name) ?? [];
  }

  lookup(address: IpAddress): readonly Feature[] | undefined {
    return this.table.lookup(address);
  }
}
