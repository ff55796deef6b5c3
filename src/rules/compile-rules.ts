/**
 * Rules (YAML, already converted to plain values) → compiled rule blocks per hook. The structure is
 * TxnBox's: `when: <hook>` with `do: [directives]`; a directive item is `name<arg>: value`, or a
 * selection `with: <feature>` + `select: [cases]` where a case is one comparison plus `do:` (and
 * `continue: true` to fall through), a case without a comparison being the default; or a nested
 * `when:` that schedules its directives for a later hook of the same transaction. Route rules run in
 * remap mode: an implied `when: remap`.
 */
import { HOOK_INDEX, TXN_HOOKS, TXNBOX_HOOK_NAMES, type TxnHookName } from '../hooks/index.ts';
import { didYouMean } from '../util/edit-distance.ts';
import {
  RuleError,
  type CompileEnv,
  type CompiledComparison,
  type CompiledDirective,
  type CompiledFeature,
  type DirectiveSpec,
  type Feature,
  type RuleContext,
  type RulePath,
  type RuleResources,
  type UpstreamScheme,
  type ConfigFacts,
} from './types.ts';
import { literalValue } from './literal.ts';
import { refusal, REFUSED_DIRECTIVES } from './refused.ts';

/** A hook name as rules write it: Junction's (`read-request`) or TxnBox's (`ua-req`), or `post-load`. */
export type RuleHook = TxnHookName | 'post-load';

const HOOK_BY_NAME = new Map<string, RuleHook>([['post-load', 'post-load']]);
for (const hook of TXN_HOOKS) {
  HOOK_BY_NAME.set(hook, hook);
  HOOK_BY_NAME.set(TXNBOX_HOOK_NAMES[hook], hook);
}

/** What the compiler needs from the feature, comparison and directive modules. */
export interface RuleLanguage {
  readonly directives: ReadonlyMap<string, DirectiveSpec>;
  compileExpression(node: unknown, env: CompileEnv): CompiledFeature;
  compileComparison(node: unknown, env: CompileEnv): CompiledComparison;
}

/** Compiled rules of one hook: run them in order. */
export type CompiledBlock = (ctx: RuleContext) => void;

/** A resource file that was re-read (or failed to be). */
export interface ResourceSource {
  readonly kind: 'ip-space' | 'text-block';
  readonly name: string;
  readonly path: string;
  /** A text block's `notify` message, logged with the re-read. */
  readonly notify?: string;
}

/** Where load-time resources live, with hooks the server uses to log file reloads. */
export interface RuleResourceHost extends RuleResources {
  dispose(): void;
  /** A resource file failed to re-read; its old contents stay in force. */
  onReloadError: ((error: Error, source: ResourceSource) => void) | undefined;
  /** A resource file was re-read and its new contents are in force. */
  onReload: ((source: ResourceSource) => void) | undefined;
}

export interface CompiledRules {
  /** Global rules, per hook, in file order. */
  readonly global: ReadonlyMap<TxnHookName, readonly CompiledBlock[]>;
  /** Each route's rules (remap mode), by route name. */
  readonly routes: ReadonlyMap<string, CompiledBlock>;
  readonly resources: RuleResourceHost;
  /** How many directives were compiled (for logs and benchmarks). */
  readonly directiveCount: number;
  /** Whether the rules read the pre-remap URL, which the runtime then keeps for each transaction. */
  readonly preRemap: boolean;
  /** Stops file watchers of load-time resources. */
  dispose(): void;
}

/** A list of top-level rules from one place: the config's `rules`, or a file it includes. */
export interface RuleSegment {
  readonly node: unknown;
  /** Where the list sits in its file. */
  readonly path: RulePath;
  /** The file it came from when included; undefined: the config itself. */
  readonly origin?: string | undefined;
}

export interface RuleSources {
  /** The top-level rules, segment by segment in file order. */
  readonly global: readonly RuleSegment[];
  /** Each route's `rules`, by route name. */
  readonly routes: readonly {
    readonly route: string;
    readonly node: unknown;
    readonly path: RulePath;
    /** The file the rules came from when included; undefined: the config itself. */
    readonly origin?: string | undefined;
  }[];
}

export interface CompileOptions {
  readonly language: RuleLanguage;
  readonly resources: RuleResourceHost;
  readonly baseDir: string;
  /** The scheme towards each cluster's backends (`proxy-req-scheme`, `ua-req-scheme`). */
  readonly upstreamScheme?: UpstreamScheme | undefined;
  /** Routes and clusters as written (`remap-target-*`, `txn-conf` of the connection limit). */
  readonly configFacts?: ConfigFacts | undefined;
}

