/**
 * `junction explain` and `junction preview` as a user runs them: the built bin/junction.js, a
 * rules-heavy config written in TxnBox's forms (its hook names, `with`/`select`, `rxp` groups,
 * variables, a route's remap rules, proxy-req rules), text and --json output, exit codes.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { tempConfigFile } from '../support/junction-process.ts';
import { withTimeout } from '../support/wait-for.ts';

const BIN = fileURLToPath(new URL('../../bin/junction.js', import.meta.url));

function junction(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return withTimeout(
    new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.once('exit', (code) => {
        resolve({ code, stdout, stderr });
      });
    }),
    15_000,
    `junction ${args.join(' ')}`,
  );
}

const RULES_HEAVY = `
listeners:
  - { name: web, address: 127.0.0.1, port: 8080 }
rules:
  # TxnBox forms: hook names, with/select, rxp groups, variables.
  - when: ua-req
    do:
      - ua-req-field<X-Internal>: null
      - with: ua-req-field<X-Tenant>
        select:
          - rxp: '^([a-z]+)-prod$'
            do:
              - var<tenant>: '{1}'
  - when: pre-remap
    do:
      - with: ua-req-path
        select:
          - rxp: '^users/(\\d+)$'
            do:
              - ua-req-path: 'v2/users/{1}'
          - prefix: 'maintenance/'
            do:
              - proxy-reply: 503
          - prefix: 'go/'
            do:
              - redirect: [302, 'https://example.com/{*}']
  - when: proxy-req
    do:
      - proxy-req-field<X-Tenant-Id>: '{var<tenant>}'
routes:
  - name: api
    match: { host: api.example.com, path: /v2/ }
    cluster: api
    rules:
      - with: var<tenant>
        select:
          - match: 'acme'
            do:
              - cluster: 'acme'
  - name: web
    match: { host: www.example.com }
    cluster: web
clusters:
  api: { backends: [10.0.0.1:8000, 10.0.0.2:8000] }
  acme: { backends: [10.0.9.1:8000] }
  web:
    backends: [10.0.1.1:8000, 10.0.1.2:8000]
    strategy: { kind: failover, groups: [[10.0.1.1:8000], [10.0.1.2:8000]], within: first }
`;

describe('junction explain', () => {
  test('text: rules that fire and what they change, routes tried, the cluster a rule chose', async () => {
    const file = await tempConfigFile('rules.yaml', RULES_HEAVY);
    const run = await junction([
      'explain',
      '-c',
      file,
      'GET http://api.example.com:8080/users/42',
      '-H',
      'X-Tenant: acme-prod',
      '-H',
      'X-Internal: 1',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = run.stdout;
    expect(out).toContain('outcome:   proxy to cluster acme backend 10.0.9.1:8000');
    expect(out).toContain('field X-Internal: removed');
    expect(out).toContain('var tenant = acme');
    expect(out).toContain('path: /users/42 -> /v2/users/42');
    expect(out).toContain('MATCH api (exact host)');
    expect(out).toContain('cluster: acme');
    expect(out).toContain('Cluster acme (chosen by a rule)');
    expect(out).toContain("field X-Tenant-Id: set 'acme'");
    expect(out).toContain('GET /v2/users/42');
  });

  test('--json: one object with the route, cluster, deterministic failover pick and retries', async () => {
    const file = await tempConfigFile('rules.yaml', RULES_HEAVY);
    const run = await junction(['explain', '-c', file, '--json', 'POST http://www.example.com:8080/form']);
    expect(run.code).toBe(0);
    const e = JSON.parse(run.stdout) as {
      route: string;
      cluster: {
        name: string;
        pick: { backend: string; deterministic: boolean };
        strategy: { kind: string };
      };
      retries: { idempotent: boolean };
      outcome: { kind: string; status: null };
    };
    expect(e.route).toBe('web');
    expect(e.cluster.name).toBe('web');
    expect(e.cluster.strategy.kind).toBe('failover');
    expect(e.cluster.pick).toMatchObject({ backend: '10.0.1.1:8000', deterministic: true });
    expect(e.retries.idempotent).toBe(false);
    expect(e.outcome).toMatchObject({ kind: 'proxy', status: null });
  });

  test('a rule answers (503) or redirects: the walk stops there', async () => {
    const file = await tempConfigFile('rules.yaml', RULES_HEAVY);
    const reply = await junction(['explain', '-c', file, 'GET http://www.example.com:8080/maintenance/x']);
    expect(reply.stdout).toContain('outcome:   answer 503 (a rule answers)');
    const redirect = await junction(['explain', '-c', file, 'GET http://www.example.com:8080/go/docs']);
    expect(redirect.stdout).toContain('outcome:   answer 302 -> https://example.com/docs (a rule redirects)');
  });

  test('404: the closest routes and the condition each missed', async () => {
    const file = await tempConfigFile('rules.yaml', RULES_HEAVY);
    const run = await junction(['explain', '-c', file, 'GET http://api.example.com:8080/v1/x']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('answer 404 JCT_ERR_ROUTE_NOT_FOUND');
    expect(run.stdout).toContain("api: path '/v1/x' does not start with '/v2/'");
    expect(run.stdout).toContain("web: host 'api.example.com' is not www.example.com");
  });

  test('usage errors exit 2; an invalid config exits 1', async () => {
    const file = await tempConfigFile('rules.yaml', RULES_HEAVY);
    const noRequest = await junction(['explain', '-c', file]);
    expect(noRequest.code).toBe(2);
    expect(noRequest.stderr).toContain("explain needs a request: 'METHOD URL'");
    const badHeader = await junction(['explain', '-c', file, 'GET /', '-H', 'no colon']);
    expect(badHeader.code).toBe(2);
    const bad = await tempConfigFile('bad.yaml', 'routes: [{ cluster: nope }]\n');
    const invalid = await junction(['explain', '-c', bad, 'GET http://x/']);
    expect(invalid.code).toBe(1);
  });
});

describe('junction preview', () => {
  test('the requests a new config handles differently, grouped, then the count', async () => {
    const oldFile = await tempConfigFile('old.yaml', RULES_HEAVY);
    // The new config: /v2/ moves to a new cluster, and maintenance ends.
    const next = RULES_HEAVY.replace('    cluster: api\n', '    cluster: api-next\n')
      .replace("          - prefix: 'maintenance/'\n            do:\n              - proxy-reply: 503\n", '')
      .replace('  acme: {', '  api-next: { backends: [10.0.5.1:8000] }\n  acme: {');
    const newFile = await tempConfigFile('new.yaml', next);
    const requests = await tempConfigFile(
      'requests.txt',
      [
        '# plain lines, headers indented under their request',
        'GET http://api.example.com:8080/v2/items',
        'GET http://api.example.com:8080/users/7',
        '  X-Tenant: acme-prod',
        'GET http://www.example.com:8080/maintenance/page',
        // An access log line, as Junction writes it.
        JSON.stringify({
          type: 'http',
          client: '203.0.113.7:51522',
          listener: 'web',
          method: 'GET',
          scheme: 'http',
          host: 'www.example.com',
          path: '/index.html?x=1',
          user_agent: 'curl/8.5.0',
          referer: null,
          tls: null,
        }),
      ].join('\n'),
    );
    const run = await junction(['preview', '--old', oldFile, '--new', newFile, '--requests', requests]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Answer changes (a local answer appears, goes or changes status): 1');
    expect(run.stdout).toContain('GET http://www.example.com:8080/maintenance/page');
    expect(run.stdout).toContain('Cluster changes: 1');
    expect(run.stdout).toContain('old: route api, cluster api, api.example.com:8080/v2/items');
    expect(run.stdout).toContain('new: route api, cluster api-next, api.example.com:8080/v2/items');
    // The acme tenant's request goes to acme under both: unchanged.
    expect(run.stdout).not.toContain('users/7');
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('2 of 4 requests would be handled differently');

    const json = await junction([
      'preview',
      '--old',
      oldFile,
      '--new',
      newFile,
      '--requests',
      requests,
      '--json',
    ]);
    const parsed = JSON.parse(json.stdout) as {
      total: number;
      differing: number;
      changed: { kind: string }[];
    };
    expect(parsed.total).toBe(4);
    expect(parsed.differing).toBe(2);
    expect(parsed.changed.map((c) => c.kind).sort()).toEqual(['answer', 'cluster']);
  }, 60_000);
});
