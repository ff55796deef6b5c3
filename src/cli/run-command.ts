/**
 * `junction run`: start Junction on a validated config and own the process lifecycle. The first
 * SIGTERM, SIGINT or SIGQUIT closes gracefully (within timeouts.shutdown_grace); a second one exits at
 * once, for the operator whose clients will not finish. SIGHUP re-reads the config file
 * (live-config.ts). SIGUSR1 reopens the access log files (nginx's convention; it no longer opens
 * Node's inspector: use --inspect for that), in every worker when there are several. With `workers`
 * above 1 this process is the primary of a group of worker processes (run-workers.ts) and SIGUSR2
 * restarts every worker, one at a time; with one process SIGUSR2, whose default action would end the
 * process without a word, is logged and ignored.
 */
import { locateConfigKey, type JunctionConfig, type WorkersSetting } from '../config/index.ts';
import { createLogger, type Logger } from '../log/index.ts';
import type { JunctionServer } from '../server/index.ts';
import type {
  CliContext,
  IgnoredSignal,
  RunningServer,
  ShutdownSignal,
  StartJunction,
} from './cli-context.ts';
import { startLiveConfig, type LiveConfig } from './live-config.ts';
import type { FleetRun } from './run-fleet.ts';
import {
  asAdminTarget,
  groupAdminMetrics,
  groupStarter,
  workerCount,
  type RunningGroup,
} from './run-workers.ts';

const SHUTDOWN_SIGNALS: readonly ShutdownSignal[] = ['SIGTERM', 'SIGINT', 'SIGQUIT'];
const IGNORED_SIGNALS: readonly IgnoredSignal[] = ['SIGUSR2'];

/** Exit status after a forced (second-signal) exit. */
export const FORCED_EXIT_CODE = 1;

export interface RunHooks {
  /** Called once every listener is bound, with the actual ports (the quick start prints its banner). */
  /** Called once serving; `admin` is the admin API's listener when the config has one. */
  readonly onListening?: (server: RunningServer, admin: { readonly url: string } | undefined) => void;
  /** The config file: SIGHUP (and `watch`) reload it. */
  readonly file?: string;
  /** Reload when the file changes. */
  readonly watch?: boolean;
  /** The document the config was parsed from, when the config given is an adjusted copy. */
  readonly document?: Readonly<Record<string, unknown>> | undefined;
  /** Applied to reloaded configs as it was to the first one (`--port`). */
  readonly adjust?: (config: JunctionConfig) => JunctionConfig;
  /** `--workers`: overrides the config's `workers`. */
  readonly workers?: WorkersSetting | undefined;
  /** The fleet the config follows (run-fleet.ts). */
  readonly fleet?: FleetRun | undefined;
}

/** The worker group, once this process is the primary of one (`workers` > 1). */
interface GroupRef {
  group: RunningGroup | undefined;
  /** The running server (or the group's stand-in), once started: SIGUSR1 reopens its logs. */
  server?: RunningServer;
}

/** A server that can be reconfigured (the real one; tests may start a stand-in that cannot). */
function isReloadable(server: RunningServer): boolean {
  return 'reload' in server && typeof server.reload === 'function';
}

async function loadStartJunction(context: CliContext): Promise<StartJunction> {
  if (context.startJunction !== undefined) return context.startJunction;
  // Loaded lazily so `check` and `--help` never pay for the data plane.
  const server = await import('../server/index.ts');
  return server.startJunction;
}

