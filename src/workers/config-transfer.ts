/**
 * A validated config from the primary to a worker: the same wire form the loading worker posts
 * (config/config-wire.ts), encoded once per config in the primary and decoded, with its modules and
 * plugin configs rebuilt, in each worker (config/rehydrate.ts). Workers never re-read a file the
 * primary validated; they import only the modules the config names. A config that holds something
 * that is not data (a class instance built in code) goes as its document, loaded again by the worker.
 */
import {
  configDocument,
  contentHash,
  decodeFields,
  encodeFields,
  loadConfigIsolated,
  NotTransferable,
  rehydrateConfig,
  rememberedHash,
  toWire,
  type JunctionConfig,
  type WireConfig,
} from '../config/index.ts';
import type { ConfigMessage } from './messages.ts';

/** Encodes `config` for every worker; `baseDir` is where its relative module names resolve. */
export function toConfigMessage(config: JunctionConfig, baseDir: string): ConfigMessage {
  const document = configDocument(config) ?? {};
  try {
    return {
      kind: 'wire',
      baseDir,
      wire: {
        config: encodeFields(toWire(config) as unknown as Record<string, unknown>),
        document: encodeFields(document),
        hash: rememberedHash(config) ?? contentHash(document),
      },
    };
  } catch (error) {
    if (!(error instanceof NotTransferable)) throw error;
    return { kind: 'document', json: JSON.stringify(document), source: config.source, baseDir };
  }
}

/** The config back, in a worker: decoded and rehydrated, or loaded from its document. */
export async function fromConfigMessage(message: ConfigMessage): Promise<JunctionConfig> {
  if (message.kind === 'document') {
    return loadConfigIsolated(
      { kind: 'document', json: message.json, source: message.source },
      { baseDir: message.baseDir, listenAddresses: 'resolve' },
    );
  }
  const config = (await decodeFields(message.wire.config)) as unknown as WireConfig;
  const document = await decodeFields(message.wire.document);
  return rehydrateConfig({ config, document, hash: message.wire.hash }, message.baseDir);
}
