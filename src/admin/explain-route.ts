/**
 * `POST /explain`: what the running config does with one request, with the backends' live health
 * (explain/ evaluates; nothing is sent and no plugin hook runs). The body names the request:
 * `{ method, url, headers: [[name, value]…], client, sni, listener }`. Also `GET /explain/recent`
 * (the kept requests) and the preview guard of `POST /reload?max_changed=`.
 */
import { AdminError } from '../errors/index.ts';
import type { JunctionConfig } from '../config/index.ts';
import {
  explain,
  explanationJson,
  ExplainInputError,
  liveHealth,
  previewJson,
  previewRecorded,
  recordOutcomes,
  type ExplainRequest,
  type RecentRequests,
  type RecordedRequest,
} from '../explain/index.ts';
import type { AdminTarget } from './admin-target.ts';

function requestOf(body: unknown): ExplainRequest {
  const bad = (message: string): never => {
    throw new AdminError('JCT_ERR_ADMIN_BAD_REQUEST', message);
  };
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return bad('the body must be a JSON object: { method, url, headers, client, sni }');
  const fields = body as Record<string, unknown>;
  const text = (name: string): string | undefined => {
    const value = fields[name];
    if (value === undefined || value === null) return undefined;
    return typeof value === 'string' ? value : bad(`${name} must be a string`);
  };
  const method = text('method') ?? bad('method is required');
  const url = text('url') ?? bad('url is required');
  const headers = fields['headers'] ?? [];
  if (
    !Array.isArray(headers) ||
    !headers.every(
      (h): h is [string, string] =>
        Array.isArray(h) && h.length === 2 && typeof h[0] === 'string' && typeof h[1] === 'string',
    )
  )
    return bad('headers must be a list of [name, value] pairs');
  const isPairs = (list: unknown): list is [string, string][] =>
    Array.isArray(list) &&
    list.every(
      (h): h is [string, string] =>
        Array.isArray(h) && h.length === 2 && typeof h[0] === 'string' && typeof h[1] === 'string',
    );
  const response = fields['response'];
  let assumed: ExplainRequest['response'];
  if (response !== undefined && response !== null) {
    const r = response as { status?: unknown; headers?: unknown };
    const status = r.status;
    const responseHeaders = r.headers ?? [];
    if (typeof response !== 'object' || Array.isArray(response))
      return bad('response must be an object: { status, headers }');
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599)
      return bad('response.status must be a status from 100 to 599');
    if (!isPairs(responseHeaders)) return bad('response.headers must be a list of [name, value] pairs');
    assumed = { status, headers: responseHeaders };
  }
  return {
    method: method.toUpperCase(),
    url,
    headers,
    client: text('client'),
    sni: text('sni'),
    listener: text('listener'),
    response: assumed,
  };
}

export async function explainOnServer(server: AdminTarget, body: unknown): Promise<unknown> {
  const request = requestOf(body);
  const [backends, clusters] = await Promise.all([server.upstreams(), server.clusters()]);
  const panic = new Set(clusters.filter((c) => c.panic).map((c) => c.name));
  try {
    const explanation = await explain(server.config, request, {
      health: liveHealth(backends, panic),
      boundPorts: new Map(server.listeners.map((l) => [l.name, l.port])),
      // The running plugins' hooks as they were registered: setting up a second instance could have effects.
      skipPlugins: true,
      pluginHooks:
        server.pluginHooks === undefined
          ? undefined
          : async (route) => ({ ...(await server.pluginHooks!(route)) }),
    });
    return JSON.parse(explanationJson(explanation)) as unknown;
  } catch (error) {
    if (error instanceof ExplainInputError) throw new AdminError('JCT_ERR_ADMIN_BAD_REQUEST', error.message);
    throw error;
  }
}

/** The kept heads (newest first) with their outcomes under the running config; 404 when none are kept. */
async function recordedOnServer(server: AdminTarget): Promise<RecordedRequest[]> {
  const kept = server.recentRequests === undefined ? null : await server.recentRequests();
  if (kept === null)
    throw new AdminError(
      'JCT_ERR_ADMIN_NOT_FOUND',
      'the running process keeps no recent requests: set explain: { keep_requests: 1000 } in the config and reload',
    );
  // As preview() runs both sides: no health, no plugins, so the two outcomes differ only by config.
  return recordOutcomes(server.config, kept, { skipPlugins: true });
}

/**
 * `GET /explain/recent`: the request heads the process kept (every worker's, merged, with workers > 1),
 * newest first, each with its outcome under the running config, for `junction ctl preview` to compare
 * with a new config. Not found (404) when the ring is off, saying how to turn it on.
 */
export async function recentOnServer(server: AdminTarget): Promise<RecentRequests> {
  const requests = await recordedOnServer(server);
  return { keepRequests: server.config.explain?.keepRequests ?? 0, requests };
}

/**
 * `POST /reload`'s guard: `?max_changed=` (or the body's `max_changed`), a share of the kept requests
 * as `0.1` or `10%`; undefined when the reload is not guarded.
 */
export function reloadGuardOf(query: URLSearchParams, body: unknown): number | undefined {
  const fromBody =
    typeof body === 'object' && body !== null && !Array.isArray(body)
      ? (body as Record<string, unknown>)['max_changed']
      : undefined;
  if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body)))
    throw new AdminError('JCT_ERR_ADMIN_BAD_REQUEST', 'the body must be a JSON object: { max_changed }');
  const given = query.get('max_changed') ?? fromBody;
  if (given === undefined || given === null) return undefined;
  const share =
    typeof given === 'number'
      ? given
      : typeof given === 'string' && /^\d+(\.\d+)?%$/.test(given.trim())
        ? Number(given.trim().slice(0, -1)) / 100
        : typeof given === 'string' && /^\d+(\.\d+)?$/.test(given.trim())
          ? Number(given)
          : NaN;
  if (!(share >= 0 && share <= 1))
    throw new AdminError(
      'JCT_ERR_ADMIN_BAD_REQUEST',
      `max_changed must be a share from 0 to 1 (0.1) or a percentage (10%), got ${JSON.stringify(given)}`,
    );
  return share;
}

/** What a guarded reload that went ahead reports of its preview. */
export interface GuardPreview {
  readonly total: number;
  readonly differing: number;
  readonly maxChanged: number;
}

const percent = (share: number): string => `${(share * 100).toFixed(1)}%`;

/**
 * The guard of a reload to `config`: the kept requests explained under it, against their outcomes under
 * the running config (the comparison `junction ctl preview` prints). Refuses (409, the preview in the
 * answer) when more than `maxChanged` of them would be handled differently, or when none are kept.
 */
export async function guardReload(
  server: AdminTarget,
  config: JunctionConfig,
  maxChanged: number,
): Promise<GuardPreview> {
  let recorded: RecordedRequest[];
  try {
    recorded = await recordedOnServer(server);
  } catch (error) {
    if (!(error instanceof AdminError)) throw error;
    throw new AdminError('JCT_ERR_ADMIN_RELOAD_GUARD', `reload refused: ${error.message}`);
  }
  const result = await previewRecorded(recorded, config);
  const differing = result.changed.length;
  const share = result.total === 0 ? 0 : differing / result.total;
  if (share <= maxChanged) return { total: result.total, differing, maxChanged };
  throw new AdminError(
    'JCT_ERR_ADMIN_RELOAD_GUARD',
    `reload refused: ${percent(share)} of the kept requests would be handled differently (${differing} of ${result.total}), more than max_changed ${percent(maxChanged)}`,
    [],
    { preview: { ...(JSON.parse(previewJson(result)) as object), maxChanged } },
  );
}
