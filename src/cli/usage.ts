/** The CLI's help texts, one per command, and its version: the words `--help` and `--version` print. */
import { readFileSync } from 'node:fs';

export const USAGE = `Usage: junction <command> [options]

Commands:
  run -c FILE          Run Junction with the config FILE
  run --quick-start    Run examples/quick-start.yaml with three demo backends
  check -c FILE        Validate FILE; print every problem as file:line:column: message
  explain -c FILE 'METHOD URL'
                       What the config does with that request, sent nowhere
  preview --old A --new B --requests FILE
                       The requests B would handle differently from A
  ctl <command>        Talk to a running Junction's admin API
  schema               Print the config's JSON Schema, for editors
  completion SHELL     Print a completion script for bash, zsh or fish
  version              Show the version
  help [COMMAND]       Show this help, or a command's

Options:
  -h, --help           Show help (after a command: that command's options)
  -v, --version        Show the version

Run 'junction <command> --help' for a command's options and environment variables.

Exit status: 0 success, 1 invalid config or failure, 2 usage error.
`;

export const RUN_USAGE = `Usage: junction run -c FILE [--watch] [--port N] [--workers N|auto]
       junction run --quick-start [--port N]

Runs Junction until SIGTERM, SIGINT or SIGQUIT, which stop it gracefully; SIGHUP reloads the config.

Options:
  -c, --config FILE    The YAML config file (reference: docs/configuration.md)
      --quick-start    Use examples/quick-start.yaml and start its three demo backends
      --port N         Listen on port N instead of the config's (one-listener configs)
      --watch          Reload when the config file changes (SIGHUP always reloads it)
      --workers N|auto Worker processes, overriding the config's \`workers\`; auto: one per
                       core. With more than one, SIGUSR2 restarts them one at a time
  -h, --help           Show this help

Environment:
  JUNCTION_LOG_LEVEL   trace, debug, info (default), warn, error, fatal or silent, in any case
  JUNCTION_WORKER_SCHEDULING
                       (workers > 1) none (default: the OS spreads connections) or rr
                       (the primary deals them round robin)
  PORT                 (quick start) The listener port, like --port
  ADMIN_PORT           (quick start) The admin API and dashboard port (default 9901); 0 picks
                       a free port
  BACKEND_BASE_PORT    (quick start) The first demo backend port (default 9101); 0 picks
                       free ports

Exit status: 0 after a graceful stop, 1 invalid config or failure to start, 2 usage error.
`;

export const CHECK_USAGE = `Usage: junction check -c FILE

Validates FILE as \`junction run\` would load it, without listening or connecting. Prints
\`FILE: OK\`, or every problem as file:line:column: message on stderr.

Options:
  -c, --config FILE    The YAML config file (reference: docs/configuration.md)
  -h, --help           Show this help

Exit status: 0 valid, 1 invalid, 2 usage error.
`;

export const SCHEMA_USAGE = `Usage: junction schema > junction.schema.json

Prints the config file's JSON Schema (draft 2020-12), for editors that check and complete YAML
against one. With the YAML language server, name it on the config's first line:

  # yaml-language-server: $schema=./junction.schema.json

The schema checks keys, types and ranges; \`junction check\` checks everything else (references
between routes and clusters, files, plugins).

Options:
  -h, --help           Show this help
`;

export const COMPLETION_USAGE = `Usage: junction completion bash|zsh|fish

Prints a script that completes junction's commands, options and ctl subcommands:

  bash:  source <(junction completion bash)            (in ~/.bashrc)
  zsh:   source <(junction completion zsh)             (in ~/.zshrc, after compinit)
  fish:  junction completion fish > ~/.config/fish/completions/junction.fish

Options:
  -h, --help           Show this help
`;

export const VERSION_USAGE = `Usage: junction version

Prints the installed version (also: junction --version, junction -v).
`;

/** The installed package's version. The same relative path holds from src/cli/ and dist/cli/. */
export function readVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}
