/**
 * Access-log destinations: stdout, stderr or a file, written asynchronously in batches (at most one
 * write per 10 ms while lines keep coming) through a bounded buffer. Lines are copied into a byte
 * buffer as they come (ASCII lines byte for byte, others as UTF-8), so a batch is written as it lies,
 * with no joining or encoding at flush time. A failure (a full disk, a removed directory) is logged
 * once, lines are dropped meanwhile, and traffic never waits on the log.
 * Files are shared by path across configs and reopened on reload (logrotate's `postrotate` HUP).
 */
import { close, open, write } from 'node:fs';
import type { Logger } from '../log/index.ts';

/** Lines waiting past this are dropped (and counted) rather than held in memory. */
const MAX_PENDING_BYTES = 4 * 1024 * 1024;
/**
 * How long lines gather before they are written: at most one write per interval while busy, unless
 * FLUSH_BYTES gathered first (nginx's `access_log ... buffer= flush=`). Each write costs a thread-pool
 * round trip and a syscall whatever its size: measured beside the proxy, writing every 10 ms instead
 * cost about 6 % more CPU per request than every 100 ms at 5,000 requests a second.
 */
const FLUSH_DELAY_MS = 100;
const FLUSH_BYTES = 256 * 1024;
/** After a failed open, the next attempt waits this long (or for a reload). */
const RETRY_OPEN_MS = 5000;
/**
 * Lines gather in buffers sized to what the last batch held (between these bounds, a longer line
 * getting one of its own size), so a quiet log does not allocate a large buffer for every line.
 */
const MIN_CHUNK_BYTES = 4 * 1024;
const MAX_CHUNK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

export class AccessLogWriter {
  readonly path: string;
  readonly #log: Logger;
  #fd: number | null;
  readonly #stream: NodeJS.WriteStream | null;
  #opening = false;
  /** Full buffers waiting, then the one being filled (`#chunk`, `#chunkUsed` bytes of it). */
  #full: Buffer[] = [];
  #chunk: Buffer | null = null;
  #chunkUsed = 0;
  #nextChunkBytes = MIN_CHUNK_BYTES;
  #pendingBytes = 0;
  #pendingLines = 0;
  #writing = false;
  /** The pending flush, and whether it was scheduled at once (FLUSH_BYTES gathered). */
  #timer: NodeJS.Timeout | null = null;
  #timerUrgent = false;
  /** A failure was logged; cleared by the next successful write. */
  #failing = false;
  #retryAt = 0;
  #reopenWanted = false;
  dropped = 0;
  readonly #waiters: (() => void)[] = [];

  constructor(path: string, log: Logger) {
    this.path = path;
    this.#log = log;
    this.#stream = path === 'stdout' ? process.stdout : path === 'stderr' ? process.stderr : null;
    this.#fd = this.#stream === null ? null : path === 'stdout' ? 1 : 2;
  }

