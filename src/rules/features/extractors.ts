/**
 * The extractors: `{name}` / `{name<arg>}` in a feature expression. Each declares the hooks where it
 * is valid and the type it yields; compile() checks the argument at load time and returns the
 * closure that runs per transaction (no name lookups, no parsing of the rule then).
 *
 * Values that are missing (a field, a query parameter, a cookie, a variable, a response before
 * there is one) are null, distinct from a present but empty value (''); `else` replaces both.
 * Junction has one view of the request: the client's request as it will be forwarded. So the
 * `ua-req-*` and `proxy-req-*` families read the same request, as rewritten so far; likewise the
 * `upstream-rsp-*` and `proxy-rsp-*` families read the same response head while the upstream's is the
 * one going to the client (they part when a reply or Junction's own answer replaces it).
 */
import type { TxnHookName } from '../../hooks/index.ts';
import { didYouMean } from '../../util/edit-distance.ts';
import {
  Duration,
  type CompileEnv,
  type ExtractorSpec,
  type Feature,
  type IpSpaceLookup,
  type RuleContext,
} from '../types.ts';
import { DURATION_HINT, parseDuration } from './duration.ts';
import { toFeature } from './feature.ts';
import {
  addressReader,
  CLIENT_RESPONSE_HOOKS,
  define,
  definitions,
  defaultPort,
  location,
  PROXY_REQUEST_HOOKS,
  queryValue,
  requestScheme,
  requestUrl,
  simple,
  TXN_ONLY,
  txnboxPath,
  UPSTREAM_RESPONSE_HOOKS,
} from './extractor-kit.ts';
// Registers TxnBox's other extractors (pre-remap, protocol stack, durations…) into the same registry.
import './txnbox-extractors.ts';
import './connection-extractors.ts';
import './cache-extractors.ts';

export { queryValue, snapshotRequest, txnboxPath } from './extractor-kit.ts';

type Hook = TxnHookName | 'post-load';

/** An extractor as this module defines it: the shared spec plus what docs and the compiler use. */
export interface FeatureExtractor extends ExtractorSpec {
  /** What the argument is ('field name'), for messages; set when `arg` is not 'none'. */
  readonly argName?: string | undefined;
  /**
   * The compiled closure ignores its context and always returns the same value (an environment
   * variable, a duration): the expression compiler evaluates it once, at load time.
   */
  readonly constant?: boolean | undefined;
}

// ---------------------------------------------------------------------------------------------------
// The request: ua-req-* (the client's) and proxy-req-* (as it goes upstream). One view in Junction.

function query(ctx: RuleContext): string {
  const text = ctx.txn.request.query;
  return text.startsWith('?') ? text.slice(1) : text;
}

const url = requestUrl;

/** A field's value: null when absent, its text when once, a tuple (one element per field) when repeated. */
function fieldValue(values: string[]): Feature {
  if (values.length === 0) return null;
  return values.length === 1 ? values[0]! : values;
}

function checkFieldName(name: string | undefined, env: CompileEnv): string {
  if (name === undefined || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
    env.fail(`'${name ?? ''}' is not a header field name`);
  }
  return name;
}

for (const family of ['ua-req', 'proxy-req'] as const) {
  const hooks = family === 'ua-req' ? TXN_ONLY : PROXY_REQUEST_HOOKS;
  simple(`${family}-method`, hooks, 'string', (ctx) => ctx.txn.request.method);
  simple(`${family}-host`, hooks, 'string', (ctx) => ctx.txn.request.host);
  simple(`${family}-port`, hooks, 'integer', (ctx) => {
    const port = ctx.txn.request.port;
    return port === '' ? defaultPort(ctx) : Number(port);
  });
  simple(`${family}-loc`, hooks, 'string', location);
  simple(`${family}-path`, hooks, 'string', (ctx) => txnboxPath(ctx.txn.request.path));
  simple(`${family}-query`, hooks, 'string', query);
  simple(`${family}-url`, hooks, 'string', url);
  // Junction keeps the URL and the Host field in step, so the URL's host, port and location are the request's.
  simple(`${family}-url-host`, hooks, 'string', (ctx) => ctx.txn.request.host);
  simple(`${family}-url-port`, hooks, 'integer', (ctx) => {
    const port = ctx.txn.request.port;
    return port === '' ? defaultPort(ctx) : Number(port);
  });
  simple(`${family}-url-loc`, hooks, 'string', location);
  // A request Junction receives never carries a fragment (clients do not send it).
  simple(`${family}-fragment`, hooks, 'string', () => '');
  define(`${family}-query-value`, {
    hooks,
    type: 'string',
    arg: 'required',
    argName: 'parameter name',
    compile(arg: string | undefined, env: CompileEnv) {
      if (arg === undefined || arg === '') env.fail(`${family}-query-value needs a parameter name`);
      return (ctx) => queryValue(ctx.txn.request.query, arg);
    },
  });
  define(`${family}-field`, {
    hooks,
    type: 'string',
    arg: 'required',
    argName: 'field name',
    compile(arg: string | undefined, env: CompileEnv) {
      const name = checkFieldName(arg, env);
      return (ctx) => fieldValue(ctx.txn.request.headers.getAll(name));
    },
  });
}

