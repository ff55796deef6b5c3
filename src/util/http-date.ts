/**
 * The Date field (RFC 9110 §6.6.1) of the responses Junction writes, formatted at most once a second,
 * as nginx caches its time strings: a response pays a Date.now() and a compare, not a toUTCString().
 */
let cachedSecond = -1;
let cachedField = '';

/** `Date: <IMF-fixdate>\r\n` for the second `now` (ms since the epoch, by default the wall clock) is in. */
export function dateField(now: number = Date.now()): string {
  const second = Math.floor(now / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    // toUTCString() is the IMF-fixdate form: `Sun, 06 Nov 1994 08:49:37 GMT`.
    cachedField = `Date: ${new Date(second * 1000).toUTCString()}\r\n`;
  }
  return cachedField;
}
