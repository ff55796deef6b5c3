import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { JunctionConfig } from '../config/index.ts';
import { Writable } from 'node:stream';
import { createLogger, silentLogger, type Logger } from '../log/index.ts';
import type { CliContext, RunningServer, ShutdownSignal } from './cli-context.ts';
import { adminUrl } from './ctl-command.ts';
import { CTL_USAGE } from './ctl-command.ts';
import { main } from './main.ts';
import { CHECK_USAGE, COMPLETION_USAGE, RUN_USAGE, SCHEMA_USAGE, USAGE } from './usage.ts';

interface FakeProcess {
  readonly context: CliContext;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly signals: EventEmitter;
  readonly exits: number[];
  /** Configs startJunction was called with. */
  readonly started: JunctionConfig[];
  /** grace values close() was called with. */
  readonly closes: (number | undefined)[];
  /** How many times reopenLogs() was called. */
  readonly reopens: () => number;
}

/** A process for main(): captured output, an emitter for signals, and a fake server. */
function fakeProcess(
  options: { startError?: Error; closeHangs?: boolean; env?: Record<string, string>; logger?: Logger } = {},
): FakeProcess {
  let stdout = '';
  let stderr = '';
  const signals = new EventEmitter();
  const exits: number[] = [];
  const started: JunctionConfig[] = [];
  const closes: (number | undefined)[] = [];
  let reopens = 0;
  const context: CliContext = {
    stdout: { write: (text) => (stdout += text) },
    stderr: { write: (text) => (stderr += text) },
    env: options.env ?? {},
    signals: {
      on: (signal, listener) => signals.on(signal, listener),
      off: (signal, listener) => signals.off(signal, listener),
    },
    exit: (code) => exits.push(code),
    logger: options.logger ?? silentLogger(),
    startJunction: (config) => {
      started.push(config);
      if (options.startError) return Promise.reject(options.startError);
      const server: RunningServer = {
        listeners: config.listeners.map((l) => ({ name: l.name, address: l.address, port: l.port })),
        close: (graceMs) => {
          closes.push(graceMs);
          return options.closeHangs === true ? new Promise(() => undefined) : Promise.resolve();
        },
        reopenLogs: () => {
          reopens++;
        },
      };
      return Promise.resolve(server);
    },
  };
  return {
    context,
    stdout: () => stdout,
    stderr: () => stderr,
    signals,
    exits,
    started,
    closes,
    reopens: () => reopens,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'junction-cli-unit-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const GOOD = file(
  'good.yaml',
  'listeners: [{ port: 0 }]\nroutes: [{ cluster: app }]\nclusters:\n  app: { backends: [127.0.0.1:9001] }\ntimeouts: { shutdown_grace: 1500ms }\n',
);
const BAD = file(
  'bad.yaml',
  'listeners:\n  - port: 99999\nroutes:\n  - cluster: ap\nclusters:\n  app: { backends: [] }\n',
);
const TWO_LISTENERS = file('two.yaml', 'listeners: [{ name: a, port: 0 }, { name: b, port: 0 }]\n');

/** Lets main() run up to its next await on the fake server. */
/** Config loading reads files and may import modules, so wait by time (bounded), not by turns. */
async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
  expect(condition()).toBe(true);
}

