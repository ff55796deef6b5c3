/**
 * Config text → JunctionConfig, or ConfigErrors listing every problem with its file, line and column.
 * Stages: YAML syntax (stop there: a broken tree has no reliable positions), YAML structure
 * (duplicate keys, aliases), then the schema and the cross-entry checks, reported together.
 */
import { dirname, resolve as resolvePath } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { ConfigError, ConfigErrors, type ErrorCode } from '../errors/index.ts';
import { buildConfig } from './build-config.ts';
import type { FleetCertificates } from './fleet-certificates.ts';
import { rememberDocument } from './config-document.ts';
import { compileConfigRules } from './rules-config.ts';
import { mayHaveReferences, substituteDocument, type Environment } from './env-substitution.ts';
import { checkReferences } from './check-references.ts';
import { formatKeyPath, type ConfigIssue, type KeyPath } from './config-issue.ts';
import { GENERIC_MESSAGE, issuesFromZod } from './issue-messages.ts';
import { createConfigSchema, type LoadedPluginModule, type LoadedStrategyModule } from './schema.ts';
import { knownStrategyKinds, strategyPluginFor } from './strategy-kinds.ts';
import type { JunctionConfig } from './types.ts';
import { boundProblem, MAX_CONFIG_BYTES, scanNesting, tooLarge } from './input-bounds.ts';
import { YamlPositions } from './yaml-document.ts';
import { yamlProblem } from './yaml-problems.ts';
import { desugarConfigRules } from './rule-scalars.ts';

export interface ParseConfigOptions {
  /**
   * The strategy kinds clusters may name; defaults to the built-ins plus registerStrategyKind()'s.
   * Options are still checked for kinds whose plugin is known.
   */
  readonly strategyKinds?: ReadonlySet<string>;
  /** Strategy modules already imported, by the specifier the config wrote (loadConfigFile() fills it). */
  readonly strategyModules?: ReadonlyMap<string, LoadedStrategyModule>;
  /** Plugin modules already imported, by specifier (loadConfigFile() fills it). */
  readonly pluginModules?: ReadonlyMap<string, LoadedPluginModule>;
  /** Relative file names in the config resolve against this; default: the source's directory. */
  readonly baseDir?: string;
  /**
   * loadConfigText() only: check that listen addresses written as names resolve. `resolve` makes one
   * that does not an error at its position (run, reloads); `warn` hands it to `warn` (check).
   */
  readonly listenAddresses?: 'resolve' | 'warn';
  readonly warn?: (problem: ConfigError) => void;
  /** The fleet's certificates listeners may name (`{ fleet: <name> }`); set by the fleet merge. */
  readonly fleetCertificates?: FleetCertificates | undefined;
}

/** Guards against "billion laughs" documents: aliases expand to at most this many nodes. */
const MAX_ALIAS_COUNT = 100;

export interface Located {
  readonly offset: number;
  readonly path: KeyPath;
  readonly message: string;
  readonly code: ErrorCode;
}

function toErrors(located: readonly Located[], source: string, positions: YamlPositions): ConfigErrors {
  const errors = located
    .map((problem) => ({ problem, position: positions.position(problem.offset) }))
    // Stable sort: file order for the reader, discovery order among problems at one spot.
    .sort((a, b) => a.position.line - b.position.line || a.position.column - b.position.column)
    .map(
      ({ problem, position }) =>
        new ConfigError(
          problem.message,
          {
            file: source,
            line: position.line,
            column: position.column,
            keyPath: formatKeyPath(problem.path),
          },
          problem.code,
        ),
    );
  return new ConfigErrors(errors);
}

