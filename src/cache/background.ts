/**
 * The cache's work done for no client: background fills (a response finished into the cache after its
 * client left) and background revalidations (stale-while-revalidate). Counted by kind and result for
 * the metrics; fills in flight are bounded in bytes by the memory tier's bound.
 */

export type BackgroundKind = 'fill' | 'revalidate';

/**
 * `stored`: the response was stored (or a 304 refreshed the stored one); `not-stored`: the backend
 * answered, but with nothing to store; `failed`: the backend closed, reset or could not be reached;
 * `timeout`: the bound ran out.
 */
export type BackgroundResult = 'stored' | 'not-stored' | 'failed' | 'timeout';

export type BackgroundCounts = Record<BackgroundKind, Record<BackgroundResult, number>>;

export function backgroundCounts(): BackgroundCounts {
  const results = (): Record<BackgroundResult, number> => ({
    stored: 0,
    'not-stored': 0,
    failed: 0,
    timeout: 0,
  });
  return { fill: results(), revalidate: results() };
}
