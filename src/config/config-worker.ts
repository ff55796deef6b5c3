/**
 * The loading worker's entry (a worker_threads Worker started by isolated-load.ts): reads, parses and
 * validates one config, then posts it back as data (config-wire.ts) or its problems. Everything that
 * grows with the config happens here, under the worker's memory limit, while the serving thread serves.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { stringify } from 'yaml';
import { ConfigErrors } from '../errors/index.ts';
import { configDocument, contentHash } from './config-document.ts';
import { encodeFields, NotTransferable, toWire, type WireMessage } from './config-wire.ts';
import type { LoadRequest, LoadReply, ReplyProblem } from './isolated-load.ts';
import { loadConfigText, readConfigFile } from './load-config.ts';

async function load(request: LoadRequest): Promise<LoadReply> {
  const warnings: ReplyProblem[] = [];
  try {
    const text =
      request.input.kind === 'file'
        ? await readConfigFile(request.input.path)
        : request.input.kind === 'text'
          ? request.input.text
          : stringify(JSON.parse(request.input.json), { lineWidth: 0 });
    const source = request.input.kind === 'file' ? request.input.path : request.input.source;
    const config = await loadConfigText(text, source, {
      baseDir: request.baseDir,
      warn: (problem) => warnings.push({ problem: problem.problem, at: problem.at, code: problem.code }),
      ...(request.listenAddresses === undefined ? {} : { listenAddresses: request.listenAddresses }),
    });
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