/** Waits for the first shutdown signal, closes `server`, and resolves with the exit code. */
function serveUntilSignalled(
  server: RunningServer,
  graceMs: number,
  logger: Logger,
  context: CliContext,
  live: LiveConfig | undefined,
  early: EarlySignal,
  ref: GroupRef,
): Promise<number> {
  return new Promise((resolve) => {
    let isClosing = false;
    const onSignal = (signal: ShutdownSignal): void => {
      if (isClosing) {
        logger.warn({ signal }, 'second signal: exiting without waiting for in-flight requests');
        // The workers go too: nobody would supervise them.
        ref.group?.kill();
        context.exit(FORCED_EXIT_CODE);
        return;
      }
      isClosing = true;
      logger.info({ signal, graceMs }, 'shutting down: finishing in-flight requests');
      // The admin API stays up while requests drain, so `/ready` answers 503 to load balancers then.
      const closed = server.close(graceMs);
      Promise.all([closed, closed.finally(() => live?.stop())]).then(
        () => {
          finish(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'graceful shutdown failed');
          finish(1);
        },
      );
    };
    const finish = (code: number): void => {
      for (const signal of SHUTDOWN_SIGNALS) context.signals.off(signal, onSignal);
      resolve(code);
    };
    for (const signal of SHUTDOWN_SIGNALS) context.signals.on(signal, onSignal);
    early.release();
    if (early.signal !== undefined) onSignal(early.signal);
  });
}

/**
 * Runs Junction until a shutdown signal and resolves with the process exit code: 0 after a graceful
 * close, 1 if it could not start or close. Never calls exit itself except on a second signal.
 */
