/**
 * Load-time directives (post-load only): `ip-space-define` and `text-block-define`. They read their
 * files while the rules compile (a file that cannot be read or parsed stops the load) and keep
 * re-reading them while the rule set lives: every `duration` (default 5s; 0 turns it off). A file
 * that fails to re-read or parse keeps the old contents, reported through the resources'
 * onReloadError.
 */
import { readFileSync, statSync, type Stats } from 'node:fs';
import { resolve } from 'node:path';
import { DURATION_HINT } from '../features/index.ts';
import type { CompileEnv, CompiledDirective, DirectiveSpec } from '../types.ts';
import { LOAD_HOOKS } from './hooks.ts';
import {
  COLUMN_TYPES,
  IpSpaceError,
  LiveIpSpace,
  parseIpSpace,
  type ColumnSpec,
  type ColumnType,
} from './ip-space.ts';
import { RuleResourceStore, type ReloadSource } from './resources.ts';
import { checkKeys, describe, featureDurationMs, isMapping, literalString } from './values.ts';
import { watchFile } from './watch.ts';
import { literalTree } from '../literal.ts';

/** How often a file is checked for changes when `duration` is not given. */
export const DEFAULT_RELOAD_INTERVAL_MS = 5000;

const NOTHING: CompiledDirective = () => undefined;

/** TxnBox's duration extractors written as a literal: `minutes<1>`. */
const DURATION_EXTRACTOR = /^\s*(milliseconds|seconds|minutes|hours|days|weeks)\s*<\s*(\d+)\s*>\s*$/;
const EXTRACTOR_UNIT: Readonly<Record<string, string>> = {
  milliseconds: 'ms',
  seconds: 's',
  minutes: 'm',
  hours: 'h',
  days: 'd',
  weeks: 'w',
};

/** A literal duration: text, milliseconds, `minutes<1>`, or a list of those (summed, as TxnBox's as-duration). */
function literalDurationMs(node: unknown): number | undefined {
  if (Array.isArray(node)) {
    let total = 0;
    for (const element of node) {
      const ms = literalDurationMs(element);
      if (ms === undefined) return undefined;
      total += ms;
    }
    return total;
  }
  if (typeof node === 'string') {
    const extractor = DURATION_EXTRACTOR.exec(node);
    if (extractor !== null) return featureDurationMs(`${extractor[2]}${EXTRACTOR_UNIT[extractor[1]!]}`);
  }
  return typeof node === 'string' || typeof node === 'number' ? featureDurationMs(node) : undefined;
}

function reloadInterval(env: CompileEnv, node: unknown): number {
  if (node === undefined || node === null) return DEFAULT_RELOAD_INTERVAL_MS;
  const ms = literalDurationMs(node);
  if (ms === undefined) {
    env.fail(`duration must be ${DURATION_HINT} (0: never re-read), got ${describe(node)}`, 'duration');
  }
  return ms;
}

function readOrFail(env: CompileEnv, path: string): { text: string; stats: Stats } {
  try {
    const stats = statSync(path);
    return { text: readFileSync(path, 'utf8'), stats };
  } catch (error) {
    env.fail(`cannot read ${path}: ${(error as Error).message}`, 'path');
  }
}

function reporter(
  env: CompileEnv,
  source: ReloadSource,
): { error: (error: Error) => void; reloaded: () => void } {
  const resources = env.resources;
  if (!(resources instanceof RuleResourceStore)) return { error: () => undefined, reloaded: () => undefined };
  return {
    error: (error) => {
      resources.reportReloadError(error, source);
    },
    reloaded: () => {
      resources.reportReload(source);
    },
  };
}

function keepWatching(env: CompileEnv, stop: () => void): void {
  env.onDispose(stop);
  if (env.resources instanceof RuleResourceStore) env.resources.adopt(stop);
}

function compileColumns(env: CompileEnv, node: unknown): ColumnSpec[] | undefined {
  if (node === undefined || node === null) return undefined;
  if (!Array.isArray(node)) env.fail('columns must be a list of { name, type }', 'columns');
  const at: CompileEnv = env.at('columns');
  const names = new Set<string>();
  return (node as unknown[]).map((node: unknown, i): ColumnSpec => {
    const here: CompileEnv = at.at(i);
    const column: unknown = typeof node === 'string' ? { name: node } : node;
    if (!isMapping(column)) here.fail('a column is a mapping: { name, type, keys }');
    checkKeys(here, column, ['name', 'type', 'keys'], 'a column');
    const name = column['name'];
    if (name !== undefined && name !== null && (typeof name !== 'string' || name === '')) {
      here.fail('a column name must be a non-empty string', 'name');
    }
    if (typeof name === 'string') {
      if (names.has(name)) here.fail(`there are two columns named '${name}'`, 'name');
      names.add(name);
    }
    const type = column['type'] ?? 'string';
    if (typeof type !== 'string' || !(COLUMN_TYPES as readonly string[]).includes(type)) {
      here.fail(`a column type must be one of ${COLUMN_TYPES.join(', ')}, got ${describe(type)}`, 'type');
    }
    const keysNode = column['keys'];
    let keys: string[] | undefined;
    if (keysNode !== undefined && keysNode !== null) {
      if (!Array.isArray(keysNode) || !keysNode.every((k) => typeof k === 'string' && k !== '')) {
        here.fail('keys must be a list of strings', 'keys');
      }
      keys = keysNode as string[];
    }
    if (type === 'flags' && keys === undefined) here.fail('a flags column needs its keys', 'keys');
    return { name: typeof name === 'string' ? name : undefined, type: type as ColumnType, keys };
  });
}

