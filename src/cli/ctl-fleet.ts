/**
 * `junction ctl fleet status | apply FILE [--wait[=TIMEOUT]] | diff FILE | cert ...`: the fleet from
 * the command line (certificates in ctl-fleet-certs.ts). It talks to etcd directly, found from the `fleet` section of `-c FILE` (the local config of
 * any instance), not to one instance's admin API: the document and the instances' records are in
 * etcd, and only a write to etcd can be a compare-and-swap that no other operator's write can undo.
 * Exit status: 0 done, 1 refused (invalid document, lost compare-and-swap, an instance refused or
 * lagged past --wait) or etcd unreachable, 2 usage error.
 */
import { readFile } from 'node:fs/promises';
import {
  loadConfigFile,
  loadFleetConfigText,
  parseDurationMs,
  type FleetCertificates,
  type FleetConfig,
  type JunctionConfig,
} from '../config/index.ts';
import { ConfigErrors, FleetError } from '../errors/index.ts';
import type { EtcdClient, FleetState, InstanceRecord } from '../fleet/index.ts';
import type { CliContext } from './cli-context.ts';
import { formatTable } from './table.ts';

/** `--wait` without a value waits this long. */
export const DEFAULT_FLEET_WAIT = '60s';
const POLL_MS = 250;

export interface FleetCtlOptions {
  readonly config?: string | undefined;
  readonly json?: boolean | undefined;
  readonly wait?: string | undefined;
  /** Write only if the document is still at this revision (the one `fleet diff` showed). */
  readonly 'if-revision'?: string | undefined;
}

/** Thrown for bad arguments (ctl-command.ts turns it into usage and exit status 2). */
export type UsageErrorClass = new (message: string) => Error;

export interface Fleet {
  readonly file: string;
  readonly fleet: FleetConfig;
  readonly client: EtcdClient;
  readonly key: string;
}

async function openFleet(options: FleetCtlOptions, Usage: UsageErrorClass): Promise<Fleet> {
  if (options.config === undefined) throw new Usage('ctl fleet needs -c FILE: a config with a fleet section');
  const local = await loadConfigFile(options.config);
  local.rules?.dispose();
  if (local.fleet === undefined) throw new Usage(`${options.config} has no fleet section`);
  const { configKey, createEtcdClient } = await import('../fleet/index.ts');
  return {
    file: options.config,
    fleet: local.fleet,
    client: createEtcdClient(local.fleet),
    key: configKey(local.fleet),
  };
}

/** The document and the certificates, read at one revision. */
export async function readFleet(fleet: Fleet): Promise<FleetState> {
  const { fleetRange, fleetStateFrom } = await import('../fleet/index.ts');
  const range = fleetRange(fleet.fleet);
  const { kvs } = await fleet.client.range(range.key, { end: range.end });
  return fleetStateFrom(fleet.fleet, kvs);
}

/** Every live instance's record (an instance's key goes with its lease). */
async function instances(fleet: Fleet): Promise<InstanceRecord[]> {
  const { instancesPrefix } = await import('../fleet/index.ts');
  const { kvs } = await fleet.client.range(instancesPrefix(fleet.fleet), { prefix: true });
  const records: InstanceRecord[] = [];
  for (const kv of kvs) {
    try {
      records.push(JSON.parse(kv.value.toString('utf8')) as InstanceRecord);
    } catch {
      // Not a record this version writes: not an instance to list.
    }
  }
  return records.sort((a, b) => a.id.localeCompare(b.id));
}

/** How an instance stands against the document's revision. */
export function instanceState(record: InstanceRecord, revision: number): string {
  if (record.last_refusal !== null && record.last_refusal.revision >= revision && record.revision < revision)
    return 'refused';
  if (record.stale) return 'stale';
  if (record.revision < revision) return 'lagging';
  return 'ok';
}

