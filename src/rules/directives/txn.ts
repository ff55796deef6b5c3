/**
 * Transaction directives: `var<name>` (a transaction variable), the logging directives `debug`,
 * `note`, `warning` and `error`, which write to the transaction's logger with `rule: true`, and
 * `txn-debug`, which has this transaction's `debug` lines written whatever the log level.
 */
import { asBool } from '../features/modifiers.ts';
import type { CompileEnv, CompiledDirective, DirectiveSpec, RuleContext } from '../types.ts';
import { TXN_ONLY_HOOKS, type RuleHook } from './hooks.ts';
import { compileText, featureToString, tupleElements } from './values.ts';

const VAR_NAME = /^[A-Za-z0-9_.-]+$/;

const variable: DirectiveSpec = {
  name: 'var',
  arg: 'required',
  hooks: TXN_ONLY_HOOKS,
  compile(arg: string | undefined, value: unknown, env: CompileEnv): CompiledDirective {
    if (arg === undefined || !VAR_NAME.test(arg)) {
      env.fail(`var needs a name of letters, digits, '_', '-' and '.': var<name>, got <${arg ?? ''}>`);
    }
    const name = arg;
    const compiled = env.expression(value ?? null);
    if (compiled.constant !== undefined) {
      const constant = compiled.constant;
      return (ctx) => {
        ctx.txn.vars.set(name, constant);
      };
    }
    const evaluate = compiled.evaluate;
    return (ctx) => {
      ctx.txn.vars.set(name, evaluate(ctx));
    };
  },
};

type Level = 'debug' | 'info' | 'warn' | 'error';

const LOG_HOOKS: ReadonlySet<RuleHook> = new Set([...TXN_ONLY_HOOKS, 'post-load']);

/**
 * At post-load there is no transaction: the message (which can read no transaction either) is kept
 * and written to the log of the first transaction the rules run for.
 */
function compileLoadMessage(name: string, level: Level, value: unknown, env: CompileEnv): CompiledDirective {
  const elements = tupleElements(value);
  const [tagNode, messageNode, at] =
    elements?.length === 2 ? [elements[0], elements[1], env.at(1)] : [undefined, value, env];
  const message = at.expression(messageNode);
  const tag = tagNode === undefined ? undefined : env.at(0).expression(tagNode);
  if (message.constant === undefined || (tag !== undefined && tag.constant === undefined)) {
    env.fail(`${name} at post-load takes a constant message (there is no transaction to read)`);
  }
  if (env.resources.loadMessage === undefined) env.fail(`${name} cannot be used at post-load here`);
  env.resources.loadMessage({
    level,
    message: featureToString(message.constant),
    tag: tag === undefined ? undefined : featureToString(tag.constant ?? null),
  });
  return () => undefined;
}

/** The transaction's logger, or its debug-level child once `txn-debug` turned it on (debug lines only). */
function loggerFor(ctx: RuleContext, level: Level): RuleContext['txn']['log'] {
  return level === 'debug' && ctx.debugLog !== undefined ? ctx.debugLog : ctx.txn.log;
}

/**
 * TxnBox's `txn-debug: <bool>`: Traffic Server's debug log for this one transaction. Junction's
 * equivalent: the `debug` directives of this transaction write their lines whatever `log.level` is
 * (Junction's other debug lines stay at the process's level).
 */
const txnDebug: DirectiveSpec = {
  name: 'txn-debug',
  arg: 'none',
  hooks: TXN_ONLY_HOOKS,
  compile(_arg: string | undefined, value: unknown, env: CompileEnv): CompiledDirective {
    const compiled = env.expression(value === undefined || value === null ? true : value);
    const on = (ctx: RuleContext, enable: boolean): void => {
      if (!enable) ctx.debugLog = undefined;
      else if (ctx.debugLog === undefined) {
        const log = ctx.txn.log;
        ctx.debugLog = log.isLevelEnabled('debug') ? log : log.child({}, { level: 'debug' });
      }
    };
    if (compiled.constant !== undefined) {
      const enable = asBool(compiled.constant);
      return (ctx) => {
        on(ctx, enable);
      };
    }
    const evaluate = compiled.evaluate;
    return (ctx) => {
      on(ctx, asBool(evaluate(ctx)));
    };
  },
};

function logSpec(name: string, level: Level): DirectiveSpec {
  return {
    name,
    arg: 'none',
    hooks: LOG_HOOKS,
    compile(_arg: string | undefined, value: unknown, env: CompileEnv): CompiledDirective {
      if (value === null || value === undefined) env.fail(`${name} needs a message`);
      if (env.hook === 'post-load') return compileLoadMessage(name, level, value, env);
      const elements = tupleElements(value);
      if (elements?.length === 2) {
        const tag = compileText(env.at(0), elements[0]);
        const message = compileText(env.at(1), elements[1]);
        return (ctx) => {
          const log = loggerFor(ctx, level);
          if (log.isLevelEnabled(level)) log[level]({ rule: true, tag: tag(ctx) }, message(ctx));
        };
      }
      const message = compileText(env, value);
      // The message is not even built when its level is off.
      return (ctx) => {
        const log = loggerFor(ctx, level);
        if (log.isLevelEnabled(level)) log[level]({ rule: true }, message(ctx));
      };
    },
  };
}

export const TXN_DIRECTIVES: readonly DirectiveSpec[] = [
  variable,
  txnDebug,
  logSpec('debug', 'debug'),
  logSpec('note', 'info'),
  logSpec('warning', 'warn'),
  logSpec('error', 'error'),
];
