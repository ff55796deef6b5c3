/**
 * Routing and timeouts: `route`, `cluster`, `strategy`, `upstream` (a backend id) and
 * `timeout<connect>` / `timeout<backend-response>`.
 */
import type { TxnContext, TxnTimeouts } from '../../hooks/index.ts';
import type { CompileEnv, CompiledDirective, DirectiveSpec } from '../types.ts';
import {
  CONNECT_TIMEOUT_HOOKS,
  DISPATCH_HOOKS,
  ROUTE_HOOKS,
  TIMEOUT_HOOKS,
  BODY_TIMEOUT_HOOKS,
  type RuleHook,
} from './hooks.ts';
import { DURATION_HINT } from '../features/index.ts';
import { compileConverted, compileName, featureDurationMs } from './values.ts';

function chooseSpec(
  name: string,
  what: string,
  hooks: ReadonlySet<RuleHook>,
  choose: (txn: TxnContext, value: string) => void,
): DirectiveSpec {
  return {
    name,
    arg: 'none',
    hooks,
    compile(_arg: string | undefined, value: unknown, env: CompileEnv): CompiledDirective {
      const chosen = compileName(env, value, name, what);
      return (ctx) => {
        choose(ctx.txn, chosen(ctx));
      };
    },
  };
}

/** `timeout<…>` argument → the TxnContext timeout and the last hook it takes effect at. */
const TIMEOUTS: Readonly<Record<string, { key: keyof TxnTimeouts; hooks: ReadonlySet<RuleHook> }>> = {
  connect: { key: 'connectMs', hooks: CONNECT_TIMEOUT_HOOKS },
  'backend-response': { key: 'backendResponseMs', hooks: TIMEOUT_HOOKS },
  'backend-body': { key: 'backendBodyMs', hooks: BODY_TIMEOUT_HOOKS },
};

/** The last hook at which each timeout still takes effect, for error messages. */
const LAST_HOOK: Readonly<Record<keyof TxnTimeouts, string>> = {
  connectMs: 'post-remap (the backend is asked for right after)',
  backendResponseMs: 'send-request (the request head goes out right after)',
  backendBodyMs: 'read-response (body reads start right after)',
};

const MAX_TIMER_MS = 2 ** 31 - 1;

const timeout: DirectiveSpec = {
  name: 'timeout',
  arg: 'required',
  hooks: BODY_TIMEOUT_HOOKS,
  compile(arg: string | undefined, value: unknown, env: CompileEnv): CompiledDirective {
    const entry = arg === undefined ? undefined : TIMEOUTS[arg];
    if (entry === undefined) {
      env.fail(
        `timeout takes <connect>, <backend-response> or <backend-body>, got ${arg === undefined ? 'none' : `<${arg}>`}`,
      );
    }
    if (!entry.hooks.has(env.hook)) {
      env.fail(`timeout<${arg!}> takes effect only until ${LAST_HOOK[entry.key]}`);
    }
    const ms = compileConverted(
      env,
      value,
      'timeout',
      (feature) => {
        const n = featureDurationMs(feature);
        return n !== undefined && n >= 1 && n <= MAX_TIMER_MS ? n : undefined;
      },
      `the timeout must be ${DURATION_HINT}, from 1 ms to ${MAX_TIMER_MS} ms`,
      (type) => type === 'duration' || type === 'integer' || type === 'string' || type === 'any',
    );
    const key = entry.key;
    return (ctx) => {
      ctx.txn.setTimeout(key, ms(ctx));
    };
  },
};

export const ROUTING_DIRECTIVES: readonly DirectiveSpec[] = [
  chooseSpec('route', 'the route', ROUTE_HOOKS, (txn, v) => {
    txn.setRoute(v);
  }),
  chooseSpec('cluster', 'the cluster', DISPATCH_HOOKS, (txn, v) => {
    txn.setCluster(v);
  }),
  chooseSpec('strategy', 'the strategy', DISPATCH_HOOKS, (txn, v) => {
    txn.setStrategy(v);
  }),
  chooseSpec('upstream', 'the backend id', DISPATCH_HOOKS, (txn, v) => {
    txn.setUpstream(v);
  }),
  timeout,
];
