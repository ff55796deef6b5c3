/**
 * A transaction context that records instead of acting: the compiled rules run against it exactly as
 * they run against a real transaction's (the request view is the hooks' own RequestHeadView over a
 * parsed head), and every choice they make (route, cluster, strategy, backend, answer, timeouts,
 * hooks added for later) is kept for the explanation. It owns no socket and sends nothing.
 * The "until" checks are the transaction's (txn-hooks.ts): a rule that would fail there fails here.
 */
import type { RequestHead, ResponseHead } from '../codec/index.ts';
import type { JunctionConfig } from '../config/index.ts';
import { HookError } from '../errors/index.ts';
import {
  checkedLocalFields,
  HOOK_INDEX,
  isTxnHookName,
  RequestHeadView,
  ResponseHeadView,
  type LocalResponse,
  type ResponseView,
  type TxnContext,
  type TxnHook,
  type TxnHookName,
  type TxnSession,
  type TxnTimeouts,
} from '../hooks/index.ts';
import { silentLogger, type Logger } from '../log/index.ts';

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** One thing a hook asked for, in words and as data. */
export interface RecordedEffect {
  /** `route`, `cluster`, `strategy`, `backend`, `respond`, `redirect`, `timeout`, `hook`, `transform`. */
  readonly kind: string;
  readonly value: string;
}

/** A hook a rule added for a later point of this transaction. */
export interface AddedHook {
  readonly hook: TxnHookName;
  readonly run: TxnHook;
}

export class RecordingContext implements TxnContext {
  readonly head: RequestHead;
  readonly request: RequestHeadView;
  readonly session: TxnSession;
  readonly #config: JunctionConfig;
  #hook: TxnHookName = 'txn-start';
  route: string | undefined = undefined;
  /** The route's own cluster once routed, or one a hook chose. */
  cluster: string | undefined = undefined;
  strategyName: string | undefined = undefined;
  upstreamId: string | undefined = undefined;
  /** The backend picked, once there is one (send-request hooks see it). */
  upstream: string | undefined = undefined;
  answer: LocalResponse | undefined = undefined;
  ruleState: unknown = undefined;
  readonly vars = new Map<string, unknown>();
  timeouts: TxnTimeouts;
  readonly added: AddedHook[] = [];
  /** Effects of the hook running now; the evaluator takes them after each rule. */
  effects: RecordedEffect[] = [];
  readonly log: Logger = silentLogger();

  constructor(config: JunctionConfig, head: RequestHead, session: TxnSession) {
    this.#config = config;
    this.head = head;
    this.request = new RequestHeadView(head);
    this.session = session;
    this.timeouts = config.timeouts;
  }

  get hook(): TxnHookName {
    return this.#hook;
  }
  /** The evaluator moves the context from point to point, as the transaction's phase driver does. */
  enter(hook: TxnHookName): void {
    this.#hook = hook;
  }
  get response(): ResponseView | undefined {
    return this.#response;
  }
  get upstreamResponse(): ResponseView | undefined {
    return this.#upstreamResponse;
  }
  #response: ResponseView | undefined;
  #upstreamResponse: ResponseView | undefined;
  /**
   * The response hooks see from now on (an assumed one): as in a transaction, the upstream's own
   * response is also `upstreamResponse`; an answer that replaces it leaves `upstreamResponse` as it was.
   */
  setResponse(head: ResponseHead): void {
    this.#response = new ResponseHeadView(head);
    this.#upstreamResponse ??= this.#response;
  }
  readonly responseBytes = 0;
  get clientAddress(): string {
    return this.session.clientAddress;
  }
  readonly elapsedMs = 0;

  setTimeout(name: keyof TxnTimeouts, ms: number): void {
    const last =
      name === 'connectMs' ? 'post-remap' : name === 'backendBodyMs' ? 'read-response' : 'send-request';
    this.#until(last, `setTimeout('${name}')`);
    if (!Number.isInteger(ms) || ms < 1 || ms > 2 ** 31 - 1) {
      throw new RangeError(`a timeout must be a whole number of ms from 1, got ${ms}`);
    }
    this.timeouts = { ...this.timeouts, [name]: ms };
    this.effects.push({ kind: 'timeout', value: `${name} = ${ms} ms` });
  }

  respond(response: LocalResponse): void {
    this.#until('send-response', 'respond');
    if (!Number.isInteger(response.status) || response.status < 200 || response.status > 599) {
      throw new RangeError(`a response status must be from 200 to 599, got ${response.status}`);
    }
    checkedLocalFields(response.headers ?? {});
    this.answer = response;
    const location = response.headers?.['location'];
    this.effects.push(
      location !== undefined && REDIRECT_STATUSES.has(response.status)
        ? { kind: 'redirect', value: `${response.status} to ${location}` }
        : { kind: 'respond', value: `${response.status}` },
    );
  }

  redirect(location: string, status = 302): void {
    if (!REDIRECT_STATUSES.has(status)) throw new RangeError(`${status} is not a redirect status`);
    if (/[\r\n\0]/.test(location)) throw new TypeError('the location contains a line break');
    this.respond({ status, headers: { location } });
  }

  setRoute(name: string): void {
    this.#until('pre-remap', 'setRoute');
    if (!this.#config.routes.some((r) => r.name === name)) throw new HookError(`no route named '${name}'`);
    this.route = name;
    this.cluster = undefined;
    this.effects.push({ kind: 'route', value: name });
  }

  setCluster(name: string): void {
    this.#until('post-remap', 'setCluster');
    if (!this.#config.clusters.has(name)) throw new HookError(`no cluster named '${name}'`);
    this.cluster = name;
    this.effects.push({ kind: 'cluster', value: name });
  }

  setStrategy(name: string): void {
    this.#until('post-remap', 'setStrategy');
    this.strategyName = name;
    this.upstreamId = undefined;
    this.effects.push({ kind: 'strategy', value: name });
  }

  setUpstream(id: string): void {
    this.#until('post-remap', 'setUpstream');
    this.upstreamId = id;
    this.effects.push({ kind: 'backend', value: id });
  }

  addHook(name: TxnHookName, hook: TxnHook): void {
    if (!isTxnHookName(name)) throw new TypeError(`'${String(name)}' is not a hook point`);
    if (HOOK_INDEX[name] <= HOOK_INDEX[this.#hook]) {
      throw new HookError(
        `addHook('${name}') from ${this.#hook}: a hook can only be added for a later point`,
      );
    }
    this.added.push({ hook: name, run: hook });
    this.effects.push({ kind: 'hook', value: `adds a ${name} hook` });
  }

  transformResponse(): void {
    this.#until('send-response', 'transformResponse');
    this.effects.push({ kind: 'transform', value: 'response body' });
  }

  transformRequest(): void {
    this.#until('send-request', 'transformRequest');
    this.effects.push({ kind: 'transform', value: 'request body' });
  }

  #until(last: TxnHookName, what: string): void {
    if (HOOK_INDEX[this.#hook] > HOOK_INDEX[last]) {
      throw new HookError(`${what}() is too late in ${this.#hook}: it takes effect only until ${last}`);
    }
  }
}
