/**
 * Everything the CLI touches outside itself, passed in so commands run in-process under test:
 * output streams, environment, signals, process exit, the logger and the server factory.
 */
import type { JunctionConfig } from '../config/index.ts';
import type { Logger } from '../log/index.ts';

export interface TextSink {
  write(text: string): unknown;
}

/** SIGQUIT too: nginx's graceful stop, which operators (and nginx images' STOPSIGNAL) send by habit. */
export type ShutdownSignal = 'SIGTERM' | 'SIGINT' | 'SIGQUIT';
/** SIGUSR2: restarts the workers of a group; with one process, logged and ignored rather than left to end it silently. */
export type IgnoredSignal = 'SIGUSR2';
/** nginx's convention: reopen the access log files (after logrotate moved them). */
export type ReopenSignal = 'SIGUSR1';
/** Shutdown signals; SIGHUP: re-read the config file; SIGUSR1: reopen logs; ignored ones. */
export type ProcessSignal = ShutdownSignal | 'SIGHUP' | ReopenSignal | IgnoredSignal;

/** Where signals arrive: `process` in production, an EventEmitter in tests. */
export interface SignalSource {
  on<S extends ProcessSignal>(signal: S, listener: (signal: S) => void): unknown;
  off<S extends ProcessSignal>(signal: S, listener: (signal: S) => void): unknown;
}

/** The part of server/'s JunctionServer the CLI uses. */
export interface RunningServer {
  readonly listeners: readonly { readonly name: string; readonly address: string; readonly port: number }[];
  close(graceMs?: number): Promise<void>;
  /** Reopens the access log files by path (SIGUSR1). */
  reopenLogs?(): void;
}

export type StartJunction = (config: JunctionConfig, options: { logger: Logger }) => Promise<RunningServer>;

export interface CliContext {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly signals: SignalSource;
  /** Ends the process now. Only for the second shutdown signal; commands otherwise return a code. */
  exit(code: number): void;
  /** Defaults to createLogger(): JSON lines on stdout. */
  readonly logger?: Logger;
  /** Defaults to server/'s startJunction, loaded only when a command runs a server. */
  readonly startJunction?: StartJunction;
}

/** The real process. Streams are looked up at each write, so tests that spy on them see the output. */
export function processContext(): CliContext {
  return {
    stdout: { write: (text) => process.stdout.write(text) },
    stderr: { write: (text) => process.stderr.write(text) },
    env: process.env,
    signals: process,
    exit: (code) => process.exit(code),
  };
}
