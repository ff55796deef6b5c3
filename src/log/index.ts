/**
 * log: the process logger (pino, JSON lines on stdout) and component child loggers.
 * Components log through `logger.child({ component })`; the hot path logs only on errors. An expected
 * failure (a typed JunctionError, a peer's socket error) is logged with failureFields(): codes, no stack.
 * Failures that repeat while a backend is down go through a RepeatLimiter (one line per key per 10 s).
 */
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';
export { failureFields, type FailureFields } from './failure-fields.ts';

/** The levels a logger can be set to, most verbose first; `silent` logs nothing. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `INFO`, ` Warn ` and `info` all name `info`: operators type levels in any case. Undefined: no level. */
export function parseLogLevel(text: string): LogLevel | undefined {
  const name = text.trim().toLowerCase();
  return LOG_LEVELS.find((level) => level === name);
}

export interface LoggerOptions {
  /** A level name in any case; defaults to JUNCTION_LOG_LEVEL, else `info`. */
  readonly level?: string;
  /** Where lines go; defaults to stdout. */
  readonly destination?: NodeJS.WritableStream;
}

/** Throws a RangeError naming the allowed levels when the level given names none. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const text = options.level ?? (process.env['JUNCTION_LOG_LEVEL'] || 'info');
  const level = parseLogLevel(text);
  if (level === undefined) {
    throw new RangeError(`unknown log level '${text}': use one of ${LOG_LEVELS.join(', ')}`);
  }
  return options.destination
    ? pino({ level, base: { app: 'junction' } }, options.destination)
    : pino({ level, base: { app: 'junction' } });
}

/** A logger that drops everything: the default for embedding and tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
export { RepeatLimiter, REPEAT_WINDOW_MS } from './repeat-limiter.ts';
