/**
 * Config input that could hurt a running Junction (built dist/, spawned): pathological files sent by
 * SIGHUP are refused while traffic flows, a large config reloads without stalling traffic, `--watch`
 * and SIGHUP together make one version, and what `check` accepts `run` can bind or reports at a position.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, onTestFinished, test } from 'vitest';
import { countingBackend, type HttpBackend } from '../support/backends.ts';
import {
  JUNCTION_BIN as BIN,
  spawnJunction,
  tempConfigFile,
  type JunctionProcess,
} from '../support/junction-process.ts';
import { request } from '../support/clients.ts';
import { waitFor, withTimeout } from '../support/wait-for.ts';

async function backend(name: string): Promise<HttpBackend> {
  const started = await countingBackend(name);
  onTestFinished(() => started.close());
  return started;
}

const tempFile = tempConfigFile;

function runJunction(file: string, args: string[] = []): Promise<JunctionProcess> {
  return spawnJunction(file, {
    args,
    readyWhen: (out) => !args.includes('--watch') || out.includes('watching'),
  });
}

/** Answers per quarter of [from, to): a stall shows as quarters without any. */
function perQuarter(answers: readonly { at: number }[], from: number, to: number): number[] {
  const quarter = (to - from) / 4;
  return [0, 1, 2, 3].map(
    (q) => answers.filter((a) => a.at >= from + q * quarter && a.at < from + (q + 1) * quarter).length,
  );
}

/** `junction ARGS` to completion: exit code and output. */
function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return withTimeout(
    new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.once('exit', (code) => {
        resolve({ code, stdout, stderr });
      });
      // `run` does not end by itself once it is serving.
      setTimeout(() => child.kill('SIGTERM'), 12_000).unref();
    }),
    15_000,
    `junction ${args.join(' ')}`,
  );
}

/**
 * Requests one after another on keep-alive connections until stopped: when each answer came, what it
 * said, and how many failed.
 */
function requestLoop(port: number, inFlight = 2) {
  const agent = new Agent({ keepAlive: true, maxSockets: inFlight });
  const answers: { at: number; text: string }[] = [];
  let failures = 0;
  let running = true;
  const loops = Array.from({ length: inFlight }, async () => {
    while (running) {
      try {
        const res = await request(port, { agent });
        answers.push({ at: performance.now(), text: res.text });
      } catch {
        failures++;
      }
    }
  });
  return {
    answers,
    failures: () => failures,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      agent.destroy();
    },
  };
}

const TOKEN = 'config-input-test-token-0123';

const config = (b: HttpBackend, routes = 0, variant = 1, admin = false) => {
  const lines = ['listeners: [{ address: 127.0.0.1, port: 0 }]', 'routes:'];
  if (admin) lines.unshift(`admin: { address: 127.0.0.1, port: 0, token: ${TOKEN} }`);
  for (let i = 0; i < routes; i++) {
    lines.push(
      `  - { name: r${i}-v${variant}, match: { host: h${i}.example.com, path: { prefix: /p${i}/ } }, cluster: app }`,
    );
  }
  lines.push(
    `  - { name: app-v${variant}, cluster: app }`,
    'clusters:',
    `  app: { backends: ["${b.address}"] }`,
  );
  return `${lines.join('\n')}\n`;
};

describe('pathological files sent by SIGHUP', () => {
  test.each<[string, () => string, RegExp]>([
    ['5 MB of [', () => `listeners: ${'['.repeat(5_000_000)}`, /:1:\d+: nesting deeper than 64 levels/],
    ['a file over 16 MiB', () => `# ${'x'.repeat(17 * 1024 * 1024)}\n`, /larger than 16 MiB/],
  ])(
    '%s is refused; no request fails meanwhile, the old config serves and the process lives',
    async (_name, text, problem) => {
      const b0 = await backend('b0');
      const file = await tempFile('junction.yaml', config(b0));
      const junction = await runJunction(file);
      const loop = requestLoop(junction.port);
      onTestFinished(() => loop.stop());
      await waitFor(() => loop.answers.length > 10, { timeoutMs: 10_000 });

      await writeFile(file, text());
      const before = loop.answers.length;
      junction.child.kill('SIGHUP');
      await waitFor(() => junction.output().includes('reload refused'), { timeoutMs: 20_000 });
      await waitFor(() => loop.answers.length > before + 20, { timeoutMs: 10_000 });
      await loop.stop();

      expect(junction.output()).toMatch(problem);
      expect(loop.failures()).toBe(0);
      expect(new Set(loop.answers.map((a) => a.text))).toEqual(new Set(['b0']));
      expect(junction.child.exitCode).toBeNull();
      expect((await request(junction.port)).text).toBe('b0');
    },
    60_000,
  );
});

