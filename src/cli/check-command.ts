/** `junction check -c FILE`: validate a config and list every problem, for editors and CI. */
import { loadConfigIsolated, type JunctionConfig } from '../config/index.ts';
import { ConfigErrors } from '../errors/index.ts';
import type { CliContext } from './cli-context.ts';

/**
 * Loads `file`, or writes each problem to stderr as `file:line:column: message` (one per line, file
 * order) and returns undefined. Errors other than config errors are bugs and propagate. Listen
 * addresses written as names must resolve to `run` (`resolve`); `check` prints a warning (`warn`).
 * Both load in the same worker as reloads (isolated-load.ts): a file that needs more memory or time than
 * it is given is refused with a message instead of aborting the process.
 */
export async function loadOrReport(
  file: string,
  context: CliContext,
  listenAddresses: 'resolve' | 'warn' = 'resolve',
): Promise<JunctionConfig | undefined> {
  try {
    return await loadConfigIsolated(
      { kind: 'file', path: file },
      {
        listenAddresses,
        warn: (problem) => {
          const at =
            problem.at === undefined ? '' : `${problem.at.file}:${problem.at.line}:${problem.at.column}: `;
          context.stderr.write(`${at}warning: ${problem.problem}\n`);
        },
      },
    );
  } catch (error) {
    if (!(error instanceof ConfigErrors)) throw error;
    for (const problem of error.errors) context.stderr.write(`${problem.message}\n`);
    return undefined;
  }
}

/** Exit code 0 and `FILE: OK` on stdout when valid; 1 and the problems on stderr otherwise. */
export async function runCheck(file: string, context: CliContext): Promise<number> {
  const config = await loadOrReport(file, context, 'warn');
  if (config === undefined) return 1;
  // Checked, not served: stop what the rules' load-time resources started (file watchers).
  config.rules?.dispose();
  context.stdout.write(`${file}: OK\n`);
  return 0;
}
