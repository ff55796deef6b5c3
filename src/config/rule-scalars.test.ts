/**
 * TxnBox's reading of rule scalars (unquoted words are extractors, `!literal`, `!duration`, boolean
 * names), applied to the YAML tree before it becomes data: unit cases and properties.
 */
import { fc, test as propertyTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { parseDocument } from 'yaml';
import { parseFormatString } from '../rules/features/index.ts';
import { desugarConfigRules, desugarScalar, escapeBraces } from './rule-scalars.ts';

function rulesOf(yaml: string): unknown {
  const doc = parseDocument(yaml, { merge: true, logLevel: 'error' });
  desugarConfigRules(doc);
  return doc.toJS() as unknown;
}

describe('rule scalars', () => {
  test('unquoted words are extractors; quoted ones text; !literal text without extractors', () => {
    const data = rulesOf(`
rules:
  - when: ua-req
    do:
      - proxy-req-field<Org-Host>: ua-req-field<Host>
      - proxy-req-field<Text>: "ua-req-field<Host>"
      - proxy-req-field<Lit>: !literal "{ua-req-host}"
      - var<t>: !duration "5 min"
      - var<on>: enable
      - var<ip>: 10.0.0.1
      - var<path>: /api/
      - include-like: x
  - include: other.yaml
routes:
  - name: r
    rules:
      - with: ua-req-path
        select: [{ match: "a" }]
  - name: s
    rules: { include: file.yaml, root: a.b }
cluster: keep-me
`) as Record<string, unknown>;
    const rule = (data['rules'] as Record<string, unknown>[])[0]!;
    expect(rule['when']).toBe('{ua-req}');
    expect(rule['do']).toEqual([
      { 'proxy-req-field<Org-Host>': '{ua-req-field<Host>}' },
      { 'proxy-req-field<Text>': 'ua-req-field<Host>' },
      { 'proxy-req-field<Lit>': '{{ua-req-host}}' },
      { 'var<t>': '{duration<5 min>}' },
      { 'var<on>': true },
      { 'var<ip>': '10.0.0.1' },
      { 'var<path>': '/api/' },
      { 'include-like': '{x}' },
    ]);
    expect((data['rules'] as unknown[])[1]).toEqual({ include: 'other.yaml' });
    const routes = data['routes'] as Record<string, unknown>[];
    expect(routes[0]!['rules']).toEqual([{ with: '{ua-req-path}', select: [{ match: 'a' }] }]);
    expect(routes[1]!['rules']).toEqual({ include: 'file.yaml', root: 'a.b' });
    expect(data['cluster']).toBe('keep-me');
  });

  test('merge keys work', () => {
    const data = rulesOf(`
base: &base { a: 1 }
rules:
  - { <<: *base, when: ua-req }
`) as Record<string, unknown>;
    expect((data['rules'] as unknown[])[0]).toEqual({ a: 1, when: '{ua-req}' });
  });

  propertyTest.prop([fc.string()])('!literal text reads back as exactly that text', (text) => {
    const escaped = desugarScalar(text, '!literal', false) as string;
    const parsed = parseFormatString(escaped);
    expect(parsed.ok).toBe(true);
    if (parsed.ok)
      expect(parsed.parts.map((part) => (typeof part === 'string' ? part : '?')).join('')).toBe(text);
    expect(escaped).toBe(escapeBraces(text));
  });

  propertyTest.prop([fc.stringMatching(/^[A-Za-z][\w.-]{0,20}(<[\w ,.-]{0,10}>)?$/)])(
    'an unquoted extractor name becomes exactly one placeholder',
    (word) => {
      fc.pre(
        !['true', 'false', 'on', 'off', 'yes', 'no', 'y', 'n', 'enable', 'disable'].includes(
          word.toLowerCase(),
        ),
      );
      const desugared = desugarScalar(word, undefined, true);
      expect(desugared).toBe(`{${word}}`);
      const parsed = parseFormatString(desugared as string);
      expect(parsed.ok && parsed.parts.length === 1 && typeof parsed.parts[0] !== 'string').toBe(true);
    },
  );

  propertyTest.prop([fc.string()])('a quoted string is never changed', (text) => {
    expect(desugarScalar(text, undefined, false)).toBeUndefined();
  });
});
