/**
 * The admin API's resources: what each method and path reads or changes. Reads come from the store's
 * target (one server, or a group of workers answering together: every read is awaited); changes are
 * document edits applied through the ConfigStore (validated, then reloaded), a drain and the
 * certificate API, all through the target's own members, so a group can broadcast each one.
 */
import type { JunctionConfig, RouteConfig } from '../config/index.ts';
import { AdminError, TlsCertificateError } from '../errors/index.ts';
import {
  explainOnServer,
  guardReload,
  recentOnServer,
  reloadGuardOf,
  type GuardPreview,
} from './explain-route.ts';
import { joinWorkerSections, type CertificateInput } from '../server/index.ts';
import type { ConfigStore } from './config-store.ts';
import {
  addBackend,
  deleteCluster,
  deleteListener,
  deleteRoute,
  putCluster,
  putListener,
  putRoute,
  removeBackend,
} from './document-edits.ts';

export interface AdminRequest {
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: unknown;
}

export interface AdminRoute {
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** Segments, `:name` for a parameter. */
  readonly path: string;
  /** A JSON value to answer with, or a string for the YAML export (or a promise of either). */
  handle(request: AdminRequest, store: ConfigStore): unknown;
}

/** How long a drain waits for in-flight requests unless `?timeout_ms=` says otherwise. */
const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;

/** `{ workers }` when there is a per-worker list, nothing for one server. */
const workersSection = (workers: Record<string, unknown>[] | undefined) =>
  workers === undefined ? {} : { workers };

function param(request: AdminRequest, name: string): string {
  return request.params[name] ?? '';
}

function describeRoute(route: RouteConfig) {
  const match = route.match;
  return {
    name: route.name,
    cluster: route.cluster,
    hosts: match.hosts.map((h) => (h.kind === 'exact' ? h.host : `*${h.suffix}`)),
    path: match.path === undefined ? null : { [match.path.kind]: match.path.value },
    methods: match.methods,
    headers: match.headers,
    strategy: route.strategy?.name ?? null,
    plugins: route.plugins.map((p) => p.name),
  };
}

function describeListeners(config: JunctionConfig, store: ConfigStore) {
  const bound = new Map(store.server.listeners.map((l) => [l.name, l.port]));
  return config.listeners.map((l) => ({
    name: l.name,
    kind: l.tcp !== undefined ? 'tcp' : l.tls !== undefined ? 'https' : 'http',
    address: l.address,
    port: bound.get(l.name) ?? l.port,
    maxConnections: l.maxConnections,
    maxConnectionsPerClient: l.maxConnectionsPerClient,
  }));
}

/**
 * A certificate sent to `PUT /certificates/{listener}/{id}`: PEM text (files on the server are the
 * config's business), optional names, a base64 OCSP response, and whether it becomes the default.
 */
function certificateBody(body: unknown): CertificateInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AdminError('JCT_ERR_ADMIN_BAD_REQUEST', 'the body must be a JSON object with cert and key');
  }
  const fields = body as Record<string, unknown>;
  const problems: { field: string; message: string }[] = [];
  const text = (name: string): string | undefined => {
    const value = fields[name];
    if (typeof value === 'string' && value.includes('-----BEGIN')) return value;
    problems.push({ field: `body.${name}`, message: 'must be PEM text' });
    return undefined;
  };
  const cert = text('cert');
  const key = text('key');
  const names = fields['names'];
  if (
    names !== undefined &&
    (!Array.isArray(names) || !names.every((n) => typeof n === 'string' && n !== ''))
  ) {
    problems.push({ field: 'body.names', message: 'must be a list of server names' });
  }
  const ocsp = fields['ocsp'];
  if (ocsp !== undefined && typeof ocsp !== 'string') {
    problems.push({ field: 'body.ocsp', message: 'must be a base64 DER OCSP response' });
  }
  const isDefault = fields['default'];
  if (isDefault !== undefined && typeof isDefault !== 'boolean') {
    problems.push({ field: 'body.default', message: 'must be true or false' });
  }
  const unknown = Object.keys(fields).filter((k) => !['cert', 'key', 'names', 'ocsp', 'default'].includes(k));
  for (const name of unknown) problems.push({ field: `body.${name}`, message: 'is not a certificate field' });
  if (problems.length > 0 || cert === undefined || key === undefined) {
    throw new AdminError('JCT_ERR_ADMIN_BAD_REQUEST', 'the certificate is not valid', problems);
  }
  return {
    cert,
    key,
    ...(names === undefined ? {} : { names: names as string[] }),
    ...(typeof ocsp === 'string' ? { ocsp: Buffer.from(ocsp, 'base64') } : {}),
    ...(isDefault === true ? { isDefault: true } : {}),
  };
}

