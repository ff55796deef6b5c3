/**
 * Literal positions of the rules (a hook name, a resource's name or file, an `in` range). TxnBox reads
 * an unquoted scalar as an extractor, so config/ hands an unquoted `geo` to the rules as `{geo}`, and
 * `!literal` text with its braces doubled; where the rule language takes literal text, not a feature
 * expression, those spellings stand for the text itself.
 */
const WRAPPED = /^\{([^{}]*)\}$/;

/** The literal a scalar stands for: `{text}` (an unquoted scalar) is `text`, `{{`/`}}` are braces. */
export function literalValue(node: unknown): unknown {
  if (typeof node !== 'string') return node;
  const wrapped = WRAPPED.exec(node);
  if (wrapped !== null) return wrapped[1];
  return node.includes('{{') || node.includes('}}') ? node.replaceAll('{{', '{').replaceAll('}}', '}') : node;
}

/** literalValue() applied to every scalar of a value (mappings and lists are copied). */
export function literalTree(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(literalTree);
  if (typeof node === 'object' && node !== null) {
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, literalTree(value)]));
  }
  return literalValue(node);
}

/** Whether a string is one unquoted word as config/ spells it (`{name}`): an extractor in TxnBox. */
export function isWrappedWord(node: unknown): node is string {
  return typeof node === 'string' && WRAPPED.test(node);
}
