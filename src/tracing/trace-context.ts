/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): parsing an incoming `traceparent` and
 * `tracestate`, and the ids Junction makes when it starts a trace or a span of its own.
 */
import { randomFillSync } from 'node:crypto';

/** A valid parent: the ids and flags of a `traceparent` Junction accepted. */
export interface TraceParent {
  readonly traceId: string;
  readonly spanId: string;
  /** The trace-flags byte (bit 0: sampled). */
  readonly flags: number;
}

/** version-traceid-parentid-flags, then (for a version above 00 only) `-` and anything. */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/**
 * The parent a `traceparent` value names, or null when it is malformed (then the header counts as
 * absent). Version 00 must be exactly 55 characters; a higher version may be longer, its known fields
 * are read and the rest ignored, as the spec asks; version ff, upper-case hex and all-zero ids are invalid.
 */
export function parseTraceparent(value: string | undefined): TraceParent | null {
  if (value === undefined) return null;
  const match = TRACEPARENT.exec(value.length === 55 ? value : value.trim());
  if (match === null) return null;
  const version = match[1]!;
  if (version === 'ff' || (version === '00' && match[5] !== undefined)) return null;
  const traceId = match[2]!;
  const spanId = match[3]!;
  if (traceId === ZERO_TRACE_ID || spanId === ZERO_SPAN_ID) return null;
  return { traceId, spanId, flags: parseInt(match[4]!, 16) };
}

/** The longest `tracestate` passed on; a longer one is dropped whole (the spec allows 512 and up). */
export const MAX_TRACESTATE_LENGTH = 512;
const MAX_TRACESTATE_MEMBERS = 32;
/** A list-member: `key=value`, key simple or `tenant@system`, value printable ASCII without `,` and `=`. */
const MEMBER =
  /^(?:[a-z][a-z0-9_*/-]{0,255}|[a-z0-9][a-z0-9_*/-]{0,240}@[a-z][a-z0-9_*/-]{0,13})=[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/**
 * The `tracestate` to pass on unchanged, or undefined: none came, or it is too long or malformed
 * (a list of at most 32 `key=value` members, optional white space around the commas), so it is dropped.
 */
export function acceptedTracestate(value: string | undefined): string | undefined {
  if (value === undefined || value.length > MAX_TRACESTATE_LENGTH) return undefined;
  const members = value.split(',');
  let count = 0;
  for (const raw of members) {
    const member = raw.trim();
    if (member === '') continue; // empty list-members are allowed
    if (++count > MAX_TRACESTATE_MEMBERS || !MEMBER.test(member)) return undefined;
  }
  return count === 0 ? undefined : value.trim();
}

// Ids come from a pool of random bytes refilled 4 KiB at a time: one syscall per ~170 transactions.
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let poolOffset = POOL_BYTES;

function randomHex(bytes: number): string {
  if (poolOffset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const hex = pool.toString('hex', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}

/** A new 16-byte trace-id (never all zeros: 2^-128 aside, a zero one is drawn again). */
export function newTraceId(): string {
  let id = randomHex(16);
  while (id === ZERO_TRACE_ID) id = randomHex(16);
  return id;
}

/** A new 8-byte span-id. */
export function newSpanId(): string {
  let id = randomHex(8);
  while (id === ZERO_SPAN_ID) id = randomHex(8);
  return id;
}

/** The version-00 `traceparent` Junction sends: the trace, the sending span and the flags. */
export function formatTraceparent(traceId: string, spanId: string, flags: number): string {
  return `00-${traceId}-${spanId}-${flags < 16 ? '0' : ''}${(flags & 0xff).toString(16)}`;
}
