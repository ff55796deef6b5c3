/**
 * The `junction` command in a pipeline whose reader stops early (`junction schema | head -c 300`):
 * it stops quietly, with no stack trace, as Unix tools do.
 */
import { spawn } from 'node:child_process';
import { expect, test } from 'vitest';
import { JUNCTION_BIN } from '../support/junction-process.ts';

test('a reader that closes the pipe before reading: exit 0, nothing on stderr', async () => {
  const child = spawn(process.execPath, [JUNCTION_BIN, 'schema'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // The reader is gone before the command writes its first byte (as `head` is after its lines).
  child.stdout.destroy();
  const code = await new Promise<number | null>((resolve) =>
    child.on('close', (c) => {
      resolve(c);
    }),
  );
  expect(stderr).toBe('');
  expect(code).toBe(0);
}, 20_000);
