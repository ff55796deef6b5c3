/**
 * The config's rules → compiled rules, or config errors with file:line:column. Top-level `rules` is a
 * list of rules where an item may instead include a file: `{ include: path, root: a.b }` (a dotted key
 * path chooses the node of that file to use, as TxnBox's `txn_box.example-1`; `.` or none: the whole
 * file). A route's `rules` is its remap-mode list. Errors in an included file point into that file.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError } from '../errors/index.ts';
import {
  compileRules,
  createRuleResources,
  RULE_LANGUAGE,
  RuleError,
  type CompiledRules,
  type RuleSources,
  type UpstreamScheme,
} from '../rules/index.ts';
import { formatKeyPath, type KeyPath } from './config-issue.ts';
import { boundProblem, MAX_CONFIG_BYTES, scanNesting, tooLarge } from './input-bounds.ts';
import { YamlPositions } from './yaml-document.ts';
import { yamlProblem } from './yaml-problems.ts';
import { desugarRulesFile } from './rule-scalars.ts';
import { ruleConfigFacts } from './rule-facts.ts';

export type RulesResult =
  | { readonly ok: true; readonly rules: CompiledRules | undefined }
  | { readonly ok: false; readonly errors: ConfigError[] };

interface IncludedFile {
  readonly file: string;
  readonly positions: YamlPositions;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function located(
  file: string,
  positions: YamlPositions,
  path: KeyPath,
  message: string,
  atKey = false,
): ConfigError {
  const offset = positions.offsetOf({ path, target: atKey ? 'key' : 'value', message });
  const { line, column } = positions.position(offset);
  return new ConfigError(message, { file, line, column, keyPath: formatKeyPath(path) });
}

/** The node at a dotted path (`txn_box.example-1`; `.` is the whole document). */
function selectRoot(data: unknown, root: string): { node: unknown; path: KeyPath } | undefined {
  if (root === '.' || root === '') return { node: data, path: [] };
  let node = data;
  const path: string[] = [];
  for (const key of root.split('.')) {
    if (!isRecord(node) || !(key in node)) return undefined;
    node = node[key];
    path.push(key);
  }
  return { node, path };
}

/** Reads `{ include, root }` at `at`: the node it selects, or undefined with the problem in `errors`. */
function readInclude(
  item: Record<string, unknown>,
  at: KeyPath,
  source: string,
  baseDir: string,
  positions: YamlPositions,
  errors: ConfigError[],
  includes: Map<string, IncludedFile>,
): { node: unknown; path: KeyPath; origin: string } | undefined {
  const include = item['include'];
  const root = item['root'] ?? '.';
  if (typeof include !== 'string' || include === '') {
    errors.push(located(source, positions, [...at, 'include'], 'include: must be a file name'));
    return undefined;
  }
  if (typeof root !== 'string') {
    errors.push(located(source, positions, [...at, 'root'], 'root: must be a dotted key path'));
    return undefined;
  }
  const file = isAbsolute(include) ? include : resolvePath(baseDir, include);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    errors.push(
      located(source, positions, [...at, 'include'], `include: cannot read '${include}' (${reason})`),
    );
    return undefined;
  }
  // An included file gets the config's own bounds before it is parsed.
  if (Buffer.byteLength(text) > MAX_CONFIG_BYTES) {
    errors.push(located(source, positions, [...at, 'include'], `include: '${include}': ${tooLarge()}`));
    return undefined;
  }
  const nesting = scanNesting(text);
  const lines = new LineCounter();
  const doc = parseDocument(nesting === undefined ? text : '', {
    lineCounter: lines,
    prettyErrors: false,
    logLevel: 'error',
    merge: true,
  });
  const filePositions = new YamlPositions(doc, lines);
  if (nesting !== undefined) {
    const line = text.slice(0, nesting.offset).split('\n').length;
    const column = nesting.offset - text.lastIndexOf('\n', nesting.offset - 1);
    const { message, code } = boundProblem(nesting);
    errors.push(new ConfigError(message, { file, line, column, keyPath: '' }, code));
    return undefined;
  }
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const { line, column } = filePositions.position(first.pos[0]);
    errors.push(
      new ConfigError(yamlProblem(first), { file, line, column, keyPath: '' }, 'JCT_ERR_CONFIG_YAML'),
    );
    return undefined;
  }
  desugarRulesFile(doc);
  const selected = selectRoot(doc.toJS({ maxAliasCount: 100 }), root);
  if (selected === undefined) {
    errors.push(located(source, positions, [...at, 'root'], `root: '${include}' has no node at '${root}'`));
    return undefined;
  }
  includes.set(file, { file, positions: filePositions });
  return { node: selected.node, path: selected.path, origin: file };
}

/**
 * The scheme Junction speaks to each cluster's backends, from the config as written: `https` for a
 * cluster with `tls` on, else per backend (`https://` addresses use TLS, port 443 by default).
 */
