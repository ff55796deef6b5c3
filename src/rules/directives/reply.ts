/**
 * Answering the client without (or instead of) the upstream: `proxy-reply`, `redirect` and `deny`.
 * They call `txn.respond()` / `txn.redirect()`; a reason phrase is applied by a send-response hook
 * added for this transaction (a local answer passes through send-response like any other).
 */
import type { LocalResponse } from '../../hooks/index.ts';
import type { CompileEnv, CompiledDirective, DirectiveSpec, RuleContext } from '../types.ts';
import { REPLY_HOOKS } from './hooks.ts';
import {
  compileStatus,
  compileStatusOnly,
  DENY_STATUS,
  REDIRECT_STATUS,
  REPLY_STATUS,
  type StatusRule,
  type StatusValue,
} from './status.ts';
import {
  checkKeys,
  compileConverted,
  compileHeadText,
  compileText,
  featureToString,
  isMapping,
  tupleElements,
  UNSAFE_TEXT,
  type Eval,
} from './values.ts';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Fields of a local answer that Junction sets itself. */
const JUNCTION_FIELDS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive']);

interface ReplyParts {
  readonly status: Eval<StatusValue>;
  readonly body: Eval<string> | undefined;
  readonly headers: readonly (readonly [string, Eval<string>])[];
}

/** Answers with `status` (and `reason` on the way out), `headers` and `body`. */
export function reply(
  ctx: RuleContext,
  status: number,
  reason: string | undefined,
  headers: Readonly<Record<string, string>> | undefined,
  body: string | undefined,
): void {
  const txn = ctx.txn;
  const response: LocalResponse =
    body === undefined
      ? headers === undefined
        ? { status }
        : { status, headers }
      : headers === undefined
        ? { status, body }
        : { status, headers, body };
  txn.respond(response);
  if (reason === undefined || txn.hook === 'send-response' || status === 204 || status === 304) return;
  txn.addHook('send-response', (later) => {
    // Unless a later rule or hook changed the status meanwhile.
    if (later.response?.status === status) later.response.setStatus(status, reason);
  });
}

function compileHeaders(env: CompileEnv, node: unknown, directive: string): ReplyParts['headers'] {
  if (node === undefined || node === null) return [];
  if (!isMapping(node)) env.fail('headers must be a mapping of field names to values', 'headers');
  const at = env.at('headers');
  return Object.entries(node).map(([name, value]) => {
    if (!TOKEN.test(name)) at.fail(`'${name}' is not a valid header field name`, name);
    if (JUNCTION_FIELDS.has(name.toLowerCase())) at.fail(`${name} is set by Junction, not by a rule`, name);
    return [name, compileHeadText(at.at(name), value, directive, `the value of ${name}`)] as const;
  });
}

function compileReplyMapping(
  env: CompileEnv,
  value: Readonly<Record<string, unknown>>,
  directive: string,
  rule: StatusRule,
  defaultStatus: number | undefined,
): ReplyParts {
  checkKeys(env, value, ['status', 'reason', 'body', 'headers'], directive);
  let status: Eval<number>;
  if (value['status'] === undefined || value['status'] === null) {
    if (defaultStatus === undefined) env.fail(`${directive} needs a status`);
    const fixed = defaultStatus;
    status = () => fixed;
  } else {
    status = compileStatusOnly(env.at('status'), value['status'], directive, rule);
  }
  const reasonNode = value['reason'];
  const reason =
    reasonNode === undefined || reasonNode === null
      ? undefined
      : compileHeadText(env.at('reason'), reasonNode, directive, 'the reason');
  const bodyNode = value['body'];
  return {
    status:
      reason === undefined
        ? (ctx) => ({ status: status(ctx), reason: undefined })
        : (ctx) => ({ status: status(ctx), reason: reason(ctx) }),
    body: bodyNode === undefined || bodyNode === null ? undefined : compileText(env.at('body'), bodyNode),
    headers: compileHeaders(env, value['headers'], directive),
  };
}

function replyClosure(parts: ReplyParts): CompiledDirective {
  const { status, body, headers } = parts;
  return (ctx) => {
    const { status: code, reason } = status(ctx);
    let fields: Record<string, string> | undefined;
    if (headers.length > 0) {
      fields = {};
      for (const [name, value] of headers) fields[name] = value(ctx);
    }
    reply(ctx, code, reason, fields, body?.(ctx));
  };
}

