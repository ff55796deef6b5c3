/**
 * The deployment files in the repository, tried as far as this machine allows: the systemd unit passes
 * `systemd-analyze verify` and the commands it runs work; the Dockerfile's image runs as a non-root user,
 * starts on the config it ships, and its health check probe (run here exactly as the image would) says
 * healthy while Junction serves and unhealthy once it is gone. (Building the image needs a Docker
 * daemon, which the test suite does not assume.)
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, test, type TestContext } from 'vitest';
import { echoBackend } from '../support/backends.ts';
import { request } from '../support/clients.ts';
import { JUNCTION_BIN, spawnJunction } from '../support/junction-process.ts';
import { requireTool } from '../support/system-tools.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const DOCKERFILE = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const UNIT = join(ROOT, 'deploy', 'junction.service');

/** The Dockerfile's instructions of the final stage, continuation lines joined. */
function finalStage(): { instruction: string; args: string }[] {
  const joined = DOCKERFILE.replace(/\\\n\s*/g, ' ');
  const lines = joined.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));
  const parsed = lines.map((line) => {
    const [instruction, ...rest] = line.trim().split(/\s+/);
    return { instruction: instruction!.toUpperCase(), args: rest.join(' ') };
  });
  const lastFrom = parsed.map((p) => p.instruction).lastIndexOf('FROM');
  return parsed.slice(lastFrom);
}

function instruction(name: string): string {
  const found = finalStage().filter((i) => i.instruction === name);
  expect(found, `one ${name} in the final stage`).toHaveLength(1);
  return found[0]!.args;
}

function requireSystemdAnalyze(context: TestContext): string {
  return requireTool(context, 'systemd-analyze', "Debian's systemd package (apt-get install systemd)");
}

test('the systemd unit verifies, and the check it runs before starting accepts the shipped config', async (context) => {
  const analyze = requireSystemdAnalyze(context);
  // verify checks the unit's syntax and that the executables it names exist (node at /usr/bin/node).
  const verified = await run(analyze, ['verify', UNIT]).then(
    () => '',
    (error: unknown) => (error as { stderr?: string }).stderr ?? 'verify failed without a message',
  );
  // On a machine whose node is elsewhere, only the executable's absence may be reported.
  if (existsSync('/usr/bin/node')) expect(verified).toBe('');
  else expect(verified.split('\n').filter((l) => l !== '' && !l.includes('/usr/bin/node'))).toEqual([]);
  const unit = readFileSync(UNIT, 'utf8');
  expect(unit).toMatch(/^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
  expect(unit).toMatch(/^NoNewPrivileges=yes$/m);
  expect(unit).toMatch(/^User=junction$/m);
  const checkLine = /^ExecStartPre=\S+ \S+junction\.js (check -c) \S+$/m.exec(unit);
  expect(checkLine?.[1]).toBe('check -c');
  const checked = await run(process.execPath, [
    JUNCTION_BIN,
    'check',
    '-c',
    join(ROOT, 'deploy', 'container.yaml'),
  ]);
  expect(checked.stdout).toContain('OK');
});

test('the image runs as a non-root user, on the config it ships, with a health check on /ready', async () => {
  expect(instruction('USER')).not.toMatch(/^(root|0)$/);
  expect(instruction('ENTRYPOINT')).toContain('bin/junction.js');
  expect(instruction('CMD')).toContain('/etc/junction/junction.yaml');
  expect(
    finalStage().some(
      (i) => i.instruction === 'COPY' && i.args === 'deploy/container.yaml /etc/junction/junction.yaml',
    ),
  ).toBe(true);
  // Everything the image copies from the context exists.
  for (const copy of finalStage().filter((i) => i.instruction === 'COPY' && !i.args.startsWith('--from'))) {
    for (const source of copy.args.split(' ').slice(0, -1))
      expect(existsSync(join(ROOT, source)), source).toBe(true);
  }

  const backend = await echoBackend('app');
  const junction = await spawnJunction(join(ROOT, 'deploy', 'container.yaml'), {
    withAdmin: true,
    env: {
      JUNCTION_ADDRESS: '127.0.0.1',
      JUNCTION_PORT: '0',
      JUNCTION_ADMIN_PORT: '0',
      JUNCTION_BACKEND: backend.address,
    },
  });
  expect((await request(junction.port)).status).toBe(200);

  // The probe, run as the image runs it: `node -e SCRIPT`, with the admin port in the environment.
  const probe = JSON.parse(
    /^CMD (\[.*\])$/.exec(instruction('HEALTHCHECK').replace(/^(--\S+\s+)*/, ''))![1]!,
  ) as string[];
  expect(probe.slice(0, 2)).toEqual(['node', '-e']);
  const adminPort = new URL(junction.adminUrl!).port;
  const healthy = async (): Promise<boolean> =>
    run(process.execPath, ['-e', probe[2]!], {
      env: { ...process.env, JUNCTION_ADMIN_PORT: adminPort },
    }).then(
      () => true,
      () => false,
    );
  expect(await healthy()).toBe(true);
  junction.child.kill('SIGTERM');
  expect((await junction.exited).code).toBe(0);
  expect(await healthy()).toBe(false);
  await backend.close();
});
