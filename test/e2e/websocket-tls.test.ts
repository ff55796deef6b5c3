/**
 * WebSocket through an HTTPS listener: the session's socket is a TLSSocket, and the tunnel that follows
 * the 101 carries the decrypted bytes both ways exactly as it does over plain TCP.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, onTestFinished, test } from 'vitest';
import { createTestCa } from '../support/certs.ts';
import { backendList, startJunctionFromYaml } from '../support/start-junction.ts';
import { waitFor } from '../support/wait-for.ts';
import { closed, nextMessages, openWebSocket, wsBackend } from '../support/websocket.ts';

const ca = createTestCa('Junction WebSocket TLS Test CA');
const dir = mkdtempSync(join(tmpdir(), 'junction-e2e-wss-'));
afterAll(() => {
  ca.close();
  rmSync(dir, { recursive: true, force: true });
});
const pair = ca.issue(['chat.example.test']);
writeFileSync(join(dir, 'chat.pem'), pair.cert);
writeFileSync(join(dir, 'chat.key'), pair.key);

test('wss: messages small and large cross an HTTPS listener both ways, and closing gives everything back', async () => {
  const backend = await wsBackend('ws');
  onTestFinished(() => backend.close());
  const junction = await startJunctionFromYaml(
    `
listeners:
  - name: https
    address: 127.0.0.1
    port: 0
    tls: { certificates: [{ cert_file: chat.pem, key_file: chat.key }] }
routes:
  - { match: { path: /chat }, cluster: chat }
clusters:
  chat: { backends: ${backendList(backend)} }`,
    { baseDir: dir },
  );
  onTestFinished(() => junction.close());
  const ws = await openWebSocket(`wss://127.0.0.1:${junction.port}/chat`, {
    tls: { ca: ca.cert, servername: 'chat.example.test' },
  });
  // The backend saw the upgrade as forwarded over HTTPS.
  expect(backend.upgrades[0]?.['x-forwarded-proto']).toBe('https');

  const big = Buffer.alloc(4 * 1024 * 1024, 7);
  const replies = nextMessages(ws, 3, 15_000);
  ws.send('hello over tls');
  ws.send(big);
  ws.send(Buffer.from([0, 1, 2, 3]));
  const [text, large, small] = await replies;
  expect(text?.data.toString()).toBe('hello over tls');
  expect(text?.isBinary).toBe(false);
  expect(large?.data.equals(big)).toBe(true);
  expect(small?.data).toEqual(Buffer.from([0, 1, 2, 3]));

  const done = closed(ws);
  ws.close(1000, 'bye');
  await done;
  await waitFor(() => backend.closes.length === 1, { what: 'the backend to see the close' });
  expect(backend.closes[0]).toEqual({ code: 1000, reason: 'bye' });
  await waitFor(
    () => {
      const stats = junction.server.stats();
      return stats.sessions === 0 && stats.upstreamInFlight === 0 && stats.upstreamConnectionsOpen === 0;
    },
    { what: `nothing held (stats: ${JSON.stringify(junction.server.stats())})` },
  );
});
