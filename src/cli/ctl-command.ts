/**
 * `junction ctl`: the admin API from the command line. Finds the API from `--admin URL`, or from the
 * `admin:` section of `-c FILE` (its address, port and token); prints tables by default and the API's
 * JSON with `--json`. Exit status: 0 done, 1 the API refused or could not be reached, 2 usage error.
 */
import { parseArgs } from 'node:util';
import { loadConfigFile } from '../config/index.ts';
import type { CliContext } from './cli-context.ts';
import {
  CTL_ACTIONS,
  CTL_COMMANDS,
  CTL_OPTIONS,
  describeParseError,
  parsePort,
  unknownWord,
} from './cli-spec.ts';
import { renderBackends, renderClusters, renderStatus } from './ctl-views.ts';
import { formatTable } from './table.ts';
import { previewText, type PreviewResult } from '../explain/index.ts';
import { CtlPreviewFailed, explainCall, previewCall } from './ctl-explain.ts';
import { DEFAULT_FLEET_WAIT, runCtlFleet } from './ctl-fleet.ts';

export const CTL_USAGE = `Usage: junction ctl [--admin ADDRESS | -c FILE] [--token TOKEN] [--json] <command>

Commands:
  status                              Config version and hash, sessions, backends up
  listeners                           Listeners and their bound ports
  routes                              Routes and the cluster each sends to
  clusters                            Clusters: strategy, backends up, requests, retries
  backends CLUSTER                    A cluster's backends with health and counters
  backends add CLUSTER ADDRESS [--weight N] [--id ID]
  backends remove CLUSTER ID
  backends drain CLUSTER ID [--timeout MS]
                                      No new requests; in-flight ones finish; then removed
  certs                               Certificates
  reload [--max-changed PCT]          Re-read the config file; with --max-changed (as 10%), the process
                                      previews it over the kept requests and refuses when more change
  workers                             Worker processes (workers > 1): pid, state, config, memory
  restart                             Replace every worker, one at a time, from the code on disk
  config export                       The running config as YAML
  config save                         Write the running config back to its file (keeps FILE.bak)
  explain 'METHOD URL' [-H 'N: v']... [--client ADDR] [--sni NAME] [--status N [--response-header 'N: v']...]
                                      What the running config does with that request, with live health
  preview B.yaml                      The requests the process kept (explain.keep_requests) that B.yaml
                                      would handle differently from the running config
  cache purge URL [--prefix] | cache clear
                                      Drop one URL's stored responses, every URL under a prefix, or all
  fleet status                        (-c FILE with a fleet section; talks to etcd) Every live instance:
                                      the revision it serves, stale, lagging or refused
  fleet apply F.yaml [--wait[=60s]] [--if-revision N]
                                      Validate F.yaml with the local file, write it to <prefix>/config
                                      if nobody wrote it since it was read (or since revision N);
                                      wait until every live instance serves it
  fleet diff F.yaml                   What F.yaml changes against the fleet's document
  fleet cert list                     The fleet's certificates (<prefix>/certificates/): names, expiry,
                                      fingerprint, revision; never a key
  fleet cert put NAME CERT.pem KEY.pem [--wait[=60s]] [--if-revision N]
                                      Check the pair (and the local file with it), write cert and key
                                      in one compare-and-swap; wait until every instance serves it
  fleet cert remove NAME [--wait[=60s]] [--if-revision N]
                                      Remove one, refused while the local file's listeners name it
  help                                Show this help

Options:
  --admin ADDRESS  The admin API: 127.0.0.1:9901, [::1]:9901 or http://127.0.0.1:9901
  -c, --config F   Read the admin address, port and token from F's admin section
  --token TOKEN    Bearer token (default: JUNCTION_ADMIN_TOKEN, or the config's)
  --json           Print the API's JSON instead of a table
  -h, --help       Show this help

Exit status: 0 done, 1 the API refused or could not be reached, 2 usage error.
`;

