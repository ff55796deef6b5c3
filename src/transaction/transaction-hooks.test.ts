import { Transform } from 'node:stream';
import { describe, expect, test } from 'vitest';
import type { BodyTransform } from '../transforms/index.ts';
import { waitFor } from '../../test/support/wait-for.ts';
import { bodyOf, startTransaction, statusLine } from './txn-fakes.test-suite.ts';

const GET = 'GET / HTTP/1.1\r\nHost: app.test\r\n\r\n';

/** Upper-cases a body, and says so in a field. */
const upperCase: BodyTransform = {
  name: 'upper-case',
  editHead: (headers) => headers.push('X-Transformed', 'upper'),
  stream: () =>
    new Transform({
      transform(chunk: Buffer, _encoding, callback): void {
        callback(null, Buffer.from(chunk.toString('latin1').toUpperCase(), 'latin1'));
      },
    }),
};

describe('hooks and transforms, driven by scripted sides', () => {
  test('hook points run in order; the route is known from remap on', () => {
    const seen: string[] = [];
    const h = startTransaction(GET, {
      hooks: {
        'txn-start': (ctx) => void seen.push(`${ctx.hook}:${String(ctx.route)}`),
        'read-request': (ctx) => void seen.push(ctx.hook),
        'pre-remap': (ctx) => void seen.push(ctx.hook),
        remap: (ctx) => void seen.push(`${ctx.hook}:${String(ctx.route)}`),
        'post-remap': (ctx) => void seen.push(ctx.hook),
        'send-request': (ctx) => void seen.push(`${ctx.hook}:${String(ctx.upstream)}`),
        'read-response': (ctx) => void seen.push(`${ctx.hook}:${String(ctx.response?.status)}`),
        'send-response': (ctx) => void seen.push(ctx.hook),
        'txn-close': (ctx) => void seen.push(ctx.hook),
      },
    });
    expect(seen).toEqual(['txn-start:undefined', 'read-request', 'pre-remap', 'remap:route-1', 'post-remap']);
    const upstream = h.router.connect();
    expect(seen.at(-1)).toBe('send-request:10.0.0.1:80');
    upstream.send('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    expect(seen.slice(-3)).toEqual(['read-response:200', 'send-response', 'txn-close']);
    expect(bodyOf(h.session.text)).toBe('ok');
  });

  test('a hook that answers skips the upstream; send-response hooks see the answer', () => {
    const h = startTransaction(GET, {
      hooks: {
        'read-request': (ctx) => {
          ctx.respond({ status: 418, body: 'teapot' });
        },
        'send-response': (ctx) => {
          ctx.response!.headers.set('X-Seen', String(ctx.response!.status));
        },
      },
    });
    expect(h.router.handler).toBeNull();
    expect(statusLine(h.session.text)).toBe("HTTP/1.1 418 I'm a Teapot");
    expect(h.session.text).toContain('X-Seen: 418\r\n');
    expect(bodyOf(h.session.text)).toBe('teapot');
    expect(h.session.done).toBe(true);
  });

  test('a hook that throws ends only its transaction, with a 500', () => {
    const h = startTransaction(GET, {
      hooks: {
        'read-response': () => {
          throw new Error('boom');
        },
      },
    });
    const upstream = h.router.connect();
    upstream.send('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    expect(statusLine(h.session.text)).toBe('HTTP/1.1 500 Internal Server Error');
    expect(h.router.released[0]).toMatchObject({ reusable: false, errorCode: 'JCT_ERR_HOOK_FAILED' });
  });

  test('an asynchronous hook holds the response head, and what the upstream sends meanwhile', async () => {
    let release!: () => void;
    const h = startTransaction(GET, {
      hooks: {
        'read-response': () =>
          new Promise<void>((resolve) => {
            release = resolve;
          }),
      },
    });
    const upstream = h.router.connect();
    upstream.send('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nfirst ');
    expect(upstream.paused).toBe(true);
    upstream.send('second');
    upstream.fin();
    expect(h.session.writes).toHaveLength(0);
    release();
    await waitFor(() => h.session.done !== undefined);
    expect(bodyOf(h.session.text)).toBe('c\r\nfirst second\r\n0\r\n\r\n');
  });

  test('a response transform re-frames the body as chunked and edits the head', async () => {
    const h = startTransaction(GET, {
      hooks: {
        'read-response': (ctx) => {
          ctx.transformResponse(() => upperCase);
        },
      },
    });
    const upstream = h.router.connect();
    upstream.send('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello');
    await waitFor(() => h.session.done !== undefined);
    expect(h.session.text).not.toContain('Content-Length');
    expect(h.session.text).toContain('X-Transformed: upper\r\n');
    expect(bodyOf(h.session.text)).toBe('5\r\nHELLO\r\n0\r\n\r\n');
    expect(h.session.done).toBe(true);
    expect(h.router.released[0]).toMatchObject({ reusable: true, status: 200 });
  });

  test('a request transform sends the body upstream chunked', async () => {
    const h = startTransaction('POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 3\r\n\r\nabc', {
      hooks: {
        'send-request': (ctx) => {
          ctx.transformRequest(() => upperCase);
        },
      },
    });
    const upstream = h.router.connect();
    await waitFor(() => upstream.text.endsWith('0\r\n\r\n'));
    expect(upstream.text).toContain('Transfer-Encoding: chunked\r\n');
    expect(upstream.text).not.toContain('Content-Length');
    expect(bodyOf(upstream.text)).toBe('3\r\nABC\r\n0\r\n\r\n');
  });

  test('a failing response transform cuts a response that started', async () => {
    const failing: BodyTransform = {
      name: 'failing',
      stream: () =>
        new Transform({
          transform(_chunk, _encoding, callback): void {
            callback(new Error('transform broke'));
          },
        }),
    };
    const h = startTransaction(GET, {
      hooks: {
        'send-response': (ctx) => {
          ctx.transformResponse(() => failing);
        },
      },
    });
    h.router.connect().send('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello');
    await waitFor(() => h.session.aborted);
    expect(statusLine(h.session.text)).toBe('HTTP/1.1 200 OK');
  });
});
