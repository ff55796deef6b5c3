import { HookTableBuilder, type HookTable, type TxnContext, type TxnHookName } from '../hooks/index.ts';
import type { CompiledBlock, CompiledRules } from './compile-rules.ts';
import type { RuleContext } from './types.ts';

/** The rules' hooks have no time limit worth the name: they are synchronous. */
const RULES_TIMEOUT_MS = 5_000;
const OWNER = 'rules';

/** One RuleContext per transaction, made when its first rule runs and kept in its ruleState slot. */
function contextFor(txn: TxnContext): RuleContext {
  const state = txn.ruleState as RuleContext | undefined;
  if (state !== undefined) return state;
  const ctx: RuleContext = { txn, session: txn.session, captures: [], active: null, now: Date.now };
  txn.ruleState = ctx;
  return ctx;
}

function hookOf(blocks: readonly CompiledBlock[]) {
  return (txn: TxnContext): void => {
    const ctx = contextFor(txn);
    for (const block of blocks) block(ctx);
  };
}

/** Compiled rules as hook tables: the global rules' table, and each route's (its remap rules). */
export function ruleHookTables(rules: CompiledRules): {
  readonly global: HookTable | null;
  readonly routes: ReadonlyMap<string, HookTable | null>;
} {
  const global = new HookTableBuilder();
  for (const [hook, blocks] of rules.global) {
    global.add(hook, { hook: hookOf(blocks), owner: OWNER, timeoutMs: RULES_TIMEOUT_MS });
  }
  const routes = new Map<string, HookTable | null>();
  for (const [route, block] of rules.routes) {
    const table = new HookTableBuilder();
    table.add('remap' satisfies TxnHookName, {
      hook: hookOf([block]),
      owner: OWNER,
      timeoutMs: RULES_TIMEOUT_MS,
    });
    routes.set(route, table.build());
  }
  return { global: global.build(), routes };
}
