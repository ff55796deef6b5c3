import { EventEmitter } from 'node:events';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { setTimeout } from 'node:timers/promises';
import { describe, expect, onTestFinished, test } from 'vitest';
import type { JunctionConfig } from '../config/index.ts';
import { silentLogger } from '../log/index.ts';
import { startJunction } from '../server/index.ts';
import type { CliContext, RunningServer, StartJunction } from './cli-context.ts';
import { startDemoBackends } from './demo-backends.ts';
import { main } from './main.ts';

/** GET http://host:port/path with an optional Host header; resolves with the body (prefixed by the status when asked). */
function get(port: number, path: string, host?: string, withStatus = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers: host === undefined ? {} : { host }, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          resolve(withStatus ? `${res.statusCode ?? 0} ${body}` : body);
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

interface QuickStartRun {
  readonly exit: Promise<number>;
  /** Resolves once the server runs and the signal handlers are installed. */
  readonly server: Promise<RunningServer>;
  readonly config: Promise<JunctionConfig>;
  readonly signals: EventEmitter;
  readonly stdout: () => string;
  readonly stderr: () => string;
}

/** Runs `junction run --quick-start` in process with free ports, through `start` (fake or real). */
function quickStart(
  start: StartJunction | undefined,
  env: Record<string, string> = {},
  argv: string[] = [],
): QuickStartRun {
  let stdout = '';
  let stderr = '';
  const signals = new EventEmitter();
  let resolveServer!: (server: RunningServer) => void;
  let resolveConfig!: (config: JunctionConfig) => void;
  const server = new Promise<RunningServer>((resolve) => (resolveServer = resolve));
  const config = new Promise<JunctionConfig>((resolve) => (resolveConfig = resolve));
  const context: CliContext = {
    stdout: { write: (text) => (stdout += text) },
    stderr: { write: (text) => (stderr += text) },
    env: { PORT: '0', ADMIN_PORT: '0', BACKEND_BASE_PORT: '0', ...env },
    signals: { on: (s, l) => signals.on(s, l), off: (s, l) => signals.off(s, l) },
    exit: () => {
      throw new Error('unexpected forced exit');
    },
    logger: silentLogger(),
    startJunction: async (cfg, options) => {
      resolveConfig(cfg);
      const running = await (start ?? startJunction)(cfg, options);
      resolveServer(running);
      return running;
    },
  };
  const exit = main(['run', '--quick-start', ...argv], context);
  const ready = server.then(async (running) => {
    while (signals.listenerCount('SIGTERM') === 0) await new Promise((resolve) => setImmediate(resolve));
    return running;
  });
  return { exit, server: ready, config, signals, stdout: () => stdout, stderr: () => stderr };
}

const fakeStart: StartJunction = (config) =>
  Promise.resolve({
    listeners: config.listeners.map((l) => ({ name: l.name, address: l.address, port: 18080 })),
    close: () => Promise.resolve(),
  });

describe('junction run --quick-start', () => {
  test('starts a demo backend per address and points the clusters at them', async () => {
    const run = quickStart(fakeStart);
    const config = await run.config;
    expect(config.listeners.map((l) => l.port)).toEqual([0]);
    const api = config.clusters.get('api')!.backends;
    const statics = config.clusters.get('static')!.backends;
    expect(api.map((b) => b.port)).not.toContain(9101);
    expect(api.map((b) => b.id)).toEqual(api.map((b) => `127.0.0.1:${b.port}`));
    await run.server;
    expect(await get(api[0]!.port, '/users')).toBe(
      `hello from backend-1 (127.0.0.1:${api[0]!.port}): GET /users\n`,
    );
    expect(await get(api[1]!.port, '/')).toBe(`hello from backend-2 (127.0.0.1:${api[1]!.port}): GET /\n`);
    expect(await get(statics[0]!.port, '/static/a')).toMatch(/^hello from backend-3 /);
    expect(run.stdout()).toContain("curl -s -H 'Host: api.localhost' http://127.0.0.1:18080/users");
    run.signals.emit('SIGTERM', 'SIGTERM');
    expect(await run.exit).toBe(0);
    await expect(get(api[0]!.port, '/')).rejects.toThrow(/ECONNREFUSED/);
  });

  test('--port wins over PORT', async () => {
    const run = quickStart(fakeStart, { PORT: '1234' }, ['--port', '0']);
    expect((await run.config).listeners.map((l) => l.port)).toEqual([0]);
    await run.server;
    run.signals.emit('SIGINT', 'SIGINT');
    expect(await run.exit).toBe(0);
  });

  test.each([
    [{ PORT: 'eighty' }, "junction: PORT must be a port number from 0 to 65535, got 'eighty'\n"],
    [{ BACKEND_BASE_PORT: '70000' }, "junction: BACKEND_BASE_PORT must be a port number, got '70000'\n"],
    [{ ADMIN_PORT: '99999' }, "junction: ADMIN_PORT must be a port number from 0 to 65535, got '99999'\n"],
  ])('rejects a bad environment %o with exit 2', async (env, message) => {
    const run = quickStart(fakeStart, env);
    expect(await run.exit).toBe(2);
    expect(run.stderr()).toBe(message);
  });

  test('a demo backend port in use: a hint on stderr, exit 1', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => {
      blocker.close();
    });
    const { port } = blocker.address() as { port: number };
    const run = quickStart(fakeStart, { BACKEND_BASE_PORT: String(port) });
    expect(await run.exit).toBe(1);
    expect(run.stderr()).toMatch(/cannot start the demo backends .*EADDRINUSE.*set BACKEND_BASE_PORT=0/);
  });

  test('end to end through the real server: round robin, host route, static prefix, no route', async () => {
    const run = quickStart(undefined);
    const server = await run.server;
    const port = server.listeners[0]!.port;
    const first = await get(port, '/');
    const second = await get(port, '/');
    expect([first, second].map((body) => body.slice(0, 'hello from backend-1'.length)).sort()).toEqual([
      'hello from backend-1',
      'hello from backend-2',
    ]);
    expect(await get(port, '/users', 'api.localhost')).toMatch(/^hello from backend-[12] .*: GET \/users\n$/);
    expect(await get(port, '/static/logo.png')).toMatch(
      /^hello from backend-3 .*: GET \/static\/logo.png\n$/,
    );
    // The README's tour: a host no route serves gets Junction's own 404.
    expect(await get(port, '/', 'nobody.example', true)).toMatch(/^404 /);
    // The banner (printed once the admin API listens too) names the dashboard; it and the API answer there.
    const bannerBy = Date.now() + 5000;
    while (!run.stdout().includes('dashboard') && Date.now() < bannerBy) await setTimeout(10);
    const dashboard = /dashboard +http:\/\/127\.0\.0\.1:(\d+)\//.exec(run.stdout());
    expect(dashboard, run.stdout()).not.toBeNull();
    const adminPort = Number(dashboard![1]);
    expect(await get(adminPort, '/', undefined, true)).toMatch(/^200 <!doctype html>/i);
    expect(await get(adminPort, '/status', undefined, true)).toMatch(/^200 \{/);
    run.signals.emit('SIGTERM', 'SIGTERM');
    expect(await run.exit).toBe(0);
  });
});

describe('startDemoBackends', () => {
  test('rejects when one backend cannot bind; each answers with its name', async () => {
    const first = await startDemoBackends([{ name: 'one', host: '127.0.0.1', port: 0 }]);
    onTestFinished(() => first.close());
    const taken = first.backends[0]!.port;
    await expect(
      startDemoBackends([
        { name: 'a', host: '127.0.0.1', port: 0 },
        { name: 'b', host: '127.0.0.1', port: taken },
      ]),
    ).rejects.toThrow(/EADDRINUSE/);
    expect(await get(taken, '/x')).toBe(`hello from one (127.0.0.1:${taken}): GET /x\n`);
  });
});
