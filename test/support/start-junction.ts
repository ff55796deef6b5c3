/**
 * Starts a real Junction in the test process from YAML, on 127.0.0.1 port 0, with a silent logger.
 * Registers nothing global: the test owns the result and calls `onTestFinished(() => junction.close())`.
 */
import { onTestFinished } from 'vitest';
import type { JunctionConfig } from '../../src/config/types.ts';
import { loadConfigText } from '../../src/config/index.ts';
import type { PluginDefinition } from '../../src/plugins/index.ts';
import { silentLogger, type Logger } from '../../src/log/index.ts';
import { startJunction, type JunctionServer, type UpstreamEvents } from '../../src/server/index.ts';

/** The listener the harness adds when the YAML has none: loopback, ephemeral port. */
export const EPHEMERAL_LISTENER_YAML = 'listeners: [{ address: 127.0.0.1, port: 0 }]';

export interface RunningJunction {
  /** The first listener's actual port. */
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly server: JunctionServer;
  readonly config: JunctionConfig;
  /** Graceful close (idempotent: later calls return the first call's promise). */
  close(graceMs?: number): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface StartJunctionOptions {
  /** Named in config errors; defaults to `<e2e>`. */
  readonly source?: string;
  readonly logger?: Logger;
  /** Where relative file names in the YAML (strategy modules, CA files) resolve; default the cwd. */
  readonly baseDir?: string;
  /** Outbound connection listeners, passed to startJunction(). */
  readonly upstreamEvents?: UpstreamEvents;
  /** Plugins the YAML names by these specifiers, given directly instead of imported. */
  readonly plugins?: Readonly<Record<string, PluginDefinition>>;
}

/**
 * Parses `yaml` (adding `EPHEMERAL_LISTENER_YAML` when it declares no `listeners:`) and starts Junction.
 * Every listener must use port 0: e2e tests never bind fixed ports.
 */
export async function startJunctionFromYaml(
  yaml: string,
  options: StartJunctionOptions = {},
): Promise<RunningJunction> {
  const text = /^listeners\s*:/m.test(yaml) ? yaml : `${EPHEMERAL_LISTENER_YAML}\n${yaml}`;
  const config = await loadConfigText(text, options.source ?? '<e2e>', {
    baseDir: options.baseDir ?? process.cwd(),
    pluginModules: new Map(
      Object.entries(options.plugins ?? {}).map(([specifier, definition]) => [
        specifier,
        { ok: true as const, definition },
      ]),
    ),
  });
  const fixed = config.listeners.filter((listener) => listener.port !== 0);
  if (fixed.length > 0) {
    throw new Error(`e2e configs must listen on port 0, not ${fixed.map((l) => l.port).join(', ')}`);
  }
  const server = await startJunction(config, {
    logger: options.logger ?? silentLogger(),
    ...(options.upstreamEvents === undefined ? {} : { upstreamEvents: options.upstreamEvents }),
  });
  const first = server.listeners[0];
  if (!first) {
    await server.close(0);
    throw new Error('startJunction resolved without any bound listener');
  }
  let closing: Promise<void> | undefined;
  const close = (graceMs?: number): Promise<void> => (closing ??= server.close(graceMs));
  return {
    port: first.port,
    url: `http://127.0.0.1:${first.port}`,
    server,
    config,
    close,
    [Symbol.asyncDispose]: () => close(),
  };
}

/** A YAML flow list of backend addresses, e.g. `["127.0.0.1:4001", "127.0.0.1:4002"]`. */
export function backendList(
  ...backends: readonly ({ readonly address: string } | string | number)[]
): string {
  return JSON.stringify(
    backends.map((b) => (typeof b === 'number' ? `127.0.0.1:${b}` : typeof b === 'string' ? b : b.address)),
  );
}

/**
 * The common e2e setup: Junction on port 0 with one catch-all route to a cluster of `backend`, closed when
 * the test finishes. `extraYaml` adds top-level sections (timeouts, limits, forwarded).
 */
export async function proxyToBackend(
  backend: { readonly address: string } | string | number,
  extraYaml = '',
): Promise<RunningJunction> {
  const junction = await startJunctionFromYaml(`
routes:
  - { match: { path: / }, cluster: app }
clusters:
  app: { backends: ${backendList(backend)} }
${extraYaml}`);
  onTestFinished(() => junction.close());
  return junction;
}
