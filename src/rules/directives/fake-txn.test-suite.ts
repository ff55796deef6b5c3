/**
 * Test helpers for directives: a fake TxnContext over the real request and response views (so field
 * and URL checks are Junction's own), recording every other call and refusing operations past their
 * last hook like the transaction does; a stub CompileEnv whose expressions are literals (and
 * functions, for values known only per transaction); and compile-and-run shortcuts.
 */
import { pino, type Logger } from 'pino';
import type { RequestHead, ResponseHead } from '../../codec/types.ts';
import {
  HOOK_INDEX,
  RequestHeadView,
  ResponseHeadView,
  type LocalResponse,
  type TxnContext,
  type TxnHook,
  type TxnHookName,
  type TxnTimeouts,
} from '../../hooks/index.ts';
import {
  RuleError,
  type CompileEnv,
  type CompiledComparison,
  type CompiledDirective,
  type CompiledFeature,
  type Feature,
  type FeatureType,
  type RuleContext,
  type RulePath,
  type SessionView,
  type RuleResources,
  type UpstreamScheme,
} from '../types.ts';
import { DIRECTIVES } from './index.ts';
import { createRuleResources } from './resources.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export interface FakeTxnOptions {
  readonly hook?: TxnHookName;
  readonly method?: string;
  readonly host?: string;
  readonly port?: string;
  readonly path?: string;
  readonly query?: string;
  readonly headers?: readonly (readonly [string, string])[];
  /** A response head (read-response on). */
  readonly response?: { status: number; reason?: string; headers?: readonly (readonly [string, string])[] };
}

export type Call = readonly [string, ...unknown[]];

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

const SESSION: SessionView = {
  clientAddress: '192.0.2.7',
  clientPort: 40000,
  localAddress: '127.0.0.1',
  localPort: 8080,
  scheme: 'http',
  sni: '',
  protocol: 'http/1.1',
  transactions: 1,
};

export class FakeTxn implements TxnContext {
  hook: TxnHookName;
  ruleState: unknown = undefined;
  readonly requestHead: Mutable<RequestHead>;
  readonly request: RequestHeadView;
  responseHead: Mutable<ResponseHead> | undefined;
  response: ResponseHeadView | undefined;
  readonly clientAddress = '192.0.2.7';
  upstream: string | undefined = undefined;
  route: string | undefined = undefined;
  cluster: string | undefined = undefined;
  readonly elapsedMs = 1;
  readonly vars = new Map<string, unknown>();
  timeouts: TxnTimeouts = { connectMs: 5000, backendResponseMs: 30000, backendBodyMs: 30000 };
  readonly logLines: Record<string, unknown>[] = [];
  readonly log: Logger;
  /** Every call other than reads and header/URL edits, in order. */
  readonly calls: Call[] = [];
  readonly added: [TxnHookName, TxnHook][] = [];
  answer: LocalResponse | undefined = undefined;

  constructor(options: FakeTxnOptions = {}) {
    this.hook = options.hook ?? 'read-request';
    const host = options.host ?? 'example.com';
    const port = options.port ?? '';
    const path = options.path ?? '/';
    const query = options.query ?? '';
    const headers = [`Host`, port === '' ? host : `${host}:${port}`];
    for (const [name, value] of options.headers ?? []) headers.push(name, value);
    this.requestHead = {
      method: options.method ?? 'GET',
      target: path + query,
      host,
      port,
      path,
      query,
      expectContinue: false,
      upgrade: false,
      versionMinor: 1,
      headers,
      bodyKind: 'none',
      contentLength: -1,
      keepAlive: true,
      connectionTokens: [],
    };
    this.request = new RequestHeadView(this.requestHead);
    if (options.response !== undefined) this.setResponse(options.response);
    const lines = this.logLines;
    this.log = pino(
      { level: 'trace', base: null, timestamp: false },
      { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
    );
  }

  /** A proxied response: the upstream's is the one sent. */
  get upstreamResponse(): ResponseHeadView | undefined {
    return this.response;
  }
  readonly responseBytes = 0;

  /** What `session` is when TxnContext has one. */
  get session(): SessionView {
    return SESSION;
  }

  setResponse(response: NonNullable<FakeTxnOptions['response']>): void {
    const headers: string[] = [];
    for (const [name, value] of response.headers ?? []) headers.push(name, value);
    this.responseHead = {
      status: response.status,
      reason: response.reason ?? 'OK',
      versionMinor: 1,
      headers,
      bodyKind: 'length',
      contentLength: 0,
      keepAlive: true,
      connectionTokens: [],
    };
    this.response = new ResponseHeadView(this.responseHead);
  }

  #until(last: TxnHookName, what: string): void {
    if (HOOK_INDEX[this.hook] > HOOK_INDEX[last]) {
      throw new Error(`${what}() is too late in ${this.hook}: it takes effect only until ${last}`);
    }
  }

