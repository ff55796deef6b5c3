/**
 * Bounds on config input, checked before the YAML library sees it: a file larger than any real config,
 * or nested deeper than one, costs the parser time and memory out of all proportion (a few megabytes of
 * `[` take tens of seconds and gigabytes). The nesting scan is a single pass that tracks what the
 * parser would nest: flow collections (`[`, `{`), block indentation and compact `- ` entries.
 */
import { open } from 'node:fs/promises';

/** The largest config file Junction reads: 16 MiB (a 100,000-route config is about 10 MiB). */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/** Deeper than any real config (they nest about 8 levels); the same bound applies after parsing. */
export const MAX_NESTING_DEPTH = 64;

/**
 * Entries (list items, mapping values) a config may hold: a config at the size bound written one route
 * per few lines has about a million; the YAML library needs about 450 bytes per node, so a file of the
 * same size made of millions of tiny entries (`[1,1,1,...]`) would need gigabytes to parse.
 */
export const MAX_CONFIG_ENTRIES = 2_000_000;

export type ReadResult =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly problem: string; readonly errno?: string };

/** Reads a text file of at most `maxBytes`, without ever holding more than that (even if it grows). */
export async function readBoundedText(path: string, maxBytes = MAX_CONFIG_BYTES): Promise<ReadResult> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      ok: false,
      problem: code ?? (error as Error).message,
      ...(code === undefined ? {} : { errno: code }),
    };
  }
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buffer = Buffer.allocUnsafe(Math.min(1024 * 1024, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      chunks.push(buffer.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) return { ok: false, problem: tooLarge(maxBytes) };
    }
    return { ok: true, text: Buffer.concat(chunks, total).toString('utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      ok: false,
      problem: code ?? (error as Error).message,
      ...(code === undefined ? {} : { errno: code }),
    };
  } finally {
    await handle.close();
  }
}

export function tooLarge(maxBytes = MAX_CONFIG_BYTES): string {
  const mib = 1024 * 1024;
  const size = maxBytes % mib === 0 ? `${maxBytes / mib} MiB` : `${maxBytes} bytes`;
  return `the config is larger than ${size}, the most Junction reads`;
}

/** Where the text first nests deeper than allowed, or holds more entries than allowed. */
export interface NestingProblem {
  readonly kind: 'depth' | 'entries';
  readonly offset: number;
  readonly depth: number;
}

function isBlank(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === undefined;
}

/**
 * The first offset where `text` nests deeper than `maxDepth`, or undefined. Conservative where YAML is
 * subtle (it may count a level the parser would not, never fewer for the constructs that nest): quoted
 * scalars, comments and block scalars are skipped, and `[`/`{` count only where a node may start.
 */
