/**
 * The admin API's HTTP side: a node:http server (off the data path, so its cost does not matter), a
 * bearer-token check, and a small table of method + path patterns to handlers. Answers are JSON, except
 * the YAML export, the Prometheus scrape (`/metrics`, behind the token like the rest) and the health
 * endpoints (`/healthz`, `/ready`: plain text, without a token) and the dashboard's page (dashboard/).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isLoopbackAddress, type AdminConfig } from '../config/index.ts';
import {
  Dashboard,
  DASHBOARD_STATE_PATH,
  dashboardAsset,
  fromDashboardPage,
  isDashboardAsset,
  PAGE_HEADERS,
} from '../dashboard/index.ts';
import { AdminError, ConfigError, ConfigErrors, ERROR_CODES, JunctionError } from '../errors/index.ts';
import { silentLogger, type Logger } from '../log/index.ts';
import type { MetricsSource } from '../metrics/index.ts';
import { ADMIN_ROUTES, type AdminRequest } from './admin-routes.ts';
import { CACHE_ROUTES } from './cache-routes.ts';
import { PROMETHEUS_TEXT_TYPE, type AdminMetrics, type AdminTarget } from './admin-target.ts';
import type { ConfigStore } from './config-store.ts';
import { HEALTH_PATHS, readiness } from './health.ts';

/** Admin request bodies are config fragments: small. */
const MAX_BODY_BYTES = 1024 * 1024;

export interface AdminServer {
  readonly address: string;
  readonly port: number;
  /** `http://address:port` */
  readonly url: string;
  close(): Promise<void>;
}

export interface StartAdminOptions {
  readonly logger?: Logger;
  /**
   * What `GET /metrics` renders (a group's merged renderer, for one); default a JunctionMetrics over the
   * store's target when it can be observed (a JunctionServer), else `/metrics` answers 404.
   */
  readonly metrics?: AdminMetrics;
}

/**
 * Starts the admin API for `store`'s server. Throws ConfigError when `config` asks for a non-loopback
 * address without a token (the config schema refuses that too; this guards configs built in code).
 */