function convert(doc: Document.Parsed): { ok: true; data: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, data: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (error) {
    // The YAML library throws for alias expansion beyond maxAliasCount; nothing else is expected here.
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

/** The YAML stage's outcome: the document as plain data, positions for its nodes, structure problems. */
export interface ParsedYaml {
  /** The document with `${VAR}` references substituted: what is validated and served. */
  readonly data: unknown;
  /**
   * The document as written, references and all: what the admin API exports and saves, so a secret
   * given by the environment is never written into the file. The same object as `data` without any.
   */
  readonly document: unknown;
  readonly positions: YamlPositions;
  /** Problems with the config the YAML describes (duplicate keys), reported with the schema's. */
  readonly structural: readonly Located[];
}

/** 1-based line and column of `offset`, for problems found before there is a parsed tree. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}

/** The bounds every config text must respect before it is parsed (input-bounds.ts). */
export function checkInputBounds(text: string, source: string): void {
  if (text.length > MAX_CONFIG_BYTES || Buffer.byteLength(text) > MAX_CONFIG_BYTES) {
    throw new ConfigErrors([
      new ConfigError(`${source}: ${tooLarge()}`, undefined, 'JCT_ERR_CONFIG_TOO_LARGE'),
    ]);
  }
  const nesting = scanNesting(text);
  if (nesting !== undefined) {
    const { message, code } = boundProblem(nesting);
    throw new ConfigErrors([
      new ConfigError(message, { file: source, ...lineAndColumn(text, nesting.offset), keyPath: '' }, code),
    ]);
  }
}

/**
 * The YAML stage: bounds, syntax (stop there: a broken tree has no reliable positions), then structure
 * (aliases, nesting; duplicate keys are kept for the next stage). Throws ConfigErrors.
 */
export function parseConfigYaml(text: string, source: string, env: Environment = process.env): ParsedYaml {
  checkInputBounds(text, source);
  const lineCounter = new LineCounter();
  // uniqueKeys off: duplicate keys are reported by YamlPositions.inspect() with a better message.
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: false,
    logLevel: 'error',
    merge: true,
  });
  const positions = new YamlPositions(doc, lineCounter);
  if (doc.errors.length > 0) {
    const syntax = doc.errors.map((error): Located => ({
      offset: error.pos[0],
      path: [],
      message: yamlProblem(error),
      code: 'JCT_ERR_CONFIG_YAML',
    }));
    throw toErrors(syntax, source, positions);
  }

  const structural = positions.inspect().map((problem): Located => ({
    offset: problem.offset,
    path: problem.path,
    message: problem.message,
    code: problem.isSyntax ? 'JCT_ERR_CONFIG_YAML' : 'JCT_ERR_CONFIG_INVALID',
  }));
  if (structural.some((problem) => problem.code === 'JCT_ERR_CONFIG_YAML')) {
    throw toErrors(structural, source, positions);
  }
  // Rules read unquoted scalars as TxnBox does (an extractor, a boolean): rewritten to quoted forms here.
  desugarConfigRules(doc);
  const converted = convert(doc);
  if (!converted.ok) {
    throw toErrors(
      [{ offset: 0, path: [], message: converted.message, code: 'JCT_ERR_CONFIG_YAML' }],
      source,
      positions,
    );
  }
  if (!mayHaveReferences(text))
    return { data: converted.data, document: converted.data, positions, structural };
  const problems = substituteDocument(doc, env);
  if (problems.length > 0) {
    throw toErrors(
      problems.map((problem) => ({ ...problem, code: 'JCT_ERR_CONFIG_ENV' })),
      source,
      positions,
    );
  }
  const substituted = convert(doc);
  // The same tree converted once already: it cannot fail now.
  const data = substituted.ok ? substituted.data : converted.data;
  return { data, document: converted.data, positions, structural };
}

/**
 * Parses and validates one config file's text. `source` names it in errors (a path, or something
 * like `<quick-start>`). Throws ConfigErrors, never anything else, for any text.
 */
export function parseConfigText(
  text: string,
  source: string,
  options: ParseConfigOptions = {},
): JunctionConfig {
  return validateConfigYaml(parseConfigYaml(text, source), source, options);
}

