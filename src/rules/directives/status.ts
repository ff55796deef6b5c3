/**
 * Status directives: `proxy-rsp-status`, `upstream-rsp-status` (an integer, or `[status, reason]`)
 * and `proxy-rsp-reason` (TxnBox's `upstream-reason` at upstream-rsp), plus the status values `proxy-reply`, `redirect` and `deny` share.
 */
import type { CompileEnv, CompiledDirective, DirectiveSpec, Feature, RuleContext } from '../types.ts';
import { PROXY_RSP_HOOKS, UPSTREAM_RSP_HOOKS, type RuleHook } from './hooks.ts';
import {
  compileConverted,
  compileHeadText,
  DirectiveRunError,
  featureInteger,
  featureToString,
  tupleElements,
  UNSAFE_TEXT,
  type Eval,
} from './values.ts';

export interface StatusValue {
  readonly status: number;
  readonly reason: string | undefined;
}

export interface StatusRule {
  readonly valid: (status: number) => boolean;
  /** "an integer from 200 to 599" */
  readonly expected: string;
}

/** A status a response head can be changed to (a bodiless 204 or 304 needs proxy-reply instead). */
export const SET_STATUS: StatusRule = {
  valid: (s) => s >= 200 && s <= 599 && s !== 204 && s !== 304,
  expected: 'an integer from 200 to 599 other than 204 and 304 (answer with proxy-reply for those)',
};
/** A status Junction can answer with. */
export const REPLY_STATUS: StatusRule = {
  valid: (s) => s >= 200 && s <= 599,
  expected: 'an integer from 200 to 599',
};
export const REDIRECT_STATUS: StatusRule = {
  valid: (s) => s === 301 || s === 302 || s === 303 || s === 307 || s === 308,
  expected: 'one of 301, 302, 303, 307 and 308',
};
export const DENY_STATUS: StatusRule = {
  valid: (s) => s >= 400 && s <= 599,
  expected: 'an integer from 400 to 599',
};

function statusOf(feature: Feature, rule: StatusRule): number | undefined {
  const status = featureInteger(feature);
  return status !== undefined && rule.valid(status) ? status : undefined;
}

const NOT_STATUS = (type: string): boolean => type !== 'boolean' && type !== 'null' && type !== 'ip';

/** A status alone. */
export function compileStatusOnly(
  env: CompileEnv,
  node: unknown,
  directive: string,
  rule: StatusRule,
): Eval<number> {
  return compileConverted(
    env,
    node,
    directive,
    (feature) => statusOf(feature, rule),
    `the status must be ${rule.expected}`,
    (type) => NOT_STATUS(type) && type !== 'tuple',
  );
}

/**
 * A status, or `[status, reason]`: a list node is compiled element by element; a single expression
 * may also yield such a tuple at run time.
 */
export function compileStatus(
  env: CompileEnv,
  node: unknown,
  directive: string,
  rule: StatusRule,
): Eval<StatusValue> {
  const elements = tupleElements(node);
  if (elements !== undefined) {
    if (elements.length < 1 || elements.length > 2) env.fail('write a status, or [status, reason]');
    const status = compileStatusOnly(env.at(0), elements[0], directive, rule);
    if (elements.length === 1) return (ctx) => ({ status: status(ctx), reason: undefined });
    const reason = compileHeadText(env.at(1), elements[1], directive, 'the reason');
    return (ctx) => ({ status: status(ctx), reason: reason(ctx) });
  }
  return compileConverted<StatusValue>(
    env,
    node,
    directive,
    (feature) => {
      if (!Array.isArray(feature)) {
        const status = statusOf(feature, rule);
        return status === undefined ? undefined : { status, reason: undefined };
      }
      const tuple = feature as readonly Feature[];
      if (tuple.length < 1 || tuple.length > 2) return undefined;
      const status = statusOf(tuple[0]!, rule);
      const reason = tuple.length === 2 ? featureToString(tuple[1]!) : undefined;
      if (status === undefined || (reason !== undefined && UNSAFE_TEXT.test(reason))) return undefined;
      return { status, reason };
    },
    `the status must be ${rule.expected}, or [status, reason]`,
    NOT_STATUS,
  );
}

function setStatusSpec(name: string, hooks: ReadonlySet<RuleHook>): DirectiveSpec {
  return {
    name,
    arg: 'none',
    hooks,
    compile(_arg: string | undefined, value: unknown, env: CompileEnv): CompiledDirective {
      const status = compileStatus(env, value, name, SET_STATUS);
      return (ctx) => {
        const { status: code, reason } = status(ctx);
        responseOf(ctx, name).setStatus(code, reason);
      };
    },
  };
}

function responseOf(ctx: RuleContext, directive: string): NonNullable<RuleContext['txn']['response']> {
  const response = ctx.txn.response;
  if (response === undefined) throw new DirectiveRunError(directive, 'there is no response at this hook');
  return response;
}

/** `proxy-rsp-reason`, and TxnBox's `upstream-reason` (the upstream's response, at upstream-rsp). */
const reasonSpec = (name: string, hooks: ReadonlySet<RuleHook>): DirectiveSpec => ({
  name,
  arg: 'none',
  hooks,
  compile(_arg: string | undefined, value: unknown, env: CompileEnv): CompiledDirective {
    const reason = compileHeadText(env, value, name, 'the reason');
    return (ctx) => {
      const response = responseOf(ctx, name);
      const status = response.status;
      // A 204 or 304 head cannot be re-set (it would keep a body); its reason stays the standard one.
      if (status === 204 || status === 304) {
        ctx.txn.log.debug({ rule: true }, `${name}: the reason of a ${status} is not changed`);
        return;
      }
      response.setStatus(status, reason(ctx));
    };
  },
});

export const STATUS_DIRECTIVES: readonly DirectiveSpec[] = [
  setStatusSpec('proxy-rsp-status', PROXY_RSP_HOOKS),
  setStatusSpec('upstream-rsp-status', UPSTREAM_RSP_HOOKS),
  reasonSpec('proxy-rsp-reason', PROXY_RSP_HOOKS),
  reasonSpec('upstream-reason', UPSTREAM_RSP_HOOKS),
];
