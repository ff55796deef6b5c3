/**
 * Typed request/reply over a message channel (the cluster IPC channel between the primary and one
 * worker): each request carries an id and gets exactly one outcome, its reply, the error the other
 * side's handler threw, a timeout, or `JCT_ERR_WORKER_GONE` when the channel ends first. Notices go one
 * way. Messages without Junction's mark (another library's, cluster's own) are ignored, as are notices
 * of a kind nobody listens for; a request of a kind without a handler is answered with an error, so
 * the asking side does not wait out its timeout.
 */
import { WorkerError, type WorkerErrorCode } from '../errors/index.ts';

/** The envelope's mark: messages without it are not Junction's. */
const MARK = '@junction/rpc';

/** A table of request kinds (an interface): what each sends and what it is answered with. */
export type RequestTable<T> = { [K in keyof T]: { request: unknown; reply: unknown } };

/** Where messages go and come from: a cluster Worker in the primary, `process` in a worker. */
export interface RpcChannel {
  send(message: unknown): void;
  /** Registers `listener` for every message; returns a function that removes it. */
  listen(listener: (message: unknown) => void): () => void;
}

type Envelope =
  | {
      readonly [MARK]: 1;
      readonly t: 'request';
      readonly id: number;
      readonly kind: string;
      readonly body: unknown;
    }
  | {
      readonly [MARK]: 1;
      readonly t: 'reply';
      readonly id: number;
      readonly body?: unknown;
      readonly error?: { readonly message: string; readonly code?: string | undefined };
    }
  | { readonly [MARK]: 1; readonly t: 'notice'; readonly kind: string; readonly body: unknown };

function isEnvelope(message: unknown): message is Envelope {
  return typeof message === 'object' && message !== null && (message as Record<string, unknown>)[MARK] === 1;
}

interface Pending {
  readonly kind: string;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export interface RpcOptions {
  /** How long a request waits for its reply unless it says otherwise. */
  readonly timeoutMs: number;
  /** Who is at the other end, for error messages (`worker 3`, `the primary`). */
  readonly peer: string;
  /** The worker id errors carry, on the primary's side. */
  readonly worker?: number;
}

type Handler = (body: unknown) => unknown;

/**
 * One end of the channel. `Out` is what this end may ask, `In` what it answers; `N` the notices.
 * Both ends of a channel use the same tables, swapped.
 */
export class RpcEndpoint<Out extends RequestTable<Out>, In extends RequestTable<In>, N extends object> {
  readonly #channel: RpcChannel;
  readonly #options: RpcOptions;
  readonly #pending = new Map<number, Pending>();
  readonly #handlers = new Map<string, Handler>();
  readonly #noticeListeners = new Map<string, ((body: unknown) => void)[]>();
  readonly #unlisten: () => void;
  #nextId = 1;
  #closed: WorkerError | undefined;

  constructor(channel: RpcChannel, options: RpcOptions) {
    this.#channel = channel;
    this.#options = options;
    this.#unlisten = channel.listen(this.#onMessage);
  }

  /** Requests under way. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Asks the other end; rejects with a WorkerError on a timeout, a failed handler or a closed channel. */
  request<K extends keyof Out & string>(
    kind: K,
    body: Out[K]['request'],
    timeoutMs: number = this.#options.timeoutMs,
  ): Promise<Out[K]['reply']> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(
          this.#error(
            'JCT_ERR_WORKER_TIMEOUT',
            `${this.#options.peer} did not answer '${kind}' within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.#pending.set(id, { kind, resolve: resolve, reject, timer });
      try {
        this.#channel.send({ [MARK]: 1, t: 'request', id, kind, body });
      } catch (error) {
        clearTimeout(timer);
        this.#pending.delete(id);
        reject(this.#error('JCT_ERR_WORKER_GONE', `cannot reach ${this.#options.peer}: ${describe(error)}`));
      }
    });
  }

  /** Answers requests of `kind`; what the handler returns (or resolves with) is the reply. */
  handle<K extends keyof In & string>(
    kind: K,
    handler: (body: In[K]['request']) => In[K]['reply'] | Promise<In[K]['reply']>,
  ): void {
    this.#handlers.set(kind, handler);
  }

  /** Sends a one-way notice. Dropped silently once the channel is closed. */
  notify<K extends keyof N & string>(kind: K, body: N[K]): void {
    if (this.#closed !== undefined) return;
    try {
      this.#channel.send({ [MARK]: 1, t: 'notice', kind, body });
    } catch {
      // The other end is gone: a notice has nobody to reach.
    }
  }

  /** Listens for notices of `kind`; returns a function that stops listening. */
  onNotice<K extends keyof N & string>(kind: K, listener: (body: N[K]) => void): () => void {
    const list = this.#noticeListeners.get(kind) ?? [];
    list.push(listener as (body: unknown) => void);
    this.#noticeListeners.set(kind, list);
    return () => {
      const current = this.#noticeListeners.get(kind) ?? [];
      this.#noticeListeners.set(
        kind,
        current.filter((l) => l !== listener),
      );
    };
  }

  /**
   * The other end is gone (the worker exited, the channel disconnected): every request under way
   * fails with `JCT_ERR_WORKER_GONE`, and later ones fail at once.
   */
  close(reason: string): void {
    if (this.#closed !== undefined) return;
    this.#closed = this.#error('JCT_ERR_WORKER_GONE', `${this.#options.peer} is gone (${reason})`);
    this.#unlisten();
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      this.#pending.delete(id);
      pending.reject(
        this.#error(
          'JCT_ERR_WORKER_GONE',
          `${this.#options.peer} is gone (${reason}) before answering '${pending.kind}'`,
        ),
      );
    }
  }

  readonly #onMessage = (message: unknown): void => {
    if (!isEnvelope(message)) return;
    switch (message.t) {
      case 'request':
        this.#answer(message.id, message.kind, message.body);
        return;
      case 'reply': {
        const pending = this.#pending.get(message.id);
        // Late (timed out) or not ours: nobody waits for it.
        if (pending === undefined) return;
        this.#pending.delete(message.id);
        clearTimeout(pending.timer);
        if (message.error === undefined) pending.resolve(message.body);
        else {
          pending.reject(
            new WorkerError('JCT_ERR_WORKER_FAILED', message.error.message, {
              worker: this.#options.worker,
              remoteCode: message.error.code,
            }),
          );
        }
        return;
      }
      case 'notice':
        for (const listener of this.#noticeListeners.get(message.kind) ?? []) listener(message.body);
        return;
    }
  };

  #answer(id: number, kind: string, body: unknown): void {
    const reply = (outcome: { body: unknown } | { error: unknown }): void => {
      if (this.#closed !== undefined) return;
      const envelope =
        'body' in outcome
          ? { [MARK]: 1, t: 'reply', id, body: outcome.body ?? null }
          : {
              [MARK]: 1,
              t: 'reply',
              id,
              error: { message: describe(outcome.error), code: codeOf(outcome.error) },
            };
      try {
        this.#channel.send(envelope);
      } catch {
        // The asking side is gone; its own end fails the request.
      }
    };
    const handler = this.#handlers.get(kind);
    if (handler === undefined) {
      reply({ error: new Error(`no handler for '${kind}'`) });
      return;
    }
    let result: unknown;
    try {
      result = handler(body);
    } catch (error) {
      reply({ error });
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (value: unknown) => {
          reply({ body: value });
        },
        (error: unknown) => {
          reply({ error });
        },
      );
    } else {
      reply({ body: result });
    }
  }

  #error(code: WorkerErrorCode, message: string): WorkerError {
    return new WorkerError(code, message, { worker: this.#options.worker });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
