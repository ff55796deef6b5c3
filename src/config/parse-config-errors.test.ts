import { describe, expect, test } from 'vitest';
import { ConfigErrors } from '../errors/index.ts';
import { parseConfigText, type ParseConfigOptions } from './parse-config.ts';

/** Each problem as `line:column: message`, in the order they are reported. */
function problemsIn(text: string, options: ParseConfigOptions = {}): string[] {
  try {
    parseConfigText(text, 'bad.yaml', options);
  } catch (error) {
    if (!(error instanceof ConfigErrors)) throw error;
    return error.errors.map((e) => `${e.at?.line}:${e.at?.column}: ${e.problem}`);
  }
  throw new Error('expected ConfigErrors, but the config parsed');
}

/** A valid tail so each case only carries the lines it is about. */
const CLUSTER = 'clusters:\n  api:\n    backends: [127.0.0.1:9001]\n';

describe('parseConfigText reports every problem with its position', () => {
  test.each<[string, string, string[]]>([
    [
      'YAML syntax error',
      'listeners:\n  - port: [8080\nroutes: []\n',
      ['3:1: flow sequence in block collection must be sufficiently indented and end with a ]'],
    ],
    [
      'tab indentation',
      'listeners:\n\t- port: 8080\n',
      ['2:1: tabs are not allowed as indentation; indent with spaces'],
    ],
    ['empty file', '', ['1:1: config: must be a mapping with at least listeners, got nothing']],
    [
      'a list at the root',
      '- port: 1\n',
      ['1:1: config: must be a mapping with at least listeners, got a list'],
    ],
    ['missing listeners', 'routes: []\n', ["1:1: missing required key 'listeners'"]],
    [
      'a route upgrade that is neither a boolean nor protocol names',
      'listeners: [{ port: 1 }]\nroutes:\n  - { cluster: c, upgrade: [web socket] }\nclusters: { c: { backends: [127.0.0.1:1] } }\n',
      ['3:28: upgrade: must be true, false, or a list of protocol names such as [websocket], got a list'],
    ],
    ['empty listeners', 'listeners: []\n', ['1:12: listeners: at least one listener is required']],
    [
      'unknown key with suggestion',
      'listeners:\n  - port: 8080\n    max_conections: 5\n',
      ["3:5: unknown key 'max_conections'; did you mean 'max_connections'?"],
    ],
    [
      'unknown top-level key, no close match',
      'listeners: [{ port: 1 }]\nbananas: 1\n',
      ["2:1: unknown key 'bananas'"],
    ],
    [
      'two unknown keys in one mapping',
      'listeners:\n  - { prot: 1, adress: x }\n',
      [
        "2:5: missing required key 'port'",
        "2:7: unknown key 'prot'; did you mean 'port'?",
        "2:16: unknown key 'adress'; did you mean 'address'?",
      ],
    ],
    [
      'bad port',
      'listeners:\n  - port: 70000\n  - port: http\n  - port: 80.5\n',
      [
        '2:11: port: must be a whole number from 0 to 65535, got 70000',
        "3:11: port: must be a whole number from 0 to 65535, got 'http'",
        '4:11: port: must be a whole number from 0 to 65535, got 80.5',
      ],
    ],
    [
      'port with no value',
      'listeners:\n  - port:\n',
      ['2:5: port: must be a whole number from 0 to 65535, got nothing'],
    ],
    [
      'bad listen address',
      "listeners:\n  - { address: '[::1]', port: 1 }\n",
      ["2:16: address: must be an IP address or host name (IPv6 without brackets), got '[::1]'"],
    ],
    [
      'bad durations',
      'listeners: [{ port: 1 }]\ntimeouts:\n  connect: 3 seconds\n  client_idle: 0\n  backend_idle: 1.5\n  shutdown_grace: 30d\n',
      [
        "3:12: connect: '3 seconds' is not a duration; write milliseconds as a number or a string like '500ms', '3s', '2m', '1h'",
        '4:16: client_idle: must be at least 1 ms',
        '5:17: backend_idle: must be a whole number of milliseconds, got 1.5',
        "6:19: shutdown_grace: '30d' is not a duration; write milliseconds as a number or a string like '500ms', '3s', '2m', '1h'",
      ],
    ],
    [
      'duration beyond what timers hold',
      'listeners: [{ port: 1 }]\ntimeouts: { connect: 1000h }\n',
      ['2:22: connect: must be at most 2147483647 ms (about 24 days)'],
    ],
    [
      'bad sizes',
      'listeners: [{ port: 1 }]\nlimits:\n  max_head_size: 32KB\n  max_request_line: 10\n',
      [
        "3:18: max_head_size: '32KB' is not a size; did you mean '32KiB'? (units are binary: B, KiB, MiB, GiB, TiB)",
        '4:21: max_request_line: must be from 64 to 1048576 bytes, got 10',
      ],
    ],
    [
      'request line larger than the head',
      'listeners: [{ port: 1 }]\nlimits: { max_head_size: 4KiB, max_request_line: 8KiB }\n',
      ['2:50: max_request_line: max_request_line (8192 bytes) must not exceed max_head_size (4096 bytes)'],
    ],
    [
      'forwarded flags are booleans',
      "listeners: [{ port: 1 }]\nforwarded: { x_forwarded_for: 'yes' }\n",
      ["2:31: x_forwarded_for: must be true or false, got 'yes'"],
    ],
    [
      'unknown cluster with suggestion',
      `listeners: [{ port: 1 }]\nroutes:\n  - cluster: apii\n${CLUSTER}`,
      ["3:14: cluster: unknown cluster 'apii'; did you mean 'api'?"],
    ],
    [
      'unknown cluster when none exist',
      'listeners: [{ port: 1 }]\nroutes:\n  - cluster: api\n',
      ["3:14: cluster: unknown cluster 'api'; no clusters are defined"],
    ],
    [
      'route without a cluster',
      `listeners: [{ port: 1 }]\nroutes:\n  - match: { path: /x }\n${CLUSTER}`,
      ["3:5: missing required key 'cluster'"],
    ],
    [
      'duplicate route names, explicit and default',
      `listeners: [{ port: 1 }]
routes:
  - { name: a, cluster: api }
  - { name: a, cluster: api }
  - { name: route-4, cluster: api }
  - cluster: api
${CLUSTER}`,
      [
        "4:13: name: route name 'a' is already used by routes[0]",
        "6:5: routes[3]: route name 'route-4' is already used by routes[2]",
      ],
    ],
    [
      'duplicate cluster names',
      'listeners: [{ port: 1 }]\nclusters:\n  api: { backends: [127.0.0.1:1] }\n  api: { backends: [127.0.0.1:2] }\n',
      ["4:3: duplicate cluster name 'api' (first at line 3)"],
    ],
    [
      'duplicate keys anywhere',
      'listeners:\n  - port: 1\n    port: 2\n',
      ["3:5: duplicate key 'port' (first at line 2)"],
    ],
    [
      'duplicate listener address and names',
      `listeners:
  - { port: 8080 }
  - { port: 8080 }
  - { name: x, address: 0.0.0.0, port: 9000 }
  - { name: x, address: 0.0.0.0, port: 9001 }
  - { port: 0 }
  - { port: 0 }
`,
      [
        "3:13: port: listen address '127.0.0.1:8080' is already used by listeners[0]",
        "5:13: name: listener name 'x' is already used by listeners[2]",
        "7:5: listeners[5]: listener name '127.0.0.1:0' is already used by listeners[4]; give the listeners names",
      ],
    ],
    [
      'a cluster with no backends, or none listed',
      'listeners: [{ port: 1 }]\nclusters:\n  a: { backends: [] }\n  b: {}\n  c:\n',
      [
        '3:18: backends: a cluster needs at least one backend',
        "4:6: missing required key 'backends'",
        '5:3: c: must be a mapping with at least backends, got nothing',
      ],
    ],
    [
      'bad backends',
      `listeners: [{ port: 1 }]
clusters:
  api:
    backends:
      - 127.0.0.1
      - '::1:80'
      - { address: 127.0.0.1:0, weight: 0 }
      - 8080
      - { address: 10.0.0.1:80, id: a }
      - { address: 10.0.0.2:80, id: a }
      - 10.0.0.3:80
      - 10.0.0.3:80
`,
      [
        "5:9: backends[0]: '127.0.0.1' has no port; write it as 'host:port'",
        "6:9: backends[1]: write IPv6 addresses in brackets, as in '[::1]:9001'",
        "7:20: address: '127.0.0.1:0' needs a port from 1 to 65535",
        '7:41: weight: must be a whole number from 1 to 1000, got 0',
        "8:9: backends[3]: must be 'host:port' or a mapping with an address, got 8080",
        "10:37: id: backend id 'a' is already used by clusters.api.backends[4]",
        "12:9: backends[7]: backend id '10.0.0.3:80' is already used by clusters.api.backends[6]; give each an id, or list the address once with a weight",
      ],
    ],
    [
      "options the strategy's own parseOptions() refuses",
      `listeners: [{ port: 1 }]\nclusters:\n  api:\n    strategy: { kind: round-robin, warmup: 5 }\n    backends: [127.0.0.1:1]\n`,
      ["4:15: strategy: round-robin takes no options (got 'warmup')"],
    ],
    [
      'retry attempts out of range',
      `listeners: [{ port: 1 }]\nclusters:\n  api:\n    retry: { attempts: 0 }\n    backends: [127.0.0.1:1]\n`,
      ['4:24: attempts: must be a whole number from 1 to 10, got 0'],
    ],
    [
      'invalid regexes and path syntax',
      `listeners: [{ port: 1 }]
routes:
  - cluster: api
    match:
      path: { regex: '(' }
      headers: { x-id: { regex: '[a-' } }
  - cluster: api
    match: { path: api }
  - cluster: api
    match: { path: { prefix: /a, exact: /b } }
${CLUSTER}`,
      [
        '5:22: regex: is not a valid regular expression: Unterminated group',
        '6:33: regex: is not a valid regular expression: Unterminated character class',
        "8:20: path: must start with '/', got 'api'",
        '10:20: path: a path match needs exactly one of prefix, exact, regex, got prefix and exact',
      ],
    ],
    [
      'bad hosts, methods and headers',
      `listeners: [{ port: 1 }]
routes:
  - cluster: api
    match:
      host: ['a.*.com', 'exa mple.com', '*']
      method: ['GET /']
      headers: { x-canary: 1, 'bad name': x, x-off: { present: false } }
${CLUSTER}`,
      [
        "5:14: host[0]: a wildcard must be the whole first label, as in '*.example.com'; got 'a.*.com'",
        "5:25: host[1]: 'exa mple.com' is not a valid host name",
        "5:41: host[2]: a wildcard must be the whole first label, as in '*.example.com'; got '*'",
        '6:16: method[0]: must be an HTTP method such as GET',
        '7:28: x-canary: must be a string (quote numbers, as in "1"), {regex: \'...\'} or {present: true}, got 1',
        "7:31: 'bad name' is not a valid header name",
        '7:64: present: must be true (a header cannot be required to be absent)',
      ],
    ],
    ['unresolvable alias', 'listeners: *nothing\n', ["1:12: unknown alias '*nothing'"]],
    ['circular alias', 'listeners: &a [*a]\n', ["1:16: alias '*a' refers to a node that contains it"]],
    [
      'multiple documents',
      'listeners: [{ port: 1 }]\n---\nlisteners: [{ port: 2 }]\n',
      [
        "2:1: a config file holds one YAML document, this one has more (a second '---' or a '...' line); remove or merge them",
      ],
    ],
  ])('%s', (_name, text, expected) => {
    expect(problemsIn(text)).toEqual(expected);
  });

  test('an unknown strategy kind: the closest kind and the list of known ones', () => {
    const text =
      'listeners: [{ port: 1 }]\nclusters:\n  api:\n    strategy: { kind: round-robbin }\n    backends: [127.0.0.1:1]\n';
    expect(problemsIn(text, { strategyKinds: new Set(['round-robin', 'random']) })).toEqual([
      "4:23: kind: unknown strategy kind 'round-robbin'; did you mean 'round-robin'? (known: round-robin, random)",
    ]);
  });

  test('every error carries file, position, key path and code', () => {
    try {
      parseConfigText('listeners:\n  - port: -1\n', 'conf/junction.yaml');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigErrors);
      const [first] = (error as ConfigErrors).errors;
      expect(first?.at).toEqual({
        file: 'conf/junction.yaml',
        line: 2,
        column: 11,
        keyPath: 'listeners[0].port',
      });
      expect(first?.code).toBe('JCT_ERR_CONFIG_INVALID');
      expect(first?.message).toBe(
        'conf/junction.yaml:2:11: port: must be a whole number from 0 to 65535, got -1',
      );
    }
  });

  test('YAML syntax errors carry JCT_ERR_CONFIG_YAML', () => {
    expect(() => parseConfigText('a: [', 'x.yaml')).toThrow(
      expect.objectContaining({ errors: [expect.objectContaining({ code: 'JCT_ERR_CONFIG_YAML' })] }),
    );
  });

  test('alias bombs are refused, not expanded', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (const name of ['b', 'c', 'd', 'e', 'f']) {
      const previous = String.fromCharCode(name.charCodeAt(0) - 1);
      bomb.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(', ')}]`);
    }
    const problems = problemsIn(bomb.join('\n'));
    expect(problems).toEqual(['1:1: Excessive alias count indicates a resource exhaustion attack']);
  });
});
