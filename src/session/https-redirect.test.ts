import { describe, expect, test } from 'vitest';
import { parseRequestHead } from '../codec/index.ts';
import type { RequestHead } from '../codec/types.ts';
import { silentLogger } from '../log/index.ts';
import type { SessionPort } from '../transaction/session-port.ts';
import { httpsLocation, redirectToHttps } from './https-redirect.ts';

const LIMITS = { maxHeadBytes: 32 * 1024, maxHeaderCount: 100, maxRequestLineBytes: 8192 };

function head(text: string): RequestHead {
  const buf = Buffer.from(text, 'latin1');
  const step = parseRequestHead(buf, 0, buf.length, LIMITS);
  if (step.kind !== 'done') throw new Error(`test head did not parse: ${step.kind}`);
  return step.head;
}

/** A SessionPort operation the redirect must not need. */
function nothing(): void {
  // Deliberately empty.
}

/** Records what the redirect wrote and how it ended the exchange. */
function recordingPort(): SessionPort & { written: string; keepAlive: boolean | undefined; stashed: string } {
  const port = {
    written: '',
    keepAlive: undefined as boolean | undefined,
    stashed: '',
    clientAddress: '127.0.0.1',
    clientPort: 1,
    localAddress: '127.0.0.1',
    localPort: 2,
    requests: 0,
    scheme: 'http' as const,
    tls: null,
    draining: false,
    log: silentLogger(),
    writeClient(data: string | Buffer) {
      port.written += typeof data === 'string' ? data : data.toString('latin1');
      return true;
    },
    clientStream: { write: () => true },
    clientNeedsDrain: false,
    bytesWritten: 0,
    corkClient: nothing,
    uncorkClient: nothing,
    pauseClient: nothing,
    resumeClient: nothing,
    stashPipelined(buf: Buffer, start: number) {
      port.stashed += buf.subarray(start).toString('latin1');
    },
    setDeadline: nothing,
    onTransactionDone(keepAlive: boolean) {
      port.keepAlive = keepAlive;
    },
    abortClient: nothing,
    startTunnel: nothing,
    listener: { name: 'test', accessLog: undefined, trustRequestId: false },
    bytesRead: 0,
    readMark: 0,
  };
  return port;
}

describe('httpsLocation', () => {
  test.each([
    ['GET /a?b=c HTTP/1.1\r\nHost: Example.com:8080\r\n\r\n', 443, 'https://example.com/a?b=c'],
    ['GET /a HTTP/1.1\r\nHost: example.com\r\n\r\n', 8443, 'https://example.com:8443/a'],
    ['GET http://other.example/x?y HTTP/1.1\r\nHost: example.com\r\n\r\n', 443, 'https://other.example/x?y'],
    ['GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n', 8443, 'https://[::1]:8443/'],
    ['OPTIONS * HTTP/1.1\r\nHost: example.com\r\n\r\n', 443, 'https://example.com/'],
  ])('%j to port %i', (text, port, location) => {
    expect(httpsLocation(head(text), port)).toBe(location);
  });
});

describe('redirectToHttps', () => {
  const redirect = { port: 443, status: 301 } as const;

  test('keeps the connection for requests without a body, and keeps pipelined bytes', () => {
    const port = recordingPort();
    const rest = Buffer.from('GET /next HTTP/1.1\r\n');
    redirectToHttps(port, head('GET /a HTTP/1.1\r\nHost: example.com\r\n\r\n'), redirect, rest, 0);
    expect(port.written).toMatch(
      /^HTTP\/1\.1 301 Moved Permanently\r\nDate: [^\r]+ GMT\r\nLocation: https:\/\/example\.com\/a\r\n/,
    );
    expect(port.written).not.toContain('Connection: close');
    expect(port.keepAlive).toBe(true);
    expect(port.stashed).toBe('GET /next HTTP/1.1\r\n');
  });

  test('closes after a request with a body, and answers 400 without a Host', () => {
    const posted = recordingPort();
    redirectToHttps(
      posted,
      head('POST /f HTTP/1.1\r\nHost: example.com\r\nContent-Length: 3\r\n\r\n'),
      redirect,
      Buffer.from('abc'),
      0,
    );
    expect(posted.written).toContain('Connection: close\r\n');
    expect(posted.keepAlive).toBe(false);
    expect(posted.stashed).toBe('');

    const hostless = recordingPort();
    redirectToHttps(hostless, head('GET / HTTP/1.0\r\n\r\n'), redirect, Buffer.alloc(0), 0);
    expect(hostless.written).toMatch(/^HTTP\/1\.1 400 /);
    expect(hostless.keepAlive).toBe(false);
  });
});