  setTimeout(name: keyof TxnTimeouts, ms: number): void {
    const last =
      name === 'connectMs' ? 'post-remap' : name === 'backendBodyMs' ? 'read-response' : 'send-request';
    this.#until(last, `setTimeout('${name}')`);
    if (!Number.isInteger(ms) || ms < 1 || ms > 2 ** 31 - 1) throw new RangeError(`bad timeout ${ms}`);
    this.timeouts = { ...this.timeouts, [name]: ms };
    this.calls.push(['setTimeout', name, ms]);
  }
  respond(response: LocalResponse): void {
    this.#until('send-response', 'respond');
    if (!Number.isInteger(response.status) || response.status < 200 || response.status > 599) {
      throw new RangeError(`a response status must be from 200 to 599, got ${response.status}`);
    }
    this.answer = response;
    this.calls.push(['respond', response]);
  }
  redirect(location: string, status = 302): void {
    if (!REDIRECTS.has(status)) throw new RangeError(`${status} is not a redirect status`);
    this.#until('send-response', 'redirect');
    this.answer = { status, headers: { location } };
    this.calls.push(['redirect', location, status]);
  }
  setRoute(name: string): void {
    this.#until('pre-remap', 'setRoute');
    this.route = name;
    this.calls.push(['setRoute', name]);
  }
  setCluster(name: string): void {
    this.#until('post-remap', 'setCluster');
    this.cluster = name;
    this.calls.push(['setCluster', name]);
  }
  setStrategy(name: string): void {
    this.#until('post-remap', 'setStrategy');
    this.calls.push(['setStrategy', name]);
  }
  setUpstream(id: string): void {
    this.#until('post-remap', 'setUpstream');
    this.calls.push(['setUpstream', id]);
  }
  addHook(name: TxnHookName, hook: TxnHook): void {
    if (HOOK_INDEX[name] <= HOOK_INDEX[this.hook]) throw new Error(`addHook('${name}') from ${this.hook}`);
    this.added.push([name, hook]);
    this.calls.push(['addHook', name]);
  }
  transformResponse(): void {
    this.calls.push(['transformResponse']);
  }
  transformRequest(): void {
    this.calls.push(['transformRequest']);
  }

  /** Moves to `hook` and runs the hooks added for it. */
  async runAdded(hook: TxnHookName): Promise<void> {
    this.hook = hook;
    for (const [name, fn] of this.added) if (name === hook) await fn(this);
  }
}

export function ruleContext(txn: TxnContext): RuleContext {
  return {
    txn,
    session: SESSION,
    captures: [],
    terminal: false,
    active: null,
    now: () => 0,
  };
}

/** A value known only per transaction: `dynamic((ctx) => …)` in place of an expression node. */
export type DynamicNode = ((ctx: RuleContext) => Feature) & { type?: FeatureType };

export function dynamic(evaluate: (ctx: RuleContext) => Feature, type: FeatureType = 'any'): DynamicNode {
  return Object.assign((ctx: RuleContext) => evaluate(ctx), { type });
}

