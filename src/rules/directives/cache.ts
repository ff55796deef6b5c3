/**
 * The cache's directives: `cache-key` (TxnBox's, undocumented there: the key the lookup uses) and
 * `cache-lookup-status` (Junction's: what a `cache-lookup` rule makes of a hit, as a plugin's
 * setLookupStatus()). Caching on or off is `txn-conf<proxy.config.http.cache.http>` (txn-conf.ts).
 * On a server where no route caches, `txn.cache` is absent and they do nothing.
 */
import type { CompileEnv, CompiledDirective, DirectiveSpec } from '../types.ts';
import { CACHE_KEY_HOOKS, CACHE_LOOKUP_HOOKS } from './hooks.ts';
import { compileConverted, DirectiveRunError, featureToString } from './values.ts';

const MAX_KEY_LENGTH = 8192;

/** `cache-key: <text>`: the key of this transaction's lookup and store (until post-remap, as in TxnBox). */
const cacheKey: DirectiveSpec = {
  name: 'cache-key',
  arg: 'none',
  hooks: CACHE_KEY_HOOKS,
  compile(_arg: string | undefined, value: unknown, env: CompileEnv): CompiledDirective {
    const key = compileConverted(
      env,
      value,
      'cache-key',
      (feature) => {
        if (feature === null || Array.isArray(feature)) return undefined;
        const text = featureToString(feature);
        return text !== '' && text.length <= MAX_KEY_LENGTH && !/[\r\n\0]/.test(text) ? text : undefined;
      },
      `the key must be text of 1 to ${MAX_KEY_LENGTH} characters without line breaks`,
    );
    return (ctx) => {
      ctx.txn.cache?.setKey(key(ctx));
    };
  },
};

/** `cache-lookup-status: hit-stale | miss`: a fresh hit revalidated or fetched again; a stale one fetched again. */
const cacheLookupStatus: DirectiveSpec = {
  name: 'cache-lookup-status',
  arg: 'none',
  hooks: CACHE_LOOKUP_HOOKS,
  compile(_arg: string | undefined, value: unknown, env: CompileEnv): CompiledDirective {
    const status = compileConverted(
      env,
      value,
      'cache-lookup-status',
      (feature) => (feature === 'hit-stale' || feature === 'miss' ? feature : undefined),
      'the status must be hit-stale (revalidate) or miss (fetch again)',
    );
    return (ctx) => {
      const cache = ctx.txn.cache;
      const to = status(ctx);
      const from = cache?.lookupStatus;
      // A miss or a skipped lookup has nothing stored to revalidate; a stale hit is not made fresher.
      if (cache === undefined || from === undefined || from === 'miss' || from === 'skipped') return;
      if (from === 'hit-stale' && to === 'hit-stale') return;
      try {
        cache.setLookupStatus(to);
      } catch (error) {
        throw new DirectiveRunError('cache-lookup-status', (error as Error).message);
      }
    };
  },
};

export const CACHE_DIRECTIVES: readonly DirectiveSpec[] = [cacheKey, cacheLookupStatus];
