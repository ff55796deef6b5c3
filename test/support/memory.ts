/**
 * Samples this process's memory while something runs, for "streams with bounded memory" assertions.
 * Junction, the backends and the clients all run in the test process, so the growth measured bounds all of
 * them together: if it stays small, none of them buffered the body.
 *
 * Streaming allocates a Buffer per read and drops it; V8 only collects that garbage when external memory
 * has grown by tens of MiB, so raw peaks measure GC laziness, not retention. Each sample therefore forces
 * a full collection first (gc exposed at run time) and measures what is still alive: `liveBytes`. The raw
 * RSS peak is reported too, for a loose second bound.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export const MiB = 1024 * 1024;

export interface MemoryGrowth {
  /** Peak of (V8 heap used + ArrayBuffer memory) after a forced GC, minus the same at start, in bytes. */
  readonly liveBytes: number;
  /** Peak resident set size minus the value at start, in bytes. */
  readonly rssBytes: number;
  readonly samples: number;
}

export interface MemoryTracker {
  /** Stops sampling and returns the peak growth seen. */
  stop(): MemoryGrowth;
}

let collect: (() => void) | undefined;

/** A function that runs a full garbage collection (exposing `gc` on first use). */
export function forceGc(): void {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
}

function live(): number {
  // V8 frees dead ArrayBuffers on a background thread after a GC; a second GC first waits for that
  // sweep, so `arrayBuffers` no longer counts garbage (under CPU contention the sweep lags far behind).
  forceGc();
  forceGc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/**
 * Starts sampling every `intervalMs`. Each sample costs two full GCs (tens of ms on a busy machine), so
 * the default, 500 ms, keeps the sampling cost small; a body being buffered grows steadily, and a few
 * samples catch it.
 */
export function trackMemory(intervalMs = 500): MemoryTracker {
  const startLive = live();
  const startRss = process.memoryUsage().rss;
  let peakLive = startLive;
  let peakRss = startRss;
  let samples = 0;
  const sample = (): void => {
    peakLive = Math.max(peakLive, live());
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    samples++;
  };
  const timer = setInterval(sample, intervalMs);
  return {
    stop(): MemoryGrowth {
      clearInterval(timer);
      sample();
      return { liveBytes: peakLive - startLive, rssBytes: peakRss - startRss, samples };
    },
  };
}
