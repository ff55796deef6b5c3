/**
 * For the metrics tests: Junction with its admin API on 127.0.0.1 port 0, a scrape parsed into series,
 * and the Prometheus tools (Debian's `prometheus` package) found on PATH, or the test skipped, except
 * under CI, where a missing tool fails the test so CI never skips it.
 */
import { spawn } from 'node:child_process';
import { onTestFinished, type TestContext } from 'vitest';
import { ConfigStore, startAdmin, type AdminServer } from '../../src/admin/index.ts';
import { startJunctionFromYaml, type RunningJunction } from './start-junction.ts';
import { requireTool } from './system-tools.ts';
import { withTimeout } from './wait-for.ts';

export interface JunctionWithAdmin {
  readonly junction: RunningJunction;
  readonly admin: AdminServer;
  readonly token: string;
  /** GET on the admin API with the token (unless `withToken: false`). */
  get(
    path: string,
    options?: { withToken?: boolean },
  ): Promise<{ status: number; text: string; type: string }>;
  /** `GET /metrics`, parsed. */
  scrape(): Promise<Scrape>;
}

/** A scrape: the text, and each series' value by its exact `name{labels}` as printed. */
export interface Scrape {
  readonly text: string;
  value(series: string): number | undefined;
}

export const ADMIN_TOKEN = 'metrics-test-token-0123456789';

/** Junction from `yaml` (listeners on port 0) with an admin API on 127.0.0.1 port 0, closed after the test. */
export async function startWithAdmin(
  yaml: string,
  options: { baseDir?: string } = {},
): Promise<JunctionWithAdmin> {
  const junction = await startJunctionFromYaml(yaml, options);
  onTestFinished(() => junction.close(1000));
  const store = new ConfigStore(junction.server);
  const admin = await startAdmin(store, { address: '127.0.0.1', port: 0, token: ADMIN_TOKEN });
  onTestFinished(() => admin.close());
  const get = async (path: string, options: { withToken?: boolean } = {}) => {
    const response = await fetch(`${admin.url}${path}`, {
      headers: options.withToken === false ? {} : { authorization: `Bearer ${ADMIN_TOKEN}` },
      signal: AbortSignal.timeout(10_000),
    });
    return {
      status: response.status,
      text: await response.text(),
      type: response.headers.get('content-type') ?? '',
    };
  };
  return {
    junction,
    admin,
    token: ADMIN_TOKEN,
    get,
    scrape: async () => {
      const answer = await get('/metrics');
      if (answer.status !== 200) throw new Error(`GET /metrics answered ${answer.status}: ${answer.text}`);
      return parseScrape(answer.text);
    },
  };
}

export function parseScrape(text: string): Scrape {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return { text, value: (series) => values.get(series) };
}

/**
 * The executable `name` from Debian's `prometheus` package. Without it the test is skipped with a note
 * saying what to install, except under CI: there it fails, so CI never silently skips.
 */
export function requirePrometheusTool(context: TestContext, name: 'prometheus' | 'promtool'): string {
  return requireTool(context, name, "Debian's prometheus package (apt-get install prometheus)");
}

/** `promtool check metrics` over `text`: its exit code and everything it printed (nothing when clean). */
export async function promtoolCheck(
  promtool: string,
  text: string,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(promtool, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stdin.end(text);
  const code = await withTimeout(
    new Promise<number | null>((resolve) => child.on('close', resolve)),
    10_000,
    'promtool check metrics',
  );
  return { code, output };
}
