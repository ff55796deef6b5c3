/**
 * RouteTable: the URL matcher. Compiled once per config snapshot; match() runs for every request.
 *
 * Precedence (docs/configuration.md, "Which route wins", states the same rules for users):
 *   1. host: exact beats wildcard beats any-host; among wildcards the longer suffix wins;
 *   2. path: exact beats prefix beats regex beats no path; among prefixes the longest wins; among
 *      regexes the one declared first wins (routes with the same regex tie here);
 *   3. routes with method and/or header conditions beat routes without; more conditions win;
 *   4. declaration order.
 * A route matches only if all its conditions match.
 *
 * How: routes are filed into host buckets (an exact-host Map, wildcard suffixes longest first, the
 * any-host list), and each bucket is sorted by rules 2-4 at compile time. match() walks the buckets in
 * rule-1 order and returns the first route whose remaining conditions hold, so it never scores or
 * allocates per request.
 */
import type { HeaderMatch, HostMatch, RouteConfig } from '../config/index.ts';

/** The request as routing sees it. */
export interface RouteRequest {
  /** The Host header's name: lower-case, without the port. */
  readonly host: string;
  /** The path of the request target, without the query. */
  readonly path: string;
  readonly method: string;
  /** The connection's TLS server name (SNI), lower-case; '' or absent without TLS. */
  readonly sni?: string;
  /** A request header's value by lower-case name, or undefined when absent. */
  header(lowerName: string): string | undefined;
}

const PATH_NONE = 0;
const PATH_EXACT = 1;
const PATH_PREFIX = 2;
const PATH_REGEX = 3;
type PathKind = typeof PATH_NONE | typeof PATH_EXACT | typeof PATH_PREFIX | typeof PATH_REGEX;

/** Rule-2 rank: exact first, then prefix, regex, none. */
const PATH_RANK: Readonly<Record<PathKind, number>> = {
  [PATH_EXACT]: 0,
  [PATH_PREFIX]: 1,
  [PATH_REGEX]: 2,
  [PATH_NONE]: 3,
};

/** One header condition, with every field set so all instances share a shape. */
class CompiledHeader {
  readonly name: string;
  readonly value: string | undefined;
  readonly regex: RegExp | undefined;
  constructor(header: HeaderMatch) {
    this.name = header.name;
    this.value = header.regex === undefined ? header.value : undefined;
    this.regex = header.regex === undefined ? undefined : new RegExp(header.regex);
  }
}

/** A route's conditions other than host, precompiled; plus its sort keys. */
class CompiledRoute {
  readonly route: RouteConfig;
  readonly index: number;
  readonly pathKind: PathKind;
  readonly pathValue: string;
  readonly pathRegex: RegExp | undefined;
  /** For regex paths: where that regex first appears in the table (rule 2's declaration order). */
  readonly regexOrder: number;
  readonly methods: readonly string[];
  readonly headers: readonly CompiledHeader[];
  /** TLS server names, any of which must match; empty: no SNI condition. */
  readonly sni: readonly HostMatch[];
  /** Rule 3: a method list counts as one condition, each header as one, an SNI list as one. */
  readonly conditionCount: number;

  constructor(route: RouteConfig, index: number, regexOrder: number) {
    const path = route.match.path;
    this.route = route;
    this.index = index;
    this.pathKind =
      path === undefined
        ? PATH_NONE
        : path.kind === 'exact'
          ? PATH_EXACT
          : path.kind === 'prefix'
            ? PATH_PREFIX
            : PATH_REGEX;
    this.pathValue = path?.value ?? '';
    this.pathRegex = path?.kind === 'regex' ? new RegExp(path.value) : undefined;
    this.regexOrder = regexOrder;
    this.methods = route.match.methods;
    this.headers = route.match.headers.map((header) => new CompiledHeader(header));
    this.sni = route.match.sni ?? [];
    this.conditionCount =
      (this.methods.length > 0 ? 1 : 0) + this.headers.length + (this.sni.length > 0 ? 1 : 0);
  }
}

/** Rules 2-4 as a comparator: negative when `a` is more specific. */
function compareSpecificity(a: CompiledRoute, b: CompiledRoute): number {
  return (
    PATH_RANK[a.pathKind] - PATH_RANK[b.pathKind] ||
    (a.pathKind === PATH_PREFIX ? b.pathValue.length - a.pathValue.length : 0) ||
    (a.pathKind === PATH_REGEX ? a.regexOrder - b.regexOrder : 0) ||
    b.conditionCount - a.conditionCount ||
    a.index - b.index
  );
}

function matchesPath(route: CompiledRoute, path: string): boolean {
  switch (route.pathKind) {
    case PATH_NONE:
      return true;
    case PATH_EXACT:
      return path === route.pathValue;
    case PATH_PREFIX:
      return path.startsWith(route.pathValue);
    case PATH_REGEX:
      return route.pathRegex!.test(path);
  }
}