  get #isFile(): boolean {
    return this.path !== 'stdout' && this.path !== 'stderr';
  }

  get #hasPending(): boolean {
    return this.#pendingLines > 0;
  }

  /**
   * Queues one line (newline added). `ascii` promises the line has no character past 0x7f, so it is
   * copied byte for byte (the JSON format's lines). Never throws, never blocks.
   */
  writeLine(line: string, ascii = false): void {
    if (this.#pendingBytes > MAX_PENDING_BYTES) {
      this.dropped++;
      return;
    }
    const most = (ascii ? line.length : line.length * 3) + 1;
    let chunk = this.#chunk;
    if (chunk === null || chunk.length - this.#chunkUsed < most) {
      if (chunk !== null) {
        this.#full.push(chunk.subarray(0, this.#chunkUsed));
        this.#nextChunkBytes = Math.min(MAX_CHUNK_BYTES, chunk.length * 2);
      }
      chunk = Buffer.allocUnsafe(Math.max(this.#nextChunkBytes, most));
      this.#chunk = chunk;
      this.#chunkUsed = 0;
    }
    let used = this.#chunkUsed;
    used += chunk.write(line, used, ascii ? 'latin1' : 'utf8');
    chunk[used++] = NEWLINE;
    this.#pendingBytes += used - this.#chunkUsed;
    this.#chunkUsed = used;
    this.#pendingLines++;
    this.#schedule();
  }

  /** Arms the next flush; while a write is under way, its end does (#afterWrite). */
  #schedule(): void {
    if (this.#writing) return;
    const urgent = this.#pendingBytes >= FLUSH_BYTES || this.#waiters.length > 0;
    if (this.#timer !== null) {
      if (!urgent || this.#timerUrgent) return;
      clearTimeout(this.#timer);
    }
    this.#timerUrgent = urgent;
    this.#timer = setTimeout(this.#flush, urgent ? 0 : FLUSH_DELAY_MS);
    // A log must not keep the process alive on its own; shutdown flushes what is left.
    this.#timer.unref();
  }

  /** Takes what is queued: one buffer, or several joined. */
  #takePending(): Buffer {
    const last = this.#chunk === null ? null : this.#chunk.subarray(0, this.#chunkUsed);
    const parts = this.#full;
    // The buffer being filled goes out as it is; the next line starts a new one.
    this.#chunk = null;
    this.#chunkUsed = 0;
    this.#full = [];
    this.#pendingBytes = 0;
    this.#pendingLines = 0;
    if (last !== null && last.length > 0) parts.push(last);
    const data = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    this.#nextChunkBytes = Math.min(
      MAX_CHUNK_BYTES,
      Math.max(MIN_CHUNK_BYTES, data.length + (data.length >> 2)),
    );
    return data;
  }

  /** Closes the file and opens it again (by path) before the next write: for log rotation. */
  reopen(): void {
    if (!this.#isFile) return;
    this.#retryAt = 0;
    if (this.#writing || this.#opening) {
      this.#reopenWanted = true;
      return;
    }
    this.#closeFd();
  }

  /** Resolves once what was queued so far is written (or dropped). */
  flushed(): Promise<void> {
    if (!this.#hasPending && !this.#writing) return Promise.resolve();
    const written = new Promise<void>((resolve) => this.#waiters.push(resolve));
    // Someone waits (a shutdown, a test): the interval would only delay them.
    this.#schedule();
    return written;
  }

  #closeFd(): void {
    const fd = this.#fd;
    this.#fd = null;
    if (fd !== null && fd > 2) close(fd, ignore);
  }

  readonly #flush = (): void => {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#writing || this.#opening || !this.#hasPending) {
      this.#settle();
      return;
    }
    if (this.#fd === null) {
      if (Date.now() < this.#retryAt) {
        this.#drop();
        return;
      }
      this.#opening = true;
      open(this.path, 'a', 0o640, (error, fd) => {
        this.#opening = false;
        if (error !== null) {
          this.#retryAt = Date.now() + RETRY_OPEN_MS;
          this.#fail(error);
          this.#drop();
          return;
        }
        this.#fd = fd;
        this.#flush();
      });
      return;
    }
    const data = this.#takePending();
    this.#writing = true;
    const stream = this.#stream;
    if (stream !== null) {
      // stdout and stderr may be non-blocking pipes: their streams handle EAGAIN and partial writes.
      stream.write(data, (error) => {
        this.#writing = false;
        if (error != null) this.#fail(error);
        this.#afterWrite();
      });
      return;
    }
    this.#writeAll(this.#fd, data);
  };

  #writeAll(fd: number, data: Buffer): void {
    write(fd, data, 0, data.length, null, (error, written) => {
      if (error !== null) {
        this.#writing = false;
        this.#fail(error);
        // The file may be gone or the disk full: open it again later rather than retry this fd.
        if (this.#isFile) {
          this.#closeFd();
          this.#retryAt = Date.now() + RETRY_OPEN_MS;
        }
        this.#afterWrite();
        return;
      }
      if (written < data.length) {
        this.#writeAll(fd, data.subarray(written));
        return;
      }
      this.#writing = false;
      if (this.#failing) {
        this.#failing = false;
        this.#log.info({ path: this.path }, 'access log writable again');
      }
      this.#afterWrite();
    });
  }

  #afterWrite(): void {
    if (this.#reopenWanted) {
      this.#reopenWanted = false;
      this.#closeFd();
    }
    if (this.#hasPending) this.#schedule();
    else this.#settle();
  }

  #drop(): void {
    this.dropped += this.#pendingLines;
    this.#takePending();
    this.#settle();
  }

  #settle(): void {
    if (this.#hasPending || this.#writing) return;
    for (const resolve of this.#waiters.splice(0)) resolve();
  }

  #fail(error: NodeJS.ErrnoException): void {
    if (this.#failing) return;
    this.#failing = true;
    this.#log.error(
      { code: 'JCT_ERR_ACCESS_LOG_WRITE', path: this.path, reason: error.code ?? error.message },
      `cannot write the access log ${this.path}: lines are dropped until it can be written again`,
    );
  }
}

/** Closing a file we stopped writing to: nothing useful to do with a failure. */
function ignore(): void {
  return;
}

const writers = new Map<string, AccessLogWriter>();

/** The one writer for `path`, created on first use. */
export function accessLogWriter(path: string, log: Logger): AccessLogWriter {
  let writer = writers.get(path);
  if (writer === undefined) {
    writer = new AccessLogWriter(path, log);
    writers.set(path, writer);
  }
  return writer;
}

/** Reopens every access log file (a reload: after logrotate moved the files away). */
export function reopenAccessLogs(): void {
  for (const writer of writers.values()) writer.reopen();
}

/** Resolves once every access log has written what was queued so far. */
export async function flushAccessLogs(): Promise<void> {
  await Promise.all([...writers.values()].map((writer) => writer.flushed()));
}
