import { describe, expect, test } from 'vitest';
import { requestHead, responseHead } from './heads.test-suite.ts';
import { ReplaceStream, replaceText, type Replacement, type ReplaceTextOptions } from './replace-text.ts';
import { runThrough } from './sink.test-suite.ts';
import type { BodyTransform } from './types.ts';

const HTML = ['Content-Type: text/html; charset=utf-8', 'Content-Length: 100'];

function streamText(replacements: readonly Replacement[], parts: readonly string[]): Promise<string> {
  const transform: BodyTransform = { name: 'test', stream: () => new ReplaceStream(replacements) };
  return runThrough(
    transform,
    parts.map((p) => Buffer.from(p)),
  ).then((out) => out.toString('utf8'));
}

/** Every way to cut `text` into two pieces, by UTF-8 byte. */
function everySplit(text: string): Buffer[][] {
  const bytes = Buffer.from(text);
  return Array.from({ length: bytes.length + 1 }, (_, i) => [bytes.subarray(0, i), bytes.subarray(i)]);
}

describe('ReplaceStream', () => {
  test('replaces every occurrence', async () => {
    expect(await streamText([['cat', 'dog']], ['a cat, a cat and a catalogue'])).toBe(
      'a dog, a dog and a dogalogue',
    );
  });

  test('finds a match cut across chunks at every point', async () => {
    const text = 'xxhello worldxx hello world';
    const expected = text.split('hello world').join('bye');
    for (const parts of everySplit(text)) {
      const transform: BodyTransform = {
        name: 't',
        stream: () => new ReplaceStream([['hello world', 'bye']]),
      };
      expect((await runThrough(transform, parts)).toString()).toBe(expected);
    }
  });

  test('a match spread over one-byte chunks', async () => {
    expect(await streamText([['abc', 'X']], 'zabcabzabc'.split(''))).toBe('zXabzX');
  });

  test('matches do not overlap and replaced text is not searched again', async () => {
    expect(await streamText([['aa', 'a']], ['aaaaa'])).toBe('aaa');
    expect(await streamText([['ab', 'abab']], ['abab'])).toBe('abababab');
  });

  test('several replacements: the leftmost wins, then the one listed first', async () => {
    const pairs: Replacement[] = [
      ['bc', '1'],
      ['abcd', '2'],
      ['b', '3'],
    ];
    expect(await streamText(pairs, ['abcd'])).toBe('2');
    expect(await streamText(pairs, ['xbcd'])).toBe('x1d');
    expect(await streamText(pairs, ['xbd'])).toBe('x3d');
    // The longer, earlier-starting search is seen even when its end arrives in a later chunk.
    expect(await streamText(pairs, ['ab', 'c', 'd'])).toBe('2');
    expect(await streamText(pairs, ['ab', 'c', 'e'])).toBe('a1e');
  });

  test('an empty replacement deletes', async () => {
    expect(await streamText([['<!-- x -->', '']], ['a<!-- x', ' -->b'])).toBe('ab');
  });

  test('UTF-8: multi-byte searches and replacements, cut inside characters', async () => {
    const text = 'Grüße aus Köln — Grüße! 😀 Grüße';
    for (const parts of everySplit(text)) {
      const transform: BodyTransform = {
        name: 't',
        stream: () => new ReplaceStream([['Grüße', 'Hallo 👋']]),
      };
      expect((await runThrough(transform, parts)).toString('utf8')).toBe(
        text.split('Grüße').join('Hallo 👋'),
      );
    }
  });

  test('holds back only bytes that could begin a match', async () => {
    const stream = new ReplaceStream([['abcdef', 'X']]);
    const out: Buffer[] = [];
    stream.on('data', (b: Buffer) => out.push(b));
    stream.write(Buffer.from('0123456789abcde'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(Buffer.concat(out).toString()).toBe('0123456789');
    stream.write(Buffer.from('xyz'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(Buffer.concat(out).toString()).toBe('0123456789abcdexyz');
    stream.write(Buffer.from('--abc-ab'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(Buffer.concat(out).toString()).toBe('0123456789abcdexyz--abc-');
    stream.end();
  });

  test('rejects an empty search', () => {
    expect(() => new ReplaceStream([['', 'x']])).toThrow(/empty/);
    expect(() => new ReplaceStream([])).toThrow(/at least one/);
  });
});

describe('replaceText: when it applies', () => {
  const factory = replaceText({ search: 'a', replace: 'b' });

  test.each<[string, readonly string[], string | undefined, boolean]>([
    ['text/html', HTML, undefined, true],
    ['text/plain', ['Content-Type: text/plain', 'Transfer-Encoding: chunked'], undefined, true],
    [
      'application/json (not listed)',
      ['Content-Type: application/json', 'Content-Length: 10'],
      undefined,
      false,
    ],
    ['no Content-Type', ['Content-Length: 10'], undefined, false],
    ['gzip-encoded', [...HTML, 'Content-Encoding: gzip'], undefined, false],
    ['no-transform', [...HTML, 'Cache-Control: no-transform'], undefined, false],
    ['empty', ['Content-Type: text/html', 'Content-Length: 0'], undefined, false],
    ['304', HTML, 'HTTP/1.1 304 Not Modified', false],
    ['206', HTML, 'HTTP/1.1 206 Partial Content', false],
    ['500 with a body', HTML, 'HTTP/1.1 500 Internal Server Error', true],
  ])('response: %s', (_name, fields, statusLine, applies) => {
    expect(factory(requestHead(), responseHead(fields, statusLine)) !== undefined).toBe(applies);
  });

  test('response to HEAD, or to a request saying no-transform: not applied', () => {
    const head = requestHead([], 'HEAD / HTTP/1.1');
    expect(factory(head, responseHead(HTML, undefined, 'HEAD'))).toBeUndefined();
    expect(factory(requestHead(['Cache-Control: no-transform']), responseHead(HTML))).toBeUndefined();
  });

  test.each<[string, readonly string[], boolean]>([
    ['a text/plain body', ['Content-Type: text/plain', 'Content-Length: 5'], true],
    ['a chunked text body', ['Content-Type: text/plain', 'Transfer-Encoding: chunked'], true],
    ['no body', ['Content-Type: text/plain'], false],
    ['an empty body', ['Content-Type: text/plain', 'Content-Length: 0'], false],
    ['a JSON body', ['Content-Type: application/json', 'Content-Length: 5'], false],
    ['an encoded body', ['Content-Type: text/plain', 'Content-Length: 5', 'Content-Encoding: gzip'], false],
  ])('request: %s', (_name, fields, applies) => {
    expect(factory(requestHead(fields, 'POST /submit HTTP/1.1')) !== undefined).toBe(applies);
  });

  test('types and name options', () => {
    const json = replaceText({ replacements: [['a', 'b']], types: ['application/json'], name: 'fix-json' });
    const t = json(requestHead(), responseHead(['Content-Type: application/json', 'Content-Length: 9']));
    expect(t?.name).toBe('fix-json');
    expect(json(requestHead(), responseHead(HTML))).toBeUndefined();
  });

  test('head edits: a weak ETag, no Accept-Ranges or Content-MD5, framing left alone', () => {
    const response = responseHead([...HTML, 'ETag: "x"', 'Accept-Ranges: bytes', 'Content-MD5: abc=']);
    const headers = [...response.headers];
    factory(requestHead(), response)!.editHead?.(headers);
    expect(headers).toEqual([
      'Content-Type',
      'text/html; charset=utf-8',
      'Content-Length',
      '100',
      'ETag',
      'W/"x"',
    ]);
  });

  test.each<[string, ReplaceTextOptions, RegExp]>([
    ['an empty search', { search: '', replace: 'x' }, /empty/],
    ['no replacements', { replacements: [] }, /at least one/],
    ['a malformed type', { search: 'a', replace: 'b', types: ['text'] }, /not a media type pattern/],
  ])('rejects %s', (_name, options, message) => {
    expect(() => replaceText(options)).toThrow(message);
  });

  test('the replacements are copied: changing the caller’s array later changes nothing', async () => {
    const pairs: [string, string][] = [['a', 'b']];
    const t = replaceText({ replacements: pairs })(requestHead(), responseHead(HTML))!;
    pairs[0]![1] = 'c';
    expect((await runThrough(t, [Buffer.from('aaa')])).toString()).toBe('bbb');
  });
});
