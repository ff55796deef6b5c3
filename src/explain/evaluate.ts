/**
 * The evaluator: what Junction would do with one request under one config, walked in the
 * transaction's own order (transaction/phases.ts): the listener, the rules of txn-open, ua-req and
 * pre-remap, the route (RouteTable.explain(), the matcher's own order), the remap and post-remap
 * rules, the cluster and strategy, the backend, the proxy-req rules; or the answer Junction gives
 * itself (404, a rule's reply or redirect, a listener's redirect to HTTPS) where the walk stops.
 * Rules run against a RecordingContext; plugins' hooks are listed, not run; nothing is sent.
 */
import type { RequestHead } from '../codec/index.ts';
import type {
  ClusterConfig,
  JunctionConfig,
  ListenerConfig,
  RouteConfig,
  StrategyConfig,
} from '../config/index.ts';
import { ERROR_CODES, type ErrorCode } from '../errors/index.ts';
import { HOOK_INDEX, TXNBOX_HOOK_NAMES, type TxnHookName, type TxnTimeouts } from '../hooks/index.ts';
import { RouteTable, type RouteRequest } from '../routes/index.ts';
import { httpsLocation } from '../session/https-redirect.ts';
import { BUILTIN_STRATEGIES, type SelectionInput } from '../strategies/index.ts';
import {
  backendViews,
  pickBackend,
  type BackendPick,
  type BackendView,
  type HealthLookup,
} from './backend-pick.ts';
import {
  globalRuleSteps,
  pluginHooks,
  routeRuleSteps,
  ruleHookPoints,
  type PluginHooks,
  type RuleStep,
} from './hook-steps.ts';
import { withHsts } from '../transaction/hsts.ts';
import { isIdempotent } from '../transaction/request-body.ts';
import { upgradeDecision } from '../transaction/upgrade.ts';
import { RecordingContext, type RecordedEffect } from './recording-context.ts';
import { sniBinding } from './sni-binding.ts';
import { requestHead, requestTarget, type ExplainRequest } from './request.ts';
import { requestChanges, requestState, type RequestState } from './request-state.ts';
import { responseSide, RESPONSE_HOOKS, type ResponseSide } from './response-side.ts';

export interface ListenerChoice {
  readonly name: string;
  readonly scheme: 'http' | 'https';
  readonly address: string;
  readonly port: number;
  /** How it was chosen, when not by the URL's scheme and port. */
  readonly note: string | undefined;
}

/** One rule that ran: where, and what it changed. */
export interface RuleRun {
  readonly hook: string;
  readonly rule: string;
  /** Changes to the request (`path: /a -> /b`, `field X-A: set 1`) and choices (`cluster: eu`). */
  readonly changes: readonly string[];
  /** Set when the rule threw: the transaction ends with a 500. */
  readonly error: string | undefined;
}

export interface RouteStep {
  readonly route: string;
  readonly hostBy: string;
  readonly failed: string | undefined;
}

/** How the request ends, as far as Junction decides before any backend answers. */
export interface Outcome {
  /** `proxy`: sent to a backend; `local`: Junction answers itself (an error, a rule's reply or redirect). */
  readonly kind: 'proxy' | 'local';
  /** The status of a local answer; undefined when a backend answers. */
  readonly status: number | undefined;
  readonly location: string | undefined;
  /** The error code of a local answer Junction gives on its own (404, 503…). */
  readonly code: ErrorCode | undefined;
  readonly why: string;
}

export interface Explanation {
  readonly request: {
    readonly method: string;
    readonly url: string;
    readonly client: string;
    readonly sni: string;
  };
  readonly listener: ListenerChoice | undefined;
  readonly rules: readonly RuleRun[];
  readonly routing: {
    readonly considered: readonly RouteStep[];
    /** When no route matched: the closest routes and what each missed. */
    readonly closest: readonly { readonly route: string; readonly missed: readonly string[] }[];
    /** `match`, or `rule` when a rule chose it; undefined when routing did not run. */
    readonly chosenBy: 'match' | 'rule' | undefined;
  };
  readonly route: string | undefined;
  readonly cluster:
    | {
        readonly name: string;
        readonly chosenBy: 'route' | 'rule';
        readonly strategy: { readonly name: string; readonly kind: string; readonly chosenBy: string };
        readonly backends: readonly BackendView[];
        readonly pick: BackendPick;
      }
    | undefined;
  /** The request as it would go upstream (after every rule up to proxy-req). */
  readonly upstreamRequest: RequestState | undefined;
  readonly retries:
    | {
        readonly attempts: number;
        readonly onConnectFailure: boolean;
        readonly onReset: boolean;
        readonly onTimeout: boolean;
        readonly onStatuses: readonly number[];
        readonly idempotent: boolean;
        readonly note: string;
      }
    | undefined;
  readonly timeouts: TxnTimeouts;
  readonly plugins: PluginHooks;
  /**
   * Rules at upstream-rsp and proxy-rsp: listed as depending on the response, or run against the
   * response the request assumes (ExplainRequest.response); undefined when there are none.
   */
  readonly response: ResponseSide | undefined;
  /** What explain does not judge: txn-close rules, strict SNI binding without an SNI. */
  readonly notRun: readonly string[];
  readonly outcome: Outcome;
}