describe('reloading a large config', () => {
  test('traffic is answered all through the reload (the config is read and validated off the serving thread)', async () => {
    const [b0, b1] = [await backend('b0'), await backend('b1')];
    const routes = 5_000;
    const file = await tempFile('junction.yaml', config(b0, routes, 1));
    const junction = await runJunction(file);
    const loop = requestLoop(junction.port);
    onTestFinished(() => loop.stop());
    await waitFor(() => loop.answers.length > 10, { timeoutMs: 10_000 });

    await writeFile(file, config(b1, routes, 2));
    const mark = junction.output().length;
    const sighup = performance.now();
    junction.child.kill('SIGHUP');
    await waitFor(() => junction.output().slice(mark).includes('reloaded'), { timeoutMs: 60_000 });
    const reloaded = performance.now();
    await waitFor(() => loop.answers.at(-1)?.text === 'b1', { timeoutMs: 10_000 });
    await loop.stop();

    expect(loop.failures()).toBe(0);
    // No timing threshold: only that answers kept coming in every quarter of the reload's window (a
    // reload on the serving thread answers nothing for most of it).
    const counts = perQuarter(loop.answers, sighup, reloaded);
    expect(
      counts.every((count) => count > 0),
      `answers per quarter: ${counts.join(', ')}`,
    ).toBe(true);
  }, 90_000);
});

describe('admin API edits of a large config', () => {
  test('traffic is answered all through the edit (validated off the serving thread too)', async () => {
    const b0 = await backend('b0');
    const file = await tempFile('junction.yaml', config(b0, 5_000, 1, true));
    const junction = await runJunction(file);
    await waitFor(() => /admin API on (http:\/\/127\.0\.0\.1:\d+)/.test(junction.output()), {
      timeoutMs: 10_000,
    });
    const adminUrl = /admin API on (http:\/\/127\.0\.0\.1:\d+)/.exec(junction.output())![1]!;
    const loop = requestLoop(junction.port);
    onTestFinished(() => loop.stop());
    await waitFor(() => loop.answers.length > 10, { timeoutMs: 10_000 });

    const started = performance.now();
    const res = await fetch(`${adminUrl}/routes/extra`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ match: { path: '/extra/' }, cluster: 'app' }),
    });
    const ended = performance.now();
    expect(res.status).toBe(200);
    await loop.stop();

    expect(loop.failures()).toBe(0);
    const counts = perQuarter(loop.answers, started, ended);
    expect(
      counts.every((count) => count > 0),
      `answers per quarter: ${counts.join(', ')}`,
    ).toBe(true);
  }, 90_000);
});

describe('reload triggers', () => {
  test('--watch and SIGHUP together (and a burst of SIGHUPs) make one new version, not one per trigger', async () => {
    const [b0, b1] = [await backend('b0'), await backend('b1')];
    const file = await tempFile('junction.yaml', config(b0));
    const junction = await runJunction(file, ['--watch']);
    expect((await request(junction.port)).text).toBe('b0');

    await writeFile(file, config(b1));
    for (let i = 0; i < 4; i++) junction.child.kill('SIGHUP');
    await waitFor(async () => (await request(junction.port)).text === 'b1', { timeoutMs: 10_000 });
    // Let the file watch (debounced) and the coalesced SIGHUP run; both find nothing new.
    await waitFor(() => (junction.output().match(/unchanged \(/g) ?? []).length >= 1, { timeoutMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    const out = junction.output();
    expect(out).toContain('config version 2 applied');
    expect(out).not.toContain('config version 3');
    // One reload at a time: four SIGHUPs run at most twice (one, then one for those that came during it).
    const runs = (out.match(/"trigger":"[^"]*SIGHUP/g) ?? []).length;
    expect(runs).toBeLessThanOrEqual(3);
    expect((await request(junction.port)).text).toBe('b1');
  }, 30_000);
});

describe('what check accepts, run can bind', () => {
  test('300.1.1.1 is an error at its position for check and run alike', async () => {
    const file = await tempFile('junction.yaml', 'listeners:\n  - { address: 300.1.1.1, port: 0 }\n');
    for (const command of ['check', 'run']) {
      const result = await runCli([command, '-c', file]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `${file}:2:16: address: '300.1.1.1' is not a valid IPv4 address (four numbers from 0 to 255)`,
      );
    }
  }, 30_000);

  test('a listener that cannot bind (its port is taken) is reported by run at its position', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    onTestFinished(
      () =>
        new Promise<void>((resolve) =>
          taken.close(() => {
            resolve();
          }),
        ),
    );
    const port = (taken.address() as AddressInfo).port;
    const file = await tempFile('junction.yaml', `listeners:\n  - { address: 127.0.0.1, port: ${port} }\n`);
    expect((await runCli(['check', '-c', file])).code).toBe(0);
    const ran = await runCli(['run', '-c', file]);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain(
      `${file}:2:33: listeners[0].port: cannot listen on 127.0.0.1:${port} (EADDRINUSE: the port is in use)`,
    );
  }, 30_000);

  test('a listen name that does not resolve: check warns at its position, run refuses to start there', async () => {
    const file = await tempFile(
      'junction.yaml',
      'listeners:\n  - { address: no-such-host.invalid, port: 0 }\n',
    );
    const checked = await runCli(['check', '-c', file]);
    expect(checked.code).toBe(0);
    expect(checked.stderr).toMatch(
      new RegExp(`${file}:2:16: warning: address: 'no-such-host.invalid' does not resolve`),
    );
    const ran = await runCli(['run', '-c', file]);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toMatch(new RegExp(`${file}:2:16: address: 'no-such-host.invalid' does not resolve`));
  }, 30_000);
});