function literal(node: unknown, env: CompileEnv): Feature {
  if (node === null || node === undefined) return null;
  if (typeof node === 'string' || typeof node === 'boolean') return node;
  if (typeof node === 'number') {
    if (!Number.isSafeInteger(node)) env.fail('a number must be an integer');
    return node;
  }
  if (Array.isArray(node)) return node.map((element, i) => literal(element, env.at(i)));
  env.fail('the stub expression compiler takes literals only');
}

function typeOf(feature: Feature): FeatureType {
  if (feature === null) return 'null';
  if (typeof feature === 'string') return 'string';
  if (typeof feature === 'number') return 'integer';
  if (typeof feature === 'boolean') return 'boolean';
  if (Array.isArray(feature)) return 'tuple';
  return 'any';
}

export interface StubEnvOptions {
  readonly hook?: TxnHookName | 'post-load';
  readonly baseDir?: string;
  readonly resources?: RuleResources;
  readonly upstreamScheme?: UpstreamScheme;
}

/** A CompileEnv whose expressions are literals or `dynamic()` functions. */
export class StubEnv implements CompileEnv {
  readonly hook: TxnHookName | 'post-load';
  readonly path: RulePath;
  readonly resources: RuleResources;
  readonly baseDir: string;
  readonly disposers: (() => void)[];
  readonly upstreamScheme: UpstreamScheme | undefined;

  constructor(options: StubEnvOptions = {}, path: RulePath = [], disposers: (() => void)[] = []) {
    this.hook = options.hook ?? 'read-request';
    this.upstreamScheme = options.upstreamScheme;
    this.baseDir = options.baseDir ?? process.cwd();
    this.resources = options.resources ?? createRuleResources();
    this.path = path;
    this.disposers = disposers;
  }

  at(key: string | number): StubEnv {
    return new StubEnv(
      {
        hook: this.hook,
        baseDir: this.baseDir,
        resources: this.resources,
        ...(this.upstreamScheme === undefined ? {} : { upstreamScheme: this.upstreamScheme }),
      },
      [...this.path, key],
      this.disposers,
    );
  }

  expression(node: unknown): CompiledFeature {
    if (typeof node === 'function') {
      const fn = node as DynamicNode;
      return { evaluate: (ctx) => fn(ctx), type: fn.type ?? 'any' };
    }
    const value = literal(node, this);
    return { evaluate: () => value, type: typeOf(value), constant: value };
  }

  comparison(): CompiledComparison {
    this.fail('the stub has no comparisons');
  }

  require(): void {
    // the test contexts keep every fact
  }

  onDispose(dispose: () => void): void {
    this.disposers.push(dispose);
  }

  dispose(): void {
    for (const d of this.disposers.splice(0)) d();
  }

  fail(message: string, key?: string | number): never {
    throw new RuleError(message, key === undefined ? this.path : [...this.path, key]);
  }
}

/**
 * Compiles `name<arg>: value` as the compiler would: the directive must exist and be valid at the
 * env's hook (a RuleError otherwise).
 */
export function compile(
  name: string,
  arg: string | undefined,
  value: unknown,
  env: CompileEnv = new StubEnv(),
): CompiledDirective {
  const spec = DIRECTIVES.get(name);
  if (spec === undefined) throw new RuleError(`no directive ${name}`, env.path);
  if (spec.hooks !== undefined && !spec.hooks.has(env.hook)) {
    throw new RuleError(`${name} is not valid at ${env.hook}`, env.path);
  }
  if (spec.arg === 'none' && arg !== undefined) throw new RuleError(`${name} takes no argument`, env.path);
  return spec.compile(arg, value, env);
}

/** Compiles at `txn.hook` and runs once on `txn`. */
export function run(txn: FakeTxn, name: string, arg: string | undefined, value: unknown): void {
  compile(name, arg, value, new StubEnv({ hook: txn.hook }))(ruleContext(txn));
}

/** The message of the RuleError compiling throws. */
export function compileError(
  name: string,
  arg: string | undefined,
  value: unknown,
  options: StubEnvOptions = {},
): string {
  try {
    compile(name, arg, value, new StubEnv(options));
  } catch (error) {
    if (error instanceof RuleError) return error.message;
    throw error;
  }
  throw new Error(`${name} compiled`);
}
