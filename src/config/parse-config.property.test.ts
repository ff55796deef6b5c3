/**
 * Properties of parseConfigText over hostile input: whatever the text, it returns a config or throws
 * ConfigErrors whose every error has a position inside the text; never any other exception.
 * JUNCTION_FC_RUNS widens a run and JUNCTION_FC_SEED replays one (fast-check prints the seed on failure).
 */
import { fc, test } from '@fast-check/vitest';
import { stringify } from 'yaml';
import { describe, expect } from 'vitest';
import { ConfigErrors } from '../errors/index.ts';
import { parseConfigText } from './parse-config.ts';

const runs = Number(process.env['JUNCTION_FC_RUNS'] ?? 200);
const seed =
  process.env['JUNCTION_FC_SEED'] === undefined ? undefined : Number(process.env['JUNCTION_FC_SEED']);
const params = { numRuns: runs, ...(seed === undefined ? {} : { seed }) };

const VALID = `listeners:
  - name: main
    port: 8080
routes:
  - match: { host: ['*.a.com', b.com], path: { regex: '^/v' }, method: GET, headers: { x-a: '1' } }
    cluster: api
clusters:
  api:
    strategy: { kind: round-robin }
    backends: [127.0.0.1:9001, { address: '[::1]:9002', weight: 2 }]
timeouts: { connect: 3s }
limits: { max_head_size: 32KiB }
forwarded: { x_forwarded_for: true }
`;

const TOKENS = [
  'listeners',
  'routes',
  'clusters',
  'backends',
  'port',
  'name',
  'cluster',
  'match',
  'host',
  'path',
  'regex',
  'timeouts',
  'connect',
  'limits',
  'max_head_size',
  ':',
  ': ',
  ' ',
  '  ',
  '\n',
  '\n  ',
  '- ',
  '[',
  ']',
  '{',
  '}',
  ',',
  '&a ',
  '*a',
  '"',
  "'",
  '#',
  '8080',
  '0',
  '-1',
  '3s',
  '32KiB',
  '127.0.0.1:1',
  '*.a.com',
  '(',
  '\t',
  '? ',
  '|',
  '>',
  '!!str ',
  '!!map ',
  '---',
  '...',
  '%YAML 1.2\n',
  'null',
  '~',
  '<<',
  '\u00a0',
  '\u2028',
  '\ufeff',
];

/** Text assembled from YAML's structural characters and the config's own words. */
const yamlish = fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }).map((parts) => parts.join(''));

/** The valid config with a few characters inserted, deleted or replaced. */
const mutated = fc
  .array(fc.tuple(fc.nat(VALID.length), fc.nat(3), fc.constantFrom(...TOKENS)), {
    minLength: 1,
    maxLength: 4,
  })
  .map((edits) =>
    edits.reduce(
      (text, [at, deleteCount, insert]) => text.slice(0, at) + insert + text.slice(at + deleteCount),
      VALID,
    ),
  );

const KEYS = [
  'listeners',
  'routes',
  'clusters',
  'api',
  'port',
  'name',
  'address',
  'cluster',
  'match',
  'host',
  'path',
  'backends',
  'strategy',
  'kind',
  'weight',
  'timeouts',
  'connect',
  'limits',
  'headers',
  'regex',
  'exact',
  'prefix',
];
const VALUES = [
  fc.constantFrom('127.0.0.1:1', '/api', 'api', '3s', '32KiB', '(', 'round-robin', '*.a.com', ''),
  fc.integer({ min: -2, max: 70_000 }),
  fc.boolean(),
  fc.constant(null),
];

/** Well-formed YAML of the right vocabulary in the wrong shapes: exercises the schema, not the parser. */
const structured = fc
  .object({
    key: fc.constantFrom(...KEYS),
    maxDepth: 4,
    maxKeys: 4,
    values: VALUES,
    withNullPrototype: false,
  })
  .map((value) => stringify(value));

function assertParsesOrLocates(text: string): void {
  const lineCount = text.split(/\r\n|\r|\n/).length;
  try {
    const config = parseConfigText(text, 'fuzz.yaml');
    expect(config.listeners.length).toBeGreaterThan(0);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigErrors);
    const { errors } = error as ConfigErrors;
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) {
      expect(e.at?.file).toBe('fuzz.yaml');
      expect(e.at?.line).toBeGreaterThanOrEqual(1);
      expect(e.at?.line).toBeLessThanOrEqual(lineCount + 1);
      expect(e.at?.column).toBeGreaterThanOrEqual(1);
      expect(e.problem).not.toBe('');
    }
  }
}

describe('parseConfigText never fails without a position', () => {
  test('the seed config is valid', () => {
    expect(parseConfigText(VALID, 'fuzz.yaml').routes).toHaveLength(1);
  });
  test.prop([yamlish], params)('YAML-ish token soup', assertParsesOrLocates);
  test.prop([mutated], params)('small edits to a valid config', assertParsesOrLocates);
  test.prop([structured], params)('well-formed YAML in arbitrary shapes', assertParsesOrLocates);
  test.prop([fc.string({ maxLength: 200 })], params)('arbitrary strings', assertParsesOrLocates);
});
