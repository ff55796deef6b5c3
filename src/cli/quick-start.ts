/**
 * `junction run --quick-start` (what `npm start` runs): examples/quick-start.yaml plus one demo backend
 * per distinct backend address in it, then a banner saying what to curl. Ports can be moved with
 * --port / PORT (the listener), ADMIN_PORT (the admin API and dashboard) and BACKEND_BASE_PORT (the
 * demo backends); 0 picks free ports.
 */
import { fileURLToPath } from 'node:url';
import type { BackendConfig, JunctionConfig } from '../config/index.ts';
import type { CliContext, RunningServer } from './cli-context.ts';
import { loadOrReport } from './check-command.ts';
import { parsePort } from './cli-spec.ts';
import { startDemoBackends, type DemoBackend, type DemoBackendSpec } from './demo-backends.ts';
import { runJunction, withListenerPort } from './run-command.ts';

/** The same relative path from src/cli/ and dist/cli/; `files` in package.json ships examples/. */
export const QUICK_START_CONFIG = fileURLToPath(new URL('../../examples/quick-start.yaml', import.meta.url));

export interface QuickStartOptions {
  /** From --port; wins over the PORT environment variable. */
  readonly port?: number;
}

function addressOf(backend: { host: string; port: number }): string {
  return `${backend.host}:${backend.port}`;
}

/** The distinct backend addresses of `config`, in config order. */
function backendAddresses(config: JunctionConfig): { host: string; port: number }[] {
  const seen = new Map<string, { host: string; port: number }>();
  for (const cluster of config.clusters.values()) {
    for (const backend of cluster.backends)
      seen.set(addressOf(backend), { host: backend.host, port: backend.port });
  }
  return [...seen.values()];
}

/** One demo backend per address: backend-1, backend-2, ... at the configured ports or from `basePort` on. */
function demoSpecs(
  addresses: readonly { host: string; port: number }[],
  basePort: number | undefined,
): DemoBackendSpec[] {
  return addresses.map((address, index) => ({
    name: `backend-${index + 1}`,
    host: address.host,
    port: basePort === undefined ? address.port : basePort === 0 ? 0 : basePort + index,
  }));
}

/** The config pointed at where the demo backends actually listen (`started[i]` serves `addresses[i]`). */
function rewire(
  config: JunctionConfig,
  addresses: readonly { host: string; port: number }[],
  started: readonly DemoBackend[],
): JunctionConfig {
  const actualPort = new Map(
    addresses.map((address, index) => [addressOf(address), started[index]?.port ?? address.port]),
  );
  const move = (backend: BackendConfig): BackendConfig => {
    const port = actualPort.get(addressOf(backend)) ?? backend.port;
    // A default id names the address; keep it truthful when the port moves.
    const id = backend.id === addressOf(backend) ? addressOf({ host: backend.host, port }) : backend.id;
    return { ...backend, id, port };
  };
  const clusters = new Map(
    [...config.clusters].map(([name, c]) => [name, { ...c, backends: c.backends.map(move) }]),
  );
  return { ...config, clusters };
}

/** The config with its admin API on `port` (the quick start's config has one). */
function withAdminPort(config: JunctionConfig, port: number): JunctionConfig {
  return config.admin === undefined ? config : { ...config, admin: { ...config.admin, port } };
}

function banner(
  server: RunningServer,
  backends: readonly DemoBackend[],
  admin: { readonly url: string } | undefined,
): string {
  const listener = server.listeners[0];
  const base =
    listener === undefined ? 'http://127.0.0.1:8080' : `http://${listener.address}:${listener.port}`;
  const list = backends.map((b) => `${b.name} ${addressOf(b)}`).join(', ');
  return `
  Junction is running: the quick start.

  listening on  ${base}
  demo backends ${list}
  config        ${QUICK_START_CONFIG}${admin === undefined ? '' : `\n  dashboard     ${admin.url}/   (the admin API: ${admin.url}/status)`}

  Try:
    curl -s ${base}/                                # a few times: round robin, backend-1 then backend-2
    curl -s -H 'Host: api.localhost' ${base}/users  # host route -> cluster api
    curl -s ${base}/static/logo.png                 # path prefix /static/ -> backend-3
    curl -si -H 'Host: nobody.example' ${base}/     # no route for that host: 404

  Ctrl+C stops gracefully; a second Ctrl+C stops at once.

`;
}

/** Runs the quick start until a shutdown signal; resolves with the exit code. */
export async function runQuickStart(options: QuickStartOptions, context: CliContext): Promise<number> {
  const envPort = context.env['PORT'];
  const port = options.port ?? parsePort(envPort);
  if (options.port === undefined && envPort !== undefined && port === undefined) {
    context.stderr.write(`junction: PORT must be a port number from 0 to 65535, got '${envPort}'\n`);
    return 2;
  }
  const baseText = context.env['BACKEND_BASE_PORT'];
  const basePort = parsePort(baseText);
  if (baseText !== undefined && (basePort === undefined || basePort > 65535 - 16)) {
    context.stderr.write(`junction: BACKEND_BASE_PORT must be a port number, got '${baseText}'\n`);
    return 2;
  }
  const adminText = context.env['ADMIN_PORT'];
  const adminPort = parsePort(adminText);
  if (adminText !== undefined && adminPort === undefined) {
    context.stderr.write(`junction: ADMIN_PORT must be a port number from 0 to 65535, got '${adminText}'\n`);
    return 2;
  }
  const loaded = await loadOrReport(QUICK_START_CONFIG, context);
  if (loaded === undefined) return 1;

  const addresses = backendAddresses(loaded);
  let demo;
  try {
    demo = await startDemoBackends(demoSpecs(addresses, basePort));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    context.stderr.write(
      `junction: cannot start the demo backends (${reason}); set BACKEND_BASE_PORT=0 to use free ports\n`,
    );
    return 1;
  }
  try {
    let config = rewire(loaded, addresses, demo.backends);
    if (port !== undefined) config = withListenerPort(config, port);
    if (adminPort !== undefined) config = withAdminPort(config, adminPort);
    return await runJunction(config, context, {
      onListening: (server, admin) => context.stdout.write(banner(server, demo.backends, admin)),
    });
  } finally {
    await demo.close();
  }
}
