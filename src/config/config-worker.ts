/**
 * The loading worker's entry (a worker_threads Worker started by isolated-load.ts): reads, parses and
 * validates one config, then posts it back as data (config-wire.ts) or its problems. Everything that
 * grows with the config happens here, under the worker's memory limit, while the serving thread serves.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { stringify } from 'yaml';
import { ConfigErrors, type ConfigError } from '../errors/index.ts';
import { loadFleetConfigText } from './fleet-merge.ts';
import { configDocument, contentHash } from './config-document.ts';
import { encodeFields, NotTransferable, toWire, type WireMessage } from './config-wire.ts';
import type { LoadRequest, LoadReply, ReplyProblem } from './isolated-load.ts';
import { loadConfigText, readConfigFile } from './load-config.ts';

async function load(request: LoadRequest): Promise<LoadReply> {
  const warnings: ReplyProblem[] = [];
  try {
    const input = request.input;
    const text =
      input.kind === 'file' || input.kind === 'fleet'
        ? await readConfigFile(input.path)
        : input.kind === 'text'
          ? input.text
          : stringify(JSON.parse(input.json), { lineWidth: 0 });
    const source = input.kind === 'file' || input.kind === 'fleet' ? input.path : input.source;
    const options = {
      baseDir: request.baseDir,
      warn: (problem: ConfigError) =>
        warnings.push({ problem: problem.problem, at: problem.at, code: problem.code }),
      ...(request.listenAddresses === undefined ? {} : { listenAddresses: request.listenAddresses }),
    };
    const config =
      input.kind === 'fleet'
        ? await loadFleetConfigText(text, source, input.fleet, options)
        : await loadConfigText(text, source, options);
    // Checked, not served: what the rules' load-time resources started ends with this worker.
    config.rules?.dispose();
    try {
      const document = configDocument(config) ?? {};
      const wire: WireMessage = {
        config: encodeFields(toWire(config) as unknown as Record<string, unknown>),
        document: encodeFields(document),
        hash: contentHash(document),
      };
      return { kind: 'config', wire, warnings };
    } catch (error) {
      if (error instanceof NotTransferable) return { kind: 'local', reason: error.message };
      throw error;
    }
  } catch (error) {
    if (error instanceof ConfigErrors) {
      return {
        kind: 'errors',
        errors: error.errors.map((e) => ({ problem: e.problem, at: e.at, code: e.code })),
      };
    }
    return {
      kind: 'failed',
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    };
  }
}

parentPort?.postMessage(await load(workerData as LoadRequest));
