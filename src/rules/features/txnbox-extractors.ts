/**
 * TxnBox's extractors beyond the HTTP messages: the pre-remap URL (and its `pristine-*` names), the
 * connection's protocol stack, `is-internal`, `outbound-addr-remote`, `ts-uuid`, the duration
 * extractors, and the names read inside modifiers (`ip-col`, and `name`/`value` in `query-filter`).
 * They register into the shared registry (extractor-kit.ts) when this module loads.
 */
import { randomUUID } from 'node:crypto';
import {
  Duration,
  type CompileEnv,
  type Feature,
  type FeatureType,
  type RequestSnapshot,
  type RuleContext,
  type UpstreamScheme,
} from '../types.ts';
import {
  addressReader,
  define,
  from,
  locationOf,
  queryValue,
  simple,
  snapshotRequest,
  TXN_ONLY,
  txnboxPath,
} from './extractor-kit.ts';

// The request URL as it was just before the route's rules rewrote it (TxnBox's pre-remap, "pristine").
const PRE_REMAP_HOOKS = from('remap');
function preRemap(
  name: string,
  type: FeatureType,
  read: (url: RequestSnapshot, ctx: RuleContext) => Feature,
) {
  for (const prefix of ['pre-remap', 'pristine']) {
    define(`${prefix}-${name}`, {
      hooks: PRE_REMAP_HOOKS,
      type,
      compile(_arg: string | undefined, env: CompileEnv) {
        env.require('pre-remap');
        return (ctx) => read(ctx.preRemap ?? snapshotRequest(ctx), ctx);
      },
    });
  }
}
preRemap('scheme', 'string', (url) => url.scheme);
preRemap('host', 'string', (url) => url.host);
preRemap('port', 'integer', (url) =>
  url.port === '' ? (url.scheme === 'https' ? 443 : 80) : Number(url.port),
);
preRemap('loc', 'string', (url) => locationOf(url.host, url.port));
preRemap('path', 'string', (url) => txnboxPath(url.path));
preRemap('query', 'string', (url) => (url.query.startsWith('?') ? url.query.slice(1) : url.query));
preRemap(
  'url',
  'string',
  (url) => `${url.scheme}://${locationOf(url.host, url.port)}${url.path}${url.query}`,
);
preRemap('fragment', 'string', () => '');
for (const prefix of ['pre-remap', 'pristine']) {
  define(`${prefix}-query-value`, {
    hooks: PRE_REMAP_HOOKS,
    type: 'string',
    arg: 'required',
    argName: 'parameter name',
    compile(arg: string | undefined, env: CompileEnv) {
      if (arg === undefined || arg === '') env.fail(`${prefix}-query-value needs a parameter name`);
      env.require('pre-remap');
      return (ctx) => queryValue((ctx.preRemap ?? snapshotRequest(ctx)).query, arg);
    },
  });
}

/**
 * The client connection's protocol stack as TxnBox's tags: `ipv4`/`ipv6`, `tcp`, `tls` on a TLS
 * listener (Junction's sessions do not carry the TLS version), then the HTTP version (`http/1.1`).
 */
function protocolStack(session: RuleContext['session']): readonly string[] {
  const ip =
    session.clientAddress.includes(':') && !session.clientAddress.startsWith('::ffff:') ? 'ipv6' : 'ipv4';
  return session.scheme === 'https' ? [ip, 'tcp', 'tls', session.protocol] : [ip, 'tcp', session.protocol];
}

