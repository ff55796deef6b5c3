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
