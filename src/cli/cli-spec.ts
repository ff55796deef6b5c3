/**
 * What the `junction` command accepts: its commands, each command's options, and `ctl`'s subcommands.
 * One table read by the parser (main.ts, ctl-command.ts), the "did you mean" suggestions and the
 * shell completion scripts, so none of them can drift from the others.
 */
import type { ParseArgsConfig } from 'node:util';
import { closestMatch, didYouMean } from '../util/edit-distance.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

const HELP = { help: { type: 'boolean', short: 'h' } } as const satisfies Options;

export const CHECK_OPTIONS = {
  config: { type: 'string', short: 'c' },
  ...HELP,
} as const satisfies Options;

export const RUN_OPTIONS = {
  ...CHECK_OPTIONS,
  'quick-start': { type: 'boolean' },
  port: { type: 'string' },
  watch: { type: 'boolean' },
  workers: { type: 'string' },
} as const satisfies Options;

export const EXPLAIN_OPTIONS = {
  config: { type: 'string', short: 'c' },
  header: { type: 'string', short: 'H', multiple: true },
  client: { type: 'string' },
  sni: { type: 'string' },
  listener: { type: 'string' },
  status: { type: 'string' },
  'response-header': { type: 'string', multiple: true },
  json: { type: 'boolean' },
  ...HELP,
} as const satisfies Options;

export const PREVIEW_OPTIONS = {
  old: { type: 'string' },
  new: { type: 'string' },
  requests: { type: 'string' },
  json: { type: 'boolean' },
  ...HELP,
} as const satisfies Options;

export const CTL_OPTIONS = {
  admin: { type: 'string' },
  config: { type: 'string', short: 'c' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  weight: { type: 'string' },
  id: { type: 'string' },
  timeout: { type: 'string' },
  header: { type: 'string', short: 'H', multiple: true },
  client: { type: 'string' },
  sni: { type: 'string' },
  prefix: { type: 'boolean' },
  'max-changed': { type: 'string' },
  wait: { type: 'string' },
  'if-revision': { type: 'string' },
  status: { type: 'string' },
  'response-header': { type: 'string', multiple: true },
  ...HELP,
} as const satisfies Options;

export const HELP_OPTIONS = HELP;

/** The commands, in the order help lists them; `help` and `version` also answer as flags. */
export const COMMANDS = [
  'run',
  'check',
  'explain',
  'preview',
  'ctl',
  'schema',
  'completion',
  'version',
  'help',
] as const;
export type CommandName = (typeof COMMANDS)[number];

/** Each command's options (ctl's include those of its subcommands). */
export const COMMAND_OPTIONS: Readonly<Record<CommandName, Options>> = {
  run: RUN_OPTIONS,
  check: CHECK_OPTIONS,
  explain: EXPLAIN_OPTIONS,
  preview: PREVIEW_OPTIONS,
  ctl: CTL_OPTIONS,
  schema: HELP,
  completion: HELP,
  version: HELP,
  help: HELP,
};

/** `junction ctl`'s subcommands, and the actions of those that take one. */
export const CTL_COMMANDS = [
  'status',
  'listeners',
  'routes',
  'clusters',
  'backends',
  'certs',
  'reload',
  'workers',
  'restart',
  'config',
  'explain',
  'preview',
  'cache',
  'fleet',
  'help',
] as const;
export const CTL_ACTIONS: Readonly<Partial<Record<(typeof CTL_COMMANDS)[number], readonly string[]>>> = {
  backends: ['add', 'remove', 'drain'],
  config: ['export', 'save'],
  cache: ['purge', 'clear'],
  fleet: ['status', 'apply', 'diff', 'cert'],
};

/** The shells `junction completion` writes a script for. */
export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** `--name` and `-x` for every option, long names first. */
export function flagsOf(options: Options): string[] {
  const long = Object.keys(options).map((name) => `--${name}`);
  const short = Object.values(options).flatMap((option) =>
    option.short === undefined ? [] : [`-${option.short}`],
  );
  return [...long, ...short];
}

export function isCommand(word: string): word is CommandName {
  return (COMMANDS as readonly string[]).includes(word);
}

/** `unknown command 'rn'; did you mean 'run'?`, with the suggestion only when one is close. */
export function unknownWord(what: string, word: string, candidates: readonly string[]): string {
  return `unknown ${what} '${word}'${didYouMean(word, candidates)}`;
}

/**
 * node:util's parseArgs reports an unknown flag as "Unknown option '--wach'. To specify a positional
 * argument ...": this says it shorter, with the closest flag the command has.
 */
export function describeParseError(error: NodeJS.ErrnoException, options: Options): string {
  const unknown = /^Unknown option '([^']+)'/.exec(error.message);
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown !== null) {
    const flag = unknown[1]!;
    // `-wach` and `--wach` both mean the long flag; compare names without their dashes.
    const names = flagsOf(options).filter((f) => f.startsWith('--'));
    const match = closestMatch(
      flag.replace(/^-+/, ''),
      names.map((f) => f.slice(2)),
    );
    return `unknown option '${flag}'${match === undefined ? '' : `; did you mean '--${match}'?`}`;
  }
  const stray = /^Unexpected argument '([^']*)'/.exec(error.message);
  if (error.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' && stray !== null) {
    return `unexpected argument '${stray[1]!}'`;
  }
  return error.message;
}

/**
 * A port from the environment or argv: a whole number 0-65535 written without leading zeros (`080`
 * reads as octal to some tools and as 80 to others: refused rather than guessed), else undefined.
 */
export function parsePort(text: string | undefined): number | undefined {
  if (text === undefined || !/^(?:0|[1-9]\d{0,4})$/.test(text)) return undefined;
  const port = Number(text);
  return port <= 65535 ? port : undefined;
}