async function status(fleet: Fleet, json: boolean, context: CliContext): Promise<number> {
  const [state, records] = await Promise.all([readFleet(fleet), instances(fleet)]);
  const revision = state.revision;
  const certificates = Object.keys(state.certificates.entries).length;
  if (json) {
    context.stdout.write(
      `${JSON.stringify({ key: fleet.key, revision, certificates, instances: records }, null, 2)}\n`,
    );
    return 0;
  }
  context.stdout.write(
    `${fleet.key}: revision ${revision}${state.document === undefined ? ' (no document)' : ''}${certificates === 0 ? '' : `, ${certificates} certificate${certificates === 1 ? '' : 's'}`}\n`,
  );
  const rows = records.map((r) => ({
    id: r.id,
    host: r.host,
    listeners: r.listeners.join(' '),
    revision: r.revision,
    state: instanceState(r, revision),
    applied: r.applied_at ?? '-',
    'last refusal':
      r.last_refusal === null
        ? '-'
        : `revision ${r.last_refusal.revision}: ${r.last_refusal.problems[0] ?? ''}`,
  }));
  context.stdout.write(
    formatTable(rows, ['id', 'host', 'listeners', 'revision', 'state', 'applied', 'last refusal']),
  );
  return 0;
}

/** The local file merged with `text` (named `source` in errors) and `certificates`; problems on stderr. */
export async function validate(
  fleet: Fleet,
  text: string,
  source: string,
  certificates: FleetCertificates,
  context: CliContext,
): Promise<JunctionConfig | undefined> {
  try {
    const localText = await readFile(fleet.file, 'utf8');
    return await loadFleetConfigText(
      localText,
      fleet.file,
      { text, source, certificates },
      { listenAddresses: 'warn' },
    );
  } catch (error) {
    if (!(error instanceof ConfigErrors)) throw error;
    for (const problem of error.errors) context.stderr.write(`${problem.message}\n`);
    return undefined;
  }
}

