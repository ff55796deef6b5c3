/** The CLI's help text and version: the words `junction --help` and `--version` print. */
import { readFileSync } from 'node:fs';

export const USAGE = `Usage: junction <command> [options]

Commands:
  run -c FILE          Run Junction with the config FILE
  run --quick-start    Run examples/quick-start.yaml with three demo backends
  check -c FILE        Validate FILE; print every problem as file:line:column: message
  explain -c FILE 'METHOD URL'
                       What the config does with that request, sent nowhere (junction explain -h)
  preview --old A --new B --requests FILE
                       The requests B would handle differently from A
  ctl <command>        Talk to a running Junction's admin API (junction ctl --help)
  help                 Show this help
  version              Show the version

Options:
  -c, --config FILE    The YAML config file (reference: docs/configuration.md)
      --quick-start    (run) Use the quick-start config and start its demo backends
      --port N         (run) Listen on port N instead of the config's (one-listener configs)
      --watch          (run) Reload when the config file changes (SIGHUP always reloads it)
      --workers N|auto (run) Worker processes, overriding the config's \`workers\`; auto: one per
                       core. With more than one, SIGUSR2 restarts them one at a time
  -h, --help           Show this help
  -v, --version        Show the version

Environment:
  PORT                 (quick start) The listener port, like --port
  BACKEND_BASE_PORT    (quick start) The first demo backend port; 0 picks free ports
  JUNCTION_LOG_LEVEL   (run) trace, debug, info (default), warn, error, fatal or silent,
                       in any case
  JUNCTION_WORKER_SCHEDULING
                       (run, workers > 1) none (default: the OS spreads connections) or rr
                       (the primary deals them round robin)

Exit status: 0 success, 1 invalid config or failure, 2 usage error.
`;

/** The installed package's version. The same relative path holds from src/cli/ and dist/cli/. */
export function readVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}
