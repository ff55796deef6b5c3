/**
 * cli: the `junction` command. Parses argv, dispatches to a command (run, check, ctl, schema,
 * completion, version, help), and returns the exit status; bin/junction.js sets it on the process.
 * What it accepts is one table (cli-spec.ts) that parsing, suggestions and completion scripts share;
 * each command's help text is in usage.ts.
 * Does not: validate configs (config/) or run the data plane (server/); nothing imports cli/.
 * Uses: config/, server/, log/, errors/.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { configDocument, MAX_WORKERS, rememberDocument, rememberedHash } from '../config/index.ts';
import { createLogger, LOG_LEVELS, parseLogLevel } from '../log/index.ts';
import { processContext, type CliContext } from './cli-context.ts';
import { runCheck, loadOrReport } from './check-command.ts';
import { runQuickStart } from './quick-start.ts';
import { runJunction, withListenerPort } from './run-command.ts';
import { loadWithFleet } from './run-fleet.ts';
import { parseWorkers, schedulingPolicy } from './run-workers.ts';
import { CTL_USAGE, CtlUsageError, runCtl } from './ctl-command.ts';
import {
  CHECK_OPTIONS,
  COMMANDS,
  HELP_OPTIONS,
  RUN_OPTIONS,
  SHELLS,
  describeParseError,
  isCommand,
  parsePort,
  unknownWord,
  type CommandName,
} from './cli-spec.ts';
import { completionScript } from './completion-command.ts';
import { EXPLAIN_USAGE, runExplain, runPreview } from './explain-command.ts';
import { runSchema } from './schema-command.ts';
import {
  CHECK_USAGE,
  COMPLETION_USAGE,
  RUN_USAGE,
  SCHEMA_USAGE,
  USAGE,
  VERSION_USAGE,
  readVersion,
} from './usage.ts';

const USAGE_ERROR = 2;

const HELP_TEXT: Readonly<Record<CommandName, string>> = {
  run: RUN_USAGE,
  check: CHECK_USAGE,
  explain: EXPLAIN_USAGE,
  preview: EXPLAIN_USAGE,
  ctl: CTL_USAGE,
  schema: SCHEMA_USAGE,
  completion: COMPLETION_USAGE,
  version: VERSION_USAGE,
  help: USAGE,
};

/**
 * Thrown for bad argv or environment; main() writes the message and a pointer to the command's help
 * on stderr, and exits 2. `hint: false` for problems with the environment, where the options would
 * not help: the one line says everything.
 */
class UsageError extends Error {
  readonly command: CommandName | undefined;
  readonly hint: boolean;
  constructor(message: string, command: CommandName | undefined, hint = true) {
    super(message);
    this.command = command;
    this.hint = hint;
  }
}

function parse<T extends NonNullable<ParseArgsConfig['options']>>(
  args: readonly string[],
  options: T,
  command: CommandName,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals });
  } catch (error) {
    // node:util reports unknown flags, missing values and stray arguments as ERR_PARSE_ARGS_* errors.
    if ((error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS') === true) {
      throw new UsageError(describeParseError(error as NodeJS.ErrnoException, options), command);
    }
    throw error;
  }
}

function requireConfig(file: string | undefined, command: 'run' | 'check'): string {
  if (file === undefined || file === '')
    throw new UsageError(`${command} needs a config file: ${command} -c FILE`, command);
  return file;
}

function check(args: readonly string[], context: CliContext): Promise<number> | number {
  const { values } = parse(args, CHECK_OPTIONS, 'check');
  if (values.help === true) return help(context, 'check');
  return runCheck(requireConfig(values.config, 'check'), context);
}

/** Commands that take no options but --help: `schema`, `version`. */
function simple(args: readonly string[], context: CliContext, command: 'schema' | 'version'): number {
  const { values } = parse(args, HELP_OPTIONS, command);
  if (values.help === true) return help(context, command);
  if (command === 'schema') return runSchema(context);
  context.stdout.write(`${readVersion()}\n`);
  return 0;
}

