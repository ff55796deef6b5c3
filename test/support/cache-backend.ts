/**
 * A backend for the HTTP cache's tests: each request is answered by the handler the test sets, and
 * every request it gets is recorded (method, path, headers), so a test counts what reached it.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { onTestFinished } from 'vitest';
import { request } from './clients.ts';
import { listenForTest } from './servers.ts';
import { startJunctionFromYaml } from './start-junction.ts';

export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}

export type CacheHandler = (req: SeenRequest, res: ServerResponse) => void;

export interface CacheBackend {
  readonly address: string;
  readonly seen: SeenRequest[];
  handler: CacheHandler;
  /** Requests that reached the backend for `path` (any method unless given). */
  count(path: string, method?: string): number;
}

/** Listens on 127.0.0.1 (closed when the test finishes). */
export async function cacheBackend(handler: CacheHandler): Promise<CacheBackend> {
  const seen: SeenRequest[] = [];
  const backend: CacheBackend = {
    address: '',
    seen,
    handler,
    count: (path, method) =>
      seen.filter((r) => r.path === path && (method === undefined || r.method === method)).length,
  };
  const server = createServer((req, res) => {
    const record = { method: req.method ?? '', path: req.url ?? '', headers: req.headers };
    seen.push(record);
    req.resume();
    req.on('end', () => {
      backend.handler(record, res);
    });
  });
  const port = await listenForTest(server);
  return Object.assign(backend, { address: `127.0.0.1:${port}` });
}

/**
 * A Junction with one caching route to a cacheBackend answering with `handler`; `topLevel` is YAML
 * added before the routes (a `cache:` section). Both close when the test finishes.
 */
export async function cachingProxy(handler: CacheHandler, topLevel = '') {
  const backend = await cacheBackend(handler);
  const junction = await startJunctionFromYaml(`
${topLevel}
routes: [{ cluster: app, cache: true }]
clusters:
  app: { backends: ["${backend.address}"], retry: { attempts: 1 } }
`);
  onTestFinished(() => junction.close());
  return {
    backend,
    junction,
    get: (path: string, headers: Record<string, string> = {}) => request(junction.port, { path, headers }),
  };
}