/** A hook name as rules write it: Junction's or TxnBox's (txn-open is txn-start, before the request is read). */
function ruleHook(name: unknown, env: Env): RuleHook {
  if (typeof name !== 'string') env.fail(`when: must be a hook name, got ${JSON.stringify(name)}`, 'when');
  const hook = HOOK_BY_NAME.get(name);
  if (hook === undefined) {
    env.fail(`unknown hook '${name}'${didYouMean(name, [...HOOK_BY_NAME.keys()])}`, 'when');
  }
  return hook;
}

/** The name rules users know a hook by: TxnBox's where it has one. */
function hookName(hook: RuleHook): string {
  return hook === 'post-load' ? hook : TXNBOX_HOOK_NAMES[hook];
}

/** A directive key: `name` or `name<arg>`. */
const DIRECTIVE_KEY = /^([a-z][a-z0-9-]*)(?:<([^<>]*)>)?$/;

/** The compile environment: where we are, the hook, and the other compilers. */
class Env implements CompileEnv {
  readonly hook: RuleHook;
  readonly path: RulePath;
  readonly #shared: Shared;

  constructor(shared: Shared, hook: RuleHook, path: RulePath) {
    this.#shared = shared;
    this.hook = hook;
    this.path = path;
  }

  get resources(): RuleResources {
    return this.#shared.resources;
  }
  get upstreamScheme(): UpstreamScheme | undefined {
    return this.#shared.upstreamScheme;
  }
  get baseDir(): string {
    return this.#shared.baseDir;
  }
  get configFacts(): ConfigFacts | undefined {
    return this.#shared.configFacts;
  }

