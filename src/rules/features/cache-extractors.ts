/**
 * The cache's extractors (Junction's: TxnBox has none): the key, what the lookup found, the outcome,
 * and the stored response head the lookup found. Null on a server where no route caches, and where
 * the fact is not known yet. They register into the shared registry (extractor-kit.ts) on load.
 */
import type { CompileEnv } from '../types.ts';
import { define, from, simple } from './extractor-kit.ts';

/** `{cache-key}`: the key of the lookup (`scheme://host[:port]/path?query`, or what was set). */
simple('cache-key', from('read-request'), 'string', (ctx) => ctx.txn.cache?.key ?? null);

/** `{cache-lookup-status}`: miss, hit-fresh, hit-stale or skipped (Traffic Server's lookup status). */
simple(
  'cache-lookup-status',
  from('cache-lookup-complete'),
  'string',
  (ctx) => ctx.txn.cache?.lookupStatus ?? null,
);

/**
 * `{cache-status}`: hit, miss, stale, revalidated or bypass, as the access log's `cache`: a hit from
 * the lookup on, the others once the backend's answer is read (null before, and on a route that does
 * not cache).
 */
simple('cache-status', from('cache-lookup-complete'), 'string', (ctx) => ctx.txn.cache?.outcome ?? null);

/** The stored response the lookup found: from cache-rsp (read-cache-header) on; null on a miss. */
const STORED_HEAD_HOOKS = from('read-cache-header');
simple(
  'cache-rsp-status',
  STORED_HEAD_HOOKS,
  'integer',
  (ctx) => ctx.txn.cache?.cachedResponse?.status ?? null,
);
define('cache-rsp-field', {
  hooks: STORED_HEAD_HOOKS,
  type: 'any',
  arg: 'required',
  argName: 'field name',
  compile(arg: string | undefined, env: CompileEnv) {
    const name = (arg ?? '').trim();
    if (name === '') env.fail('cache-rsp-field needs a field name: cache-rsp-field<Name>');
    return (ctx) => {
      const values = ctx.txn.cache?.cachedResponse?.headers.getAll(name);
      if (values === undefined || values.length === 0) return null;
      return values.length === 1 ? values[0]! : values;
    };
  },
});
