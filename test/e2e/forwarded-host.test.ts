/**
 * X-Forwarded-Host names the host the client asked for, whatever a rule or hook made of the Host the
 * backend gets (nginx's `$host` in `proxy_set_header X-Forwarded-Host`, Envoy's original host).
 */
import { expect, onTestFinished, test } from 'vitest';
import { definePlugin } from '../../src/index.ts';
import { echoBackend, type EchoReply, type HttpBackend } from '../support/backends.ts';
import { request } from '../support/clients.ts';
import { startJunctionFromYaml, type StartJunctionOptions } from '../support/start-junction.ts';

async function echo(): Promise<HttpBackend> {
  const backend = await echoBackend('app');
  onTestFinished(() => backend.close());
  return backend;
}

async function proxy(yaml: string, options: StartJunctionOptions = {}) {
  const junction = await startJunctionFromYaml(yaml, options);
  onTestFinished(() => junction.close());
  return junction;
}

test('a rule that rewrites proxy-req-host leaves X-Forwarded-Host at the client Host', async () => {
  const backend = await echo();
  const junction = await proxy(`
forwarded: { x_forwarded_host: true }
rules:
  - when: proxy-req
    do:
      - proxy-req-host: 'backend.internal:9000'
routes: [{ cluster: app }]
clusters:
  app: { backends: ["${backend.address}"] }
`);
  const res = await request(junction.port, { headers: { host: 'Shop.Example.com:8443' } });
  const seen = (res.json() as EchoReply).headers;
  expect(seen.host).toBe('backend.internal:9000');
  expect(seen['x-forwarded-host']).toBe('shop.example.com:8443');
});

test('a hook that rewrites the host before routing leaves X-Forwarded-Host at the client Host', async () => {
  const backend = await echo();
  const plugin = definePlugin({
    name: 'rehost',
    setup(api) {
      api.hook('read-request', (txn) => {
        txn.request.setHost('internal.test');
      });
    },
  });
  const junction = await proxy(
    `
forwarded: { x_forwarded_host: true }
plugins: [test:rehost]
routes: [{ match: { host: internal.test }, cluster: app }]
clusters:
  app: { backends: ["${backend.address}"] }
`,
    { plugins: { 'test:rehost': plugin } },
  );
  const res = await request(junction.port, { headers: { host: 'www.example.com' } });
  expect(res.status).toBe(200);
  const seen = (res.json() as EchoReply).headers;
  expect(seen.host).toBe('internal.test');
  expect(seen['x-forwarded-host']).toBe('www.example.com');
});
