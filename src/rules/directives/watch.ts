/**
 * Re-reading a file when it changes: a poll of its status every interval (inode, size, modification
 * and change times), then a read when any differ. Timers are unref'd; stop() ends the poll.
 */
import { readFile, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';

export interface FileWatchOptions {
  readonly path: string;
  readonly intervalMs: number;
  /** The status the contents in force were read with (from the load). */
  readonly loaded: Stats | undefined;
  /** New contents; throwing keeps the old ones and reports through onError. */
  readonly onChange: (text: string) => void;
  /** The file disappeared (once, until it is back). */
  readonly onMissing: () => void;
  readonly onError: (error: Error) => void;
}

export function fileSignature(s: Stats): string {
  return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
}

const MISSING = 'missing';

/** Starts polling; returns stop(). */
export function watchFile(options: FileWatchOptions): () => void {
  let last = options.loaded === undefined ? MISSING : fileSignature(options.loaded);
  let busy = false;
  const state = { stopped: false };
  // Read through a call: the flag changes while a check awaits.
  const stopped = (): boolean => state.stopped;
  const check = async (): Promise<void> => {
    let signature: string;
    try {
      signature = fileSignature(await stat(options.path));
    } catch (error) {
      if (state.stopped || last === MISSING) return;
      last = MISSING;
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') options.onMissing();
      else options.onError(error as Error);
      return;
    }
    if (state.stopped || signature === last) return;
    // Remembered before the read, so a file that fails to parse is reported once per change.
    last = signature;
    const text = await readFile(options.path, 'utf8');
    if (stopped()) return;
    options.onChange(text);
  };
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    check()
      .catch((error: unknown) => {
        if (!state.stopped) options.onError(error instanceof Error ? error : new Error(String(error)));
      })
      .finally(() => {
        busy = false;
      });
  }, options.intervalMs);
  timer.unref();
  return () => {
    state.stopped = true;
    clearInterval(timer);
  };
}
