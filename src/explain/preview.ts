/**
 * `junction preview`: the same requests explained under two configs, and the ones whose outcome
 * differs (route, cluster, the path or host sent upstream, a local answer, a redirect's target),
 * grouped by the kind of change. Requests come from Junction's JSON access log or from plain lines.
 */
import type { JunctionConfig } from '../config/index.ts';
import { canonicalJson } from '../util/canonical-json.ts';
import { explain, type ExplainOptions, type Explanation } from './evaluate.ts';
import { ExplainInputError, parseHeaderArg, parseRequestLine, type ExplainRequest } from './request.ts';

/** What preview compares: the outcome of one request under one config. */
export interface OutcomeSummary {
  readonly route: string | null;
  readonly cluster: string | null;
  /** Path and query sent upstream; null when nothing is sent. */
  readonly path: string | null;
  readonly host: string | null;
  /** The status of an answer Junction gives itself; null when proxied. */
  readonly status: number | null;
  readonly location: string | null;
  /** Set when the request could not be evaluated (a head Junction refuses). */
  readonly error: string | null;
}

export function summarize(e: Explanation): OutcomeSummary {
  const up = e.upstreamRequest;
  return {
    route: e.route ?? null,
    cluster: e.cluster?.name ?? null,
    path: up === undefined ? null : up.path + up.query,
    host: up === undefined ? null : up.port === '' ? up.host : `${up.host}:${up.port}`,
    status: e.outcome.kind === 'local' ? (e.outcome.status ?? null) : null,
    location: e.outcome.location ?? null,
    error: null,
  };
}

/** The kinds of change, most telling first: a request is filed under the first that applies. */
export const CHANGE_KINDS = ['answer', 'redirect', 'route', 'cluster', 'path', 'host', 'error'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

export function changeKinds(a: OutcomeSummary, b: OutcomeSummary): ChangeKind[] {
  const kinds: ChangeKind[] = [];
  if (a.status !== b.status) kinds.push('answer');
  if (a.location !== b.location) kinds.push('redirect');
  if (a.route !== b.route) kinds.push('route');
  if (a.cluster !== b.cluster) kinds.push('cluster');
  if (a.path !== b.path) kinds.push('path');
  if (a.host !== b.host) kinds.push('host');
  if (a.error !== b.error) kinds.push('error');
  return kinds;
}

export interface PreviewChange {
  readonly request: string;
  readonly kind: ChangeKind;
  readonly kinds: readonly ChangeKind[];
  readonly old: OutcomeSummary;
  readonly new: OutcomeSummary;
}

export interface PreviewResult {
  readonly total: number;
  readonly changed: readonly PreviewChange[];
}

/** One request of a requests file, with the line it came from (for messages). */
export interface PreviewRequest {
  readonly line: number;
  readonly request: ExplainRequest;
  /** `METHOD URL`, for the report. */
  readonly label: string;
}

interface AccessRecord {
  readonly method?: unknown;
  readonly scheme?: unknown;
  readonly host?: unknown;
  readonly path?: unknown;
  readonly client?: unknown;
  readonly listener?: unknown;
  readonly user_agent?: unknown;
  readonly referer?: unknown;
  readonly tls?: unknown;
  readonly type?: unknown;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** A client `address:port` (IPv6 in brackets) without the port. */
function clientAddress(client: string | undefined): string | undefined {
  if (client === undefined) return undefined;
  if (client.startsWith('[')) return client.slice(1, client.indexOf(']'));
  const colon = client.lastIndexOf(':');
  return colon === -1 ? client : client.slice(0, colon);
}

function fromAccessRecord(record: AccessRecord): ExplainRequest | undefined {
  const method = text(record.method);
  const path = text(record.path);
  const host = text(record.host);
  // Tunnels' and TCP sessions' lines, and heads that could not be read, are not requests to replay.
  if (method === undefined || path === undefined || (record.type !== undefined && record.type !== 'http'))
    return undefined;
  const scheme = text(record.scheme) === 'https' ? 'https' : 'http';
  const headers: [string, string][] = [];
  const ua = text(record.user_agent);
  const referer = text(record.referer);
  if (ua !== undefined) headers.push(['User-Agent', ua]);
  if (referer !== undefined) headers.push(['Referer', referer]);
  const tls = record.tls as { sni?: unknown } | null | undefined;
  return {
    method,
    url: host === undefined || host === '' ? path : `${scheme}://${host}${path}`,
    headers,
    client: clientAddress(text(record.client)),
    sni: text(tls?.sni),
    listener: text(record.listener),
  };
}

/**
 * Parses a requests file: JSON access log lines (`{…}`), or `METHOD URL` lines each followed by
 * indented `Name: value` lines for its fields. Blank lines and `#` comments are skipped.
 */
export function parseRequestsFile(content: string): PreviewRequest[] {
  const requests: PreviewRequest[] = [];
  const lines = content.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) return;
    const fail = (message: string): never => {
      throw new ExplainInputError(`line ${line}: ${message}`);
    };
    if (raw.trimStart().startsWith('{')) {
      let record: AccessRecord;
      try {
        record = JSON.parse(raw) as AccessRecord;
      } catch {
        return fail('not valid JSON');
      }
      const request = fromAccessRecord(record);
      if (request !== undefined) requests.push({ line, request, label: `${request.method} ${request.url}` });
      return;
    }
    if (/^\s/.test(raw)) {
      const last = requests.at(-1);
      if (last === undefined) return fail('a header line before any request line');
      const header = parseHeaderArg(raw.trim());
      requests[requests.length - 1] = {
        ...last,
        request: { ...last.request, headers: [...last.request.headers, header] },
      };
      return;
    }
    try {
      const { method, url } = parseRequestLine(raw);
      requests.push({ line, request: { method, url, headers: [] }, label: `${method} ${url}` });
    } catch (error) {
      fail((error as Error).message);
    }
  });
  return requests;
}

