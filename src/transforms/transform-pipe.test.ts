import { PassThrough, Transform, type TransformCallback } from 'node:stream';
import { constants as zlib, createGunzip, createGzip, gunzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { RecordingSink, turns } from './sink.test-suite.ts';
import { TransformPipe } from './transform-pipe.ts';
import type { BodyTransform } from './types.ts';

function through(stream: Transform, flush?: BodyTransform['flush']): BodyTransform {
  return flush === undefined
    ? { name: 'test', stream: () => stream }
    : { name: 'test', stream: () => stream, flush };
}

/** Small buffers on both sides, so backpressure shows after a few KiB. */
function smallPassThrough(): PassThrough {
  return new PassThrough({ highWaterMark: 1024 });
}

function bytes(n: number, seed: number): Buffer {
  const buf = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) buf[i] = (seed + i * 31) & 0xff;
  return buf;
}

describe('TransformPipe: data flow', () => {
  test('delivers every byte in order, then onEnd once', async () => {
    const sink = new RecordingSink();
    const pipe = new TransformPipe(through(new PassThrough()), sink);
    const parts = [bytes(10, 1), bytes(5000, 2), bytes(1, 3)];
    for (const part of parts) pipe.write(part);
    pipe.end();
    await sink.finished;
    expect(sink.body.equals(Buffer.concat(parts))).toBe(true);
    expect(sink.events.filter((e) => e === 'end')).toHaveLength(1);
    expect(sink.events.at(-1)).toBe('end');
    expect(pipe.bytesIn).toBe(5011);
    expect(pipe.bytesOut).toBe(5011);
    expect(pipe.isDone).toBe(true);
  });

  test('an empty body still ends', async () => {
    const sink = new RecordingSink();
    const pipe = new TransformPipe(through(new PassThrough()), sink);
    pipe.end();
    await sink.finished;
    expect(sink.events).toEqual(['end']);
  });

  test('write and end after the end do nothing', async () => {
    const sink = new RecordingSink();
    const pipe = new TransformPipe(through(new PassThrough()), sink);
    pipe.write(Buffer.from('a'));
    pipe.end();
    expect(pipe.write(Buffer.from('b'))).toBe(true);
    pipe.end();
    await sink.finished;
    await turns();
    expect(sink.body.toString()).toBe('a');
    expect(sink.events).toEqual(['data', 'end']);
  });
});

describe('TransformPipe: backpressure', () => {
  test('a full consumer makes write() return false after a bounded amount, and resuming lets it all through in order', async () => {
    const stream = smallPassThrough();
    const sink = new RecordingSink();
    const pipe = new TransformPipe(through(stream), sink);
    sink.accept = false;
    const written: Buffer[] = [];
    let refusedAt = -1;
    for (let i = 0; i < 1000; i++) {
      const part = bytes(256, i);
      written.push(part);
      if (!pipe.write(part)) {
        refusedAt = i;
        break;
      }
      await turns(1);
    }
    // The stream holds about one high-water mark per side, then refuses.
    expect(refusedAt).toBeGreaterThan(0);
    expect(refusedAt * 256).toBeLessThan(8 * 1024);
    await turns(5);
    // Exactly one chunk went out before the consumer said full; nothing since.
    expect(sink.events).toEqual(['data']);
    expect(pipe.bufferedBytes).toBeLessThanOrEqual(4 * 1024);

    sink.accept = true;
    let drained = false;
    sink.onDrainHook = () => {
      drained = true;
    };
    pipe.resumeOutput();
    await turns(5);
    expect(drained).toBe(true);
    for (let i = 0; i < 20; i++) {
      const part = bytes(256, 5000 + i);
      written.push(part);
      pipe.write(part);
    }
    pipe.end();
    await sink.finished;
    expect(sink.body.equals(Buffer.concat(written))).toBe(true);
    expect(sink.events.filter((e) => e === 'drain')).toHaveLength(1);
    expect(sink.events.at(-1)).toBe('end');
  });

  test('a consumer that is full after every chunk gets one chunk per resumeOutput()', async () => {
    const sink = new RecordingSink();
    const pipe = new TransformPipe(through(smallPassThrough()), sink);
    sink.accept = false;
    for (let i = 0; i < 4; i++) {
      pipe.write(bytes(100, i));
      await turns(1);
    }
    pipe.end();
    await turns(3);
    expect(sink.chunks).toHaveLength(1);
    for (let round = 2; round <= 10 && !pipe.isDone; round++) {
      pipe.resumeOutput();
      await turns(3);
      expect(sink.chunks.length).toBeLessThanOrEqual(round);
    }
    await sink.finished;
    expect(sink.body.length).toBe(400);
    expect(sink.events.at(-1)).toBe('end');
  });

  test('chunks a stream emits while the consumer is full wait, in order, for resumeOutput()', async () => {
    const stream = new PassThrough();
    const sink = new RecordingSink();
    const pipe = new TransformPipe(through(stream), sink);
    sink.accept = false;
    pipe.write(Buffer.from('a'));
    await turns(2);
    // A stream that ignores pause(): the pipe holds what it emits instead of overrunning the sink.
    stream.emit('data', Buffer.from('b'));
    stream.emit('data', Buffer.from('c'));
    expect(sink.body.toString()).toBe('a');
    expect(pipe.bufferedBytes).toBe(2);
    sink.accept = true;
    pipe.resumeOutput();
    pipe.write(Buffer.from('d'));
    pipe.end();
    await sink.finished;
    expect(sink.body.toString()).toBe('abcd');
  });

  test('a slow transform makes write() return false, and onDrain says when to go on', async () => {
    const slow = new Transform({
      highWaterMark: 1024,
      transform(chunk: Buffer, _encoding, callback: TransformCallback) {
        setTimeout(() => {
          callback(null, chunk);
        }, 1);
      },
    });
    const sink = new RecordingSink();
    const pipe = new TransformPipe(through(slow), sink);
    const parts = Array.from({ length: 40 }, (_, i) => bytes(200, i));
    let refusals = 0;
    for (const part of parts) {
      if (pipe.write(part)) continue;
      refusals++;
      await new Promise<void>((resolve) => (sink.onDrainHook = resolve));
      expect(pipe.bufferedBytes).toBeLessThan(2 * 1024);
    }
    pipe.end();
    await sink.finished;
    expect(refusals).toBeGreaterThan(0);
    expect(sink.events.filter((e) => e === 'drain')).toHaveLength(refusals);
    expect(sink.body.equals(Buffer.concat(parts))).toBe(true);
  });
});

