/**
 * Steady keep-alive load for tests of what happens under traffic (reloads, restarts, a worker killed):
 * `connections` loops, each sending requests back to back over its own keep-alive connection (a new
 * one when the server closes it), every request bounded in time. It records every failure and what
 * each response said about who served it (a response header the test names).
 */
import { Agent } from 'node:http';
import { request } from './clients.ts';

export interface LoadOutcome {
  readonly ok: number;
  readonly failed: number;
  /** The first failures' messages. */
  readonly errors: readonly string[];
  /** Responses per value of the header (`header`), e.g. per worker pid. */
  readonly byHeader: ReadonlyMap<string, number>;
  /** Statuses other than 200, counted as failures too. */
  readonly badStatuses: readonly number[];
}

export interface SteadyLoad {
  /** Responses so far. */
  readonly ok: number;
  /** Stops the loops (each finishes its request under way) and resolves with the outcome. */
  stop(): Promise<LoadOutcome>;
}

export function steadyLoad(
  port: number,
  options: { connections?: number; header?: string; path?: string; timeoutMs?: number } = {},
): SteadyLoad {
  const header = options.header ?? 'x-worker-pid';
  let running = true;
  let ok = 0;
  let failed = 0;
  const errors: string[] = [];
  const badStatuses: number[] = [];
  const byHeader = new Map<string, number>();
  const loop = async (): Promise<void> => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      while (running) {
        try {
          const response = await request(port, {
            agent,
            path: options.path ?? '/',
            timeoutMs: options.timeoutMs ?? 10_000,
          });
          if (response.status !== 200) {
            failed++;
            badStatuses.push(response.status);
            continue;
          }
          ok++;
          const value = String(response.headers[header] ?? '');
          byHeader.set(value, (byHeader.get(value) ?? 0) + 1);
        } catch (error) {
          failed++;
          if (errors.length < 20) errors.push(error instanceof Error ? error.message : String(error));
        }
      }
    } finally {
      agent.destroy();
    }
  };
  const loops = Array.from({ length: options.connections ?? 4 }, loop);
  return {
    get ok() {
      return ok;
    },
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return { ok, failed, errors, byHeader, badStatuses };
    },
  };
}
