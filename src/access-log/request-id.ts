import { randomFillSync } from 'node:crypto';

/** What a client's request ID may be to be kept: short, printable, nothing a log or header would mangle. */
const WELL_FORMED = /^[A-Za-z0-9._~:+/=-]{1,128}$/;

export function isWellFormedRequestId(value: string): boolean {
  return WELL_FORMED.test(value);
}

// Random bytes come from a pool refilled 4 KiB at a time (one syscall per 256 IDs), as randomUUID's
// own cache does; the text is written into a buffer and read out as one flat string. randomUUID built
// it by concatenating hex pieces: about 600 bytes of garbage per ID, on every request.
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let poolOffset = POOL_BYTES;
const text = Buffer.alloc(36);
const HEX = Buffer.from('0123456789abcdef', 'latin1');
/** Where each of the 16 bytes goes in `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`. */
const AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
text[8] = text[13] = text[18] = text[23] = 0x2d;

/** A fresh request ID: a random (version 4) UUID, as crypto.randomUUID() makes. */
export function newRequestId(): string {
  if (poolOffset === POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const o = poolOffset;
  poolOffset += 16;
  pool[o + 6] = (pool[o + 6]! & 0x0f) | 0x40; // version 4
  pool[o + 8] = (pool[o + 8]! & 0x3f) | 0x80; // variant 10
  for (let i = 0; i < 16; i++) {
    const byte = pool[o + i]!;
    const at = AT[i]!;
    text[at] = HEX[byte >> 4]!;
    text[at + 1] = HEX[byte & 0x0f]!;
  }
  return text.toString('latin1', 0, 36);
}
