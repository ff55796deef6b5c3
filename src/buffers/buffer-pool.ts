import { invariant } from '../util/invariant.ts';

/**
 * A pre-allocated pool of fixed-size buffers sliced from one region (the Layer7Router's slab).
 * Sessions use a slice to accumulate a message head that arrives in several reads, so a slow or
 * hostile client costs at most one slice and no garbage. When the pool is empty, acquire() falls
 * back to a fresh allocation (counted), so the pool bounds memory reuse, never correctness.
 */
export class BufferPool {
  readonly bufferSize: number;
  readonly capacity: number;
  readonly #region: Buffer;
  readonly #free: Buffer[] = [];
  readonly #owned = new WeakSet<Buffer>();
  #checkedOut = 0;
  #fallbacks = 0;

  constructor(bufferSize: number, capacity: number) {
    this.bufferSize = bufferSize;
    this.capacity = capacity;
    this.#region = Buffer.allocUnsafeSlow(bufferSize * capacity);
    for (let i = capacity - 1; i >= 0; i--) {
      const slice = this.#region.subarray(i * bufferSize, (i + 1) * bufferSize);
      this.#owned.add(slice);
      this.#free.push(slice);
    }
  }

  /** A buffer of `bufferSize` bytes; its contents are undefined. Return it with release(). */
  acquire(): Buffer {
    const slice = this.#free.pop();
    if (slice !== undefined) {
      this.#checkedOut++;
      return slice;
    }
    this.#fallbacks++;
    return Buffer.allocUnsafe(this.bufferSize);
  }

  /** Gives a buffer back. Buffers that did not come from the region are left to the GC. */
  release(buf: Buffer): void {
    if (!this.#owned.has(buf)) return;
    invariant(this.#checkedOut > 0, 'BufferPool: release without a matching acquire');
    this.#checkedOut--;
    this.#free.push(buf);
  }

  get available(): number {
    return this.#free.length;
  }

  get checkedOut(): number {
    return this.#checkedOut;
  }

  /** How many acquire() calls found the pool empty and allocated instead. */
  get fallbacks(): number {
    return this.#fallbacks;
  }

  checkInvariants(): void {
    if (this.#free.length + this.#checkedOut !== this.capacity) {
      throw new Error(
        `BufferPool: available ${this.#free.length} + checked out ${this.#checkedOut} != capacity ${this.capacity}`,
      );
    }
  }
}
