import type { BackendConfig } from '../config/types.ts';
import type { UpstreamPool } from '../connector/index.ts';
import type { Upstream } from '../strategies/index.ts';

/** One backend of a cluster as the Router tracks it: what strategies see, plus its pool and counters. */
export class UpstreamState implements Upstream {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly weight: number;
  readonly pool: UpstreamPool;
  isUp = true;
  inFlight = 0;
  /** Finished attempts, by result. */
  requests = 0;
  failures = 0;
  consecutiveFailures = 0;
  /** Passive health: how many times in a row it was ejected, until when, and whether it is on trial. */
  ejections = 0;
  ejectedUntil = 0;
  onTrial = false;

  constructor(backend: BackendConfig, pool: UpstreamPool) {
    this.id = backend.id;
    this.host = backend.host;
    this.port = backend.port;
    this.weight = backend.weight;
    this.pool = pool;
  }
}
