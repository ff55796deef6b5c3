// Cost of one Strategy.select() per built-in strategy, at 3 and at 100 backends, on the built
// dist/. Build first: `npx tsc -p tsconfig.build.json`, then `node bench/micro/strategies.js`.
// Figures are for comparing commits on one machine, not absolute truths.
import { BUILTIN_STRATEGIES, stickyId } from '../../dist/strategies/index.js';

const ITERATIONS = 300_000;
const WARMUP = 50_000;
const INPUTS = 1024; // distinct requests, cycled, so hashing strategies see varied keys

function members(count) {
  return Array.from({ length: count }, (_, i) => ({
    id: `10.0.${i >> 8}.${i & 255}:8080`,
    host: `10.0.${i >> 8}.${i & 255}`,
    port: 8080,
    weight: 1 + (i % 3),
    isUp: true,
    inFlight: i % 5,
  }));
}

function inputs(backends, cookie) {
  return Array.from({ length: INPUTS }, (_, i) => {
    const headers = {
      'x-user': `user-${i}`,
      cookie: cookie ? `theme=dark; JUNCTIONID=${stickyId(backends[i % backends.length].id)}` : 'theme=dark',
    };
    return {
      method: 'GET',
      host: `site${i % 17}.example.com`,
      path: `/api/items/${i}`,
      clientAddress: `192.0.2.${i & 255}`,
      header: (name) => headers[name],
    };
  });
}

let clock = 0;
const env = { random: Math.random, now: () => clock };

const CASES = [
  ['round-robin', 'round-robin', {}],
  ['weighted-round-robin', 'weighted-round-robin', {}],
  ['least-connections', 'least-connections', {}],
  ['random (weighted)', 'random', {}],
  ['power-of-two (in-flight)', 'power-of-two', {}],
  ['power-of-two (ewma)', 'power-of-two', { metric: 'ewma' }],
  ['consistent-hash maglev (header)', 'consistent-hash', { key: 'header:x-user' }],
  [
    'consistent-hash rendezvous (header)',
    'consistent-hash',
    { key: 'header:x-user', algorithm: 'rendezvous' },
  ],
  ['consistent-hash ring (header)', 'consistent-hash', { key: 'header:x-user', algorithm: 'ring' }],
  ['consistent-hash maglev (cookie)', 'consistent-hash', { key: 'cookie:theme' }],
  ['sticky-cookie (valid cookie)', 'sticky-cookie', {}, true],
  ['sticky-cookie (no cookie)', 'sticky-cookie', {}],
  ['failover (2 groups)', 'failover', { groups: [['10.0.0.0:8080'], ['10.0.0.1:8080']] }],
  ['first-available', 'first-available', {}],
];

function measure(kind, options, count, withCookie) {
  const plugin = BUILTIN_STRATEGIES.get(kind);
  const backends = members(count);
  const strategy = plugin.create(plugin.parseOptions(options), backends, env);
  const requests = inputs(backends, withCookie);
  for (const b of backends)
    strategy.report?.(b, { status: 200, errorCode: undefined, durationMs: 5 + (b.port % 7) });
  let sink = 0;
  for (let i = 0; i < WARMUP; i++) sink += strategy.select(requests[i & (INPUTS - 1)], undefined).port;
  const start = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) sink += strategy.select(requests[i & (INPUTS - 1)], undefined).port;
  const ns = Number(process.hrtime.bigint() - start) / ITERATIONS;
  if (sink === 0) console.log('');
  return ns;
}

// The median of ROUNDS measurements per cell damps noise from other processes on the machine.
const ROUNDS = 5;
function median(kind, options, count, cookie) {
  const runs = Array.from({ length: ROUNDS }, () => measure(kind, options, count, cookie));
  return runs.sort((a, b) => a - b)[ROUNDS >> 1];
}
// One untimed pass over every case first, so that shared helpers are compiled with the type
// feedback of all strategies (as in a proxy running several), then the measured pass.
for (const [, kind, options, cookie] of CASES)
  for (const n of [3, 100]) measure(kind, options, n, cookie === true);

console.log(
  `node ${process.version}, median of ${ROUNDS} runs of ${ITERATIONS} selects (after ${WARMUP} warm-up), ns per select()`,
);
console.log('');
console.log('| strategy | 3 backends | 100 backends |');
console.log('|---|---:|---:|');
for (const [name, kind, options, cookie] of CASES) {
  const three = median(kind, options, 3, cookie === true);
  const hundred = median(kind, options, 100, cookie === true);
  console.log(`| ${name} | ${three.toFixed(0)} | ${hundred.toFixed(0)} |`);
}
