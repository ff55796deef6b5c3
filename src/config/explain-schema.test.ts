import { describe, expect, test } from 'vitest';
import { ConfigErrors } from '../errors/index.ts';
import { parseConfigText } from './parse-config.ts';

const parse = (explain: string) =>
  parseConfigText(`listeners: [{ port: 8080 }]\nexplain: ${explain}\n`, 'a.yaml');

function problems(explain: string): string[] {
  try {
    parse(explain);
  } catch (error) {
    if (error instanceof ConfigErrors) return error.errors.map((e) => e.message);
    throw error;
  }
  return [];
}

describe('the explain section', () => {
  test('keeps nothing unless keep_requests says how many', () => {
    expect(parseConfigText('listeners: [{ port: 8080 }]\n', 'a.yaml').explain).toBeUndefined();
    expect(parse('{}').explain).toEqual({ keepRequests: 0 });
    expect(parse('{ keep_requests: 1000 }').explain).toEqual({ keepRequests: 1000 });
  });

  test('refuses counts out of range and unknown keys', () => {
    expect(problems('{ keep_requests: -1 }').join('\n')).toContain('keep_requests');
    expect(problems('{ keep_requests: 100001 }').join('\n')).toContain('keep_requests');
    expect(problems('{ keep_request: 10 }').join('\n')).toContain('keep_request');
  });
});
