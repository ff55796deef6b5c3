/**
 * Bounded waiting for tests: poll a condition instead of sleeping, and put a deadline on any promise.
 * Every wait in test/ goes through here (or has its own explicit timeout), so a hang becomes a readable
 * failure that says what was awaited, never a test-runner timeout.
 */

export interface WaitForOptions {
  /** Give up after this long; defaults to 5 s. */
  readonly timeoutMs?: number;
  /** Poll period; defaults to 10 ms. */
  readonly intervalMs?: number;
  /** Named in the error when the wait times out. */
  readonly what?: string;
}

/**
 * Resolves with the first truthy value `cond` returns (sync or async). A throwing `cond` counts as not yet
 * true; its last error is attached as the cause when the wait times out.
 */
export async function waitFor<T>(
  cond: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const intervalMs = options.intervalMs ?? 10;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = undefined;
  for (;;) {
    try {
      const value = await cond();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      throw new Error(`waitFor: ${options.what ?? 'condition'} not met within ${timeoutMs} ms`, {
        cause: lastError,
      });
    }
    await delay(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}

/** Settles like `promise`, or rejects after `timeoutMs` with an error naming `what`. */
export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${what}: not settled within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A plain timer. Tests use it only to let time pass on purpose (a latency a backend must add, or a window in
 * which something must NOT happen), never to wait for something to happen: that is `waitFor`.
 */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
