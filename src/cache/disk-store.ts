/**
 * The disk tier: one file per stored alternate under the cache's directory (`<dir>/<2 hex>/<name>`,
 * disk-format.ts), indexed in memory (disk-index.ts) and bounded by evicting the least recently used.
 * Every call here is asynchronous (fs/promises): the serving thread never waits for the disk.
 *
 * - Writes go to a temporary file in the same directory, then a rename: a reader (or a crash) sees the
 *   old file or the new one, never half of one. A write purged before its rename is dropped.
 * - Start-up (and a reload onto a new directory) rebuilds the index from the files in batches of
 *   SCAN_BATCH, yielding to the event loop between batches and reading only each file's preamble and
 *   metadata; lookups meanwhile see the files scanned so far (the rest are misses until then).
 * - A file that is truncated, corrupted or not ours is deleted when the scan or a read finds it: a
 *   miss, never an error to the client.
 */
import { mkdir, open, opendir, readFile, rename, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  PREAMBLE_BYTES,
  decodeEntry,
  decodeMeta,
  decodePreamble,
  encodeEntry,
  entryBytes,
  entryName,
  nameKind,
  type DiskMeta,
} from './disk-format.ts';
import { DiskIndex, type DiskEntry } from './disk-index.ts';

/** Files read per batch of the start-up scan (their reads run together; then the loop turns). */
const SCAN_BATCH = 32;

/** A write in flight: the key it stores (a purge of that key cancels it). */
interface PendingWrite {
  readonly key: string;
  cancelled: boolean;
}

export type ScanState = 'scanning' | 'ready' | 'failed' | 'closed';

export class DiskStore {
  readonly dir: string;
  readonly index: DiskIndex;
  #state: ScanState = 'scanning';
  /** Settles when the start-up scan is over (tests and `ctl cache` wait for it). */
  readonly scanned: Promise<void>;
  readonly #writes = new Map<string, PendingWrite>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #reads = new Map<string, Promise<{ meta: DiskMeta; body: Buffer } | undefined>>();
  readonly #report: (message: string) => void;
  /** Files dropped because they could not be read back (truncated, corrupted, foreign). */
  dropped = 0;
  #sequence = 0;

