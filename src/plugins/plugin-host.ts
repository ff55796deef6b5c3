import { PluginError } from '../errors/index.ts';
import {
  DEFAULT_HOOK_TIMEOUT_MS,
  HOOK_INDEX,
  HookTableBuilder,
  TXN_HOOKS,
  isTxnHookName,
  type HookTable,
  type TxnHook,
  type TxnHookName,
} from '../hooks/index.ts';
import type { Logger } from '../log/index.ts';
import type {
  ConfiguredPlugins,
  HookOptions,
  LoadedConfigInfo,
  PluginApi,
  PluginConfig,
  SessionInfo,
  UpstreamSessionInfo,
} from './types.ts';

interface Listener<T> {
  readonly plugin: string;
  readonly call: (value: T) => void;
}
type SessionListener = Listener<SessionInfo>;
type UpstreamListener = Listener<UpstreamSessionInfo>;

/** One set-up plugin instance's registrations that outlive setup(). */
interface Instance {
  readonly name: string;
  readonly dispose: (() => void | Promise<void>)[];
  readonly replace: (() => void)[];
}

/**
 * The plugins of one config, set up: their hooks in tables the snapshot uses, their session and
 * outbound connection listeners, and their disposal. Global plugins are set up once; a route's
 * plugins once per route that names them (Traffic Server's remap plugin instances).
 */
export class PluginHost {
  readonly global: HookTable | null;
  readonly routes: ReadonlyMap<string, HookTable | null>;
  readonly #instances: Instance[];
  readonly #sessionStart: SessionListener[];
  readonly #sessionClose: SessionListener[];
  readonly #upstreamOpen: UpstreamListener[];
  readonly #upstreamClose: UpstreamListener[];
  readonly #log: Logger;

  private constructor(
    parts: {
      global: HookTable | null;
      routes: Map<string, HookTable | null>;
      instances: Instance[];
      sessionStart: SessionListener[];
      sessionClose: SessionListener[];
      upstreamOpen: UpstreamListener[];
      upstreamClose: UpstreamListener[];
    },
    log: Logger,
  ) {
    this.global = parts.global;
    this.routes = parts.routes;
    this.#instances = parts.instances;
    this.#sessionStart = parts.sessionStart;
    this.#sessionClose = parts.sessionClose;
    this.#upstreamOpen = parts.upstreamOpen;
    this.#upstreamClose = parts.upstreamClose;
    this.#log = log;
  }

  /**
   * The plugins hooked at each point for a request on `route` (global ones first, then the route's),
   * by name: what `junction ctl explain` lists without running anything.
   */
  hookOwners(route: string | undefined): Partial<Record<TxnHookName, string[]>> {
    const owners: Partial<Record<TxnHookName, string[]>> = {};
    const tables = [this.global, route === undefined ? null : (this.routes.get(route) ?? null)];
    for (const table of tables) {
      if (table === null) continue;
      TXN_HOOKS.forEach((name, index) => {
        for (const entry of table[index] ?? []) {
          const list = (owners[name] ??= []);
          if (!list.includes(entry.owner)) list.push(entry.owner);
        }
      });
    }
    return owners;
  }

  /** Whether a config names any plugin (so the server can skip wiring listeners otherwise). */
  static configHasPlugins(config: ConfiguredPlugins): boolean {
    return config.plugins.length > 0 || config.routes.some((route) => route.plugins.length > 0);
  }

