/**
 * The request as routing, strategies and hooks see it (RouteRequest, SelectionInput): the head, the
 * client's facts, the route and cluster chosen, and the choices hooks make before dispatch (route,
 * cluster, strategy, upstream). The base of Transaction, so these are plain fields and getters on
 * the one per-request object: no view object is allocated. It reads; the driver decides.
 */
import type { RequestHead } from '../codec/types.ts';
import type { RouteConfig } from '../config/types.ts';
import { HookError } from '../errors/index.ts';
import type { ClusterRuntime } from '../router/index.ts';
import type { SelectionInput } from '../strategies/index.ts';
import type { SessionPort } from './session-port.ts';
import type { RouteRequest, RuntimeSnapshot } from './snapshot.ts';
import { firstField } from './txn-routing.ts';

export abstract class TxnView implements RouteRequest, SelectionInput {
  readonly head: RequestHead;
  readonly snapshot: RuntimeSnapshot;
  /** The client side, lent by the session for this one transaction. */
  readonly port: SessionPort;
  readonly startedAt: number;
  route: RouteConfig | undefined = undefined;
  cluster: ClusterRuntime | undefined = undefined;
  /** A strategy or upstream a hook chose, resolved when the Router is asked. */
  #strategyName: string | undefined = undefined;
  #upstreamChoice: string | undefined = undefined;

  constructor(session: SessionPort, snapshot: RuntimeSnapshot, head: RequestHead) {
    this.port = session;
    this.snapshot = snapshot;
    this.head = head;
    this.startedAt = snapshot.router.now();
  }

  get method(): string {
    return this.head.method;
  }
  get host(): string {
    return this.head.host;
  }
  get path(): string {
    return this.head.path;
  }
  get clientAddress(): string {
    return this.port.clientAddress;
  }
  /** The TLS server name of the connection; '' without TLS or SNI. */
  get sni(): string {
    return this.port.tls?.serverName ?? '';
  }
  header(lowerCaseName: string): string | undefined {
    return firstField(this.head.headers, lowerCaseName);
  }

  /** The strategy a hook chose by name; undefined: the route's or cluster's. */
  get strategyName(): string | undefined {
    return this.#strategyName;
  }
  /** The upstream a hook chose by id; undefined: the strategy picks. */
  get upstreamChoice(): string | undefined {
    return this.#upstreamChoice;
  }

  // What hooks may choose (HookedTransaction), before dispatch.

  chooseRoute(name: string): void {
    const route = this.snapshot.config.routes.find((r) => r.name === name);
    if (route === undefined) throw new HookError(`no route named '${name}'`);
    this.route = route;
    this.cluster = undefined;
  }
  chooseCluster(name: string): void {
    const cluster = this.snapshot.clusters.get(name);
    if (cluster === undefined) throw new HookError(`no cluster named '${name}'`);
    this.cluster = cluster;
  }
  chooseStrategy(name: string): void {
    this.#strategyName = name;
    this.#upstreamChoice = undefined;
  }
  chooseUpstream(id: string): void {
    this.#upstreamChoice = id;
  }
}