  at(key: string | number): Env {
    return new Env(this.#shared, this.hook, [...this.path, key]);
  }

  withHook(hook: RuleHook): Env {
    return new Env(this.#shared, hook, this.path);
  }

  expression(node: unknown): CompiledFeature {
    return this.#shared.language.compileExpression(node, this);
  }

  comparison(node: unknown): CompiledComparison {
    return this.#shared.language.compileComparison(node, this);
  }

  onDispose(dispose: () => void): void {
    this.#shared.disposers.push(dispose);
  }

  require(fact: 'pre-remap'): void {
    this.#shared.facts.add(fact);
  }

  fail(message: string, key?: string | number): never {
    throw new RuleError(message, key === undefined ? this.path : [...this.path, key]);
  }

  /** Fails pointing at the key itself (an unknown or misplaced name), not its value. */
  failAtKey(message: string, key: string): never {
    const error = new RuleError(message, [...this.path, key]);
    error.atKey = true;
    throw error;
  }

  get directives(): ReadonlyMap<string, DirectiveSpec> {
    return this.#shared.language.directives;
  }

  countDirective(): void {
    this.#shared.directiveCount++;
  }
}

interface Shared {
  readonly language: RuleLanguage;
  readonly resources: RuleResourceHost;
  readonly baseDir: string;
  readonly upstreamScheme: UpstreamScheme | undefined;
  readonly configFacts: ConfigFacts | undefined;
  readonly disposers: (() => void)[];
  directiveCount: number;
  /** Facts the runtime keeps only when rules read them (CompileEnv.require). */
  readonly facts: Set<'pre-remap'>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asList(node: unknown, env: Env, what: string): readonly unknown[] {
  if (node === undefined || node === null) return [];
  if (!Array.isArray(node)) env.fail(`${what} must be a list`);
  return node;
}

/**
 * Runs compiled directives in order; an empty list compiles to a no-op. A `with` whose case matched
 * ends the list (TxnBox's no-return rule, `ctx.terminal`), and so every list up to the rule.
 */
function sequence(items: readonly CompiledDirective[]): CompiledDirective {
  if (items.length === 0) return () => undefined;
  if (items.length === 1) return items[0]!;
  return (ctx) => {
    for (const item of items) {
      item(ctx);
      if (ctx.terminal) return;
    }
  };
}

/** A `do:` list (or remap-mode list) at `env.hook`; a single mapping is a list of one, as in TxnBox. */
function compileDirectives(node: unknown, env: Env): CompiledDirective {
  if (isRecord(node)) return compileItem(node, env);
  return sequence(asList(node, env, 'do').map((item, index) => compileItem(item, env.at(index))));
}

function compileItem(item: unknown, env: Env): CompiledDirective {
  if (!isRecord(item)) env.fail('a directive must be a mapping such as `ua-req-field<x>: value`');
  if ('when' in item) return compileNestedWhen(item, env);
  if ('with' in item || 'select' in item) return compileSelection(item, env);
  const keys = Object.keys(item);
  if (keys.length !== 1) {
    env.fail(`a directive is one key, got ${keys.length === 0 ? 'none' : keys.join(', ')}`);
  }
  return compileDirective(keys[0]!, item[keys[0]!], env);
}

function compileDirective(key: string, value: unknown, env: Env): CompiledDirective {
  const match = DIRECTIVE_KEY.exec(key);
  const name = match?.[1] ?? key;
  const spec = env.directives.get(name);
  if (match === null || spec === undefined) {
    const refused = refusal(REFUSED_DIRECTIVES, name);
    if (refused !== undefined) env.failAtKey(refused, key);
    env.failAtKey(`unknown directive '${name}'${didYouMean(name, [...env.directives.keys()])}`, key);
  }
  const arg = match[2];
  if (spec.arg === 'required' && (arg === undefined || arg === '')) {
    env.failAtKey(`${name} needs an argument, as in ${name}<…>`, key);
  }
  if (spec.arg === 'none' && arg !== undefined) env.failAtKey(`${name} takes no <argument>`, key);
  if (spec.hooks !== undefined && !spec.hooks.has(env.hook)) {
    env.failAtKey(
      `${name} cannot be used in ${hookName(env.hook)}; it is valid in ${[...spec.hooks].map(hookName).join(', ')}`,
      key,
    );
  }
  env.countDirective();
  return spec.compile(arg, value, env.at(key));
}

/** A `when:` inside a `do:` list: its directives run at that later hook of the same transaction. */
function compileNestedWhen(item: Record<string, unknown>, env: Env): CompiledDirective {
  const hook = ruleHook(literalValue(item['when']), env);
  const extra = Object.keys(item).filter((key) => key !== 'when' && key !== 'do');
  if (extra.length > 0) env.fail(`unknown key '${extra[0]}' in a when block`, extra[0]);
  if (hook === 'post-load' || env.hook === 'post-load' || HOOK_INDEX[hook] <= HOOK_INDEX[env.hook]) {
    env.fail(
      `a nested when must name a later hook than ${hookName(env.hook)}, got ${String(literalValue(item['when']))}`,
      'when',
    );
  }
  const body = compileDirectives(item['do'], env.withHook(hook).at('do'));
  return (ctx) => {
    ctx.txn.addHook(hook, () => {
      ctx.terminal = false; // a scheduled block is a rule of its own
      body(ctx);
      ctx.terminal = false;
    });
  };
}

const WITH_KEYS = new Set(['with', 'select', 'do', 'for-each', 'continue']);

/**
 * `with: <feature>` + `select: [cases]`: the first case whose comparison matches runs, and then
 * (TxnBox's no-return rule) the directives after the `with` do not, unless the `with` has
 * `continue` (its presence, whatever its value, as in TxnBox). `do:` runs before the cases, with
 * `{...}` the feature; `for-each:` runs once per element of a tuple feature instead.
 */
function compileSelection(item: Record<string, unknown>, env: Env): CompiledDirective {
  for (const key of Object.keys(item)) {
    if (!WITH_KEYS.has(key)) {
      env.fail(`unknown key '${key}' beside with (it takes select, do, for-each, continue)`, key);
    }
  }
  if (!('with' in item)) env.fail('select needs a with: feature to compare', 'select');
  if ('do' in item && 'for-each' in item) env.fail('a with takes do or for-each, not both', 'for-each');
  if (item['continue'] === false) {
    env.fail(
      "continue takes no value: its presence makes the directives after the with run (TxnBox); write 'continue:' or remove it",
      'continue',
    );
  }
  const continueOn = 'continue' in item;
  const feature = env.at('with').expression(item['with']);
  const selectNode = item['select'];
  const caseNodes: { node: unknown; env: Env }[] = isRecord(selectNode)
    ? [{ node: selectNode, env: env.at('select') }]
    : asList(selectNode, env.at('select'), 'select').map((node, index) => ({
        node,
        env: env.at('select').at(index),
      }));
  const cases = caseNodes.map(({ node, env: at }) => compileCase(node, at));
  const forEach = 'for-each' in item;
  const preKey = forEach ? 'for-each' : 'do';
  const pre = preKey in item ? compileDirectives(item[preKey], env.at(preKey)) : undefined;
  return (ctx) => {
    let value = feature.evaluate(ctx);
    const previous = ctx.active;
    ctx.active = value;
    if (pre !== undefined) {
      if (forEach) {
        const elements: readonly Feature[] = Array.isArray(value) ? (value as readonly Feature[]) : [value];
        for (const element of elements) {
          if (element === null) continue;
          ctx.active = element;
          ctx.terminal = false;
          pre(ctx);
        }
        // The directives may have changed what the feature reads: the cases see it as it is now.
        if (cases.length > 0) value = feature.evaluate(ctx);
        ctx.active = value;
      } else {
        ctx.terminal = false;
        pre(ctx);
      }
    }
    ctx.terminal = false;
    for (const c of cases) {
      if (c.comparison === undefined || c.comparison(value, ctx)) {
        c.body(ctx);
        ctx.terminal = !continueOn;
        break;
      }
    }
    ctx.active = previous;
  };
}

interface CompiledCase {
  readonly comparison: CompiledComparison | undefined;
  readonly body: CompiledDirective;
}

function compileCase(node: unknown, env: Env): CompiledCase {
  if (!isRecord(node)) env.fail('a select case must be a mapping with a comparison and do:');
  const { do: body, ...rest } = node;
  if ('continue' in rest) {
    env.fail(
      'continue belongs on the with, not on a case (TxnBox): there it makes the directives after the with run; to try further cases, write another with',
      'continue',
    );
  }
  const keys = Object.keys(rest);
  if (keys.length > 1) env.fail(`a case has one comparison, got ${keys.join(', ')}`, keys[1]);
  return {
    comparison: keys.length === 0 ? undefined : env.comparison(rest),
    body: body === undefined ? () => undefined : compileDirectives(body, env.at('do')),
  };
}

/** Runs `compile`, marking a RuleError it throws with the file the rules came from. */
function withOrigin(origin: string | undefined, compile: () => void): void {
  try {
    compile();
  } catch (error) {
    if (error instanceof RuleError && origin !== undefined) error.origin ??= origin;
    throw error;
  }
}

/** A top-level block: `when: <hook>` + `do:`. */
function compileWhenBlock(item: unknown, env: Env): { hook: RuleHook; block: CompiledDirective } {
  if (!isRecord(item) || !('when' in item)) {
    env.fail('a rule must be a mapping with when: <hook> and do: [directives]');
  }
  for (const key of Object.keys(item)) {
    if (key !== 'when' && key !== 'do') env.fail(`unknown key '${key}' in a rule (expected when, do)`, key);
  }
  const hook = ruleHook(literalValue(item['when']), env);
  return { hook, block: compileDirectives(item['do'], env.withHook(hook).at('do')) };
}

/**
 * Compiles every rule. Load-time (`post-load`) rules compile first, in file order, so the resources
 * they define exist when the others compile. Throws RuleError on the first problem.
 */
export function compileRules(sources: RuleSources, options: CompileOptions): CompiledRules {
  const shared: Shared = {
    language: options.language,
    resources: options.resources,
    baseDir: options.baseDir,
    upstreamScheme: options.upstreamScheme,
    configFacts: options.configFacts,
    disposers: [],
    directiveCount: 0,
    facts: new Set(),
  };
  const dispose = (): void => {
    for (const disposer of shared.disposers.splice(0)) disposer();
    options.resources.dispose();
  };
  try {
    const global = new Map<TxnHookName, CompiledBlock[]>();
    interface Item {
      readonly node: unknown;
      readonly env: Env;
      readonly origin: string | undefined;
    }
    const items: Item[] = [];
    for (const segment of sources.global) {
      const env = new Env(shared, 'read-request', segment.path);
      withOrigin(segment.origin, () => {
        // TxnBox allows one rule written as a mapping in place of the list.
        if (isRecord(segment.node)) {
          items.push({ node: segment.node, env, origin: segment.origin });
          return;
        }
        asList(segment.node, env, 'rules').forEach((node, index) => {
          // null: a place kept for something else (an include), or an empty entry.
          if (node !== null) items.push({ node, env: env.at(index), origin: segment.origin });
        });
      });
    }
    const isLoadTime = (item: Item) => isRecord(item.node) && literalValue(item.node['when']) === 'post-load';
    // Load time first, then the rest; each in file order.
    for (const item of [...items.filter(isLoadTime), ...items.filter((i) => !isLoadTime(i))]) {
      withOrigin(item.origin, () => {
        const { hook, block } = compileWhenBlock(item.node, item.env);
        if (hook === 'post-load') return; // load-time directives act as they compile
        if (hook === 'remap') {
          item.env.fail('remap rules belong to a route (its rules: key), not the top-level rules', 'when');
        }
        const list = global.get(hook) ?? [];
        list.push(block);
        global.set(hook, list);
      });
    }
    const routes = new Map<string, CompiledBlock>();
    for (const source of sources.routes) {
      withOrigin(source.origin, () => {
        routes.set(source.route, compileDirectives(source.node, new Env(shared, 'remap', source.path)));
      });
    }
    return {
      global,
      routes,
      resources: options.resources,
      directiveCount: shared.directiveCount,
      preRemap: shared.facts.has('pre-remap'),
      dispose,
    };
  } catch (error) {
    dispose();
    throw error;
  }
}
