/**
 * One problem found in a config before it has a file position: where it is (a key path into the
 * YAML tree) and which node of that entry to point at. parse-config.ts resolves positions.
 */

export type KeyPath = readonly (string | number)[];

/**
 * What to point at for the entry at `path`: the value, the key itself (unknown and duplicate keys),
 * or the mapping that should have held it (missing keys).
 */
export type IssueTarget = 'value' | 'key' | 'container';

export interface ConfigIssue {
  readonly path: KeyPath;
  readonly target: IssueTarget;
  /** The complete message, key name included where it helps. */
  readonly message: string;
}

/** `clusters.api.backends[0]`; keys that are not plain words are quoted: `clusters["api.v1"]`. */
export function formatKeyPath(path: KeyPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

/** The key an issue is about, for the start of its message: `port`, `listeners[0]`, `config` at the root. */
export function keyName(path: KeyPath): string {
  const last = path.at(-1);
  if (last === undefined) return 'config';
  if (typeof last === 'string') return last;
  return `${keyName(path.slice(0, -1))}[${last}]`;
}

/** An issue about the value at `path`, its message prefixed by the key: `port: must be ...`. */
export function valueIssue(path: KeyPath, problem: string): ConfigIssue {
  return { path, target: 'value', message: `${keyName(path)}: ${problem}` };
}
