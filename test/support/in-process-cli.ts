/**
 * `junction ctl ...args` through the same main() in this process: the command's whole path but the
 * process start, which costs a busy test machine a Node start-up per call. Output is captured; the
 * command must not exit the process.
 */
import { EventEmitter } from 'node:events';
import type { CliContext } from '../../src/cli/cli-context.ts';
import { main } from '../../src/cli/main.ts';
import { withTimeout } from './wait-for.ts';

export async function ctlInProcess(
  args: readonly string[],
  timeoutMs = 15_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const signals = new EventEmitter();
  const context: CliContext = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: {},
    signals: {
      on: (signal, listener) => signals.on(signal, listener),
      off: (signal, listener) => signals.off(signal, listener),
    },
    exit: () => {
      throw new Error('ctl must not exit the process');
    },
  };
  const code = await withTimeout(
    main(['ctl', ...args], context),
    timeoutMs,
    `junction ctl ${args.join(' ')}`,
  );
  return { code, stdout, stderr };
}
