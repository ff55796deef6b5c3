/**
 * The hooks a transaction of this config would run, point by point, as explain walks them: each
 * compiled rule as its own step (made by the rules' own ruleHookTables over a one-rule set, so a rule
 * runs exactly as in a transaction, one per step so its changes can be told apart), and plugins'
 * hooks by point and owner, never run.
 */
import type { JunctionConfig, RouteConfig } from '../config/index.ts';
import { TXN_HOOKS, TXNBOX_HOOK_NAMES, type TxnHook, type TxnHookName } from '../hooks/index.ts';
import { silentLogger } from '../log/index.ts';
import type { PluginConfig } from '../plugins/index.ts';
import { ruleHookTables, type CompiledBlock, type CompiledRules } from '../rules/index.ts';

/** One rule, runnable at its point. */
export interface RuleStep {
  /** `rule 2 at pre-remap` (1-based among the top-level rules of that point) or `route 'shop' rules`. */
  readonly label: string;
  readonly run: TxnHook;
}

/** The hook of one compiled rule set holding `blocks` at `hook` (global) or as a route's rules. */
function stepOf(
  rules: CompiledRules,
  hook: TxnHookName,
  blocks: CompiledBlock[],
  route: string | undefined,
): TxnHook {
  const one: CompiledRules = {
    global: route === undefined ? new Map([[hook, blocks]]) : new Map(),
    routes: route === undefined ? new Map() : new Map([[route, blocks[0]!]]),
    resources: rules.resources,
    directiveCount: 0,
    preRemap: rules.preRemap,
    dispose: () => undefined,
  };
  const tables = ruleHookTables(one);
  const table = route === undefined ? tables.global : (tables.routes.get(route) ?? null);
  const entry = table?.[TXN_HOOKS.indexOf(hook)]?.[0];
  if (entry === undefined) throw new Error(`no rule hook at ${hook}`);
  return entry.hook;
}

/** The top-level rules at `hook`, one step each, in file order. */
export function globalRuleSteps(config: JunctionConfig, hook: TxnHookName): RuleStep[] {
  const rules = config.rules;
  const blocks = rules?.global.get(hook) ?? [];
  return blocks.map((block, i) => ({
    label: `rule ${i + 1} at ${TXNBOX_HOOK_NAMES[hook]}`,
    run: stepOf(rules!, hook, [block], undefined),
  }));
}

/** The route's own rules (they run at remap, after the top-level remap rules). */
export function routeRuleSteps(config: JunctionConfig, route: string): RuleStep[] {
  const rules = config.rules;
  const block = rules?.routes.get(route);
  if (rules === undefined || block === undefined) return [];
  return [{ label: `route '${route}' rules`, run: stepOf(rules, 'remap', [block], route) }];
}

/** Hook points with top-level rules, for listing the ones explain does not reach (the response's). */
export function ruleHookPoints(config: JunctionConfig): TxnHookName[] {
  return TXN_HOOKS.filter((hook) => (config.rules?.global.get(hook)?.length ?? 0) > 0);
}

/** Plugins' hooks by point: `{ 'read-request': ['auth'], … }`, global plugins then the route's. */
export type PluginHooks = Partial<Record<TxnHookName, string[]>>;

/**
 * Learns which points each plugin hooks by calling its setup() with an API that only records (hooks
 * are kept, never called; post-load, session and upstream listeners are ignored) and then running the
 * dispose hooks it registered. Only the plugin's own setup code runs.
 */
export async function pluginHooks(
  config: JunctionConfig,
  route: RouteConfig | undefined,
): Promise<PluginHooks> {
  const found: PluginHooks = {};
  const record = async (plugin: PluginConfig, routeName: string | undefined) => {
    const dispose: (() => void | Promise<void>)[] = [];
    const noop = () => undefined;
    try {
      await plugin.definition.setup({
        name: plugin.name,
        config: plugin.config,
        log: silentLogger(),
        route: routeName,
        hook(name) {
          (found[name] ??= []).push(plugin.name);
        },
        onPostLoad: noop,
        onSession: noop,
        onUpstream: noop,
        onDispose(hook) {
          dispose.push(hook);
        },
        onReplace: noop,
      });
    } catch {
      (found['txn-start'] ??= []).push(`${plugin.name} (setup failed)`);
    }
    for (const hook of dispose) {
      try {
        await hook();
      } catch {
        // Its own cleanup: nothing explain can do about it.
      }
    }
  };
  for (const plugin of config.plugins) await record(plugin, undefined);
  for (const plugin of route?.plugins ?? []) await record(plugin, route!.name);
  return found;
}
