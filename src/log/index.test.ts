import { Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { createLogger, LOG_LEVELS, parseLogLevel } from './index.ts';

describe('log levels', () => {
  test.each([
    ['info', 'info'],
    ['INFO', 'info'],
    ['Warn', 'warn'],
    [' debug\n', 'debug'],
    ['SILENT', 'silent'],
  ])('%j names %s', (text, level) => {
    expect(parseLogLevel(text)).toBe(level);
  });

  test.each(['', 'verbose', 'warning', '30', 'in fo'])('%j names no level', (text) => {
    expect(parseLogLevel(text)).toBeUndefined();
  });

  test('createLogger takes a level in any case', () => {
    const sink = new Writable({
      write: (_chunk, _encoding, done) => {
        done();
      },
    });
    expect(createLogger({ level: 'ERROR', destination: sink }).level).toBe('error');
  });

  test('createLogger refuses an unknown level, naming the allowed ones', () => {
    expect(() => createLogger({ level: 'loud' })).toThrow(
      `unknown log level 'loud': use one of ${LOG_LEVELS.join(', ')}`,
    );
  });
});
