/**
 * Debug-time checks of internal invariants. Live when JUNCTION_DEBUG_INVARIANTS is set (the test
 * suite sets it); otherwise a cheap early return, so it may sit on the hot path.
 */
const ENABLED = process.env['JUNCTION_DEBUG_INVARIANTS'] !== undefined;

/** Whether checks are live: test it first where building a check's message would cost. */
export const INVARIANTS_ENABLED = ENABLED;

export class InvariantError extends Error {
  constructor(message: string) {
    super(`invariant violated: ${message}`);
    this.name = 'InvariantError';
  }
}

export function invariant(condition: boolean, message: string): void {
  if (!ENABLED || condition) return;
  throw new InvariantError(message);
}