async function readDocument(name: string | undefined, Usage: UsageErrorClass): Promise<string> {
  if (name === undefined) throw new Usage('ctl fleet apply and diff need a FILE: the new fleet document');
  try {
    return await readFile(name, 'utf8');
  } catch (error) {
    throw new Usage(
      `cannot read '${name}' (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
}

async function diff(fleet: Fleet, name: string, text: string, context: CliContext): Promise<number> {
  const state = await readFleet(fleet);
  const next = await validate(fleet, text, name, state.certificates, context);
  if (next === undefined) return 1;
  const current = await validate(fleet, state.document?.text ?? '', fleet.key, state.certificates, context);
  if (current === undefined) {
    next.rules?.dispose();
    return 1;
  }
  const { describeDiff, diffConfigs, isEmptyDiff } = await import('../server/index.ts');
  const changes = diffConfigs(current, next);
  current.rules?.dispose();
  next.rules?.dispose();
  const revision = state.document?.revision ?? 0;
  context.stdout.write(
    isEmptyDiff(changes)
      ? `${name}: no change from ${fleet.key} revision ${revision}\n`
      : `${name} against ${fleet.key} revision ${revision}: ${describeDiff(changes)}\n`,
  );
  return 0;
}

async function apply(
  fleet: Fleet,
  name: string,
  text: string,
  waitMs: number | undefined,
  ifRevision: number | undefined,
  context: CliContext,
): Promise<number> {
  // Read first: the compare-and-swap is on what this operator saw, validation time included.
  const state = await readFleet(fleet);
  const seen = ifRevision ?? state.document?.revision ?? 0;
  const config = await validate(fleet, text, name, state.certificates, context);
  if (config === undefined) {
    context.stderr.write(`junction ctl: ${name} does not validate; nothing was written\n`);
    return 1;
  }
  config.rules?.dispose();
  let revision: number;
  if (state.document?.text === text && state.document.revision === seen) {
    revision = seen;
    context.stdout.write(`${fleet.key}: unchanged, revision ${revision}\n`);
  } else {
    const written = await fleet.client.putIfUnchanged(fleet.key, text, seen);
    if (!written.succeeded) {
      const now = (await fleet.client.get(fleet.key)).kv?.modRevision ?? 0;
      const error = new FleetError(
        'JCT_ERR_FLEET_CONFLICT',
        `${fleet.key} changed since it was read (revision ${seen}, now ${now}): nothing was written; diff against the new revision and apply again`,
      );
      context.stderr.write(`junction ctl: ${error.message} (${error.code})\n`);
      return 1;
    }
    revision = written.revision;
    context.stdout.write(`${fleet.key}: revision ${revision} written (was ${seen})\n`);
  }
  return waitMs === undefined ? 0 : waitFor(fleet, revision, waitMs, context);
}

/** Until every live instance serves `revision` (0), one refuses it, or the time is up (1). */
export async function waitFor(
  fleet: Fleet,
  revision: number,
  waitMs: number,
  context: CliContext,
): Promise<number> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const records = await instances(fleet);
    const states = records.map((r) => ({ r, state: instanceState(r, revision) }));
    const refused = states.filter((s) => s.state === 'refused');
    if (refused.length > 0) {
      for (const { r } of refused) {
        context.stderr.write(`junction ctl: instance ${r.id} refused revision ${revision}:\n`);
        for (const problem of r.last_refusal?.problems ?? []) context.stderr.write(`  ${problem}\n`);
      }
      return 1;
    }
    const behind = states.filter((s) => s.state !== 'ok');
    if (behind.length === 0) {
      context.stdout.write(`every instance (${records.length}) serves revision ${revision}\n`);
      return 0;
    }
    if (Date.now() >= deadline) {
      context.stderr.write(
        `junction ctl: after ${waitMs / 1000} s, ${behind.length} of ${records.length} instances do not serve revision ${revision}:\n`,
      );
      for (const { r, state } of behind) {
        context.stderr.write(`  ${r.id} (${r.host}): ${state}, serving revision ${r.revision}\n`);
      }
      return 1;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** `--wait[=T]` → ms; `--if-revision N` → N; each only where `allowed`. */
export function waitAndRevision(
  options: FleetCtlOptions,
  allowed: boolean,
  what: string,
  Usage: UsageErrorClass,
): { waitMs: number | undefined; ifRevision: number | undefined } {
  if (options.wait !== undefined && !allowed) throw new Usage(`--wait goes with ${what}`);
  let waitMs: number | undefined;
  if (options.wait !== undefined) {
    const parsed = parseDurationMs(options.wait);
    if (!parsed.ok) throw new Usage(`--wait ${parsed.problem}`);
    waitMs = parsed.value;
  }
  const ifText = options['if-revision'];
  if (ifText !== undefined && (!allowed || !/^\d+$/.test(ifText))) {
    throw new Usage(
      `--if-revision N (a revision, as fleet diff or fleet cert list shows it) goes with ${what}`,
    );
  }
  return { waitMs, ifRevision: ifText === undefined ? undefined : Number(ifText) };
}

/** Runs `task` on the fleet found from -c FILE; etcd's failures are exit status 1. */
export async function withFleet(
  options: FleetCtlOptions,
  context: CliContext,
  Usage: UsageErrorClass,
  task: (fleet: Fleet) => Promise<number>,
): Promise<number> {
  const fleet = await openFleet(options, Usage);
  try {
    return await task(fleet);
  } catch (error) {
    if (!(error instanceof FleetError)) throw error;
    context.stderr.write(`junction ctl: ${error.message}\n`);
    return 1;
  } finally {
    fleet.client.close();
  }
}

export async function runCtlFleet(
  args: readonly string[],
  options: FleetCtlOptions,
  context: CliContext,
  Usage: UsageErrorClass,
): Promise<number> {
  const [action, file, ...extra] = args;
  if (extra.length > 0) throw new Usage(`unexpected '${extra[0]!}'`);
  if (action !== 'status' && action !== 'apply' && action !== 'diff') {
    throw new Usage(
      `ctl fleet needs status, apply FILE, diff FILE or cert${action === undefined ? '' : `, got '${action}'`}`,
    );
  }
  const { waitMs, ifRevision } = waitAndRevision(options, action === 'apply', 'fleet apply', Usage);
  if (action === 'status' && file !== undefined) throw new Usage(`unexpected '${file}'`);
  const text = action === 'status' ? '' : await readDocument(file, Usage);
  return withFleet(options, context, Usage, async (fleet) => {
    if (action === 'status') return status(fleet, options.json === true, context);
    if (action === 'diff') return diff(fleet, file!, text, context);
    return apply(fleet, file!, text, waitMs, ifRevision, context);
  });
}
