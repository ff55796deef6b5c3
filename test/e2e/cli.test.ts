/**
 * The command line, in process: `check -c FILE` exits 0 on a valid config and 1 on an invalid one, naming
 * file:line:column on stderr; `--version` and `--help` exit 0; the shipped quick-start config checks.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, onTestFinished, test, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';

const QUICK_START = fileURLToPath(new URL('../../examples/quick-start.yaml', import.meta.url));
const PACKAGE_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `main(argv)` capturing what it writes, whether through process streams or console. */
async function runCli(argv: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const text = (chunk: unknown): string =>
    typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString();
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      stdout += text(chunk);
      return true;
    }),
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
      stderr += text(chunk);
      return true;
    }),
    ...(['log', 'info'] as const).map((method) =>
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        stdout += `${args.map(String).join(' ')}\n`;
      }),
    ),
    ...(['error', 'warn'] as const).map((method) =>
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        stderr += `${args.map(String).join(' ')}\n`;
      }),
    ),
  ];
  try {
    const code = await main(argv);
    return { code, stdout, stderr };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

async function configFile(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'junction-cli-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('check exits 0 on a valid config', async () => {
  const file = await configFile(
    'good.yaml',
    `listeners: [{ address: 127.0.0.1, port: 0 }]
routes:
  - { name: api, match: { host: api.example.com, path: /v1/ }, cluster: api }
clusters:
  api: { strategy: round-robin, backends: ["127.0.0.1:9001", { address: "127.0.0.1:9002", weight: 2 }] }
timeouts: { connect: 3s, backend_response: 60s }
`,
  );
  const run = await runCli(['check', '-c', file]);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
});

test('check exits 1 on a route naming an unknown cluster, with file:line:column on stderr', async () => {
  const file = await configFile(
    'unknown-cluster.yaml',
    `listeners: [{ address: 127.0.0.1, port: 0 }]
routes:
  - match: { path: / }
    cluster: missing
clusters:
  app: { backends: ["127.0.0.1:9001"] }
`,
  );
  const run = await runCli(['check', '-c', file]);
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(new RegExp(`${escape(file)}:4:\\d+`));
  expect(run.stderr).toContain('missing');
});

test('check exits 1 on a bad duration, pointing at its line', async () => {
  const file = await configFile(
    'bad-duration.yaml',
    `listeners: [{ address: 127.0.0.1, port: 0 }]
routes: [{ match: { path: / }, cluster: app }]
clusters:
  app: { backends: ["127.0.0.1:9001"] }
timeouts:
  connect: soon
`,
  );
  const run = await runCli(['check', '-c', file]);
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(new RegExp(`${escape(file)}:6:\\d+`));
});

test('check exits 1 on YAML that does not parse, pointing at the line', async () => {
  const file = await configFile('broken.yaml', `listeners: [{ address: 127.0.0.1, port: 0 }]\nroutes: [\n`);
  const run = await runCli(['check', '-c', file]);
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(new RegExp(`${escape(file)}:\\d+:\\d+`));
});

test('check exits non-zero when the file does not exist', async () => {
  const run = await runCli(['check', '-c', join(tmpdir(), 'junction-no-such-file.yaml')]);
  expect(run.code).not.toBe(0);
  expect(run.stderr).toContain('junction-no-such-file.yaml');
});

test('run with a JUNCTION_LOG_LEVEL that names no level: a usage error (exit 2), not a stack trace', async () => {
  const file = await configFile(
    'ok.yaml',
    'listeners: [{ address: 127.0.0.1, port: 0 }]\nroutes: [{ cluster: app }]\nclusters:\n  app: { backends: ["127.0.0.1:9001"] }\n',
  );
  vi.stubEnv('JUNCTION_LOG_LEVEL', 'verbose');
  onTestFinished(() => {
    vi.unstubAllEnvs();
  });
  const run = await runCli(['run', '-c', file]);
  expect(run.code).toBe(2);
  expect(run.stderr).toContain(
    "JUNCTION_LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent (in any case), got 'verbose'",
  );
  expect(run.stderr).not.toMatch(/^\s+at /m);
});

test('--version prints the package version and --help prints usage, both exiting 0', async () => {
  const version = await runCli(['--version']);
  const help = await runCli(['--help']);
  expect(version.code).toBe(0);
  expect(version.stdout).toContain(PACKAGE_VERSION);
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/check/);
});

test.skipIf(!existsSync(QUICK_START))(
  'examples/quick-start.yaml passes check (skipped while examples/ has no quick-start.yaml)',
  async () => {
    const run = await runCli(['check', '-c', QUICK_START]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  },
);