export interface ExplainOptions {
  /** Live health (ctl explain); offline every backend is up. */
  readonly health?: HealthLookup | undefined;
  /** Skip calling plugins' setup() to list their hooks. */
  readonly skipPlugins?: boolean | undefined;
  /**
   * The plugins' hooks by point as a running process registered them (ctl explain), instead of
   * setting up a second instance of each plugin; wins over skipPlugins.
   */
  readonly pluginHooks?: ((route: string | undefined) => Promise<PluginHooks>) | undefined;
  /** The ports listeners are bound to, by name, when they differ from the config's (port 0). */
  readonly boundPorts?: ReadonlyMap<string, number> | undefined;
  /** The config's route table when the caller has one compiled (a running snapshot). */
  readonly routes?: RouteTable | undefined;
}

/** The listener the request arrives on: the URL's scheme and port, else the first of its scheme. */
export function chooseListener(
  config: JunctionConfig,
  scheme: 'http' | 'https' | undefined,
  port: number | undefined,
  name?: string,
  boundPorts?: ReadonlyMap<string, number>,
): ListenerChoice | undefined {
  const http = config.listeners
    .filter((l) => l.tcp === undefined)
    .map((l) => {
      const bound = boundPorts?.get(l.name);
      return bound === undefined ? l : { ...l, port: bound };
    });
  const schemeOf = (l: ListenerConfig): 'http' | 'https' => (l.tls === undefined ? 'http' : 'https');
  const view = (l: ListenerConfig, note: string | undefined): ListenerChoice => ({
    name: l.name,
    scheme: schemeOf(l),
    address: l.address,
    port: l.port,
    note,
  });
  const named = name === undefined ? undefined : http.find((l) => l.name === name);
  if (named !== undefined) return view(named, undefined);
  const exact = http.find((l) => l.port === port && (scheme === undefined || schemeOf(l) === scheme));
  if (exact !== undefined) return view(exact, undefined);
  const sameScheme = http.find((l) => scheme === undefined || schemeOf(l) === scheme);
  const chosen = sameScheme ?? http[0];
  if (chosen === undefined) return undefined;
  const why =
    port === undefined ? 'the URL names no port' : `no ${scheme ?? 'HTTP'} listener on port ${port}`;
  return view(chosen, `${why}: taken as if sent to this listener`);
}

class Walk {
  readonly ctx: RecordingContext;
  readonly rules: RuleRun[] = [];
  failed: string | undefined = undefined;
  #hook: TxnHookName = 'txn-start';

  constructor(ctx: RecordingContext) {
    this.ctx = ctx;
  }

