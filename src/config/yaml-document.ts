/**
 * The parsed YAML tree, kept for positions: maps key paths from validation back to nodes and their
 * 1-based line and column, and finds what the YAML library accepts but a config must not contain
 * (duplicate keys, unresolvable or circular aliases, runaway nesting, ports such as `080`).
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { ConfigIssue, IssueTarget, KeyPath } from './config-issue.ts';

import { MAX_NESTING_DEPTH as MAX_DEPTH } from './input-bounds.ts';
import { portNumberProblem } from './port-numbers.ts';

export interface Position {
  readonly line: number;
  readonly column: number;
}

/** A problem that already has a source offset: YAML-level problems found by inspectDocument(). */
export interface YamlProblem {
  readonly offset: number;
  readonly message: string;
  /** True for problems with the YAML itself rather than with the config it describes. */
  readonly isSyntax: boolean;
  readonly path: KeyPath;
}

/**
 * How the YAML library names a scalar mapping key once converted to JS (what zod paths hold);
 * mirrors its stringifyKey. Collection keys get a placeholder: they are never valid config keys.
 */
function keyText(key: unknown): string {
  const value: unknown = isScalar(key) ? key.value : undefined;
  if (value === null) return '';
  if (
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'boolean' ||
    typeof value === 'bigint'
  ) {
    return String(value);
  }
  return '<complex key>';
}

function startOf(node: unknown): number | undefined {
  if (isScalar(node)) {
    const [start, end] = node.range ?? [];
    // `key:` with nothing after it is an empty scalar at the end of the line; the key reads better.
    return node.value === null && start === end ? undefined : start;
  }
  if (isMap(node) || isSeq(node) || isAlias(node)) return node.range?.[0];
  return undefined;
}

export class YamlPositions {
  readonly #doc: Document.Parsed;
  readonly #lines: LineCounter;

  constructor(doc: Document.Parsed, lines: LineCounter) {
    this.#doc = doc;
    this.#lines = lines;
  }

  position(offset: number): Position {
    const { line, col } = this.#lines.linePos(offset);
    return { line, column: col };
  }

  /**
   * The offset to report for an issue: the node at its path, or the closest existing parent when the
   * path runs past the tree (a missing key, or a value a preprocessor expanded, like `host: a` → `[a]`).
   */
  offsetOf(issue: ConfigIssue): number {
    return this.#offsetOf(issue.path, issue.target);
  }

  #offsetOf(path: KeyPath, target: IssueTarget): number {
    if (target === 'container') return this.#offsetOf(path.slice(0, -1), 'value');
    let node: unknown = this.#doc.contents;
    let keyNode: unknown;
    // The start of the deepest node reached so far that has one: where to point if the path runs out.
    let fallback = startOf(node) ?? 0;
    let depth = 0;
    for (const segment of path) {
      let next: unknown;
      let nextKey: unknown;
      if (isMap(node)) {
        // The last pair wins, as in the JS value the schema saw.
        const pair = node.items.findLast((item) => keyText(item.key) === String(segment));
        if (pair === undefined) break;
        next = pair.value;
        nextKey = pair.key;
      } else if (isSeq(node) && typeof segment === 'number' && segment < node.items.length) {
        next = node.items[segment];
      } else {
        break;
      }
      fallback = startOf(node) ?? startOf(keyNode) ?? fallback;
      node = next;
      keyNode = nextKey;
      depth++;
    }
    if (target === 'key' && depth === path.length) return startOf(keyNode) ?? startOf(node) ?? fallback;
    return startOf(node) ?? startOf(keyNode) ?? fallback;
  }

  /** Duplicate keys, bad aliases, excessive nesting and ports not written as plain digits, in one walk. */
  inspect(): YamlProblem[] {
    const problems: YamlProblem[] = [];
    this.#inspect(this.#doc.contents, [], new Set(), problems);
    return problems;
  }

  #inspect(node: unknown, path: KeyPath, ancestors: Set<Node>, out: YamlProblem[]): void {
    if (path.length > MAX_DEPTH) {
      out.push({
        offset: startOf(node) ?? 0,
        message: `nesting deeper than ${MAX_DEPTH} levels`,
        isSyntax: true,
        path,
      });
      return;
    }
    if (isAlias(node)) {
      const target = node.resolve(this.#doc);
      const offset = node.range?.[0] ?? 0;
      if (target === undefined) {
        out.push({ offset, message: `unknown alias '*${node.source}'`, isSyntax: true, path });
      } else if (ancestors.has(target)) {
        out.push({
          offset,
          message: `alias '*${node.source}' refers to a node that contains it`,
          isSyntax: true,
          path,
        });
      }
      return;
    }
    if (isScalar(node)) {
      const problem = portNumberProblem(path, node.value, node.source);
      if (problem !== undefined)
        out.push({ offset: startOf(node) ?? 0, message: problem, isSyntax: false, path });
      return;
    }
    if (isMap(node)) {
      ancestors.add(node);
      const seen = new Map<string, number>();
      for (const pair of node.items) {
        this.#inspect(pair.key, path, ancestors, out);
        const key = keyText(pair.key);
        const offset = startOf(pair.key) ?? 0;
        const first = seen.get(key);
        if (first === undefined) {
          seen.set(key, offset);
        } else {
          const what = path.length === 1 && path[0] === 'clusters' ? 'cluster name' : 'key';
          const line = this.position(first).line;
          out.push({
            offset,
            message: `duplicate ${what} '${key}' (first at line ${line})`,
            isSyntax: false,
            path: [...path, key],
          });
        }
        this.#inspect(pair.value, [...path, key], ancestors, out);
      }
      ancestors.delete(node);
    } else if (isSeq(node)) {
      ancestors.add(node);
      node.items.forEach((item, index) => {
        this.#inspect(item, [...path, index], ancestors, out);
      });
      ancestors.delete(node);
    }
  }
}
