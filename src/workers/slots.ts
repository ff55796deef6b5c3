/**
 * The group's worker slots (1..N) and what happens when a slot's worker exits: the decision
 * (decideExit: ignore it, only record it, or replace the worker now or after the backoff) is pure and
 * unit-tested; the group carries it out (logs, timers, forks). Also a slot's line in status().
 */
import type { WorkerStatus, SlotExit } from './group-types.ts';
import { describeExit, type Member, type MemberExit } from './member.ts';
import { RestartBackoff, type RestartDecision, type RestartPolicy } from './restart-backoff.ts';

export interface Slot {
  readonly slot: number;
  readonly backoff: RestartBackoff;
  member: Member | undefined;
  replacements: number;
  lastExit: SlotExit | null;
  /** A replacement waiting out its backoff. */
  timer: NodeJS.Timeout | undefined;
  settleTimer: NodeJS.Timeout | undefined;
}

export function newSlot(slot: number, policy: RestartPolicy): Slot {
  return {
    slot,
    backoff: new RestartBackoff(policy),
    member: undefined,
    replacements: 0,
    lastExit: null,
    timer: undefined,
    settleTimer: undefined,
  };
}

/** A slot's line in status(); `isRunner`: its worker runs the active health checks. */
export function slotStatus(slot: Slot, isRunner: boolean): WorkerStatus {
  const m = slot.member;
  return {
    worker: slot.slot,
    pid: m?.pid ?? 0,
    state: m === undefined ? 'waiting' : m.state,
    servingSince: m?.servingSince ?? 0,
    hash: m?.hash ?? '',
    rss: m?.rss ?? 0,
    heapUsed: m?.heapUsed ?? 0,
    sessions: m?.sessions ?? 0,
    replacements: slot.replacements,
    failures: slot.backoff.failures,
    crashLoop: slot.backoff.crashLoop,
    lastExit: slot.lastExit,
    healthRunner: isRunner,
  };
}

/** What the group knew when a worker exited. */
export interface ExitFacts {
  /** The exited worker is still its slot's (not one a restart replaced, nor a replacement that never served). */
  readonly ownsSlot: boolean;
  /** retire() was called: the exit is on purpose. */
  readonly retiring: boolean;
  readonly closing: boolean;
  /** Every first worker served: before, a death fails the group's start instead. */
  readonly started: boolean;
  /** When it started serving (0: it never did), and when it exited (ms since the epoch). */
  readonly servingSince: number;
  readonly exitAt: number;
}

/**
 * What to do about an exit. `ignore`: the slot's worker is another. `record`: note it as the slot's
 * last exit, nothing more (the group is closing or still starting). `replace`: the slot is empty;
 * fork its replacement after `delayMs` (`restart` is the backoff's verdict on a death, null for a
 * worker retired on purpose, which is replaced at once).
 */
export type ExitAction =
  | { readonly kind: 'ignore' }
  | { readonly kind: 'record' }
  | {
      readonly kind: 'replace';
      readonly delayMs: number;
      readonly uptimeMs: number;
      readonly restart: RestartDecision | null;
    };

const IGNORE: ExitAction = { kind: 'ignore' };
const RECORD: ExitAction = { kind: 'record' };

/** Decides what an exit means for its slot; counts a death in `backoff` (the only state it changes). */
export function decideExit(facts: ExitFacts, backoff: RestartBackoff): ExitAction {
  if (!facts.ownsSlot) return IGNORE;
  if (facts.closing || !facts.started) return RECORD;
  const uptimeMs = facts.servingSince === 0 ? 0 : facts.exitAt - facts.servingSince;
  if (facts.retiring) return { kind: 'replace', delayMs: 0, uptimeMs, restart: null };
  const restart = backoff.died(uptimeMs);
  return { kind: 'replace', delayMs: restart.delayMs, uptimeMs, restart };
}

/** The log line for a worker that died and is being replaced. */
export function deathMessage(slot: number, pid: number, exit: MemberExit, restart: RestartDecision): string {
  if (restart.crashLoop) {
    return `worker ${slot} is in a crash loop (${restart.failures} quick deaths in a row): next start in ${restart.delayMs} ms`;
  }
  return `worker ${slot} (pid ${pid}) died (${describeExit(exit)}): replacing it${restart.delayMs > 0 ? ` in ${restart.delayMs} ms` : ''}`;
}
