/**
 * Duration text → milliseconds, for `as-duration` and `{duration<…>}`. A duration is one or more
 * `<whole number><unit>` pairs, summed, spaces allowed anywhere between: `30s`, `500ms`, `1h 30m`,
 * `90 minutes`. A bare whole number is milliseconds, like everywhere else in Junction's config.
 */

const UNIT_MS: ReadonlyMap<string, number> = new Map([
  ...['ms', 'msec', 'millisecond', 'milliseconds'].map((name) => [name, 1] as const),
  ...['s', 'sec', 'second', 'seconds'].map((name) => [name, 1000] as const),
  ...['m', 'min', 'minute', 'minutes'].map((name) => [name, 60_000] as const),
  ...['h', 'hr', 'hour', 'hours'].map((name) => [name, 3_600_000] as const),
  ...['d', 'day', 'days'].map((name) => [name, 86_400_000] as const),
  ...['w', 'week', 'weeks'].map((name) => [name, 604_800_000] as const),
]);

const BARE_MS = /^\s*(\d+)\s*$/;
const PAIR = /\s*(\d+)\s*([a-z]+)\s*/y;

/** Milliseconds, or undefined when `text` is not a duration (or is beyond a safe integer). */
export function parseDuration(text: string): number | undefined {
  const bare = BARE_MS.exec(text);
  if (bare) return checked(Number(bare[1]));
  const lower = text.toLowerCase();
  let total = 0;
  let pairs = 0;
  PAIR.lastIndex = 0;
  while (PAIR.lastIndex < lower.length) {
    const match = PAIR.exec(lower);
    const unit = match === null ? undefined : UNIT_MS.get(match[2]!);
    if (match === null || unit === undefined) return undefined;
    total += Number(match[1]) * unit;
    pairs++;
  }
  return pairs === 0 ? undefined : checked(total);
}

function checked(ms: number): number | undefined {
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** The units `parseDuration` knows, for error messages. */
export const DURATION_HINT = "a duration such as '500ms', '30s', '5m', '1h 30m' or a number of milliseconds";
