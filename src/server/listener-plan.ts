/**
 * Which listeners a reload opens, closes and rebinds, by name. Pure and generic over the listener
 * config's shape, so other listener kinds (TLS, TCP) diff the same way: an entry whose validated
 * config is unchanged keeps its socket and its sessions; a changed one is closed and bound again.
 */
import { deepEqual } from './config-diff.ts';

export interface ListenerPlan<C extends { readonly name: string }> {
  /** In the new config only: bind them. */
  readonly open: readonly C[];
  /** In the old config only, by name: stop accepting, let their sessions finish. */
  readonly close: readonly string[];
  /** In both, changed: close the old one, then bind the new config. */
  readonly rebind: readonly C[];
  /** In both, unchanged: untouched. */
  readonly keep: readonly string[];
}

export function planListeners<C extends { readonly name: string }>(
  before: readonly C[],
  after: readonly C[],
): ListenerPlan<C> {
  const old = new Map(before.map((c) => [c.name, c]));
  const names = new Set(after.map((c) => c.name));
  const open: C[] = [];
  const rebind: C[] = [];
  const keep: string[] = [];
  for (const config of after) {
    const was = old.get(config.name);
    if (was === undefined) open.push(config);
    else if (deepEqual(was, config)) keep.push(config.name);
    else rebind.push(config);
  }
  const close = before.filter((c) => !names.has(c.name)).map((c) => c.name);
  return { open, close, rebind, keep };
}
