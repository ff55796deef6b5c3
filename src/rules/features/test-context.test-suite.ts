/**
 * Test helpers for feature expressions: a hand-built RuleContext (a fake transaction with just what
 * extractors read, over the real request and response views) and a CompileEnv that compiles nested
 * expressions with compileExpression and fails with RuleError, like the rule compiler's.
 */
import type { RequestHead, ResponseHead } from '../../codec/types.ts';
import { RequestHeadView, ResponseHeadView, type TxnContext, type TxnHookName } from '../../hooks/index.ts';
import {
  RuleError,
  type CompileEnv,
  type CompiledComparison,
  type CompiledFeature,
  type Feature,
  type IpSpaceLookup,
  type RuleContext,
  type RulePath,
  type RuleResources,
  type SessionView,
  type StatCounter,
} from '../types.ts';
import { compileComparison } from '../comparisons/index.ts';
import { compileExpression } from './compile-expression.ts';

export interface FakeRequest {
  method?: string;
  host?: string;
  port?: string;
  path?: string;
  query?: string;
  /** Flat `[name, value, …]`. */
  headers?: string[];
}

export interface FakeResponse {
  status?: number;
  reason?: string;
  headers?: string[];
}

export interface FakeOptions {
  hook?: TxnHookName;
  request?: FakeRequest;
  response?: FakeResponse;
  session?: Partial<SessionView>;
  vars?: Record<string, unknown>;
  route?: string;
  cluster?: string;
  upstream?: string;
  elapsedMs?: number;
  captures?: string[];
  active?: Feature;
  nowMs?: number;
}

export const DEFAULT_SESSION: SessionView = {
  clientAddress: '192.0.2.7',
  clientPort: 51234,
  localAddress: '198.51.100.1',
  localPort: 8080,
  scheme: 'http',
  sni: '',
  protocol: 'http/1.1',
  transactions: 3,
};

function requestHead(request: FakeRequest): RequestHead {
  const path = request.path ?? '/';
  const query = request.query ?? '';
  return {
    method: request.method ?? 'GET',
    target: path + query,
    host: request.host ?? 'example.com',
    port: request.port ?? '',
    path,
    query,
    versionMinor: 1,
    headers: request.headers ?? ['Host', request.host ?? 'example.com'],
    bodyKind: 'none',
    contentLength: -1,
    keepAlive: true,
    connectionTokens: [],
    expectContinue: false,
    upgrade: false,
  };
}

function responseHead(response: FakeResponse): ResponseHead {
  return {
    status: response.status ?? 200,
    reason: response.reason ?? 'OK',
    versionMinor: 1,
    headers: response.headers ?? [],
    bodyKind: 'length',
    contentLength: 0,
    keepAlive: true,
    connectionTokens: [],
  };
}

/** A RuleContext over a fake transaction; fields not given get plausible defaults. */
export function fakeContext(options: FakeOptions = {}): RuleContext {
  const session = { ...DEFAULT_SESSION, ...options.session };
  const response =
    options.response === undefined ? undefined : new ResponseHeadView(responseHead(options.response));
  const txn = {
    hook: options.hook ?? 'read-request',
    request: new RequestHeadView(requestHead(options.request ?? {})),
    // A proxied response: the upstream's is the one sent.
    response,
    upstreamResponse: response,
    responseBytes: 0,
    clientAddress: session.clientAddress,
    session,
    upstream: options.upstream,
    route: options.route,
    cluster: options.cluster,
    elapsedMs: options.elapsedMs ?? 12.5,
    vars: new Map(Object.entries(options.vars ?? {})),
  } as unknown as TxnContext;
  return {
    txn,
    session,
    captures: options.captures ?? [],
    active: options.active ?? null,
    terminal: false,
    now: () => options.nowMs ?? 1_700_000_000_123,
  };
}

/** In-memory resources, as the post-load directives would define them. */
export class FakeResources implements RuleResources {
  readonly #spaces = new Map<string, IpSpaceLookup>();
  readonly #blocks = new Map<string, () => string>();
  readonly #stats = new Map<string, StatCounter>();

  ipSpace(name: string): IpSpaceLookup | undefined {
    return this.#spaces.get(name);
  }
  textBlock(name: string): (() => string) | undefined {
    return this.#blocks.get(name);
  }
  stat(name: string): StatCounter | undefined {
    return this.#stats.get(name);
  }
  defineIpSpace(name: string, space: IpSpaceLookup): void {
    this.#spaces.set(name, space);
  }
  defineTextBlock(name: string, text: () => string): void {
    this.#blocks.set(name, text);
  }
  defineStat(name: string, initial: number, reported = name): StatCounter {
    const counter = { name: reported, value: initial };
    this.#stats.set(name, counter);
    return counter;
  }
  stats(): readonly StatCounter[] {
    return [...this.#stats.values()];
  }
}

/** A CompileEnv like the compiler's: nested expressions through compileExpression, failures as RuleError. */
export class TestEnv implements CompileEnv {
  readonly hook: TxnHookName | 'post-load';
  readonly path: RulePath;
  readonly resources: RuleResources;
  readonly baseDir = '/nonexistent';
  readonly disposers: (() => void)[];

  constructor(
    hook: TxnHookName | 'post-load' = 'read-request',
    resources: RuleResources = new FakeResources(),
    path: RulePath = [],
    disposers: (() => void)[] = [],
  ) {
    this.hook = hook;
    this.resources = resources;
    this.path = path;
    this.disposers = disposers;
  }

  at(key: string | number): TestEnv {
    return new TestEnv(this.hook, this.resources, [...this.path, key], this.disposers);
  }
  expression(node: unknown): CompiledFeature {
    return compileExpression(node, this);
  }
  /** Modifiers that take comparisons (filter, query-filter) compile them with the real ones. */
  comparison(node: unknown): CompiledComparison {
    return compileComparison(node, this);
  }
  require(): void {
    // the test contexts keep every fact
  }

  onDispose(dispose: () => void): void {
    this.disposers.push(dispose);
  }
  fail(message: string, key?: string | number): never {
    throw new RuleError(message, key === undefined ? this.path : [...this.path, key]);
  }
}

/** Compiles `node` at `hook` and evaluates it against a fake transaction. */
export function evaluate(node: unknown, options: FakeOptions = {}, env?: CompileEnv): Feature {
  const compiled = compileExpression(node, env ?? new TestEnv(options.hook ?? 'read-request'));
  return compiled.evaluate(fakeContext(options));
}

/** The RuleError compiling `node` throws (fails the test when it compiles). */
export function compileError(node: unknown, env: CompileEnv = new TestEnv()): RuleError {
  try {
    compileExpression(node, env);
  } catch (error) {
    if (error instanceof RuleError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(node)} not to compile`);
}
