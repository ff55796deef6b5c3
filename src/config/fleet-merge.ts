/**
 * One config from two documents: the local file (what belongs to one machine: listeners, admin,
 * workers, the fleet section) and the fleet document kept in etcd at `<prefix>/config` (what the fleet
 * shares: routes, clusters, strategies, rules, plugins...). A top-level key belongs to one of them; one
 * both set is an error naming both positions.
 *
 * Both are checked on their own first (YAML, duplicate keys, which keys each may hold), then validated
 * as one: the fleet document's text is appended to the file's, so every later check, rule compilation
 * and position works unchanged on one YAML text, and each problem is mapped back to the document its
 * line falls in (`<prefix>/config:line:column` for the fleet's). Appending is sound because both are
 * block mappings whose keys start in column 1, with no document markers, and no key is in both.
 */
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { ConfigError, ConfigErrors } from '../errors/index.ts';
import { fleetCertificateProblems, type FleetCertificates } from './fleet-certificates.ts';
import { loadConfigText } from './load-config.ts';
import type { ParseConfigOptions } from './parse-config.ts';
import type { JunctionConfig } from './types.ts';

/** Keys only the local file may set: they describe one machine, or how it finds the fleet. */
export const LOCAL_ONLY_KEYS: readonly string[] = ['listeners', 'admin', 'workers', 'fleet'];

/** The fleet's document as read from etcd; `source` names it in errors (`<prefix>/config`). */
export interface FleetDocument {
  readonly text: string;
  readonly source: string;
  /** The fleet's certificates (`<prefix>/certificates/`), which listeners of the file may name. */
  readonly certificates?: FleetCertificates | undefined;
}

interface TopKey {
  readonly key: string;
  readonly line: number;
  readonly column: number;
}

interface Shape {
  readonly keys: readonly TopKey[];
  readonly problems: readonly ConfigError[];
}

function located(problem: string, file: string, line: number, column: number, keyPath = ''): ConfigError {
  return new ConfigError(problem, { file, line, column, keyPath });
}

/**
 * The top-level keys of one document and what keeps it from being appended to another: YAML errors,
 * a top level that is not a block mapping, document markers or directives, indented keys.
 */
export function documentShape(text: string, source: string): Shape {
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: false,
    merge: true,
  });
  const at = (offset: number): { line: number; column: number } => {
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  const problems: ConfigError[] = [];
  for (const error of doc.errors) {
    const { line, column } = at(error.pos[0]);
    problems.push(
      new ConfigError(
        error.message.split('\n')[0]!,
        { file: source, line, column, keyPath: '' },
        'JCT_ERR_CONFIG_YAML',
      ),
    );
  }
  if (problems.length > 0) return { keys: [], problems };
  const marker = /^(?:---|\.\.\.)(?:\s|$)|^%/m.exec(text);
  if (marker !== null) {
    const { line, column } = at(marker.index);
    problems.push(
      located(
        'document markers and directives are not allowed here: write one mapping',
        source,
        line,
        column,
      ),
    );
  }
  const contents = doc.contents;
  if (contents === null || (isScalar(contents) && contents.value === null)) return { keys: [], problems };
  if (!isMap(contents) || contents.flow === true) {
    const { line, column } = at(contents.range[0]);
    problems.push(
      located('must be a mapping written in block style (key: value lines)', source, line, column),
    );
    return { keys: [], problems };
  }
  const keys: TopKey[] = [];
  for (const pair of contents.items) {
    const keyNode = pair.key;
    const key = isScalar(keyNode) ? String(keyNode.value) : '<complex key>';
    const { line, column } = at(isScalar(keyNode) ? keyNode.range[0] : 0);
    if (column !== 1)
      problems.push(located('top-level keys must start in the first column', source, line, column, key));
    keys.push({ key, line, column });
  }
  return { keys, problems };
}

/**
 * What keeps the two documents from making one config: each one's own problems, keys the fleet may
 * not set, and keys both set (reported at the fleet document's key, naming the file's too).
 */
export function mergeProblems(localText: string, localSource: string, fleet: FleetDocument): ConfigError[] {
  const local = documentShape(localText, localSource);
  const shared = documentShape(fleet.text, fleet.source);
  const problems = [...local.problems, ...shared.problems];
  const localKeys = new Map(local.keys.map((k) => [k.key, k]));
  for (const key of shared.keys) {
    if (LOCAL_ONLY_KEYS.includes(key.key)) {
      problems.push(
        located(
          `${key.key}: belongs to each machine's own config file, not to the fleet document`,
          fleet.source,
          key.line,
          key.column,
          key.key,
        ),
      );
      continue;
    }
    const mine = localKeys.get(key.key);
    if (mine !== undefined) {
      problems.push(
        located(
          `${key.key}: set both here and in ${localSource}:${mine.line}:${mine.column}; a key belongs to the local file or to the fleet document, not both`,
          fleet.source,
          key.line,
          key.column,
          key.key,
        ),
      );
    }
  }
  return problems;
}

/** The combined text and how to map a line of it back to its document. */
export function combineTexts(
  localText: string,
  localSource: string,
  fleet: FleetDocument,
): { text: string; relocate: (error: ConfigError) => ConfigError } {
  const head = localText.endsWith('\n') || localText === '' ? localText : `${localText}\n`;
  let localLines = 0;
  for (let i = head.indexOf('\n'); i >= 0; i = head.indexOf('\n', i + 1)) localLines++;
  const body = fleet.text.startsWith('\uFEFF') ? fleet.text.slice(1) : fleet.text;
  const relocate = (error: ConfigError): ConfigError => {
    const at = error.at;
    if (at?.file !== localSource || at.line <= localLines) return error;
    // A duplicate key inside the fleet document names its first line in the combined text too.
    const problem = error.problem.replace(/\(first at line (\d+)\)/, (whole, line: string) =>
      Number(line) > localLines ? `(first at line ${Number(line) - localLines})` : whole,
    );
    return new ConfigError(problem, { ...at, file: fleet.source, line: at.line - localLines }, error.code, {
      cause: error,
    });
  };
  return { text: head + body, relocate };
}

function relocateAll(error: unknown, relocate: (error: ConfigError) => ConfigError): unknown {
  if (error instanceof ConfigErrors) return new ConfigErrors(error.errors.map(relocate));
  return error;
}

/**
 * Loads the config the local file and the fleet document make together. Throws ConfigErrors whose
 * positions name the document each problem is in.
 */
export async function loadFleetConfigText(
  localText: string,
  localSource: string,
  fleet: FleetDocument,
  options: ParseConfigOptions = {},
): Promise<JunctionConfig> {
  const certificates = fleet.certificates ?? { prefix: '', entries: {} };
  // Every pair is checked, named or not: one that cannot serve is refused as a document would be.
  const problems = [
    ...mergeProblems(localText, localSource, fleet),
    ...fleetCertificateProblems(certificates),
  ];
  if (problems.length > 0) throw new ConfigErrors(problems);
  const { text, relocate } = combineTexts(localText, localSource, fleet);
  const warn = options.warn;
  try {
    return await loadConfigText(text, localSource, {
      ...options,
      fleetCertificates: certificates,
      ...(warn === undefined
        ? {}
        : {
            warn: (problem: ConfigError) => {
              warn(relocate(problem));
            },
          }),
    });
  } catch (error) {
    throw relocateAll(error, relocate);
  }
}
