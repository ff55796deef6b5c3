/**
 * The document a config was parsed from (the YAML as plain data, before defaults), kept beside the
 * validated config so the admin API can edit it and write it back. A side table rather than a field:
 * the validated config stays the data plane's shape, and configs built in code simply have none.
 */
import { createHash } from 'node:crypto';

const documents = new WeakMap<object, Readonly<Record<string, unknown>>>();
/** contentHash() of a config's document, when computed where the config was loaded (a worker). */
const hashes = new WeakMap<object, string>();

export function rememberDocument(
  config: object,
  document: Readonly<Record<string, unknown>>,
  hash?: string,
): void {
  documents.set(config, document);
  if (hash !== undefined) hashes.set(config, hash);
}

/** The hash of the config's document computed when it was loaded, if it was. */
export function rememberedHash(config: object): string | undefined {
  return hashes.get(config);
}

/** A short, stable fingerprint (sha256, 16 hex digits) of a value: key order ignored, Maps as objects. */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Map) return canonicalJson(Object.fromEntries(v));
    if (v instanceof Set) return [...v].map(String).sort();
    if (typeof v === 'function') return `function ${(v as { name: string }).name}`;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const record = v as Record<string, unknown>;
      return Object.fromEntries(
        Object.keys(record)
          .sort()
          .map((k) => [k, record[k]]),
      );
    }
    return v;
  });
}

/** The plain-data document `config` was parsed from, or undefined for a config built otherwise. */
export function configDocument(config: object): Readonly<Record<string, unknown>> | undefined {
  return documents.get(config);
}
