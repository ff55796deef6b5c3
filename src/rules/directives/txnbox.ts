/**
 * TxnBox directives with a Junction equivalent that no other family covers: `txn-error` (fail the
 * transaction with a 500) and `upstream-rsp-body` (replace the upstream's response body).
 */
import { Transform } from 'node:stream';
import { asBool } from '../features/modifiers.ts';
import type { CompileEnv, CompiledDirective, DirectiveSpec } from '../types.ts';
import { span, UPSTREAM_RSP_HOOKS } from './hooks.ts';
import { compileText } from './values.ts';

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

const upstreamRspBody: DirectiveSpec = {
  name: 'upstream-rsp-body',
  arg: 'none',
  hooks: UPSTREAM_RSP_HOOKS,
  compile(_arg: string | undefined, value: unknown, env: CompileEnv): CompiledDirective {
    const text = compileText(env, value);
    return (ctx) => {
      const body = text(ctx);
      ctx.txn.transformResponse(() => ({ name: 'upstream-rsp-body', stream: () => replacement(body) }));
    };
  },
};

export const TXNBOX_DIRECTIVES: readonly DirectiveSpec[] = [txnError, upstreamRspBody];
