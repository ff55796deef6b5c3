/**
 * The transaction's middle test layer: scripted fakes of both sides it borrows (the client's
 * SessionPort and the upstream's UpstreamChannel) and of the Router that lends the latter, so a test
 * drives one Transaction through its phases byte by byte, with no socket and no timer.
 */
import { parseRequestHead } from '../codec/index.ts';
import { parseConfigText } from '../config/index.ts';
import type { JunctionError } from '../errors/index.ts';
import { HOOK_INDEX, TXN_HOOKS, type HookTable, type TxnHook, type TxnHookName } from '../hooks/index.ts';
import { silentLogger } from '../log/index.ts';
import type {
  AcquireHandler,
  ClusterRuntime,
  Router,
  RouterLease,
  UpstreamHandler,
} from '../router/index.ts';
import type { UpstreamChannel } from '../router/index.ts';
import { RouteTable } from '../routes/index.ts';
import type { Strategy } from '../strategies/index.ts';
import type { Tunnel } from '../tunnel/index.ts';
import type { SessionListener, SessionPort, SessionTls } from './session-port.ts';
import { headLimitsOf, type RuntimeSnapshot } from './snapshot.ts';
import { Transaction } from './transaction.ts';
import { TransactionObservers } from './txn-observer.ts';

/** The client side: what the transaction wrote, and what it asked of the session. */
export class FakeSession implements SessionPort {
  readonly clientAddress = '192.0.2.7';
  readonly clientPort = 40000;
  readonly localAddress = '127.0.0.1';
  readonly localPort = 8080;
  requests = 0;
  readonly scheme: 'http' | 'https' = 'http';
  tls: SessionTls | null = null;
  draining = false;
  readonly log = silentLogger();
  readonly listener: SessionListener = { name: 'test', accessLog: undefined, trustRequestId: false };
  bytesRead = 0;
  readMark = 0;
  /** Every write, in order. */
  readonly writes: Buffer[] = [];
  /** Set by a test to make writeClient report a full socket. */
  full = false;
  corked = 0;
  paused = 0;
  deadlineMs = 0;
  readonly pipelined: Buffer[] = [];
  /** onTransactionDone's keepAlive, once called. */
  done: boolean | undefined = undefined;
  aborted = false;
  tunnel: Tunnel | null = null;

  readonly clientStream = {
    write: (data: Buffer | string, encoding?: BufferEncoding): boolean => this.writeClient(data, encoding),
  };
  writeClient(data: string | Buffer, encoding?: BufferEncoding): boolean {
    this.writes.push(typeof data === 'string' ? Buffer.from(data, encoding ?? 'utf8') : Buffer.from(data));
    return !this.full;
  }
  get bytesWritten(): number {
    let n = 0;
    for (const w of this.writes) n += w.length;
    return n;
  }
  get clientNeedsDrain(): boolean {
    return this.full;
  }
  /** Everything written to the client, as latin1 text. */
  get text(): string {
    return Buffer.concat(this.writes).toString('latin1');
  }
  corkClient(): void {
    this.corked++;
  }
  uncorkClient(): void {
    this.corked--;
  }
  pauseClient(reason: number): void {
    this.paused |= reason;
  }
  resumeClient(reason: number): void {
    this.paused &= ~reason;
  }
  stashPipelined(buf: Buffer, start: number): void {
    this.pipelined.push(buf.subarray(start));
  }
  setDeadline(ms: number): void {
    this.deadlineMs = ms;
  }
  onTransactionDone(keepAlive: boolean): void {
    if (this.done !== undefined) throw new Error('onTransactionDone called twice');
    this.done = keepAlive;
  }
  abortClient(): void {
    this.aborted = true;
  }
  startTunnel(tunnel: Tunnel): void {
    this.tunnel = tunnel;
  }
}

/** The upstream side: what the transaction sent, and a script of what the upstream answers. */
export class FakeChannel implements UpstreamChannel {
  readonly upstreamId: string;
  reuseCount: number;
  handler: UpstreamHandler | null = null;
  readonly writes: Buffer[] = [];
  full = false;
  paused = false;
  ended = false;
  destroyed = false;
  halfOpen = false;
  readonly localPort = 50000;

