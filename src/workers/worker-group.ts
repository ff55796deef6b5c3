/**
 * The primary's group of worker processes, standing in for one JunctionServer where the admin API,
 * the ConfigStore and the CLI see it: its listeners and config, status, reload, backend drains and
 * certificate changes (sent to every worker; all must succeed), the read-only views (asked of every
 * worker), a rolling restart and close. It supervises the workers: one that dies is replaced (with
 * backoff; a crash loop is reported, not spun), and every worker, replacements included, serves the
 * config the group holds.
 */
import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { JunctionConfig } from '../config/index.ts';
import { ReloadError, WorkerError } from '../errors/index.ts';
import type { Logger } from '../log/index.ts';
import {
  configHash,
  diffConfigs,
  isEmptyDiff,
  type BoundListener,
  type CertificateInfo,
  type CertificateInput,
  type ReloadResult,
  type ServerObservation,
  type ServerStatus,
} from '../server/index.ts';
import {
  mergeClusters,
  mergeObservations,
  mergeStats,
  mergeUpstreams,
  type GroupClusterStatus,
  type GroupStats,
  type GroupUpstreamStatus,
  type WorkerReport,
} from './aggregate.ts';
import { toConfigMessage } from './config-transfer.ts';
import { describeExit, Member, type MemberExit, type MemberTimeouts } from './member.ts';
import type {
  CertificateChange,
  ConfigMessage,
  HealthRole,
  Notices,
  QueryKind,
  WorkerRequests,
} from './messages.ts';
import { DEFAULT_RESTART_POLICY, RestartBackoff, type RestartPolicy } from './restart-backoff.ts';

/** cluster's scheduling policies: the primary accepts and deals connections round robin, or the OS does. */
export type SchedulingPolicy = 'rr' | 'none';

export interface WorkerGroupOptions {
  /** How many workers to keep serving. */
  readonly workers: number;
  readonly logger: Logger;
  /** Where the config's relative module names resolve (the config file's directory). */
  readonly baseDir: string;
  readonly scheduling?: SchedulingPolicy;
  /** The worker script; default worker-entry.js beside this module (the built dist/). */
  readonly exec?: string;
  readonly rpcTimeoutMs?: number;
  readonly startTimeoutMs?: number;
  /** How long a worker may take to apply a config (decoding, plugins, gradual route compilation). */
  readonly reloadTimeoutMs?: number;
  readonly restartPolicy?: RestartPolicy;
  /** How often the TLS session ticket keys change; 0: never. */
  readonly ticketKeyRotationMs?: number;
  /** How often each worker's memory and sessions are polled for status(). */
  readonly pollMs?: number;
}

/** One worker as status() reports it. */
export interface WorkerStatus {
  readonly worker: number;
  readonly pid: number;
  readonly state: 'starting' | 'serving' | 'retiring' | 'gone' | 'waiting';
  /** When it started serving (ms since the epoch); 0 if it has not. */
  readonly servingSince: number;
  /** The hash of the config it serves. */
  readonly hash: string;
  /** Last polled resident set size and V8 heap in use, bytes. */
  readonly rss: number;
  readonly heapUsed: number;
  readonly sessions: number;
  /** Replacements of this slot's worker since the group started (crashes and restarts). */
  readonly replacements: number;
  /** Quick deaths in a row; a crash loop from `crashLoopAfter` on. */
  readonly failures: number;
  readonly crashLoop: boolean;
  readonly lastExit: (MemberExit & { readonly unexpected: boolean }) | null;
  readonly healthRunner: boolean;
}

/** The group's status: the config in force (as a server reports it) and every worker. */
export interface GroupStatus extends ServerStatus {
  readonly workersWanted: number;
  readonly workers: readonly WorkerStatus[];
  /** The primary's own RSS, and the sum over the primary and every worker's last poll (bytes). */
  readonly primaryRss: number;
  readonly rss: number;
  readonly scheduling: SchedulingPolicy;
}

/** What one worker did with a reload. */
export interface WorkerReloadReport {
  readonly worker: number;
  readonly pid: number;
  readonly outcome: 'applied' | 'unchanged' | 'refused' | 'rolled-back' | 'rollback-failed';
  readonly hash: string;
  readonly error?: string;
}

/** A reload applied by every worker. */
export interface GroupReloadResult extends ReloadResult {
  readonly workers: readonly WorkerReloadReport[];
}