export async function outcomeOf(
  config: JunctionConfig,
  request: ExplainRequest,
  options: ExplainOptions,
): Promise<OutcomeSummary> {
  try {
    return summarize(await explain(config, request, options));
  } catch (error) {
    if (!(error instanceof ExplainInputError)) throw error;
    return {
      route: null,
      cluster: null,
      path: null,
      host: null,
      status: null,
      location: null,
      error: error.message,
    };
  }
}

/** Every request under both configs; the ones whose outcome differs. Plugins are not set up. */
export async function preview(
  oldConfig: JunctionConfig,
  newConfig: JunctionConfig,
  requests: readonly PreviewRequest[],
): Promise<PreviewResult> {
  const options: ExplainOptions = { skipPlugins: true };
  const changed: PreviewChange[] = [];
  for (const { request, label } of requests) {
    const before = await outcomeOf(oldConfig, request, options);
    const after = await outcomeOf(newConfig, request, options);
    const kinds = changeKinds(before, after);
    if (kinds.length > 0) changed.push({ request: label, kind: kinds[0]!, kinds, old: before, new: after });
  }
  return { total: requests.length, changed };
}

function describe(o: OutcomeSummary): string {
  if (o.error !== null) return `refused: ${o.error}`;
  if (o.status !== null) return `answer ${o.status}${o.location === null ? '' : ` -> ${o.location}`}`;
  return `route ${o.route ?? '-'}, cluster ${o.cluster ?? '-'}, ${o.host ?? ''}${o.path ?? ''}`;
}

const KIND_TITLES: Readonly<Record<ChangeKind, string>> = {
  answer: 'Answer changes (a local answer appears, goes or changes status)',
  redirect: 'Redirect target changes',
  route: 'Route changes',
  cluster: 'Cluster changes',
  path: 'Rewritten path changes',
  host: 'Rewritten host changes',
  error: 'Requests refused differently',
};

export function previewText(result: PreviewResult): string {
  const lines: string[] = [];
  for (const kind of CHANGE_KINDS) {
    const group = result.changed.filter((c) => c.kind === kind);
    if (group.length === 0) continue;
    lines.push(`${KIND_TITLES[kind]}: ${group.length}`);
    for (const change of group) {
      lines.push(`  ${change.request}`);
      lines.push(`    old: ${describe(change.old)}`);
      lines.push(`    new: ${describe(change.new)}`);
    }
    lines.push('');
  }
  lines.push(`${result.changed.length} of ${result.total} requests would be handled differently`);
  return `${lines.join('\n')}\n`;
}

/** The result as one JSON object with sorted keys. */
export function previewJson(result: PreviewResult): string {
  const differing = result.changed.length;
  return `${JSON.stringify(JSON.parse(canonicalJson({ ...result, differing })), null, 2)}\n`;
}
