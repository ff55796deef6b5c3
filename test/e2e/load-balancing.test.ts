/**
 * Load balancing: round robin spreads requests exactly evenly over a cluster's backends, per request (not
 * per client connection), and stays exact when requests overlap. Weights are not covered yet.
 */
import { expect, onTestFinished, test } from 'vitest';
import { echoBackend, type EchoReply, type HttpBackend } from '../support/backends.ts';
import { keepAliveAgent, RawClient, request } from '../support/clients.ts';
import { backendList, startJunctionFromYaml } from '../support/start-junction.ts';

async function roundRobinOverThree() {
  const backends: HttpBackend[] = [];
  for (const name of ['one', 'two', 'three']) {
    const backend = await echoBackend(name);
    onTestFinished(() => backend.close());
    backends.push(backend);
  }
  const junction = await startJunctionFromYaml(`
routes:
  - { match: { path: / }, cluster: trio }
clusters:
  trio: { strategy: round-robin, backends: ${backendList(...backends)} }
`);
  onTestFinished(() => junction.close());
  return { junction, backends };
}

/** Asserts `names` cycles through three distinct backends in a fixed order, each getting its share. */
function expectExactRotation(names: readonly string[]): void {
  const cycle = names.slice(0, 3);
  expect(new Set(cycle).size).toBe(3);
  expect(names).toEqual(names.map((_, i) => cycle[i % 3]));
}

test('round robin alternates exactly over three backends: 30 requests, 10 each', async () => {
  const { junction, backends } = await roundRobinOverThree();
  const names: string[] = [];
  for (let i = 0; i < 30; i++) {
    const res = await request(junction.port, { path: `/r${i}` });
    names.push((res.json() as EchoReply).backend);
  }
  expectExactRotation(names);
  expect(backends.map((b) => b.requests.length)).toEqual([10, 10, 10]);
});

test('round robin picks per request, also within one keep-alive client connection', async () => {
  const { junction, backends } = await roundRobinOverThree();
  const client = await RawClient.connect(junction.port);
  onTestFinished(() => client.close());
  const names: string[] = [];
  for (let i = 0; i < 30; i++) {
    const response = await client.exchange(`GET /k${i} HTTP/1.1\r\nHost: lb.test\r\n\r\n`);
    names.push((JSON.parse(response.body.toString()) as EchoReply).backend);
  }
  expectExactRotation(names);
  expect(backends.map((b) => b.requests.length)).toEqual([10, 10, 10]);
  expect(client.ended).toBe(false);
});

test('round robin stays exact when 30 requests overlap', async () => {
  const { junction, backends } = await roundRobinOverThree();
  const responses = await Promise.all(
    Array.from({ length: 30 }, (_, i) => request(junction.port, { path: `/c${i}` })),
  );
  expect(responses.map((r) => r.status)).toEqual(Array<number>(30).fill(200));
  expect(backends.map((b) => b.requests.length)).toEqual([10, 10, 10]);
});

test('round robin keeps its rotation for clients on a keep-alive agent', async () => {
  const { junction, backends } = await roundRobinOverThree();
  const agent = keepAliveAgent();
  onTestFinished(() => {
    agent.destroy();
  });
  for (let i = 0; i < 9; i++) await request(junction.port, { agent });
  expect(backends.map((b) => b.requests.length)).toEqual([3, 3, 3]);
});
