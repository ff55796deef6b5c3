/**
 * JSON with object keys sorted at every depth, so that two values equal as data always give the same
 * text: an identity for option bags (an inline strategy's options) regardless of the order a config
 * wrote them in.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
    const record = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(record)
        .sort()
        .map((k) => [k, record[k]]),
    );
  });
}
