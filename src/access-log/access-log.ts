import type { AccessLogConfig, AccessLogSetting } from '../config/types.ts';
import type { Logger } from '../log/index.ts';
import { formatJson } from './json-line.ts';
import type { AccessRecord } from './record.ts';
import { compileTemplate } from './template.ts';
import { accessLogWriter, type AccessLogWriter } from './writer.ts';

/** One configured access log: which transactions it keeps, how it formats them, where they go. */
export class AccessLog {
  readonly #config: AccessLogConfig;
  readonly #format: (record: AccessRecord) => string;
  readonly #writer: AccessLogWriter;
  readonly #filtered: boolean;
  /** JSON lines are ASCII (json-line.ts); a template's may not be. */
  readonly #ascii: boolean;

  constructor(config: AccessLogConfig, log: Logger) {
    this.#config = config;
    this.#ascii = config.format === 'json';
    if (config.format === 'json') this.#format = formatJson;
    else {
      const compiled = compileTemplate(config.format);
      // The schema compiled it already: a failure here is a bug, and JSON is still a line.
      this.#format = compiled.ok ? compiled.format : formatJson;
    }
    this.#writer = accessLogWriter(config.path, log);
    this.#filtered = config.minStatus > 0 || config.errorsOnly;
  }

  /** Whether a transaction that ended so is logged (the filter, then the sample). */
  wants(status: number, errorCode: string | null): boolean {
    const config = this.#config;
    if (this.#filtered) {
      const byStatus = config.minStatus > 0 && status >= config.minStatus;
      const byError = config.errorsOnly && errorCode !== null;
      if (!byStatus && !byError) return false;
    }
    return config.sample >= 1 || Math.random() < config.sample;
  }

  write(record: AccessRecord): void {
    this.#writer.writeLine(this.#format(record), this.#ascii);
  }
}

/** Built once per config object: configs are immutable, and a reload makes new ones. */
const built = new WeakMap<AccessLogConfig, AccessLog>();

/**
 * The access log in force where a transaction ran: the route's setting, else the listener's, else
 * the top level's; null when that is false (or none is set). Three arguments rather than a list:
 * this runs once per transaction, and a list and its iterator were garbage every time.
 */
export function accessLogFor(
  route: AccessLogSetting | undefined,
  listener: AccessLogSetting | undefined,
  topLevel: AccessLogSetting | undefined,
  log: Logger,
): AccessLog | null {
  const setting = route ?? listener ?? topLevel;
  if (setting === undefined || setting === false) return null;
  let accessLog = built.get(setting);
  if (accessLog === undefined) {
    accessLog = new AccessLog(setting, log);
    built.set(setting, accessLog);
  }
  return accessLog;
}
