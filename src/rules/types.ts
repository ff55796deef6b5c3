/**
 * The shared vocabulary of the rule language: feature values, the runtime context compiled rules
 * read, and the compile-time environment every extractor, comparison and directive is compiled in.
 * Everything here is compiled once at load time into plain closures; nothing is parsed or looked up
 * by name per request.
 */
import type { TxnContext, TxnHookName, TxnSession } from '../hooks/index.ts';
import type { SniPolicy } from './txn-conf.ts';

/** An IP address feature (`as-ip-addr`, `inbound-addr-remote`). */
export class IpAddress {
  /** 4 or 6. */
  readonly family: 4 | 6;
  /** The address bytes: 4 or 16. */
  readonly bytes: Uint8Array;
  /** Canonical text (IPv6 compressed, no brackets). */
  readonly text: string;
  constructor(family: 4 | 6, bytes: Uint8Array, text: string) {
    this.family = family;
    this.bytes = bytes;
    this.text = text;
  }
  toString(): string {
    return this.text;
  }
}

/** A duration feature (`as-duration`, `{duration<30s>}`), in milliseconds. */
export class Duration {
  readonly ms: number;
  constructor(ms: number) {
    this.ms = ms;
  }
  toString(): string {
    return `${this.ms}ms`;
  }
}

/** A feature value: string, integer, boolean, IP address, duration, tuple or null. */
export type Feature = string | number | boolean | IpAddress | Duration | readonly Feature[] | null;

export type FeatureType = 'string' | 'integer' | 'boolean' | 'ip' | 'duration' | 'tuple' | 'null' | 'any';

/** The session a transaction belongs to, as extractors see it: the hooks' view of it. */
export type SessionView = TxnSession;

/**
 * What compiled rules run against: the transaction (hooks' context) plus what the rule language adds.
 * One per transaction, created when its first rule runs.
 */
export interface RuleContext {
  readonly txn: TxnContext;
  readonly session: SessionView;
  /** Capture groups of the last `rxp` comparison that matched ({0} whole match, {1}…); empty before. */
  captures: readonly string[];
  /** What the last string comparison that matched left over (TxnBox's `{*}`): after a prefix, … */
  remainder?: string | undefined;
  /** The feature `with:` selected on, while its `select:` cases run (the `...` extractor). */
  active: Feature;
  /**
   * TxnBox's no-return rule: set when a `with` case matched (and the `with` has no `continue`), which
   * ends the enclosing `do` lists up to the rule; cleared before each rule and each scheduled block.
   */
  terminal: boolean;
  /**
   * The request URL as it was before the route's rules rewrote it (TxnBox's pre-remap URL): taken
   * after each rule hook before `remap` and at the start of `remap`, when the rules read it.
   */
  preRemap?: RequestSnapshot | undefined;
  /** The row the `ip-space` modifier found, while its expression runs (`ip-col<…>` reads it). */
  ipRow?: IpRow | undefined;
  /** The query parameter `query-filter` looks at, while its cases run (`name`, `value` read it). */
  queryElement?: { readonly name: string; readonly value: string } | undefined;
  /**
   * Set by `txn-debug: true`: a logger at debug level whatever the process's, which the `debug`
   * directive writes to for the rest of this transaction.
   */
  debugLog?: TxnContext['log'] | undefined;
  /** `txn-conf<proxy.config.http.insert_request_via_str>`: 1 adds a Via field upstream; undefined: 0. */
  via?: number | undefined;
  /** `txn-conf<proxy.config.ssl.client.sni_policy>` as set; undefined: the cluster's name (`remap`). */
  sniPolicy?: SniPolicy | undefined;
  /** The request URL's scheme as `ua-req-scheme` set it; undefined: the client's (session.scheme). */
  scheme?: 'http' | 'https' | undefined;
  /** Wall-clock time source (`now` extractor), injectable for tests. */
  readonly now: () => number;
}

/** An IP space row with what `ip-col` needs: the address looked up and the column names. */
export interface IpRow {
  readonly address: IpAddress;
  readonly row: readonly Feature[];
  readonly columnNames: readonly unknown[];
}

/** A request's URL parts at one moment (the pre-remap extractors read one). */
export interface RequestSnapshot {
  readonly scheme: string;
  readonly host: string;
  readonly port: string;
  readonly path: string;
  readonly query: string;
}

/** A compiled feature expression: evaluate per transaction. */
export interface CompiledFeature {
  readonly evaluate: (ctx: RuleContext) => Feature;
  /** The type it yields when known at load time ('any' when it depends on the request). */
  readonly type: FeatureType;
  /** The literal value when the expression has no extractor (lets compilers precompute). */
  readonly constant?: Feature | undefined;
}

/** A compiled comparison: does the feature match? May set `ctx.captures`. */
export type CompiledComparison = (feature: Feature, ctx: RuleContext) => boolean;

/** Where in the config a node sits, relative to the rules root: keys and list indexes. */
export type RulePath = readonly (string | number)[];

/** A rule that cannot compile: the message and where it is (the compiler adds the file position). */
export class RuleError extends Error {
  readonly path: RulePath;
  /** The file the rule came from when it was included from another file; undefined: the config. */
  origin: string | undefined = undefined;
  /** Point at the key at `path` (an unknown name) rather than its value. */
  atKey = false;
  constructor(message: string, path: RulePath) {
    super(message);
    this.name = 'RuleError';
    this.path = path;
  }
}