  /** `report`: a problem worth a log line (the tier goes on: a miss is the worst outcome). */
  constructor(dir: string, limitBytes: number, report: (message: string) => void) {
    this.dir = dir;
    this.index = new DiskIndex(limitBytes);
    this.#report = report;
    this.scanned = this.#scan().catch((error: unknown) => {
      if (this.#state === 'scanning') this.#state = 'failed';
      this.#report(`the disk cache ${dir} could not be read: ${describe(error)}`);
    });
  }

  get state(): ScanState {
    return this.#state;
  }

  /** Stops using the directory (a reload moved the tier): the files stay for a later start-up. */
  close(): void {
    this.#state = 'closed';
  }

  /** Resolves once the writes under way are renamed into place (or failed): before a stop. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.#inFlight]);
  }

  resize(limitBytes: number): void {
    this.#unlinkAll(this.index.resize(limitBytes));
  }

  /** Writes an alternate (a new one, or one a 304 updated); indexed once renamed into place. */
  write(meta: DiskMeta, body: Buffer): void {
    if (this.#state === 'closed' || this.#state === 'failed') return;
    const { dir, file } = entryName(meta.key, meta.vary, meta.variant);
    const parts = encodeEntry(meta, body);
    const bytes = parts.reduce((n, part) => n + part.length, 0);
    if (bytes > this.index.limit) return;
    const previous = this.#writes.get(file);
    if (previous !== undefined) previous.cancelled = true; // the newer copy wins
    const pending: PendingWrite = { key: meta.key, cancelled: false };
    this.#writes.set(file, pending);
    const writing = this.#writeFile(pending, dir, file, parts)
      .then((written) => {
        if (this.#writes.get(file) === pending) this.#writes.delete(file);
        if (!written) return;
        const entry: DiskEntry = {
          file,
          dir,
          key: meta.key,
          vary: meta.vary,
          variant: meta.variant,
          bytes,
          lastUse: Date.now(),
        };
        this.#unlinkAll(this.index.add(entry));
      })
      .catch((error: unknown) => {
        if (this.#writes.get(file) === pending) this.#writes.delete(file);
        this.#report(`a disk cache write failed: ${describe(error)}`);
      })
      .finally(() => this.#inFlight.delete(writing));
    this.#inFlight.add(writing);
  }

  /** Writes the file; false when cancelled meanwhile (then no file is left). */
  async #writeFile(pending: PendingWrite, dir: string, file: string, parts: Buffer[]): Promise<boolean> {
    const directory = join(this.dir, dir);
    await mkdir(directory, { recursive: true });
    const path = join(directory, file);
    const temporary = `${path}.${process.pid}.${this.#sequence++}.tmp`;
    const handle = await open(temporary, 'w');
    try {
      await handle.writev(parts);
    } finally {
      await handle.close();
    }
    if (pending.cancelled || this.#state === 'closed') {
      await unlinkQuietly(temporary);
      return false;
    }
    await rename(temporary, path);
    // Purged between the rename's start and now: the file must not outlive the purge.
    if (cancelledMeanwhile(pending)) {
      await unlinkQuietly(path);
      return false;
    }
    return true;
  }

  /** Reads an indexed alternate whole; undefined (and the file deleted) when it is not usable. */
  read(entry: DiskEntry): Promise<{ meta: DiskMeta; body: Buffer } | undefined> {
    const running = this.#reads.get(entry.file);
    if (running !== undefined) return running;
    const path = join(this.dir, entry.dir, entry.file);
    const reading = readFile(path)
      .then((buf) => {
        const decoded = decodeEntry(buf);
        if (decoded?.meta.key !== entry.key) {
          this.#drop(entry, 'is truncated or corrupted');
          return undefined;
        }
        const now = Date.now();
        this.index.touch(entry, now);
        // The use survives a restart: the scan orders files by mtime.
        const seconds = now / 1000;
        utimes(path, seconds, seconds).catch(() => undefined);
        return decoded;
      })
      .catch((error: unknown) => {
        this.#drop(entry, `could not be read (${describe(error)})`);
        return undefined;
      })
      .finally(() => this.#reads.delete(entry.file));
    this.#reads.set(entry.file, reading);
    return reading;
  }

  /** Removes these alternates' files (already out of the index). */
  deleteEntries(entries: readonly DiskEntry[]): void {
    this.#unlinkAll(entries);
  }

  /** Every alternate of `key`: out of the index, writes in flight cancelled, files deleted. */
  deleteKey(key: string): DiskEntry[] {
    this.#cancelWrites((k) => k === key);
    const entries = this.index.removeKey(key);
    this.#unlinkAll(entries);
    return entries;
  }

  deletePrefix(prefix: string): DiskEntry[] {
    this.#cancelWrites((k) => k.startsWith(prefix));
    const entries = this.index.removePrefix(prefix);
    this.#unlinkAll(entries);
    return entries;
  }

  clear(): DiskEntry[] {
    this.#cancelWrites(() => true);
    const entries = this.index.clear();
    this.#unlinkAll(entries);
    return entries;
  }

  #cancelWrites(matches: (key: string) => boolean): void {
    for (const pending of this.#writes.values()) if (matches(pending.key)) pending.cancelled = true;
  }

  #drop(entry: DiskEntry, why: string): void {
    this.dropped++;
    this.index.remove(entry);
    this.#report(`the disk cache file ${entry.dir}/${entry.file} ${why}: dropped`);
    void unlinkQuietly(join(this.dir, entry.dir, entry.file));
  }

  #unlinkAll(entries: readonly DiskEntry[]): void {
    for (const entry of entries) void unlinkQuietly(join(this.dir, entry.dir, entry.file));
  }

  // The start-up scan

  async #scan(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const top = await opendir(this.dir);
    for await (const sub of top) {
      if (this.#state !== 'scanning') return;
      if (!sub.isDirectory() || !/^[0-9a-f]{2}$/.test(sub.name)) continue;
      await this.#scanDirectory(sub.name);
    }
    if (this.#state === 'scanning') this.#state = 'ready';
  }

  async #scanDirectory(dir: string): Promise<void> {
    const directory = await opendir(join(this.dir, dir));
    let batch: string[] = [];
    for await (const item of directory) {
      if (this.#state !== 'scanning') return;
      if (!item.isFile()) continue;
      batch.push(item.name);
      if (batch.length < SCAN_BATCH) continue;
      await this.#scanBatch(dir, batch);
      batch = [];
      // Requests get their turn between batches.
      await nextTurn();
    }
    if (batch.length > 0) await this.#scanBatch(dir, batch);
  }

  async #scanBatch(dir: string, names: readonly string[]): Promise<void> {
    await Promise.all(names.map((name) => this.#scanFile(dir, name)));
  }

  /** Indexes one file from its preamble and metadata; deletes it when it cannot be ours whole. */
  async #scanFile(dir: string, name: string): Promise<void> {
    const path = join(this.dir, dir, name);
    const kind = nameKind(name);
    if (kind === 'other') return;
    if (kind === 'temporary') {
      // A write a crash (or a stop) interrupted: never renamed, never indexed. Another process's
      // write in flight in a shared directory is not possible: each process has its own (caching.md).
      await unlinkQuietly(path);
      return;
    }
    if (this.index.get(name) !== undefined) return; // written since start-up: newer
    let entry: DiskEntry | undefined;
    const handle = await open(path, 'r').catch(() => undefined);
    if (handle === undefined) return;
    try {
      const stat = await handle.stat();
      const head = Buffer.alloc(PREAMBLE_BYTES);
      const { bytesRead } = await handle.read(head, 0, PREAMBLE_BYTES, 0);
      const preamble = bytesRead === PREAMBLE_BYTES ? decodePreamble(head) : undefined;
      if (preamble !== undefined && entryBytes(preamble) === stat.size) {
        const json = Buffer.alloc(preamble.metaBytes);
        const read = await handle.read(json, 0, json.length, PREAMBLE_BYTES);
        const meta = read.bytesRead === json.length ? decodeMeta(json) : undefined;
        if (meta !== undefined && entryName(meta.key, meta.vary, meta.variant).file === name) {
          entry = {
            file: name,
            dir,
            key: meta.key,
            vary: meta.vary,
            variant: meta.variant,
            bytes: stat.size,
            lastUse: stat.mtimeMs,
          };
        }
      }
    } finally {
      await handle.close();
    }
    if (this.#state !== 'scanning') return;
    if (entry === undefined) {
      this.dropped++;
      this.#report(`the disk cache file ${dir}/${name} is truncated or not a cache file: dropped`);
      await unlinkQuietly(path);
      return;
    }
    this.#unlinkAll(this.index.add(entry, true));
  }
}

/** Read after an await: a purge may have set it meanwhile (the compiler's narrowing cannot know). */
function cancelledMeanwhile(pending: PendingWrite): boolean {
  return pending.cancelled;
}

async function unlinkQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