/** Thrown for bad arguments: usage on stderr, exit status 2. */
export class CtlUsageError extends Error {}

/** The options commands read besides the API's location. */
interface CallOptions {
  readonly weight?: string;
  readonly id?: string;
  readonly timeout?: string;
  readonly header?: string[];
  readonly client?: string;
  readonly sni?: string;
  readonly status?: string;
  readonly 'response-header'?: string[];
  readonly prefix?: boolean;
}

interface Call {
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  readonly path: string;
  readonly body?: unknown;
  /** Renders a successful answer for people (and, when rendersJson, for --json too). */
  readonly render: (answer: unknown, context: CliContext, json: boolean) => string | Promise<string>;
  /** The answer is input to the command, not its output: --json prints render()'s JSON. */
  readonly rendersJson?: boolean;
  /** What a refusal prints on stdout besides its message (a refused guarded reload's preview). */
  readonly renderRefusal?: (error: unknown) => string;
  /** How long to wait for the answer; default two minutes. */
  readonly timeoutMs?: number;
}

/** A restart waits for every old worker to finish its requests, one after another. */
const RESTART_TIMEOUT_MS = 60 * 60 * 1000;

function mebibytes(bytes: unknown): string {
  return typeof bytes === 'number' ? `${(bytes / 1048576).toFixed(1)} MiB` : '-';
}

type Row = Record<string, unknown>;

function rows(answer: unknown, key: string): Row[] {
  const list = (answer as Record<string, unknown>)[key];
  return Array.isArray(list) ? (list as Row[]) : [];
}

function segment(value: string): string {
  return encodeURIComponent(value);
}

function changeSummary(answer: unknown): string {
  const a = answer as { version?: number; diff?: Record<string, unknown> };
  const lines = [`applied: config version ${a.version ?? '?'}`];
  const diff = a.diff ?? {};
  for (const kind of ['listeners', 'routes', 'clusters', 'backends']) {
    const d = diff[kind] as { added: string[]; removed: string[]; modified: string[] } | undefined;
    if (d === undefined) continue;
    for (const [label, names] of [
      ['added', d.added],
      ['removed', d.removed],
      ['modified', d.modified],
    ] as const) {
      if (names.length > 0) lines.push(`  ${kind} ${label}: ${names.join(', ')}`);
    }
  }
  // A guarded reload (--max-changed): what its preview found.
  const preview = (answer as { preview?: { total: number; differing: number; maxChanged: number } }).preview;
  if (preview !== undefined)
    lines.push(
      `  preview: ${preview.differing} of ${preview.total} kept requests handled differently (max_changed ${(preview.maxChanged * 100).toFixed(1)}%)`,
    );
  // With worker processes, what each one did.
  const workers = (answer as { workers?: { worker: number; pid: number; outcome: string }[] }).workers;
  for (const w of workers ?? []) lines.push(`  worker ${w.worker} (pid ${w.pid}): ${w.outcome}`);
  return `${lines.join('\n')}\n`;
}

function positional(args: readonly string[], index: number, what: string): string {
  const value = args[index];
  if (value === undefined || value === '') throw new CtlUsageError(`missing ${what}`);
  return value;
}

