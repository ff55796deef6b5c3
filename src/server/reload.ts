/**
 * One reload, in the order that keeps a failure harmless: set up the new config's plugins, build its
 * snapshot (reusing unchanged cluster runtimes), bind the listeners it adds or changes, then swap. Until
 * the swap nothing the running config uses is touched except a changed listener's socket, which is
 * bound again with its old settings if the new ones fail. After the swap, removed listeners stop
 * accepting and their sessions drain; the old snapshot is freed once no transaction holds it.
 */
import type { JunctionConfig, ListenerConfig } from '../config/types.ts';
import { ReloadError } from '../errors/index.ts';
import type { Listener } from '../listener/index.ts';
import type { Logger } from '../log/index.ts';
import type { PluginHost } from '../plugins/index.ts';
import type { RuntimeSnapshot } from '../transaction/index.ts';
import {
  describeDiff,
  diffConfigsGradually,
  isEmptyDiff,
  summarizeDiff,
  type ConfigDiff,
} from './config-diff.ts';
import { planListeners } from './listener-plan.ts';

/** The config in force, as `JunctionServer.status()` reports it. */
export interface ServerStatus {
  /** 1 for the config Junction started with, plus one per applied reload. */
  readonly version: number;
  /** A fingerprint of the config's content (see configHash()). */
  readonly hash: string;
  /** Where the config came from (a file path, or a description such as `<admin>`). */
  readonly source: string;
  /** When the running config was applied, and when Junction started (ms since the epoch). */
  readonly appliedAt: number;
  readonly startedAt: number;
  /** Sessions open now. */
  readonly sessions: number;
  /** Reloads applied and refused since Junction started. */
  readonly reloadsApplied: number;
  readonly reloadsRefused: number;
  /** Shutting down: listeners are closed or closing, sessions draining. */
  readonly closing: boolean;
  /** The last reload that changed the config; null until one has. */
  readonly lastReload: LastReload | null;
}

/** A reload that changed the config: when, the version it made, and what it changed. */
export interface LastReload {
  /** When it was applied (ms since the epoch). */
  readonly at: number;
  readonly version: number;
  readonly diff: ConfigDiff;
}

/** What a reload applied: the new version and what changed. */
export interface ReloadResult {
  readonly version: number;
  readonly hash: string;
  readonly diff: ConfigDiff;
  /** False when the config equals the running one: nothing was applied and the version stays. */
  readonly changed: boolean;
}

/** The server's side of a reload: what applyReload() may read and do. */
export interface ReloadPort {
  current(): RuntimeSnapshot;
  /** The running config's version and hash. */
  applied(): { version: number; hash: string };
  closing(): boolean;
  /** Opens the access log files anew (logrotate's rename, then a reload), whatever the reload's outcome. */
  reopenLogs(): void;
  startPlugins(config: JunctionConfig): Promise<PluginHost | null>;
  build(
    config: JunctionConfig,
    plugins: PluginHost | null,
    previous: RuntimeSnapshot,
  ): Promise<RuntimeSnapshot>;
  /** Bound listeners by name; applyReload() updates it. */
  readonly listeners: Map<string, Listener>;
  bind(config: ListenerConfig): Promise<Listener>;
  /** Prepares an HTTPS listener's new `tls` section (throws if it cannot serve); the result applies it. */
  prepareTlsUpdate(config: ListenerConfig): () => void;
  /** Stops accepting and drains the listener's sessions; does not wait for them. */
  unbind(listener: Listener): void;
  swap(
    config: JunctionConfig,
    snapshot: RuntimeSnapshot,
    plugins: PluginHost | null,
  ): { version: number; hash: string };
  log(): Logger;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function applyReload(port: ReloadPort, config: JunctionConfig): Promise<ReloadResult> {
  if (port.closing()) throw new ReloadError('Junction is shutting down: reload refused');
  port.reopenLogs();
  const previous = port.current();
  const diff = await diffConfigsGradually(previous.config, config);
  if (isEmptyDiff(diff)) {
    // Nothing to apply (a SIGHUP after a file watch already reloaded, a save of what runs): no new
    // version, and nothing restarted. Rules are compiled objects, so a config with rules never gets here.
    config.rules?.dispose();
    const { version, hash } = port.applied();
    port.log().info({ version, hash, source: config.source }, `config unchanged: version ${version} kept`);
    return { version, hash, diff, changed: false };
  }

  let plugins: PluginHost | null;
  try {
    plugins = await port.startPlugins(config);
  } catch (error) {
    config.rules?.dispose();
    throw new ReloadError(`reload refused: ${describe(error)}`, { cause: error });
  }
  let snapshot: RuntimeSnapshot;
  try {
    snapshot = await port.build(config, plugins, previous);
  } catch (error) {
    await plugins?.dispose();
    config.rules?.dispose();
    throw new ReloadError(`reload refused: ${describe(error)}`, { cause: error });
  }
  await new Promise((resolve) => setImmediate(resolve));

  const plan = planListeners(previous.config.listeners, config.listeners);
  let tlsUpdates: (() => void)[];
  try {
    tlsUpdates = plan.update.map((listenerConfig) => port.prepareTlsUpdate(listenerConfig));
  } catch (error) {
    await plugins?.dispose();
    config.rules?.dispose();
    throw new ReloadError(`reload refused: ${describe(error)}`, { cause: error });
  }
  const opened: Listener[] = [];
  /** Listeners a rebind closed before binding again, to restore if the reload fails. */
  const replaced: Listener[] = [];
  try {
    for (const listenerConfig of plan.rebind) {
      const old = port.listeners.get(listenerConfig.name)!;
      // Same name, maybe the same port: the old socket must be closed before the new one can bind.
      port.unbind(old);
      replaced.push(old);
      await new Promise((resolve) => setImmediate(resolve));
      opened.push(await port.bind(listenerConfig));
    }
    for (const listenerConfig of plan.open) opened.push(await port.bind(listenerConfig));
  } catch (error) {
    for (const listener of opened) port.unbind(listener);
    for (const old of replaced) {
      try {
        port.listeners.set(old.config.name, await port.bind(old.config));
      } catch (restoreError) {
        port.listeners.delete(old.config.name);
        port
          .log()
          .error(
            { err: restoreError, listener: old.config.name },
            `listener '${old.config.name}' could not be bound again after a failed reload`,
          );
      }
    }
    await plugins?.dispose();
    config.rules?.dispose();
    throw new ReloadError(`reload refused: a listener could not bind: ${describe(error)}`, { cause: error });
  }

  for (const listener of opened) port.listeners.set(listener.config.name, listener);
  for (const apply of tlsUpdates) apply();
  for (const name of plan.close) {
    const listener = port.listeners.get(name);
    if (listener === undefined) continue;
    port.listeners.delete(name);
    port.unbind(listener);
  }
  const { version, hash } = port.swap(config, snapshot, plugins);
  for (const listener of opened) {
    port
      .log()
      .info(
        { listener: listener.config.name },
        `listening on ${listener.config.tcp !== undefined ? 'tcp' : listener.tls === null ? 'http' : 'https'}://${listener.config.address}:${listener.port}`,
      );
  }
  port
    .log()
    .info(
      { version, hash, source: config.source, diff: summarizeDiff(diff) },
      `config version ${version} applied: ${describeDiff(diff)}`,
    );
  return { version, hash, diff, changed: true };
}
