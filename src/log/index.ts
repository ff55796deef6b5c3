/**
 * log: the process logger (pino, JSON lines on stdout) and component child loggers.
 * Components log through `logger.child({ component })`; the hot path logs only on errors. An expected
 * failure (a typed JunctionError, a peer's socket error) is logged with failureFields(): codes, no stack.
 */
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';
export { failureFields, type FailureFields } from './failure-fields.ts';

export interface LoggerOptions {
  readonly level?: string;
  /** Where lines go; defaults to stdout. */
  readonly destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env['JUNCTION_LOG_LEVEL'] ?? 'info';
  return options.destination
    ? pino({ level, base: { app: 'junction' } }, options.destination)
    : pino({ level, base: { app: 'junction' } });
}

/** A logger that drops everything: the default for embedding and tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
