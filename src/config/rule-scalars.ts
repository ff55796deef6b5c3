/**
 * TxnBox's reading of YAML scalars in rules, applied to the parsed YAML tree before it becomes plain
 * data. In TxnBox a rule value's quoting matters: an unquoted `ua-req-host` is the extractor (as if
 * written `"{ua-req-host}"`), while `"ua-req-host"` is the text; `!literal "{x}"` is text with no
 * extractors; `!duration "5m"` is a duration; unquoted `true`/`on`/`yes`/`Y`/`enable` (and their
 * opposites) are booleans. Plain data cannot tell quoted from unquoted, so each form is rewritten here
 * into the quoted form that means the same thing (`{ua-req-host}`, `{{x}}`, `{duration<5m>}`, `true`),
 * which is what crosses to the serving thread and what the admin API exports. An unquoted value that
 * cannot be an extractor (`/api/`, `30s`), which TxnBox refuses, stays literal text.
 *
 * Only rule trees are rewritten: the top-level `rules` items (not their `include:` items), each
 * route's `rules`, and a whole included rules file. Mapping keys are never touched.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type Node } from 'yaml';
import { isIP } from 'node:net';

/** An extractor as TxnBox writes one unquoted: `name`, `name<arg>`, with an optional `:format`. */
const EXTRACTOR_LIKE = /^(?:[A-Za-z][\w.-]*(?:<[^<>{}]*>)?(?::(?:.?[<>^])?\d*(?:\.\d+)?s?)?|\.\.\.)$/;

const TRUE_NAMES = new Set(['true', '1', 'on', 'enable', 'y', 'yes']);
const FALSE_NAMES = new Set(['false', '0', 'off', 'disable', 'n', 'no']);

/** Braces doubled: the feature-string spelling of literal text. */
export function escapeBraces(text: string): string {
  return text.replaceAll('{', '{{').replaceAll('}', '}}');
}

/** The quoted equivalent of one scalar as TxnBox reads it, or undefined to leave it as it is. */
export function desugarScalar(value: unknown, tag: string | undefined, plain: boolean): unknown {
  if (typeof value !== 'string') return undefined;
  const lowerTag = tag?.toLowerCase();
  if (lowerTag === '!literal') return escapeBraces(value);
  if (lowerTag === '!duration') return `{duration<${value.replaceAll(/[<>{}]/g, '')}>}`;
  if (!plain) return undefined;
  const lower = value.toLowerCase();
  if (TRUE_NAMES.has(lower)) return true;
  if (FALSE_NAMES.has(lower)) return false;
  // An IP address is a literal in TxnBox; Junction compares and writes it as text alike.
  if (isIP(value) !== 0) return undefined;
  // A word that can name an extractor is one. Anything else (`/api/`, `2s`, `10.0.0.0/8`) cannot be
  // an extractor and TxnBox refuses it: Junction keeps reading it as literal text.
  return EXTRACTOR_LIKE.test(value) ? `{${value}}` : undefined;
}

function rewrite(node: unknown): void {
  if (isScalar(node)) {
    const tag = node.tag;
    const replaced = desugarScalar(node.value, tag, node.type === 'PLAIN' && tag === undefined);
    if (replaced !== undefined) {
      node.value = replaced;
      delete node.tag;
      node.type = 'QUOTE_DOUBLE';
    }
    return;
  }
  if (isAlias(node)) return; // the anchored node is rewritten where it is defined, if in a rule tree
  if (isMap(node)) {
    for (const pair of node.items) rewrite(pair.value);
  } else if (isSeq(node)) {
    for (const item of node.items) rewrite(item);
  }
}

function pairValue(node: unknown, key: string): Node | undefined {
  if (!isMap(node)) return undefined;
  const pair = node.items.findLast((item) => isScalar(item.key) && item.key.value === key);
  return pair?.value as Node | undefined;
}

function isInclude(node: unknown): boolean {
  return isMap(node) && pairValue(node, 'include') !== undefined;
}

/** Rewrites the rule trees of a config document: top-level `rules` and each route's `rules`. */
export function desugarConfigRules(doc: Document.Parsed): void {
  const rules = pairValue(doc.contents, 'rules');
  if (isSeq(rules)) {
    for (const item of rules.items) if (!isInclude(item)) rewrite(item);
  }
  const routes = pairValue(doc.contents, 'routes');
  if (isSeq(routes)) {
    for (const route of routes.items) {
      const routeRules = pairValue(route, 'rules');
      if (routeRules !== undefined && !isInclude(routeRules)) rewrite(routeRules);
    }
  }
}

/** Rewrites a whole included rules file. */
export function desugarRulesFile(doc: Document.Parsed): void {
  rewrite(doc.contents);
}
