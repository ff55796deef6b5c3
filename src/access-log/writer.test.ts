import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { silentLogger } from '../log/index.ts';
import { AccessLogWriter } from './writer.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'junction-writer-'));
  dirs.push(dir);
  return join(dir, 'access.log');
}

test('lines of every size, ASCII and not, come out whole and in order across buffers and batches', async () => {
  const path = tempFile();
  const writer = new AccessLogWriter(path, silentLogger());
  const lines: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const ascii = i % 7 !== 0;
    const line =
      i === 1500
        ? 'x'.repeat(200 * 1024) // longer than any gathering buffer
        : ascii
          ? `{"n":${i},"pad":"${'a'.repeat(i % 300)}"}`
          : `GET /caf\u00e9/${i} \u{1f600} ${'\u00e9'.repeat((i * 37) % 3000)}`;
    lines.push(line);
    writer.writeLine(line, ascii && i !== 1500 ? true : i === 1500);
    if (i % 997 === 0) await writer.flushed(); // some batches written while others gather
  }
  await writer.flushed();
  expect(readFileSync(path, 'utf8')).toBe(lines.map((line) => `${line}\n`).join(''));
  expect(writer.dropped).toBe(0);
});
