import { randomUUID } from 'node:crypto';

/** What a client's request ID may be to be kept: short, printable, nothing a log or header would mangle. */
const WELL_FORMED = /^[A-Za-z0-9._~:+/=-]{1,128}$/;

export function isWellFormedRequestId(value: string): boolean {
  return WELL_FORMED.test(value);
}

/** A fresh request ID: a random UUID (Node caches the entropy, so this is cheap). */
export function newRequestId(): string {
  return randomUUID();
}

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;
const ZERO_TRACE = '0'.repeat(32);

/** The trace-id of a well-formed W3C `traceparent` value; null otherwise (or for the all-zero id). */
export function traceIdOf(traceparent: string | undefined): string | null {
  if (traceparent === undefined) return null;
  const match = TRACEPARENT.exec(traceparent.trim());
  if (match === null || match[1] === ZERO_TRACE || traceparent.startsWith('ff')) return null;
  return match[1]!;
}
