/**
 * The source tree's structure, checked: no import cycle between files of src/ (type-only imports,
 * `export … from` and `import('…')` count: a cycle of types is still two files that cannot be read,
 * changed or moved apart), and no source file past MAX_SOURCE_LINES (split it by responsibility).
 * Test files are left out of both checks.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(SRC);

/** A source file longer than this does several jobs; CONTRIBUTING.md asks for a split near 600. */
const MAX_SOURCE_LINES = 700;

const isTest = (path: string): boolean => path.endsWith('.test.ts');

/** Every .ts file under `dir`, absolute paths, sorted so reports are stable. */
function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** A relative specifier as Node and TypeScript resolve it here: the file itself, `.ts`, or `/index.ts`. */
function resolveSpecifier(from: string, specifier: string): string | undefined {
  const base = resolve(dirname(from), specifier);
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) {
    if (candidate.endsWith('.ts') && existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/**
 * Each file's relative imports, resolved. TypeScript's own pre-processor reads the specifiers, so
 * `import type`, `export … from`, `import('…')` (a call or a type) and multi-line imports all count,
 * and words in comments or strings do not.
 */
function importGraph(files: readonly string[]): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = new Set<string>();
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const target = resolveSpecifier(file, fileName);
      if (target !== undefined && known.has(target)) targets.add(target);
    }
    graph.set(file, [...targets]);
  }
  return graph;
}

/** Tarjan's strongly connected components: every component of more than one file (or a self-import) is a cycle. */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const found: string[][] = [];
  let next = 0;

  // Iterative, so a deep import chain cannot overflow the call stack.
  for (const root of graph.keys()) {
    if (index.has(root)) continue;
    const work: { node: string; edge: number }[] = [{ node: root, edge: 0 }];
    index.set(root, next);
    low.set(root, next++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const edges = graph.get(frame.node) ?? [];
      if (frame.edge < edges.length) {
        const target = edges[frame.edge++]!;
        if (!index.has(target)) {
          index.set(target, next);
          low.set(target, next++);
          stack.push(target);
          onStack.add(target);
          work.push({ node: target, edge: 0 });
        } else if (onStack.has(target)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(target)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) !== index.get(frame.node)) continue;
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== frame.node);
      if (component.length > 1 || edges.includes(frame.node)) found.push(component.sort());
    }
  }
  return found;
}

/** A shortest loop through the component's first file, `a → b → … → a`: the imports to cut. */
function cyclePath(graph: ReadonlyMap<string, readonly string[]>, component: readonly string[]): string[] {
  const members = new Set(component);
  const start = component[0]!;
  const parent = new Map<string, string>([[start, start]]);
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const next of graph.get(node) ?? []) {
      if (next === start) {
        const loop = [start];
        for (let at = node; at !== start; at = parent.get(at)!) loop.unshift(at);
        return [start, ...loop];
      }
      if (members.has(next) && !parent.has(next)) {
        parent.set(next, node);
        queue.push(next);
      }
    }
  }
  return [start];
}

function lineCount(text: string): number {
  if (text === '') return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

const show = (path: string): string => relative(ROOT, path);

describe('source structure', () => {
  const files = sourceFiles(SRC).filter((path) => !isTest(path));

  it('has no import cycle in src/ (type-only imports count)', () => {
    const graph = importGraph(files);
    const report = cycles(graph).map((component) => {
      const loop = cyclePath(graph, component).map(show).join('\n    → ');
      return `${component.length} files import each other: ${component.map(show).join(' ')}\n  for example:\n    ${loop}`;
    });
    expect(report, `import cycles in src/:\n${report.join('\n')}`).toEqual([]);
  });

  it(`has no source file over ${MAX_SOURCE_LINES} lines`, () => {
    const tooLong = files
      .map((path) => ({ path: show(path), lines: lineCount(readFileSync(path, 'utf8')) }))
      .filter(({ lines }) => lines > MAX_SOURCE_LINES)
      .map(({ path, lines }) => `${path}: ${lines} lines`);
    expect(tooLong, `split these by responsibility:\n${tooLong.join('\n')}`).toEqual([]);
  });
});
