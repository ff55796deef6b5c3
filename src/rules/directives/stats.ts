/**
 * Counters: `stat-define` (post-load) creates one, `stat-update<name>` adds to it. A counter defined
 * again by the rule set that replaces this one keeps its value (see createRuleResources).
 */
import type { CompileEnv, CompiledDirective, DirectiveSpec } from '../types.ts';
import { LOAD_HOOKS, TXN_ONLY_HOOKS } from './hooks.ts';
import { literalTree } from '../literal.ts';
import { checkKeys, describe, featureInteger, isMapping, literalString } from './values.ts';

const STAT_NAME = /^[A-Za-z0-9_.-]+$/;

const statDefine: DirectiveSpec = {
  name: 'stat-define',
  arg: 'none',
  hooks: LOAD_HOOKS,
  compile(_arg: string | undefined, written: unknown, env: CompileEnv): CompiledDirective {
    const value = literalTree(written); // a counter's definition is literal, quoted or not
    let name: string;
    let reported: string | undefined;
    let initial = 0;
    if (typeof value === 'string') {
      name = value;
    } else {
      if (!isMapping(value)) env.fail('stat-define takes { name, value, prefix, persistent } or a name');
      checkKeys(env, value, ['name', 'value', 'prefix', 'persistent'], 'stat-define');
      name = literalString(env, value['name'], 'name', 'the name');
      const prefix = value['prefix'];
      if (prefix !== undefined && prefix !== null) {
        // TxnBox's prefix is part of the counter's external name (Traffic Server's statistic
        // `prefix.name`); rules still name it by name. Junction reports it (metrics, admin API) so.
        const text = literalString(env, prefix, 'prefix', 'the prefix');
        if (!STAT_NAME.test(text) || text.startsWith('.') || text.endsWith('.'))
          env.fail(`a stat prefix is letters, digits, '_', '-' and '.', got '${text}'`, 'prefix');
        reported = `${text}.${name}`;
      }
      if (value['persistent'] === true) {
        env.fail(
          'Junction does not persist counters across restarts (they survive reloads); remove persistent or set it false',
          'persistent',
        );
      }
      if (
        value['persistent'] !== undefined &&
        value['persistent'] !== null &&
        value['persistent'] !== false
      ) {
        env.fail('persistent must be true or false', 'persistent');
      }
      const initialNode = value['value'];
      if (initialNode !== undefined && initialNode !== null) {
        if (typeof initialNode !== 'number' || !Number.isSafeInteger(initialNode)) {
          env.fail(`the initial value must be an integer, got ${describe(initialNode)}`, 'value');
        }
        initial = initialNode;
      }
    }
    if (!STAT_NAME.test(name)) env.fail(`a stat name is letters, digits, '_', '-' and '.', got '${name}'`);
    if (env.resources.stat(name) !== undefined) env.fail(`the stat '${name}' is already defined`);
    env.resources.defineStat(name, initial, reported);
    return () => undefined;
  },
};

const statUpdate: DirectiveSpec = {
  name: 'stat-update',
  arg: 'required',
  hooks: TXN_ONLY_HOOKS,
  compile(arg: string | undefined, value: unknown, env: CompileEnv): CompiledDirective {
    const stat = arg ?? '';
    if (arg === undefined || arg === '') env.fail('stat-update needs the stat name: stat-update<name>');
    const counter = env.resources.stat(arg);
    if (counter === undefined) {
      env.fail(`there is no stat named '${arg}'; define it at post-load with stat-define: { name: ${arg} }`);
    }
    if (value === undefined || value === null) {
      return () => {
        counter.value += 1;
      };
    }
    const compiled = env.expression(value);
    if (compiled.constant !== undefined) {
      const by = featureInteger(compiled.constant);
      if (by === undefined) env.fail(`the increment must be an integer, got ${describe(compiled.constant)}`);
      return () => {
        counter.value += by;
      };
    }
    if (compiled.type !== 'integer' && compiled.type !== 'string' && compiled.type !== 'any') {
      env.fail(`the increment must be an integer, but the value is always a ${compiled.type}`);
    }
    const evaluate = compiled.evaluate;
    return (ctx) => {
      const feature = evaluate(ctx);
      const by = featureInteger(feature);
      // A counter is not worth failing the transaction for.
      if (by === undefined) {
        ctx.txn.log.warn({ rule: true }, `stat-update<${stat}>: ${describe(feature)} is not an integer`);
        return;
      }
      counter.value += by;
    };
  },
};

export const STAT_DIRECTIVES: readonly DirectiveSpec[] = [statDefine, statUpdate];