/** A rolling restart's outcome, one entry per worker slot. */
export interface RestartReport {
  readonly workers: readonly { readonly worker: number; readonly oldPid: number; readonly newPid: number }[];
}

interface Slot {
  readonly slot: number;
  readonly backoff: RestartBackoff;
  member: Member | undefined;
  replacements: number;
  lastExit: (MemberExit & { readonly unexpected: boolean }) | null;
  /** A replacement waiting out its backoff. */
  timer: NodeJS.Timeout | undefined;
  settleTimer: NodeJS.Timeout | undefined;
}

const DEFAULTS = {
  rpcTimeoutMs: 10_000,
  startTimeoutMs: 30_000,
  reloadTimeoutMs: 300_000,
  ticketKeyRotationMs: 12 * 60 * 60 * 1000,
  pollMs: 5_000,
};
/** How long past its grace period a closing worker gets before it is killed. */
const CLOSE_MARGIN_MS = 5_000;

function defaultExec(): string {
  return fileURLToPath(
    new URL(import.meta.url.endsWith('.ts') ? './worker-entry.ts' : './worker-entry.js', import.meta.url),
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class WorkerGroup {
  readonly #log: Logger;
  readonly #options: WorkerGroupOptions;
  readonly #timeouts: MemberTimeouts;
  readonly #slots: Slot[] = [];
  readonly #scheduling: SchedulingPolicy;
  #config: JunctionConfig;
  #message: ConfigMessage;
  #hash: string;
  #version = 1;
  readonly #startedAt = Date.now();
  #appliedAt = this.#startedAt;
  #reloadsApplied = 0;
  #reloadsRefused = 0;
  /** Config-changing steps (reloads, a worker's start) run one at a time, so each worker gets the latest. */
  #queue: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | undefined;
  #restarting: Promise<RestartReport> | undefined;
  #ticketKeys: Buffer = randomBytes(48);
  #rotation: NodeJS.Timeout | undefined;
  #poll: NodeJS.Timeout | undefined;
  /** Runtime certificate changes since the last applied reload, replayed to workers started later. */
  #certificateLog: { kind: 'add' | 'replace' | 'remove'; change: CertificateChange }[] = [];
  #healthRunner: Member | undefined;
  /** Every worker process not yet exited: serving, starting, and those a restart is retiring. */
  readonly #live = new Set<Member>();
  /** Set once every first worker serves: before, a worker that dies fails the start instead. */
  #started = false;
  readonly #noticeListeners = new Map<string, ((from: WorkerReport<unknown>) => void)[]>();

  private constructor(config: JunctionConfig, options: WorkerGroupOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.#config = config;
    this.#message = toConfigMessage(config, options.baseDir);
    this.#hash = configHash(config);
    this.#scheduling = options.scheduling ?? 'none';
    this.#timeouts = {
      rpcMs: options.rpcTimeoutMs ?? DEFAULTS.rpcTimeoutMs,
      startMs: options.startTimeoutMs ?? DEFAULTS.startTimeoutMs,
    };
    for (let slot = 1; slot <= options.workers; slot++) {
      this.#slots.push({
        slot,
        backoff: new RestartBackoff(options.restartPolicy ?? DEFAULT_RESTART_POLICY),
        member: undefined,
        replacements: 0,
        lastExit: null,
        timer: undefined,
        settleTimer: undefined,
      });
    }
  }

  /**
   * Forks the workers and resolves once every one serves `config`. If one cannot start (a listener
   * does not bind, a plugin fails), the others are stopped and this rejects with its reason.
   */
  static async start(config: JunctionConfig, options: WorkerGroupOptions): Promise<WorkerGroup> {
    const group = new WorkerGroup(config, options);
    cluster.schedulingPolicy = group.#scheduling === 'rr' ? cluster.SCHED_RR : cluster.SCHED_NONE;
    cluster.setupPrimary({ exec: options.exec ?? defaultExec(), args: [], silent: false });
    try {
      // In parallel: nothing else runs on the group before start() returns.
      await Promise.all(group.#slots.map((slot) => group.#startIn(slot)));
    } catch (error) {
      group.#closing = Promise.resolve();
      await Promise.all([...group.#live].map((member) => member.retire(0, CLOSE_MARGIN_MS)));
      throw error;
    }
    group.#started = true;
    group.#startTimers();
    group.#log.info(
      { workers: options.workers, scheduling: group.#scheduling },
      `${options.workers} workers serving (scheduling: ${group.#scheduling === 'rr' ? 'round robin in the primary' : "the OS's"})`,
    );
    return group;
  }

  get listeners(): readonly BoundListener[] {
    return this.#serving()[0]?.listeners ?? [];
  }

  get config(): JunctionConfig {
    return this.#config;
  }

  status(): GroupStatus {
    const members = this.#slots.map((s) => s.member).filter((m): m is Member => m !== undefined);
    const primaryRss = process.memoryUsage().rss;
    return {
      version: this.#version,
      hash: this.#hash,
      source: this.#config.source,
      appliedAt: this.#appliedAt,
      startedAt: this.#startedAt,
      sessions: members.reduce((n, m) => n + m.sessions, 0),
      reloadsApplied: this.#reloadsApplied,
      reloadsRefused: this.#reloadsRefused,
      closing: this.#closing !== undefined,
      workersWanted: this.#slots.length,
      workers: this.#slots.map((slot) => this.#slotStatus(slot)),
      primaryRss,
      rss: members.reduce((n, m) => n + m.rss, primaryRss),
      scheduling: this.#scheduling,
    };
  }

  #slotStatus(slot: Slot): WorkerStatus {
    const m = slot.member;
    return {
      worker: slot.slot,
      pid: m?.pid ?? 0,
      state: m === undefined ? 'waiting' : m.state,
      servingSince: m?.servingSince ?? 0,
      hash: m?.hash ?? '',
      rss: m?.rss ?? 0,
      heapUsed: m?.heapUsed ?? 0,
      sessions: m?.sessions ?? 0,
      replacements: slot.replacements,
      failures: slot.backoff.failures,
      crashLoop: slot.backoff.crashLoop,
      lastExit: slot.lastExit,
      healthRunner: m !== undefined && m === this.#healthRunner,
    };
  }

  /**
   * Applies `config` (validated once, by the caller) on every worker. Either every worker serves it
   * afterwards, or the reload is refused: the workers that had applied it go back to the running
   * config (one that cannot is replaced, and its replacement starts on the running config) and this
   * rejects with ReloadError naming each worker's reason.
   */
  reload(config: JunctionConfig): Promise<GroupReloadResult> {
    return this.#serially(() => this.#reload(config));
  }

  async #reload(config: JunctionConfig): Promise<GroupReloadResult> {
    if (this.#closing !== undefined) {
      config.rules?.dispose();
      throw new ReloadError('Junction is shutting down: reload refused');
    }
    const message = toConfigMessage(config, this.#options.baseDir);
    const members = this.#serving();
    const timeout = this.#options.reloadTimeoutMs ?? DEFAULTS.reloadTimeoutMs;
    const outcomes = await Promise.allSettled(members.map((m) => m.rpc.request('reload', message, timeout)));
    const refused = outcomes.some((o) => o.status === 'rejected');
    if (!refused) {
      const results = outcomes.map(
        (o) => (o as PromiseFulfilledResult<WorkerRequests['reload']['reply']>).value,
      );
      // No worker serving (all dead, or in a crash loop): the config is the group's, and the next
      // worker starts on it; this is how a config that crashes workers is replaced.
      const diff = results[0]?.diff ?? diffConfigs(this.#config, config);
      const changed = results.length === 0 ? !isEmptyDiff(diff) : results.some((r) => r.changed);
      members.forEach((m, i) => {
        m.hash = results[i]!.hash;
        m.listeners = results[i]!.listeners;
      });
      const previous = this.#config;
      this.#config = config;
      this.#message = message;
      this.#hash = configHash(config);
      if (changed) {
        this.#version++;
        this.#appliedAt = Date.now();
        this.#certificateLog = [];
      }
      this.#reloadsApplied++;
      if (previous.rules !== config.rules) previous.rules?.dispose();
      return {
        version: this.#version,
        hash: this.#hash,
        diff,
        changed,
        workers: members.map((m, i) => ({
          worker: m.slot,
          pid: m.pid,
          outcome: results[i]!.changed ? 'applied' : 'unchanged',
          hash: results[i]!.hash,
        })),
      };
    }
    this.#reloadsRefused++;
    config.rules?.dispose();
    // Every worker back on the running config: those that applied the new one reload the old.
    const reports: WorkerReloadReport[] = await Promise.all(
      members.map(async (m, i): Promise<WorkerReloadReport> => {
        const outcome = outcomes[i]!;
        if (outcome.status === 'rejected') {
          return {
            worker: m.slot,
            pid: m.pid,
            outcome: 'refused',
            hash: m.hash,
            error: describe(outcome.reason),
          };
        }
        if (!outcome.value.changed) return { worker: m.slot, pid: m.pid, outcome: 'unchanged', hash: m.hash };
        try {
          const back = await m.rpc.request('reload', this.#message, timeout);
          m.hash = back.hash;
          m.listeners = back.listeners;
          return { worker: m.slot, pid: m.pid, outcome: 'rolled-back', hash: back.hash };
        } catch (error) {
          this.#log.error(
            { worker: m.slot, pid: m.pid, err: error },
            `worker ${m.slot} could not go back to the running config: replacing it`,
          );
          void m.retire(this.#config.timeouts.shutdownGraceMs, CLOSE_MARGIN_MS);
          return { worker: m.slot, pid: m.pid, outcome: 'rollback-failed', hash: '', error: describe(error) };
        }
      }),
    );
    const why = reports
      .filter((r) => r.outcome === 'refused')
      .map((r) => `worker ${r.worker} (pid ${r.pid}): ${r.error ?? ''}`)
      .join('; ');
    throw Object.assign(new ReloadError(`reload refused by ${why}; every worker keeps the running config`), {
      workers: reports,
    });
  }

  /** Drains a backend on every worker; true when every worker's attempts finished within `timeoutMs`. */
  async drainBackend(clusterName: string, id: string, timeoutMs = 60_000): Promise<boolean> {
    const drained = await this.#everyWorker(
      'drain-backend',
      { cluster: clusterName, id, timeoutMs },
      timeoutMs + this.#timeouts.rpcMs,
    );
    return drained.every((d) => d.value);
  }

  /** The view of every worker, in slot order (the input of the merges across workers). */
  async reports<K extends QueryKind>(kind: K): Promise<WorkerReport<WorkerRequests[K]['reply']>[]> {
    return this.#everyWorker(kind, null);
  }

  // The read-only views: every worker's, merged (aggregate.ts): counts summed, health combined, with a
  // per-worker breakdown.

  async upstreams(): Promise<GroupUpstreamStatus[]> {
    return mergeUpstreams(await this.reports('upstreams'));
  }

  async clusters(): Promise<GroupClusterStatus[]> {
    return mergeClusters(await this.reports('clusters'));
  }

  async stats(): Promise<GroupStats> {
    return mergeStats(await this.reports('stats'));
  }

  async observe(): Promise<ServerObservation> {
    return mergeObservations(await this.reports('observe'));
  }

  /** Every worker reopens its access log files (SIGUSR1 to the primary). */
  reopenLogs(): void {
    this.#everyWorker('reopen-logs', null).catch((error: unknown) => {
      this.#log.warn({ err: error }, `reopening the access logs failed in a worker: ${describe(error)}`);
    });
  }

  /** Per-request metrics are counted in each worker; the group has no data path to watch. */
  watch(): () => void {
    return () => undefined;
  }

  /** Every worker holds the same certificates; the first one's list. */
  async certificates(): Promise<CertificateInfo[]> {
    return (await this.#firstReport('certificates')).value;
  }

  async addCertificate(listener: string, certificate: CertificateInput): Promise<CertificateInfo> {
    const change = certificateChange(listener, certificate);
    const members = this.#serving();
    const outcomes = await Promise.allSettled(members.map((m) => m.rpc.request('add-certificate', change)));
    const failed = outcomes.find((o) => o.status === 'rejected');
    if (failed !== undefined) {
      // Taken back from the workers that added it, so all hold the same certificates.
      const takeBack: Promise<unknown>[] = [];
      outcomes.forEach((o, i) => {
        if (o.status === 'fulfilled') {
          takeBack.push(members[i]!.rpc.request('remove-certificate', { listener, id: o.value.id }));
        }
      });
      await Promise.allSettled(takeBack);
      throw failed.reason;
    }
    const added = (outcomes[0] as PromiseFulfilledResult<CertificateInfo>).value;
    this.#certificateLog.push({ kind: 'add', change: { ...change, id: added.id } });
    return added;
  }

  async replaceCertificate(
    listener: string,
    id: string,
    certificate: CertificateInput,
  ): Promise<CertificateInfo> {
    const change = { ...certificateChange(listener, certificate), id };
    const replies = await this.#everyWorker('replace-certificate', change);
    this.#certificateLog.push({ kind: 'replace', change });
    return replies[0]!.value;
  }

  async removeCertificate(listener: string, id: string): Promise<void> {
    await this.#everyWorker('remove-certificate', { listener, id });
    this.#certificateLog.push({ kind: 'remove', change: { listener, id } });
  }

  /** Sets the session ticket keys of every worker (the group rotates them itself; see ticketKeyRotationMs). */
  async setTicketKeys(keys: Buffer): Promise<void> {
    this.#ticketKeys = Buffer.from(keys);
    await this.#everyWorker('ticket-keys', { keys: this.#ticketKeys.toString('base64') });
  }

  /**
   * Listens for notices workers send (`health-event`, …): `from` names the worker. The group relays
   * `health-event` from the health runner to every other worker by itself.
   */
  onWorkerNotice<K extends keyof Notices>(
    kind: K,
    listener: (from: WorkerReport<Notices[K]>) => void,
  ): () => void {
    const list = this.#noticeListeners.get(kind) ?? [];
    list.push(listener as (from: WorkerReport<unknown>) => void);
    this.#noticeListeners.set(kind, list);
    return () => {
      this.#noticeListeners.set(
        kind,
        (this.#noticeListeners.get(kind) ?? []).filter((l) => l !== listener),
      );
    };
  }

  /**
   * Replaces every worker, one at a time, with one forked from the code on disk now: the new one
   * serves before the old one is asked to close, and the old one finishes its requests (keep-alive
   * clients get `Connection: close`) within `timeouts.shutdown_grace`. A worker that cannot start
   * stops the restart; the workers not yet replaced keep serving.
   */
  restart(): Promise<RestartReport> {
    if (this.#closing !== undefined)
      return Promise.reject(new ReloadError('Junction is shutting down: restart refused'));
    this.#restarting ??= this.#restart().finally(() => {
      this.#restarting = undefined;
    });
    return this.#restarting;
  }

  async #restart(): Promise<RestartReport> {
    const done: { worker: number; oldPid: number; newPid: number }[] = [];
    this.#log.info({ workers: this.#slots.length }, 'restarting every worker, one at a time');
    for (const slot of this.#slots) {
      if (this.#closing !== undefined) break;
      const old = slot.member;
      // A slot waiting out a backoff gets a worker from disk when its timer fires anyway.
      if (old?.state !== 'serving') continue;
      const fresh = await this.#serially(() => this.#startIn(slot, old));
      done.push({ worker: slot.slot, oldPid: old.pid, newPid: fresh.pid });
      this.#log.info(
        { worker: slot.slot, oldPid: old.pid, pid: fresh.pid },
        `worker ${slot.slot} replaced: pid ${old.pid} → ${fresh.pid}; the old one finishes its requests`,
      );
      const retired = old.retire(this.#config.timeouts.shutdownGraceMs, CLOSE_MARGIN_MS);
      if (old === this.#healthRunner) this.#electHealthRunner();
      await retired;
    }
    this.#log.info({ workers: done.length }, `restart done: ${done.length} workers replaced`);
    return { workers: done };
  }

  /** Closes every worker gracefully (within `graceMs`); resolves when all have exited. */
  close(graceMs: number = this.#config.timeouts.shutdownGraceMs): Promise<void> {
    this.#closing ??= this.#close(graceMs);
    return this.#closing;
  }

  async #close(graceMs: number): Promise<void> {
    clearInterval(this.#rotation);
    clearInterval(this.#poll);
    for (const slot of this.#slots) {
      clearTimeout(slot.timer);
      clearTimeout(slot.settleTimer);
    }
    let stopped = 0;
    // A worker still starting when the close began is retired too, once it shows up here.
    while (this.#live.size > 0) {
      const members = [...this.#live];
      stopped += members.length;
      await Promise.all(members.map((m) => m.retire(graceMs, CLOSE_MARGIN_MS)));
    }
    this.#config.rules?.dispose();
    this.#log.info({ workers: stopped }, 'every worker stopped');
  }

  /** Kills every worker at once (the second shutdown signal). */
  kill(): void {
    for (const member of this.#live) member.kill();
  }

  // ---- supervision ----

  /**
   * Starts a worker in `slot` on the group's config and makes it the slot's worker once it serves.
   * `replacing` keeps serving meanwhile (a restart). Runs inside #serially: no reload overlaps it.
   */
  async #startIn(slot: Slot, replacing?: Member): Promise<Member> {
    if (this.#closing !== undefined)
      throw new WorkerError('JCT_ERR_WORKER_GONE', 'Junction is shutting down');
    const member = new Member(slot.slot, this.#timeouts);
    if (replacing === undefined) slot.member = member;
    // The first worker forked while no live one runs the health checks runs them.
    const runs = this.#healthRunner === undefined || this.#healthRunner.exit !== undefined;
    if (runs) this.#healthRunner = member;
    const tracked = this.#track(slot, member);
    try {
      await member.start(
        {
          config: this.#message,
          ticketKeys: this.#ticketKeys.toString('base64'),
          healthRole: runs ? 'run' : 'follow',
        },
        this.#timeouts,
      );
      for (const { kind, change } of this.#certificateLog)
        await this.#replayCertificate(member, kind, change);
    } catch (error) {
      member.kill();
      await tracked;
      throw error;
    }
    if (!runs) await this.#followRunner(member);
    if (replacing !== undefined) {
      slot.member = member;
      slot.replacements++;
    }
    clearTimeout(slot.settleTimer);
    const policy = this.#options.restartPolicy ?? DEFAULT_RESTART_POLICY;
    slot.settleTimer = setTimeout(() => {
      if (slot.member === member && member.state === 'serving') slot.backoff.settled();
    }, policy.stableAfterMs);
    slot.settleTimer.unref();
    return member;
  }

  #replayCertificate(
    member: Member,
    kind: 'add' | 'replace' | 'remove',
    change: CertificateChange,
  ): Promise<unknown> {
    switch (kind) {
      case 'add':
        return member.rpc.request('add-certificate', change);
      case 'replace':
        return member.rpc.request('replace-certificate', { ...change, id: change.id ?? '' });
      case 'remove':
        return member.rpc.request('remove-certificate', { listener: change.listener, id: change.id ?? '' });
    }
  }

  /** Wires a member's notices and its exit; resolves when it has exited. */
  async #track(slot: Slot, member: Member): Promise<void> {
    this.#live.add(member);
    member.rpc.onNotice('health-event', (body) => {
      this.#emitNotice('health-event', member, body);
      // Only the runner's results count; a follower that sends one is ignored.
      if (member !== this.#healthRunner) return;
      for (const other of this.#serving()) if (other !== member) other.rpc.notify('health-event', body);
    });
    const exit = await member.exited;
    this.#live.delete(member);
    const wasRetiring = member.retireRequested;
    if (member === this.#healthRunner && this.#closing === undefined) this.#electHealthRunner();
    // Replaced by a restart, or a replacement that never served: the slot's worker is another.
    if (slot.member !== member) return;
    slot.lastExit = { ...exit, unexpected: !wasRetiring };
    if (this.#closing !== undefined || !this.#started) return;
    slot.member = undefined;
    slot.replacements++;
    if (wasRetiring) {
      // Retired on purpose (it could not go back after a refused reload): replaced at once.
      this.#scheduleReplacement(slot, 0);
      return;
    }
    const uptime = member.servingSince === 0 ? 0 : exit.at - member.servingSince;
    const decision = slot.backoff.died(uptime);
    const fields = {
      worker: slot.slot,
      pid: member.pid,
      exit: describeExit(exit),
      uptimeMs: uptime,
      failures: decision.failures,
      delayMs: decision.delayMs,
    };
    if (decision.crashLoop) {
      this.#log.error(
        fields,
        `worker ${slot.slot} is in a crash loop (${decision.failures} quick deaths in a row): next start in ${decision.delayMs} ms`,
      );
    } else {
      this.#log.error(
        fields,
        `worker ${slot.slot} (pid ${member.pid}) died (${describeExit(exit)}): replacing it${decision.delayMs > 0 ? ` in ${decision.delayMs} ms` : ''}`,
      );
    }
    this.#scheduleReplacement(slot, decision.delayMs);
  }

  #scheduleReplacement(slot: Slot, delayMs: number): void {
    clearTimeout(slot.timer);
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      if (this.#closing !== undefined || slot.member !== undefined) return;
      this.#serially(() => this.#startIn(slot)).then(
        (member) => {
          this.#log.info(
            { worker: slot.slot, pid: member.pid },
            `worker ${slot.slot} replaced (pid ${member.pid})`,
          );
        },
        (error: unknown) => {
          // Its exit is tracked like any other death: the next attempt waits longer.
          this.#log.error(
            { worker: slot.slot, err: error },
            `worker ${slot.slot} could not start: ${describe(error)}`,
          );
        },
      );
    }, delayMs);
  }

  #electHealthRunner(): void {
    const next = this.#serving()[0];
    this.#healthRunner = next;
    if (next === undefined) return;
    this.#log.info(
      { worker: next.slot, pid: next.pid },
      `worker ${next.slot} now runs the active health checks`,
    );
    next.rpc.request('health-role', { role: 'run' satisfies HealthRole }).catch((error: unknown) => {
      this.#log.warn({ worker: next.slot, err: error }, 'could not hand the health checks over');
    });
  }

  /** A new follower starts from what the runner has found so far (else it would wait for a change). */
  async #followRunner(member: Member): Promise<void> {
    const runner = this.#healthRunner;
    if (runner === undefined || runner === member || runner.state !== 'serving') return;
    try {
      const state = await runner.rpc.request('health-state', null);
      await member.rpc.request('health-role', { role: 'follow', state });
    } catch (error) {
      this.#log.warn(
        { worker: member.slot, err: error },
        `the runner's health state was not passed on: ${describe(error)}`,
      );
    }
  }

  #emitNotice(kind: string, member: Member, body: unknown): void {
    for (const listener of this.#noticeListeners.get(kind) ?? []) {
      listener({ worker: member.slot, pid: member.pid, value: body });
    }
  }

  #startTimers(): void {
    const rotationMs = this.#options.ticketKeyRotationMs ?? DEFAULTS.ticketKeyRotationMs;
    if (rotationMs > 0) {
      this.#rotation = setInterval(() => {
        this.setTicketKeys(randomBytes(48)).then(
          () => {
            this.#log.info('TLS session ticket keys rotated on every worker');
          },
          (error: unknown) => {
            this.#log.warn(
              { err: error },
              `rotating the TLS session ticket keys failed on a worker: ${describe(error)}`,
            );
          },
        );
      }, rotationMs);
      this.#rotation.unref();
    }
    const pollMs = this.#options.pollMs ?? DEFAULTS.pollMs;
    const poll = (): void => {
      for (const member of this.#serving()) {
        member.rpc.request('status', null).then(
          (s) => {
            member.rss = s.rss;
            member.heapUsed = s.heapUsed;
            member.sessions = s.status.sessions;
          },
          () => undefined,
        );
      }
    };
    poll();
    this.#poll = setInterval(poll, pollMs);
    this.#poll.unref();
  }

  // ---- helpers ----

  #serving(): Member[] {
    return this.#slots.map((s) => s.member).filter((m): m is Member => m?.state === 'serving');
  }

  async #firstReport<K extends QueryKind>(kind: K): Promise<WorkerReport<WorkerRequests[K]['reply']>> {
    const member = this.#serving()[0];
    if (member === undefined) throw new WorkerError('JCT_ERR_WORKER_GONE', 'no worker is serving');
    const value = await member.rpc.request(kind, null);
    return { worker: member.slot, pid: member.pid, value };
  }

  /** Asks every serving worker; rejects with the first failure (every one must succeed). */
  async #everyWorker<K extends keyof WorkerRequests>(
    kind: K,
    body: WorkerRequests[K]['request'],
    timeoutMs?: number,
  ): Promise<WorkerReport<WorkerRequests[K]['reply']>[]> {
    const members = this.#serving();
    return Promise.all(
      members.map(async (m) => ({
        worker: m.slot,
        pid: m.pid,
        value: await m.rpc.request(kind, body, timeoutMs),
      })),
    );
  }

  #serially<T>(task: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(task);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}

function certificateChange(listener: string, input: CertificateInput): CertificateChange {
  if (input.certFile !== undefined || input.keyFile !== undefined || input.ocspFile !== undefined) {
    throw new WorkerError(
      'JCT_ERR_WORKER_FAILED',
      'certificates given as files cannot be sent to workers: give PEM text',
    );
  }
  return {
    listener,
    id: input.id,
    cert: input.cert,
    key: input.key,
    names: input.names,
    ocsp: input.ocsp?.toString('base64'),
    isDefault: input.isDefault,
  };
}