describe('TransformPipe: destroy and errors', () => {
  test('destroy() frees the stream and nothing reaches the sink afterwards', async () => {
    const stream = smallPassThrough();
    const sink = new RecordingSink();
    const pipe = new TransformPipe(through(stream), sink);
    sink.accept = false;
    for (let i = 0; i < 8; i++) pipe.write(bytes(256, i));
    pipe.end();
    await turns(2);
    const before = sink.events.length;
    pipe.destroy();
    expect(stream.destroyed).toBe(true);
    expect(pipe.isDone).toBe(true);
    expect(pipe.bufferedBytes).toBe(0);
    pipe.resumeOutput();
    expect(pipe.write(bytes(10, 0))).toBe(true);
    pipe.end();
    pipe.destroy();
    await turns(5);
    expect(sink.events).toHaveLength(before);
  });

  test('destroy() from inside onData stops delivery at once', async () => {
    const sink = new RecordingSink();
    const pipe = new TransformPipe(through(new PassThrough()), sink);
    sink.afterData = () => {
      pipe.destroy();
    };
    pipe.write(Buffer.from('one'));
    pipe.write(Buffer.from('two'));
    pipe.end();
    await turns(5);
    expect(sink.events).toEqual(['data']);
  });

  test("a transform's error reaches onError exactly once, and nothing follows", async () => {
    let calls = 0;
    const failing = new Transform({
      transform(chunk: Buffer, _encoding, callback: TransformCallback) {
        calls++;
        if (calls === 2) callback(new Error('boom'));
        else callback(null, chunk);
      },
    });
    const sink = new RecordingSink();
    const pipe = new TransformPipe(through(failing), sink);
    pipe.write(Buffer.from('a'));
    pipe.write(Buffer.from('b'));
    pipe.write(Buffer.from('c'));
    pipe.end();
    await sink.finished;
    await turns(5);
    expect(sink.errors.map((e) => e.message)).toEqual(['boom']);
    expect(sink.events.filter((e) => e !== 'data')).toEqual(['error']);
    expect(pipe.isDone).toBe(true);
    expect(pipe.write(Buffer.from('d'))).toBe(true);
  });

  test('a zlib error (a corrupt gzip body) reaches onError exactly once', async () => {
    const sink = new RecordingSink();
    const pipe = new TransformPipe(through(createGunzip()), sink);
    pipe.write(Buffer.from('this is not gzip at all, not even close'));
    pipe.write(Buffer.from('more garbage'));
    pipe.end();
    await sink.finished;
    await turns(5);
    expect(sink.events).toEqual(['error']);
    expect(sink.errors[0]!.message).toMatch(/header/);
  });

  test('a stream destroyed by someone else counts as an error, once', async () => {
    const stream = new PassThrough();
    const sink = new RecordingSink();
    new TransformPipe(through(stream), sink).write(Buffer.from('x'));
    await turns(2);
    stream.destroy();
    await sink.finished;
    await turns(3);
    expect(sink.events).toEqual(['data', 'error']);
    expect(sink.errors[0]!.message).toMatch(/closed before its output ended/);
  });
});

describe('TransformPipe: flushing held-back output', () => {
  test('flush runs once per event-loop turn with writes, and never after end()', async () => {
    const flushes: number[] = [];
    let turn = 0;
    const sink = new RecordingSink();
    const pipe = new TransformPipe(
      through(new PassThrough(), () => flushes.push(turn)),
      sink,
    );
    pipe.write(Buffer.from('a'));
    pipe.write(Buffer.from('b'));
    pipe.write(Buffer.from('c'));
    await turns(2);
    turn = 1;
    pipe.write(Buffer.from('d'));
    await turns(2);
    turn = 2;
    await turns(2);
    pipe.write(Buffer.from('e'));
    pipe.end();
    await sink.finished;
    await turns(2);
    expect(flushes).toEqual([0, 1]);
  });

  test('a gzip stream flushed per turn delivers what was written before the body ends', async () => {
    const sink = new RecordingSink();
    const gzip = createGzip({ level: 5 });
    const pipe = new TransformPipe(
      through(gzip, () => {
        gzip.flush(zlib.Z_SYNC_FLUSH);
      }),
      sink,
    );
    pipe.write(Buffer.from('hello, slow world'));
    // Everything written so far decodes, though the body has not ended.
    const decodedSoFar = () => gunzipSync(sink.body, { finishFlush: zlib.Z_SYNC_FLUSH }).toString();
    for (let i = 0; i < 200 && decodedSoFar() !== 'hello, slow world'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(decodedSoFar()).toBe('hello, slow world');
    pipe.write(Buffer.from(' and the rest'));
    pipe.end();
    await sink.finished;
    expect(gunzipSync(sink.body).toString()).toBe('hello, slow world and the rest');
  });
});
