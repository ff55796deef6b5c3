/**
 * Large bodies generated on the fly: a deterministic byte pattern that is never held in memory whole, so
 * the memory a big transfer costs is the proxy's, not the test's. Every 64 KiB block starts with its own
 * index, so a dropped, duplicated or reordered block changes the SHA-256.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

export const PATTERN_BLOCK_BYTES = 64 * 1024;

const TEMPLATE = (() => {
  const block = Buffer.allocUnsafe(PATTERN_BLOCK_BYTES);
  // A fixed xorshift sequence: incompressible-looking, identical on every run.
  let x = 0x9e3779b9;
  for (let i = 0; i < block.length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    block.writeUInt32LE(x >>> 0, i);
  }
  return block;
})();

/** The pattern's blocks, each a fresh Buffer (consumers may hold on to them while writing). */
export function* patternBlocks(totalBytes: number): Generator<Buffer> {
  let index = 0;
  for (let sent = 0; sent < totalBytes; sent += PATTERN_BLOCK_BYTES, index++) {
    const size = Math.min(PATTERN_BLOCK_BYTES, totalBytes - sent);
    const block = Buffer.allocUnsafe(size);
    TEMPLATE.copy(block, 0, 0, size);
    if (size >= 8) block.writeBigUInt64LE(BigInt(index), 0);
    yield block;
  }
}

/** A readable stream of `totalBytes` pattern bytes, with backpressure. */
export function patternStream(totalBytes: number): Readable {
  return Readable.from(patternBlocks(totalBytes), { objectMode: false });
}

const digests = new Map<number, string>();

/** The SHA-256 (hex) of `totalBytes` of the pattern; memoised. */
export function patternSha256(totalBytes: number): string {
  let digest = digests.get(totalBytes);
  if (digest === undefined) {
    const hash = createHash('sha256');
    for (const block of patternBlocks(totalBytes)) hash.update(block);
    digest = hash.digest('hex');
    digests.set(totalBytes, digest);
  }
  return digest;
}

/** SHA-256 (hex) of some bytes. */
export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
