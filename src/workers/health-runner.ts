/**
 * Which worker runs the active health checks (one at a time; the others follow its results): the
 * first worker forked while no live one runs them takes the role; when the runner exits or is
 * restarted, the next serving worker is elected; a new follower starts from the runner's state; and
 * the runner's `health-event` notices are relayed to every other serving worker.
 */
import type { Logger } from '../log/index.ts';
import { describe } from './group-types.ts';
import type { Member } from './member.ts';
import type { HealthRole, Notices } from './messages.ts';

export class HealthRunner {
  readonly #log: Logger;
  #runner: Member | undefined;

  constructor(log: Logger) {
    this.#log = log;
  }

  is(member: Member): boolean {
    return member === this.#runner;
  }

  /** Makes `member` (being forked) the runner if no live worker is; returns whether it runs the checks. */
  claim(member: Member): boolean {
    const runs = this.#runner === undefined || this.#runner.exit !== undefined;
    if (runs) this.#runner = member;
    return runs;
  }

  /** The runner exited or is being retired: the first of `serving` runs the checks from now on. */
  elect(serving: readonly Member[]): void {
    const next = serving[0];
    this.#runner = next;
    if (next === undefined) return;
    this.#log.info(
      { worker: next.slot, pid: next.pid },
      `worker ${next.slot} now runs the active health checks`,
    );
    next.rpc.request('health-role', { role: 'run' satisfies HealthRole }).catch((error: unknown) => {
      this.#log.warn({ worker: next.slot, err: error }, 'could not hand the health checks over');
    });
  }

  /** A new follower starts from what the runner has found so far (else it would wait for a change). */
  async follow(member: Member): Promise<void> {
    const runner = this.#runner;
    if (runner === undefined || runner === member || runner.state !== 'serving') return;
    try {
      const state = await runner.rpc.request('health-state', null);
      await member.rpc.request('health-role', { role: 'follow', state });
    } catch (error) {
      this.#log.warn(
        { worker: member.slot, err: error },
        `the runner's health state was not passed on: ${describe(error)}`,
      );
    }
  }

  /** A `health-event` from `from`: only the runner's count, and go to every other serving worker. */
  relay(from: Member, body: Notices['health-event'], serving: readonly Member[]): void {
    if (from !== this.#runner) return;
    for (const other of serving) if (other !== from) other.rpc.notify('health-event', body);
  }
}
