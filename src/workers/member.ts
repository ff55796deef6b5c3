/**
 * One worker process as the primary sees it: forked, told to start once its handlers are installed
 * (the `ready` notice: a message sent earlier would be lost), serving, retiring (asked to close), gone.
 * Its RPC endpoint fails every request under way the moment the process exits.
 */
import cluster, { type Worker } from 'node:cluster';
import { WorkerError } from '../errors/index.ts';
import type { BoundListener } from '../server/index.ts';
import {
  SLOT_ENV,
  type Notices,
  type PrimaryRequests,
  type StartRequest,
  type WorkerRequests,
} from './messages.ts';
import { RpcEndpoint } from './rpc.ts';

export type MemberEndpoint = RpcEndpoint<WorkerRequests, PrimaryRequests, Notices>;

/** starting → serving → retiring → gone; a worker may die in any state. */
export type MemberState = 'starting' | 'serving' | 'retiring' | 'gone';

/** How a worker process ended. */
export interface MemberExit {
  readonly code: number | null;
  readonly signal: string | null;
  /** When (ms since the epoch). */
  readonly at: number;
}

export interface MemberTimeouts {
  /** For every request unless the call says otherwise. */
  readonly rpcMs: number;
  /** From fork to serving: the process starting, importing modules, binding listeners. */
  readonly startMs: number;
}

export class Member {
  /** The group's slot this worker fills (1..N): a replacement takes its predecessor's. */
  readonly slot: number;
  readonly worker: Worker;
  readonly rpc: MemberEndpoint;
  readonly forkedAt = Date.now();
  state: MemberState = 'starting';
  /** When it started serving; 0 before. */
  servingSince = 0;
  /** The hash of the config it serves, and where it listens (from its last start or reload). */
  hash = '';
  listeners: readonly BoundListener[] = [];
  /** Last reported resident set size and heap in use (bytes), and sessions; 0 until the first poll. */
  rss = 0;
  heapUsed = 0;
  sessions = 0;
  readonly exited: Promise<MemberExit>;
  #exit: MemberExit | undefined;
  #retiring: Promise<MemberExit> | undefined;

  constructor(slot: number, timeouts: MemberTimeouts) {
    this.slot = slot;
    // The slot, not cluster's ever-growing worker id, names the worker in its log lines.
    this.worker = cluster.fork({ [SLOT_ENV]: String(slot) });
    const worker = this.worker;
    this.rpc = new RpcEndpoint<WorkerRequests, PrimaryRequests, Notices>(
      {
        send: (message) => {
          if (!worker.isConnected()) throw new Error('its channel is closed');
          worker.send(message as object);
        },
        listen: (listener) => {
          worker.on('message', listener);
          return () => worker.off('message', listener);
        },
      },
      { timeoutMs: timeouts.rpcMs, peer: `worker ${slot} (pid ${worker.process.pid ?? '?'})`, worker: slot },
    );
    this.exited = new Promise((resolve) => {
      worker.once('exit', (code: number | null, signal: string | null) => {
        this.#exit = { code, signal, at: Date.now() };
        this.state = 'gone';
        this.rpc.close(signal === null ? `exit code ${code ?? '?'}` : `signal ${signal}`);
        resolve(this.#exit);
      });
    });
    // A failed send to a dying worker surfaces here too; the exit handler above does the bookkeeping.
    worker.on('error', () => undefined);
  }

  get pid(): number {
    return this.worker.process.pid ?? 0;
  }

  get exit(): MemberExit | undefined {
    return this.#exit;
  }

  /** Waits for the `ready` notice, then sends `start`; resolves once the worker serves. */
  async start(request: StartRequest, timeouts: MemberTimeouts): Promise<void> {
    const deadline = Date.now() + timeouts.startMs;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        reject(
          new WorkerError(
            'JCT_ERR_WORKER_TIMEOUT',
            `worker ${this.slot} (pid ${this.pid}) did not get ready within ${timeouts.startMs} ms`,
            { worker: this.slot },
          ),
        );
      }, timeouts.startMs);
      const stopReady = this.rpc.onNotice('ready', () => {
        stop();
        resolve();
      });
      void this.exited.then((exit) => {
        stop();
        reject(
          new WorkerError(
            'JCT_ERR_WORKER_GONE',
            `worker ${this.slot} (pid ${this.pid}) exited while starting (${describeExit(exit)})`,
            { worker: this.slot },
          ),
        );
      });
      const stop = (): void => {
        clearTimeout(timer);
        stopReady();
      };
    });
    const started = await this.rpc.request('start', request, Math.max(1, deadline - Date.now()));
    this.hash = started.hash;
    this.listeners = started.listeners;
    this.state = 'serving';
    this.servingSince = Date.now();
  }

  /**
   * Asks the worker to close (stop accepting, finish requests within `graceMs`) and resolves when the
   * process has exited; past `graceMs` plus `marginMs` it is killed.
   */
  retire(graceMs: number, marginMs: number): Promise<MemberExit> {
    this.#retiring ??= this.#retire(graceMs, marginMs);
    return this.#retiring;
  }

  /** Whether retire() was called: its exit is on purpose. */
  get retireRequested(): boolean {
    return this.#retiring !== undefined;
  }

  async #retire(graceMs: number, marginMs: number): Promise<MemberExit> {
    if (this.#exit !== undefined) return this.#exit;
    this.state = 'retiring';
    this.rpc.request('close', { graceMs }, graceMs + marginMs).catch(() => {
      // Gone before answering, or too slow: the exit wait below decides.
    });
    const timer = setTimeout(() => {
      this.kill();
    }, graceMs + marginMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  /** Ends the process at once (SIGKILL). */
  kill(): void {
    if (this.#exit === undefined) this.worker.process.kill('SIGKILL');
  }
}

export function describeExit(exit: MemberExit): string {
  return exit.signal !== null ? `signal ${exit.signal}` : `exit code ${exit.code ?? '?'}`;
}
