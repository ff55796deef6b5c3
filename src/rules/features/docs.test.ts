/**
 * The features reference documents every extractor and modifier, and its examples compile. It is the
 * Features section of docs/rules.md (other sections have tables of directives that share some names).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { TXN_HOOKS, TXNBOX_HOOK_NAMES } from '../../hooks/index.ts';
import { compileExpression } from './compile-expression.ts';
import { EXTRACTORS } from './extractors.ts';
import { MODIFIERS } from './modifiers.ts';
import { FakeResources, TestEnv } from './test-context.test-suite.ts';

const reference = readFileSync(new URL('../../../docs/rules.md', import.meta.url), 'utf8');
const start = reference.indexOf('\n## Features\n');
const end = reference.indexOf('\n## ', start + 1);
const doc = start < 0 ? '' : reference.slice(start, end < 0 ? undefined : end);

/** Table rows whose first cell is `name` or `name<…>`, by name: the row's cells. */
/** Table rows of the part of the section after `from` and before `to` (ip-space is an extractor and a modifier). */
function rows(from = '### Extractors', to = '### Modifiers'): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const start = doc.indexOf(from);
  const end = doc.indexOf(to, start + 1);
  const part = doc.slice(start, end < 0 ? undefined : end);
  for (const line of part.split('\n')) {
    const match = /^\|\s*`([a-z][a-z-]*)(?:<[^`]*>)?`\s*\|/.exec(line);
    if (match)
      found.set(
        match[1]!,
        line.split('|').map((cell) => cell.trim()),
      );
  }
  return found;
}

function resources(): FakeResources {
  const defined = new FakeResources();
  defined.defineIpSpace('geo', { columnNames: ['country'], lookup: () => ['FR'] } as never);
  defined.defineTextBlock('maintenance', () => 'down for maintenance');
  defined.defineStat('denied', 0);
  return defined;
}

describe('the features reference', () => {
  const documented = rows();
  const modifiers = rows('### Modifiers', '### Mistakes in expressions');

  test('is the Features section of docs/rules.md', () => {
    expect(doc).toContain('### Extractors');
    expect(doc).toContain('### Modifiers');
  });

  test.each([...EXTRACTORS.keys()])('documents the extractor %s with an example that compiles', (name) => {
    const cells = documented.get(name);
    expect(cells, `no row for ${name}`).toBeDefined();
    const example = new RegExp(`\`(\\{${name}[^\`]*\\})\``).exec(cells!.join('|'))?.[1];
    expect(example, `no {${name}…} example`).toBeDefined();
    const hooks = EXTRACTORS.get(name)!.hooks;
    const hook = hooks === undefined ? 'send-response' : [...hooks].at(-1)!;
    expect(() => compileExpression(example, new TestEnv(hook, resources()))).not.toThrow();
  });

  test.each([...MODIFIERS.keys()])('documents the modifier %s with an example that compiles', (name) => {
    const cells = modifiers.get(name);
    expect(cells, `no row for ${name}`).toBeDefined();
    const example = cells!.at(-2)!.replace(/^`|`$/g, '');
    const node: unknown = parse(example);
    expect(JSON.stringify(node)).toMatch(new RegExp(`"${name}(<[^"]*>)?"`));
    expect(() => compileExpression(node, new TestEnv('send-response', resources()))).not.toThrow();
  });

  test('every hook it says an extractor is valid at is a hook the rules know', () => {
    const known = new Set<string>([...TXN_HOOKS.map((hook) => TXNBOX_HOOK_NAMES[hook]), 'post-load']);
    const lists = [...doc.matchAll(/Valid at ((?:`[a-z-]+`,? ?)+)/g)];
    expect(lists.length).toBeGreaterThan(0);
    for (const list of lists) {
      for (const name of list[1]!.matchAll(/`([a-z-]+)`/g)) expect(known).toContain(name[1]);
    }
  });
});
