/**
 * What `junction run` adds to a running server so its config can change: SIGHUP re-reads the file,
 * `--watch` does the same when the file changes, and the config's `admin:` section starts the admin
 * API. A reload that fails is logged with every problem (file:line:column) and the running config
 * keeps serving.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve as resolvePath } from 'node:path';
import type { AdminMetrics, AdminServer, AdminTarget, ConfigStore } from '../admin/index.ts';
import { readBoundedText, type JunctionConfig } from '../config/index.ts';
import { ConfigErrors } from '../errors/index.ts';
import type { Logger } from '../log/index.ts';
import type { CliContext } from './cli-context.ts';
import { followFleet, type FleetRun } from './run-fleet.ts';

/** Editors write a file in several steps (truncate, write, rename): wait for them to settle. */
const WATCH_DEBOUNCE_MS = 250;

export interface LiveConfigOptions {
  /** The config file; without one, only the admin API (if configured) can change the config. */
  readonly file?: string | undefined;
  /** Reload when the file changes. */
  readonly watch?: boolean;
  /** The document the running config was parsed from, if the server's config is an adjusted copy. */
  readonly document?: Readonly<Record<string, unknown>> | undefined;
  /** Applied to every reloaded config (the `--port` override). */
  readonly adjust?: (config: JunctionConfig) => JunctionConfig;
  /** What the admin API's `/metrics` renders; default the metrics of the one server (a group's: merged). */
  readonly metrics?: () => Promise<AdminMetrics>;
  /** The fleet this Junction follows, and the document it started with (run-fleet.ts). */
  readonly fleet?: FleetRun | undefined;
}

export interface LiveConfig {
  readonly store: ConfigStore;
  readonly admin: AdminServer | undefined;
  /** Re-reads the config file now, logging the outcome (what SIGHUP does). */
  reload(trigger: string): void;
  /** Stops listening for SIGHUP and file changes, and closes the admin API. */
  stop(): Promise<void>;
}

/** Logs a failed reload with each of its problems. */
function logFailure(logger: Logger, error: unknown, trigger: string): void {
  if (error instanceof ConfigErrors) {
    logger.error(
      { trigger, problems: error.errors.map((e) => e.message) },
      `reload refused (${trigger}); the running config keeps serving:\n${error.message}`,
    );
    return;
  }
  logger.error(
    { trigger, err: error },
    `reload failed (${trigger}); the running config keeps serving: ${error instanceof Error ? error.message : String(error)}`,
  );
}

export async function startLiveConfig(
  server: AdminTarget,
  context: CliContext,
  logger: Logger,
  options: LiveConfigOptions,
): Promise<LiveConfig> {
  const file = options.file === undefined ? undefined : resolvePath(options.file);
  // Listen for SIGHUP before anything else that waits: unhandled, the signal would end the process.
  const starting: { store: ConfigStore | undefined; hangup: boolean } = { store: undefined, hangup: false };
  // One reload at a time. A trigger during one schedules exactly one more, after it: the file may
  // have changed since that one read it. More triggers meanwhile join that one.
  const queue: { running: boolean; next: string[] | undefined } = { running: false, next: undefined };
  const runReload = (store: ConfigStore, triggers: string[]): void => {
    const trigger = triggers.join(', ');
    queue.running = true;
    store
      .reloadFromFile()
      .then(
        (result) => {
          if (result.changed) {
            logger.info({ trigger, version: result.version }, `reloaded ${file} (${trigger})`);
          } else {
            logger.info(
              { trigger, version: result.version },
              `${file} unchanged (${trigger}): version ${result.version} kept`,
            );
          }
        },
        (error: unknown) => {
          logFailure(logger, error, trigger);
        },
      )
      .finally(() => {
        queue.running = false;
        const next = queue.next;
        queue.next = undefined;
        if (next !== undefined) runReload(store, next);
      });
  };
  const reload = (trigger: string): void => {
    if (file === undefined) return;
    if (starting.store === undefined) {
      starting.hangup = true;
      return;
    }
    if (queue.running) {
      queue.next = [...new Set([...(queue.next ?? []), trigger])];
      return;
    }
    runReload(starting.store, [trigger]);
  };
  const onHangup = (): void => {
    reload('SIGHUP');
  };
  if (file !== undefined) context.signals.on('SIGHUP', onHangup);

  const { ConfigStore, startAdmin } = await import('../admin/index.ts');
  const liveStore = new ConfigStore(server, {
    file,
    ...(options.fleet === undefined
      ? {}
      : {
          fleet: {
            text: options.fleet.start.text,
            source: options.fleet.start.source,
            certificates: options.fleet.start.certificates,
          },
        }),
    ...(options.adjust === undefined ? {} : { adjust: options.adjust }),
    ...(options.document === undefined ? {} : { document: options.document }),
  });
  starting.store = liveStore;
  if (file !== undefined) logger.info({ file }, `SIGHUP reloads ${file}`);
  if (starting.hangup) reload('SIGHUP');

  let watcher: FSWatcher | undefined;
  let debounce: NodeJS.Timeout | undefined;
  if (file !== undefined && options.watch === true) {
    const readText = async (): Promise<string | undefined> => {
      const read = await readBoundedText(file);
      // Too large (or unreadable): not compared, the reload reports it.
      return read.ok ? read.text : undefined;
    };
    let lastText = await readText();
    // The directory, not the file: an editor's rename replaces the file and would end a file watch.
    // Kubernetes updates a mounted ConfigMap by swapping its `..data` symlink (the file itself is a
    // symlink through it, and never changes): those `..` names count too. The text is compared
    // before reloading, so an event that changed nothing reloads nothing.
    watcher = watch(dirname(file), (_event, name) => {
      if (name !== null && name !== basename(file) && !name.startsWith('..')) return;
      clearTimeout(debounce);
      debounce = setTimeout(() => {
        void readText().then((text) => {
          // Saving through the admin API writes what is already running: nothing to do.
          if (text !== undefined && (text === lastText || text === liveStore.savedText)) {
            lastText = text;
            return;
          }
          lastText = text;
          reload('file change');
        });
      }, WATCH_DEBOUNCE_MS);
    });
    watcher.on('error', (error) => {
      logger.warn({ err: error }, `watching ${file} failed; SIGHUP still reloads it`);
    });
    logger.info({ file }, `watching ${file} for changes`);
  }

  const adminConfig = server.config.admin;
  let admin: AdminServer | undefined;
  if (adminConfig !== undefined) {
    try {
      admin = await startAdmin(liveStore, adminConfig, {
        logger: logger.child({ component: 'admin' }),
        ...(options.metrics === undefined ? {} : { metrics: await options.metrics() }),
      });
    } catch (error) {
      context.signals.off('SIGHUP', onHangup);
      watcher?.close();
      throw error;
    }
  }

  const follower =
    options.fleet === undefined ? undefined : await followFleet(liveStore, options.fleet, logger, admin);

  return {
    store: liveStore,
    admin,
    reload,
    stop: async () => {
      context.signals.off('SIGHUP', onHangup);
      clearTimeout(debounce);
      watcher?.close();
      await follower?.stop();
      await admin?.close();
    },
  };
}