  constructor(upstreamId: string, reuseCount = 0) {
    this.upstreamId = upstreamId;
    this.reuseCount = reuseCount;
  }
  attach(handler: UpstreamHandler): void {
    this.handler = handler;
  }
  write(data: Buffer | string, encoding?: BufferEncoding): boolean {
    this.writes.push(typeof data === 'string' ? Buffer.from(data, encoding ?? 'utf8') : Buffer.from(data));
    return !this.full;
  }
  get needsDrain(): boolean {
    return this.full;
  }
  cork(): void {
    // Writes are recorded in order either way.
  }
  uncork(): void {
    // See cork().
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
  allowHalfOpen(): void {
    this.halfOpen = true;
  }
  /** Everything sent upstream, as latin1 text. */
  get text(): string {
    return Buffer.concat(this.writes).toString('latin1');
  }

  // The script: what the upstream does.
  send(bytes: string | Buffer): void {
    this.handler!.onUpstreamData(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }
  fin(): void {
    this.handler!.onUpstreamEnd();
  }
  close(error?: Error): void {
    this.handler!.onUpstreamClose(error);
  }
  drain(): void {
    this.full = false;
    this.handler!.onUpstreamDrain();
  }
}

/** What the transaction reported when it gave a connection back. */
export interface Released {
  readonly channel: FakeChannel | undefined;
  readonly reusable: boolean;
  readonly status: number;
  readonly errorCode: string | undefined;
}

/**
 * Stands in for the Router: the test says when the upstream is ready (`connect()`) or that none
 * could be reached (`fail()`), and whether a retry is granted (`retries`).
 */
export class FakeRouter {
  readonly failureLog = { warn: (): void => undefined };
  time = 0;
  handler: AcquireHandler | null = null;
  lease: RouterLease | null = null;
  readonly channels: FakeChannel[] = [];
  readonly released: Released[] = [];
  readonly retried: string[] = [];
  /** How many retries to grant. */
  retries = 0;
  abandoned = false;
  tunnelled = false;

  now(): number {
    return this.time;
  }
  acquire(
    _cluster: ClusterRuntime,
    _input: unknown,
    _connectMs: number,
    handler: AcquireHandler,
  ): RouterLease {
    this.handler = handler;
    this.lease = {
      upstream: { id: 'up-1', pool: { upstreamId: '10.0.0.1:80' } },
      strategy: {},
      attemptStartedAt: 0,
      connection: undefined,
    } as unknown as RouterLease;
    return this.lease;
  }
  /** The upstream is ready: a fresh channel (or a pooled one, `reuseCount` > 0) goes to the transaction. */
  connect(reuseCount = 0): FakeChannel {
    const channel = new FakeChannel('10.0.0.1:80', reuseCount);
    this.channels.push(channel);
    (this.lease as { connection: unknown }).connection = channel;
    this.handler!.onUpstreamReady(channel, this.lease!);
    return channel;
  }
  fail(error: JunctionError): void {
    this.handler!.onAcquireFailed(error);
  }
  release(lease: RouterLease, reusable: boolean, outcome: { status: number; errorCode?: string }): void {
    this.released.push({
      channel: lease.connection as unknown as FakeChannel | undefined,
      reusable,
      status: outcome.status,
      errorCode: outcome.errorCode,
    });
  }
  retry(lease: RouterLease, reason: string): boolean {
    this.retried.push(reason);
    if (this.retries <= 0) return false;
    this.retries--;
    this.released.push({
      channel: lease.connection as unknown as FakeChannel | undefined,
      reusable: false,
      status: 0,
      errorCode: reason,
    });
    (lease as { connection: unknown }).connection = undefined;
    return true;
  }
  abandon(): void {
    this.abandoned = true;
  }
  tunnelling(): void {
    this.tunnelled = true;
  }
}

const BASE_CONFIG = `
listeners: [{ port: 0 }]
routes:
  - { cluster: app }
clusters:
  app: { backends: ['10.0.0.1:80'] }
`;

/** Hooks for a test: each point's functions, as a plugin would register them. */
export type TestHooks = Partial<Record<TxnHookName, TxnHook | TxnHook[]>>;

function hookTable(hooks: TestHooks): HookTable {
  const table: (HookEntry[] | undefined)[] = TXN_HOOKS.map(() => undefined);
  for (const [name, value] of Object.entries(hooks) as [TxnHookName, TxnHook | TxnHook[]][]) {
    const list = Array.isArray(value) ? value : [value];
    table[HOOK_INDEX[name]] = list.map((hook) => ({ hook, owner: 'test', timeoutMs: 1_000 }));
  }
  return table;
}
type HookEntry = NonNullable<HookTable[number]>[number];

export interface Harness {
  readonly txn: Transaction;
  readonly session: FakeSession;
  readonly router: FakeRouter;
  /** The upstream of the latest attempt. */
  readonly channel: FakeChannel;
  /** The client sends more bytes (of its request body, or a pipelined request). */
  clientSends(bytes: string): void;
}

/**
 * Starts a transaction on `request` (a complete head, plus whatever body bytes came with it), on a
 * snapshot with one route to one cluster. `yaml` replaces the config; `hooks` become its global hooks.
 */
export function startTransaction(
  request: string,
  options: { yaml?: string; hooks?: TestHooks; session?: FakeSession } = {},
): Harness {
  const config = parseConfigText(options.yaml ?? BASE_CONFIG, '<txn-fakes>');
  const router = new FakeRouter();
  const strategy: Strategy = { select: () => undefined };
  const clusters = new Map<string, ClusterRuntime>();
  for (const name of config.clusters.keys()) {
    clusters.set(name, {
      name,
      config: config.clusters.get(name),
      strategy,
      upstreams: [],
      strategyFor: () => strategy,
    } as unknown as ClusterRuntime);
  }
  const table = options.hooks === undefined ? null : hookTable(options.hooks);
  const snapshot: RuntimeSnapshot = {
    version: 1,
    config,
    routes: new RouteTable(config.routes),
    clusters,
    router: router as unknown as Router,
    ...headLimitsOf(config),
    hooks: table === null ? null : { global: table, forRoute: () => table },
    observers: new TransactionObservers(),
  };
  const session = options.session ?? new FakeSession();
  const bytes = Buffer.from(request, 'latin1');
  const step = parseRequestHead(bytes, 0, bytes.length, snapshot.headLimits);
  if (step.kind !== 'done') throw new Error(`the test's request head does not parse: ${step.kind}`);
  const txn = new Transaction(session, snapshot, step.head);
  txn.start(bytes, step.consumed);
  return {
    txn,
    session,
    router,
    get channel(): FakeChannel {
      const channel = router.channels.at(-1);
      if (channel === undefined) throw new Error('no upstream attempt yet');
      return channel;
    },
    clientSends(text: string): void {
      txn.onClientBody(Buffer.from(text, 'latin1'));
    },
  };
}

/** The status line of the first response written to the client. */
export function statusLine(text: string): string {
  return text.slice(0, text.indexOf('\r\n'));
}

/** The body after the first head in `text`. */
export function bodyOf(text: string): string {
  return text.slice(text.indexOf('\r\n\r\n') + 4);
}