export function upstreamSchemes(clusters: unknown): UpstreamScheme {
  const table = new Map<string, { tls: boolean; https: Set<string>; plain: number }>();
  if (isRecord(clusters)) {
    for (const [name, cluster] of Object.entries(clusters)) {
      if (!isRecord(cluster)) continue;
      const tls = cluster['tls'];
      const entry = {
        tls: tls === true || (isRecord(tls) && tls['enabled'] !== false),
        https: new Set<string>(),
        plain: 0,
      };
      for (const backend of Array.isArray(cluster['backends']) ? (cluster['backends'] as unknown[]) : []) {
        const address = isRecord(backend) ? backend['address'] : backend;
        if (typeof address !== 'string') continue;
        const match = /^https:\/\/(.*)$/i.exec(address.trim());
        if (match === null) entry.plain++;
        else entry.https.add(/:\d+$/.test(match[1]!) ? match[1]! : `${match[1]!}:443`);
      }
      table.set(name, entry);
    }
  }
  return (cluster, upstream) => {
    const entry = table.get(cluster);
    if (entry === undefined) return undefined;
    if (entry.tls) return 'https';
    if (entry.https.size === 0) return 'http';
    if (entry.plain === 0) return 'https';
    if (upstream === undefined) return undefined;
    return entry.https.has(upstream) ? 'https' : 'http';
  };
}

/** Compiles the rules of a config whose schema already passed. */
export function compileConfigRules(
  data: Record<string, unknown>,
  source: string,
  baseDir: string,
  positions: YamlPositions,
): RulesResult {
  const errors: ConfigError[] = [];
  const includes = new Map<string, IncludedFile>();
  const sources: { global: RuleSources['global'][number][]; routes: RuleSources['routes'][number][] } = {
    global: [],
    routes: [],
  };

  const rules = data['rules'];
  if (rules !== undefined && rules !== null) {
    if (isRecord(rules) && !('include' in rules)) {
      // TxnBox allows one rule written as a mapping in place of the list.
      sources.global.push({ node: rules, path: ['rules'] });
    } else if (!Array.isArray(rules)) {
      errors.push(located(source, positions, ['rules'], 'rules: must be a list of rules'));
    } else {
      // Rules run in list order, includes where they are listed. Each run of the config's own rules is
      // a segment the length of the whole list, null elsewhere, so every rule keeps its index (and so
      // its position in errors).
      let run: unknown[] | null = null;
      rules.forEach((item: unknown, index) => {
        if (!isRecord(item) || !('include' in item)) {
          if (run === null) {
            run = new Array<unknown>(rules.length).fill(null);
            sources.global.push({ node: run, path: ['rules'] });
          }
          run[index] = item;
          return;
        }
        run = null;
        const unknownKey = Object.keys(item).find((key) => key !== 'include' && key !== 'root');
        if (unknownKey !== undefined) {
          errors.push(
            located(
              source,
              positions,
              ['rules', index, unknownKey],
              `unknown key '${unknownKey}' in an include (expected include, root)`,
              true,
            ),
          );
          return;
        }
        const read = readInclude(item, ['rules', index], source, baseDir, positions, errors, includes);
        if (read !== undefined) sources.global.push(read);
      });
    }
  }
  const routes = Array.isArray(data['routes']) ? (data['routes'] as unknown[]) : [];
  routes.forEach((route, index) => {
    if (!isRecord(route) || route['rules'] === undefined || route['rules'] === null) return;
    const name = typeof route['name'] === 'string' ? route['name'] : `route-${index + 1}`;
    const routeRules = route['rules'];
    if (isRecord(routeRules) && 'include' in routeRules) {
      // A route's rules from a file, as a TxnBox remap rule names its config (`--key` a root there).
      const unknownKey = Object.keys(routeRules).find((key) => key !== 'include' && key !== 'root');
      if (unknownKey !== undefined) {
        errors.push(
          located(
            source,
            positions,
            ['routes', index, 'rules', unknownKey],
            `unknown key '${unknownKey}' in an include (expected include, root)`,
            true,
          ),
        );
        return;
      }
      const read = readInclude(
        routeRules,
        ['routes', index, 'rules'],
        source,
        baseDir,
        positions,
        errors,
        includes,
      );
      if (read !== undefined) sources.routes.push({ route: name, ...read });
      return;
    }
    sources.routes.push({ route: name, node: routeRules, path: ['routes', index, 'rules'] });
  });

  if (errors.length > 0) return { ok: false, errors };
  if (sources.global.length === 0 && sources.routes.length === 0) return { ok: true, rules: undefined };
  try {
    return {
      ok: true,
      rules: compileRules(sources, {
        language: RULE_LANGUAGE,
        resources: createRuleResources(),
        baseDir,
        upstreamScheme: upstreamSchemes(data['clusters']),
        configFacts: ruleConfigFacts(data),
      }),
    };
  } catch (error) {
    if (!(error instanceof RuleError)) throw error;
    const included = error.origin === undefined ? undefined : includes.get(error.origin);
    return {
      ok: false,
      errors: [
        included === undefined
          ? located(source, positions, error.path, error.message, error.atKey)
          : located(included.file, included.positions, error.path, error.message, error.atKey),
      ],
    };
  }
}
