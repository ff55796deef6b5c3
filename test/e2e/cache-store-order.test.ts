/**
 * What the cache stores is the response as read-response rules and hooks left it (Traffic Server
 * writes the cache after READ_RESPONSE_HDR), and a stored response does not go through them again.
 */
import { expect, onTestFinished, test } from 'vitest';
import { request } from '../support/clients.ts';
import { cacheBackend } from '../support/cache-backend.ts';
import { startJunctionFromYaml } from '../support/start-junction.ts';

test('a read-response rule that makes a 404 a fresh 200 changes what is stored', async () => {
  const backend = await cacheBackend((_req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not here');
  });
  const junction = await startJunctionFromYaml(`
rules:
  - when: upstream-rsp
    do:
      - with: upstream-rsp-status
        select:
          - eq: 404
            do:
              - upstream-rsp-status: [200, "OK"]
              - upstream-rsp-field<Cache-Control>: "max-age=60"
routes: [{ cluster: app, cache: true }]
clusters:
  app: { backends: ["${backend.address}"] }
`);
  onTestFinished(() => junction.close());
  const first = await request(junction.port, { path: '/gone' });
  const second = await request(junction.port, { path: '/gone' });
  for (const res of [first, second]) {
    expect(res.status).toBe(200);
    expect(res.text).toBe('not here');
    expect(res.headers['cache-control']).toBe('max-age=60');
  }
  expect(first.headers['cache-status']).toBe('Junction; fwd=miss; stored');
  expect(second.headers['cache-status']).toMatch(/^Junction; hit/);
  expect(backend.count('/gone')).toBe(1);
});

test('a read-response rule that replaces the body keeps the response out of the cache', async () => {
  const backend = await cacheBackend((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'max-age=60' });
    res.end('original');
  });
  const junction = await startJunctionFromYaml(`
rules:
  - when: upstream-rsp
    do:
      - upstream-rsp-body: "replaced"
routes: [{ cluster: app, cache: true }]
clusters:
  app: { backends: ["${backend.address}"] }
`);
  onTestFinished(() => junction.close());
  for (let i = 0; i < 2; i++) {
    const res = await request(junction.port, { path: '/body' });
    expect(res.text).toBe('replaced');
    expect(res.headers['cache-status']).toBe('Junction; fwd=miss');
  }
  expect(backend.count('/body')).toBe(2);
});