describe('junction help, version and usage errors', () => {
  test.each<[string[], string]>([
    [['--help'], USAGE],
    [['-h'], USAGE],
    [['help'], USAGE],
    [['check', '--help'], CHECK_USAGE],
    [['help', 'check'], CHECK_USAGE],
    [['run', '-h'], RUN_USAGE],
    [['help', 'run'], RUN_USAGE],
    [['ctl', '--help'], CTL_USAGE],
    [['ctl', 'help'], CTL_USAGE],
    [['help', 'ctl'], CTL_USAGE],
    [['schema', '--help'], SCHEMA_USAGE],
    [['completion', '--help'], COMPLETION_USAGE],
  ])('%j prints that help, exit 0', async (argv, text) => {
    const p = fakeProcess();
    expect(await main(argv, p.context)).toBe(0);
    expect(p.stdout()).toBe(text);
    expect(p.stderr()).toBe('');
  });

  test("each command's help names every option the command takes", () => {
    for (const flag of ['--config', '--quick-start', '--port', '--watch', '--workers', '--help']) {
      expect(RUN_USAGE).toContain(flag);
    }
    for (const flag of [
      '--admin',
      '--config',
      '--token',
      '--json',
      '--weight',
      '--id',
      '--timeout',
      '--help',
    ]) {
      expect(CTL_USAGE).toContain(flag);
    }
    expect(CHECK_USAGE).toContain('--config');
  });

  test.each([['--version'], ['-v'], ['version']])('%s prints the package version', async (flag) => {
    const p = fakeProcess();
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(await main([flag], p.context)).toBe(0);
    expect(p.stdout()).toBe(`${manifest.version}\n`);
  });

  test.each<[string, string[], string]>([
    ['no command', [], 'no command given'],
    ['an unknown command', ['serve'], "unknown command 'serve'"],
    ['a misspelt command', ['chek', '-c', GOOD], "unknown command 'chek'; did you mean 'check'?"],
    [
      'a flag before any command',
      ['--watch'],
      "'--watch' needs a command before it, as in 'junction run --watch'",
    ],
    ['an unknown flag', ['check', '--bogus'], "unknown option '--bogus'"],
    ['a misspelt flag', ['run', '-c', GOOD, '--wach'], "unknown option '--wach'; did you mean '--watch'?"],
    ['help for no such command', ['help', 'rnu'], "unknown command 'rnu'; did you mean 'run'?"],
    ['completion for no such shell', ['completion', 'bsh'], "unknown shell 'bsh'; did you mean 'bash'?"],
    ['completion without a shell', ['completion'], 'completion needs a shell: bash, zsh, fish'],
    ['schema with an argument', ['schema', 'x'], "unexpected argument 'x'"],
    [
      'a port with a leading zero',
      ['run', '-c', GOOD, '--port', '080'],
      "--port must be a port number from 0 to 65535, got '080'",
    ],
    ['a stray argument', ['check', '-c', GOOD, 'extra'], "unexpected argument 'extra'"],
    ['check without -c', ['check'], 'check needs a config file: check -c FILE'],
    ['-c without a value', ['check', '-c'], "Option '-c, --config <value>' argument missing"],
    ['run without a config', ['run'], 'run needs a config file: run -c FILE'],
    [
      'run with both',
      ['run', '-c', GOOD, '--quick-start'],
      'run takes either -c FILE or --quick-start, not both',
    ],
    [
      'a bad --port',
      ['run', '-c', GOOD, '--port', 'http'],
      "--port must be a port number from 0 to 65535, got 'http'",
    ],
    [
      '--port with two listeners',
      ['run', '-c', TWO_LISTENERS, '--port', '80'],
      '--port needs a config with exactly one listener; this one has 2',
    ],
    [
      'a bad --workers',
      ['run', '-c', GOOD, '--workers', '0'],
      "--workers must be auto or a whole number from 1 to 1024, got '0'",
    ],
    [
      '--workers with --quick-start',
      ['run', '--quick-start', '--workers', '2'],
      '--workers needs -c FILE; the quick start runs one process',
    ],
  ])('%s: the problem and where help is on stderr, exit 2', async (_name, argv, message) => {
    const p = fakeProcess();
    expect(await main(argv, p.context)).toBe(2);
    const [first, hint, ...rest] = p.stderr().split('\n');
    expect(first).toBe(`junction: ${message}`);
    expect(hint).toMatch(/^Run 'junction( [a-z]+)? --help' for (its options|the commands)\.$/);
    expect(rest).toEqual(['']);
    expect(p.stdout()).toBe('');
  });

  test('a ctl usage error says what is wrong and where help is, exit 2', async () => {
    const p = fakeProcess();
    expect(await main(['ctl', 'stauts', '--admin', '127.0.0.1:9901'], p.context)).toBe(2);
    expect(p.stderr()).toBe(
      "junction ctl: unknown ctl command 'stauts'; did you mean 'status'?\nRun 'junction ctl --help' for its commands and options.\n",
    );
    const q = fakeProcess();
    expect(await main(['ctl', 'status', '--admn', 'x'], q.context)).toBe(2);
    expect(q.stderr()).toContain("unknown option '--admn'; did you mean '--admin'?");
  });

  test('schema prints the JSON Schema; completion prints a script', async () => {
    const p = fakeProcess();
    expect(await main(['schema'], p.context)).toBe(0);
    const schema = JSON.parse(p.stdout()) as Record<string, unknown>;
    expect(schema['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    for (const shell of ['bash', 'zsh', 'fish']) {
      const q = fakeProcess();
      expect(await main(['completion', shell], q.context)).toBe(0);
      expect(q.stdout()).toContain('junction');
      expect(q.stdout()).toContain('quick-start');
    }
  });
});

test('JUNCTION_WORKER_SCHEDULING must name a policy: usage on stderr, exit 2', async () => {
  const p = fakeProcess({ env: { JUNCTION_WORKER_SCHEDULING: 'random' } });
  expect(await main(['run', '-c', GOOD], p.context)).toBe(2);
  expect(p.stderr()).toContain("junction: JUNCTION_WORKER_SCHEDULING must be none or rr, got 'random'");
});

describe('junction check', () => {
  test('a valid file: FILE: OK on stdout, exit 0', async () => {
    const p = fakeProcess();
    expect(await main(['check', '-c', GOOD], p.context)).toBe(0);
    expect(p.stdout()).toBe(`${GOOD}: OK\n`);
    expect(p.stderr()).toBe('');
  });

  test('an invalid file: every problem as file:line:column: message on stderr, exit 1', async () => {
    const p = fakeProcess();
    expect(await main(['check', '--config', BAD], p.context)).toBe(1);
    expect(p.stdout()).toBe('');
    expect(p.stderr()).toBe(
      [
        `${BAD}:2:11: port: must be a whole number from 0 to 65535, got 99999`,
        `${BAD}:4:14: cluster: unknown cluster 'ap'; did you mean 'app'?`,
        `${BAD}:6:20: backends: a cluster needs at least one backend`,
        '',
      ].join('\n'),
    );
  });

  test('a missing file: the read error, exit 1', async () => {
    const p = fakeProcess();
    const missing = join(dir, 'missing.yaml');
    expect(await main(['check', '-c', missing], p.context)).toBe(1);
    expect(p.stderr()).toBe(`${missing}: cannot read the config file (ENOENT)\n`);
  });
});

describe('junction run', () => {
  test('a signal while Junction starts is not lost: it closes once serving, exit 0', async () => {
    const p = fakeProcess();
    const start = p.context.startJunction!;
    const context: CliContext = {
      ...p.context,
      startJunction: (config, options) => {
        // Listeners may already accept while the rest starts: a service manager may stop it then.
        p.signals.emit('SIGTERM', 'SIGTERM' satisfies ShutdownSignal);
        return start(config, options);
      },
    };
    expect(await main(['run', '-c', GOOD], context)).toBe(0);
    expect(p.closes).toEqual([1500]);
    expect(p.signals.listenerCount('SIGTERM')).toBe(0);
  });

  test('starts, then closes gracefully on the first signal and exits 0', async () => {
    const p = fakeProcess();
    const exit = main(['run', '-c', GOOD], p.context);
    await until(() => p.signals.listenerCount('SIGTERM') === 1);
    expect(p.started).toHaveLength(1);
    expect(p.started[0]?.source).toBe(GOOD);
    p.signals.emit('SIGTERM', 'SIGTERM' satisfies ShutdownSignal);
    expect(await exit).toBe(0);
    expect(p.closes).toEqual([1500]);
    expect(p.exits).toEqual([]);
    expect(p.signals.listenerCount('SIGTERM') + p.signals.listenerCount('SIGINT')).toBe(0);
  });

  test('a second signal while closing exits at once', async () => {
    const p = fakeProcess({ closeHangs: true });
    void main(['run', '-c', GOOD], p.context);
    await until(() => p.signals.listenerCount('SIGINT') === 1);
    p.signals.emit('SIGINT', 'SIGINT');
    expect(p.exits).toEqual([]);
    p.signals.emit('SIGINT', 'SIGINT');
    expect(p.exits).toEqual([1]);
    expect(p.closes).toEqual([1500]);
  });

  test('SIGQUIT closes gracefully too (nginx operators send it for a graceful stop)', async () => {
    const p = fakeProcess();
    const exit = main(['run', '-c', GOOD], p.context);
    await until(() => p.signals.listenerCount('SIGQUIT') === 1);
    p.signals.emit('SIGQUIT', 'SIGQUIT');
    expect(await exit).toBe(0);
    expect(p.closes).toEqual([1500]);
    expect(p.exits).toEqual([]);
  });

  test('SIGUSR1 reopens the access logs (and never opens the inspector), from start to exit', async () => {
    const p = fakeProcess();
    const exit = main(['run', '-c', GOOD], p.context);
    await until(() => p.signals.listenerCount('SIGTERM') === 1);
    expect(p.signals.listenerCount('SIGUSR1')).toBe(1);
    p.signals.emit('SIGUSR1', 'SIGUSR1');
    p.signals.emit('SIGUSR1', 'SIGUSR1');
    expect(p.reopens()).toBe(2);
    expect(p.closes).toEqual([]);
    p.signals.emit('SIGTERM', 'SIGTERM');
    expect(await exit).toBe(0);
    expect(p.signals.listenerCount('SIGUSR1')).toBe(0);
  });

  test('SIGUSR2 is logged and ignored, from start to exit', async () => {
    const lines: { level: number; msg: string; signal?: string }[] = [];
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]);
        done();
      },
    });
    const p = fakeProcess({ logger: createLogger({ level: 'warn', destination: sink }) });
    const exit = main(['run', '-c', GOOD], p.context);
    await until(() => p.signals.listenerCount('SIGTERM') === 1);
    expect(p.signals.emit('SIGUSR2', 'SIGUSR2')).toBe(true);
    await until(() => lines.length === 1);
    expect(lines[0]).toMatchObject({
      level: 40,
      signal: 'SIGUSR2',
      msg: 'SIGUSR2 restarts worker processes, and this Junction runs one process; ignored',
    });
    expect(p.closes).toEqual([]);
    expect(p.exits).toEqual([]);
    p.signals.emit('SIGTERM', 'SIGTERM');
    expect(await exit).toBe(0);
    expect(p.signals.listenerCount('SIGUSR2')).toBe(0);
  });

  test('--port overrides the listener port', async () => {
    const p = fakeProcess();
    const exit = main(['run', '-c', GOOD, '--port', '8081'], p.context);
    await until(() => p.started.length === 1);
    expect(p.started[0]?.listeners.map((l) => l.port)).toEqual([8081]);
    await until(() => p.signals.listenerCount('SIGTERM') === 1);
    p.signals.emit('SIGTERM', 'SIGTERM');
    expect(await exit).toBe(0);
  });

  test.each(['verbose', 'warning', '30'])(
    'JUNCTION_LOG_LEVEL=%s: usage naming the levels, exit 2, nothing starts',
    async (level) => {
      const p = fakeProcess({ env: { JUNCTION_LOG_LEVEL: level } });
      expect(await main(['run', '-c', GOOD], p.context)).toBe(2);
      // One line: the options would not help.
      expect(p.stderr()).toBe(
        `junction: JUNCTION_LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent (in any case), got '${level}'\n`,
      );
      expect(p.started).toEqual([]);
    },
  );

  test.each(['WARN', 'Info', 'debug', ''])('JUNCTION_LOG_LEVEL=%j is a level: run starts', async (level) => {
    const p = fakeProcess({ env: { JUNCTION_LOG_LEVEL: level } });
    const exit = main(['run', '-c', GOOD], p.context);
    await until(() => p.signals.listenerCount('SIGTERM') === 1);
    p.signals.emit('SIGTERM', 'SIGTERM');
    expect(await exit).toBe(0);
    expect(p.stderr()).toBe('');
  });

  test('an invalid config is reported and nothing starts, exit 1', async () => {
    const p = fakeProcess();
    expect(await main(['run', '-c', BAD], p.context)).toBe(1);
    expect(p.stderr()).toContain(`${BAD}:2:11: port:`);
    expect(p.started).toEqual([]);
  });

  test('a server that cannot start: the reason on stderr, exit 1', async () => {
    const p = fakeProcess({
      startError: new Error('listen EADDRINUSE: address already in use 127.0.0.1:8080'),
    });
    expect(await main(['run', '-c', GOOD], p.context)).toBe(1);
    expect(p.stderr()).toBe(
      'junction: cannot start: listen EADDRINUSE: address already in use 127.0.0.1:8080\n',
    );
    expect(p.signals.listenerCount('SIGTERM')).toBe(0);
  });
});

describe('ctl --admin', () => {
  test.each<[string, string]>([
    ['127.0.0.1:9901', 'http://127.0.0.1:9901'],
    ['localhost:9901', 'http://localhost:9901'],
    ['[::1]:9901', 'http://[::1]:9901'],
    ['http://127.0.0.1:9901/', 'http://127.0.0.1:9901'],
    ['https://admin.example:8443', 'https://admin.example:8443'],
  ])('%s is %s', (text, url) => {
    expect(adminUrl(text)).toBe(url);
  });

  test.each<[string, string]>([
    ['127.0.0.1:080', "--admin port must be a number from 1 to 65535, got '080'"],
    ['127.0.0.1:0', "--admin port must be a number from 1 to 65535, got '0'"],
    ['127.0.0.1', '--admin needs a port, as in 127.0.0.1:9901'],
    ['ftp://127.0.0.1:21', "--admin must be an http:// or https:// URL, got 'ftp://127.0.0.1:21'"],
    ['::1:9901', 'write IPv6 addresses in brackets, as in [::1]:9901'],
  ])('%s is refused: %s', (text, message) => {
    expect(() => adminUrl(text)).toThrow(message);
  });
});