/**
 * What compiling one node needs: where it is, the hook it will run at (for validity checks), and the
 * other compilers, injected so extractors, comparisons and directives stay independent modules.
 */
export interface CompileEnv {
  /** The hook the compiled code runs at; `post-load` for load-time directives. */
  readonly hook: TxnHookName | 'post-load';
  readonly path: RulePath;
  /** The same environment one level deeper (a key or an index). */
  at(key: string | number): CompileEnv;
  /** Compiles a feature expression: a string with `{extractor}`s, or `[expression, modifier…]`. */
  expression(node: unknown): CompiledFeature;
  /** Compiles a comparison node (`{ match: … }`, `{ any-of: [...] }`, …). */
  comparison(node: unknown): CompiledComparison;
  /** Named resources defined at post-load (`ip-space-define`, `text-block-define`, `stat-define`). */
  readonly resources: RuleResources;
  /** The directory relative file names in rules resolve against (the config file's). */
  readonly baseDir: string;
  /** The scheme Junction speaks to a cluster's backends, from the config; absent where none is known. */
  readonly upstreamScheme?: UpstreamScheme | undefined;
  /** Routes and clusters as the config has them; absent where rules compile without a config. */
  readonly configFacts?: ConfigFacts | undefined;
  /** Notes that the rules read a fact the runtime only keeps on demand (the pre-remap URL). */
  require(fact: 'pre-remap'): void;
  /** Registers cleanup (a file watcher) for when the compiled rules are disposed. */
  onDispose(dispose: () => void): void;
  /** Throws a RuleError at this node (or at `key` under it). */
  fail(message: string, key?: string | number): never;
}

/**
 * The scheme towards a cluster's backend (`host:port` as TxnContext.upstream says, or undefined before
 * one is chosen): `https` for TLS, `http` without, undefined when the cluster is unknown or its
 * backends differ and none is chosen yet.
 */
export type UpstreamScheme = (cluster: string, upstream: string | undefined) => 'http' | 'https' | undefined;

/** A route as TxnBox's remap target URL: what it matches (the scheme is the request's). */
export interface RouteTarget {
  /** Its one literal host (no wildcard, no list); undefined otherwise. */
  readonly host: string | undefined;
  /** Its path prefix (or exact path), without the leading `/` as TxnBox writes paths; '' for none. */
  readonly path: string;
}

/** Facts of the config that rules read at run time: routes and clusters as written. */
export interface ConfigFacts {
  /** The route's target (TxnBox's remap-target-*); undefined for a route the config does not name. */
  routeTarget(route: string): RouteTarget | undefined;
  /**
   * A cluster's `pool.max_total` (0: no limit). For no cluster (none chosen yet): the limit every
   * cluster has, or undefined when they differ.
   */
  poolMaxTotal(cluster: string | undefined): number | undefined;
  /** The cache's `background_fill.threshold` (its default without one). */
  backgroundFillThreshold(): number;
}

/**
 * Load-time resources rules refer to by name. Load-time directives define them; the compiler
 * compiles every `post-load` rule before the others, so later rules find them.
 */
export interface RuleResources {
  ipSpace(name: string): IpSpaceLookup | undefined;
  textBlock(name: string): (() => string) | undefined;
  stat(name: string): StatCounter | undefined;
  defineIpSpace(name: string, space: IpSpaceLookup): void;
  defineTextBlock(name: string, text: () => string): void;
  /** `reported`: the name metrics show (default `name`); rules know the counter by `name`. */
  defineStat(name: string, initial: number, reported?: string): StatCounter;
  /** Every counter, for logs and the admin API. */
  stats(): readonly StatCounter[];
  /**
   * A logging directive at post-load (there is no transaction log yet): the message is kept and
   * written to the log of the first transaction the rules run for. Absent: refused at post-load.
   */
  loadMessage?(message: LoadMessage): void;
}

/** A message a logging directive wrote while the rules loaded. */
export interface LoadMessage {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly tag?: string | undefined;
}

/** A directive compiled for one place in the rules: run it for a transaction. */
export type CompiledDirective = (ctx: RuleContext) => void;

/**
 * A directive the language knows: `name<arg>: value`. compile() checks the value and returns the
 * closure; it throws (through env.fail) on anything wrong, at load time.
 */
export interface DirectiveSpec extends Validity {
  readonly name: string;
  /** Whether the directive takes `<arg>` (a field name, a variable name…). */
  readonly arg: 'none' | 'required' | 'optional';
  compile(arg: string | undefined, value: unknown, env: CompileEnv): CompiledDirective;
}

/** An extractor: `{name<arg>}` in a feature expression. */
export interface ExtractorSpec extends Validity {
  readonly name: string;
  readonly arg: 'none' | 'required' | 'optional';
  /** The type it yields. */
  readonly type: FeatureType;
  compile(arg: string | undefined, env: CompileEnv): (ctx: RuleContext) => Feature;
}

export interface IpSpaceLookup {
  /** The row for the address, or undefined. A row is the range's columns after the range itself. */
  lookup(address: IpAddress): readonly Feature[] | undefined;
}

export interface StatCounter {
  /** The name it is reported by (metrics, admin API): `prefix.name` when stat-define gave a prefix. */
  readonly name: string;
  value: number;
}

/** A name the language knows (extractor, comparison, modifier, directive) and the hooks it is valid in. */
export interface Validity {
  /** Hooks where it may be used; undefined: any hook. */
  readonly hooks?: ReadonlySet<TxnHookName | 'post-load'> | undefined;
}
