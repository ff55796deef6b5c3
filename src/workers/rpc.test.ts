import { EventEmitter } from 'node:events';
import { describe, expect, test } from 'vitest';
import type { WorkerError } from '../errors/index.ts';
import { RpcEndpoint, type RpcChannel } from './rpc.ts';

interface AskTable {
  add: { request: { a: number; b: number }; reply: number };
  slow: { request: null; reply: string };
  boom: { request: null; reply: null };
  missing: { request: null; reply: null };
}
interface Notes {
  hello: { from: string };
}

/** Two ends joined by asynchronous delivery, as an IPC channel delivers. */
function pair(): {
  left: RpcChannel;
  right: RpcChannel;
  inject: (to: 'left' | 'right', message: unknown) => void;
} {
  const left = new EventEmitter();
  const right = new EventEmitter();
  const channel = (self: EventEmitter, other: EventEmitter): RpcChannel => ({
    send: (message) => {
      const copy: unknown = JSON.parse(JSON.stringify(message));
      setImmediate(() => other.emit('message', copy));
    },
    listen: (listener) => {
      self.on('message', listener);
      return () => self.off('message', listener);
    },
  });
  return {
    left: channel(left, right),
    right: channel(right, left),
    inject: (to, message) => (to === 'left' ? left : right).emit('message', message),
  };
}

function ends(timeoutMs = 1_000) {
  const { left, right, inject } = pair();
  const primary = new RpcEndpoint<AskTable, Record<string, never>, Notes>(left, {
    timeoutMs,
    peer: 'worker 1',
    worker: 1,
  });
  const worker = new RpcEndpoint<Record<string, never>, AskTable, Notes>(right, {
    timeoutMs,
    peer: 'the primary',
  });
  return { primary, worker, inject };
}

describe('RpcEndpoint', () => {
  test('a request gets its own reply, by id, whatever order replies come in', async () => {
    const { primary, worker } = ends();
    worker.handle('add', ({ a, b }) => a + b);
    worker.handle(
      'slow',
      () =>
        new Promise((resolve) =>
          setTimeout(() => {
            resolve('late');
          }, 30),
        ),
    );
    const slow = primary.request('slow', null);
    const sums = await Promise.all([
      primary.request('add', { a: 1, b: 2 }),
      primary.request('add', { a: 5, b: 5 }),
    ]);
    expect(sums).toEqual([3, 10]);
    expect(await slow).toBe('late');
    expect(primary.pending).toBe(0);
  });

  test("the handler's failure is the request's, with its code", async () => {
    const { primary, worker } = ends();
    worker.handle('boom', () => {
      throw Object.assign(new Error('refused'), { code: 'JCT_ERR_RELOAD_FAILED' });
    });
    await expect(primary.request('boom', null)).rejects.toMatchObject({
      code: 'JCT_ERR_WORKER_FAILED',
      message: 'refused',
      remoteCode: 'JCT_ERR_RELOAD_FAILED',
      worker: 1,
    });
  });

  test('a kind without a handler is answered at once with an error, not left to time out', async () => {
    const { primary } = ends(60_000);
    await expect(primary.request('missing', null)).rejects.toMatchObject({
      code: 'JCT_ERR_WORKER_FAILED',
      message: "no handler for 'missing'",
    });
  });

  test('no reply in time: JCT_ERR_WORKER_TIMEOUT; the late reply is dropped', async () => {
    const { primary, worker } = ends(20);
    worker.handle(
      'slow',
      () =>
        new Promise((resolve) =>
          setTimeout(() => {
            resolve('late');
          }, 60),
        ),
    );
    await expect(primary.request('slow', null)).rejects.toMatchObject({ code: 'JCT_ERR_WORKER_TIMEOUT' });
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(primary.pending).toBe(0);
  });

  test('a worker that dies fails every pending request with JCT_ERR_WORKER_GONE, and later ones at once', async () => {
    const { primary, worker } = ends(60_000);
    worker.handle('slow', () => new Promise(() => undefined));
    const pending = [primary.request('slow', null), primary.request('slow', null)];
    await new Promise((resolve) => setImmediate(resolve));
    primary.close('exit code 1');
    for (const request of pending) {
      await expect(request).rejects.toMatchObject({ code: 'JCT_ERR_WORKER_GONE' });
    }
    const error = await primary.request('add', { a: 1, b: 1 }).catch((e: unknown) => e as WorkerError);
    expect(error).toMatchObject({ code: 'JCT_ERR_WORKER_GONE' });
    expect(primary.pending).toBe(0);
  });

  test('notices go one way; foreign messages and unknown notices are ignored', async () => {
    const { primary, worker, inject } = ends();
    const heard: string[] = [];
    primary.onNotice('hello', (body) => heard.push(body.from));
    inject('left', { cmd: 'NODE_CLUSTER', act: 'online' });
    inject('left', 'text');
    inject('left', null);
    inject('left', { '@junction/rpc': 1, t: 'notice', kind: 'nobody-listens', body: 1 });
    inject('left', { '@junction/rpc': 1, t: 'request', id: 7, kind: 'add', body: { a: 1, b: 1 } });
    inject('left', { '@junction/rpc': 1, t: 'reply', id: 999, body: 'stray' });
    worker.notify('hello', { from: 'worker' });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(heard).toEqual(['worker']);
    expect(primary.pending).toBe(0);
  });
});
