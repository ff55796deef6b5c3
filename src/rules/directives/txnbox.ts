/**
 * TxnBox directives with a Junction equivalent that no other family covers: `txn-error` (fail the
 * transaction with a 500), `upstream-rsp-body` (replace the upstream's response body) and
 * `txn-conf<…>` (txn-conf.ts: the Traffic Server settings Junction has per transaction).
 */
import { Transform } from 'node:stream';
import { requestUrl } from '../features/extractor-kit.ts';
import { setRequestScheme } from './url.ts';
import { asBool } from '../features/modifiers.ts';
import { txnConf } from './txn-conf.ts';
import type { CompileEnv, CompiledDirective, DirectiveSpec } from '../types.ts';
import { DISPATCH_HOOKS, PROXY_RSP_HOOKS, span, UPSTREAM_RSP_HOOKS, type RuleHook } from './hooks.ts';
import { compileConverted, compileText } from './values.ts';

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
