/**
 * Helpers over a flat header list (name, value, name, value, …; names as sent, so compared without
 * case). They edit the list in place: a transform's editHead gets the list the caller will serialise.
 */

function isName(name: string, lowerName: string): boolean {
  return name.length === lowerName.length && name.toLowerCase() === lowerName;
}

/**
 * The value of a field, with repeated fields combined by ", " as RFC 9110 §5.3 allows for list-based
 * fields; undefined when absent. Not for Set-Cookie, whose values cannot be combined.
 */
export function headerValue(headers: readonly string[], lowerName: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < headers.length; i += 2) {
    if (!isName(headers[i]!, lowerName)) continue;
    const v = headers[i + 1]!;
    value = value === undefined ? v : `${value}, ${v}`;
  }
  return value;
}

/** Removes every field with this name; returns whether there was one. */
export function removeHeader(headers: string[], lowerName: string): boolean {
  let kept = 0;
  for (let i = 0; i < headers.length; i += 2) {
    if (isName(headers[i]!, lowerName)) continue;
    headers[kept] = headers[i]!;
    headers[kept + 1] = headers[i + 1]!;
    kept += 2;
  }
  const removed = kept < headers.length;
  headers.length = kept;
  return removed;
}

/** Sets one field: replaces the first with this name (dropping any others), or appends it. */
export function setHeader(headers: string[], name: string, value: string): void {
  const lowerName = name.toLowerCase();
  for (let i = 0; i < headers.length; i += 2) {
    if (!isName(headers[i]!, lowerName)) continue;
    headers[i] = name;
    headers[i + 1] = value;
    // Later duplicates would contradict the new value.
    const rest = headers.splice(i + 2);
    removeHeader(rest, lowerName);
    headers.push(...rest);
    return;
  }
  headers.push(name, value);
}

/**
 * Drops Content-Length and Transfer-Encoding. A transformed body's length is unknown until it has been
 * produced, so whoever sends it frames it anew (chunked, or delimited by the connection's close).
 */
export function removeFramingFields(headers: string[]): void {
  removeHeader(headers, 'content-length');
  removeHeader(headers, 'transfer-encoding');
}

/**
 * Whether a comma-separated field value lists `lowerToken`, compared without case and ignoring a
 * directive's `=value` or `;parameters` (so `no-transform` is found in `max-age=60, No-Transform`).
 */
export function hasListToken(value: string | undefined, lowerToken: string): boolean {
  if (value === undefined) return false;
  for (const element of value.split(',')) {
    let end = element.length;
    const eq = element.indexOf('=');
    if (eq !== -1) end = eq;
    const semi = element.indexOf(';');
    if (semi !== -1 && semi < end) end = semi;
    if (element.slice(0, end).trim().toLowerCase() === lowerToken) return true;
  }
  return false;
}

/**
 * Adds `token` to Vary unless Vary already lists it or is `*`: appended to the last Vary field, or as
 * a new field, so the list never names a field twice.
 */
export function appendVary(headers: string[], token: string): void {
  const lowerToken = token.toLowerCase();
  let last = -1;
  for (let i = 0; i < headers.length; i += 2) {
    if (!isName(headers[i]!, 'vary')) continue;
    const value = headers[i + 1]!;
    if (hasListToken(value, lowerToken) || hasListToken(value, '*')) return;
    last = i;
  }
  if (last === -1) {
    headers.push('Vary', token);
    return;
  }
  const value = headers[last + 1]!.trim();
  headers[last + 1] = value === '' ? token : `${value}, ${token}`;
}

/**
 * Turns a strong ETag into a weak one (`"x"` → `W/"x"`). A transformed body differs byte for byte
 * from the one the origin tagged, so the strong validator (byte identity, If-Range) no longer holds;
 * the weak one still lets If-None-Match revalidate it.
 */
export function weakenETag(headers: string[]): void {
  for (let i = 0; i < headers.length; i += 2) {
    if (!isName(headers[i]!, 'etag')) continue;
    const value = headers[i + 1]!.trim();
    if (value.startsWith('"')) headers[i + 1] = `W/${value}`;
  }
}
