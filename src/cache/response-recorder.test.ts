import { expect, test } from 'vitest';
import { ResponseRecorder } from './response-recorder.ts';

const LIMITS = { maxHeadBytes: 8192, maxHeaderCount: 100, maxRequestLineBytes: 8192 };

function recorded(wire: string, limit = 1024, pieces = 3): ResponseRecorder {
  const recorder = new ResponseRecorder(limit);
  const bytes = Buffer.from(wire, 'latin1');
  const step = Math.ceil(bytes.length / pieces);
  for (let i = 0; i < bytes.length; i += step) recorder.record(bytes.subarray(i, i + step));
  return recorder;
}

test('a length-framed body, read back whole; a short one is refused', () => {
  const whole = recorded('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello').decode(LIMITS);
  expect(whole?.head.status).toBe(200);
  expect(whole?.body.toString()).toBe('hello');
  expect(recorded('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhello').decode(LIMITS)).toBeUndefined();
});

test('a chunked body is decoded; an unfinished one is refused', () => {
  const chunked =
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n';
  expect(recorded(chunked).decode(LIMITS)?.body.toString()).toBe('hello world');
  const cut = chunked.slice(0, -5);
  expect(recorded(cut).decode(LIMITS)).toBeUndefined();
});

test('interim responses before the final one are skipped', () => {
  const wire = 'HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
  expect(recorded(wire).decode(LIMITS)?.body.toString()).toBe('ok');
});

test('past its limit the copy is dropped and nothing decodes', () => {
  const recorder = recorded(`HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n${'x'.repeat(100)}`, 64);
  expect(recorder.overflowed).toBe(true);
  expect(recorder.decode(LIMITS)).toBeUndefined();
});

test("the copy does not share the caller's buffers", () => {
  const recorder = new ResponseRecorder(1024);
  const chunk = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', 'latin1');
  recorder.record(chunk);
  chunk.fill(0);
  expect(recorder.decode(LIMITS)?.body.toString()).toBe('ok');
});
