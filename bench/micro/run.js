// Micro-benchmarks of the hot path's pieces, on the built dist/. Prints ns per operation.
// Run with `npm run bench`. Figures are for comparing commits on one machine, not absolute truths.
import { BufferPool } from '../../dist/buffers/index.js';
import { parseRequestHead, parseResponseHead } from '../../dist/codec/index.js';
import { RequestMetrics } from '../../dist/metrics/index.js';
import { RequestRing } from '../../dist/transaction/index.js';

const limits = { maxHeadBytes: 32 * 1024, maxHeaderCount: 100, maxRequestLineBytes: 8 * 1024 };

function bench(name, iterations, fn) {
  for (let i = 0; i < Math.min(iterations, 10_000); i++) fn(i); // warm up
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn(i);
  const ns = Number(process.hrtime.bigint() - start) / iterations;
  console.log(`${name.padEnd(58)} ${ns.toFixed(1).padStart(9)} ns/op`);
  return ns;
}

const wrkRequest = Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n', 'latin1');
const browserRequest = Buffer.from(
  'GET /api/v1/users?page=2 HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0\r\n' +
    'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.5\r\n' +
    'Accept-Encoding: gzip, deflate, br\r\nCookie: session=0123456789abcdef; theme=dark\r\nConnection: keep-alive\r\n\r\n',
  'latin1',
);
const nginxResponse = Buffer.from(
  'HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: Sun, 22 Nov 2026 12:00:00 GMT\r\nContent-Type: application/octet-stream\r\nContent-Length: 1024\r\nConnection: keep-alive\r\n\r\n',
  'latin1',
);

let sink = 0;
bench('parseRequestHead, minimal (wrk) request', 1_000_000, () => {
  const step = parseRequestHead(wrkRequest, 0, wrkRequest.length, limits);
  sink += step.kind.length;
});
bench('parseRequestHead, browser-like request (9 fields)', 500_000, () => {
  const step = parseRequestHead(browserRequest, 0, browserRequest.length, limits);
  sink += step.kind.length;
});
bench('parseResponseHead, nginx response', 1_000_000, () => {
  const step = parseResponseHead(nginxResponse, 0, nginxResponse.length, limits, 'GET');
  sink += step.kind.length;
});

// A head that arrives in three reads: accumulate in a pooled slice versus Buffer.concat.
const parts = [
  browserRequest.subarray(0, 100),
  browserRequest.subarray(100, 250),
  browserRequest.subarray(250),
];
const pool = new BufferPool(32 * 1024 + 1024, 64);
bench('head in 3 reads, pooled slice (copy + parse per read)', 200_000, () => {
  const buf = pool.acquire();
  let len = 0;
  for (const part of parts) {
    part.copy(buf, len);
    len += part.length;
    sink += parseRequestHead(buf, 0, len, limits).kind.length;
  }
  pool.release(buf);
});
bench('head in 3 reads, Buffer.concat (concat + parse per read)', 200_000, () => {
  let buf = Buffer.alloc(0);
  for (const part of parts) {
    buf = buf.length === 0 ? part : Buffer.concat([buf, part]);
    sink += parseRequestHead(buf, 0, buf.length, limits).kind.length;
  }
});

// What the per-request metrics add to a request: its end and its one upstream attempt counted.
const requestMetrics = new RequestMetrics();
const metricsSession = { listener: { name: 'main' }, bytesRead: 500, bytesWritten: 900 };
const metricsEnd = {
  head: { method: 'GET' },
  route: { name: 'api' },
  cluster: 'app',
  status: 200,
  startedAt: 1000,
  upstreamHeadAt: 1001,
  readMark: 0,
  writeMark: 0,
};
bench('request metrics: transaction end + one attempt', 2_000_000, (i) => {
  requestMetrics.transactionEnded(metricsSession, metricsEnd, 1002 + (i & 7));
  requestMetrics.attemptEnded('app', 'success', undefined);
});

// explain.keep_requests: one copy of a browser-like head's fields into a ring of 1000 (full, so each
// keep also drops the oldest for the collector).
const ringHead = parseRequestHead(browserRequest, 0, browserRequest.length, limits).head;
const ringSession = {
  scheme: 'https',
  clientAddress: '192.0.2.7',
  tls: { serverName: 'api.example.com' },
  listener: { name: 'public' },
};
const ring = new RequestRing(1000);
bench('request ring: keep a browser-like head (9 fields)', 1_000_000, () => {
  ring.keep(ringSession, ringHead);
});

if (sink === 0) console.log('');
