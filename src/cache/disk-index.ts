/**
 * The disk tier's index, kept in memory: which files hold which alternates of which key, their sizes,
 * and the order of their last use, so that a lookup knows at once whether the disk may hold a request's
 * answer and the bound is kept by evicting the least recently used files. Pure bookkeeping: the disk
 * store (disk-store.ts) does the I/O and deletes the files evict() names.
 *
 * Two orders meet here. Entries used (stored or read) since start-up are in a Map kept in use order.
 * Entries found by the start-up scan come in directory order with the time of their last use from the
 * file; they wait in a min-heap by that time, each insert O(log n), so no step sorts the whole index.
 * They are all older than anything used since start-up, so eviction takes the heap's oldest first,
 * then the Map's; an entry used again leaves the heap (lazily: its heap slot is skipped).
 */

export interface DiskEntry {
  /** The file's name (disk-format.ts entryName), unique per alternate. */
  readonly file: string;
  readonly dir: string;
  readonly key: string;
  readonly vary: string;
  readonly variant: string;
  /** The file's length in bytes. */
  readonly bytes: number;
  /** Last use in ms since the epoch (the scan's entries: the file's mtime). */
  lastUse: number;
}

export interface DiskStats {
  bytes: number;
  objects: number;
  evictions: number;
  stored: number;
}

export class DiskIndex {
  #limit: number;
  readonly #byKey = new Map<string, DiskEntry[]>();
  readonly #byFile = new Map<string, DiskEntry>();
  /** Entries used since start-up, least recently used first. */
  readonly #recent = new Map<DiskEntry, true>();
  /** Scanned entries not used since, oldest first (a binary min-heap by lastUse). */
  readonly #scanned: HeapSlot[] = [];
  readonly stats: DiskStats = { bytes: 0, objects: 0, evictions: 0, stored: 0 };

  constructor(limitBytes: number) {
    this.#limit = limitBytes;
  }

  get limit(): number {
    return this.#limit;
  }

  /** The new bound; returns the entries to delete to keep it. */
  resize(limitBytes: number): DiskEntry[] {
    this.#limit = limitBytes;
    return this.#evictDownTo(limitBytes);
  }

  alternates(key: string): readonly DiskEntry[] {
    return this.#byKey.get(key) ?? NONE;
  }

  /** The alternate of `key` whose variant is `variant` under its own Vary (see cached-object.ts). */
  find(key: string, matches: (entry: DiskEntry) => boolean): DiskEntry | undefined {
    for (const entry of this.alternates(key)) if (matches(entry)) return entry;
    return undefined;
  }

  get(file: string): DiskEntry | undefined {
    return this.#byFile.get(file);
  }

  /**
   * A file written now (`scanned` false) or found by the scan: replaces an entry of the same file, and
   * returns the entries to delete to make room (never `entry` itself, unless it alone is past the bound:
   * then it is returned and not indexed).
   */
  add(entry: DiskEntry, scanned = false): DiskEntry[] {
    if (entry.bytes > this.#limit) return [entry];
    const previous = this.#byFile.get(entry.file);
    if (previous !== undefined) {
      // The scan finding a file written since start-up: the written one is newer.
      if (scanned) return NO_ENTRIES;
      this.remove(previous);
    }
    const victims = this.#evictDownTo(this.#limit - entry.bytes);
    this.#byFile.set(entry.file, entry);
    const list = this.#byKey.get(entry.key);
    if (list === undefined) this.#byKey.set(entry.key, [entry]);
    else list.push(entry);
    if (scanned) heapPush(this.#scanned, { entry, at: entry.lastUse });
    else {
      this.#recent.set(entry, true);
      this.stats.stored++;
    }
    this.stats.bytes += entry.bytes;
    this.stats.objects++;
    return victims;
  }

  /** `entry` was just used: it becomes the most recently used. */
  touch(entry: DiskEntry, now: number): void {
    if (this.#byFile.get(entry.file) !== entry) return;
    entry.lastUse = now;
    this.#recent.delete(entry);
    this.#recent.set(entry, true);
  }

  /** Drops `entry` from the index (the caller deletes its file); false when it was not indexed. */
  remove(entry: DiskEntry): boolean {
    if (this.#byFile.get(entry.file) !== entry) return false;
    this.#byFile.delete(entry.file);
    this.#recent.delete(entry);
    const list = this.#byKey.get(entry.key)!;
    list.splice(list.indexOf(entry), 1);
    if (list.length === 0) this.#byKey.delete(entry.key);
    this.stats.bytes -= entry.bytes;
    this.stats.objects--;
    return true;
  }

  /** Every alternate of `key`, dropped; the caller deletes their files. */
  removeKey(key: string): DiskEntry[] {
    const list = [...this.alternates(key)];
    for (const entry of list) this.remove(entry);
    return list;
  }

  /** Every entry whose key starts with `prefix`, dropped. */
  removePrefix(prefix: string): DiskEntry[] {
    const out: DiskEntry[] = [];
    for (const key of [...this.#byKey.keys()]) if (key.startsWith(prefix)) out.push(...this.removeKey(key));
    return out;
  }

  /** Everything, dropped. */
  clear(): DiskEntry[] {
    const out = [...this.#byFile.values()];
    this.#byFile.clear();
    this.#byKey.clear();
    this.#recent.clear();
    this.#scanned.length = 0;
    this.stats.bytes = 0;
    this.stats.objects = 0;
    return out;
  }

  /** The least recently used entry still indexed: the heap's oldest live one, else the Map's first. */
  #oldest(): DiskEntry | undefined {
    const heap = this.#scanned;
    while (heap.length > 0) {
      const top = heap[0]!.entry;
      // Skipped: removed since, or used since (then it is in the Map).
      if (this.#byFile.get(top.file) === top && !this.#recent.has(top)) return top;
      heapPop(heap);
    }
    for (const entry of this.#recent.keys()) return entry;
    return undefined;
  }

  #evictDownTo(bytes: number): DiskEntry[] {
    const victims: DiskEntry[] = [];
    while (this.stats.bytes > bytes) {
      const entry = this.#oldest();
      if (entry === undefined) break;
      this.remove(entry);
      this.stats.evictions++;
      victims.push(entry);
    }
    return victims;
  }
}

const NONE: readonly DiskEntry[] = [];
const NO_ENTRIES: DiskEntry[] = [];

/** A scanned entry and its last use when scanned (a later use changes the entry, not the slot). */
interface HeapSlot {
  readonly entry: DiskEntry;
  readonly at: number;
}

function heapPush(heap: HeapSlot[], slot: HeapSlot): void {
  heap.push(slot);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent]!.at <= heap[i]!.at) break;
    [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
    i = parent;
  }
}

function heapPop(heap: HeapSlot[]): void {
  const last = heap.pop()!;
  if (heap.length === 0) return;
  heap[0] = last;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let min = i;
    if (l < heap.length && heap[l]!.at < heap[min]!.at) min = l;
    if (r < heap.length && heap[r]!.at < heap[min]!.at) min = r;
    if (min === i) return;
    [heap[min], heap[i]] = [heap[i]!, heap[min]!];
    i = min;
  }
}
