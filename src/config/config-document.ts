/**
 * The document a config was parsed from (the YAML as plain data, before defaults), kept beside the
 * validated config so the admin API can edit it and write it back. A side table rather than a field:
 * the validated config stays the data plane's shape, and configs built in code simply have none.
 */
const documents = new WeakMap<object, Readonly<Record<string, unknown>>>();

export function rememberDocument(config: object, document: Readonly<Record<string, unknown>>): void {
  documents.set(config, document);
}

/** The plain-data document `config` was parsed from, or undefined for a config built otherwise. */
export function configDocument(config: object): Readonly<Record<string, unknown>> | undefined {
  return documents.get(config);
}
