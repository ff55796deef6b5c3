/**
 * h2c with prior knowledge (RFC 9113 §3.3): on a plain listener with `h2c: true` the first bytes tell
 * HTTP/2 from HTTP/1.1. An HTTP/2 client starts with the connection preface, which no HTTP/1.1
 * request line can begin like past its first bytes (`PRI * HTTP/2.0` is no method Junction serves).
 */
import type { Socket } from 'node:net';

export const H2C_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export type PrefaceVerdict = 'h2c' | 'http1' | 'more';

/** What the first bytes read so far say (pure). */
export function prefaceVerdict(buf: Buffer): PrefaceVerdict {
  const n = Math.min(buf.length, H2C_PREFACE.length);
  if (buf.compare(H2C_PREFACE, 0, n, 0, n) !== 0) return 'http1';
  return n === H2C_PREFACE.length ? 'h2c' : 'more';
}

/**
 * Reads the first bytes of a paused plain socket until they decide, then puts them back (unshift)
 * and leaves the socket paused for whichever session takes it. A client silent for `timeoutMs`, or
 * one that leaves, is `gone`.
 */
export function sniffPreface(
  socket: Socket,
  timeoutMs: number,
  decided: (verdict: 'h2c' | 'http1' | 'gone') => void,
): void {
  let seen: Buffer | null = null;
  const finish = (verdict: 'h2c' | 'http1' | 'gone'): void => {
    socket.off('data', onData);
    socket.off('end', onGone);
    socket.off('close', onGone);
    socket.setTimeout(0);
    socket.off('timeout', onTimeout);
    if (verdict === 'gone') {
      socket.off('error', onGone);
      socket.on('error', noop);
      socket.destroy();
    } else {
      socket.pause();
      if (seen !== null) socket.unshift(seen);
      socket.off('error', onGone);
    }
    decided(verdict);
  };
  const onData = (chunk: Buffer): void => {
    seen = seen === null ? chunk : Buffer.concat([seen, chunk]);
    const verdict = prefaceVerdict(seen);
    if (verdict !== 'more') finish(verdict);
  };
  const onGone = (): void => {
    finish('gone');
  };
  const onTimeout = (): void => {
    finish('gone');
  };
  socket.on('data', onData);
  socket.on('end', onGone);
  socket.on('close', onGone);
  socket.on('error', onGone);
  socket.setTimeout(timeoutMs, onTimeout);
  socket.resume();
}

function noop(): void {
  return;
}
