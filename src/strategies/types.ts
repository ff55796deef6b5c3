/**
 * The Strategy plugin API: a plugin plus its config makes a named strategy that picks upstreams.
 * Strategies are pure selection logic: no sockets, no retries (the Router loops), no config files.
 */

/** One backend as strategies see it. Identity is by object; `id` is unique within its cluster. */
export interface Upstream {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly weight: number;
  /**
   * Whether it may be picked now, as the Router decides: healthy, or any backend not drained while its
   * cluster is in panic mode, and not on trial with its trial request out. Strategies must skip upstreams
   * that are not up, and read this at each selection (it changes without membersChanged).
   */
  readonly isUp: boolean;
  /** Requests in flight on this upstream right now. */
  readonly inFlight: number;
}

/** What a strategy may look at to choose: a read-only view of the request. */
export interface SelectionInput {
  readonly method: string;
  readonly host: string;
  readonly path: string;
  /** Looks up a request header field by lower-case name. */
  header(name: string): string | undefined;
  readonly clientAddress: string;
}

/** What happened to one attempt, reported for every finished transaction or failed connect. */
export interface Outcome {
  /** The HTTP status the upstream answered, or 0 if it did not answer. */
  readonly status: number;
  /** An error code from errors/codes.ts, or undefined on success. */
  readonly errorCode: string | undefined;
  /** From the ask to the end of the attempt. */
  readonly durationMs: number;
}

export interface Strategy {
  /**
   * Picks an upstream. Synchronous: it is on the hot path. Never returns one in `exclude` (already
   * tried in this transaction) or one that is down; returns undefined when nothing is left.
   */
  select(input: SelectionInput, exclude: ReadonlySet<Upstream> | undefined): Upstream | undefined;
  /** Called once per finished attempt. A strategy that does not care ignores it. */
  report?(upstream: Upstream, outcome: Outcome): void;
  /** The cluster's membership changed; rebuild lookup tables here, off the hot path. */
  membersChanged?(members: readonly Upstream[]): void;
  /**
   * Called once the transaction has settled on `upstream` (the one `select` returned for `input`),
   * before the response head goes to the client. Returns flat `[name, value, name, value, …]` pairs
   * to append to the client response, such as a sticky-session `Set-Cookie`, or undefined for none
   * (the default when absent). Synchronous, on the hot path: return a precomputed array, and only
   * when needed. The caller must not mutate the array.
   */
  responseHeaders?(upstream: Upstream, input: SelectionInput): readonly string[] | undefined;
}

/** Injected so strategies are deterministic under test. */
export interface StrategyEnv {
  random(): number;
  now(): number;
}

export interface StrategyPlugin<Options = unknown> {
  /** The name configs use, such as `round-robin`. */
  readonly kind: string;
  /** Validates the plugin's options; throw an Error whose message names the problem. */
  parseOptions(raw: Readonly<Record<string, unknown>>): Options;
  create(options: Options, members: readonly Upstream[], env: StrategyEnv): Strategy;
}
