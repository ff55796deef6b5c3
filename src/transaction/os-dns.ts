/**
 * os-dns (Traffic Server's OS_DNS): an attempt the Router holds once it chose the backend, before any
 * connection, while the transaction's os-dns hooks run; then it connects to that backend or to the
 * one a hook chose (setUpstream). Junction resolves a backend's name in the connection pool as it
 * connects (pooled connections need none), so the hooks see the backend's configured address.
 */
import { HookError } from '../errors/index.ts';
import type { Router, RouterLease } from '../router/index.ts';
import type { Upstream } from '../strategies/index.ts';

export class HeldAttempt {
  readonly lease: RouterLease;
  /** The backend the strategy chose for this attempt. */
  readonly chosen: Upstream;
  #instead: Upstream | undefined = undefined;

  constructor(lease: RouterLease, chosen: Upstream) {
    this.lease = lease;
    this.chosen = chosen;
  }

  /** setUpstream() in os-dns: this attempt goes to another backend of the cluster. */
  redirect(id: string): void {
    const cluster = this.lease.cluster;
    const upstream = cluster.upstreams.find((u) => u.id === id);
    if (upstream === undefined) throw new HookError(`cluster '${cluster.name}' has no backend '${id}'`);
    this.#instead = upstream;
  }

  /** The hooks are done: the attempt connects. */
  proceed(router: Router): void {
    router.proceed(this.lease, this.#instead);
  }

  /** The transaction ended while the attempt was held: the Router drops the lease. */
  drop(router: Router): void {
    if (!this.lease.abandoned) router.abandon(this.lease);
  }
}