export async function startAdmin(
  store: ConfigStore,
  config: AdminConfig,
  options: StartAdminOptions = {},
): Promise<AdminServer> {
  if (config.token === undefined && !isLoopbackAddress(config.address)) {
    throw new ConfigError(
      `the admin API may listen on a non-loopback address (${config.address}) only with a token`,
      undefined,
    );
  }
  const log = options.logger ?? silentLogger();
  const tokenDigest = config.token === undefined ? undefined : digest(config.token);
  const metrics = options.metrics ?? (await defaultMetrics(store.server));
  const dashboard = new Dashboard(store.server, metrics);
  const server = createServer((req, res) => {
    handle(req, res, store, metrics, dashboard, tokenDigest, log).catch((error: unknown) => {
      log.error({ err: error }, 'admin request failed');
      if (!res.headersSent) sendError(res, error);
      else res.destroy();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 120_000;
  await listen(server, config.address, config.port);
  const port = (server.address() as AddressInfo).port;
  const host = config.address.includes(':') ? `[${config.address}]` : config.address;
  log.info({ address: config.address, port }, `admin API on http://${host}:${port}`);
  return {
    address: config.address,
    port,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        // Metrics it made stop counting; metrics the caller passed in are the caller's.
        if (options.metrics === undefined) metrics?.close();
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}

/** A JunctionMetrics over `target` when it can be observed (a JunctionServer), else none. */
async function defaultMetrics(target: AdminTarget): Promise<AdminMetrics | undefined> {
  if (!isMetricsSource(target)) return undefined;
  // Loaded here, not with the module: a Junction without an admin API never loads prom-client.
  const { JunctionMetrics } = await import('../metrics/index.ts');
  return new JunctionMetrics(target);
}

function isMetricsSource(target: AdminTarget): target is AdminTarget & MetricsSource {
  return typeof (target as Partial<MetricsSource>).observe === 'function';
}

function listen(server: Server, address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: address, port }, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** The bearer token, compared in constant time over digests (equal lengths whatever was sent). */
function authorized(req: IncomingMessage, tokenDigest: Buffer | undefined): boolean {
  if (tokenDigest === undefined) return true;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match !== null && timingSafeEqual(digest(match[1]!), tokenDigest);
}

/**
 * A browser page must not drive the admin API: refuse requests a browser marks as coming from a page
 * (Origin, Sec-Fetch-Site) and, without a token, Host names that are not loopback (DNS rebinding).
 */
function fromBrowserOrRebound(req: IncomingMessage, hasToken: boolean): boolean {
  // The dashboard's page, served from this origin, may (dashboard/browser-requests.ts).
  if (!fromDashboardPage(req.headers)) {
    if (req.headers.origin !== undefined) return true;
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'none') return true;
  }
  return !hasToken && reboundHost(req);
}

/** A Host that is not a loopback address: without a token, a DNS name rebound to this listener. */
function reboundHost(req: IncomingMessage): boolean {
  const host = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  return !isLoopbackAddress(host);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > MAX_BODY_BYTES) {
      throw new AdminError('JCT_ERR_ADMIN_BAD_REQUEST', `the body exceeds ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  if (length === 0) return undefined;
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new AdminError(
      'JCT_ERR_ADMIN_BAD_REQUEST',
      'the body must be JSON (Content-Type: application/json)',
    );
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (error) {
    throw new AdminError(
      'JCT_ERR_ADMIN_BAD_REQUEST',
      `the body is not valid JSON: ${(error as Error).message}`,
    );
  }
}

/** The fleet follower's gauges, after the server's metrics, when this Junction follows a fleet. */
function fleetMetrics(store: ConfigStore): string {
  const view = store.fleetView();
  if (view === undefined) return '';
  return [
    '# HELP junction_fleet_stale 1 while this instance cannot follow etcd and serves its last good config.',
    '# TYPE junction_fleet_stale gauge',
    `junction_fleet_stale ${view.stale ? 1 : 0}`,
    '# HELP junction_fleet_revision The etcd revision of the fleet document this instance serves.',
    '# TYPE junction_fleet_revision gauge',
    `junction_fleet_revision ${view.revision}`,
    '',
  ].join('\n');
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  store: ConfigStore,
  metrics: AdminMetrics | undefined,
  dashboard: Dashboard,
  tokenDigest: Buffer | undefined,
  log: Logger,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://admin');
  const method = req.method ?? 'GET';
  // Probes carry no token and may come from anywhere the listener is reachable; they reveal nothing.
  if (HEALTH_PATHS.has(url.pathname)) {
    await answerHealth(res, method, url.pathname, store.server);
    return;
  }
  // The dashboard's page and assets are public code: its data needs the token like the rest.
  if (isDashboardAsset(url.pathname) && (method === 'GET' || method === 'HEAD')) {
    if (tokenDigest === undefined && reboundHost(req)) {
      sendError(res, new AdminError('JCT_ERR_ADMIN_UNAUTHORIZED', 'without a token, only a loopback Host'));
      return;
    }
    const asset = await dashboardAsset(url.pathname);
    res.writeHead(200, { ...PAGE_HEADERS, 'content-type': asset.type, 'content-length': asset.body.length });
    res.end(method === 'HEAD' ? undefined : asset.body);
    return;
  }
  if (fromBrowserOrRebound(req, tokenDigest !== undefined)) {
    sendError(res, new AdminError('JCT_ERR_ADMIN_UNAUTHORIZED', 'requests from browser pages are refused'));
    return;
  }
  if (!authorized(req, tokenDigest)) {
    res.setHeader('www-authenticate', 'Bearer realm="junction-admin"');
    sendError(res, new AdminError('JCT_ERR_ADMIN_UNAUTHORIZED', 'a valid bearer token is required'));
    return;
  }
  if (url.pathname === '/metrics' && metrics !== undefined) {
    if (method !== 'GET' && method !== 'HEAD') {
      sendJson(res, 405, {
        error: { code: 'JCT_ERR_ADMIN_BAD_REQUEST', message: `${method} is not allowed here` },
      });
      return;
    }
    const body = Buffer.from((await metrics.render()) + fleetMetrics(store));
    res.writeHead(200, {
      'content-type': metrics.contentType ?? PROMETHEUS_TEXT_TYPE,
      'content-length': body.length,
    });
    res.end(method === 'HEAD' ? undefined : body);
    return;
  }
  if (url.pathname === DASHBOARD_STATE_PATH && method === 'GET') {
    res.setHeader('cache-control', 'no-store');
    sendJson(res, 200, await dashboard.state({ unsaved: store.unsaved, file: store.file }));
    return;
  }
  const segments = url.pathname
    .split('/')
    .filter((s) => s !== '')
    .map((s) => decodeURIComponent(s));
  let pathMatched = false;
  for (const route of [...ADMIN_ROUTES, ...CACHE_ROUTES]) {
    const params = matchPath(route.path, segments);
    if (params === undefined) continue;
    pathMatched = true;
    if (route.method !== method) continue;
    const request: AdminRequest = { params, query: url.searchParams, body: await readBody(req) };
    const result = await route.handle(request, store);
    if (route.method !== 'GET') log.info({ method, path: url.pathname }, `admin: ${method} ${url.pathname}`);
    if (typeof result === 'string') {
      res.writeHead(200, { 'content-type': 'application/yaml; charset=utf-8' });
      res.end(result);
    } else {
      sendJson(res, 200, result);
    }
    return;
  }
  if (pathMatched) {
    sendJson(res, 405, {
      error: { code: 'JCT_ERR_ADMIN_BAD_REQUEST', message: `${method} is not allowed here` },
    });
    return;
  }
  throw new AdminError('JCT_ERR_ADMIN_NOT_FOUND', `no admin resource ${url.pathname}`);
}

/** `/healthz`: 200 while the process answers. `/ready`: 200, or 503 with the reason. Plain text. */
async function answerHealth(
  res: ServerResponse,
  method: string,
  path: string,
  target: AdminTarget,
): Promise<void> {
  let status = 200;
  let text = 'ok';
  if (method !== 'GET' && method !== 'HEAD') {
    status = 405;
    text = `${method} is not allowed here`;
  } else if (path === '/ready') {
    const { ready, reason } = await readiness(target);
    status = ready ? 200 : 503;
    text = ready ? 'ready' : `not ready: ${reason}`;
  }
  const body = Buffer.from(`${text}\n`);
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': body.length,
    'cache-control': 'no-store',
  });
  res.end(method === 'HEAD' ? undefined : body);
}

/** `clusters/:name/backends` against the request's segments: the named parameters, or undefined. */
function matchPath(pattern: string, segments: readonly string[]): Record<string, string> | undefined {
  const parts = pattern.split('/').filter((s) => s !== '');
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part.startsWith(':')) params[part.slice(1)] = segments[i]!;
    else if (part !== segments[i]) return undefined;
  }
  return params;
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
}

/** Typed errors become their status and code; config errors list their problems; anything else is 500. */
function sendError(res: ServerResponse, error: unknown): void {
  if (error instanceof AdminError) {
    sendJson(res, error.status ?? 400, {
      error: { ...error.details, code: error.code, message: error.message, problems: error.problems },
    });
    return;
  }
  if (error instanceof ConfigErrors) {
    sendJson(res, 400, {
      error: {
        code: error.code,
        message: error.message,
        problems: error.errors.map((e) => ({ field: e.at?.keyPath ?? '', message: e.message })),
      },
    });
    return;
  }
  if (error instanceof JunctionError) {
    const status = ERROR_CODES[error.code].status ?? 409;
    sendJson(res, status, { error: { code: error.code, message: error.message } });
    return;
  }
  sendJson(res, 500, {
    error: { code: 'internal', message: error instanceof Error ? error.message : String(error) },
  });
}