/** The certificate API's refusals (a key that does not match, no such listener) as admin answers. */
async function withCertificateErrors<T>(change: () => T | Promise<T>): Promise<T> {
  try {
    return await change();
  } catch (error) {
    if (error instanceof TlsCertificateError) {
      throw new AdminError('JCT_ERR_ADMIN_BAD_REQUEST', error.message);
    }
    throw error;
  }
}

/** What a group of worker processes adds to a server (`workers` > 1): its workers, and a restart. */
interface WorkerProcesses {
  status(): { readonly workers?: unknown };
  restart(): Promise<unknown>;
}

function workerProcesses(store: ConfigStore): WorkerProcesses {
  const target = store.server as unknown as Partial<WorkerProcesses>;
  if (typeof target.restart !== 'function') {
    throw new AdminError(
      'JCT_ERR_ADMIN_BAD_REQUEST',
      'this Junction runs one process (workers: 1): there are no worker processes to list or restart',
    );
  }
  return target as WorkerProcesses;
}

/** The fleet follower's state in GET /status, when this Junction follows a fleet. */
function fleetSection(store: ConfigStore): { fleet?: unknown } {
  const view = store.fleetView();
  return view === undefined ? {} : { fleet: view };
}

function backendsOf(store: ConfigStore, cluster: string) {
  if (!store.server.config.clusters.has(cluster)) {
    throw new AdminError('JCT_ERR_ADMIN_NOT_FOUND', `no cluster '${cluster}'`);
  }
  return Promise.resolve(store.server.upstreams()).then((all) => all.filter((u) => u.cluster === cluster));
}

