/**
 * Which listeners a reload opens, closes, updates and rebinds, by name. Pure and generic over the
 * listener config's shape: an entry whose validated config is unchanged keeps its socket and its
 * sessions; one whose `tls` section alone changed (renewed certificates, say) is updated in place,
 * socket and sessions kept; any other change closes it and binds it again.
 */
import { deepEqual } from './config-diff.ts';

export interface ListenerPlan<C extends { readonly name: string; readonly tls?: unknown }> {
  /** In the new config only: bind them. */
  readonly open: readonly C[];
  /** In the old config only, by name: stop accepting, let their sessions finish. */
  readonly close: readonly string[];
  /** In both, HTTPS before and after, changed only in `tls`: new certificates and settings in place. */
  readonly update: readonly C[];
  /** In both, changed otherwise: close the old one, then bind the new config. */
  readonly rebind: readonly C[];
  /** In both, unchanged: untouched. */
  readonly keep: readonly string[];
}

export function planListeners<C extends { readonly name: string; readonly tls?: unknown }>(
  before: readonly C[],
  after: readonly C[],
): ListenerPlan<C> {
  const old = new Map(before.map((c) => [c.name, c]));
  const names = new Set(after.map((c) => c.name));
  const open: C[] = [];
  const update: C[] = [];
  const rebind: C[] = [];
  const keep: string[] = [];
  for (const config of after) {
    const was = old.get(config.name);
    if (was === undefined) open.push(config);
    else if (deepEqual(was, config)) keep.push(config.name);
    else if (onlyTlsChanged(was, config)) update.push(config);
    else rebind.push(config);
  }
  const close = before.filter((c) => !names.has(c.name)).map((c) => c.name);
  return { open, close, update, rebind, keep };
}

function onlyTlsChanged<C extends { readonly tls?: unknown }>(was: C, now: C): boolean {
  return (
    was.tls !== undefined &&
    now.tls !== undefined &&
    deepEqual({ ...was, tls: undefined }, { ...now, tls: undefined })
  );
}