const proxyReply: DirectiveSpec = {
  name: 'proxy-reply',
  arg: 'none',
  hooks: REPLY_HOOKS,
  compile(_arg: string | undefined, value: unknown, env: CompileEnv): CompiledDirective {
    if (isMapping(value))
      return replyClosure(compileReplyMapping(env, value, 'proxy-reply', REPLY_STATUS, undefined));
    if (value === null || value === undefined)
      env.fail('proxy-reply needs a status, [status, reason] or { status, reason, body, headers }');
    return replyClosure({
      status: compileStatus(env, value, 'proxy-reply', REPLY_STATUS),
      body: undefined,
      headers: [],
    });
  },
};

const redirect: DirectiveSpec = {
  name: 'redirect',
  arg: 'none',
  hooks: REPLY_HOOKS,
  compile(_arg: string | undefined, value: unknown, env: CompileEnv): CompiledDirective {
    let status: Eval<number> = () => 301; // TxnBox's default: Moved Permanently
    let location: Eval<string>;
    let reason: Eval<string> | undefined;
    let body: ((ctx: RuleContext, location: string) => string) | undefined;
    const elements = tupleElements(value);
    if (isMapping(value)) {
      checkKeys(env, value, ['location', 'to', 'status', 'reason', 'body'], 'redirect');
      const key = value['location'] !== undefined ? 'location' : 'to';
      if (value['location'] !== undefined && value['to'] !== undefined)
        env.fail("write 'location' or 'to', not both", 'to');
      if (value[key] === undefined || value[key] === null) env.fail('redirect needs a location');
      location = compileLocation(env.at(key), value[key]);
      if (value['status'] !== undefined && value['status'] !== null) {
        status = compileStatusOnly(env.at('status'), value['status'], 'redirect', REDIRECT_STATUS);
      }
      if (value['reason'] !== undefined && value['reason'] !== null) {
        reason = compileHeadText(env.at('reason'), value['reason'], 'redirect', 'the reason');
      }
      if (value['body'] !== undefined && value['body'] !== null)
        body = compileRedirectBody(env.at('body'), value['body']);
    } else if (elements !== undefined) {
      if (elements.length !== 2) env.fail('write a location, [status, location] or { location, status }');
      status = compileStatusOnly(env.at(0), elements[0], 'redirect', REDIRECT_STATUS);
      location = compileLocation(env.at(1), elements[1]);
    } else {
      if (value === null || value === undefined) env.fail('redirect needs a location');
      location = compileLocation(env, value);
    }
    if (reason === undefined && body === undefined) {
      return (ctx) => {
        ctx.txn.redirect(location(ctx), status(ctx));
      };
    }
    return (ctx) => {
      const code = status(ctx);
      const where = location(ctx);
      reply(ctx, code, reason?.(ctx), { location: where }, body?.(ctx, where));
    };
  },
};

/** TxnBox's `{this::location}` in a redirect's body: the location the redirect sends. */
const THIS_LOCATION = '{this::location}';

/** A redirect body: text, where `{this::location}` is the redirect's location. */
function compileRedirectBody(env: CompileEnv, node: unknown): (ctx: RuleContext, location: string) => string {
  if (typeof node !== 'string' || !node.includes(THIS_LOCATION)) {
    const text = compileText(env, node);
    return (ctx) => text(ctx);
  }
  const pieces = node.split(THIS_LOCATION).map((piece) => compileText(env, piece));
  return (ctx, location) => pieces.map((piece) => piece(ctx)).join(location);
}

function compileLocation(env: CompileEnv, node: unknown): Eval<string> {
  return compileConverted(
    env,
    node,
    'redirect',
    (feature) => {
      const text = featureToString(feature).trim();
      return text === '' || UNSAFE_TEXT.test(text) ? undefined : text;
    },
    'the location must be a non-empty URL without line breaks',
    (type) => type !== 'boolean' && type !== 'null',
  );
}

const deny: DirectiveSpec = {
  name: 'deny',
  arg: 'none',
  hooks: REPLY_HOOKS,
  compile(_arg: string | undefined, value: unknown, env: CompileEnv): CompiledDirective {
    if (value === null || value === undefined || value === true) {
      return (ctx) => {
        ctx.txn.respond({ status: 403 });
      };
    }
    if (value === false) env.fail('deny: false does nothing; put deny under a condition instead');
    if (isMapping(value)) return replyClosure(compileReplyMapping(env, value, 'deny', DENY_STATUS, 403));
    return replyClosure({
      status: compileStatus(env, value, 'deny', DENY_STATUS),
      body: undefined,
      headers: [],
    });
  },
};

export const REPLY_DIRECTIVES: readonly DirectiveSpec[] = [proxyReply, redirect, deny];
