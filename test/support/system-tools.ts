/**
 * System components the tests use for real (Prometheus, systemd-analyze, shells, Chromium): found on
 * PATH, or the test is skipped with a note saying what to install. Under CI (`CI` set, as `.ci/run`
 * does) a missing component fails the test instead, so CI never silently skips.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { TestContext } from 'vitest';

/** The executable `name` on PATH, or undefined. */
export function findTool(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Whether tests run under CI, where a missing component is a failure, not a skip. */
export function underCi(): boolean {
  const ci = process.env['CI'];
  return ci !== undefined && ci !== '';
}

/**
 * The path of executable `name`, or skips the test saying `install` (e.g. "Debian's zsh package
 * (apt-get install zsh)"); under CI it throws instead.
 */
export function requireTool(context: TestContext, name: string, install: string): string {
  const path = findTool(name);
  if (path !== undefined) return path;
  const message = `${name} not found on PATH: install ${install}`;
  if (underCi()) throw new Error(message);
  // The skip note shows only in verbose reporters: say it where every reporter shows it.
  console.warn(`skipped: ${message}`);
  return context.skip(message);
}