  /** Runs `steps` (and hooks rules added for this point) at `hook`; stops at the first that throws. */
  run(hook: TxnHookName, steps: readonly RuleStep[]): void {
    this.#hook = hook;
    this.ctx.enter(hook);
    const added = this.ctx.added.filter((a) => a.hook === hook);
    const all = [
      ...steps,
      ...added.map((a, i) => ({
        label: `hook ${i + 1} a rule added for ${TXNBOX_HOOK_NAMES[hook]}`,
        run: a.run,
      })),
    ];
    for (const step of all) {
      if (this.failed !== undefined) return;
      const before = requestState(this.ctx.head);
      const vars = new Map(this.ctx.vars);
      this.ctx.effects = [];
      let error: string | undefined;
      try {
        const result = step.run(this.ctx);
        if (result !== undefined) error = 'a rule hook returned a promise (rules are synchronous)';
      } catch (thrown) {
        error = thrown instanceof Error ? thrown.message : String(thrown);
        this.failed = `${step.label}: ${error}`;
      }
      const changes = [
        ...requestChanges(before, requestState(this.ctx.head)),
        ...varChanges(vars, this.ctx.vars),
        ...this.ctx.effects.map(describeEffect),
      ];
      if (changes.length > 0 || error !== undefined)
        this.rules.push({ hook: TXNBOX_HOOK_NAMES[this.#hook], rule: step.label, changes, error });
    }
  }
}

function describeEffect(effect: RecordedEffect): string {
  return `${effect.kind}: ${effect.value}`;
}

function varChanges(before: ReadonlyMap<string, unknown>, after: ReadonlyMap<string, unknown>): string[] {
  const out: string[] = [];
  for (const [name, value] of after) {
    if (before.get(name) !== value) out.push(`var ${name} = ${String(value)}`);
  }
  return out;
}

function local(status: number, why: string, code?: ErrorCode, location?: string): Outcome {
  return { kind: 'local', status, location, code, why };
}

function errorAnswer(code: ErrorCode, why: string): Outcome {
  return local(ERROR_CODES[code].status ?? 500, why, code);
}

function routeRequestOf(head: RequestHead, sni: string): RouteRequest {
  return {
    get host() {
      return head.host;
    },
    get path() {
      return head.path;
    },
    get method() {
      return head.method;
    },
    sni,
    header(lowerName: string) {
      for (let i = 0; i < head.headers.length; i += 2)
        if (head.headers[i]!.toLowerCase() === lowerName) return head.headers[i + 1];
      return undefined;
    },
  };
}

const CLOSEST = 3;

/** Explains `request` under `config`. Throws ExplainInputError for a request Junction would refuse. */
export async function explain(
  config: JunctionConfig,
  request: ExplainRequest,
  options: ExplainOptions = {},
): Promise<Explanation> {
  const target = requestTarget(request.url);
  const listener = chooseListener(config, target.scheme, target.port, request.listener, options.boundPorts);
  const head = requestHead(request, target, config);
  const client = request.client ?? '127.0.0.1';
  const sni = request.sni ?? (listener?.scheme === 'https' ? head.host : '');
  const base = {
    request: { method: head.method, url: request.url, client, sni },
    listener,
    timeouts: config.timeouts,
  };
  const empty = {
    rules: [],
    routing: { considered: [], closest: [], chosenBy: undefined },
    route: undefined,
    cluster: undefined,
    upstreamRequest: undefined,
    retries: undefined,
    plugins: {},
    response: undefined,
    notRun: [],
  };
  if (listener === undefined)
    return { ...base, ...empty, outcome: local(0, 'the config has no HTTP listener') };
  const listenerConfig = config.listeners.find((l) => l.name === listener.name)!;
  if (listenerConfig.redirectToHttps !== undefined) {
    const redirect = listenerConfig.redirectToHttps;
    if (head.host === '')
      return { ...base, ...empty, outcome: local(400, 'a request without Host cannot be redirected') };
    const location = httpsLocation(head, redirect.port);
    return {
      ...base,
      ...empty,
      outcome: local(
        redirect.status,
        `listener '${listener.name}' redirects every request to HTTPS`,
        undefined,
        location,
      ),
    };
  }

  const ctx = new RecordingContext(config, head, {
    clientAddress: client,
    clientPort: 40000,
    localAddress: listener.address,
    localPort: listener.port,
    scheme: listener.scheme,
    sni,
    protocol: 'http/1.1',
    transactions: 1,
  });
  const walk = new Walk(ctx);
  // Response rules are the response side's; what runs after the response (txn-close) is only named,
  // and so are the cache's points and os-dns: they depend on what is stored and on the backend picked.
  const responseHooks = ruleHookPoints(config)
    .filter((h) => HOOK_INDEX[h] > HOOK_INDEX['post-remap'] && h !== 'send-request')
    .filter((h) => !(RESPONSE_HOOKS as readonly TxnHookName[]).includes(h))
    .map((h) =>
      HOOK_INDEX[h] < HOOK_INDEX['send-request']
        ? `${TXNBOX_HOOK_NAMES[h]} (depends on the cache and the backend picked)`
        : TXNBOX_HOOK_NAMES[h],
    );
  if (
    listenerConfig.tls?.strictSniBinding === true &&
    sniBinding(listenerConfig, sni, head.host) === undefined
  )
    responseHooks.unshift('strict_sni_binding (its certificates could not be loaded here)');
  let route: RouteConfig | undefined;
  const routing: {
    considered: RouteStep[];
    closest: { route: string; missed: string[] }[];
    chosenBy: 'match' | 'rule' | undefined;
  } = {
    considered: [],
    closest: [],
    chosenBy: undefined,
  };
  const finish = async (outcome: Outcome, extra: Partial<Explanation> = {}): Promise<Explanation> => ({
    ...base,
    rules: walk.rules,
    routing,
    route: route?.name,
    cluster: undefined,
    upstreamRequest: undefined,
    retries: undefined,
    plugins:
      options.pluginHooks !== undefined
        ? await options.pluginHooks(route?.name)
        : options.skipPlugins === true
          ? {}
          : await pluginHooks(config, route),
    // A local answer's response rules are listed; a proxied one's run against an assumed response.
    response: withRouteHsts(
      responseSide(config, ctx, outcome.kind === 'proxy' ? request.response : undefined),
      route,
      listener.scheme,
    ),
    notRun: responseHooks,
    ...extra,
    timeouts: ctx.timeouts,
    outcome,
  });
  const answered = (): Outcome | undefined => {
    if (walk.failed !== undefined) return errorAnswer('JCT_ERR_HOOK_FAILED', walk.failed);
    const answer = ctx.answer;
    if (answer === undefined) return undefined;
    const location = answer.headers?.['location'];
    return local(
      answer.status,
      location === undefined ? 'a rule answers' : 'a rule redirects',
      undefined,
      location,
    );
  };

  // txn-open, ua-req, pre-remap: the top-level rules, in that order.
  for (const hook of ['txn-start', 'read-request', 'pre-remap'] as const) {
    walk.run(hook, globalRuleSteps(config, hook));
    const outcome = answered();
    if (outcome !== undefined) return finish(outcome);
  }

  // Routing (txn-routing.ts): a Host the connection's certificate does not cover is misdirected first
  // (strict_sni_binding); then a route a rule chose stays, else the matcher's.
  const binding = sniBinding(listenerConfig, sni, head.host);
  if (binding !== undefined && !binding.covered)
    return finish(
      errorAnswer(
        'JCT_ERR_HTTP_MISDIRECTED',
        `strict_sni_binding: Host '${head.host}' is not a name of certificate '${binding.certificate}' (${binding.names.join(', ')}), served for SNI '${sni}'`,
      ),
    );
  if (ctx.route !== undefined) {
    route = config.routes.find((r) => r.name === ctx.route);
    routing.chosenBy = 'rule';
  } else {
    const table = options.routes ?? new RouteTable(config.routes);
    const result = table.explain(routeRequestOf(head, sni));
    routing.considered = result.considered.map((v) => ({
      route: v.route,
      hostBy: v.hostBy,
      failed: v.failed,
    }));
    route = result.chosen;
    if (route === undefined) {
      // Fewest misses first; among equals, the one the matcher tried first (the more specific).
      const tried = (name: string) => {
        const at = result.considered.findIndex((v) => v.route === name);
        return at === -1 ? Infinity : at;
      };
      routing.closest = [...result.missed]
        .sort(
          (a, b) => a.failed.length - b.failed.length || tried(a.route) - tried(b.route) || a.index - b.index,
        )
        .slice(0, CLOSEST)
        .map((m) => ({ route: m.route, missed: m.failed }));
      return finish(errorAnswer('JCT_ERR_ROUTE_NOT_FOUND', 'no route matches'));
    }
    routing.chosenBy = 'match';
  }
  if (route === undefined) return finish(errorAnswer('JCT_ERR_ROUTE_NOT_FOUND', 'no route matches'));
  ctx.route = route.name;
  const clusterByRule = ctx.cluster !== undefined;
  ctx.cluster ??= route.cluster;
  const maxBody = route.maxBodyBytes ?? config.limits.maxBodyBytes;
  if (head.bodyKind === 'length' && head.contentLength > maxBody)
    return finish(
      errorAnswer(
        'JCT_ERR_HTTP_BODY_TOO_LARGE',
        `Content-Length ${head.contentLength} is over the route's ${maxBody}`,
      ),
    );
  if (head.upgrade && upgradeDecision(head, route.upgrade) === 'refused')
    return finish(
      errorAnswer('JCT_ERR_UPGRADE_REFUSED', `route '${route.name}' does not forward this upgrade`),
    );

  // remap (top-level remap rules, then the route's own), post-remap.
  walk.run('remap', [...globalRuleSteps(config, 'remap'), ...routeRuleSteps(config, route.name)]);
  let outcome = answered();
  if (outcome !== undefined) return finish(outcome);
  const clusterBefore = ctx.cluster;
  walk.run('post-remap', globalRuleSteps(config, 'post-remap'));
  outcome = answered();
  if (outcome !== undefined) return finish(outcome);

  // Dispatch: the cluster, its strategy, the backend.
  const cluster = config.clusters.get(ctx.cluster);
  if (cluster === undefined) return finish(errorAnswer('JCT_ERR_NO_UPSTREAM', `no cluster '${ctx.cluster}'`));
  const chosenBy: 'route' | 'rule' =
    clusterByRule || ctx.cluster !== route.cluster || clusterBefore !== ctx.cluster ? 'rule' : 'route';
  if (ctx.upstreamId !== undefined && !cluster.backends.some((b) => b.id === ctx.upstreamId))
    return finish(
      errorAnswer('JCT_ERR_HOOK_FAILED', `cluster '${cluster.name}' has no backend '${ctx.upstreamId}'`),
    );
  const strategy = strategyOf(config, cluster, route, ctx.strategyName);
  const plugin =
    config.strategyPlugins.get(strategy.config.kind) ?? BUILTIN_STRATEGIES.get(strategy.config.kind);
  const backends = backendViews(cluster, options.health);
  const input: SelectionInput = {
    method: head.method,
    host: head.host,
    path: head.path,
    clientAddress: client,
    header: (name) => routeRequestOf(head, sni).header(name),
  };
  const pick: BackendPick =
    plugin === undefined
      ? { backend: undefined, deterministic: false, candidates: [], none: false }
      : pickBackend(plugin, strategy.config, backends, input, ctx.upstreamId);
  const clusterView = {
    name: cluster.name,
    chosenBy,
    strategy: {
      name: ctx.upstreamId !== undefined ? `backend ${ctx.upstreamId}` : strategy.config.name,
      kind: ctx.upstreamId !== undefined ? 'pinned' : strategy.config.kind,
      chosenBy: ctx.upstreamId !== undefined ? 'rule' : strategy.by,
    },
    backends,
    pick,
  };
  const retry = cluster.retry;
  const retries = {
    attempts: retry.attempts,
    onConnectFailure: true,
    onReset: retry.onReset,
    onTimeout: retry.onTimeout,
    onStatuses: [...retry.onStatuses].sort((a, b) => a - b),
    idempotent: isIdempotent(head.method),
    note: isIdempotent(head.method)
      ? 'a failed connect, and (idempotent request) a reset, a timeout or a listed status, within the retry budget'
      : `a failed connect only: ${head.method} is not idempotent`,
  };
  if (pick.none)
    return finish(errorAnswer('JCT_ERR_NO_UPSTREAM', `no backend of cluster '${cluster.name}' is up`), {
      cluster: clusterView,
      retries,
    });

  // proxy-req: with the backend chosen (when known).
  ctx.upstream =
    pick.backend === undefined ? undefined : backends.find((b) => b.id === pick.backend)?.address;
  walk.run('send-request', globalRuleSteps(config, 'send-request'));
  outcome = answered();
  if (outcome !== undefined) return finish(outcome, { cluster: clusterView, retries });
  return finish(
    {
      kind: 'proxy',
      status: undefined,
      location: undefined,
      code: undefined,
      why: `proxied to cluster '${cluster.name}'`,
    },
    { cluster: clusterView, retries, upstreamRequest: requestState(head) },
  );
}

/** The response the client gets carries the route's HSTS over HTTPS, unless it has its own (hsts.ts). */
function withRouteHsts(
  side: ResponseSide | null,
  route: RouteConfig | undefined,
  scheme: 'http' | 'https',
): ResponseSide | undefined {
  if (side === null) return undefined;
  const final = side.final;
  if (final === null || route?.hsts === undefined || scheme !== 'https') return side;
  const flat = final.headers.flatMap(([name, value]) => [name, value]);
  const extra = withHsts(undefined, route.hsts, flat) ?? [];
  const added: [string, string][] = [];
  for (let i = 0; i < extra.length; i += 2) added.push([extra[i]!, extra[i + 1]!]);
  return { ...side, final: { ...final, headers: [...final.headers, ...added] } };
}

/** The strategy in force, as txn-routing.ts's strategyFor() decides it (a pinned backend aside). */
function strategyOf(
  config: JunctionConfig,
  cluster: ClusterConfig,
  route: RouteConfig,
  byRule: string | undefined,
): { config: StrategyConfig; by: string } {
  if (byRule !== undefined)
    return {
      config: config.strategies.get(byRule) ?? { name: byRule, kind: byRule, options: {} },
      by: 'rule',
    };
  if (route.strategy !== undefined) return { config: route.strategy, by: 'route' };
  return { config: cluster.strategy, by: 'cluster' };
}
