import type { BackendConfig } from '../config/types.ts';
import type { UpstreamPool } from '../connector/index.ts';
import type { ErrorCode } from '../errors/index.ts';
import type { Upstream } from '../strategies/index.ts';
import type { FailureWindow } from './failure-window.ts';

/**
 * One backend of a cluster as the Router tracks it: what strategies see, plus its pool and counters.
 *
 * Two judges may take it out of rotation, independently: passive health (outcomes of real requests) and
 * active health (checks); an operator may also drain it. It is healthy while no judge has it down and it
 * is not draining. What strategies read, `isUp`, is whether it may be picked now: healthy, or its
 * cluster is in panic mode (too few healthy backends, see ClusterRuntime) and it is not draining; and in
 * both cases not on trial with its trial request still out. Kept as plain fields, recomputed when a
 * verdict changes, because strategies read `isUp` on every selection.
 */
export class UpstreamState implements Upstream {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly weight: number;
  readonly pool: UpstreamPool;
  #healthy = true;
  #eligible = true;
  #panic = false;
  #passiveDown = false;
  #activeDown = false;
  #draining = false;
  inFlight = 0;
  /** Finished attempts, by result. */
  requests = 0;
  failures = 0;
  /** Failures charged to it in a row, one at most per request (see request-health.ts). */
  consecutiveFailures = 0;

  /** Passive health: how many times in a row it was ejected, until when, and whether it is on trial. */
  ejections = 0;
  /** Ejections in all (never reset), for metrics. */
  ejectionsTotal = 0;
  ejectedUntil = 0;
  onTrial = false;
  /** On trial with its trial request out: no other request may pick it until that one decides. */
  trialHeld = false;
  /** Why the last ejection happened, for logs and the health API. */
  ejectionReason = '';
  /** Why an ejection was due but the cap refused it; '' unless so (so it is logged once). */
  spared = '';
  /** Recent outcomes for the failure-rate rule; created on first use when that rule is on. */
  failureWindow: FailureWindow | undefined = undefined;

  /** Active health: checks in a row that passed and that failed, and what the last one saw. */
  checkSuccesses = 0;
  checkFailures = 0;
  /** The last check's response status, or 0 if it got none. */
  lastCheckStatus = 0;
  /** Why the last check failed (an error code when it got no usable response), or undefined if it passed. */
  lastCheckError: ErrorCode | undefined = undefined;
  /** How many checks have finished. */
  checks = 0;

  constructor(backend: BackendConfig, pool: UpstreamPool) {
    this.id = backend.id;
    this.host = backend.host;
    this.port = backend.port;
    this.weight = backend.weight;
    this.pool = pool;
  }

  /** May strategies pick it now: healthy or in panic, not draining, and no trial request out. */
  get isUp(): boolean {
    return this.#eligible && !this.trialHeld;
  }

  /** Neither passive nor active health has it down, and it is not draining. */
  get healthy(): boolean {
    return this.#healthy;
  }

  /** Its cluster is in panic mode: health is ignored, any backend not draining may be picked. */
  get panic(): boolean {
    return this.#panic;
  }

  set panic(panic: boolean) {
    this.#panic = panic;
    this.#update();
  }

  /** Passive health has ejected it. */
  get passiveDown(): boolean {
    return this.#passiveDown;
  }

  set passiveDown(down: boolean) {
    this.#passiveDown = down;
    this.#update();
  }

  /** Active checks failed often enough in a row to take it out. */
  get activeDown(): boolean {
    return this.#activeDown;
  }

  set activeDown(down: boolean) {
    this.#activeDown = down;
    this.#update();
  }

  /** Being drained (the admin API): no new picks; attempts under way finish, then it is removed. */
  get draining(): boolean {
    return this.#draining;
  }

  set draining(draining: boolean) {
    this.#draining = draining;
    this.#update();
  }

  #update(): void {
    this.#healthy = !this.#passiveDown && !this.#activeDown && !this.#draining;
    this.#eligible = this.#healthy || (this.#panic && !this.#draining);
  }
}
