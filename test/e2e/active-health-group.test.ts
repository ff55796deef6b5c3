/**
 * Active health checks run once per group: one server runs them and sends each result; the others
 * run none and apply what they are sent. Two JunctionServers in one process stand in for two workers,
 * wired runner → follower as the group's IPC would, over real sockets to backends on 127.0.0.1.
 */
import { describe, expect, onTestFinished, test } from 'vitest';
import { loadConfigText } from '../../src/config/index.ts';
import {
  startJunction,
  type ActiveHealthEvent,
  type ActiveHealthMode,
  type JunctionServer,
  type UpstreamStatus,
} from '../../src/server/index.ts';
import { healthCheckedBackend, type HealthCheckedBackend } from '../support/backends.ts';
import { request } from '../support/clients.ts';
import { backendList, EPHEMERAL_LISTENER_YAML } from '../support/start-junction.ts';
import { delay, waitFor } from '../support/wait-for.ts';

/** Checks every 100 ms; two failures take a backend out, two passes bring it back. */
const ACTIVE =
  'active: { path: /healthz, interval: 100ms, timeout: 80ms, unhealthy_threshold: 2, healthy_threshold: 2 }';

function yaml(backends: readonly HealthCheckedBackend[]): string {
  return `${EPHEMERAL_LISTENER_YAML}
routes: [{ cluster: c }]
clusters:
  c: { backends: ${backendList(...backends)}, health: { ${ACTIVE} } }
  plain: { backends: ${backendList(...backends)} }
`;
}

async function start(text: string, mode: ActiveHealthMode): Promise<JunctionServer> {
  const config = await loadConfigText(text, '<e2e>', { baseDir: process.cwd() });
  const server = await startJunction(config, { activeHealth: mode });
  onTestFinished(() => server.close(0));
  return server;
}

async function started(name: string): Promise<HealthCheckedBackend> {
  const backend = await healthCheckedBackend(name);
  onTestFinished(() => backend.close());
  return backend;
}

function statusOf(server: JunctionServer, backend: HealthCheckedBackend): UpstreamStatus {
  const status = server.upstreams().find((u) => u.cluster === 'c' && u.address === backend.address);
  if (status === undefined) throw new Error(`no upstream ${backend.address}`);
  return status;
}

/** Relays the runner's events to the followers, as the group's IPC does. */
function relay(runner: JunctionServer, ...followers: JunctionServer[]): ActiveHealthEvent[] {
  const sent: ActiveHealthEvent[] = [];
  const stop = runner.onActiveHealth((event) => {
    // Over the IPC the event is serialised: prove it survives that.
    const copy = JSON.parse(JSON.stringify(event)) as ActiveHealthEvent;
    sent.push(copy);
    for (const follower of followers) follower.applyActiveHealth(copy);
  });
  onTestFinished(stop);
  return sent;
}

