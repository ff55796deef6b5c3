/**
 * The syntax of a feature string: literal text with `{extractor}` placeholders, parsed once at load
 * time into parts. A placeholder is `{name}`, `{name<arg>}`, `{name:format}` or `{name<arg>:format}`,
 * where name is an extractor name, a capture group number (`{1}`) or `...` (the `with:` feature);
 * `{{` and `}}` are literal braces.
 *
 * The format is a small subset of Python's: `[[fill]align][width][.precision][s]`. align is `<`
 * (left, the default for text), `>` (right, the default for integers) or `^` (centre); fill is any
 * one character (a space by default); precision cuts the text to that many characters; `s` (or an
 * empty format) only asks for text. A placeholder with a format always yields a string.
 */
import { featureToString } from './feature.ts';
import type { Feature } from '../types.ts';

export interface FormatSpec {
  readonly fill: string;
  /** undefined: `<` for text, `>` for integers. */
  readonly align: '<' | '>' | '^' | undefined;
  readonly width: number;
  /** At most this many characters; undefined: no limit. */
  readonly precision: number | undefined;
}

export interface Placeholder {
  /** Extractor name, capture group number as text, or `...`. */
  readonly name: string;
  readonly arg: string | undefined;
  readonly format: FormatSpec | undefined;
  /** The placeholder as written, braces included, for error messages. */
  readonly source: string;
}

/** Literal text, or a placeholder. Adjacent literals are merged; no literal is empty. */
export type FormatPart = string | Placeholder;

export type FormatParse =
  | { readonly ok: true; readonly parts: readonly FormatPart[] }
  | { readonly ok: false; readonly problem: string };

const PLACEHOLDER = /^\s*(\.\.\.|\*|\d+|[A-Za-z][\w.-]*)\s*(?:<([^<>]*)>)?\s*(?::(.*))?$/s;
const SPEC = /^(?:(.)?([<>^]))?(\d+)?(?:\.(\d+))?s?$/s;
/** Widths beyond this are a mistake, and would let one rule allocate without bound. */
const MAX_WIDTH = 4096;

/** Splits a feature string into literals and placeholders, or says what is wrong with it. */
export function parseFormatString(text: string): FormatParse {
  const parts: FormatPart[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '}') {
      if (text[i + 1] !== '}') {
        return { ok: false, problem: `a single '}' at offset ${i}; write '}}' for a literal brace` };
      }
      literal += '}';
      i += 2;
      continue;
    }
    if (c !== '{') {
      literal += c;
      i++;
      continue;
    }
    if (text[i + 1] === '{') {
      literal += '{';
      i += 2;
      continue;
    }
    const end = text.indexOf('}', i + 1);
    const nested = text.indexOf('{', i + 1);
    if (end === -1 || (nested !== -1 && nested < end)) {
      return { ok: false, problem: `'{' at offset ${i} is not closed; write '{{' for a literal brace` };
    }
    const source = text.slice(i, end + 1);
    const placeholder = parsePlaceholder(text.slice(i + 1, end), source);
    if (typeof placeholder === 'string') return { ok: false, problem: placeholder };
    if (literal !== '') parts.push(literal);
    literal = '';
    parts.push(placeholder);
    i = end + 1;
  }
  if (literal !== '') parts.push(literal);
  return { ok: true, parts };
}

function parsePlaceholder(inner: string, source: string): Placeholder | string {
  if (inner.trim() === '') return `an empty placeholder '${source}'; write '{{}}' for literal braces`;
  const match = PLACEHOLDER.exec(inner);
  if (!match) {
    return `'${source}' is not a placeholder: write {name}, {name<argument>} or {name:format}`;
  }
  const specText = match[3];
  let format: FormatSpec | undefined;
  if (specText !== undefined) {
    const spec = parseFormatSpec(specText);
    if (spec === undefined) {
      return `'${specText}' in '${source}' is not a format: write [[fill]align][width][.precision], such as '>8' or '.20'`;
    }
    format = spec;
  }
  return { name: match[1]!, arg: match[2], format, source };
}

function parseFormatSpec(text: string): FormatSpec | undefined {
  const match = SPEC.exec(text);
  if (!match) return undefined;
  const width = match[3] === undefined ? 0 : Number(match[3]);
  const precision = match[4] === undefined ? undefined : Number(match[4]);
  if (width > MAX_WIDTH || (precision !== undefined && precision > MAX_WIDTH)) return undefined;
  return { fill: match[1] ?? ' ', align: match[2] as FormatSpec['align'], width, precision };
}

/** A feature as text, cut and padded as the format says. */
export function applyFormat(feature: Feature, spec: FormatSpec): string {
  let text = featureToString(feature);
  if (spec.precision !== undefined && text.length > spec.precision) text = text.slice(0, spec.precision);
  const pad = spec.width - text.length;
  if (pad <= 0) return text;
  const align = spec.align ?? (typeof feature === 'number' ? '>' : '<');
  if (align === '<') return text + spec.fill.repeat(pad);
  if (align === '>') return spec.fill.repeat(pad) + text;
  const left = Math.floor(pad / 2);
  return spec.fill.repeat(left) + text + spec.fill.repeat(pad - left);
}