export const ADMIN_ROUTES: readonly AdminRoute[] = [
  {
    method: 'GET',
    path: 'status',
    handle: async (_request, store) => {
      const [status, clusters, stats] = await Promise.all([
        store.server.status(),
        store.server.clusters(),
        store.server.stats(),
      ]);
      return {
        ...status,
        file: store.file ?? null,
        unsaved: store.unsaved,
        listeners: store.server.listeners.length,
        routes: store.server.config.routes.length,
        clusters: clusters.length,
        backends: clusters.reduce((n, c) => n + c.backends, 0),
        backendsUp: clusters.reduce((n, c) => n + c.backendsUp, 0),
        ...stats,
        ...workersSection(joinWorkerSections(status, stats)),
        ...fleetSection(store),
      };
    },
  },
  {
    method: 'GET',
    path: 'fleet',
    handle: (_request, store) => {
      const view = store.fleetView();
      if (view === undefined) {
        throw new AdminError('JCT_ERR_ADMIN_NOT_FOUND', 'this Junction follows no fleet (no fleet section)');
      }
      return view;
    },
  },
  {
    method: 'GET',
    path: 'listeners',
    handle: (_request, store) => ({ listeners: describeListeners(store.server.config, store) }),
  },
  {
    method: 'PUT',
    path: 'listeners/:name',
    handle: (request, store) => store.change((doc) => putListener(doc, param(request, 'name'), request.body)),
  },
  {
    method: 'DELETE',
    path: 'listeners/:name',
    handle: (request, store) => store.change((doc) => deleteListener(doc, param(request, 'name'))),
  },
  {
    method: 'GET',
    path: 'routes',
    handle: (_request, store) => ({ routes: store.server.config.routes.map(describeRoute) }),
  },
  {
    method: 'PUT',
    path: 'routes/:name',
    handle: (request, store) => store.change((doc) => putRoute(doc, param(request, 'name'), request.body)),
  },
  {
    method: 'DELETE',
    path: 'routes/:name',
    handle: (request, store) => store.change((doc) => deleteRoute(doc, param(request, 'name'))),
  },
  {
    method: 'GET',
    path: 'clusters',
    handle: async (_request, store) => ({ clusters: await store.server.clusters() }),
  },
  {
    method: 'GET',
    path: 'clusters/:name',
    handle: async (request, store) => {
      const name = param(request, 'name');
      const cluster = (await store.server.clusters()).find((c) => c.name === name);
      if (cluster === undefined) throw new AdminError('JCT_ERR_ADMIN_NOT_FOUND', `no cluster '${name}'`);
      return { ...cluster, upstreams: await backendsOf(store, name) };
    },
  },
  {
    method: 'PUT',
    path: 'clusters/:name',
    handle: (request, store) => store.change((doc) => putCluster(doc, param(request, 'name'), request.body)),
  },
  {
    method: 'DELETE',
    path: 'clusters/:name',
    handle: (request, store) => store.change((doc) => deleteCluster(doc, param(request, 'name'))),
  },
  {
    method: 'GET',
    path: 'clusters/:name/backends',
    handle: async (request, store) => ({ backends: await backendsOf(store, param(request, 'name')) }),
  },
  {
    method: 'POST',
    path: 'clusters/:name/backends',
    handle: (request, store) => store.change((doc) => addBackend(doc, param(request, 'name'), request.body)),
  },
  {
    method: 'DELETE',
    path: 'clusters/:name/backends/:id',
    handle: (request, store) =>
      store.change((doc) => removeBackend(doc, param(request, 'name'), param(request, 'id'))),
  },
  {
    method: 'POST',
    path: 'clusters/:name/backends/:id/drain',
    handle: async (request, store) => {
      const cluster = param(request, 'name');
      const id = param(request, 'id');
      if (!(await backendsOf(store, cluster)).some((u) => u.id === id)) {
        throw new AdminError('JCT_ERR_ADMIN_NOT_FOUND', `no backend '${id}' in cluster '${cluster}'`);
      }
      const timeout = Number(request.query.get('timeout_ms') ?? DEFAULT_DRAIN_TIMEOUT_MS);
      const timeoutMs = Number.isFinite(timeout) && timeout >= 0 ? timeout : DEFAULT_DRAIN_TIMEOUT_MS;
      const drained = await store.server.drainBackend(cluster, id, timeoutMs);
      // Removed either way: past the timeout, the requests still running finish on the old config.
      const change = await store.change((doc) => removeBackend(doc, cluster, id));
      return { drained, ...change };
    },
  },
  {
    method: 'GET',
    path: 'certificates',
    handle: async (_request, store) => ({ certificates: await store.server.certificates() }),
  },
  {
    method: 'PUT',
    path: 'certificates/:listener/:id',
    handle: async (request, store) => {
      const listener = param(request, 'listener');
      const id = param(request, 'id');
      const input = { ...certificateBody(request.body), id };
      const exists = (await store.server.certificates()).some((c) => c.listener === listener && c.id === id);
      return withCertificateErrors(async () => {
        const certificate = exists
          ? await store.server.replaceCertificate(listener, id, input)
          : await store.server.addCertificate(listener, input);
        return { certificate, replaced: exists };
      });
    },
  },
  {
    method: 'DELETE',
    path: 'certificates/:listener/:id',
    handle: (request, store) =>
      withCertificateErrors(async () => {
        await store.server.removeCertificate(param(request, 'listener'), param(request, 'id'));
        return { removed: true };
      }),
  },
  {
    method: 'GET',
    path: 'workers',
    handle: (_request, store) => workerProcesses(store).status(),
  },
  {
    method: 'POST',
    path: 'restart',
    handle: (_request, store) => workerProcesses(store).restart(),
  },
  {
    method: 'POST',
    path: 'reload',
    handle: async (request, store) => {
      const maxChanged = reloadGuardOf(request.query, request.body);
      if (maxChanged === undefined) return store.reloadFromFile();
      // Checked inside the store's queue: the config previewed is the config applied.
      let preview: GuardPreview | undefined;
      const applied = await store.reloadFromFile(async (config) => {
        preview = await guardReload(store.server, config, maxChanged);
      });
      return { ...applied, preview };
    },
  },
  {
    method: 'POST',
    path: 'explain',
    handle: (request, store) => explainOnServer(store.server, request.body),
  },
  {
    method: 'GET',
    path: 'explain/recent',
    handle: (_request, store) => recentOnServer(store.server),
  },
  {
    method: 'GET',
    path: 'config',
    handle: (_request, store) => store.exportYaml(),
  },
  {
    method: 'POST',
    path: 'config/save',
    handle: (_request, store) => store.save(),
  },
];
