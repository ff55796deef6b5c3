import { describe, expect, test } from 'vitest';
import { ExplainInputError } from './request.ts';
import { changeKinds, parseRequestsFile, type OutcomeSummary } from './preview.ts';

describe('parseRequestsFile', () => {
  test('plain lines with indented fields, access log lines, comments and blanks', () => {
    const requests = parseRequestsFile(
      [
        '# a comment',
        'get http://a.example/x?y=1',
        '  X-A: 1',
        '\tCookie: k=v',
        '',
        '{"type":"http","method":"POST","scheme":"https","host":"b.example","path":"/p?q","client":"[::1]:5000","listener":"tls","user_agent":"ua","referer":null,"tls":{"version":"TLSv1.3","sni":"b.example"}}',
        '{"type":"tunnel","method":"GET","scheme":"http","host":"c","path":"/ws"}',
        '{"type":"http","method":null,"host":null,"path":null}',
      ].join('\n'),
    );
    expect(requests.map((r) => r.request)).toEqual([
      {
        method: 'GET',
        url: 'http://a.example/x?y=1',
        headers: [
          ['X-A', '1'],
          ['Cookie', 'k=v'],
        ],
      },
      {
        method: 'POST',
        url: 'https://b.example/p?q',
        headers: [['User-Agent', 'ua']],
        client: '::1',
        sni: 'b.example',
        listener: 'tls',
      },
    ]);
    expect(requests.map((r) => r.line)).toEqual([2, 6]);
  });

  test('a bad line names its number', () => {
    expect(() => parseRequestsFile('GET /\nnot a request line at all\n')).toThrow(ExplainInputError);
    expect(() => parseRequestsFile('  X-A: 1\n')).toThrow('line 1: a header line before any request line');
    expect(() => parseRequestsFile('GET /\n{oops\n')).toThrow('line 2: not valid JSON');
  });
});

test('changeKinds lists every kind of change, the most telling first', () => {
  const base: OutcomeSummary = {
    route: 'a',
    cluster: 'c',
    path: '/x',
    host: 'h',
    status: null,
    location: null,
    error: null,
  };
  expect(changeKinds(base, base)).toEqual([]);
  expect(changeKinds(base, { ...base, route: 'b', cluster: 'd' })).toEqual(['route', 'cluster']);
  expect(changeKinds(base, { ...base, path: null, host: null, status: 302, location: 'https://x/' })).toEqual(
    ['answer', 'redirect', 'path', 'host'],
  );
});