function planCall(args: readonly string[], values: CallOptions): Call {
  const [command, action] = args;
  switch (command) {
    case 'explain':
      return explainCall(args.slice(1), values, CtlUsageError);
    case 'preview':
      return previewCall(args.slice(1), CtlUsageError);
    case 'cache':
      if (action === 'clear')
        return {
          method: 'DELETE',
          path: '/cache',
          render: (a) => `cleared ${String((a as { cleared: number }).cleared)} objects\n`,
        };
      if (action !== 'purge') throw new CtlUsageError('cache takes purge URL [--prefix] or clear');
      return {
        method: 'POST',
        path: '/cache/purge',
        body: { url: positional(args, 2, 'URL'), prefix: values.prefix === true },
        render: (a) => `purged ${String((a as { purged: number }).purged)} objects\n`,
      };
    case 'status':
      return {
        method: 'GET',
        path: '/status',
        render: renderStatus,
      };
    case 'listeners':
      return {
        method: 'GET',
        path: '/listeners',
        render: (a) =>
          formatTable(rows(a, 'listeners'), ['name', 'kind', 'address', 'port', 'maxConnections']),
      };
    case 'routes':
      return {
        method: 'GET',
        path: '/routes',
        render: (a) =>
          formatTable(
            rows(a, 'routes').map((r) => ({
              ...r,
              hosts: (r['hosts'] as string[]).join(',') || '*',
              path:
                r['path'] === null
                  ? '*'
                  : Object.entries(r['path'] as object).map(([k, v]) => `${k} ${String(v)}`)[0],
              methods: (r['methods'] as string[]).join(',') || '*',
            })),
            ['name', 'hosts', 'path', 'methods', 'cluster'],
          ),
      };
    case 'clusters':
      return {
        method: 'GET',
        path: '/clusters',
        render: renderClusters,
      };
    case 'backends': {
      if (action === 'add') {
        const cluster = positional(args, 2, 'CLUSTER');
        const address = positional(args, 3, 'ADDRESS');
        const weight = values.weight === undefined ? undefined : Number(values.weight);
        if (weight !== undefined && !Number.isInteger(weight))
          throw new CtlUsageError('--weight must be an integer');
        return {
          method: 'POST',
          path: `/clusters/${segment(cluster)}/backends`,
          body: {
            address,
            ...(weight === undefined ? {} : { weight }),
            ...(values.id === undefined ? {} : { id: values.id }),
          },
          render: changeSummary,
        };
      }
      if (action === 'remove' || action === 'drain') {
        const cluster = positional(args, 2, 'CLUSTER');
        const id = positional(args, 3, 'ID');
        const base = `/clusters/${segment(cluster)}/backends/${segment(id)}`;
        if (action === 'remove') return { method: 'DELETE', path: base, render: changeSummary };
        const query = values.timeout === undefined ? '' : `?timeout_ms=${encodeURIComponent(values.timeout)}`;
        return {
          method: 'POST',
          path: `${base}/drain${query}`,
          render: (a) =>
            `${(a as { drained?: boolean }).drained === true ? 'drained' : 'drain timed out; removed anyway'}\n${changeSummary(a)}`,
        };
      }
      const cluster = positional(args, 1, 'CLUSTER');
      if (args.length > 2) throw new CtlUsageError(`unexpected '${args[2]!}'`);
      return {
        method: 'GET',
        path: `/clusters/${segment(cluster)}/backends`,
        render: renderBackends,
      };
    }
    case 'certs':
      return {
        method: 'GET',
        path: '/certificates',
        render: (a) =>
          formatTable(rows(a, 'certificates'), ['listener', 'id', 'names', 'notAfter', 'isDefault']),
      };
    case 'reload':
      return { method: 'POST', path: '/reload', render: changeSummary };
    case 'workers':
      return {
        method: 'GET',
        path: '/workers',
        render: (a) => {
          const s = a as { workers?: Row[]; rss?: number; primaryRss?: number; hash?: string };
          const table = formatTable(
            (s.workers ?? []).map((w) => ({
              ...w,
              config: w['hash'] === s.hash ? 'current' : String(w['hash']),
              rss: mebibytes(w['rss']),
              crashLoop: w['crashLoop'] === true ? 'CRASH LOOP' : '',
            })),
            ['worker', 'pid', 'state', 'config', 'sessions', 'rss', 'replacements', 'crashLoop'],
          );
          return `${table}primary rss ${mebibytes(s.primaryRss)}, group rss ${mebibytes(s.rss)}\n`;
        },
      };
    case 'restart':
      return {
        method: 'POST',
        path: '/restart',
        timeoutMs: RESTART_TIMEOUT_MS,
        render: (a) => {
          const replaced =
            (a as { workers?: { worker: number; oldPid: number; newPid: number }[] }).workers ?? [];
          return `${replaced.map((w) => `worker ${w.worker}: pid ${w.oldPid} -> ${w.newPid}\n`).join('')}restarted ${replaced.length} workers\n`;
        },
      };
    case 'config':
      if (action === 'export') return { method: 'GET', path: '/config', render: (a) => String(a) };
      if (action === 'save') {
        return {
          method: 'POST',
          path: '/config/save',
          render: (a) => {
            const s = a as { file: string; backup: string };
            return `saved ${s.file} (previous version in ${s.backup})\n`;
          },
        };
      }
      throw new CtlUsageError(
        action === undefined
          ? 'config takes export or save'
          : unknownWord('config action', action, CTL_ACTIONS.config ?? []),
      );
    case 'help':
      throw new Error('ctl help is answered before any call is planned');
    case undefined:
      throw new CtlUsageError('no ctl command given');
    default:
      throw new CtlUsageError(unknownWord('ctl command', command, CTL_COMMANDS));
  }
}

