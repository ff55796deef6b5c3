import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ConfigErrors } from '../errors/index.ts';
import { configDocument } from './config-document.ts';
import { parseConfigText } from './parse-config.ts';
import { parseConfigYaml } from './parse-config.ts';
import { substituteText } from './env-substitution.ts';

const ENV = { PORT: '8081', HOST: 'api.internal', EMPTY: '', TOKEN: 's3cret-token-value' };

describe('substituteText', () => {
  test.each([
    ['${HOST}:${PORT}', 'api.internal:8081'],
    ['${MISSING:-fallback}', 'fallback'],
    ['${EMPTY:-fallback}', 'fallback'],
    ['${HOST:-fallback}', 'api.internal'],
    ['${MISSING:-}', ''],
    ['${MISSING:-a:-b}', 'a:-b'],
    ['cost $$5 and ${PORT}', 'cost $5 and 8081'],
    ['^/v1/.*$', '^/v1/.*$'],
    ['$HOST stays', '$HOST stays'],
    ['$${HOST} is literal', '${HOST} is literal'],
  ])('%j → %j', (input, expected) => {
    expect(substituteText(input, ENV)).toEqual({ ok: true, text: expected });
  });

  test.each([
    ['${MISSING}', 'environment variable MISSING is not set'],
    ['${EMPTY}x', undefined],
    ['${HOST', "without its closing '}'"],
    ['${1BAD}', 'is not a variable reference'],
    ['${}', 'is not a variable reference'],
  ])('%j is refused (or, set but empty, is empty)', (input, problem) => {
    const result = substituteText(input, ENV);
    if (problem === undefined) expect(result).toEqual({ ok: true, text: 'x' });
    else expect(result.ok ? '' : result.problem).toContain(problem);
  });

  test('text without references comes back unchanged; $$ always reads as one $', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const plain = text.replaceAll('$', '');
        expect(substituteText(plain, ENV)).toEqual({ ok: true, text: plain });
        expect(substituteText(text.replaceAll('$', '$$$$'), ENV)).toEqual({ ok: true, text });
      }),
    );
  });
});

const CONFIG = `listeners:
  - port: \${PORT}
    address: "\${BIND:-127.0.0.1}"
admin: { port: 0, token: "\${TOKEN}" }
routes:
  - match: { path: /v1/ }
    cluster: app
clusters:
  app: { backends: ["\${HOST}:80"] }
`;

describe('in a config', () => {
  test('values are substituted, a plain whole reference is typed, the document keeps the references', () => {
    const parsed = parseConfigYaml(CONFIG, 'env.yaml', ENV);
    expect(parsed.data).toMatchObject({
      listeners: [{ port: 8081, address: '127.0.0.1' }],
      admin: { token: 's3cret-token-value' },
      clusters: { app: { backends: ['api.internal:80'] } },
    });
    expect(JSON.stringify(parsed.document)).toContain('${TOKEN}');
    expect(JSON.stringify(parsed.document)).not.toContain('s3cret');
  });

  test('an unset variable is an error at its line and column, with its name', () => {
    try {
      parseConfigYaml(CONFIG, 'env.yaml', { PORT: '1' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigErrors);
      const messages = (error as ConfigErrors).errors.map((e) => e.message);
      expect(messages).toContainEqual(expect.stringMatching(/^env\.yaml:4:26: .*TOKEN is not set/));
      expect(messages).toContainEqual(expect.stringMatching(/^env\.yaml:9:21: .*HOST is not set/));
      expect((error as ConfigErrors).errors.every((e) => e.code === 'JCT_ERR_CONFIG_ENV')).toBe(true);
    }
  });

  test('a served config remembers the document as written (what the admin API exports and saves)', () => {
    const saved = { ...process.env };
    Object.assign(process.env, ENV);
    try {
      const config = parseConfigText(CONFIG.replace(/admin: .*\n/, ''), 'env.yaml');
      expect(config.listeners[0]!.port).toBe(8081);
      expect(JSON.stringify(configDocument(config))).toContain('${HOST}:80');
    } finally {
      for (const key of Object.keys(ENV)) Reflect.deleteProperty(process.env, key);
      Object.assign(process.env, saved);
    }
  });
});
