// A disk hit beside a memory hit, in the cache alone (no sockets): the time from lookup to a response
// ready to play back. Usage: node bench/cache/disk-hit.js [objects] [bodyBytes]  (after a build)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpCache } from '../../dist/cache/index.js';

const objects = Number(process.argv[2] ?? 500);
const bodyBytes = Number(process.argv[3] ?? 1024);
const dir = mkdtempSync(join(tmpdir(), 'junction-disk-hit-'));
const config = {
  memoryBytes: 256 * 1024 * 1024,
  maxObjectBytes: 8 * 1024 * 1024,
  collapseTimeoutMs: 5000,
  disk: { path: dir, bytes: 1024 * 1024 * 1024 },
};
const request = (i) => ({
  key: `http://h/o/${i}`,
  policyRequest: { url: `/o/${i}`, method: 'GET', headers: { host: 'h' } },
});
const body = Buffer.alloc(bodyBytes, 'x');

const writer = new HttpCache(config, console.error);
for (let i = 0; i < objects; i++) {
  const policy = writer.policyFor(request(i), 200, { 'cache-control': 'max-age=600' });
  writer.put(request(i), policy, 200, 'OK', body);
}
while (writer.disk.index.stats.objects < objects) await new Promise((r) => setTimeout(r, 10));

// A new cache on the same directory: memory empty, every object on disk.
const reader = new HttpCache(config, console.error);
await reader.disk.scanned;
let start = process.hrtime.bigint();
for (let i = 0; i < objects; i++) {
  const entry = reader.onDisk(request(i));
  await reader.loadFromDisk(entry);
  if (reader.lookup(request(i)).kind !== 'fresh') throw new Error('not a hit');
}
const disk = Number(process.hrtime.bigint() - start) / 1000 / objects;
start = process.hrtime.bigint();
for (let round = 0; round < 20; round++)
  for (let i = 0; i < objects; i++)
    if (reader.lookup(request(i)).kind !== 'fresh') throw new Error('not a hit');
const memory = Number(process.hrtime.bigint() - start) / 1000 / objects / 20;
console.log(
  `${objects} objects of ${bodyBytes} B: disk hit ${disk.toFixed(1)} µs, memory hit ${memory.toFixed(1)} µs (lookup to a response ready)`,
);
rmSync(dir, { recursive: true, force: true });
