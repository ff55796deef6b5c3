import type { BackendConfig } from '../config/types.ts';
import type { UpstreamPool } from '../connector/index.ts';
import type { ErrorCode } from '../errors/index.ts';
import type { Upstream } from '../strategies/index.ts';
import type { FailureWindow } from './passive-health.ts';

/**
 * One backend of a cluster as the Router tracks it: what strategies see, plus its pool and counters.
 *
 * Two judges may take it out of rotation, independently: passive health (outcomes of real requests) and
 * active health (checks); an operator may also drain it. It is up only while none has it down; `isUp` is kept as a plain field,
 * recomputed when either verdict changes, because strategies read it on every selection.
 */
export class UpstreamState implements Upstream {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly weight: number;
  readonly pool: UpstreamPool;
  #isUp = true;
  #passiveDown = false;
  #activeDown = false;
  #draining = false;
  inFlight = 0;
  /** Finished attempts, by result. */
  requests = 0;
  failures = 0;
  consecutiveFailures = 0;

  /** Passive health: how many times in a row it was ejected, until when, and whether it is on trial. */
  ejections = 0;
  ejectedUntil = 0;
  onTrial = false;
  /** Why the last ejection happened, for logs and the health API. */
  ejectionReason = '';
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

  /** Usable by strategies: neither passive nor active health has it down. */
  get isUp(): boolean {
    return this.#isUp;
  }

  /** Passive health has ejected it. */
  get passiveDown(): boolean {
    return this.#passiveDown;
  }

  set passiveDown(down: boolean) {
    this.#passiveDown = down;
    this.#isUp = !down && !this.#activeDown && !this.#draining;
  }

  /** Active checks failed often enough in a row to take it out. */
  get activeDown(): boolean {
    return this.#activeDown;
  }

  set activeDown(down: boolean) {
    this.#activeDown = down;
    this.#isUp = !down && !this.#passiveDown && !this.#draining;
  }

  /** Being drained (the admin API): no new picks; attempts under way finish, then it is removed. */
  get draining(): boolean {
    return this.#draining;
  }

  set draining(draining: boolean) {
    this.#draining = draining;
    this.#isUp = !draining && !this.#passiveDown && !this.#activeDown;
  }
}
