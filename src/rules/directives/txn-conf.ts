/**
 * `txn-conf<name>: value`: a Traffic Server setting for this transaction, as the table in ../txn-conf.ts
 * maps it: a timeout, the Via field upstream, the backend's connection limit, the TLS server name
 * sent upstream, no client certificate upstream, or a setting whose value is what Junction always does. Any other name is refused at
 * load with why.
 */
import { parseSniPolicy, TXN_CONF, txnConfRefusal, type SniPolicy } from '../txn-conf.ts';
import type { CompileEnv, CompiledDirective, DirectiveSpec, RuleContext } from '../types.ts';
import { BODY_TIMEOUT_HOOKS, CONNECT_TIMEOUT_HOOKS, TIMEOUT_HOOKS } from './hooks.ts';
import { compileConverted, featureInteger } from './values.ts';

/**
 * `insert_request_via_str: 0|1`: with 1 the request sent upstream gets a Via field (RFC 9110: the
 * client's protocol version and `junction`), added at proxy-req after the rules there. Traffic
 * Server's 2 and 3 add its cache-lookup codes, which Junction has not: refused.
 */
function compileVia(name: string, value: unknown, env: CompileEnv): CompiledDirective {
  if (!CONNECT_TIMEOUT_HOOKS.has(env.hook)) env.fail(`txn-conf<${name}> takes effect only until post-remap`);
  const compiled = env.expression(value ?? null);
  const level = compiled.constant === undefined ? undefined : featureInteger(compiled.constant);
  if (level !== 0 && level !== 1) {
    env.fail(
      `txn-conf<${name}> takes the constant 0 (no Via) or 1 (a Via field upstream); Traffic Server's 2 and 3 add its cache codes, which Junction has not`,
    );
  }
  return (ctx) => {
    const first = ctx.via === undefined;
    ctx.via = level;
    if (!first) return;
    ctx.txn.addHook('send-request', (txn) => {
      if (ctx.via === 1) txn.request.headers.append('Via', `1.${txn.request.versionMinor} junction`);
    });
  };
}

/** `per_server.connection.max: N`: this transaction opens a connection only while the backend has fewer (0: no limit). */
function compileMaxConnections(name: string, value: unknown, env: CompileEnv): CompiledDirective {
  if (!CONNECT_TIMEOUT_HOOKS.has(env.hook))
    env.fail(`txn-conf<${name}> takes effect only until post-remap (the backend is asked for right after)`);
  const max = compileConverted(
    env,
    value,
    'txn-conf',
    (feature) => {
      const n = featureInteger(feature);
      return n !== undefined && n >= 0 && n <= 1_000_000 ? n : undefined;
    },
    'the value must be a whole number of connections, from 0 (no limit) to 1000000',
  );
  return (ctx) => {
    ctx.txn.setUpstreamSettings?.({ maxConnections: max(ctx) });
  };
}

/** The server name a policy gives now; undefined: the cluster's own. */
function serverNameOf(policy: SniPolicy, ctx: RuleContext): string | undefined {
  switch (policy.from) {
    case 'literal':
      return policy.name;
    case 'host':
      return ctx.txn.request.host.replace(/^\[(.*)\]$/, '$1') || undefined;
    case 'server-name':
      return ctx.session.sni === '' ? undefined : ctx.session.sni;
    case 'cluster':
      return undefined;
  }
}

/**
 * `ssl.client.sni_policy: host|server_name|remap|@name`: the TLS server name this transaction's upstream
 * connections send (and the name the backend's certificate must match). Taken when the backend is asked
 * for, at the end of post-remap, so `host` is the Host the rules left. Towards a plain-HTTP backend there
 * is no TLS, and so no name to send, as in Traffic Server.
 */
function compileSniPolicy(name: string, value: unknown, env: CompileEnv): CompiledDirective {
  if (!CONNECT_TIMEOUT_HOOKS.has(env.hook))
    env.fail(`txn-conf<${name}> takes effect only until post-remap (the backend is asked for right after)`);
  const policy = compileConverted(
    env,
    value,
    'txn-conf',
    (feature) => (typeof feature === 'string' ? parseSniPolicy(feature) : undefined),
    'the policy must be host, server_name, remap or @name (that name)',
  );
  return (ctx) => {
    const chosen = policy(ctx);
    const first = ctx.sniPolicy === undefined;
    ctx.sniPolicy = chosen;
    const apply = (): void => {
      const serverName = serverNameOf(ctx.sniPolicy!, ctx);
      ctx.txn.setUpstreamSettings?.({ serverName });
    };
    // Settled at post-remap, the last point before the backend is asked for (the Host may change until then).
    if (env.hook === 'post-remap') apply();
    else if (first) ctx.txn.addHook('post-remap', apply);
  };
}

