/**
 * `${VAR}` and `${VAR:-default}` in config values, as Caddy, Envoy and the OpenTelemetry collector
 * have them: substituted in the parsed YAML tree (so an unset variable is reported at its line and
 * column), in scalar values only, never in keys. `$$` is a literal `$`; any other `$` is kept as it is
 * (regular expressions end with one). A plain (unquoted) value that is one reference and nothing else
 * takes the type its text reads as in YAML (`port: ${PORT}` is a number); a quoted one stays a string.
 */
import { isPair, isScalar, isSeq, parse, visit, type Document, type Scalar } from 'yaml';
import type { KeyPath } from './config-issue.ts';

/** What a reference names: a variable, and what stands in when it is unset or empty. */
const REFERENCE = /^[A-Za-z_][A-Za-z0-9_]*(?::-([\s\S]*))?$/;

export interface SubstitutionProblem {
  readonly offset: number;
  readonly path: KeyPath;
  readonly message: string;
}

export type Environment = Readonly<Record<string, string | undefined>>;

/** Whether `text` has anything to substitute: the common config has no `$` at all. */
export function mayHaveReferences(text: string): boolean {
  return text.includes('$');
}

/** The value with its references replaced, or the first problem (an unset variable, a bad reference). */
export function substituteText(
  value: string,
  env: Environment,
): { ok: true; text: string } | { ok: false; problem: string } {
  let out = '';
  let i = 0;
  while (i < value.length) {
    const dollar = value.indexOf('$', i);
    if (dollar < 0) {
      out += value.slice(i);
      break;
    }
    out += value.slice(i, dollar);
    const next = value[dollar + 1];
    if (next === '$') {
      out += '$';
      i = dollar + 2;
      continue;
    }
    if (next !== '{') {
      out += '$';
      i = dollar + 1;
      continue;
    }
    const close = value.indexOf('}', dollar + 2);
    if (close < 0) return { ok: false, problem: `'\${' without its closing '}' (write $$ for a literal $)` };
    const inner = value.slice(dollar + 2, close);
    const match = REFERENCE.exec(inner);
    if (match === null) {
      return {
        ok: false,
        problem: `'\${${inner}}' is not a variable reference: write \${NAME} or \${NAME:-default} (and $$ for a literal $)`,
      };
    }
    const name = inner.split(':-', 1)[0]!;
    const fallback = match[1];
    const set = env[name];
    if (set !== undefined && (set !== '' || fallback === undefined)) out += set;
    else if (fallback !== undefined) out += fallback;
    else
      return {
        ok: false,
        problem: `environment variable ${name} is not set (\${${name}:-default} gives a default)`,
      };
    i = close + 1;
  }
  return { ok: true, text: out };
}

/** `${NAME}` or `${NAME:-default}` and nothing else. */
function isWholeReference(value: string): boolean {
  return /^\$\{[^}]*\}$/.test(value);
}

/** What a plain scalar's substituted text reads as in YAML: a number, boolean or null, else the text. */
function typedScalar(text: string): unknown {
  try {
    const value: unknown = parse(text);
    return typeof value === 'number' || typeof value === 'boolean' || value === null ? value : text;
  } catch {
    return text;
  }
}

/** The key path of a node from the visitor's ancestors, for the error's key path. */
function pathOf(ancestors: readonly unknown[], node: unknown): KeyPath {
  const path: (string | number)[] = [];
  const chain = [...ancestors, node];
  for (let i = 0; i < chain.length - 1; i++) {
    const parent = chain[i];
    const child = chain[i + 1];
    if (isPair(parent) && isScalar(parent.key) && parent.value === child) path.push(String(parent.key.value));
    else if (isSeq(parent)) path.push(parent.items.indexOf(child));
  }
  return path;
}

/**
 * Replaces the references in every scalar value of `doc` (in place) and returns the problems found;
 * the document is unchanged where there was one.
 */
export function substituteDocument(doc: Document, env: Environment): SubstitutionProblem[] {
  const problems: SubstitutionProblem[] = [];
  visit(doc, {
    Scalar(key, node: Scalar, ancestors) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('$')) return;
      const value = node.value;
      const result = substituteText(value, env);
      if (!result.ok) {
        problems.push({
          offset: node.range?.[0] ?? 0,
          path: pathOf(ancestors, node),
          message: result.problem,
        });
        return;
      }
      node.value = node.type === 'PLAIN' && isWholeReference(value) ? typedScalar(result.text) : result.text;
    },
  });
  return problems;
}
