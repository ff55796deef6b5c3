/**
 * The group's periodic work while it runs: rotating the TLS session ticket keys on every worker, and
 * polling each serving worker's memory and sessions for status(). Both timers are unref'd: they never
 * keep the primary alive.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../log/index.ts';
import { describe } from './group-types.ts';
import type { Member } from './member.ts';

/** Every `everyMs`, new keys for every worker (through `setKeys`); undefined when `everyMs` is 0. */
export function startTicketRotation(
  everyMs: number,
  setKeys: (keys: Buffer) => Promise<void>,
  log: Logger,
): NodeJS.Timeout | undefined {
  if (everyMs <= 0) return undefined;
  const timer = setInterval(() => {
    setKeys(randomBytes(48)).then(
      () => {
        log.info('TLS session ticket keys rotated on every worker');
      },
      (error: unknown) => {
        log.warn(
          { err: error },
          `rotating the TLS session ticket keys failed on a worker: ${describe(error)}`,
        );
      },
    );
  }, everyMs);
  timer.unref();
  return timer;
}

/** Polls now and every `everyMs`: each serving worker's RSS, heap in use and sessions. */
export function startStatusPoll(everyMs: number, serving: () => readonly Member[]): NodeJS.Timeout {
  const poll = (): void => {
    for (const member of serving()) {
      member.rpc.request('status', null).then(
        (s) => {
          member.rss = s.rss;
          member.heapUsed = s.heapUsed;
          member.sessions = s.status.sessions;
        },
        () => undefined,
      );
    }
  };
  poll();
  const timer = setInterval(poll, everyMs);
  timer.unref();
  return timer;
}
