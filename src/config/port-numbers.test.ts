import { describe, expect, test } from 'vitest';
import { ConfigErrors } from '../errors/index.ts';
import { parseBackendAddress, parseHostPattern } from './addresses.ts';
import { parseConfigText } from './parse-config.ts';
import { isPlainPort, portNumberProblem } from './port-numbers.ts';

/** Each problem as `line:column: key path: message`, or [] when the config parses. */
function problemsIn(text: string): string[] {
  try {
    parseConfigText(text, 'ports.yaml');
    return [];
  } catch (error) {
    if (!(error instanceof ConfigErrors)) throw error;
    return error.errors.map((e) => `${e.at?.line}:${e.at?.column}: ${e.at?.keyPath}: ${e.problem}`);
  }
}

const CLUSTER = 'clusters:\n  api:\n    backends: [127.0.0.1:9001]\n';

describe('a port is plain decimal digits', () => {
  test.each(['0', '80', '8080', '65535', '70000'])('%s is plain', (text) => {
    expect(isPlainPort(text)).toBe(true);
  });

  test.each(['080', '00', '+80', '-80', '8e1', '0x50', '0o120', '80.0', ' 80', '', '٨٠'])(
    '%j is not',
    (text) => {
      expect(isPlainPort(text)).toBe(false);
    },
  );

  test('only the keys that hold ports are checked, and `${VAR}` is left to the environment', () => {
    expect(portNumberProblem(['listeners', 0, 'port'], 80, '080')).toMatch(/plain decimal digits.*'080'/);
    expect(portNumberProblem(['listeners', 2, 'redirect_to_https', 'port'], 443, '+443')).toMatch(/'\+443'/);
    expect(portNumberProblem(['admin', 'port'], 9000, '9e3')).toMatch(/'9e3'/);
    expect(portNumberProblem(['listeners', 0, 'port'], 80, '80')).toBeUndefined();
    expect(portNumberProblem(['listeners', 0, 'port'], 80, '${PORT}')).toBeUndefined();
    expect(portNumberProblem(['listeners', 0, 'max_connections'], 100, '0100')).toBeUndefined();
    expect(portNumberProblem(['clusters', 'port'], 80, '080')).toBeUndefined();
    // The schema's range message says more about these.
    expect(portNumberProblem(['listeners', 0, 'port'], -80, '-80')).toBeUndefined();
    expect(portNumberProblem(['listeners', 0, 'port'], 80.5, '80.5')).toBeUndefined();
    expect(portNumberProblem(['listeners', 0, 'port'], '080', '080')).toBeUndefined();
  });
});

describe('ports in the config file', () => {
  test.each([
    ['080', '080'],
    ['+80', '+80'],
    ['8e1', '8e1'],
    ['0x50', '0x50'],
    ['80.0', '80.0'],
  ])('listeners[].port: %s is refused, not read as 80', (written, shown) => {
    expect(problemsIn(`listeners:\n  - port: ${written}\n${CLUSTER}`)).toEqual([
      `2:11: listeners[0].port: port: must be written in plain decimal digits (no sign, exponent or leading zero), got '${shown}'`,
    ]);
  });

  test('admin.port and redirect_to_https.port are checked too; 0 stays allowed where it was', () => {
    expect(
      problemsIn(
        `listeners:\n  - port: 0\n    redirect_to_https: { port: 0443 }\nadmin:\n  port: 00\n${CLUSTER}`,
      ),
    ).toEqual([
      "3:32: listeners[0].redirect_to_https.port: port: must be written in plain decimal digits (no sign, exponent or leading zero), got '0443'",
      "5:9: admin.port: port: must be written in plain decimal digits (no sign, exponent or leading zero), got '00'",
    ]);
    expect(problemsIn(`listeners:\n  - port: 0\nadmin:\n  port: 0\n${CLUSTER}`)).toEqual([]);
  });

  test('a quoted port is still a string, refused by the schema as before', () => {
    expect(problemsIn(`listeners:\n  - port: '080'\n${CLUSTER}`)).toEqual([
      "2:11: listeners[0].port: port: must be a whole number from 0 to 65535, got '080'",
    ]);
  });

  test('backend addresses and route hosts refuse a port with a leading zero', () => {
    expect(parseBackendAddress('10.0.0.1:080')).toEqual({
      ok: false,
      problem: "'10.0.0.1:080' has a port with a leading zero; write it in plain decimal digits",
    });
    expect(parseBackendAddress('http://[::1]:0080').ok).toBe(false);
    expect(parseBackendAddress('10.0.0.1:+80').ok).toBe(false);
    expect(parseBackendAddress('10.0.0.1:80')).toEqual({
      ok: true,
      value: { host: '10.0.0.1', port: 80, tls: false },
    });
    expect(parseHostPattern('example.com:080').ok).toBe(false);
    expect(parseHostPattern('[::1]:080').ok).toBe(false);
    expect(parseHostPattern('example.com:8080')).toEqual({
      ok: true,
      value: { kind: 'exact', host: 'example.com' },
    });
    expect(
      problemsIn(`listeners: [{ port: 1 }]\nclusters:\n  api:\n    backends: [127.0.0.1:09001]\n`),
    ).toEqual([
      "4:16: clusters.api.backends[0]: backends[0]: '127.0.0.1:09001' has a port with a leading zero; write it in plain decimal digits",
    ]);
  });
});
