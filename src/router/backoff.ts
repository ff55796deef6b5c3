/**
 * The wait before a retry, with "full jitter" (AWS's analysis; Envoy's retry back-off): a uniform
 * draw from zero to an exponentially growing ceiling. Spreading retries over the whole range keeps a
 * burst of failures from coming back as a synchronised burst of retries.
 *
 * `retryIndex` is 0 for a request's first retry, 1 for its second, and so on: the ceiling is
 * min(maxMs, baseMs × 2^retryIndex). A base of 0 turns backoff off. The result is whole milliseconds,
 * so a draw under 1 ms is 0 and the caller retries at once, without a timer.
 */
export function backoffDelayMs(
  retryIndex: number,
  baseMs: number,
  maxMs: number,
  random: () => number,
): number {
  if (baseMs <= 0) return 0;
  // 2^retryIndex stays exact up to 2^1023; attempts are capped far below that by config.
  const ceiling = Math.min(maxMs, baseMs * 2 ** retryIndex);
  return Math.floor(random() * ceiling);
}
