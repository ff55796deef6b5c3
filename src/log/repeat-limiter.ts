import type { Logger } from 'pino';

/** How long repeats of a line are counted rather than written. */
export const REPEAT_WINDOW_MS = 10_000;
/** Keys tracked at once; past it a line is written unlimited (keys are cluster × code, so few). */
const MAX_KEYS = 1024;

interface Window {
  readonly log: Logger;
  readonly fields: Record<string, unknown>;
  readonly msg: string;
  suppressed: number;
  timer: NodeJS.Timeout;
}

/**
 * Keeps a failing backend from flooding the process log: the first warning of a key (e.g. cluster and
 * code) is written, repeats within the next 10 s are only counted, and at the end of the window one
 * summary line says how many were suppressed (and opens a new window, so a flood gives one line per 10 s).
 * A window with no repeats closes silently.
 */
export class RepeatLimiter {
  readonly #windows = new Map<string, Window>();
  readonly #windowMs: number;

  constructor(windowMs = REPEAT_WINDOW_MS) {
    this.#windowMs = windowMs;
  }

  warn(log: Logger, key: string, fields: Record<string, unknown>, msg: string): void {
    const open = this.#windows.get(key);
    if (open !== undefined) {
      open.suppressed++;
      return;
    }
    log.warn(fields, msg);
    if (this.#windows.size >= MAX_KEYS) return;
    const window: Window = { log, fields, msg, suppressed: 0, timer: this.#arm(key) };
    this.#windows.set(key, window);
  }

  /** Writes pending summaries and stops the timers (a server that closes). */
  close(): void {
    for (const key of [...this.#windows.keys()]) this.#flush(key, false);
  }

  #arm(key: string): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.#flush(key, true);
    }, this.#windowMs);
    timer.unref();
    return timer;
  }

  #flush(key: string, reopen: boolean): void {
    const window = this.#windows.get(key);
    if (window === undefined) return;
    clearTimeout(window.timer);
    const { suppressed } = window;
    if (suppressed === 0) {
      this.#windows.delete(key);
      return;
    }
    window.log.warn(
      { ...window.fields, suppressed },
      `${window.msg} (repeated ${suppressed} more time${suppressed === 1 ? '' : 's'} in ${this.#windowMs / 1000} s)`,
    );
    if (!reopen) {
      this.#windows.delete(key);
      return;
    }
    window.suppressed = 0;
    window.timer = this.#arm(key);
  }
}