/** Every condition but the host, which the bucket already settled. */
function matchesRest(route: CompiledRoute, request: RouteRequest): boolean {
  if (!matchesPath(route, request.path)) return false;
  if (route.methods.length > 0 && !route.methods.includes(request.method)) return false;
  if (route.sni.length > 0 && !matchesSni(route.sni, request.sni ?? '')) return false;
  for (const condition of route.headers) {
    const value = request.header(condition.name);
    if (value === undefined) return false;
    if (condition.regex !== undefined) {
      if (!condition.regex.test(value)) return false;
    } else if (condition.value !== undefined && value !== condition.value) {
      return false;
    }
  }
  return true;
}

/** Host-pattern semantics: `*.example.com` matches one or more labels before `.example.com`. */
function matchesSni(patterns: readonly HostMatch[], sni: string): boolean {
  if (sni === '') return false;
  for (const pattern of patterns) {
    if (
      pattern.kind === 'exact'
        ? sni === pattern.host
        : sni.length > pattern.suffix.length && sni.endsWith(pattern.suffix)
    )
      return true;
  }
  return false;
}

function firstMatch(bucket: readonly CompiledRoute[], request: RouteRequest): RouteConfig | undefined {
  for (const route of bucket) {
    if (matchesRest(route, request)) return route.route;
  }
  return undefined;
}

interface WildcardBucket {
  /** `.example.com` for `*.example.com`. */
  readonly suffix: string;
  readonly routes: CompiledRoute[];
}

function addTo(bucket: CompiledRoute[], route: CompiledRoute): void {
  // A route listing the same host twice is still one candidate.
  if (bucket.at(-1) !== route) bucket.push(route);
}

/** The routes sorted into host buckets, one at a time (so a large table can be built between turns). */
class TableBuilder {
  readonly exact = new Map<string, CompiledRoute[]>();
  readonly wildcards = new Map<string, CompiledRoute[]>();
  readonly anyHost: CompiledRoute[] = [];
  /** Every route in declaration order: explain() names the closest ones when none matches. */
  readonly all: CompiledRoute[] = [];
  readonly #regexFirstIndex = new Map<string, number>();
  size = 0;

  add(route: RouteConfig, index: number): void {
    this.size++;
    const path = route.match.path;
    let regexOrder = 0;
    if (path?.kind === 'regex') {
      regexOrder = this.#regexFirstIndex.get(path.value) ?? index;
      this.#regexFirstIndex.set(path.value, regexOrder);
    }
    const compiled = new CompiledRoute(route, index, regexOrder);
    this.all.push(compiled);
    if (route.match.hosts.length === 0) this.anyHost.push(compiled);
    for (const host of route.match.hosts) {
      const key = host.kind === 'exact' ? host.host : host.suffix;
      const buckets = host.kind === 'exact' ? this.exact : this.wildcards;
      let bucket = buckets.get(key);
      if (bucket === undefined) buckets.set(key, (bucket = []));
      addTo(bucket, compiled);
    }
  }
}

/** Routes compiled between two turns of the event loop by RouteTable.gradually(). */
const ROUTES_PER_TURN = 1000;

export class RouteTable {
  readonly #exact: Map<string, CompiledRoute[]>;
  /** Longest suffix first (rule 1). */
  readonly #wildcards: WildcardBucket[] = [];
  readonly #anyHost: CompiledRoute[];
  readonly #all: readonly CompiledRoute[];
  readonly #size: number;