/**
 * `ssl.client.cert.filename: ""` (or `"NULL"`): this transaction's upstream connections present no
 * client certificate, even when the cluster has one. A file name is refused: a certificate per
 * transaction is a cluster's (`tls.cert_file`), chosen with `cluster:`.
 */
function compileClientCert(name: string, value: unknown, env: CompileEnv): CompiledDirective {
  if (!CONNECT_TIMEOUT_HOOKS.has(env.hook))
    env.fail(`txn-conf<${name}> takes effect only until post-remap (the backend is asked for right after)`);
  const constant = env.expression(value ?? null).constant;
  if (constant !== '' && constant !== 'NULL' && constant !== null) {
    env.fail(
      `txn-conf<${name}> takes only "" or "NULL" (present no client certificate); a client certificate of its own is a cluster's tls.cert_file: send the transaction to that cluster (cluster: '…')`,
    );
  }
  return (ctx) => {
    ctx.txn.setUpstreamSettings?.({ clientCertificate: false });
  };
}

/**
 * `cache.http: 0|1`: whether this transaction uses the cache (Traffic Server's switch; TxnBox's own
 * example turns it off). Until post-remap: the lookup follows. On with a route without `cache:`: the
 * defaults; on a server where no route caches there is no cache to use, and it does nothing.
 */
function compileCacheHttp(name: string, value: unknown, env: CompileEnv): CompiledDirective {
  if (!CONNECT_TIMEOUT_HOOKS.has(env.hook))
    env.fail(`txn-conf<${name}> takes effect only until post-remap (the cache is looked in right after)`);
  const on = compileConverted(
    env,
    value,
    'txn-conf',
    (feature) => {
      const n = typeof feature === 'boolean' ? Number(feature) : featureInteger(feature);
      return n === 0 || n === 1 ? n === 1 : undefined;
    },
    'the value must be 0 (no caching) or 1 (caching)',
  );
  return (ctx) => {
    ctx.txn.cache?.setEnabled(on(ctx));
  };
}

const TIMEOUT_HOOKS_OF = {
  connectMs: CONNECT_TIMEOUT_HOOKS,
  backendResponseMs: TIMEOUT_HOOKS,
  backendBodyMs: BODY_TIMEOUT_HOOKS,
};

export const txnConf: DirectiveSpec = {
  name: 'txn-conf',
  arg: 'required',
  hooks: BODY_TIMEOUT_HOOKS,
  compile(arg: string | undefined, value: unknown, env: CompileEnv): CompiledDirective {
    const name = (arg ?? '').trim();
    const entry = TXN_CONF.get(name);
    if (entry === undefined) env.fail(txnConfRefusal(name));
    switch (entry.kind) {
      case 'via':
        return compileVia(name, value, env);
      case 'max-connections':
        return compileMaxConnections(name, value, env);
      case 'sni-policy':
        return compileSniPolicy(name, value, env);
      case 'client-cert':
        return compileClientCert(name, value, env);
      case 'fill-threshold':
        return env.fail(
          `txn-conf<${name}> is refused: the background fill threshold is the cache's (cache.background_fill.threshold), not set per transaction`,
        );
      case 'cache-http':
        return compileCacheHttp(name, value, env);
      case 'fixed': {
        const compiled = env.expression(value ?? null);
        const constant = compiled.constant;
        const number =
          typeof constant === 'string' && /^\s*\d+(\.\d*)?\s*$/.test(constant) ? Number(constant) : constant;
        if (number !== entry.value)
          env.fail(`txn-conf<${name}> can only be ${entry.value} (a constant): ${entry.why}`);
        return () => undefined; // what Junction does anyway
      }
      case 'timeout': {
        const key = entry.key;
        if (!TIMEOUT_HOOKS_OF[key].has(env.hook))
          env.fail(`txn-conf<${name}> takes effect only before the timer it sets starts`);
        const seconds = compileConverted(
          env,
          value,
          'txn-conf',
          (feature) => {
            const n = featureInteger(feature);
            return n !== undefined && n >= 1 && n <= 2_147_483 ? n : undefined;
          },
          'the value must be a whole number of seconds, from 1 to 2147483',
        );
        return (ctx) => {
          ctx.txn.setTimeout(key, seconds(ctx) * 1000);
        };
      }
    }
  },
};
