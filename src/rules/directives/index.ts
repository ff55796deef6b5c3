/**
 * rules/directives: every directive of the rule language, by name, with the hooks it is valid in,
 * and the load-time resources (IP spaces, text blocks, counters) the post-load ones define.
 * Owns: compiling a directive's value into a closure that calls the TxnContext API. Does not: parse
 * rule files, handle `when`/`with`/`select`/`do` (the compiler), or compile expressions (features/).
 */
import type { DirectiveSpec } from '../types.ts';
import { FIELD_DIRECTIVES } from './fields.ts';
import { LOAD_TIME_DIRECTIVES } from './load-time.ts';
import { REPLY_DIRECTIVES } from './reply.ts';
import { ROUTING_DIRECTIVES } from './routing.ts';
import { STAT_DIRECTIVES } from './stats.ts';
import { STATUS_DIRECTIVES } from './status.ts';
import { TXN_DIRECTIVES } from './txn.ts';
import { URL_DIRECTIVES } from './url.ts';
import { TXNBOX_DIRECTIVES } from './txnbox.ts';
import { CACHE_DIRECTIVES } from './cache.ts';

const ALL: readonly DirectiveSpec[] = [
  ...FIELD_DIRECTIVES,
  ...URL_DIRECTIVES,
  ...STATUS_DIRECTIVES,
  ...REPLY_DIRECTIVES,
  ...ROUTING_DIRECTIVES,
  ...TXN_DIRECTIVES,
  ...STAT_DIRECTIVES,
  ...LOAD_TIME_DIRECTIVES,
  ...TXNBOX_DIRECTIVES,
  ...CACHE_DIRECTIVES,
];

/** Every directive by name (`ua-req-field`, not `ua-req-field<X>`). */
export const DIRECTIVES: ReadonlyMap<string, DirectiveSpec> = new Map(ALL.map((spec) => [spec.name, spec]));

export {
  createRuleResources,
  RuleResourceStore,
  type ReloadSource,
  type RuleResourcesOptions,
} from './resources.ts';
export { DEFAULT_RELOAD_INTERVAL_MS } from './load-time.ts';
export { FRAMING_FIELDS } from './fields.ts';
export { IpSpaceError, IpTable, LiveIpSpace, parseIpSpace, parseRange, type ColumnSpec } from './ip-space.ts';
export { DirectiveRunError } from './values.ts';
