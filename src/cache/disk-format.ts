/**
 * The disk tier's file format: one file per stored object (an alternate). A fixed preamble, then the
 * metadata as JSON (the key, the alternate, the policy's saved form, the status line, shared cookies),
 * then the body. The preamble carries both lengths and a CRC-32 of what follows it, so a truncated
 * file is known from its size alone (the start-up scan reads only the preamble and metadata) and a
 * corrupted one when it is read whole. Pure: no I/O.
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type CachePolicy from 'http-cache-semantics';

/** `JCTCACH` and the format's version. */
const MAGIC = Buffer.from('JCTCACH1', 'latin1');
/** Magic, metadata length, body length, CRC-32 of metadata and body. */
export const PREAMBLE_BYTES = MAGIC.length + 12;
/** Metadata past this is not ours (or corrupted): the file is dropped without reading it. */
export const MAX_META_BYTES = 1024 * 1024;

/** What a file says of its object besides the body. */
export interface DiskMeta {
  readonly key: string;
  readonly vary: string;
  readonly variant: string;
  readonly status: number;
  readonly reason: string;
  readonly cookies: readonly string[];
  readonly policy: CachePolicy.CachePolicyObject;
}

/** The lengths a preamble declares; undefined when it is not one of ours. */
export interface Preamble {
  readonly metaBytes: number;
  readonly bodyBytes: number;
  readonly crc: number;
}

/** The file of an object: preamble, metadata, body (as parts, written in one call). */
export function encodeEntry(meta: DiskMeta, body: Buffer): Buffer[] {
  const json = Buffer.from(JSON.stringify(meta), 'utf8');
  const preamble = Buffer.alloc(PREAMBLE_BYTES);
  MAGIC.copy(preamble, 0);
  preamble.writeUInt32BE(json.length, MAGIC.length);
  preamble.writeUInt32BE(body.length, MAGIC.length + 4);
  preamble.writeUInt32BE(crc32(body, crc32(json)), MAGIC.length + 8);
  return [preamble, json, body];
}

export function decodePreamble(buf: Buffer): Preamble | undefined {
  if (buf.length < PREAMBLE_BYTES || !buf.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const metaBytes = buf.readUInt32BE(MAGIC.length);
  if (metaBytes === 0 || metaBytes > MAX_META_BYTES) return undefined;
  return {
    metaBytes,
    bodyBytes: buf.readUInt32BE(MAGIC.length + 4),
    crc: buf.readUInt32BE(MAGIC.length + 8),
  };
}

/** The file's length its preamble declares: anything else is a truncated (or grown) file. */
export function entryBytes(preamble: Preamble): number {
  return PREAMBLE_BYTES + preamble.metaBytes + preamble.bodyBytes;
}

/** The metadata; undefined when it does not parse as ours. */
export function decodeMeta(json: Buffer): DiskMeta | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Record<string, unknown>;
  const ok =
    typeof m['key'] === 'string' &&
    typeof m['vary'] === 'string' &&
    typeof m['variant'] === 'string' &&
    typeof m['status'] === 'number' &&
    typeof m['reason'] === 'string' &&
    Array.isArray(m['cookies']) &&
    m['cookies'].every((c) => typeof c === 'string') &&
    typeof m['policy'] === 'object' &&
    m['policy'] !== null;
  return ok ? (value as DiskMeta) : undefined;
}

/** A whole file: its metadata and body; undefined when truncated, corrupted or not ours. */
export function decodeEntry(buf: Buffer): { meta: DiskMeta; body: Buffer } | undefined {
  const preamble = decodePreamble(buf);
  if (preamble === undefined || buf.length !== entryBytes(preamble)) return undefined;
  const metaEnd = PREAMBLE_BYTES + preamble.metaBytes;
  const json = buf.subarray(PREAMBLE_BYTES, metaEnd);
  const body = buf.subarray(metaEnd);
  if (crc32(body, crc32(json)) !== preamble.crc) return undefined;
  const meta = decodeMeta(json);
  return meta === undefined ? undefined : { meta, body };
}

/**
 * The file name of an alternate: a hash of its key and of its variant, so that one alternate has one
 * file (a new copy replaces it) and the directory (the first two hex digits) spreads them.
 */
export function entryName(key: string, vary: string, variant: string): { dir: string; file: string } {
  const keyHash = createHash('sha256').update(key).digest('hex').slice(0, 32);
  const altHash = createHash('sha256').update(vary).update('\u0000').update(variant).digest('hex');
  return { dir: keyHash.slice(0, 2), file: `${keyHash}-${altHash.slice(0, 16)}` };
}

/** Whether a directory entry's name is one of ours (entries) or a leftover temporary file. */
export function nameKind(name: string): 'entry' | 'temporary' | 'other' {
  if (/^[0-9a-f]{32}-[0-9a-f]{16}$/.test(name)) return 'entry';
  return name.endsWith('.tmp') ? 'temporary' : 'other';
}
