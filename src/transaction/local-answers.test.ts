import { describe, expect, test } from 'vitest';
import { ERROR_CODES, type ErrorCode } from '../errors/index.ts';
import {
  answerStatus,
  answerText,
  hookAnswer,
  hstsFields,
  localAnswerBytes,
  localResponseHead,
  plainTextAnswer,
  redirectAnswer,
} from './local-answers.ts';

const HSTS = { maxAgeSeconds: 60, includeSubdomains: false, preload: false };

describe('local answers', () => {
  test("a failure's status is its code's, from the registry", () => {
    const codes: ErrorCode[] = [
      'JCT_ERR_ROUTE_NOT_FOUND',
      'JCT_ERR_UPSTREAM_TIMEOUT',
      'JCT_ERR_TLS_HANDSHAKE',
    ];
    for (const code of codes) expect(answerStatus(code)).toBe(ERROR_CODES[code].status);
    expect(answerText('JCT_ERR_UPSTREAM_RESET')).toBe('the upstream closed the connection early\n');
  });

  test('a plain-text answer is length-framed, dated, and closes when asked', () => {
    const text = plainTextAnswer(404, ['X-Request-ID', 'r1'], 'nope\n', true);
    expect(text).toMatch(
      /^HTTP\/1\.1 404 Not Found\r\nContent-Type: text\/plain; charset=utf-8\r\nX-Request-ID: r1\r\nDate: .+ GMT\r\nContent-Length: 5\r\nConnection: close\r\n\r\nnope\n$/,
    );
    expect(plainTextAnswer(404, [], 'nope\n', false, true)).toMatch(/Content-Length: 5\r\n\r\n$/);
  });

  test('the redirect to HTTPS names its location in the field and the body', () => {
    const text = redirectAnswer(301, 'https://a.test/x', ['X-Request-ID', 'r1'], true, false);
    expect(text).toMatch(
      /^HTTP\/1\.1 301 Moved Permanently\r\nDate: .+\r\nLocation: https:\/\/a\.test\/x\r\n/,
    );
    expect(text).toMatch(/X-Request-ID: r1\r\n/);
    expect(text).not.toContain('Connection: close');
    expect(text.endsWith('\r\n\r\nhttps://a.test/x\n')).toBe(true);
  });

  test("a hook's answer gets a Content-Type by its body's kind, unless it has one", () => {
    expect(hookAnswer({ status: 200, body: 'hi' }).headers).toEqual([
      'Content-Type',
      'text/plain; charset=utf-8',
    ]);
    expect(hookAnswer({ status: 200, body: Buffer.from('hi') }).headers).toEqual([
      'Content-Type',
      'application/octet-stream',
    ]);
    expect(hookAnswer({ status: 200, headers: { 'content-type': 'a/b' }, body: 'x' }).headers).toEqual([
      'content-type',
      'a/b',
    ]);
  });

  test('HEAD, 204 and 304 answers carry no body; 204 and 304 no length', () => {
    const head = localResponseHead(204, [], 3);
    const bytes = localAnswerBytes(head, [], Buffer.from('abc'), 'GET', false).toString('latin1');
    expect(bytes).not.toContain('Content-Length');
    expect(bytes.endsWith('\r\n\r\n')).toBe(true);
    const ok = localAnswerBytes(localResponseHead(200, [], 3), [], Buffer.from('abc'), 'HEAD', false);
    expect(ok.toString('latin1')).toMatch(/Content-Length: 3\r\n\r\n$/);
  });

  test('HSTS only over TLS, and not when the answer sets its own', () => {
    expect(hstsFields(HSTS, true, [])).toEqual(['Strict-Transport-Security', 'max-age=60']);
    expect(hstsFields(HSTS, false, [])).toEqual([]);
    expect(hstsFields(undefined, true, [])).toEqual([]);
    expect(hstsFields(HSTS, true, ['Strict-Transport-Security', 'max-age=1'])).toEqual([]);
  });
});
