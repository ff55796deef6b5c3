/**
 * TxnBox's list, text-block, query and regular-expression modifiers: `filter`, `as-text-block`,
 * `rxp-replace`, `query-sort`, `query-filter` and `ip-space` (with `ip-col` inside it). Compiled
 * once like every modifier; their comparisons are the rule language's own (env.comparison).
 */
import {
  IpAddress,
  type CompileEnv,
  type CompiledComparison,
  type Feature,
  type RuleContext,
} from '../types.ts';
import { literalValue } from '../literal.ts';
import { featureToString } from './feature.ts';
import { parseIpAddress, unmapIpv4 } from './ip-address.ts';
import type { CompiledModifier, ModifierSpec } from './modifier-spec.ts';
import { pcreSource } from './pcre.ts';

function isMapping(node: unknown): node is Record<string, unknown> {
  return typeof node === 'object' && node !== null && !Array.isArray(node);
}

/** A list of cases, or one case written alone. */
function caseList(
  node: unknown,
  env: CompileEnv,
  name: string,
): { node: Record<string, unknown>; env: CompileEnv }[] {
  const list = Array.isArray(node) ? node : [node];
  if (list.length === 0) env.fail(`${name} needs at least one case`);
  return list.map((item, i) => {
    const at: CompileEnv = Array.isArray(node) ? env.at(i) : env;
    if (!isMapping(item))
      return at.fail(`a ${name} case is a mapping: a comparison and an action (pass, drop, replace)`);
    return { node: item, env: at };
  });
}

/** Splits a case into its comparison (undefined: always) and the keys it names as actions/options. */
function splitCase(
  item: Record<string, unknown>,
  env: CompileEnv,
  name: string,
  actions: readonly string[],
): { comparison: CompiledComparison | undefined; taken: Record<string, unknown> } {
  const taken: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item)) {
    if (key === 'do')
      env.fail(`a ${name} case takes no do: (it picks an action: ${actions.join(', ')})`, key);
    if (actions.includes(key)) taken[key] = value;
    else rest[key] = value;
  }
  const chosen = Object.keys(taken).filter((key) => ['pass', 'drop', 'replace'].includes(key));
  if (chosen.length > 1) env.fail(`a ${name} case has one action, got ${chosen.join(', ')}`);
  const keys = Object.keys(rest);
  if (keys.length > 1) env.fail(`a ${name} case has one comparison, got ${keys.join(', ')}`);
  return { comparison: keys.length === 0 ? undefined : env.comparison(rest), taken };
}

// ---------------------------------------------------------------------------------------------------
// filter

interface FilterCase {
  readonly comparison: CompiledComparison | undefined;
  readonly action: 'pass' | 'drop' | 'replace';
  readonly replace?: (ctx: RuleContext) => Feature;
}

const filter: ModifierSpec = {
  name: 'filter',
  arg: 'required',
  argName: 'list of cases: a comparison and pass, drop or replace',
  compile(arg: unknown, env: CompileEnv): CompiledModifier {
    const cases: FilterCase[] = caseList(arg, env, 'filter').map(({ node, env: at }) => {
      const { comparison, taken } = splitCase(node, at, 'filter', ['pass', 'drop', 'replace']);
      if ('replace' in taken) {
        const expression = at.at('replace').expression(taken['replace']);
        return { comparison, action: 'replace', replace: expression.evaluate };
      }
      return { comparison, action: 'drop' in taken ? 'drop' : 'pass' };
    });
    const one = (element: Feature, ctx: RuleContext): { keep: boolean; value: Feature } => {
      for (const c of cases) {
        if (c.comparison !== undefined && !c.comparison(element, ctx)) continue;
        if (c.action === 'drop') return { keep: false, value: null };
        if (c.action === 'pass') return { keep: true, value: element };
        const previous = ctx.active;
        ctx.active = element;
        const value = c.replace!(ctx);
        ctx.active = previous;
        return { keep: true, value };
      }
      return { keep: false, value: null }; // no case matched: dropped
    };
    return {
      apply: (feature, ctx) => {
        if (!Array.isArray(feature)) {
          const result = one(feature, ctx);
          return result.keep ? result.value : null;
        }
        const out: Feature[] = [];
        for (const element of feature as readonly Feature[]) {
          const result = one(element, ctx);
          if (result.keep) out.push(result.value);
        }
        return out;
      },
      type: 'any',
      pure: false,
    };
  },
};

// ---------------------------------------------------------------------------------------------------
// as-text-block

const asTextBlock: ModifierSpec = {
  name: 'as-text-block',
  arg: 'optional',
  argName: 'the text when there is no block of that name',
  compile(arg: unknown, env: CompileEnv): CompiledModifier {
    const fallback = env.expression(arg ?? null);
    const resources = env.resources;
    return {
      apply: (feature, ctx) => {
        const name = featureToString(feature);
        const block = name === '' ? undefined : resources.textBlock(name);
        if (block !== undefined) return block();
        const value = fallback.evaluate(ctx);
        return value === null ? '' : value;
      },
      type: 'string',
      pure: false,
    };
  },
};

