import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ConfigErrors } from '../errors/index.ts';
import { isLoopbackAddress } from './addresses.ts';
import { parseConfigText } from './parse-config.ts';

const dir = mkdtempSync(join(tmpdir(), 'junction-admin-config-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const parse = (admin: string) =>
  parseConfigText(`listeners: [{ port: 8080 }]\nadmin: ${admin}\n`, 'a.yaml', { baseDir: dir });

function problems(admin: string): string[] {
  try {
    parse(admin);
  } catch (error) {
    if (error instanceof ConfigErrors) return error.errors.map((e) => e.message);
    throw error;
  }
  return [];
}

describe('the admin section', () => {
  test('defaults to loopback without a token; absent, there is no admin API', () => {
    expect(parse('{ port: 9901 }').admin).toEqual({ address: '127.0.0.1', port: 9901, token: undefined });
    expect(parseConfigText('listeners: [{ port: 8080 }]\n', 'a.yaml').admin).toBeUndefined();
  });

  test('token_file is read at load time, relative to the config, without its trailing newline', () => {
    writeFileSync(join(dir, 'token'), 'abcdefghijklmnopqrstuvwxyz\n');
    expect(parse('{ address: 0.0.0.0, port: 9901, token_file: token }').admin).toEqual({
      address: '0.0.0.0',
      port: 9901,
      token: 'abcdefghijklmnopqrstuvwxyz',
    });
  });

  test('a non-loopback address without a token is refused at its position', () => {
    expect(problems('{ address: 0.0.0.0, port: 9901 }')).toEqual([
      expect.stringMatching(/^a\.yaml:2:\d+: .*only with a token or token_file/),
    ]);
    expect(problems('{ address: 10.0.0.5, port: 9901, token: short }')).toEqual([
      expect.stringContaining('at least 16 characters'),
    ]);
    expect(problems('{ port: 9901, token: abcdefghijklmnop, token_file: token }')).toEqual([
      expect.stringContaining('give token or token_file, not both'),
    ]);
    expect(problems('{ port: 9901, token_file: missing }')).toEqual([
      expect.stringContaining("cannot read 'missing'"),
    ]);
  });

  test('loopback means 127.0.0.0/8, ::1 and localhost only', () => {
    for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST']) {
      expect(isLoopbackAddress(address)).toBe(true);
    }
    for (const address of [
      '0.0.0.0',
      '::',
      '10.0.0.1',
      '128.0.0.1',
      'example.com',
      'localhost.example.com',
    ]) {
      expect(isLoopbackAddress(address)).toBe(false);
    }
  });
});
