/**
 * The loading worker (built dist/: workers run compiled JavaScript) that reloads and admin edits use:
 * a config that needs more memory or time than it is given is refused with JCT_ERR_CONFIG_TOO_LARGE,
 * and this process is unharmed; problems come back with their positions; a valid config comes back
 * equal to one loaded on this thread.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, onTestFinished, test } from 'vitest';
import { configDocument, loadConfigFile, loadConfigIsolated } from '../../dist/config/index.js';
import { configHash, diffConfigs, isEmptyDiff } from '../../dist/server/config-diff.js';

/** The ConfigErrors a load rejects with, as plain facts. */
async function problemsOf(
  load: Promise<unknown>,
): Promise<{ code: string; problem: string; line?: number }[]> {
  try {
    await load;
  } catch (error) {
    const errors = (error as { errors?: { code: string; problem: string; at?: { line: number } }[] }).errors;
    if (errors === undefined) throw error;
    return errors.map((e) => ({ code: e.code, problem: e.problem, ...(e.at ? { line: e.at.line } : {}) }));
  }
  throw new Error('expected the load to fail');
}

async function tempFile(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'junction-worker-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'junction.yaml');
  await writeFile(file, text);
  return file;
}

function routes(count: number): string {
  const lines = ['listeners: [{ port: 0 }]', 'routes:'];
  for (let i = 0; i < count; i++) {
    lines.push(
      `  - { name: r${i}, match: { host: h${i}.example.com, path: { prefix: /p${i}/ } }, cluster: app }`,
    );
  }
  lines.push('clusters:', '  app:', '    backends: [127.0.0.1:9001]', '    retry: { on: [reset, 503] }');
  return `${lines.join('\n')}\n`;
}

describe('the config loading worker', () => {
  test('a config that needs more memory than the worker has is refused; this process goes on', async () => {
    const file = await tempFile(routes(20_000));
    const local: unknown[] = [];
    const problems = await problemsOf(
      loadConfigIsolated(
        { kind: 'file', path: file },
        { heapMb: 16, onLocal: (reason) => local.push(reason) },
      ),
    );
    expect(problems).toEqual([
      {
        code: 'JCT_ERR_CONFIG_TOO_LARGE',
        problem: `${file}: loading the config needs more than 16 MB of memory`,
      },
    ]);
    expect(local).toEqual([]);
  }, 60_000);

  test('a load that outlives its deadline is abandoned', async () => {
    const file = await tempFile(routes(5_000));
    expect(await problemsOf(loadConfigIsolated({ kind: 'file', path: file }, { timeoutMs: 50 }))).toEqual([
      { code: 'JCT_ERR_CONFIG_TOO_LARGE', problem: `${file}: loading the config took longer than 0.05 s` },
    ]);
  }, 60_000);

  test('problems come back at their positions', async () => {
    const file = await tempFile('listeners: [{ port: 0 }]\nroutes:\n  - { cluster: missing }\n');
    const problems = await problemsOf(loadConfigIsolated({ kind: 'file', path: file }));
    expect(problems.map((p) => [p.code, p.line])).toEqual([['JCT_ERR_CONFIG_INVALID', 3]]);
  }, 30_000);

  test('a config loaded in the worker equals the same file loaded here, hash and document included', async () => {
    const file = await tempFile(routes(1_200));
    const isolated = await loadConfigIsolated({ kind: 'file', path: file });
    const here = await loadConfigFile(file);
    expect(isEmptyDiff(diffConfigs(here, isolated))).toBe(true);
    expect(configHash(isolated)).toBe(configHash(here));
    expect(configDocument(isolated)).toEqual(configDocument(here));
    expect(isolated.clusters.get('app')!.retry.onStatuses).toEqual(new Set([503]));
  }, 30_000);

  test.each(['plugins.yaml', 'custom-strategy.yaml', 'rules.yaml', 'tcp.yaml'])(
    'examples/%s (modules, plugin configs, rules) comes back equal to a local load',
    async (name) => {
      const file = fileURLToPath(new URL(`../../examples/${name}`, import.meta.url));
      const isolated = await loadConfigIsolated({ kind: 'file', path: file });
      const here = await loadConfigFile(file);
      onTestFinished(() => {
        isolated.rules?.dispose();
        here.rules?.dispose();
      });
      const diff = diffConfigs(here, isolated);
      // Compiled rules are objects: equal configs with rules still differ there, and only there.
      expect({ ...diff, settings: diff.settings.filter((s) => s !== 'rules') }).toEqual({
        ...diffConfigs(here, here),
        settings: [],
      });
      expect([...isolated.strategyPlugins.keys()]).toEqual([...here.strategyPlugins.keys()]);
      expect(isolated.plugins.map((p) => p.definition)).toEqual(here.plugins.map((p) => p.definition));
      expect(isolated.rules === undefined).toBe(here.rules === undefined);
    },
    30_000,
  );
});
