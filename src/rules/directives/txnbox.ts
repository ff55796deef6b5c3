/**
 * TxnBox directives with a Junction equivalent that no other family covers: `txn-error` (fail the
 * transaction with a 500), `upstream-rsp-body` (replace the upstream's response body) and
 * `txn-conf<…>` for the Traffic Server settings Junction has per transaction (its timeouts).
 */
import { Transform } from 'node:stream';
import { requestUrl } from '../features/extractor-kit.ts';
import { setRequestScheme } from './url.ts';
import { asBool } from '../features/modifiers.ts';
import { TXN_CONF_FIXED, TXN_CONF_TIMEOUTS, TXN_CONF_VIA } from '../refused.ts';
import type { CompileEnv, CompiledDirective, DirectiveSpec } from '../types.ts';
import {
  BODY_TIMEOUT_HOOKS,
  CONNECT_TIMEOUT_HOOKS,
  DISPATCH_HOOKS,
  PROXY_RSP_HOOKS,
  span,
  TIMEOUT_HOOKS,
  UPSTREAM_RSP_HOOKS,
  type RuleHook,
} from './hooks.ts';
import { compileConverted, compileText, featureInteger } from './values.ts';

/** TxnBox: a true value makes the plugin API report an error, and Traffic Server answers 500. */
const txnError: DirectiveSpec = {
  name: 'txn-error',
  arg: 'none',
  hooks: span('read-request', 'read-response'),
  compile(_arg: string | undefined, value: unknown, env: CompileEnv): CompiledDirective {
    const compiled = env.expression(value === undefined || value === null ? true : value);
    if (compiled.constant !== undefined) {
      if (!asBool(compiled.constant)) return () => undefined;
      return (ctx) => {
        ctx.txn.respond({ status: 500 });
      };
    }
    const evaluate = compiled.evaluate;
    return (ctx) => {
      if (asBool(evaluate(ctx))) ctx.txn.respond({ status: 500 });
    };
  },
};

/** A transform that drops the body it is given and writes `text` instead. */
function replacement(text: string): Transform {
  return new Transform({
    transform(_chunk, _encoding, callback) {
      callback();
    },
    flush(callback) {
      this.push(Buffer.from(text));
      callback();
    },
  });
}

/** `upstream-rsp-body` and `proxy-rsp-body`: the response body replaced by the text. */
function bodySpec(name: string, hooks: DirectiveSpec['hooks']): DirectiveSpec {
  return {
    name,
    arg: 'none',
    hooks,
    compile(_arg: string | undefined, value: unknown, env: CompileEnv): CompiledDirective {
      const text = compileText(env, value);
      return (ctx) => {
        const body = text(ctx);
        ctx.txn.transformResponse(() => ({ name, stream: () => replacement(body) }));
      };
    },
  };
}

const upstreamRspBody = bodySpec('upstream-rsp-body', UPSTREAM_RSP_HOOKS);
const proxyRspBody = bodySpec('proxy-rsp-body', PROXY_RSP_HOOKS);

/**
 * `txn-conf<proxy.config.http.insert_request_via_str>: 0|1`: with 1 the request sent upstream gets a
 * Via field (RFC 9110: the client's protocol version and `junction`), added at proxy-req after the
 * rules there. Traffic Server's 2 and 3 add its cache-lookup codes, which Junction has not: refused.
 */
function compileVia(value: unknown, env: CompileEnv): CompiledDirective {
  if (!VIA_HOOKS.has(env.hook)) env.fail(`txn-conf<${TXN_CONF_VIA}> takes effect only until post-remap`);
  const compiled = env.expression(value ?? null);
  const level = compiled.constant === undefined ? undefined : featureInteger(compiled.constant);
  if (level !== 0 && level !== 1) {
    env.fail(
      `txn-conf<${TXN_CONF_VIA}> takes the constant 0 (no Via) or 1 (a Via field upstream); Traffic Server's 2 and 3 add its cache codes, which Junction has not`,
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

const VIA_HOOKS = CONNECT_TIMEOUT_HOOKS;

const TXN_CONF_HOOKS = {
  connectMs: CONNECT_TIMEOUT_HOOKS,
  backendResponseMs: TIMEOUT_HOOKS,
  backendBodyMs: BODY_TIMEOUT_HOOKS,
};

/**
 * `txn-conf<setting>: seconds`: the Traffic Server timeouts Junction has per transaction are its
 * timeouts (connect, backend response, backend body); any other setting is refused with what to use.
 */
const txnConf: DirectiveSpec = {
  name: 'txn-conf',
  arg: 'required',
  hooks: BODY_TIMEOUT_HOOKS,
  compile(arg: string | undefined, value: unknown, env: CompileEnv): CompiledDirective {
    if (arg === TXN_CONF_VIA) return compileVia(value, env);
    const fixed = arg === undefined ? undefined : TXN_CONF_FIXED.get(arg);
    if (fixed !== undefined) {
      const compiled = env.expression(value ?? null);
      if (compiled.constant === undefined || featureInteger(compiled.constant) !== fixed.value)
        env.fail(`txn-conf<${arg!}> can only be ${fixed.value} (a constant): ${fixed.why}`);
      return () => undefined; // what Junction does anyway
    }
    const key = arg === undefined ? undefined : TXN_CONF_TIMEOUTS.get(arg);
    if (key === undefined) {
      env.fail(
        `txn-conf<${arg ?? ''}> is a Traffic Server setting Junction does not have per transaction; the ones it maps are ${[...TXN_CONF_TIMEOUTS.keys()].join(', ')} (to timeout<…>)`,
      );
    }
    if (!TXN_CONF_HOOKS[key].has(env.hook))
      env.fail(`txn-conf<${arg!}> takes effect only before the timer it sets starts`);
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
  },
};

/**
 * `ua-req-scheme: http|https`: the request URL's scheme, as the rules read it afterwards
 * ({ua-req-scheme}, {ua-req-url}, the location `remap-redirect` sends). In Traffic Server it is also the
 * scheme towards the upstream; in Junction that is the cluster's, so a transaction whose upstream
 * speaks the other scheme is answered 502 (and the mismatch logged) rather than sent otherwise.
 */
const uaReqScheme: DirectiveSpec = {
  name: 'ua-req-scheme',
  arg: 'none',
  hooks: DISPATCH_HOOKS,
  compile(_arg: string | undefined, value: unknown, env: CompileEnv): CompiledDirective {
    const scheme = compileConverted(
      env,
      value,
      'ua-req-scheme',
      (feature) => {
        const text = typeof feature === 'string' ? feature.trim().toLowerCase() : undefined;
        return text === 'http' || text === 'https' ? text : undefined;
      },
      'the scheme must be http or https',
    );
    const upstreamScheme = env.upstreamScheme;
    return (ctx) => {
      setRequestScheme(ctx, scheme(ctx), upstreamScheme);
    };
  },
};

/** `remap-redirect`: a 302 to the URL as the route's rules left it (TxnBox: to the remapped URL). */
const remapRedirect: DirectiveSpec = {
  name: 'remap-redirect',
  arg: 'none',
  hooks: new Set<RuleHook>(['remap']),
  compile(): CompiledDirective {
    return (ctx) => {
      ctx.txn.redirect(requestUrl(ctx), 302);
    };
  },
};

export const TXNBOX_DIRECTIVES: readonly DirectiveSpec[] = [
  txnError,
  upstreamRspBody,
  proxyRspBody,
  txnConf,
  uaReqScheme,
  remapRedirect,
];