/** The schema and cross-entry checks over a parsed document, then the validated config. */
export function validateConfigYaml(
  parsed: ParsedYaml,
  source: string,
  options: ParseConfigOptions = {},
): JunctionConfig {
  const { data, positions, structural } = parsed;
  const document = parsed.document;
  const baseDir = options.baseDir ?? (source.startsWith('<') ? process.cwd() : dirname(resolvePath(source)));
  const modules = options.strategyModules;
  const strategyModule = (specifier: string) => modules?.get(specifier);
  const pluginModules = options.pluginModules;
  const moduleKinds = [
    ...[...(modules?.values() ?? [])].flatMap((m) => (m.ok ? [m.plugin] : [])),
    ...[...(pluginModules?.values() ?? [])].flatMap((m) => (m.ok ? (m.definition.strategies ?? []) : [])),
  ];
  const kinds = new Set(options.strategyKinds ?? knownStrategyKinds());
  for (const plugin of moduleKinds) kinds.add(plugin.kind);
  const schema = createConfigSchema({
    strategyKinds: kinds,
    strategyPlugin: (kind) => strategyPluginFor(kind) ?? moduleKinds.find((p) => p.kind === kind),
    strategyNames: new Set(namedStrategies(data)),
    strategyModule,
    pluginModule: (specifier) => pluginModules?.get(specifier),
    baseDir,
    fleetCertificates: options.fleetCertificates,
  });
  const result = schema.safeParse(data, { reportInput: true, error: () => GENERIC_MESSAGE });
  const issues: ConfigIssue[] = [
    ...(result.success ? [] : issuesFromZod(result.error.issues, data)),
    ...checkReferences(data),
  ];
  if (issues.length > 0 || structural.length > 0 || !result.success) {
    const located = issues.map((issue): Located => ({
      offset: positions.offsetOf(issue),
      path: issue.path,
      message: issue.message,
      code: 'JCT_ERR_CONFIG_INVALID',
    }));
    throw toErrors([...structural, ...located], source, positions);
  }
  const rules = compileConfigRules(data as Record<string, unknown>, source, baseDir, positions);
  if (!rules.ok) throw new ConfigErrors(rules.errors);
  const config = buildConfig(result.data, source, { strategyModule, rules: rules.rules });
  rememberDocument(config, structuredClone(document) as Record<string, unknown>);
  return config;
}

/** The keys of the top-level `strategies`, read before validation so references to them can be checked. */
function namedStrategies(data: unknown): string[] {
  if (typeof data !== 'object' || data === null) return [];
  const strategies = (data as Record<string, unknown>)['strategies'];
  if (typeof strategies !== 'object' || strategies === null || Array.isArray(strategies)) return [];
  return Object.keys(strategies);
}

/** The module specifiers a config names, for the loader to import before parsing. */
export interface ModuleSpecifiers {
  /** `module:` of the top-level `strategies`. */
  readonly strategies: string[];
  /** Top-level `plugins` and every route's `plugins`. */
  readonly plugins: string[];
}

export function moduleSpecifiers(data: unknown): ModuleSpecifiers {
  const found: ModuleSpecifiers = { strategies: [], plugins: [] };
  const root = asRecord(data);
  for (const entry of Object.values(asRecord(root?.['strategies']) ?? {})) {
    const module = asRecord(entry)?.['module'];
    if (typeof module === 'string' && module !== '') found.strategies.push(module);
  }
  const addPlugins = (list: unknown) => {
    if (!Array.isArray(list)) return;
    for (const entry of list) {
      const module = typeof entry === 'string' ? entry : asRecord(entry)?.['module'];
      if (typeof module === 'string' && module !== '') found.plugins.push(module);
    }
  };
  addPlugins(root?.['plugins']);
  const routes = root?.['routes'];
  if (Array.isArray(routes)) for (const route of routes) addPlugins(asRecord(route)?.['plugins']);
  return found;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
