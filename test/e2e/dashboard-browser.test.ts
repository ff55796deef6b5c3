/**
 * The dashboard in a real browser: headless Chromium (Debian's `chromium`, driven by playwright-core)
 * against a running Junction with real traffic from this test. It signs in with the token, sees the
 * routes, clusters and backends with live counts, a dead backend down, drains and undrains a backend
 * with the page's buttons (checked through the admin API), reaches the buttons by keyboard, and loads
 * nothing from outside the admin listener. Screenshots (laptop light, phone dark) are kept under
 * test-results/. Without Chromium the test is skipped with a note, except under CI, where it fails.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { describe, expect, onTestFinished, test, type TestContext } from 'vitest';
import { closedPort, echoBackend } from '../support/backends.ts';
import { request } from '../support/clients.ts';
import { startWithDashboard } from '../support/dashboard.ts';
import { requireTool } from '../support/system-tools.ts';
import { backendList } from '../support/start-junction.ts';
import { delay, waitFor } from '../support/wait-for.ts';

const TOKEN = 'dashboard-browser-token-0123456789';
const ARTEFACTS = join(import.meta.dirname, '../../test-results');

/** Chromium (JUNCTION_CHROMIUM, else Debian's on PATH), or the test skipped with what to install. */
function requireChromium(context: TestContext): string {
  const given = process.env['JUNCTION_CHROMIUM'];
  if (given !== undefined && existsSync(given)) return given;
  return requireTool(context, 'chromium', "Debian's chromium package (apt-get install chromium)");
}

async function launch(executablePath: string): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    // Root in a container has no user namespace for Chromium's sandbox.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    timeout: 30_000,
  });
  onTestFinished(() => browser.close());
  return browser;
}

/** Requests to the proxy until stop(): the traffic the dashboard shows. */
function traffic(port: number, paths: readonly string[]): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      await request(port, { path: paths[i % paths.length]! }).catch(() => undefined);
      await delay(20);
    }
  })();
  const stop = async () => {
    running = false;
    await loop;
  };
  onTestFinished(stop);
  return { stop };
}

/** The text of the cell `column` (0-based) of the row whose data-key is `key`, inside `table`. */
async function cell(page: Page, table: string, key: string, column: number): Promise<string> {
  return page.locator(`${table} tr[data-key="${key}"] > td`).nth(column).innerText();
}