function completion(args: readonly string[], context: CliContext): number {
  const { values, positionals } = parse(args, HELP_OPTIONS, 'completion', true);
  if (values.help === true) return help(context, 'completion');
  const [shell, ...extra] = positionals;
  if (shell === undefined)
    throw new UsageError(`completion needs a shell: ${SHELLS.join(', ')}`, 'completion');
  if (extra.length > 0) throw new UsageError(`unexpected '${extra[0]!}'`, 'completion');
  const known = SHELLS.find((name) => name === shell);
  if (known === undefined) throw new UsageError(unknownWord('shell', shell, SHELLS), 'completion');
  context.stdout.write(completionScript(known));
  return 0;
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
      'run',
      false,
    );
  }
  return context.logger === undefined ? { ...context, logger: createLogger({ level }) } : context;
}

async function run(args: readonly string[], given: CliContext): Promise<number> {
  const { values } = parse(args, RUN_OPTIONS, 'run');
  if (values.help === true) return help(given, 'run');
  const context = withLogger(given);
  const port = values.port === undefined ? undefined : parsePort(values.port);
  if (values.port !== undefined && port === undefined) {
    throw new UsageError(`--port must be a port number from 0 to 65535, got '${values.port}'`, 'run');
  }
  const workers = values.workers === undefined ? undefined : parseWorkers(values.workers);
  if (values.workers !== undefined && workers === undefined) {
    throw new UsageError(
      `--workers must be auto or a whole number from 1 to ${MAX_WORKERS}, got '${values.workers}'`,
      'run',
    );
  }
  try {
    schedulingPolicy(context);
  } catch (error) {
    throw new UsageError((error as Error).message, 'run', false);
  }
  if (values['quick-start'] === true) {
    if (values.config !== undefined)
      throw new UsageError('run takes either -c FILE or --quick-start, not both', 'run');
    if (workers !== undefined)
      throw new UsageError('--workers needs -c FILE; the quick start runs one process', 'run');
    return runQuickStart(port === undefined ? {} : { port }, context);
  }
  const file = requireConfig(values.config, 'run');
  const local = await loadOrReport(file, context);
  if (local === undefined) return 1;
  // With a fleet section, the config is the file merged with the fleet's document (run-fleet.ts).
  const merged =
    local.fleet === undefined
      ? undefined
      : await loadWithFleet(file, local, local.fleet, context, context.logger ?? createLogger());
  if (local.fleet !== undefined && merged === undefined) return 1;
  const config = merged?.config ?? local;
  // The document the file held: `--port` below makes a copy of the config, which has none.
  const live = {
    file,
    watch: values.watch === true,
    document: configDocument(config),
    workers,
    ...(merged === undefined ? {} : { fleet: merged.run }),
  };
  if (port === undefined) return runJunction(config, context, live);
  if (config.listeners.length !== 1) {
    throw new UsageError(
      `--port needs a config with exactly one listener; this one has ${config.listeners.length}`,
      'run',
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

function help(context: CliContext, command: CommandName = 'help'): number {
  context.stdout.write(HELP_TEXT[command]);
  return 0;
}

/** `junction help [COMMAND]`: the general help, or that command's. */
function helpCommand(args: readonly string[], context: CliContext): number {
  const { positionals } = parse(args, HELP_OPTIONS, 'help', true);
  const [topic, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`unexpected '${extra[0]!}'`, 'help');
  if (topic === undefined) return help(context);
  if (!isCommand(topic)) throw new UsageError(unknownWord('command', topic, COMMANDS), undefined);
  return help(context, topic);
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
        context.stderr.write(
          `junction ctl: ${error.message}\nRun 'junction ctl --help' for its commands and options.\n`,
        );
        return USAGE_ERROR;
      }
    case 'schema':
      return simple(rest, context, 'schema');
    case 'completion':
      return completion(rest, context);
    case 'help':
      return helpCommand(rest, context);
    case '--help':
    case '-h':
      return help(context);
    case 'version':
      return simple(rest, context, 'version');
    case '--version':
    case '-v':
      return simple(rest, context, 'version');
    case undefined:
      throw new UsageError('no command given', undefined);
    default:
      throw new UsageError(
        command.startsWith('-')
          ? `'${command}' needs a command before it, as in 'junction run ${command}'`
          : unknownWord('command', command, COMMANDS),
        undefined,
      );
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
    const where =
      error.command === undefined || error.command === 'help' ? 'junction' : `junction ${error.command}`;
    const hint = error.hint
      ? `Run '${where} --help' for ${error.command === undefined ? 'the commands' : 'its options'}.\n`
      : '';
    context.stderr.write(`junction: ${error.message}\n${hint}`);
    return USAGE_ERROR;
  }
}
