import {
  HOOK_INDEX,
  HookTableBuilder,
  type HookTable,
  type TxnContext,
  type TxnHookName,
} from '../hooks/index.ts';
import type { CompiledBlock, CompiledRules } from './compile-rules.ts';
import { snapshotRequest } from './features/extractors.ts';
import { RuleResourceStore } from './directives/resources.ts';
import type { LoadMessage, RuleContext } from './types.ts';

/** The rules' hooks have no time limit worth the name: they are synchronous. */
const RULES_TIMEOUT_MS = 5_000;
const OWNER = 'rules';
const REMAP_INDEX = HOOK_INDEX.remap;

/** Writes what logging directives said at post-load to a transaction's log, once. */
function writeLoadMessages(txn: TxnContext, messages: readonly LoadMessage[]): void {
  for (const { level, message, tag } of messages) {
    if (txn.log.isLevelEnabled(level))
      txn.log[level]({ rule: true, ...(tag === undefined ? {} : { tag }) }, message);
  }
}

/** One RuleContext per transaction, made when its first rule runs and kept in its ruleState slot. */
function contextFor(txn: TxnContext): RuleContext {
  const state = txn.ruleState as RuleContext | undefined;
  if (state !== undefined) return state;
  const ctx: RuleContext = {
    txn,
    session: txn.session,
    captures: [],
    active: null,
    terminal: false,
    now: Date.now,
  };
  txn.ruleState = ctx;
  return ctx;
}

function run(ctx: RuleContext, blocks: readonly CompiledBlock[]): void {
  for (const block of blocks) {
    ctx.terminal = false; // each rule starts afresh (TxnBox's no-return rule ends one rule)
    block(ctx);
  }
}

function hookOf(blocks: readonly CompiledBlock[], preRemap: boolean, resources: unknown) {
  if (resources instanceof RuleResourceStore && resources.hasLoadMessages) {
    // Post-load logging directives: written by whichever transaction runs a rule first.
    const inner = hookOf(blocks, preRemap, undefined);
    return (txn: TxnContext): void | PromiseLike<void> => {
      if (resources.hasLoadMessages) writeLoadMessages(txn, resources.takeLoadMessages());
      return inner(txn);
    };
  }
  if (!preRemap)
    return (txn: TxnContext): void => {
      run(contextFor(txn), blocks);
    };
  // The pre-remap URL: as the rules before remap left it, and as it is when the route's rules start.
  return (txn: TxnContext): void => {
    const ctx = contextFor(txn);
    const index = HOOK_INDEX[txn.hook];
    if (index === REMAP_INDEX) ctx.preRemap = snapshotRequest(ctx);
    run(ctx, blocks);
    if (index < REMAP_INDEX) ctx.preRemap = snapshotRequest(ctx);
  };
}

/** Compiled rules as hook tables: the global rules' table, and each route's (its remap rules). */
export function ruleHookTables(rules: CompiledRules): {
  readonly global: HookTable | null;
  readonly routes: ReadonlyMap<string, HookTable | null>;
} {
  const global = new HookTableBuilder();
  for (const [hook, blocks] of rules.global) {
    global.add(hook, {
      hook: hookOf(blocks, rules.preRemap, rules.resources),
      owner: OWNER,
      timeoutMs: RULES_TIMEOUT_MS,
    });
  }
  const routes = new Map<string, HookTable | null>();
  for (const [route, block] of rules.routes) {
    const table = new HookTableBuilder();
    table.add('remap' satisfies TxnHookName, {
      hook: hookOf([block], rules.preRemap, rules.resources),
      owner: OWNER,
      timeoutMs: RULES_TIMEOUT_MS,
    });
    routes.set(route, table.build());
  }
  return { global: global.build(), routes };
}
