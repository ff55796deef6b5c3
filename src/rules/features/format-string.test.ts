import { describe, expect, test } from 'vitest';
import { applyFormat, parseFormatString, type FormatPart, type FormatSpec } from './format-string.ts';
import type { Feature } from '../types.ts';

function parts(text: string): readonly FormatPart[] {
  const parsed = parseFormatString(text);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.parts;
}

function problem(text: string): string {
  const parsed = parseFormatString(text);
  if (parsed.ok) throw new Error(`expected ${text} to be refused`);
  return parsed.problem;
}

const spec = (partial: Partial<FormatSpec>): FormatSpec => ({
  fill: ' ',
  align: undefined,
  width: 0,
  precision: undefined,
  ...partial,
});

describe('parseFormatString', () => {
  test('literal text only is one part; the empty string none', () => {
    expect(parts('plain text')).toEqual(['plain text']);
    expect(parts('')).toEqual([]);
  });

  test('placeholders between literals, with argument and format', () => {
    expect(parts('a{ua-req-host}b{ua-req-field<X-Id>:>8}{1}{...}')).toEqual([
      'a',
      { name: 'ua-req-host', arg: undefined, format: undefined, source: '{ua-req-host}' },
      'b',
      {
        name: 'ua-req-field',
        arg: 'X-Id',
        format: spec({ align: '>', width: 8 }),
        source: '{ua-req-field<X-Id>:>8}',
      },
      { name: '1', arg: undefined, format: undefined, source: '{1}' },
      { name: '...', arg: undefined, format: undefined, source: '{...}' },
    ]);
  });

  test('spaces around the name are allowed; an argument keeps its own', () => {
    expect(parts('{ duration<1h 30m> }')).toEqual([
      { name: 'duration', arg: '1h 30m', format: undefined, source: '{ duration<1h 30m> }' },
    ]);
  });

  test('an argument may hold a colon; the format follows the argument', () => {
    expect(parts('{env<A:B>:.3}')).toEqual([
      { name: 'env', arg: 'A:B', format: spec({ precision: 3 }), source: '{env<A:B>:.3}' },
    ]);
  });

  test('{{ and }} are literal braces, merged with the text around them', () => {
    expect(parts('{{x}} {{{ua-req-path}}}')).toEqual([
      '{x} {',
      { name: 'ua-req-path', arg: undefined, format: undefined, source: '{ua-req-path}' },
      '}',
    ]);
  });

  test.each([
    ['a } b', "a single '}' at offset 2"],
    ['{ua-req-host', "'{' at offset 0 is not closed"],
    ['{a{b}', "'{' at offset 0 is not closed"],
    ['x{}', 'an empty placeholder'],
    ['{ }', 'an empty placeholder'],
    ['{-x}', 'is not a placeholder'],
    ['{a<b}', 'is not a placeholder'],
    ['{a<b>c}', 'is not a placeholder'],
    ['{a:zz}', "'zz' in '{a:zz}' is not a format"],
    ['{a:99999}', 'is not a format'],
  ])('refuses %j: %s', (text, message) => {
    expect(problem(text)).toContain(message);
  });

  test('format specs: fill, align, width, precision, s', () => {
    const format = (text: string) => (parts(`{a:${text}}`)[0] as { format: FormatSpec }).format;
    expect(format('')).toEqual(spec({}));
    expect(format('s')).toEqual(spec({}));
    expect(format('10')).toEqual(spec({ width: 10 }));
    expect(format('<10')).toEqual(spec({ align: '<', width: 10 }));
    expect(format('*^7.3s')).toEqual(spec({ fill: '*', align: '^', width: 7, precision: 3 }));
    expect(format('<<4')).toEqual(spec({ fill: '<', align: '<', width: 4 }));
  });
});

describe('applyFormat', () => {
  test.each<[Feature, Partial<FormatSpec>, string]>([
    ['ab', { width: 5 }, 'ab   '],
    [42, { width: 5 }, '   42'],
    ['ab', { align: '>', width: 5 }, '   ab'],
    [42, { align: '<', width: 5, fill: '0' }, '42000'],
    ['ab', { align: '^', width: 5, fill: '*' }, '*ab**'],
    ['abcdef', { precision: 3 }, 'abc'],
    ['abcdef', { precision: 3, width: 5, align: '>' }, '  abc'],
    ['abcdef', { width: 3 }, 'abcdef'],
    [null, { width: 2, fill: '-' }, '--'],
    [true, {}, 'true'],
  ])('%j with %j → %j', (feature, partial, text) => {
    expect(applyFormat(feature, spec(partial))).toBe(text);
  });
});
