/**
 * `junction run` with a `fleet` section: the config it starts with is the file merged with the fleet
 * document (from etcd, else the cache file, else no start), and once it serves, a FleetFollower keeps
 * it following etcd through the ConfigStore. Only this process talks to etcd: with worker processes,
 * the primary does, and every worker applies what it sends.
 */
import {
  loadConfigIsolated,
  rememberedHash,
  type FleetConfig,
  type JunctionConfig,
} from '../config/index.ts';
import type { AdminServer, ConfigStore } from '../admin/index.ts';
import { ConfigErrors, FleetError } from '../errors/index.ts';
import type { FleetFollower, FleetRefusal, FleetStart } from '../fleet/index.ts';
import type { Logger } from '../log/index.ts';
import type { CliContext } from './cli-context.ts';
import { readVersion } from './usage.ts';

/** What the run needs to follow the fleet once it serves. */
export interface FleetRun {
  readonly fleet: FleetConfig;
  readonly start: FleetStart;
  /** The document in etcd refused at start (the cache served instead). */
  readonly refusal?: FleetRefusal | undefined;
}

function load(file: string, start: FleetStart): Promise<JunctionConfig> {
  return loadConfigIsolated(
    {
      kind: 'fleet',
      path: file,
      fleet: { text: start.text, source: start.source, certificates: start.certificates },
    },
    { listenAddresses: 'resolve' },
  );
}

/**
 * The config to start with, merged from `file` (already loaded alone as `local`) and the fleet's
 * document; undefined (problems on stderr) when there is none to start with.
 */
export async function loadWithFleet(
  file: string,
  local: JunctionConfig,
  fleet: FleetConfig,
  context: CliContext,
  logger: Logger,
): Promise<{ config: JunctionConfig; run: FleetRun } | undefined> {
  local.rules?.dispose();
  const { readCache, readFleetAtStart } = await import('../fleet/index.ts');
  let start: FleetStart;
  try {
    start = await readFleetAtStart(fleet);
  } catch (error) {
    if (!(error instanceof FleetError)) throw error;
    context.stderr.write(`junction: ${error.message}\n`);
    return undefined;
  }
  if (start.fromCache) {
    logger.warn(
      { err: start.problem, revision: start.revision, file: fleet.cacheFile },
      `fleet: etcd cannot be reached (${start.problem ?? ''}); starting from the cached revision ${start.revision}, stale until etcd is back`,
    );
  }
  try {
    return { config: await load(file, start), run: { fleet, start } };
  } catch (error) {
    if (!(error instanceof ConfigErrors)) throw error;
    const problems = error.errors.map((e) => e.message);
    const cached = start.fromCache ? undefined : await readCache(fleet);
    if (cached?.ok !== true) {
      for (const problem of problems) context.stderr.write(`${problem}\n`);
      return undefined;
    }
    const refusal = { revision: start.revision, at: new Date().toISOString(), problems };
    logger.error(
      { revision: start.revision, problems },
      `fleet: revision ${start.revision} of ${start.source} refused at start; starting from the cached revision ${cached.revision}:\n${problems.join('\n')}`,
    );
    const fromCache: FleetStart = {
      text: cached.text,
      source: start.source,
      certificates: { prefix: start.certificates.prefix, entries: cached.certificates },
      revision: cached.revision,
      fromCache: true,
    };
    try {
      return { config: await load(file, fromCache), run: { fleet, start: fromCache, refusal } };
    } catch (cacheError) {
      if (!(cacheError instanceof ConfigErrors)) throw cacheError;
      for (const problem of problems) context.stderr.write(`${problem}\n`);
      return undefined;
    }
  }
}

/** Starts following the fleet for `store`, once the server and its admin API are up. */
export async function followFleet(
  store: ConfigStore,
  run: FleetRun,
  logger: Logger,
  admin: AdminServer | undefined,
): Promise<FleetFollower> {
  const { createEtcdClient, defaultInstanceId, FleetFollower } = await import('../fleet/index.ts');
  const status = await store.server.status();
  const follower = new FleetFollower({
    client: createEtcdClient(run.fleet),
    paths: run.fleet,
    logger,
    instanceId: run.fleet.instanceId ?? defaultInstanceId(),
    leaseTtlMs: run.fleet.leaseTtlMs,
    cacheFile: run.fleet.cacheFile,
    initial: {
      revision: run.start.revision,
      text: run.start.text,
      certificates: run.start.certificates,
      localFile: store.file,
      stale: run.start.fromCache && run.refusal === undefined,
      version: status.version,
      hash: status.hash || (rememberedHash(store.server.config) ?? ''),
      refusal: run.refusal,
    },
    target: {
      applyFleet: async (fleet) => {
        const result = await store.applyFleet(fleet);
        return { version: result.version, hash: result.hash, changed: result.changed };
      },
    },
    describe: () => ({
      listeners: store.server.listeners.map((l) => `${l.address}:${l.port}`),
      admin: admin === undefined ? null : `${admin.address}:${admin.port}`,
      version: readVersion(),
    }),
  });
  store.attachFleet(() => follower.view());
  // A reload of the local file (SIGHUP, POST /reload, a file watch) changes the config version the
  // record reports, not the fleet revision.
  store.onFileReload((change) => {
    follower.localFileApplied({ path: change.source, version: change.version, hash: change.hash });
  });
  follower.start();
  return follower;
}
