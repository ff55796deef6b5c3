// How long one /metrics scrape takes for a large config: Junction started (on the built dist/) with
// CLUSTERS clusters of BACKENDS backends each (addresses that are never connected to), then the admin
// API's JunctionMetrics renders the scrape ROUNDS times. Prints the median and slowest scrape and its
// size. Every metric is read at scrape time, so this is their whole cost; requests pay nothing.
// Run: npm run build && node bench/metrics-scrape.js [CLUSTERS] [BACKENDS] [ROUNDS]
import { loadConfigText } from '../dist/config/index.js';
import { JunctionMetrics } from '../dist/metrics/index.js';
import { startJunction } from '../dist/server/index.js';

const clusters = Number(process.argv[2] ?? 100);
const backends = Number(process.argv[3] ?? 10);
const rounds = Number(process.argv[4] ?? 50);

let yaml = 'listeners: [{ name: main, address: 127.0.0.1, port: 0 }]\nroutes:\n';
for (let c = 0; c < clusters; c++) yaml += `  - { match: { path: /c${c}/ }, cluster: c${c} }\n`;
yaml += 'clusters:\n';
for (let c = 0; c < clusters; c++) {
  const list = Array.from({ length: backends }, (_, b) => `"10.${c >> 8}.${c & 255}.${b + 1}:8080"`);
  yaml += `  c${c}: { backends: [${list.join(', ')}] }\n`;
}

const server = await startJunction(await loadConfigText(yaml, '<bench>'));
const metrics = new JunctionMetrics(server);
const times = [];
let bytes = 0;
for (let i = 0; i < rounds + 5; i++) {
  const start = process.hrtime.bigint();
  const text = await metrics.scrape();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (i >= 5) times.push(ms); // the first scrapes warm up
  bytes = text.length;
}
times.sort((a, b) => a - b);
const series = (await metrics.scrape()).split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
console.log(
  `${clusters} clusters x ${backends} backends: ${series} series, ${(bytes / 1024).toFixed(0)} KiB; ` +
    `scrape median ${times[Math.floor(times.length / 2)].toFixed(1)} ms, slowest ${times.at(-1).toFixed(1)} ms ` +
    `over ${rounds} scrapes`,
);
await server.close(0);
