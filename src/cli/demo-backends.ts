/**
 * The quick start's demo backends: tiny node:http servers in the Junction process, each answering
 * every request with one line naming itself, so round robin and routing are visible with curl.
 * Demo only: not a test backend (test/support/ has those) and never started by `run -c`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DemoBackendSpec {
  readonly name: string;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
}

export interface DemoBackend {
  readonly name: string;
  readonly host: string;
  /** The bound port. */
  readonly port: number;
}

export interface DemoBackends {
  readonly backends: readonly DemoBackend[];
  close(): Promise<void>;
}

function listen(spec: DemoBackendSpec): Promise<{ server: Server; backend: DemoBackend }> {
  let label = spec.name;
  const server = createServer((request, response) => {
    // Drain any body so the connection stays reusable for keep-alive.
    request.resume();
    const body = `hello from ${label}: ${request.method ?? '?'} ${request.url ?? '/'}\n`;
    response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'x-demo-backend': spec.name });
    response.end(body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(spec.port, spec.host, () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      label = `${spec.name} (${spec.host}:${port})`;
      resolve({ server, backend: { name: spec.name, host: spec.host, port } });
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => {
      resolve();
    });
    server.closeAllConnections();
  });
}

/** Starts every backend, or none: if one cannot bind, those already started are closed and the error thrown. */
export async function startDemoBackends(specs: readonly DemoBackendSpec[]): Promise<DemoBackends> {
  const started: Server[] = [];
  const backends: DemoBackend[] = [];
  try {
    for (const spec of specs) {
      const { server, backend } = await listen(spec);
      started.push(server);
      backends.push(backend);
    }
  } catch (error) {
    await Promise.all(started.map(closeServer));
    throw error;
  }
  return {
    backends,
    close: async () => {
      await Promise.all(started.map(closeServer));
    },
  };
}