  /**
   * Compiles `routes` (validated config; regexes are compiled here and throw SyntaxError if invalid,
   * which config validation prevents). Declaration order is the array order.
   */
  constructor(routes: readonly RouteConfig[] | TableBuilder) {
    let builder: TableBuilder;
    if (routes instanceof TableBuilder) {
      builder = routes;
    } else {
      builder = new TableBuilder();
      routes.forEach((route, index) => {
        builder.add(route, index);
      });
    }
    this.#size = builder.size;
    this.#exact = builder.exact;
    this.#anyHost = builder.anyHost;
    this.#all = builder.all;
    for (const bucket of this.#exact.values()) bucket.sort(compareSpecificity);
    for (const [suffix, bucket] of builder.wildcards)
      this.#wildcards.push({ suffix, routes: bucket.sort(compareSpecificity) });
    this.#wildcards.sort((a, b) => b.suffix.length - a.suffix.length);
    this.#anyHost.sort(compareSpecificity);
  }

  /**
   * The same table, compiled a thousand routes at a time with the event loop turning in between: what
   * a running server does on a reload, so a large route table does not stall traffic while it builds.
   */
  static async gradually(routes: readonly RouteConfig[]): Promise<RouteTable> {
    const builder = new TableBuilder();
    for (let index = 0; index < routes.length; index++) {
      builder.add(routes[index]!, index);
      if ((index + 1) % ROUTES_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    return new RouteTable(builder);
  }

  /** How many routes the table holds. */
  get size(): number {
    return this.#size;
  }

  /** The most specific route whose conditions all hold, or undefined (the caller answers 404). */
  match(request: RouteRequest): RouteConfig | undefined {
    let host = request.host;
    // `example.com.` (fully qualified) names the same host; config patterns are stored without the dot.
    // Rare, so the slice costs nothing on the usual path.
    if (host.endsWith('.')) host = host.slice(0, -1);
    const exact = this.#exact.get(host);
    if (exact !== undefined) {
      const route = firstMatch(exact, request);
      if (route !== undefined) return route;
    }
    for (const { suffix, routes } of this.#wildcards) {
      // Strictly longer: `*.example.com` needs at least one label before `.example.com`.
      if (host.length > suffix.length && host.endsWith(suffix)) {
        const route = firstMatch(routes, request);
        if (route !== undefined) return route;
      }
    }
    return firstMatch(this.#anyHost, request);
  }

  /**
   * What match() does, step by step, for `junction explain`: the routes it considers in its order
   * (host buckets in rule-1 order, each sorted by rules 2-4) up to the one that wins, each with the
   * condition that failed; and, when none matches, every route with all the conditions it missed.
   * Off the serving path: match() never calls it.
   */
  explain(request: RouteRequest): RouteExplanation {
    let host = request.host;
    if (host.endsWith('.')) host = host.slice(0, -1);
    const considered: RouteVerdict[] = [];
    const walk = (bucket: readonly CompiledRoute[], by: RouteVerdict['hostBy']): RouteConfig | undefined => {
      for (const route of bucket) {
        const failed = failedConditions(route, request, undefined)[0];
        considered.push({ route: route.route.name, index: route.index, hostBy: by, failed });
        if (failed === undefined) return route.route;
      }
      return undefined;
    };
    const exact = this.#exact.get(host);
    let chosen = exact === undefined ? undefined : walk(exact, 'exact');
    for (const { suffix, routes } of this.#wildcards) {
      if (chosen !== undefined) break;
      if (host.length > suffix.length && host.endsWith(suffix)) chosen = walk(routes, `*${suffix}`);
    }
    chosen ??= walk(this.#anyHost, 'any');
    const missed =
      chosen !== undefined
        ? []
        : this.#all.map((route) => ({
            route: route.route.name,
            index: route.index,
            failed: failedConditions(route, request, host),
          }));
    return { considered, chosen, missed };
  }
}

/** One route match() looked at: the host bucket it was found in, and the first condition that failed. */
export interface RouteVerdict {
  readonly route: string;
  /** Its position in the config's `routes` (0-based). */
  readonly index: number;
  /** `exact` (its exact host), `*.suffix` (a wildcard host), or `any` (a route without hosts). */
  readonly hostBy: string;
  /** The condition that failed, in words; undefined: it matched. */
  readonly failed: string | undefined;
}

export interface RouteExplanation {
  /** In match()'s order, up to and including the winner. */
  readonly considered: readonly RouteVerdict[];
  readonly chosen: RouteConfig | undefined;
  /** When nothing matched: every route, in declaration order, with every condition it missed. */
  readonly missed: readonly { readonly route: string; readonly index: number; readonly failed: string[] }[];
}

function describeHost(pattern: HostMatch): string {
  return pattern.kind === 'exact' ? pattern.host : `*${pattern.suffix}`;
}

/**
 * The conditions of `route` that `request` fails, in words, in the order matchesRest() checks them
 * (with the host first when `host` is given). The same tests as the matcher, written out so that each
 * says which one failed.
 */
function failedConditions(route: CompiledRoute, request: RouteRequest, host: string | undefined): string[] {
  const failed: string[] = [];
  const hosts = route.route.match.hosts;
  if (
    host !== undefined &&
    hosts.length > 0 &&
    !hosts.some((p) =>
      p.kind === 'exact' ? p.host === host : host.length > p.suffix.length && host.endsWith(p.suffix),
    )
  )
    failed.push(`host '${host}' is not ${hosts.map(describeHost).join(' or ')}`);
  if (!matchesPath(route, request.path)) {
    const how =
      route.pathKind === PATH_EXACT
        ? 'is not'
        : route.pathKind === PATH_PREFIX
          ? 'does not start with'
          : 'does not match regex';
    failed.push(`path '${request.path}' ${how} '${route.pathValue}'`);
  }
  if (route.methods.length > 0 && !route.methods.includes(request.method))
    failed.push(`method ${request.method} is not ${route.methods.join(' or ')}`);
  if (route.sni.length > 0 && !matchesSni(route.sni, request.sni ?? '')) {
    const sni = request.sni ?? '';
    failed.push(
      `${sni === '' ? 'no TLS server name (SNI)' : `SNI '${sni}'`} is not ${route.sni.map(describeHost).join(' or ')}`,
    );
  }
  for (const condition of route.headers) {
    const value = request.header(condition.name);
    if (value === undefined) failed.push(`header ${condition.name} is absent`);
    else if (condition.regex !== undefined) {
      if (!condition.regex.test(value))
        failed.push(`header ${condition.name} '${value}' does not match regex '${condition.regex.source}'`);
    } else if (condition.value !== undefined && value !== condition.value)
      failed.push(`header ${condition.name} '${value}' is not '${condition.value}'`);
  }
  return failed;
}