define('inbound-protocol', {
  hooks: TXN_ONLY,
  type: 'string',
  arg: 'optional',
  argName: 'protocol tag prefix',
  compile(arg: string | undefined) {
    // Without an argument, the HTTP protocol (Junction's meaning); with one, the first tag it prefixes.
    if (arg === undefined) return (ctx) => ctx.session.protocol;
    return (ctx) => protocolStack(ctx.session).find((tag) => tag.startsWith(arg)) ?? null;
  },
});
define('has-inbound-protocol-prefix', {
  hooks: TXN_ONLY,
  type: 'boolean',
  arg: 'required',
  argName: 'protocol tag prefix',
  compile(arg: string | undefined) {
    const prefix = arg ?? '';
    return (ctx) => protocolStack(ctx.session).some((tag) => tag.startsWith(prefix));
  },
});
simple('inbound-protocol-stack', TXN_ONLY, 'tuple', (ctx) => protocolStack(ctx.session));
// The upstream connection's protocol stack: its address family, tcp, tls when the backend is spoken to
// in https, and http/1.1 (what Junction speaks to backends). Known once the backend is chosen.
function outboundStack(ctx: RuleContext, scheme: UpstreamScheme | undefined): readonly string[] | null {
  const { upstream, cluster } = ctx.txn;
  if (upstream === undefined) return null;
  const ip = upstream.startsWith('[') ? 'ipv6' : 'ipv4';
  const tls = cluster !== undefined && scheme?.(cluster, upstream) === 'https';
  return tls ? [ip, 'tcp', 'tls', 'http/1.1'] : [ip, 'tcp', 'http/1.1'];
}
define('outbound-protocol-stack', {
  hooks: from('send-request'),
  type: 'tuple',
  compile: (_arg: string | undefined, env: CompileEnv) => (ctx) => outboundStack(ctx, env.upstreamScheme),
});
define('outbound-protocol', {
  hooks: from('send-request'),
  type: 'string',
  arg: 'required',
  argName: 'protocol tag prefix',
  compile(arg: string | undefined, env: CompileEnv) {
    const prefix = arg ?? '';
    return (ctx) => outboundStack(ctx, env.upstreamScheme)?.find((tag) => tag.startsWith(prefix)) ?? null;
  },
});
define('has-outbound-protocol-prefix', {
  hooks: from('send-request'),
  type: 'boolean',
  arg: 'required',
  argName: 'protocol tag prefix',
  compile(arg: string | undefined, env: CompileEnv) {
    const prefix = arg ?? '';
    return (ctx) => outboundStack(ctx, env.upstreamScheme)?.some((tag) => tag.startsWith(prefix)) ?? false;
  },
});
// Junction makes no internal requests (Traffic Server's plugin-initiated ones): never internal.
simple('is-internal', TXN_ONLY, 'boolean', () => false);
define('outbound-addr-remote', {
  hooks: from('send-request'),
  type: 'ip',
  compile() {
    const read = addressReader();
    return (ctx) => {
      const upstream = ctx.txn.upstream;
      if (upstream === undefined) return null;
      const colon = upstream.lastIndexOf(':');
      const host = colon === -1 ? upstream : upstream.slice(0, colon);
      return read(host.startsWith('[') ? host.slice(1, -1) : host);
    };
  },
});

// proxy-req-scheme: the scheme Junction speaks to the upstream, the cluster's (its tls, or an https://
// backend): known once the cluster is chosen, or, when its backends differ, once the backend is.
define('proxy-req-scheme', {
  hooks: from('post-remap'),
  type: 'string',
  compile(_arg: string | undefined, env: CompileEnv) {
    const scheme = env.upstreamScheme;
    return (ctx) => {
      const cluster = ctx.txn.cluster;
      return cluster === undefined || scheme === undefined
        ? null
        : (scheme(cluster, ctx.txn.upstream) ?? null);
    };
  },
});

/** This process's id, TxnBox's `ts-uuid` (Traffic Server's process UUID): new at each start. */
const PROCESS_UUID = randomUUID();
define('ts-uuid', { type: 'string', constant: true, compile: () => () => PROCESS_UUID });

// TxnBox's duration extractors: `minutes<5>` is the duration of five minutes.
for (const [name, ms] of [
  ['milliseconds', 1],
  ['seconds', 1000],
  ['minutes', 60_000],
  ['hours', 3_600_000],
  ['days', 86_400_000],
  ['weeks', 604_800_000],
] as const) {
  define(name, {
    type: 'duration',
    arg: 'required',
    argName: 'count',
    constant: true,
    compile(arg: string | undefined, env: CompileEnv) {
      if (arg === undefined || !/^\s*\d+\s*$/.test(arg))
        env.fail(`${name}<${arg ?? ''}> needs a whole number: ${name}<5>`);
      const value = new Duration(Number(arg) * ms);
      return () => value;
    },
  });
}

// Inside the ip-space modifier: a column of the row it found (0: the address; 1…: the columns, or a name).
define('ip-col', {
  type: 'any',
  arg: 'required',
  argName: 'column name or number',
  compile(arg: string | undefined, env: CompileEnv) {
    const column = (arg ?? '').trim();
    if (column === '') env.fail('ip-col needs a column: ip-col<name> or ip-col<1>');
    const index = /^\d+$/.test(column) ? Number(column) : undefined;
    return (ctx) => {
      const found = ctx.ipRow;
      if (found === undefined) return null;
      if (index === 0) return found.address;
      const at = index ?? found.columnNames.indexOf(column) + 1;
      return at <= 0 ? null : (found.row[at - 1] ?? null);
    };
  },
});
// Inside query-filter: the name and the value of the parameter at hand.
simple('name', undefined, 'string', (ctx) => ctx.queryElement?.name ?? null);
simple('value', undefined, 'string', (ctx) => ctx.queryElement?.value ?? null);
// TxnBox's other name of `{*}`: what the last string comparison that matched left over.
simple('unmatched', undefined, 'string', (ctx) => ctx.remainder ?? null);