// ---------------------------------------------------------------------------------------------------
// rxp-replace

const rxpReplace: ModifierSpec = {
  name: 'rxp-replace',
  arg: 'required',
  argName: '[pattern, replacement]',
  option: 'optional',
  compile(arg: unknown, env: CompileEnv, _input, option?: string): CompiledModifier {
    const options = (option ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter((o) => o !== '');
    for (const o of options)
      if (o !== 'nc' && o !== 'g') env.fail(`rxp-replace takes <nc> and <g>, not <${o}>`);
    if (!Array.isArray(arg) || arg.length !== 2) env.fail('rxp-replace takes [pattern, replacement]');
    const patternText = literalValue(arg[0]);
    const patternEnv: CompileEnv = env.at(0);
    if (typeof patternText !== 'string') return patternEnv.fail('the pattern must be a string');
    let pattern: RegExp;
    try {
      pattern = new RegExp(pcreSource(patternText), `${options.includes('nc') ? 'i' : ''}g`);
    } catch (error) {
      return patternEnv.fail(`invalid regular expression '${patternText}': ${(error as Error).message}`);
    }
    const replacement = env.at(1).expression(arg[1]);
    const global = options.includes('g');
    return {
      apply: (feature, ctx) => {
        if (feature === null) return null;
        const text = featureToString(feature);
        const previous = ctx.captures;
        let count = 0;
        const out = text.replace(pattern, (...match: unknown[]) => {
          if (!global && count++ > 0) return String(match[0]);
          const groups = match.slice(0, -2).map((group) => (typeof group === 'string' ? group : ''));
          ctx.captures = groups;
          return featureToString(replacement.evaluate(ctx));
        });
        ctx.captures = previous;
        return out;
      },
      type: 'string',
      pure: false,
    };
  },
};

// ---------------------------------------------------------------------------------------------------
// Query strings: query-sort, query-filter

interface QueryElement {
  readonly name: string;
  /** undefined: written without `=`. */
  readonly value: string | undefined;
}

function splitQuery(text: string): QueryElement[] {
  const query = text.startsWith('?') ? text.slice(1) : text;
  if (query === '') return [];
  return query
    .split(/[&;]/)
    .filter((part) => part !== '')
    .map((part) => {
      const equals = part.indexOf('=');
      return equals === -1
        ? { name: part, value: undefined }
        : { name: part.slice(0, equals), value: part.slice(equals + 1) };
    });
}

function joinQuery(elements: readonly QueryElement[]): string {
  return elements.map((e) => (e.value === undefined ? e.name : `${e.name}=${e.value}`)).join('&');
}

const querySort: ModifierSpec = {
  name: 'query-sort',
  arg: 'none',
  option: 'optional',
  compile(_arg: unknown, env: CompileEnv, _input, option?: string): CompiledModifier {
    const options = (option ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter((o) => o !== '');
    for (const o of options)
      if (o !== 'nc' && o !== 'rev') env.fail(`query-sort takes <nc> and <rev>, not <${o}>`);
    const nc = options.includes('nc');
    const direction = options.includes('rev') ? -1 : 1;
    const key = (e: QueryElement): string => (nc ? e.name.toLowerCase() : e.name);
    return {
      apply: (feature) => {
        if (feature === null) return null;
        const elements = splitQuery(featureToString(feature));
        elements.sort((a, b) => (key(a) < key(b) ? -direction : key(a) > key(b) ? direction : 0));
        return joinQuery(elements);
      },
      type: 'string',
      pure: true,
    };
  },
};

interface QueryCase {
  readonly comparison: CompiledComparison | undefined;
  readonly valueComparison: CompiledComparison | undefined;
  readonly action: 'pass' | 'drop' | 'replace';
  readonly name?: ((ctx: RuleContext) => Feature) | undefined;
  readonly value?: ((ctx: RuleContext) => Feature) | undefined;
  readonly append?: readonly [(ctx: RuleContext) => Feature, (ctx: RuleContext) => Feature] | undefined;
  readonly rest?: 'pass' | 'drop' | undefined;
}

const QUERY_OPTIONS = ['value', 'append', 'append-unique', 'pass-rest', 'drop-rest'];

const queryFilter: ModifierSpec = {
  name: 'query-filter',
  arg: 'required',
  argName: 'list of cases: a comparison on the name, an action and options',
  compile(arg: unknown, env: CompileEnv): CompiledModifier {
    const cases: QueryCase[] = caseList(arg, env, 'query-filter').map(({ node, env: at }) => {
      const { comparison, taken } = splitCase(node, at, 'query-filter', [
        'pass',
        'drop',
        'replace',
        'option',
      ]);
      const optionNode = taken['option'];
      if (optionNode !== undefined && optionNode !== null && !isMapping(optionNode)) {
        return at.fail(`option is a mapping of ${QUERY_OPTIONS.join(', ')}`, 'option');
      }
      const options = optionNode ?? {};
      for (const key of Object.keys(options)) {
        if (!QUERY_OPTIONS.includes(key)) {
          return at.at('option').fail(`unknown option '${key}' (${QUERY_OPTIONS.join(', ')})`, key);
        }
      }
      if ('append-unique' in options) {
        return at
          .at('option')
          .fail('append-unique is not implemented by TxnBox either; use append', 'append-unique');
      }
      const here: CompileEnv = at.at('option');
      const valueComparison =
        options['value'] === undefined ? undefined : here.at('value').comparison(options['value']);
      let append: QueryCase['append'];
      if (options['append'] !== undefined) {
        const pair = options['append'];
        if (!Array.isArray(pair) || pair.length !== 2)
          return here.fail('append takes [name, value]', 'append');
        const appendAt = here.at('append');
        append = [appendAt.at(0).expression(pair[0]).evaluate, appendAt.at(1).expression(pair[1]).evaluate];
      }
      const rest = 'pass-rest' in options ? 'pass' : 'drop-rest' in options ? 'drop' : undefined;
      let name: QueryCase['name'];
      let value: QueryCase['value'];
      if ('replace' in taken) {
        const replace = taken['replace'];
        if (!isMapping(replace)) return at.fail('replace takes { name, value }', 'replace');
        const replaceAt = at.at('replace');
        if (replace['name'] !== undefined) name = replaceAt.at('name').expression(replace['name']).evaluate;
        if (replace['value'] !== undefined)
          value = replaceAt.at('value').expression(replace['value']).evaluate;
      }
      const action = 'replace' in taken ? 'replace' : 'drop' in taken ? 'drop' : 'pass';
      return { comparison, valueComparison, action, name, value, append, rest };
    });
    return {
      apply: (feature, ctx) => {
        if (feature === null) return null;
        const out: QueryElement[] = [];
        const elements = splitQuery(featureToString(feature));
        const previous = ctx.queryElement;
        let rest: 'pass' | 'drop' | undefined;
        for (const element of elements) {
          if (rest !== undefined) {
            if (rest === 'pass') out.push(element);
            continue;
          }
          ctx.queryElement = { name: element.name, value: element.value ?? '' };
          const c = cases.find(
            (candidate) =>
              (candidate.comparison === undefined || candidate.comparison(element.name, ctx)) &&
              (candidate.valueComparison === undefined ||
                candidate.valueComparison(element.value ?? '', ctx)),
          );
          if (c === undefined) continue; // no case: dropped
          if (c.action === 'pass') out.push(element);
          else if (c.action === 'replace') {
            out.push({
              name: c.name === undefined ? element.name : featureToString(c.name(ctx)),
              value: c.value === undefined ? element.value : featureToString(c.value(ctx)),
            });
          }
          if (c.append !== undefined) {
            out.push({ name: featureToString(c.append[0](ctx)), value: featureToString(c.append[1](ctx)) });
          }
          rest = c.rest;
        }
        ctx.queryElement = previous;
        return joinQuery(out);
      },
      type: 'string',
      pure: false,
    };
  },
};

// ---------------------------------------------------------------------------------------------------
// ip-space<name>: an address → the value of an expression over its row (ip-col<…>).

const ipSpace: ModifierSpec = {
  name: 'ip-space',
  arg: 'required',
  argName: 'an expression with ip-col<column>',
  option: 'required',
  compile(arg: unknown, env: CompileEnv, _input, option?: string): CompiledModifier {
    const name = (option ?? '').trim();
    const space = env.resources.ipSpace(name);
    if (space === undefined)
      env.fail(`no IP space named '${name}' (ip-space-define at post-load defines one)`);
    const names: unknown = (space as { columnNames?: unknown }).columnNames;
    const columnNames = Array.isArray(names) ? (names as unknown[]) : [];
    const expression = env.expression(arg);
    return {
      apply: (feature, ctx) => {
        let address: IpAddress | undefined;
        if (feature instanceof IpAddress) address = unmapIpv4(feature);
        else if (typeof feature === 'string') {
          const parsed = parseIpAddress(feature.trim());
          address = parsed === undefined ? undefined : unmapIpv4(parsed);
        }
        const row = address === undefined ? undefined : space.lookup(address);
        if (address === undefined || row === undefined) return null;
        const previous = ctx.ipRow;
        ctx.ipRow = { address, row, columnNames };
        const value = expression.evaluate(ctx);
        ctx.ipRow = previous;
        return value;
      },
      type: 'any',
      pure: false,
    };
  },
};

export const TXNBOX_MODIFIERS: readonly ModifierSpec[] = [
  filter,
  asTextBlock,
  rxpReplace,
  querySort,
  queryFilter,
  ipSpace,
];
