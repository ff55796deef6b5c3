import { HOOK_INDEX, TXN_HOOKS, type TxnHookName } from './hook-names.ts';
import type { TxnHook } from './context.ts';

/** Async hooks that take longer than this end their transaction with a 500. */
export const DEFAULT_HOOK_TIMEOUT_MS = 5_000;

/** One registered hook: the function, who registered it (for logs), and its time limit. */
export interface HookEntry {
  readonly hook: TxnHook;
  /** The plugin's name, or `transaction` for a hook added by another hook. */
  readonly owner: string;
  readonly timeoutMs: number;
}

/** The hooks of every point, indexed by HOOK_INDEX; undefined where a point has none. */
export type HookTable = readonly (readonly HookEntry[] | undefined)[];

/** Collects registrations, then freezes them into a HookTable. */
export class HookTableBuilder {
  readonly #lists: HookEntry[][] = TXN_HOOKS.map(() => []);

  add(name: TxnHookName, entry: HookEntry): void {
    this.#lists[HOOK_INDEX[name]]!.push(entry);
  }

  get isEmpty(): boolean {
    return this.#lists.every((list) => list.length === 0);
  }

  /** The table, or null when nothing was registered (so transactions skip hooks entirely). */
  build(): HookTable | null {
    if (this.isEmpty) return null;
    return this.#lists.map((list) => (list.length === 0 ? undefined : [...list]));
  }
}

/** `first`'s hooks then `second`'s at each point; null only when both are. */
export function mergeHookTables(first: HookTable | null, second: HookTable | null): HookTable | null {
  if (first === null) return second;
  if (second === null) return first;
  return TXN_HOOKS.map((_, i) => {
    const a = first[i];
    const b = second[i];
    if (a === undefined) return b;
    if (b === undefined) return a;
    return [...a, ...b];
  });
}