  /**
   * Sets up every plugin of `config` in order (global ones first, then each route's), then runs
   * their post-load hooks. Throws PluginError naming the plugin if a setup or post-load hook fails,
   * after disposing of the instances already set up.
   */
  static async start(config: ConfiguredPlugins, log: Logger): Promise<PluginHost> {
    const instances: Instance[] = [];
    const postLoad: { name: string; hook: (c: LoadedConfigInfo) => void | Promise<void> }[] = [];
    const sessionStart: SessionListener[] = [];
    const sessionClose: SessionListener[] = [];
    const upstreamOpen: UpstreamListener[] = [];
    const upstreamClose: UpstreamListener[] = [];
    const globalHooks = new HookTableBuilder();
    const routeHooks = new Map<string, HookTable | null>();

    const setUp = async (plugin: PluginConfig, hooks: HookTableBuilder, route: string | undefined) => {
      const instance: Instance = { name: plugin.name, dispose: [], replace: [] };
      const pluginLog = log.child({ plugin: plugin.name });
      const globalOnly = (what: string) => {
        if (route !== undefined) {
          throw new Error(`${what} is for global plugins; '${plugin.name}' is attached to route '${route}'`);
        }
      };
      const api: PluginApi<unknown> = {
        name: plugin.name,
        config: plugin.config,
        log: pluginLog,
        route,
        hook(name: TxnHookName, hook: TxnHook, options?: HookOptions) {
          if (!isTxnHookName(name)) {
            throw new TypeError(`'${String(name)}' is not a hook point (points: ${TXN_HOOKS.join(', ')})`);
          }
          if (typeof hook !== 'function') throw new TypeError(`the ${name} hook must be a function`);
          if (route !== undefined && HOOK_INDEX[name] < HOOK_INDEX.remap) {
            // A route is known only from remap on: an earlier hook of a route plugin could never run.
            throw new Error(
              `a route plugin's hooks start at remap; '${plugin.name}' on route '${route}' asked for ${name} (list the plugin under the top-level plugins to run it for every request)`,
            );
          }
          const timeoutMs = options?.timeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS;
          if (!Number.isInteger(timeoutMs) || timeoutMs < 1)
            throw new RangeError('timeoutMs must be a positive integer');
          hooks.add(name, { hook, owner: plugin.name, timeoutMs });
        },
        onPostLoad(hook) {
          postLoad.push({ name: plugin.name, hook });
        },
        onSession(listeners) {
          globalOnly('onSession()');
          if (listeners.start) sessionStart.push({ plugin: plugin.name, call: listeners.start });
          if (listeners.close) sessionClose.push({ plugin: plugin.name, call: listeners.close });
        },
        onUpstream(listeners) {
          globalOnly('onUpstream()');
          if (listeners.open) upstreamOpen.push({ plugin: plugin.name, call: listeners.open });
          if (listeners.close) upstreamClose.push({ plugin: plugin.name, call: listeners.close });
        },
        onDispose(hook) {
          instance.dispose.push(hook);
        },
        onReplace(hook) {
          instance.replace.push(hook);
        },
      };
      instances.push(instance);
      try {
        await plugin.definition.setup(api);
      } catch (error) {
        throw new PluginError(
          plugin.name,
          `plugin '${plugin.name}' (${plugin.module}) failed to set up: ${describe(error)}`,
          { cause: error },
        );
      }
    };

    const host = (): PluginHost =>
      new PluginHost(
        {
          global: globalHooks.build(),
          routes: routeHooks,
          instances,
          sessionStart,
          sessionClose,
          upstreamOpen,
          upstreamClose,
        },
        log,
      );

    try {
      for (const plugin of config.plugins) await setUp(plugin, globalHooks, undefined);
      for (const route of config.routes) {
        if (route.plugins.length === 0) continue;
        const hooks = new HookTableBuilder();
        for (const plugin of route.plugins) await setUp(plugin, hooks, route.name);
        routeHooks.set(route.name, hooks.build());
      }
      const info: LoadedConfigInfo = {
        source: config.source,
        routes: config.routes.map((r) => r.name),
        clusters: [...config.clusters.keys()],
      };
      for (const { name, hook } of postLoad) {
        try {
          await hook(info);
        } catch (error) {
          throw new PluginError(
            name,
            `plugin '${name}' refused the config in post-load: ${describe(error)}`,
            {
              cause: error,
            },
          );
        }
      }
    } catch (error) {
      await host().dispose();
      throw error;
    }
    return host();
  }

  sessionStarted(session: SessionInfo): void {
    this.#notify(this.#sessionStart, session, 'session start');
  }

  sessionClosed(session: SessionInfo): void {
    this.#notify(this.#sessionClose, session, 'session close');
  }

  get hasUpstreamListeners(): boolean {
    return this.#upstreamOpen.length > 0 || this.#upstreamClose.length > 0;
  }

  upstreamOpened(connection: UpstreamSessionInfo): void {
    this.#notify(this.#upstreamOpen, connection, 'upstream open');
  }

  upstreamClosed(connection: UpstreamSessionInfo): void {
    this.#notify(this.#upstreamClose, connection, 'upstream close');
  }

  /** A new config replaces this one: every instance hears it (before its disposal, if it goes). */
  replaced(): void {
    for (const instance of this.#instances) {
      for (const hook of instance.replace) {
        try {
          hook();
        } catch (error) {
          this.#log.error(
            { plugin: instance.name, err: error },
            `plugin '${instance.name}' failed in onReplace`,
          );
        }
      }
    }
  }

  /** Disposes every instance, in reverse order of setup. Failures are logged, never thrown. */
  async dispose(): Promise<void> {
    for (const instance of [...this.#instances].reverse()) {
      for (const hook of instance.dispose) {
        try {
          await hook();
        } catch (error) {
          this.#log.error(
            { plugin: instance.name, err: error },
            `plugin '${instance.name}' failed to dispose`,
          );
        }
      }
    }
    this.#instances.length = 0;
  }

  #notify<T>(listeners: readonly Listener<T>[], value: T, what: string): void {
    for (const listener of listeners) {
      try {
        listener.call(value);
      } catch (error) {
        this.#log.error(
          { plugin: listener.plugin, err: error },
          `plugin '${listener.plugin}': its ${what} hook threw`,
        );
      }
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
