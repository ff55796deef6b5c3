/**
 * Loads a config for a running Junction without stalling it: reading, parsing and validating run in a
 * worker thread with its own memory limit and a deadline, so a pathological file is refused (the worker
 * dies, the process does not) and traffic flows meanwhile, whatever the config's size. What comes back
 * is data; the serving thread only decodes it and rebuilds its code parts (rehydrate.ts).
 */
import { dirname, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { stringify } from 'yaml';
import { ConfigError, ConfigErrors, type ConfigLocation, type ErrorCode } from '../errors/index.ts';
import { decodeFields, type WireConfig, type WireMessage } from './config-wire.ts';
import { type FleetDocument, loadFleetConfigText } from './fleet-merge.ts';
import { loadConfigFile, loadConfigText, readConfigFile } from './load-config.ts';
import type { ParseConfigOptions } from './parse-config.ts';
import { rehydrateConfig } from './rehydrate.ts';
import type { JunctionConfig } from './types.ts';

/**
 * The loading worker's heap. A config at the size bound (150,000 routes, 15.7 MB) peaks near 1.9 GB
 * while the YAML library parses it; a file of as many bytes but millions of tiny nodes needs more than
 * this, and is refused instead of aborting the process.
 */
export const CONFIG_WORKER_HEAP_MB = 3072;
/** A load that takes longer than this is abandoned (the worker is terminated); 150,000 routes take ~65 s. */
export const CONFIG_WORKER_TIMEOUT_MS = 300_000;

export type LoadInput =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'text'; readonly text: string; readonly source: string }
  /** A document (the admin API's edit) as JSON: written as YAML and loaded like a file, in the worker. */
  | { readonly kind: 'document'; readonly json: string; readonly source: string }
  /** The config file merged with a fleet document (fleet-merge.ts): errors name the document they are in. */
  | { readonly kind: 'fleet'; readonly path: string; readonly fleet: FleetDocument };

/** What the serving thread asks the worker. */
export interface LoadRequest {
  readonly input: LoadInput;
  readonly baseDir: string;
  readonly listenAddresses?: 'resolve' | 'warn' | undefined;
}

/** A ConfigError as data. */
export interface ReplyProblem {
  readonly problem: string;
  readonly at: ConfigLocation | undefined;
  readonly code: ErrorCode;
}

/** What the worker answers. */
export type LoadReply =
  | { readonly kind: 'config'; readonly wire: WireMessage; readonly warnings: readonly ReplyProblem[] }
  | { readonly kind: 'errors'; readonly errors: readonly ReplyProblem[] }
  /** The config holds something that cannot cross as data: load it on this thread. */
  | { readonly kind: 'local'; readonly reason: string }
  | { readonly kind: 'failed'; readonly message: string };

export interface IsolatedLoadOptions {
  readonly baseDir?: string;
  readonly listenAddresses?: 'resolve' | 'warn';
  /** Told of each problem that is only a warning (`listenAddresses: 'warn'`). */
  readonly warn?: (problem: ConfigError) => void;
  readonly heapMb?: number;
  readonly timeoutMs?: number;
  /** Told when the load ran on this thread instead (no worker script, or a config that is not data). */
  readonly onLocal?: (reason: string) => void;
}

/** The compiled worker script beside this module; absent when running from TypeScript sources. */
function workerScript(): string | undefined {
  if (!import.meta.url.endsWith('.js')) return undefined;
  const path = fileURLToPath(new URL('./config-worker.js', import.meta.url));
  return existsSync(path) ? path : undefined;
}

function sourceOf(input: LoadInput): string {
  return input.kind === 'file' || input.kind === 'fleet' ? input.path : input.source;
}

function tooCostly(input: LoadInput, problem: string): ConfigErrors {
  return new ConfigErrors([
    new ConfigError(`${sourceOf(input)}: ${problem}`, undefined, 'JCT_ERR_CONFIG_TOO_LARGE'),
  ]);
}

/** The same load on this thread: no worker script, or a config that cannot cross as data. */
function loadHere(input: LoadInput, options: ParseConfigOptions): Promise<JunctionConfig> {
  if (input.kind === 'file') return loadConfigFile(input.path, options);
  if (input.kind === 'fleet') {
    return readConfigFile(input.path).then((text) =>
      loadFleetConfigText(text, input.path, input.fleet, options),
    );
  }
  const text =
    input.kind === 'text' ? input.text : stringify(JSON.parse(input.json) as unknown, { lineWidth: 0 });
  return loadConfigText(text, input.source, options);
}

function runWorker(script: string, request: LoadRequest, options: IsolatedLoadOptions): Promise<LoadReply> {
  const heapMb = options.heapMb ?? CONFIG_WORKER_HEAP_MB;
  const timeoutMs = options.timeoutMs ?? CONFIG_WORKER_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const worker = new Worker(script, {
      workerData: request,
      resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: 64, stackSizeMb: 4 },
      // Its output is replies, not logs; a plugin module printing at import does not reach stdout.
      stdout: true,
      stderr: true,
    });
    worker.stdout.resume();
    worker.stderr.resume();
    let settled = false;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
      void worker.terminate();
    };
    const timer = setTimeout(() => {
      settle(() => {
        reject(tooCostly(request.input, `loading the config took longer than ${timeoutMs / 1000} s`));
      });
    }, timeoutMs);
    worker.once('message', (reply: LoadReply) => {
      settle(() => {
        resolve(reply);
      });
    });
    worker.once('error', (error: NodeJS.ErrnoException) => {
      settle(() => {
        reject(
          error.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? tooCostly(request.input, `loading the config needs more than ${heapMb} MB of memory`)
            : error,
        );
      });
    });
    worker.once('exit', (code) => {
      settle(() => {
        reject(new Error(`the config loading worker exited (code ${code}) without an answer`));
      });
    });
  });
}

/**
 * Loads `input` in a worker and rebuilds the config here. Throws ConfigErrors as loadConfigFile() does,
 * plus JCT_ERR_CONFIG_TOO_LARGE when the load needs more memory or time than the worker is given.
 */
export async function loadConfigIsolated(
  input: LoadInput,
  options: IsolatedLoadOptions = {},
): Promise<JunctionConfig> {
  const source = sourceOf(input);
  const baseDir = options.baseDir ?? (source.startsWith('<') ? process.cwd() : dirname(resolvePath(source)));
  const local: ParseConfigOptions = {
    baseDir,
    ...(options.listenAddresses === undefined ? {} : { listenAddresses: options.listenAddresses }),
    ...(options.warn === undefined ? {} : { warn: options.warn }),
  };
  const script = workerScript();
  if (script === undefined) {
    options.onLocal?.('no worker script (running from sources)');
    return loadHere(input, local);
  }
  const reply = await runWorker(
    script,
    { input, baseDir, listenAddresses: options.listenAddresses },
    options,
  );
  switch (reply.kind) {
    case 'config': {
      for (const w of reply.warnings) options.warn?.(new ConfigError(w.problem, w.at, w.code));
      // In chunks, with the event loop turning between them: traffic flows while a large config decodes.
      const config = (await decodeFields(reply.wire.config)) as unknown as WireConfig;
      const document = await decodeFields(reply.wire.document);
      return rehydrateConfig({ config, document, hash: reply.wire.hash }, baseDir);
    }
    case 'errors':
      throw new ConfigErrors(reply.errors.map((e) => new ConfigError(e.problem, e.at, e.code)));
    case 'local':
      options.onLocal?.(reply.reason);
      return loadHere(input, local);
    case 'failed':
      throw new Error(`loading the config failed: ${reply.message}`);
  }
}
