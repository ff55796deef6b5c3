/**
 * The Directives section of docs/rules.md documents every directive, and its examples compile with
 * the real expressions and compiler.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { compileRules } from '../compile-rules.ts';
import { RULE_LANGUAGE } from '../language.ts';
import { DIRECTIVES } from './index.ts';
import { createRuleResources, type RuleResourceStore } from './resources.ts';

const rulesDoc = readFileSync(new URL('../../../docs/rules.md', import.meta.url), 'utf8');
/** Only the Directives section: other sections' YAML blocks are whole configs, not directive lists. */
const doc = rulesDoc.slice(rulesDoc.indexOf('\n## Directives'), rulesDoc.indexOf('\n## Cookbook'));

const dir = mkdtempSync(join(tmpdir(), 'junction-directive-docs-'));
writeFileSync(join(dir, 'geo.csv'), '0.0.0.0/0,ZZ,0,silver\n10.0.0.0/8,DE,3320,gold\n');
writeFileSync(join(dir, 'maintenance.html'), '<p>down</p>\n');
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Resources the run-time examples refer to. */
function resources(): RuleResourceStore {
  const r = createRuleResources();
  r.defineTextBlock('maintenance', () => 'down');
  for (const name of ['denied', 'responses', 'bytes-in']) r.defineStat(name, 0);
  return r;
}

function compiles(rules: unknown[], store = resources()): void {
  const compiled = compileRules(
    { global: [{ node: rules, path: [] }], routes: [] },
    { language: RULE_LANGUAGE, resources: store, baseDir: dir },
  );
  compiled.dispose();
}

function compileRoute(rules: unknown[]): void {
  compileRules(
    { global: [], routes: [{ route: 'r', node: rules, path: [] }] },
    { language: RULE_LANGUAGE, resources: resources(), baseDir: dir },
  ).dispose();
}

/** Every ```yaml block of the reference. */
const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('the directives reference', () => {
  test.each([...DIRECTIVES.keys()])('documents %s in a table', (name) => {
    const row = doc
      .split('\n')
      .find((line) => line.startsWith('|') && new RegExp(`^\\|[^|]*\`${name}(<[^\`]*>)?\``).test(line));
    expect(row, `no table row for ${name}`).toBeDefined();
  });

  test.each([...DIRECTIVES.keys()])('has an example of %s', (name) => {
    const used = blocks.some((block) => new RegExp(`(^|\\s|- )${name}(<[^>]*>)?:`, 'm').test(block));
    expect(used, `no example for ${name}`).toBe(true);
  });

  test.each(blocks.map((block, i) => [i, block] as const))('example %i compiles', (_i, block) => {
    const node: unknown = parse(block);
    expect(Array.isArray(node)).toBe(true);
    const items = node as Record<string, unknown>[];
    if (items.every((item) => 'when' in item)) {
      // Whole rules: they define what they use at post-load.
      compiles(items, createRuleResources());
      return;
    }
    for (const item of items) {
      // A bare directive: it compiles at one of the hooks it is valid at (the examples use
      // extractors of their own message, so not every hook suits every example).
      const key = Object.keys(item)[0]!;
      const spec = DIRECTIVES.get(/^[a-z-]+/.exec(key)![0])!;
      const errors: string[] = [];
      const ok = [...spec.hooks!].some((hook) => {
        try {
          // remap is a route's rules' hook: compile the directive as a route's rule there.
          if (hook === 'remap') compileRoute([item]);
          else compiles([{ when: hook, do: [item] }]);
          return true;
        } catch (error) {
          errors.push(`${hook}: ${(error as Error).message}`);
          return false;
        }
      });
      expect(ok, `${key} compiles nowhere:\n${errors.join('\n')}`).toBe(true);
    }
  });
});
