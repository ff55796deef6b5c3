/**
 * The config's JSON Schema: every example config is valid against it, and what the config refuses by
 * shape (an unknown key, a wrong type, a bad duration) it refuses too, with the shorthands and
 * `${VAR}` references the loader accepts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { validateJsonSchema } from '../../test/support/json-schema.ts';
import { generateConfigJsonSchema } from './json-schema.ts';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
/** The example configs: examples/*.yaml and the TLS one (examples/rules/ holds rule lists, not configs). */
const CONFIGS = [
  ...readdirSync(EXAMPLES)
    .filter((name) => name.endsWith('.yaml'))
    .map((name) => name),
  'tls/https.yaml',
];

const { schema, unrecognised } = generateConfigJsonSchema();

const problems = (yaml: string): string[] =>
  validateJsonSchema(schema, parse(yaml, { merge: true }) as unknown);

const MINIMAL = [
  'listeners: [{ port: 8080 }]',
  'routes: [{ cluster: app }]',
  'clusters:',
  '  app: { backends: [127.0.0.1:9001] }',
  '',
].join('\n');

test('draft 2020-12, strict at the top, and every value read by a parse step has a syntax', () => {
  expect(schema['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
  expect(schema['additionalProperties']).toBe(false);
  expect(schema['required']).toEqual(['listeners']);
  expect(unrecognised).toEqual([]);
});

test.each(CONFIGS)('examples/%s is valid against the schema', (name) => {
  expect(problems(readFileSync(`${EXAMPLES}${name}`, 'utf8'))).toEqual([]);
});

describe('accepted as the loader accepts it', () => {
  test.each<[string, string]>([
    ['a minimal config', MINIMAL],
    [
      'backends as host:port strings and as mappings',
      `${MINIMAL}  api: { backends: ['h:1', { address: 'h:2', weight: 2 }] }\n`,
    ],
    ['access_log: true', `${MINIMAL}access_log: true\n`],
    ['access_log: false', `${MINIMAL}access_log: false\n`],
    ['a key left empty', `${MINIMAL}timeouts:\n  connect:\n`],
    ['durations as strings and numbers', `${MINIMAL}timeouts: { connect: 3s, client_idle: 500 }\n`],
    ['sizes', `${MINIMAL}limits: { max_body_size: 1TiB, max_head_size: 64KiB }\n`],
    [
      'a host as one string or a list',
      'listeners: [{ port: 1 }]\nroutes: [{ match: { host: a.test }, cluster: x }, { match: { host: [a.test, b.test] }, cluster: x }]\n',
    ],
    [
      'a path as a prefix string',
      'listeners: [{ port: 1 }]\nroutes: [{ match: { path: /api/ }, cluster: x }]\n',
    ],
    ['${VAR} for a number', 'listeners: [{ address: "${BIND:-127.0.0.1}", port: "${PORT:-8080}" }]\n'],
    ['workers: auto', `${MINIMAL}workers: auto\n`],
    [
      'a strategy by name or with options',
      `${MINIMAL}  b: { strategy: { kind: round-robin }, backends: [h:1] }\n`,
    ],
    ['retry conditions', `${MINIMAL}  b: { retry: { on: [reset, 5xx, 503] }, backends: [h:1] }\n`],
  ])('%s', (_name, yaml) => {
    expect(problems(yaml)).toEqual([]);
  });
});

describe('refused as the loader refuses it', () => {
  test.each<[string, string, string]>([
    ['an unknown top-level key', `${MINIMAL}listner: []\n`, "has an unknown key 'listner'"],
    ['an unknown listener key', 'listeners: [{ port: 1, prot: 2 }]\n', "has an unknown key 'prot'"],
    ['no listeners', 'routes: []\n', "needs 'listeners'"],
    ['a port of the wrong type', 'listeners: [{ port: eighty }]\n', '/listeners/0/port'],
    ['a port out of range', 'listeners: [{ port: 70000 }]\n', '/listeners/0/port'],
    ['a bad duration', `${MINIMAL}timeouts: { connect: soon }\n`, '/timeouts/connect'],
    ['a decimal size unit', `${MINIMAL}limits: { max_body_size: 1MB }\n`, '/limits/max_body_size'],
    ['a backend that is a number', `${MINIMAL}  b: { backends: [9001] }\n`, '/clusters/b/backends/0'],
    ['a cluster without backends', `${MINIMAL}  b: { strategy: random }\n`, "needs 'backends'"],
  ])('%s', (_name, yaml, expected) => {
    const found = problems(yaml);
    expect(found.length).toBeGreaterThan(0);
    expect(found.join('\n')).toContain(expected);
  });
});
