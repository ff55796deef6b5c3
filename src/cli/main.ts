/**
 * cli: the `junction` command. Parses argv, dispatches to a command, and returns the exit status;
 * bin/junction.js sets it on the process.
 * Does not: validate configs (config/) or run the data plane (server/); nothing imports cli/.
 * Uses: config/, server/, log/, errors/.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { configDocument, MAX_WORKERS, rememberDocument, rememberedHash } from '../config/index.ts';
import { createLogger, LOG_LEVELS, parseLogLevel } from '../log/index.ts';
import { processContext, type CliContext } from './cli-context.ts';
import { runCheck, loadOrReport } from './check-command.ts';
import { parsePort, runQuickStart } from './quick-start.ts';
import { runJunction, withListenerPort } from './run-command.ts';
import { parseWorkers, schedulingPolicy } from './run-workers.ts';
import { CTL_USAGE, CtlUsageError, runCtl } from './ctl-command.ts';
import { runExplain, runPreview } from './explain-command.ts';
import { USAGE, readVersion } from './usage.ts';

const USAGE_ERROR = 2;

const CHECK_OPTIONS = {
  config: { type: 'string', short: 'c' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

const RUN_OPTIONS = {
  ...CHECK_OPTIONS,
  'quick-start': { type: 'boolean' },
  port: { type: 'string' },
  watch: { type: 'boolean' },
  workers: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

/** Thrown for bad argv; main() turns it into usage on stderr and exit status 2. */
class UsageError extends Error {}

function parse<T extends ParseArgsConfig['options']>(args: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    // node:util reports unknown flags, missing values and stray arguments as ERR_PARSE_ARGS_* errors.
    if ((error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS') === true) {
      throw new UsageError((error as Error).message);
    }
    throw error;
  }
}

function requireConfig(file: string | undefined, command: string): string {
  if (file === undefined || file === '')
    throw new UsageError(`${command} needs a config file: ${command} -c FILE`);
  return file;
}

function check(args: readonly string[], context: CliContext): Promise<number> | number {
  const values = parse(args, CHECK_OPTIONS);
  if (values.help === true) return help(context);
  return runCheck(requireConfig(values.config, 'check'), context);
}

/**
 * `run` logs at JUNCTION_LOG_LEVEL (any case; unset or empty: info). A level that names none is a
 * usage error, found before anything starts, not a logger's stack trace.
 */
function withLogger(context: CliContext): CliContext {
  const text = context.env['JUNCTION_LOG_LEVEL'] ?? '';
  const level = text === '' ? 'info' : parseLogLevel(text);
  if (level === undefined) {
    throw new UsageError(
      `JUNCTION_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (in any case), got '${text}'`,
    );
  }
  return context.logger === undefined ? { ...context, logger: createLogger({ level }) } : context;
}

async function run(args: readonly string[], given: CliContext): Promise<number> {
  const values = parse(args, RUN_OPTIONS);
  if (values.help === true) return help(given);
  const context = withLogger(given);
  const port = values.port === undefined ? undefined : parsePort(values.port);
  if (values.port !== undefined && port === undefined) {
    throw new UsageError(`--port must be a port number from 0 to 65535, got '${values.port}'`);
  }
  const workers = values.workers === undefined ? undefined : parseWorkers(values.workers);
  if (values.workers !== undefined && workers === undefined) {
    throw new UsageError(
      `--workers must be auto or a whole number from 1 to ${MAX_WORKERS}, got '${values.workers}'`,
    );
  }
  try {
    schedulingPolicy(context);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values['quick-start'] === true) {
    if (values.config !== undefined)
      throw new UsageError('run takes either -c FILE or --quick-start, not both');
    if (workers !== undefined)
      throw new UsageError('--workers needs -c FILE; the quick start runs one process');
    return runQuickStart(port === undefined ? {} : { port }, context);
  }
  const file = requireConfig(values.config, 'run');
  const config = await loadOrReport(file, context);
  if (config === undefined) return 1;
  // The document the file held: `--port` below makes a copy of the config, which has none.
  const live = { file, watch: values.watch === true, document: configDocument(config), workers };
  if (port === undefined) return runJunction(config, context, live);
  if (config.listeners.length !== 1) {
    throw new UsageError(
      `--port needs a config with exactly one listener; this one has ${config.listeners.length}`,
    );
  }
  // A reload keeps the override only while the file still has one listener.
  const adjust = (c: typeof config) => (c.listeners.length === 1 ? withListenerPort(c, port) : c);
  const adjusted = adjust(config);
  // The copy keeps the document and hash it came from, as a reloaded copy does (ConfigStore): worker
  // processes rebuild plugins from the document.
  const hash = rememberedHash(config);
  if (adjusted !== config && live.document !== undefined && hash !== undefined) {
    rememberDocument(adjusted, live.document, hash);
  }
  return runJunction(adjusted, context, { ...live, adjust });
}

function help(context: CliContext): number {
  context.stdout.write(USAGE);
  return 0;
}

async function dispatch(argv: readonly string[], context: CliContext): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return run(rest, context);
    case 'check':
      return check(rest, context);
    case 'explain':
      return runExplain(rest, context);
    case 'preview':
      return runPreview(rest, context);
    case 'ctl':
      try {
        return await runCtl(rest, context);
      } catch (error) {
        if (!(error instanceof CtlUsageError)) throw error;
        context.stderr.write(`junction ctl: ${error.message}\n\n${CTL_USAGE}`);
        return USAGE_ERROR;
      }
    case 'help':
    case '--help':
    case '-h':
      return help(context);
    case 'version':
    case '--version':
    case '-v':
      context.stdout.write(`${readVersion()}\n`);
      return 0;
    case undefined:
      throw new UsageError('no command given');
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

/**
 * Runs the command in `argv` (without node and the script) and resolves with its exit status: 0 ok,
 * 1 invalid config or failure, 2 usage error. `run` resolves only after shutdown.
 */
export async function main(argv: readonly string[], context: CliContext = processContext()): Promise<number> {
  try {
    return await dispatch(argv, context);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    context.stderr.write(`junction: ${error.message}\n\n${USAGE}`);
    return USAGE_ERROR;
  }
}
