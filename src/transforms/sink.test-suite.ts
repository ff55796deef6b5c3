/** Test helpers: a sink that records what a TransformPipe delivers, and a driver honouring backpressure. */
import { TransformPipe, type TransformSink } from './transform-pipe.ts';
import type { BodyTransform } from './types.ts';

export class RecordingSink implements TransformSink {
  readonly chunks: Buffer[] = [];
  readonly events: ('data' | 'end' | 'error' | 'drain')[] = [];
  readonly errors: Error[] = [];
  /** What onData answers: false makes the pipe wait for resumeOutput(). */
  accept = true;
  /** Called after each chunk is recorded; a test's slow consumer hooks in here. */
  afterData: ((buf: Buffer) => void) | undefined;
  onDrainHook: (() => void) | undefined;
  readonly #finished: Promise<void>;
  #settle!: () => void;

  constructor() {
    this.#finished = new Promise((resolve) => {
      this.#settle = resolve;
    });
  }

  onData(buf: Buffer): boolean {
    this.chunks.push(buf);
    this.events.push('data');
    this.afterData?.(buf);
    return this.accept;
  }
  onEnd(): void {
    this.events.push('end');
    this.#settle();
  }
  onError(err: Error): void {
    this.events.push('error');
    this.errors.push(err);
    this.#settle();
  }
  onDrain(): void {
    this.events.push('drain');
    this.onDrainHook?.();
  }

  /** Resolves at onEnd or onError. */
  get finished(): Promise<void> {
    return this.#finished;
  }

  get body(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Resolves after `turns` turns of the event loop. */
export async function turns(count = 3): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * Writes `chunks` through a fresh pipe for `transform`, pausing whenever write() says so, and resolves
 * with the whole output once the pipe ends (rejects on its error).
 */
export async function runThrough(transform: BodyTransform, chunks: readonly Buffer[]): Promise<Buffer> {
  const sink = new RecordingSink();
  const pipe = new TransformPipe(transform, sink);
  let drained: (() => void) | undefined;
  sink.onDrainHook = () => drained?.();
  for (const chunk of chunks) {
    if (pipe.write(chunk)) continue;
    await Promise.race([new Promise<void>((resolve) => (drained = resolve)), sink.finished]);
    if (pipe.isDone) break;
  }
  pipe.end();
  await sink.finished;
  if (sink.errors.length > 0) throw sink.errors[0]!;
  return sink.body;
}