const ipSpaceDefine: DirectiveSpec = {
  name: 'ip-space-define',
  arg: 'none',
  hooks: LOAD_HOOKS,
  compile(_arg: string | undefined, written: unknown, env: CompileEnv): CompiledDirective {
    const value = literalTree(written); // load-time values are literals, quoted or not
    if (!isMapping(value)) env.fail('ip-space-define takes { name, path, duration, columns }');
    checkKeys(env, value, ['name', 'path', 'duration', 'columns'], 'ip-space-define');
    const name = literalString(env, value['name'], 'name', 'the name');
    if (env.resources.ipSpace(name) !== undefined)
      env.fail(`the IP space '${name}' is already defined`, 'name');
    const path = resolve(env.baseDir, literalString(env, value['path'], 'path', 'the path'));
    const interval = reloadInterval(env, value['duration']);
    const columns = compileColumns(env, value['columns']);
    const { text, stats } = readOrFail(env, path);
    let live: LiveIpSpace;
    try {
      live = new LiveIpSpace(parseIpSpace(text, columns), columns);
    } catch (error) {
      if (error instanceof IpSpaceError) env.fail(`${path}: ${error.message}`, 'path');
      throw error;
    }
    env.resources.defineIpSpace(name, live);
    if (interval > 0) {
      const report = reporter(env, { kind: 'ip-space', name, path });
      const stop = watchFile({
        path,
        intervalMs: interval,
        loaded: stats,
        onChange: (newText) => {
          live.table = parseIpSpace(newText, columns);
          report.reloaded();
        },
        onMissing: () => {
          report.error(new Error(`${path} is gone; the IP space '${name}' keeps its last contents`));
        },
        onError: report.error,
      });
      keepWatching(env, stop);
    }
    return NOTHING;
  },
};

const textBlockDefine: DirectiveSpec = {
  name: 'text-block-define',
  arg: 'none',
  hooks: LOAD_HOOKS,
  compile(_arg: string | undefined, written: unknown, env: CompileEnv): CompiledDirective {
    const value = literalTree(written); // load-time values are literals, quoted or not
    if (!isMapping(value)) env.fail('text-block-define takes { name, path, text, duration, notify }');
    checkKeys(env, value, ['name', 'path', 'text', 'duration', 'notify'], 'text-block-define');
    const notifyNode = value['notify'];
    if (notifyNode !== undefined && notifyNode !== null && typeof notifyNode !== 'string') {
      env.fail('notify must be a string: the message logged (at info) when the file is re-read', 'notify');
    }
    const notify = typeof notifyNode === 'string' ? notifyNode : undefined;
    const name = literalString(env, value['name'], 'name', 'the name');
    if (env.resources.textBlock(name) !== undefined)
      env.fail(`the text block '${name}' is already defined`, 'name');
    const textNode = value['text'];
    let fallback: string | undefined;
    if (textNode !== undefined && textNode !== null) {
      if (typeof textNode !== 'string' && typeof textNode !== 'number' && typeof textNode !== 'boolean') {
        env.fail('text must be a string', 'text');
      }
      fallback = String(textNode);
    }
    const pathNode = value['path'];
    if ((pathNode === undefined || pathNode === null) && fallback === undefined) {
      env.fail(
        'text-block-define needs a path, a text, or both (the text is used when the file cannot be read)',
      );
    }
    if (pathNode === undefined || pathNode === null) {
      if (value['duration'] !== undefined) env.fail('duration needs a path to re-read', 'duration');
      const text = fallback!;
      env.resources.defineTextBlock(name, () => text);
      return NOTHING;
    }
    const path = resolve(env.baseDir, literalString(env, pathNode, 'path', 'the path'));
    const interval = reloadInterval(env, value['duration']);
    let current: string;
    let loaded: Stats | undefined;
    if (fallback === undefined) {
      const read = readOrFail(env, path);
      current = read.text;
      loaded = read.stats;
    } else {
      try {
        loaded = statSync(path);
        current = readFileSync(path, 'utf8');
      } catch {
        loaded = undefined;
        current = fallback;
      }
    }
    env.resources.defineTextBlock(name, () => current);
    if (interval > 0) {
      const report = reporter(env, {
        kind: 'text-block',
        name,
        path,
        ...(notify === undefined ? {} : { notify }),
      });
      const stop = watchFile({
        path,
        intervalMs: interval,
        loaded,
        onChange: (text) => {
          current = text;
          report.reloaded();
        },
        onMissing: () => {
          if (fallback !== undefined) {
            current = fallback;
            report.reloaded();
          } else {
            report.error(new Error(`${path} is gone; the text block '${name}' keeps its last contents`));
          }
        },
        onError: report.error,
      });
      keepWatching(env, stop);
    }
    return NOTHING;
  },
};

export const LOAD_TIME_DIRECTIVES: readonly DirectiveSpec[] = [ipSpaceDefine, textBlockDefine];