export async function runJunction(
  config: JunctionConfig,
  context: CliContext,
  hooks: RunHooks = {},
): Promise<number> {
  const logger = context.logger ?? createLogger();
  const ref: GroupRef = { group: undefined };
  // From the start to the end of the run, so no moment of it is left to the default action.
  const onIgnored = (signal: IgnoredSignal): void => {
    const group = ref.group;
    if (group === undefined) {
      logger.warn(
        { signal },
        `${signal} restarts worker processes, and this Junction runs one process; ignored`,
      );
      return;
    }
    logger.info({ signal }, `${signal}: restarting every worker, one at a time`);
    group.restart().catch((error: unknown) => {
      logger.error(
        { err: error },
        `restart stopped: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
  };
  for (const signal of IGNORED_SIGNALS) context.signals.on(signal, onIgnored);
  // From the start too: before the server runs there is nothing to reopen, but the default action
  // (opening the inspector) must not happen either.
  const onReopen = (): void => {
    const server = ref.server;
    if (server?.reopenLogs === undefined) return;
    logger.info({ signal: 'SIGUSR1' }, 'reopening the access log files');
    server.reopenLogs();
  };
  context.signals.on('SIGUSR1', onReopen);
  // A shutdown signal while Junction starts (its listeners may already accept) is remembered, and acted
  // on once it serves, rather than left to the default action, which would end the process at once.
  const onEarlyShutdown = (signal: ShutdownSignal): void => {
    early.signal ??= signal;
  };
  const early: EarlySignal = {
    signal: undefined,
    release: () => {
      for (const signal of SHUTDOWN_SIGNALS) context.signals.off(signal, onEarlyShutdown);
    },
  };
  for (const signal of SHUTDOWN_SIGNALS) context.signals.on(signal, onEarlyShutdown);
  try {
    return await startAndServe(config, context, hooks, logger, early, ref);
  } finally {
    context.signals.off('SIGUSR1', onReopen);
    for (const signal of IGNORED_SIGNALS) context.signals.off(signal, onIgnored);
    early.release();
  }
}

/** A shutdown signal that arrived while Junction started; release() stops listening for one. */
interface EarlySignal {
  signal: ShutdownSignal | undefined;
  release(): void;
}

async function startAndServe(
  config: JunctionConfig,
  context: CliContext,
  hooks: RunHooks,
  logger: Logger,
  earlyShutdown: EarlySignal,
  ref: GroupRef,
): Promise<number> {
  // Until reloads are armed, a SIGHUP (a service manager's reload right after start) is remembered
  // rather than left to its default action, which would end the process.
  const early = { hangup: false };
  const onEarlyHangup = (): void => {
    early.hangup = true;
  };
  if (hooks.file !== undefined) context.signals.on('SIGHUP', onEarlyHangup);
  const count = workerCount(hooks.workers ?? config.workers);
  const startJunction =
    count > 1
      ? groupStarter(count, hooks.file, context, (group) => {
          ref.group = group;
        })
      : await loadStartJunction(context);
  let server: RunningServer;
  try {
    server = await startJunction(config, { logger });
  } catch (error) {
    context.signals.off('SIGHUP', onEarlyHangup);
    logger.error({ err: error }, 'failed to start');
    const located = hooks.file === undefined ? undefined : await locateBindFailure(error, config, hooks.file);
    context.stderr.write(
      located ?? `junction: cannot start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  }
  ref.server = server;
  let live: LiveConfig | undefined;
  if (isReloadable(server)) {
    try {
      const group = ref.group;
      live =
        group === undefined
          ? await startLiveConfig(server as JunctionServer, context, logger, hooks)
          : await startLiveConfig(asAdminTarget(group), context, logger, {
              ...hooks,
              metrics: () => groupAdminMetrics(group),
            });
    } catch (error) {
      context.signals.off('SIGHUP', onEarlyHangup);
      logger.error({ err: error }, 'failed to start the admin API');
      context.stderr.write(
        `junction: cannot start the admin API: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      await server.close(0);
      return 1;
    }
  }
  context.signals.off('SIGHUP', onEarlyHangup);
  if (early.hangup && earlyShutdown.signal === undefined) live?.reload('SIGHUP');
  // server/ logs each bound listener and its own stop; this module logs only the process lifecycle.
  hooks.onListening?.(server, live?.admin);
  const code = await serveUntilSignalled(
    server,
    config.timeouts.shutdownGraceMs,
    logger,
    context,
    live,
    earlyShutdown,
    ref,
  );
  return code;
}

const BIND_PROBLEMS: Readonly<Record<string, { key: 'address' | 'port'; what: string }>> = {
  EADDRNOTAVAIL: { key: 'address', what: 'not an address of this host' },
  EADDRINUSE: { key: 'port', what: 'the port is in use' },
  EACCES: { key: 'port', what: 'permission denied; ports below 1024 need privileges' },
  ENOTFOUND: { key: 'address', what: 'the name does not resolve' },
};

/**
 * A listener that could not bind, as `file:line:column: problem` at its `address` or `port`, so what
 * `check` accepted and `run` cannot bind is reported where to fix it. Undefined for other failures.
 */
async function locateBindFailure(
  error: unknown,
  config: JunctionConfig,
  file: string,
): Promise<string | undefined> {
  const failure = error as NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string };
  const problem = failure.code === undefined ? undefined : BIND_PROBLEMS[failure.code];
  if (problem === undefined || (failure.syscall !== 'listen' && failure.syscall !== 'getaddrinfo'))
    return undefined;
  const listeners = config.listeners.map((listener, index) => ({ listener, index }));
  let matches =
    failure.syscall === 'getaddrinfo'
      ? listeners.filter(({ listener }) => listener.address === failure.hostname)
      : listeners.filter(({ listener }) => listener.port === failure.port);
  if (matches.length > 1) matches = matches.filter(({ listener }) => listener.address === failure.address);
  if (matches.length !== 1) return undefined;
  const { listener, index } = matches[0]!;
  const at = await locateConfigKey(file, ['listeners', index, problem.key]);
  if (at === undefined) return undefined;
  return `${file}:${at.line}:${at.column}: listeners[${index}].${problem.key}: cannot listen on ${listener.address}:${listener.port} (${failure.code}: ${problem.what})\n`;
}

/** A copy of `config` listening on `port`; only for configs with exactly one listener. */
export function withListenerPort(config: JunctionConfig, port: number): JunctionConfig {
  return { ...config, listeners: config.listeners.map((listener) => ({ ...listener, port })) };
}