/**
 * `--admin`: a URL, or just `host:port` / `[v6]:port` as every other address in Junction is written
 * (http:// is then implied). The port is checked as the config checks ports: `080` is not 80.
 */
export function adminUrl(text: string): string {
  const withScheme = /^[a-z][a-z\d+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new CtlUsageError(
      `--admin must be host:port, [IPv6]:port or an http:// URL, got '${text}'` +
        (/^[^[]*:.*:/.test(text) && !text.includes('://')
          ? ' (write IPv6 addresses in brackets, as in [::1]:9901)'
          : ''),
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CtlUsageError(`--admin must be an http:// or https:// URL, got '${text}'`);
  }
  // The port as written (URL would read `080` as 80, and drop a scheme's default port).
  const written = /^[a-z][a-z\d+.-]*:\/\/(?:\[[^\]]*\]|[^/:?#]*)(?::([^/?#]*))?/i.exec(withScheme)?.[1];
  if (written === undefined) throw new CtlUsageError(`--admin needs a port, as in ${url.hostname}:9901`);
  const port = parsePort(written);
  if (port === undefined || port === 0) {
    throw new CtlUsageError(`--admin port must be a number from 1 to 65535, got '${written}'`);
  }
  return `${url.protocol}//${url.hostname}:${port}${url.pathname.replace(/\/+$/, '')}`;
}

/** The admin API's URL and token, from the flags, the environment, or the config's admin section. */
async function locate(
  values: { admin?: string; config?: string; token?: string },
  context: CliContext,
): Promise<{ url: string; token: string | undefined }> {
  let token = values.token ?? context.env['JUNCTION_ADMIN_TOKEN'];
  if (values.admin !== undefined) return { url: adminUrl(values.admin), token };
  if (values.config === undefined) {
    throw new CtlUsageError('ctl needs --admin URL, or -c FILE with an admin section');
  }
  const config = await loadConfigFile(values.config);
  config.rules?.dispose();
  const admin = config.admin;
  if (admin === undefined) throw new CtlUsageError(`${values.config} has no admin section`);
  token ??= admin.token;
  const host = admin.address === '0.0.0.0' ? '127.0.0.1' : admin.address === '::' ? '::1' : admin.address;
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${admin.port}`, token };
}

export async function runCtl(argv: readonly string[], context: CliContext): Promise<number> {
  let parsed;
  // `--wait` alone waits the default time (parseArgs' string options need a value).
  const args = argv.map((arg) => (arg === '--wait' ? `--wait=${DEFAULT_FLEET_WAIT}` : arg));
  try {
    parsed = parseArgs({ args, options: CTL_OPTIONS, strict: true, allowPositionals: true });
  } catch (error) {
    throw new CtlUsageError(describeParseError(error as NodeJS.ErrnoException, CTL_OPTIONS));
  }
  const { values, positionals } = parsed;
  if (values.help === true || positionals[0] === 'help') {
    context.stdout.write(CTL_USAGE);
    return 0;
  }
  if (positionals[0] === 'fleet' && positionals[1] === 'cert') {
    const { runCtlFleetCert } = await import('./ctl-fleet-certs.ts');
    return runCtlFleetCert(positionals.slice(2), values, context, CtlUsageError);
  }
  if (positionals[0] === 'fleet') return runCtlFleet(positionals.slice(1), values, context, CtlUsageError);
  if (values.wait !== undefined) throw new CtlUsageError('--wait goes with fleet apply and fleet cert');
  const maxChanged = values['max-changed'];
  if (maxChanged !== undefined && positionals[0] !== 'reload')
    throw new CtlUsageError('--max-changed goes with reload');
  const call =
    maxChanged === undefined
      ? planCall(positionals, values)
      : guardedReload(maxChangedShare(maxChanged), positionals.slice(1));
  const { url, token } = await locate(values, context);
  return finish(call, await send(url, token, call), values.json === true, url, context);
}

/**
 * `reload --max-changed PCT`: the admin API's guarded reload (`POST /reload?max_changed=`), which
 * previews the file over the kept requests where the process runs and applies it only within the
 * share; a refusal prints that preview.
 */
function guardedReload(share: number, rest: readonly string[]): Call {
  if (rest.length > 0) throw new CtlUsageError(`unexpected '${rest[0]!}'`);
  return {
    method: 'POST',
    path: `/reload?max_changed=${share}`,
    render: changeSummary,
    renderRefusal: (error) => {
      const preview = (error as { preview?: PreviewResult } | undefined)?.preview;
      return preview === undefined ? '' : previewText(preview);
    },
  };
}

/** `--max-changed 10%` as a fraction. */
function maxChangedShare(text: string): number {
  const match = /^(\d+(?:\.\d+)?)%$/.exec(text.trim());
  const share = match === null ? NaN : Number(match[1]) / 100;
  if (!(share >= 0 && share <= 1))
    throw new CtlUsageError(`--max-changed must be a share such as 10%, got '${text}'`);
  return share;
}

type Sent = { readonly response: Response; readonly text: string } | { readonly unreachable: string };

async function send(url: string, token: string | undefined, call: Call): Promise<Sent> {
  let response: Response;
  try {
    response = await fetch(`${url}${call.path}`, {
      method: call.method,
      headers: {
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...(call.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
      signal: AbortSignal.timeout(call.timeoutMs ?? 120_000),
    });
  } catch (error) {
    return { unreachable: (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message };
  }
  return { response, text: await response.text() };
}

async function finish(
  call: Call,
  sent: Sent,
  json: boolean,
  url: string,
  context: CliContext,
): Promise<number> {
  if ('unreachable' in sent) {
    context.stderr.write(`junction ctl: cannot reach the admin API at ${url} (${sent.unreachable})\n`);
    return 1;
  }
  const { response, text } = sent;
  const isJson = (response.headers.get('content-type') ?? '').startsWith('application/json');
  if (!response.ok) {
    if (json) context.stdout.write(text);
    const error = isJson
      ? (
          JSON.parse(text) as {
            error?: { message?: string; problems?: { field: string; message: string }[] };
          }
        ).error
      : undefined;
    if (!json && call.renderRefusal !== undefined) context.stdout.write(call.renderRefusal(error));
    context.stderr.write(`junction ctl: ${response.status} ${error?.message ?? text}\n`);
    for (const problem of error?.problems ?? []) {
      context.stderr.write(`  ${problem.field === '' ? '(body)' : problem.field}: ${problem.message}\n`);
    }
    return 1;
  }
  if ((json && call.rendersJson !== true) || !isJson) {
    context.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    return 0;
  }
  try {
    context.stdout.write(await call.render(JSON.parse(text), context, json));
  } catch (error) {
    if (!(error instanceof CtlPreviewFailed)) throw error;
    return 1;
  }
  return 0;
}
