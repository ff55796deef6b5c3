/**
 * Debug-time checks of internal invariants. Live when JUNCTION_DEBUG_INVARIANTS is set (the test
 * suite sets it); otherwise a cheap early return, so it may sit on the hot path.
 */
const ENABLED = process.env['JUNCTION_DEBUG_INVARIANTS'] !== undefined;

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
