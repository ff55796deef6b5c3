import { TransformPipe, type TransformSink } from './transform-pipe.ts';
import type { BodyTransform } from './types.ts';

/**
 * Several transforms in a row, each in its own TransformPipe, with backpressure carried through:
 * a full pipe makes the one before it hold its output, and the producer hears `onDrain` only when
 * the first pipe takes input again. The sink sees one stream of output and one end or one error.
 */
export class TransformChain {
  readonly #pipes: TransformPipe[];
  #failed = false;

  constructor(transforms: readonly BodyTransform[], sink: TransformSink) {
    if (transforms.length === 0) throw new Error('a transform chain needs at least one transform');
    const pipes: TransformPipe[] = [];
    const onError = (error: Error): void => {
      if (this.#failed) return;
      this.#failed = true;
      this.destroy();
      sink.onError(error);
    };
    // Built from the last to the first: each pipe's sink is the next pipe.
    for (let i = transforms.length - 1; i >= 0; i--) {
      const next = pipes[0];
      const index = i;
      pipes.unshift(
        new TransformPipe(
          transforms[i]!,
          next === undefined
            ? {
                onData: (buf) => sink.onData(buf),
                onEnd: () => {
                  sink.onEnd();
                },
                onError,
                onDrain: () => {
                  this.#drained(index, sink);
                },
              }
            : {
                onData: (buf) => next.write(buf),
                onEnd: () => {
                  next.end();
                },
                onError,
                onDrain: () => {
                  this.#drained(index, sink);
                },
              },
        ),
      );
    }
    this.#pipes = pipes;
  }

  /** Pipe `index` takes input again: let its producer go on. */
  #drained(index: number, sink: TransformSink): void {
    if (index === 0) sink.onDrain();
    else this.#pipes[index - 1]!.resumeOutput();
  }

  /** False: wait for the sink's onDrain before writing more. */
  write(buf: Buffer): boolean {
    return this.#pipes[0]!.write(buf);
  }

  end(): void {
    this.#pipes[0]!.end();
  }

  /** The sink has room again. */
  resumeOutput(): void {
    this.#pipes[this.#pipes.length - 1]!.resumeOutput();
  }

  destroy(): void {
    for (const pipe of this.#pipes) pipe.destroy();
  }

  /** The transforms' names, for logs. */
  get names(): string[] {
    return this.#pipes.map((pipe) => pipe.name);
  }
}