describe('the dashboard in Chromium', () => {
  test('shows live routes, clusters and backends, drains and undrains, loads nothing external', async (context) => {
    const executablePath = requireChromium(context);
    const app = await echoBackend('app');
    const spare = await echoBackend('spare');
    const flaky = await echoBackend('flaky', { status: 503 });
    const dead = await closedPort();
    const j = await startWithDashboard(
      `
routes:
  - { name: api, match: { path: { prefix: /api/ } }, cluster: app }
  - { name: checked, match: { path: { prefix: /checked/ } }, cluster: checked }
  - { name: flaky, match: { path: { prefix: /flaky/ } }, cluster: flaky }
clusters:
  app: { backends: ${backendList(app, spare)} }
  checked:
    backends: ${backendList(app, dead)}
    health: { active: { path: /, interval: 200ms, timeout: 100ms, unhealthy_threshold: 1 } }
  flaky: { backends: ${backendList(flaky)}, retry: { attempts: 1 } }
`,
      { token: TOKEN },
    );
    const load = traffic(j.junction.port, [
      '/api/a',
      '/api/b',
      '/checked/c',
      '/api/d',
      '/nowhere',
      '/api/e',
      '/flaky/f',
    ]);

    const browser = await launch(executablePath);
    const browserContext = await browser.newContext({
      viewport: { width: 1280, height: 1000 },
      colorScheme: 'light',
    });
    const page = await browserContext.newPage();
    const requested: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    page.on('console', (m) => {
      // The first poll before signing in is answered 401 (that is what shows the form): not a problem.
      if (m.type() === 'error' && !m.text().includes('status of 401')) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('dialog', (dialog) => void dialog.accept());

    // Signing in: the token goes into the form, never into a URL.
    await page.goto(`${j.admin.url}/`);
    await page.locator('#token').fill(TOKEN);
    await page.locator('#login button[type=submit]').click();
    await page.locator('#main').waitFor({ state: 'visible', timeout: 10_000 });

    // Routes with live counts: requests per second above zero once two readings are apart.
    await page.locator('#route-table tr[data-key="api"]').waitFor({ timeout: 10_000 });
    await waitFor(async () => Number(await cell(page, '#route-table', 'api', 4)) > 0, { timeoutMs: 15_000 });
    expect(await cell(page, '#route-table', 'api', 1)).toContain('path prefix /api/');
    expect(await cell(page, '#route-table', 'api', 2)).toBe('app');
    expect(await cell(page, '#route-table', 'api', 6)).toMatch(/ms|s$/);
    expect(Number((await page.locator('#rps').innerText()).replace(/,/g, ''))).toBeGreaterThan(0);

    // Clusters and backends: the dead one is down by active check, the others up.
    const deadRow = page.locator(`#clusters tr[data-key="live:127.0.0.1:${dead}"]`);
    await waitFor(async () => (await deadRow.getAttribute('data-state')) === 'down', { timeoutMs: 10_000 });
    expect(await deadRow.locator('td').nth(3).innerText()).toMatch(/^active check: /);
    expect(
      await page.locator(`#clusters tr[data-key="live:${spare.address}"]`).getAttribute('data-state'),
    ).toBe('up');
    // The proxy's 404s for /nowhere are not failures; the traffic chart is drawn.
    await page.locator('#traffic-chart canvas').waitFor({ timeout: 10_000 });

    // Keyboard: Tab reaches the drain buttons.
    const drainLabel = `Drain ${spare.address} of app`;
    let reached = false;
    for (let i = 0; i < 80 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = (await page.evaluate("document.activeElement?.getAttribute('aria-label')")) === drainLabel;
    }
    expect(reached).toBe(true);

    // Drain with the page's button (confirmed in its dialog); the admin API shows it gone.
    await page.getByRole('button', { name: drainLabel }).press('Enter');
    const backendsOf = async (cluster: string) => {
      const answer = await j.call('GET', `/clusters/${cluster}/backends`, { token: TOKEN });
      return (answer.json() as { backends: { id: string }[] }).backends.map((b) => b.id);
    };
    await waitFor(async () => !(await backendsOf('app')).includes(spare.address), { timeoutMs: 10_000 });
    expect(await backendsOf('app')).toEqual([app.address]);
    const undrain = page.getByRole('button', { name: `Undrain ${spare.address} of app` });
    await undrain.waitFor({ timeout: 10_000 });
    await undrain.click();
    await waitFor(async () => (await backendsOf('app')).includes(spare.address), { timeoutMs: 10_000 });
    await page.locator(`#clusters tr[data-key="live:${spare.address}"]`).waitFor({ timeout: 10_000 });

    // The upstream's 503s are listed as recent errors, with their route and upstream.
    const errorRow = page.locator('#errors tbody tr', { hasText: flaky.address }).first();
    await errorRow.waitFor({ timeout: 10_000 });
    expect(await errorRow.locator('td').nth(2).innerText()).toBe('flaky');
    expect(await errorRow.locator('td').nth(4).innerText()).toBe('503');
    // Charts with a few readings behind them, for the screenshot.
    await page.locator('#route-table tr[data-key="api"] canvas').waitFor({ timeout: 10_000 });
    await mkdir(ARTEFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTEFACTS, 'dashboard.png'), fullPage: true });

    // A phone's width in dark mode: still one page, no horizontal scroll of the page itself.
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
    const small = await phone.newPage();
    small.on('request', (r) => requested.push(r.url()));
    await small.goto(`${j.admin.url}/`);
    await small.locator('#token').fill(TOKEN);
    await small.locator('#token').press('Enter');
    await small.locator('#route-table tr[data-key="api"]').waitFor({ timeout: 10_000 });
    const overflow = await small.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    const background = await small.evaluate<string>('getComputedStyle(document.body).backgroundColor');
    expect(background).toBe('rgb(13, 17, 23)');
    await small.screenshot({ path: join(ARTEFACTS, 'dashboard-phone-dark.png'), fullPage: true });

    await load.stop();
    // Everything the pages asked for came from the admin listener, and the token never was in a URL.
    expect(requested.length).toBeGreaterThan(5);
    expect(requested.filter((url) => !url.startsWith(`${j.admin.url}/`))).toEqual([]);
    expect(requested.filter((url) => url.includes(TOKEN))).toEqual([]);
    expect(problems).toEqual([]);
  }, 90_000);
});
