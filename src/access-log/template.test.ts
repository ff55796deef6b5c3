import { expect, test } from 'vitest';
import { RECORD } from './json-line.test.ts';
import { compileTemplate } from './template.ts';

function format(template: string, record = RECORD): string {
  const compiled = compileTemplate(template);
  if (!compiled.ok) throw new Error(compiled.problem);
  return compiled.format(record);
}

test('rule-language names and the access log fields', () => {
  expect(format('{ua-req-method} {ua-req-path} {proxy-rsp-status}')).toBe('GET a 200');
  expect(format('{request-id} {client} {duration-ms}ms {path} {ua-req-query}')).toBe(
    'abc-123 127.0.0.1:5000 12ms /a?b=c b=c',
  );
  expect(format('{ua-req-field<User-Agent>}')).toBe('curl/8');
});

test('missing values print as -, formats pad and cut, braces escape', () => {
  expect(format('{referer} {error-code}')).toBe('- -');
  expect(format('[{status:>5}] [{method:.1}] {{x}}')).toBe('[  200] [G] {x}');
});

test('unknown names fail at compile time with a suggestion', () => {
  const result = compileTemplate('{ua-req-metod}');
  expect(result.ok).toBe(false);
  expect(!result.ok && result.problem).toContain("did you mean 'ua-req-method'");
  expect(compileTemplate('{ua-req-field<cookie>}').ok).toBe(false);
  expect(compileTemplate('{status').ok).toBe(false);
});
