import { afterAll, describe, expect, test } from 'vitest';
import { loadConfigText, type JunctionConfig } from '../config/index.ts';
import { explain } from './evaluate.ts';
import { explanationJson, explanationText } from './format.ts';
import { responseChanges } from './response-side.ts';

const YAML = `
listeners:
  - { name: main, address: 127.0.0.1, port: 8080 }
rules:
  - when: upstream-rsp
    do:
      - with: upstream-rsp-status
        select:
          - eq: 503
            do:
              - upstream-rsp-status: 502
  - when: proxy-rsp
    do:
      - proxy-rsp-field<Server>: null
      - proxy-rsp-field<X-Served-By>: '{cluster}'
routes:
  - { name: app, match: { path: /app/ }, cluster: app }
clusters:
  app: { backends: [10.0.0.1:80] }
`;

let config: JunctionConfig | undefined;
const load = async () => (config ??= await loadConfigText(YAML, '<response-side-test>'));
afterAll(() => config?.rules?.dispose());

describe('response rules in explain', () => {
  test('without a response: listed with their source, marked as not run', async () => {
    const e = await explain(
      await load(),
      { method: 'GET', url: 'http://a.example:8080/app/x', headers: [] },
      { skipPlugins: true },
    );
    expect(e.response?.assumed).toBeNull();
    expect(e.response?.final).toBeNull();
    expect(e.response?.rules.map((r) => [r.hook, r.rule, r.evaluated])).toEqual([
      ['upstream-rsp', 'rule 1 at upstream-rsp', false],
      ['proxy-rsp', 'rule 1 at proxy-rsp', false],
    ]);
    expect(e.response?.rules[0]?.source).toContain('upstream-rsp-status: 502');
    expect(e.notRun).toEqual([]);
    expect(explanationText(e)).toContain('Response rules (not run: they depend on the response');
  });

  test('with an assumed response: each rule run against it, and the response the client gets', async () => {
    const e = await explain(
      await load(),
      {
        method: 'GET',
        url: 'http://a.example:8080/app/x',
        headers: [],
        response: { status: 503, headers: [['Server', 'nginx']] },
      },
      { skipPlugins: true },
    );
    expect(e.response?.rules.map((r) => r.changes)).toEqual([
      ['status: 503 -> 502'],
      ["field X-Served-By: set 'app'", 'field Server: removed'],
    ]);
    expect(e.response?.final).toEqual({ status: 502, headers: [['X-Served-By', 'app']] });
    // A status the condition does not select leaves it alone.
    const ok = await explain(
      await load(),
      {
        method: 'GET',
        url: 'http://a.example:8080/app/x',
        headers: [],
        response: { status: 200, headers: [] },
      },
      { skipPlugins: true },
    );
    expect(ok.response?.rules[0]?.changes).toEqual([]);
    expect(ok.response?.final?.status).toBe(200);
    expect(JSON.parse(explanationJson(ok))).toHaveProperty('response.final.status', 200);
  });

  test('a local answer lists them unrun; a config without them has no response side', async () => {
    const e = await explain(
      await load(),
      {
        method: 'GET',
        url: 'http://a.example:8080/nope',
        headers: [],
        response: { status: 200, headers: [] },
      },
      { skipPlugins: true },
    );
    expect(e.outcome.status).toBe(404);
    expect(e.response?.rules.every((r) => !r.evaluated)).toBe(true);
    const plain = await loadConfigText(
      `listeners: [{ address: 127.0.0.1, port: 8080 }]\nroutes: [{ cluster: c }]\nclusters: { c: { backends: [10.0.0.1:80] } }\n`,
      '<plain>',
    );
    const none = await explain(
      plain,
      { method: 'GET', url: 'http://a:8080/', headers: [] },
      { skipPlugins: true },
    );
    expect(none.response).toBeUndefined();
    expect(JSON.parse(explanationJson(none))).toHaveProperty('response', null);
  });
});

test('responseChanges: status and fields, in words', () => {
  expect(
    responseChanges(
      {
        status: 200,
        headers: [
          ['A', '1'],
          ['B', '2'],
        ],
      },
      {
        status: 404,
        headers: [
          ['A', '3'],
          ['C', '4'],
        ],
      },
    ),
  ).toEqual(['status: 200 -> 404', "field A: '1' -> '3'", "field C: set '4'", 'field B: removed']);
});

describe('rules at the cache points and os-dns', () => {
  test('are named as not evaluated, with why', async () => {
    const cached = await loadConfigText(
      YAML.replace(
        'rules:\n',
        `rules:
  - when: cache-lookup
    do:
      - var<looked>: '{cache-lookup-status}'
  - when: os-dns
    do:
      - var<up>: '{upstream}'
`,
      ).replace('cluster: app }\n', 'cluster: app, cache: true }\n'),
      '<cache-points-test>',
    );
    try {
      const e = await explain(
        cached,
        { method: 'GET', url: 'http://a.example:8080/app/x', headers: [] },
        { skipPlugins: true },
      );
      expect(e.notRun).toEqual([
        'cache-lookup (depends on the cache and the backend picked)',
        'os-dns (depends on the cache and the backend picked)',
      ]);
      expect(explanationText(e)).toContain('Not evaluated here: cache-lookup (depends on');
    } finally {
      cached.rules?.dispose();
    }
  });
});
