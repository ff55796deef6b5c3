/**
 * The request at one moment (method, host, path, query, fields) and the changes between two moments,
 * in words: what each rule did to the request.
 */
import type { RequestHead } from '../codec/index.ts';

export interface RequestState {
  readonly method: string;
  readonly host: string;
  readonly port: string;
  readonly path: string;
  readonly query: string;
  /** `[name, value]` in order, names as written. */
  readonly headers: readonly (readonly [string, string])[];
}

export function requestState(head: RequestHead): RequestState {
  const headers: [string, string][] = [];
  for (let i = 0; i < head.headers.length; i += 2) headers.push([head.headers[i]!, head.headers[i + 1]!]);
  return {
    method: head.method,
    host: head.host,
    port: head.port,
    path: head.path,
    query: head.query,
    headers,
  };
}

function fieldValues(state: RequestState): Map<string, { name: string; values: string[] }> {
  const fields = new Map<string, { name: string; values: string[] }>();
  for (const [name, value] of state.headers) {
    const key = name.toLowerCase();
    let field = fields.get(key);
    if (field === undefined) fields.set(key, (field = { name, values: [] }));
    field.values.push(value);
  }
  return fields;
}

/** `path: /a -> /b`, `field X-A: set 'v'`, `field X-B: removed`… from `before` to `after`. */
export function requestChanges(before: RequestState, after: RequestState): string[] {
  const changes: string[] = [];
  const authority = (s: RequestState) => (s.port === '' ? s.host : `${s.host}:${s.port}`);
  if (authority(before) !== authority(after))
    changes.push(`host: ${authority(before)} -> ${authority(after)}`);
  if (before.path !== after.path) changes.push(`path: ${before.path} -> ${after.path}`);
  if (before.query !== after.query)
    changes.push(
      `query: ${before.query === '' ? "''" : before.query} -> ${after.query === '' ? "''" : after.query}`,
    );
  const was = fieldValues(before);
  const now = fieldValues(after);
  for (const [key, field] of now) {
    // Host follows the host rewrite above: not a change of its own.
    if (key === 'host') continue;
    const old = was.get(key);
    const value = field.values.join(', ');
    if (old === undefined) changes.push(`field ${field.name}: set '${value}'`);
    else if (old.values.join('\n') !== field.values.join('\n'))
      changes.push(`field ${field.name}: '${old.values.join(', ')}' -> '${value}'`);
  }
  for (const [key, field] of was) {
    if (key !== 'host' && !now.has(key)) changes.push(`field ${field.name}: removed`);
  }
  return changes;
}
