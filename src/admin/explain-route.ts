/**
 * `POST /explain`: what the running config does with one request, with the backends' live health
 * (explain/ evaluates; nothing is sent and no plugin hook runs). The body names the request:
 * `{ method, url, headers: [[name, value]…], client, sni, listener }`.
 */
import { AdminError } from '../errors/index.ts';
import {
  explain,
  explanationJson,
  ExplainInputError,
  liveHealth,
  recordOutcomes,
  type ExplainRequest,
  type RecentRequests,
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
  return {
    method: method.toUpperCase(),
    url,
    headers,
    client: text('client'),
    sni: text('sni'),
    listener: text('listener'),
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
      // The running plugins' hooks are not listed: setting up a second instance could have effects.
      skipPlugins: true,
    });
    return JSON.parse(explanationJson(explanation)) as unknown;
  } catch (error) {
    if (error instanceof ExplainInputError) throw new AdminError('JCT_ERR_ADMIN_BAD_REQUEST', error.message);
    throw error;
  }
}

/**
 * `GET /explain/recent`: the request heads the process kept, each with its outcome under the running
 * config, for `junction ctl preview` to compare with a new config. Not found (404) when the ring is off,
 * saying how to turn it on.
 */
export async function recentOnServer(server: AdminTarget): Promise<RecentRequests> {
  if (server.recentRequests === undefined)
    throw new AdminError(
      'JCT_ERR_ADMIN_NOT_FOUND',
      'recent requests are kept by a single process only; with workers > 1 use junction preview with an access log',
    );
  const kept = await server.recentRequests();
  if (kept === null)
    throw new AdminError(
      'JCT_ERR_ADMIN_NOT_FOUND',
      'the running process keeps no recent requests: set explain: { keep_requests: 1000 } in the config and reload',
    );
  // As preview() runs both sides: no health, no plugins, so the two outcomes differ only by config.
  const requests = await recordOutcomes(server.config, kept, { skipPlugins: true });
  return { keepRequests: server.config.explain?.keepRequests ?? 0, requests };
}
