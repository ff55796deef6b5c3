import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { ConfigErrors } from '../errors/index.ts';
import { MAX_CONFIG_BYTES, MAX_NESTING_DEPTH, readBoundedText, scanNesting } from './input-bounds.ts';
import { loadConfigFile } from './load-config.ts';
import { parseConfigText } from './parse-config.ts';

function problemsIn(text: string): string[] {
  try {
    parseConfigText(text, 'bad.yaml');
  } catch (error) {
    if (!(error instanceof ConfigErrors)) throw error;
    return error.errors.map((e) => `${e.code} ${e.at?.line}:${e.at?.column}: ${e.problem}`);
  }
  throw new Error('expected ConfigErrors, but the config parsed');
}

const VALID =
  'listeners: [{ port: 1 }]\nroutes:\n  - { cluster: api }\nclusters:\n  api:\n    backends: [127.0.0.1:9001]\n';

describe('scanNesting', () => {
  test.each<[string, string, number]>([
    ['flow sequences', '['.repeat(100), 1],
    ['flow mappings', 'a: ' + '{b: '.repeat(100), 1],
    ['block mappings', Array.from({ length: 100 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n'), 1],
    ['compact sequences', `x: ${'- '.repeat(100)}1`, 1],
  ])('%s deeper than the bound are found before parsing', (_name, text) => {
    expect(scanNesting(text)).toBeDefined();
  });

  test.each<[string, string]>([
    ['brackets inside quotes', `a: '${'['.repeat(200)}'\nb: "${'{'.repeat(200)}"\n`],
    ['brackets inside a plain scalar', `regex: ^a${'['.repeat(200)}\n`],
    ['brackets in comments', `# ${'['.repeat(200)}\na: 1 # ${'{'.repeat(200)}\n`],
    ['brackets in a block scalar', `a: |\n  ${'['.repeat(200)}\n  ${'{'.repeat(200)}\nb: 1\n`],
    ['a real config', VALID],
  ])('%s do not count', (_name, text) => {
    expect(scanNesting(text)).toBeUndefined();
  });

  test('the bound is the same as after parsing: just under it parses', () => {
    const depth = MAX_NESTING_DEPTH - 2;
    const text = `${VALID}x_nested: ${'['.repeat(depth)}${']'.repeat(depth)}\n`;
    expect(scanNesting(text)).toBeUndefined();
  });
});

describe('config input bounds', () => {
  test('5 MB of [ is refused at once at its position, without parsing it', () => {
    const started = Date.now();
    expect(problemsIn(`listeners:\n  - port: ${'['.repeat(5_000_000)}`)).toEqual([
      // Three block levels (listeners, the list, its entry), then the brackets from column 11.
      `JCT_ERR_CONFIG_YAML 2:${11 + MAX_NESTING_DEPTH - 3}: nesting deeper than ${MAX_NESTING_DEPTH} levels`,
    ]);
    // Generous: the parser itself takes tens of seconds on this input.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  test('deep block nesting is refused at the line that passes the bound', () => {
    const text = Array.from({ length: 80 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n');
    expect(problemsIn(text)).toEqual([
      `JCT_ERR_CONFIG_YAML ${MAX_NESTING_DEPTH + 1}:${MAX_NESTING_DEPTH + 1}: nesting deeper than ${MAX_NESTING_DEPTH} levels`,
    ]);
  });

  test('millions of tiny entries within the size bound are refused before parsing', () => {
    const started = Date.now();
    const problems = problemsIn(`listeners: [{ port: 1 }]\nx: [${'1,'.repeat(7_000_000)}1]\n`);
    expect(problems).toEqual([
      expect.stringMatching(
        /^JCT_ERR_CONFIG_TOO_LARGE 2:\d+: more than 2,000,000 entries, the most a config may hold$/,
      ),
    ]);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test('a text over the size bound is refused before parsing', () => {
    const text = `${VALID}#${'x'.repeat(MAX_CONFIG_BYTES)}\n`;
    expect(() => parseConfigText(text, 'big.yaml')).toThrow(
      expect.objectContaining({
        errors: [expect.objectContaining({ code: 'JCT_ERR_CONFIG_TOO_LARGE' })],
      }),
    );
  });

  test('a file over the size bound is not read past it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'junction-bounds-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'big.yaml');
    await writeFile(file, `${VALID}#${'x'.repeat(MAX_CONFIG_BYTES)}\n`);
    const read = await readBoundedText(file, 1024);
    expect(read.ok ? '' : read.problem).toMatch(/larger than 1024 bytes/);
    await expect(loadConfigFile(file)).rejects.toThrow(/larger than 16 MiB/);
  });

  test("the YAML library's advice does not reach the reader", () => {
    const [problem] = problemsIn('listeners: [{ port: 1 }]\n---\nlisteners: [{ port: 2 }]\n');
    expect(problem).not.toMatch(/parseAllDocuments|please use/);
    expect(problem).toMatch(/one YAML document/);
  });
});

describe('listen addresses', () => {
  test.each(['300.1.1.1', '1.2.3', '10.0.0.256'])('%s is not an address', (address) => {
    const text = `listeners:\n  - { port: 1, address: ${address} }\n`;
    expect(problemsIn(text)).toEqual([
      `JCT_ERR_CONFIG_INVALID 2:25: address: '${address}' is not a valid IPv4 address (four numbers from 0 to 255)`,
    ]);
  });

  test('a backend at 300.1.1.1 is refused too', () => {
    const text = `listeners: [{ port: 1 }]\nclusters:\n  api:\n    backends: ['300.1.1.1:80']\n`;
    expect(problemsIn(text)[0]).toMatch(/is not a valid IPv4 address/);
  });
});

describe('included rule files', () => {
  test('get the same nesting bound, at their own file:line:column', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'junction-bounds-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const included = join(dir, 'rules.yaml');
    await writeFile(included, `- when: ${'['.repeat(100_000)}\n`);
    const file = join(dir, 'junction.yaml');
    await writeFile(file, `${VALID}rules:\n  - { include: rules.yaml }\n`);
    await expect(loadConfigFile(file)).rejects.toThrow(
      `${included}:1:${9 + MAX_NESTING_DEPTH - 2}: nesting deeper than ${MAX_NESTING_DEPTH} levels`,
    );
  });
});