simple('ua-req-scheme', TXN_ONLY, 'string', requestScheme);

define('ua-req-cookie', {
  hooks: TXN_ONLY,
  type: 'string',
  arg: 'required',
  argName: 'cookie name',
  compile(arg: string | undefined, env: CompileEnv) {
    if (arg === undefined || arg === '' || /[\s;=,]/.test(arg)) {
      env.fail(`'${arg ?? ''}' is not a cookie name`);
    }
    return (ctx) => cookieValue(ctx.txn.request.headers.getAll('cookie'), arg);
  },
});

/** The value of the first cookie called `name` in the Cookie fields (as sent: not decoded), or null. */
export function cookieValue(fields: readonly string[], name: string): Feature {
  for (const field of fields) {
    for (const pair of field.split(';')) {
      const equals = pair.indexOf('=');
      if (equals === -1) continue;
      if (pair.slice(0, equals).trim() === name) return pair.slice(equals + 1).trim();
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------
// Responses: upstream-rsp-* (the upstream's head) and proxy-rsp-* (the head going to the client).

// They differ where the client got another answer than the upstream's (a reply, a 502): upstream-rsp-*
// read the upstream's head, null when none answered; proxy-rsp-* the one sent.
for (const [family, hooks, responseOf] of [
  ['upstream-rsp', UPSTREAM_RESPONSE_HOOKS, (ctx: RuleContext) => ctx.txn.upstreamResponse],
  ['proxy-rsp', CLIENT_RESPONSE_HOOKS, (ctx: RuleContext) => ctx.txn.response],
] as const) {
  simple(`${family}-status`, hooks, 'integer', (ctx) => responseOf(ctx)?.status ?? null);
  simple(`${family}-reason`, hooks, 'string', (ctx) => responseOf(ctx)?.reason ?? null);
  simple(`${family}-status-reason`, hooks, 'string', (ctx) => responseOf(ctx)?.reason ?? null);
  define(`${family}-field`, {
    hooks,
    type: 'string',
    arg: 'required',
    argName: 'field name',
    compile(arg: string | undefined, env: CompileEnv) {
      const name = checkFieldName(arg, env);
      return (ctx) => {
        const response = responseOf(ctx);
        return response === undefined ? null : fieldValue(response.headers.getAll(name));
      };
    },
  });
}

/** What the client was sent, head and framing included: known once the transaction is over. */
simple('proxy-rsp-bytes', new Set<Hook>(['txn-close']), 'integer', (ctx) => ctx.txn.responseBytes);

// ---------------------------------------------------------------------------------------------------
// The client connection.

define('inbound-addr-remote', {
  hooks: TXN_ONLY,
  type: 'ip',
  compile() {
    const read = addressReader();
    return (ctx) => read(ctx.session.clientAddress);
  },
});
define('inbound-addr-local', {
  hooks: TXN_ONLY,
  type: 'ip',
  compile() {
    const read = addressReader();
    return (ctx) => read(ctx.session.localAddress);
  },
});
simple('inbound-port-remote', TXN_ONLY, 'integer', (ctx) => ctx.session.clientPort);
simple('inbound-port-local', TXN_ONLY, 'integer', (ctx) => ctx.session.localPort);
simple('inbound-sni', TXN_ONLY, 'string', (ctx) => ctx.session.sni);
simple('inbound-txn-count', TXN_ONLY, 'integer', (ctx) => ctx.session.transactions);

// ---------------------------------------------------------------------------------------------------
// The transaction.

define('var', {
  hooks: TXN_ONLY,
  type: 'any',
  arg: 'required',
  argName: 'variable name',
  compile(arg: string | undefined, env: CompileEnv) {
    if (arg === undefined || arg === '') env.fail('var needs a variable name: var<name>');
    return (ctx) => toFeature(ctx.txn.vars.get(arg));
  },
});
simple('route', TXN_ONLY, 'string', (ctx) => ctx.txn.route ?? null);
simple('cluster', TXN_ONLY, 'string', (ctx) => ctx.txn.cluster ?? null);
simple('upstream', TXN_ONLY, 'string', (ctx) => ctx.txn.upstream ?? null);
simple('txn-elapsed', TXN_ONLY, 'duration', (ctx) => new Duration(Math.floor(ctx.txn.elapsedMs)));

// ---------------------------------------------------------------------------------------------------
// Utilities: random numbers, the time, the environment, constants.

const RANDOM_ARG = /^\s*(\d+)\s*(?:[-,]\s*(\d+)\s*)?$/;

define('random', {
  type: 'integer',
  arg: 'optional',
  argName: 'N (0 to N) or min,max',
  compile(arg: string | undefined, env: CompileEnv) {
    let min = 0;
    let max = 99;
    if (arg !== undefined) {
      const match = RANDOM_ARG.exec(arg);
      if (!match) env.fail(`random<${arg}>: write random<N> for 0 to N, or random<min,max>`);
      if (match[2] === undefined) {
        max = Number(match[1]); // TxnBox: random<199> is 0 to 199, both included
      } else {
        min = Number(match[1]);
        max = Number(match[2]);
      }
      if (max < min || !Number.isSafeInteger(max)) env.fail(`random<${arg}> is an empty or too large range`);
    }
    const span = max - min + 1;
    return () => min + Math.floor(Math.random() * span);
  },
});

define('now', {
  type: 'integer',
  arg: 'optional',
  argName: "'s' or 'ms'",
  compile(arg: string | undefined, env: CompileEnv) {
    if (arg === undefined || arg === 's') return (ctx) => Math.floor(ctx.now() / 1000);
    if (arg === 'ms') return (ctx) => Math.floor(ctx.now());
    env.fail(`now<${arg}>: write now (seconds since the epoch) or now<ms> (milliseconds)`);
  },
});

define('env', {
  type: 'string',
  arg: 'required',
  argName: 'environment variable name',
  constant: true,
  compile(arg: string | undefined, env: CompileEnv) {
    if (arg === undefined || arg === '') env.fail('env needs a variable name: env<NAME>');
    // Read once, when the rules load: a rule's meaning does not change under a running proxy.
    const value = process.env[arg] ?? null;
    return () => value;
  },
});

define('duration', {
  type: 'duration',
  arg: 'required',
  argName: 'duration',
  constant: true,
  compile(arg: string | undefined, env: CompileEnv) {
    const ms = arg === undefined ? undefined : parseDuration(arg);
    if (ms === undefined) env.fail(`duration<${arg ?? ''}>: the argument must be ${DURATION_HINT}`);
    const value = new Duration(ms);
    return () => value;
  },
});

// ---------------------------------------------------------------------------------------------------
// Load-time resources (ip-space-define, text-block-define, stat-define at post-load).

/**
 * A resource by name. Post-load rules are compiled before any of them runs, so there a resource
 * defined by an earlier post-load directive does not exist yet at compile time: it is looked up on
 * first use instead (and the extractor yields null until it exists). Every other hook compiles after
 * post-load has run, so an unknown name is a load-time error there.
 */
function resource<T>(
  kind: string,
  name: string,
  find: (name: string) => T | undefined,
  env: CompileEnv,
  known: () => Iterable<string>,
): () => T | undefined {
  const found = find(name);
  if (found !== undefined) return () => found;
  if (env.hook !== 'post-load') {
    const names = [...known()];
    const hint = didYouMean(name, names);
    env.fail(
      `no ${kind} named '${name}' is defined${hint === '' ? ` (define it with ${kind}-define at post-load)` : hint}`,
    );
  }
  let cached: T | undefined;
  return () => (cached ??= find(name));
}

/**
 * The column names of a space, when its definition named them. Not part of IpSpaceLookup (yet): the
 * space ip-space-define makes carries `columnNames` (index 0: the first column after the range).
 */
function columnNamesOf(space: IpSpaceLookup): readonly unknown[] | undefined {
  const names: unknown = (space as { columnNames?: unknown }).columnNames;
  return Array.isArray(names) ? names : undefined;
}

/** A column given by name → its number (from 1), or undefined. */
function columnByName(space: IpSpaceLookup, name: string): number | undefined {
  const index = columnNamesOf(space)?.indexOf(name) ?? -1;
  return index === -1 ? undefined : index + 1;
}

define('ip-space', {
  hooks: TXN_ONLY,
  type: 'any',
  arg: 'required',
  argName: 'space name[,column]',
  compile(arg: string | undefined, env: CompileEnv) {
    const [rawName, rawColumn, ...rest] = (arg ?? '').split(',');
    const name = rawName!.trim();
    const columnText = rawColumn?.trim();
    if (name === '' || columnText === '' || rest.length > 0) {
      env.fail('write ip-space<name>, ip-space<name,column number> or ip-space<name,column name>');
    }
    // Not valid at post-load, so the space exists by now (resource() fails otherwise).
    const space = resource(
      'ip-space',
      name,
      (n) => env.resources.ipSpace(n),
      env,
      () => [],
    )()!;
    // The column: a number from 1 (the first column after the range), or a name the space defines.
    let column: number | undefined;
    if (columnText !== undefined && /^\d+$/.test(columnText)) {
      column = Number(columnText);
      if (column < 1)
        env.fail(`ip-space<${arg ?? ''}>: columns are numbered from 1 (the first after the range)`);
    } else if (columnText !== undefined) {
      column = columnByName(space, columnText);
      if (column === undefined) {
        const names = (columnNamesOf(space) ?? []).filter((n): n is string => typeof n === 'string');
        env.fail(
          `ip-space '${name}' has no column named '${columnText}'${didYouMean(columnText, names)}` +
            (names.length === 0
              ? ' (its columns have no names: use a number from 1)'
              : ` (columns: ${names.join(', ')})`),
        );
      }
    }
    const read = addressReader();
    const index = column === undefined ? -1 : column - 1;
    return (ctx) => {
      const address = read(ctx.session.clientAddress);
      const row = address === null ? undefined : space.lookup(address);
      if (row === undefined) return null;
      return index === -1 ? row : (row[index] ?? null);
    };
  },
});

define('text-block', {
  type: 'string',
  arg: 'required',
  argName: 'text block name',
  compile(arg: string | undefined, env: CompileEnv) {
    const name = arg?.trim() ?? '';
    if (name === '') env.fail('text-block needs a name: text-block<name>');
    const block = resource(
      'text-block',
      name,
      (n) => env.resources.textBlock(n),
      env,
      () => [],
    );
    return () => block()?.() ?? null;
  },
});

define('stat', {
  type: 'integer',
  arg: 'required',
  argName: 'counter name',
  compile(arg: string | undefined, env: CompileEnv) {
    const name = arg?.trim() ?? '';
    if (name === '') env.fail('stat needs a counter name: stat<name>');
    const counter = resource(
      'stat',
      name,
      (n) => env.resources.stat(n),
      env,
      () => env.resources.stats().map((stat) => stat.name),
    );
    return () => counter()?.value ?? null;
  },
});

// ---------------------------------------------------------------------------------------------------

/** Every extractor, by name. Capture groups (`{1}`) and `{...}` are part of the expression syntax. */
export const EXTRACTORS: ReadonlyMap<string, FeatureExtractor> = new Map(
  [...definitions].map(([name, definition]) => [
    name,
    {
      name,
      hooks: definition.hooks,
      type: definition.type,
      arg: definition.arg ?? 'none',
      argName: definition.argName,
      constant: definition.constant ?? false,
      compile: definition.compile,
    },
  ]),
);