describe('active health checks in a group', () => {
  test('a follower sends no checks, and marks a stopped backend down from the runner’s results', async () => {
    const a = await started('a');
    const b = await started('b');
    const follower = await start(yaml([a, b]), 'follow');
    expect(follower.activeHealthMode).toBe('follow');
    // Alone, a follower checks nothing: several intervals pass without a check.
    await delay(350);
    expect(a.healthChecks + b.healthChecks).toBe(0);

    const runner = await start(yaml([a, b]), 'run');
    const sent = relay(runner, follower);
    await waitFor(() => statusOf(follower, b).checks >= 2, { what: 'checks followed', timeoutMs: 2000 });
    expect(sent.every((e) => e.cluster === 'c' && e.result === 'up' && e.passed)).toBe(true);
    expect(statusOf(follower, b)).toMatchObject({ checked: true, activeUp: true, lastCheckStatus: 200 });

    await b.close();
    await waitFor(() => !statusOf(follower, b).isUp, { what: 'b down in the follower', timeoutMs: 3000 });
    expect(statusOf(runner, b).activeUp).toBe(false);
    expect(statusOf(follower, b)).toMatchObject({ activeUp: false, ejected: false });
    expect(statusOf(follower, b).lastCheckError).toMatch(/^JCT_ERR_/);
    const down = sent.find((e) => e.backend === b.address && e.changed);
    expect(down).toMatchObject({ result: 'down', passed: false, status: 0 });
    expect(typeof down?.at).toBe('number');

    // The follower sends its traffic to a alone.
    const before = a.trafficRequests;
    for (let i = 0; i < 4; i++) expect((await request(follower.listeners[0]!.port)).status).toBe(200);
    expect(a.trafficRequests).toBe(before + 4);
  });

  test('a backend marked up again by the runner comes back in the follower', async () => {
    const a = await started('a');
    const b = await started('b');
    const runner = await start(yaml([a, b]), 'run');
    const follower = await start(yaml([a, b]), 'follow');
    relay(runner, follower);
    b.healthStatus = 503;
    await waitFor(() => !statusOf(follower, b).activeUp, { what: 'b down', timeoutMs: 2000 });
    expect(statusOf(follower, b).lastCheckStatus).toBe(503);
    b.healthStatus = 200;
    await waitFor(() => statusOf(follower, b).activeUp, { what: 'b up again', timeoutMs: 2000 });
    expect(statusOf(follower, b).isUp).toBe(true);
  });

  test('when the runner goes, a follower takes over the checks, keeping the verdicts it followed', async () => {
    const a = await started('a');
    const b = await started('b');
    const runner = await start(yaml([a, b]), 'run');
    const follower = await start(yaml([a, b]), 'follow');
    relay(runner, follower);
    b.healthStatus = 500;
    await waitFor(() => !statusOf(follower, b).activeUp, { what: 'b down', timeoutMs: 2000 });

    await runner.close(0);
    const checksBefore = a.healthChecks;
    follower.setActiveHealthMode('run');
    expect(follower.activeHealthMode).toBe('run');
    // Still down from what it followed, and now it checks by itself.
    expect(statusOf(follower, b).activeUp).toBe(false);
    await waitFor(() => a.healthChecks >= checksBefore + 2, {
      what: 'the new runner checks',
      timeoutMs: 2000,
    });
    b.healthStatus = 200;
    await waitFor(() => statusOf(follower, b).activeUp, { what: 'b up by its own checks', timeoutMs: 2000 });

    // And back to following: its checks stop.
    follower.setActiveHealthMode('follow');
    await delay(150);
    const stoppedAt = a.healthChecks;
    await delay(350);
    expect(a.healthChecks).toBe(stoppedAt);
  });

  test('a late follower takes the current verdicts at once; events it cannot place are ignored', async () => {
    const a = await started('a');
    const b = await started('b');
    const runner = await start(yaml([a, b]), 'run');
    b.healthStatus = 500;
    await waitFor(() => !statusOf(runner, b).activeUp, { what: 'b down', timeoutMs: 2000 });

    const late = await start(yaml([a, b]), 'follow');
    expect(statusOf(late, b).activeUp).toBe(true);
    for (const event of runner.activeHealthState()) expect(late.applyActiveHealth(event)).toBe(true);
    expect(statusOf(late, b)).toMatchObject({ activeUp: false, isUp: false });
    expect(statusOf(late, a)).toMatchObject({ activeUp: true, isUp: true });

    const event = runner.activeHealthState().find((e) => e.backend === b.address)!;
    // A backend it does not have, a cluster without active checks, a cluster it does not have.
    expect(late.applyActiveHealth({ ...event, backend: '127.0.0.1:1' })).toBe(false);
    expect(late.applyActiveHealth({ ...event, cluster: 'plain' })).toBe(false);
    expect(late.applyActiveHealth({ ...event, cluster: 'gone' })).toBe(false);
    // A server that runs the checks itself applies none from elsewhere.
    expect(runner.applyActiveHealth({ ...event, result: 'up' })).toBe(false);
    expect(statusOf(runner, b).activeUp).toBe(false);
  });

  test('a reload that removes a backend: its events are ignored where it is gone', async () => {
    const a = await started('a');
    const b = await started('b');
    const runner = await start(yaml([a, b]), 'run');
    const follower = await start(yaml([a, b]), 'follow');
    const event = runner.activeHealthState().find((e) => e.backend === b.address)!;
    const config = await loadConfigText(yaml([a]), '<e2e>', { baseDir: process.cwd() });
    await follower.reload(config);
    expect(follower.applyActiveHealth(event)).toBe(false);
    expect(follower.applyActiveHealth({ ...event, backend: a.address })).toBe(true);
    // Reloads keep the mode.
    expect(follower.activeHealthMode).toBe('follow');
  });
});
