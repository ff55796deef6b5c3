import type { TxnContext } from './context.ts';
import type { HookEntry } from './hook-table.ts';
import type { TxnHookName } from './hook-names.ts';

/** Why a hook ended its transaction. */
export interface HookFailure {
  readonly hook: TxnHookName;
  readonly owner: string;
  readonly kind: 'threw' | 'rejected' | 'timed-out';
  readonly error: unknown;
}

/**
 * What runs hooks for one transaction hears when an asynchronous run finishes. `Step` is the host's
 * token for where it resumes (a transaction's phase); the runner only hands it back.
 */
export interface HookRunHost<Step = number> {
  /** The hooks of the run started with `step` finished (`failure` undefined) or one failed. */
  hooksFinished(step: Step, failure: HookFailure | undefined): void;
  /** A hook answered the client: the remaining hooks of the point are skipped. */
  readonly answered: boolean;
}

/** run()'s result: all hooks done, one pending (the host hears later), or one failed. */
export const HOOKS_DONE = 0;
export const HOOKS_PENDING = 1;
export const HOOKS_FAILED = 2;
export type HookRunResult = typeof HOOKS_DONE | typeof HOOKS_PENDING | typeof HOOKS_FAILED;

function isThenable(value: unknown): value is PromiseLike<void> {
  return value !== undefined && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * Runs the hooks of one point in order, Fastify-style: synchronous hooks run in a plain loop that
 * allocates nothing; only a hook that returns a promise switches to the asynchronous path, with a
 * timer for its time limit, and the loop resumes where it stopped when the promise settles.
 * One runner per transaction; a run started while another is pending supersedes it.
 */
export class HookRunner<Step = number> {
  readonly #host: HookRunHost<Step>;
  readonly #ctx: TxnContext;
  #base: readonly HookEntry[] | undefined = undefined;
  #extra: readonly HookEntry[] | undefined = undefined;
  #hook: TxnHookName = 'txn-start';
  #step!: Step;
  #index = 0;
  /** Bumped by every run, so a promise of a superseded run is ignored when it settles. */
  #generation = 0;
  #timer: NodeJS.Timeout | undefined = undefined;
  /** The failure of the last synchronous run, for the caller of run(). */
  lastFailure: HookFailure | undefined = undefined;

  constructor(host: HookRunHost<Step>, ctx: TxnContext) {
    this.#host = host;
    this.#ctx = ctx;
  }

  /**
   * Runs `base` then `extra` for `hook`. HOOKS_DONE: all ran (or one answered the client).
   * HOOKS_FAILED: see lastFailure. HOOKS_PENDING: hooksFinished(step, …) follows.
   */
  run(
    hook: TxnHookName,
    base: readonly HookEntry[] | undefined,
    extra: readonly HookEntry[] | undefined,
    step: Step,
  ): HookRunResult {
    this.cancel();
    this.#generation++;
    this.#hook = hook;
    this.#base = base;
    this.#extra = extra;
    this.#step = step;
    this.#index = 0;
    return this.#loop();
  }

  /** Drops a pending run (the transaction is over): its promise and timer are ignored. */
  cancel(): void {
    this.#generation++;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #entryAt(index: number): HookEntry | undefined {
    const baseLength = this.#base?.length ?? 0;
    if (index < baseLength) return this.#base![index];
    return this.#extra?.[index - baseLength];
  }

  #loop(): HookRunResult {
    for (;;) {
      if (this.#host.answered) return HOOKS_DONE;
      const entry = this.#entryAt(this.#index);
      if (entry === undefined) return HOOKS_DONE;
      this.#index++;
      let result: unknown;
      try {
        result = entry.hook(this.#ctx);
      } catch (error) {
        this.lastFailure = { hook: this.#hook, owner: entry.owner, kind: 'threw', error };
        return HOOKS_FAILED;
      }
      if (isThenable(result)) {
        this.#wait(result, entry);
        return HOOKS_PENDING;
      }
    }
  }

  #wait(promise: PromiseLike<void>, entry: HookEntry): void {
    const generation = this.#generation;
    this.#timer = setTimeout(() => {
      if (generation !== this.#generation) return;
      this.#timer = undefined;
      this.#generation++;
      this.#host.hooksFinished(this.#step, {
        hook: this.#hook,
        owner: entry.owner,
        kind: 'timed-out',
        error: new Error(`hook did not finish within ${entry.timeoutMs} ms`),
      });
    }, entry.timeoutMs);
    promise.then(
      () => {
        if (generation !== this.#generation) return;
        clearTimeout(this.#timer);
        this.#timer = undefined;
        const result = this.#loop();
        if (result === HOOKS_DONE) this.#host.hooksFinished(this.#step, undefined);
        else if (result === HOOKS_FAILED) this.#host.hooksFinished(this.#step, this.lastFailure);
      },
      (error: unknown) => {
        if (generation !== this.#generation) return;
        clearTimeout(this.#timer);
        this.#timer = undefined;
        this.#host.hooksFinished(this.#step, {
          hook: this.#hook,
          owner: entry.owner,
          kind: 'rejected',
          error,
        });
      },
    );
  }
}
