/**
 * TLS session resumption across worker processes: the primary gives every worker the same session
 * ticket keys, so a session one worker began is resumed by the other through the shared listener. And
 * the keys' rotation: a ticket issued under the previous keys does a full handshake.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { afterAll, expect, onTestFinished, test } from 'vitest';
import { countingBackend } from '../support/backends.ts';
import { createTestCa } from '../support/certs.ts';
import { spawnJunction, tempConfigFile } from '../support/junction-process.ts';
import { backendList, startJunctionFromYaml } from '../support/start-junction.ts';
import { waitFor, withTimeout } from '../support/wait-for.ts';

const ca = createTestCa();
afterAll(() => {
  ca.close();
});

const PID_PLUGIN = `
export default {
  name: 'worker-pid',
  setup(api) {
    api.hook('send-response', (txn) => txn.response?.headers.set('x-worker-pid', String(process.pid)));
  },
};
`;

interface Visit {
  readonly pid: string;
  readonly reused: boolean;
  readonly session: Buffer | undefined;
}

/** One HTTPS request on a new connection offering `session`; what served it and whether it resumed. */
function visit(port: number, session: Buffer | undefined, maxVersion: 'TLSv1.2' | 'TLSv1.3'): Promise<Visit> {
  return withTimeout(
    new Promise<Visit>((resolve, reject) => {
      let ticket: Buffer | undefined;
      const socket: TLSSocket = connect({
        host: '127.0.0.1',
        port,
        ca: ca.cert,
        servername: 'a.example.test',
        maxVersion,
        ...(session === undefined ? {} : { session }),
      });
      socket.on('session', (s: Buffer) => {
        ticket = s;
      });
      let text = '';
      let reused = false;
      socket.on('secureConnect', () => {
        // Read now: after the close, the socket no longer knows.
        reused = socket.isSessionReused();
        socket.write('GET / HTTP/1.1\r\nHost: a.example.test\r\nConnection: close\r\n\r\n');
      });
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
      socket.on('error', reject);
      socket.on('close', () => {
        if (!text.startsWith('HTTP/1.1 200 ')) {
          reject(new Error(`no response: ${JSON.stringify(text)}`));
          return;
        }
        const pid = /x-worker-pid: (\d+)/i.exec(text)?.[1] ?? '';
        resolve({ pid, reused, session: ticket });
      });
    }),
    5_000,
    'an HTTPS request',
  );
}

for (const maxVersion of ['TLSv1.3', 'TLSv1.2'] as const) {
  test(`${maxVersion}: a session begun with one worker is resumed by every worker`, async () => {
    const backend = await countingBackend('b0');
    onTestFinished(() => backend.close());
    const leaf = ca.issue(['a.example.test']);
    const file = await tempConfigFile(
      'junction.yaml',
      `workers: 2
listeners:
  - { name: plain, address: 127.0.0.1, port: 0 }
  - name: secure
    address: 127.0.0.1
    port: 0
    tls: { certificates: [{ cert_file: a.pem, key_file: a.key }] }
plugins: [./worker-pid.mjs]
routes: [{ cluster: app }]
clusters:
  app: { backends: ${backendList(backend)} }
`,
    );
    const dir = dirname(file);
    await writeFile(join(dir, 'a.pem'), leaf.cert);
    await writeFile(join(dir, 'a.key'), leaf.key);
    await writeFile(join(dir, 'worker-pid.mjs'), PID_PLUGIN);
    const junction = await spawnJunction(file, {
      timeoutMs: 30_000,
      readyWhen: (out) => out.includes('2 workers serving'),
    });
    const port = Number(/listening on https:\/\/127\.0\.0\.1:(\d+)/.exec(junction.output())![1]);

    const first = await visit(port, undefined, maxVersion);
    expect(first.reused).toBe(false);
    expect(first.session).toBeDefined();
    const resumedBy = new Set<string>();
    const visits: Visit[] = [];
    // Several at a time, so both workers accept some, until both have resumed the first one's session.
    await waitFor(
      async () => {
        const batch = await Promise.all(
          Array.from({ length: 6 }, () => visit(port, first.session, maxVersion)),
        );
        visits.push(...batch);
        for (const v of batch) if (v.reused) resumedBy.add(v.pid);
        return resumedBy.size === 2;
      },
      { timeoutMs: 20_000, what: 'resumptions by both workers' },
    );
    expect(visits.filter((v) => !v.reused)).toEqual([]);
    expect(resumedBy.has(first.pid)).toBe(true);
  }, 60_000);
}

test('servers given the same ticket keys resume each other; after new keys, old tickets do a full handshake', async () => {
  const backend = await countingBackend('b0');
  onTestFinished(() => backend.close());
  const leaf = ca.issue(['a.example.test']);
  const dir = await mkdtemp(join(tmpdir(), 'junction-tickets-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'a.pem'), leaf.cert);
  await writeFile(join(dir, 'a.key'), leaf.key);
  const yaml = `listeners:
  - name: secure
    address: 127.0.0.1
    port: 0
    tls: { certificates: [{ cert_file: a.pem, key_file: a.key }] }
routes: [{ cluster: app }]
clusters:
  app: { backends: ${backendList(backend)} }
`;
  // Two servers in this process stand in for two workers.
  const a = await startJunctionFromYaml(yaml, { baseDir: dir });
  const b = await startJunctionFromYaml(yaml, { baseDir: dir });
  onTestFinished(async () => {
    await Promise.all([a.close(), b.close()]);
  });
  const ask = (port: number, session: Buffer | undefined): Promise<Visit> => visit(port, session, 'TLSv1.3');
  const keys = randomBytes(48);
  a.server.setTicketKeys(keys);
  b.server.setTicketKeys(keys);
  const first = await ask(a.port, undefined);
  expect((await ask(b.port, first.session)).reused).toBe(true);
  expect((await ask(a.port, first.session)).reused).toBe(true);

  a.server.setTicketKeys(randomBytes(48));
  expect((await ask(a.port, first.session)).reused).toBe(false);
  expect((await ask(b.port, first.session)).reused).toBe(true);
}, 30_000);
