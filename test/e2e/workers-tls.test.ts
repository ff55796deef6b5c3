/**
 * TLS session resumption across worker processes: the primary gives every worker the same session
 * ticket keys, so a session one worker began is resumed by the other through the shared listener.
 */
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { afterAll, expect, onTestFinished, test } from 'vitest';
import { countingBackend } from '../support/backends.ts';
import { createTestCa } from '../support/certs.ts';
import { spawnJunction, tempConfigFile } from '../support/junction-process.ts';
import { backendList } from '../support/start-junction.ts';
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
        const pid = /x-worker-pid: (\d+)/i.exec(text)?.[1];
        if (pid === undefined) {
          reject(new Error(`no response: ${JSON.stringify(text)}`));
          return;
        }
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
