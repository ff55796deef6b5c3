/**
 * Access-log destinations: stdout, stderr or a file, written asynchronously in batches (at most one
 * fs.write per 10 ms while lines keep coming) through a bounded buffer. A failure (a full disk, a removed
 * directory) is logged once, lines are dropped meanwhile, and traffic never waits on the log.
 * Files are shared by path across configs and reopened on reload (logrotate's `postrotate` HUP).
 */
import { close, open, write } from 'node:fs';
import type { Logger } from '../log/index.ts';

/** Lines waiting past this are dropped (and counted) rather than held in memory. */
const MAX_PENDING_BYTES = 4 * 1024 * 1024;
/** How long lines gather before they are written (at most one write per interval while busy). */
const FLUSH_DELAY_MS = 10;
/** After a failed open, the next attempt waits this long (or for a reload). */
const RETRY_OPEN_MS = 5000;

export class AccessLogWriter {
  readonly path: string;
  readonly #log: Logger;
  #fd: number | null;
  readonly #stream: NodeJS.WriteStream | null;
  #opening = false;
  #pending: string[] = [];
  #pendingBytes = 0;
  #writing = false;
  #scheduled = false;
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

  /** Queues one line (newline added). Never throws, never blocks. */
  writeLine(line: string): void {
    if (this.#pendingBytes > MAX_PENDING_BYTES) {
      this.dropped++;
      return;
    }
    this.#pending.push(line + '\n');
    this.#pendingBytes += line.length + 1;
    if (!this.#scheduled && !this.#writing) {
      this.#scheduled = true;
      // A short delay gathers many lines into one write: the syscall, not the line, is the cost.
      setTimeout(this.#flush, FLUSH_DELAY_MS);
    }
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
    if (this.#pending.length === 0 && !this.#writing) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #closeFd(): void {
    const fd = this.#fd;
    this.#fd = null;
    if (fd !== null && fd > 2) close(fd, ignore);
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    if (this.#writing || this.#opening || this.#pending.length === 0) {
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
    const text = this.#pending.length === 1 ? this.#pending[0]! : this.#pending.join('');
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#writing = true;
    const stream = this.#stream;
    if (stream !== null) {
      // stdout and stderr may be non-blocking pipes: their streams handle EAGAIN and partial writes.
      stream.write(text, (error) => {
        this.#writing = false;
        if (error != null) this.#fail(error);
        this.#afterWrite();
      });
      return;
    }
    this.#writeAll(this.#fd, Buffer.from(text));
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
    if (this.#pending.length > 0 && !this.#scheduled) {
      this.#scheduled = true;
      setTimeout(this.#flush, FLUSH_DELAY_MS);
    } else this.#settle();
  }

  #drop(): void {
    this.dropped += this.#pending.length;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#settle();
  }

  #settle(): void {
    if (this.#pending.length > 0 || this.#writing) return;
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