export function scanNesting(
  text: string,
  maxDepth = MAX_NESTING_DEPTH,
  maxEntries = MAX_CONFIG_ENTRIES,
): NestingProblem | undefined {
  const length = text.length;
  let entries = 0;
  /** Columns of the open block nodes on the current path. */
  const indents: number[] = [];
  let flow = 0;
  let i = 0;
  while (i < length) {
    // At the start of a line.
    let column = 0;
    while (text[i] === ' ') {
      i++;
      column++;
    }
    const first = text[i];
    if (first === '\n' || first === '\r' || first === '#' || i >= length) {
      i = skipLine(text, i);
      continue;
    }
    if (flow === 0) {
      while (indents.length > 0 && indents[indents.length - 1]! > column) indents.pop();
      if (indents.length === 0 || indents[indents.length - 1]! < column) indents.push(column);
      if (indents.length > maxDepth) return { kind: 'depth', offset: i, depth: indents.length };
    }
    /** Whether a node may start here: the line's start, after `- `, `? `, `: `, or in flow context. */
    let nodeStart = true;
    let blockScalarAt = -1;
    while (i < length && text[i] !== '\n') {
      const ch = text[i]!;
      if (ch === '#' && (i === 0 || isBlank(text[i - 1]))) {
        i = skipLine(text, i);
        break;
      }
      if (ch === '"' || ch === "'") {
        if (nodeStart || flow > 0) {
          i = skipQuoted(text, i);
          nodeStart = false;
          continue;
        }
      } else if (ch === '[' || ch === '{') {
        if (nodeStart || flow > 0) {
          flow++;
          if (indents.length + flow > maxDepth)
            return { kind: 'depth', offset: i, depth: indents.length + flow };
          nodeStart = true;
          i++;
          continue;
        }
      } else if (ch === ']' || ch === '}') {
        if (flow > 0) {
          flow--;
          i++;
          nodeStart = false;
          continue;
        }
      } else if (ch === ',' && flow > 0) {
        if (++entries > maxEntries) return { kind: 'entries', offset: i, depth: indents.length + flow };
        nodeStart = true;
        i++;
        continue;
      } else if ((ch === '-' || ch === '?') && nodeStart && flow === 0 && isBlank(text[i + 1])) {
        // A compact entry (`- - x`, `- key: v`): its content is one level deeper, at its own column.
        if (++entries > maxEntries) return { kind: 'entries', offset: i, depth: indents.length };
        indents.push(i - lineStart(text, i) + 2);
        if (indents.length > maxDepth) return { kind: 'depth', offset: i, depth: indents.length };
        i++;
        continue;
      } else if (ch === ':' && (isBlank(text[i + 1]) || (flow > 0 && /[,\]}]/.test(text[i + 1]!)))) {
        if (++entries > maxEntries) return { kind: 'entries', offset: i, depth: indents.length + flow };
        nodeStart = true;
        i++;
        continue;
      } else if ((ch === '|' || ch === '>') && nodeStart && flow === 0) {
        blockScalarAt = column;
        i = skipLine(text, i);
        break;
      } else if (ch === '&' || ch === '!') {
        // Anchors and tags precede a node: skip the property, a node may still start after it.
        while (i < length && !isBlank(text[i])) i++;
        continue;
      }
      if (!isBlank(ch)) nodeStart = false;
      i++;
    }
    if (i < length && text[i] === '\n') i++;
    if (blockScalarAt >= 0) i = skipBlockScalar(text, i, blockScalarAt);
  }
  return undefined;
}

function lineStart(text: string, i: number): number {
  return text.lastIndexOf('\n', i - 1) + 1;
}

function skipLine(text: string, i: number): number {
  const end = text.indexOf('\n', i);
  return end < 0 ? text.length : end + 1;
}

/** Past the closing quote (or the end of the text); `''` escapes in single quotes, `\` in double. */
function skipQuoted(text: string, i: number): number {
  const quote = text[i];
  let j = i + 1;
  while (j < text.length) {
    const ch = text[j];
    if (quote === '"' && ch === '\\') {
      j += 2;
      continue;
    }
    if (ch === quote) {
      if (quote === "'" && text[j + 1] === "'") {
        j += 2;
        continue;
      }
      return j + 1;
    }
    j++;
  }
  return j;
}

/** Past the lines of a block scalar whose header was on a line indented `parent`: blank or deeper lines. */
function skipBlockScalar(text: string, i: number, parent: number): number {
  while (i < text.length) {
    let column = 0;
    let j = i;
    while (text[j] === ' ') {
      j++;
      column++;
    }
    const ch = text[j];
    if (ch !== '\n' && ch !== '\r' && j < text.length && column <= parent) return i;
    i = skipLine(text, i);
  }
  return i;
}

/** The message and code for a problem scanNesting() found. */
export function boundProblem(problem: NestingProblem): {
  message: string;
  code: 'JCT_ERR_CONFIG_YAML' | 'JCT_ERR_CONFIG_TOO_LARGE';
} {
  return problem.kind === 'depth'
    ? { message: `nesting deeper than ${MAX_NESTING_DEPTH} levels`, code: 'JCT_ERR_CONFIG_YAML' }
    : {
        message: `more than ${MAX_CONFIG_ENTRIES.toLocaleString('en')} entries, the most a config may hold`,
        code: 'JCT_ERR_CONFIG_TOO_LARGE',
      };
}
