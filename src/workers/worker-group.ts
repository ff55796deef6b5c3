/**
 * The primary's group of worker processes, standing in for one JunctionServer where the admin API,
 * the ConfigStore and the CLI see it: its listeners and config, status, reload, backend drains and
 * certificate changes (sent to every worker; all must succeed), the read-only views (asked of every
 * worker), a rolling restart and close. It supervises the workers: one that dies is replaced (with
 * backoff; a crash loop is reported, not spun), and every worker, replacements included, serves the
 * config the group holds.
 * This file is the composition and the group's state (config in force, slots, live workers, the
 * queue of config-changing steps). Its pieces: slots.ts (a slot, what an exit means for it),
 * health-runner.ts (which worker runs the health checks), reload-fanout.ts (a reload, all or none),
 * group-certificates.ts (certificate changes and their replay), fan-out.ts (asking the workers),
 * upkeep.ts (ticket rotation, status poll), group-types.ts (the shapes it reports).
 */
import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { CacheCommand, CacheReport, PluginHookOwners } from '../server/index.ts';
import { mergeCacheReports } from './cache-merge.ts';
import type { JunctionConfig } from '../config/index.ts';
import { ReloadError, WorkerError } from '../errors/index.ts';
import type { Logger } from '../log/index.ts';
import {
  boundDiff,
  configHash,
  type BoundListener,
  type CertificateInfo,
  type KeptRequest,
  type CertificateInput,
  type LastReload,
  type ServerObservation,
} from '../server/index.ts';
import {
  mergeClusters,
  mergeObservations,
  mergeRecentRequests,
  mergeStats,
  mergeUpstreams,
  type GroupClusterStatus,
  type GroupStats,
  type GroupUpstreamStatus,
  type WorkerReport,
} from './aggregate.ts';
import { toConfigMessage } from './config-transfer.ts';
import { askEvery, askFirst } from './fan-out.ts';
import { addOnEvery, certificateChange, CertificateLog } from './group-certificates.ts';
import {
  describe,
  type GroupReloadResult,
  type GroupStatus,
  type RestartReport,
  type SchedulingPolicy,
  type WorkerGroupOptions,
} from './group-types.ts';
import { HealthRunner } from './health-runner.ts';
import { describeExit, Member, type MemberTimeouts } from './member.ts';
import type { ConfigMessage, Notices, QueryKind, WorkerReloaded, WorkerRequests } from './messages.ts';
import {
  everyReply,
  recordApplied,
  refusalReason,
  reloadChange,
  rollBack,
  sendReload,
} from './reload-fanout.ts';
import { DEFAULT_RESTART_POLICY } from './restart-backoff.ts';
import { deathMessage, decideExit, newSlot, slotStatus, type Slot } from './slots.ts';
import { startStatusPoll, startTicketRotation } from './upkeep.ts';

export type {
  GroupReloadResult,
  GroupStatus,
  RestartReport,
  SchedulingPolicy,
  WorkerGroupOptions,
  WorkerReloadReport,
  WorkerStatus,
} from './group-types.ts';

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
  #lastReload: LastReload | null = null;
  #reloadsRefused = 0;
  /** Config-changing steps (reloads, a worker's start) run one at a time, so each worker gets the latest. */
  #queue: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | undefined;
  #restarting: Promise<RestartReport> | undefined;
  #ticketKeys: Buffer = randomBytes(48);
  #rotation: NodeJS.Timeout | undefined;
  #poll: NodeJS.Timeout | undefined;
  /** Runtime certificate changes since the last applied reload, replayed to workers started later. */
  readonly #certificateLog = new CertificateLog();
  readonly #healthRunner: HealthRunner;
  /** Every worker process not yet exited: serving, starting, and those a restart is retiring. */
  readonly #live = new Set<Member>();
  /** Set once every first worker serves: before, a worker that dies fails the start instead. */
  #started = false;
  readonly #noticeListeners = new Map<string, ((from: WorkerReport<unknown>) => void)[]>();

  private constructor(config: JunctionConfig, options: WorkerGroupOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.#healthRunner = new HealthRunner(options.logger);
    this.#config = config;
    this.#message = toConfigMessage(config, options.baseDir);
    this.#hash = configHash(config);
    this.#scheduling = options.scheduling ?? 'none';
    this.#timeouts = {
      rpcMs: options.rpcTimeoutMs ?? DEFAULTS.rpcTimeoutMs,
      startMs: options.startTimeoutMs ?? DEFAULTS.startTimeoutMs,
    };
    const policy = options.restartPolicy ?? DEFAULT_RESTART_POLICY;
    for (let slot = 1; slot <= options.workers; slot++) this.#slots.push(newSlot(slot, policy));
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
      lastReload: this.#lastReload,
      workersWanted: this.#slots.length,
      workers: this.#slots.map((slot) =>
        slotStatus(slot, slot.member !== undefined && this.#healthRunner.is(slot.member)),
      ),
      primaryRss,
      rss: members.reduce((n, m) => n + m.rss, primaryRss),
      scheduling: this.#scheduling,
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
    const outcomes = await sendReload(members, message, timeout);
    const replies = everyReply(outcomes);
    if (replies === undefined) return this.#refuse(config, members, outcomes, timeout);
    const { diff, changed } = reloadChange(replies, this.#config, config);
    const workers = recordApplied(members, replies);
    const previous = this.#config;
    this.#config = config;
    this.#message = message;
    this.#hash = configHash(config);
    if (changed) {
      this.#version++;
      this.#appliedAt = Date.now();
      this.#lastReload = { at: this.#appliedAt, version: this.#version, diff: boundDiff(diff) };
      this.#certificateLog.clear();
    }
    this.#reloadsApplied++;
    if (previous.rules !== config.rules) previous.rules?.dispose();
    return { version: this.#version, hash: this.#hash, diff, changed, workers };
  }

  /** A worker refused `config`: every worker back on the running config, and the reload rejected. */
  async #refuse(
    config: JunctionConfig,
    members: readonly Member[],
    outcomes: readonly PromiseSettledResult<WorkerReloaded>[],
    timeoutMs: number,
  ): Promise<never> {
    this.#reloadsRefused++;
    config.rules?.dispose();
    const reports = await rollBack(members, outcomes, this.#message, timeoutMs, (m, error) => {
      this.#log.error(
        { worker: m.slot, pid: m.pid, err: error },
        `worker ${m.slot} could not go back to the running config: replacing it`,
      );
      void m.retire(this.#config.timeouts.shutdownGraceMs, CLOSE_MARGIN_MS);
    });
    const why = refusalReason(reports);
    throw Object.assign(new ReloadError(`reload refused by ${why}; every worker keeps the running config`), {
      workers: reports,
    });
  }

  /** Drains a backend on every worker; true when every worker's attempts finished within `timeoutMs`. */
  async drainBackend(clusterName: string, id: string, timeoutMs = 60_000): Promise<boolean> {
    const drained = await askEvery(
      this.#serving(),
      'drain-backend',
      { cluster: clusterName, id, timeoutMs },
      timeoutMs + this.#timeouts.rpcMs,
    );
    return drained.every((d) => d.value);
  }

  /** A cache command in every worker (each has its own cache): the answers summed (cache-admin.ts). */
  async cacheCommand(command: CacheCommand): Promise<CacheReport> {
    const replies = await askEvery(this.#serving(), 'cache', command);
    const reports = replies.flatMap((r) =>
      r.value === null ? [] : [{ worker: r.worker, pid: r.pid, value: r.value }],
    );
    return mergeCacheReports(command, reports);
  }

  /** The view of every worker, in slot order (the input of the merges across workers). */
  async reports<K extends QueryKind>(kind: K): Promise<WorkerReport<WorkerRequests[K]['reply']>[]> {
    return askEvery(this.#serving(), kind, null);
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

  /**
   * Every worker's kept request heads (`explain.keep_requests`), merged newest first and bounded by
   * the setting; null when the ring is off.
   */
  async recentRequests(): Promise<KeptRequest[] | null> {
    return mergeRecentRequests(
      await this.reports('recent-requests'),
      this.#config.explain?.keepRequests ?? 0,
    );
  }

  /** The plugins hooked at each point for a request on `route`: every worker sets up the same ones. */
  async pluginHooks(route: string | undefined): Promise<PluginHookOwners> {
    const member = this.#serving()[0];
    if (member === undefined) throw new WorkerError('JCT_ERR_WORKER_GONE', 'no worker is serving');
    return member.rpc.request('plugin-hooks', { route: route ?? null });
  }

  /** Every worker reopens its access log files (SIGUSR1 to the primary). */
  reopenLogs(): void {
    askEvery(this.#serving(), 'reopen-logs', null).catch((error: unknown) => {
      this.#log.warn({ err: error }, `reopening the access logs failed in a worker: ${describe(error)}`);
    });
  }

  /** Per-request metrics are counted in each worker; the group has no data path to watch. */
  watch(): () => void {
    return () => undefined;
  }

  /** Every worker holds the same certificates; the first one's list. */
  async certificates(): Promise<CertificateInfo[]> {
    return (await askFirst(this.#serving()[0], 'certificates')).value;
  }

  async addCertificate(listener: string, certificate: CertificateInput): Promise<CertificateInfo> {
    const change = certificateChange(listener, certificate);
    const added = await addOnEvery(this.#serving(), change);
    this.#certificateLog.push('add', { ...change, id: added.id });
    return added;
  }

  async replaceCertificate(
    listener: string,
    id: string,
    certificate: CertificateInput,
  ): Promise<CertificateInfo> {
    const change = { ...certificateChange(listener, certificate), id };
    const replies = await askEvery(this.#serving(), 'replace-certificate', change);
    this.#certificateLog.push('replace', change);
    return replies[0]!.value;
  }

  async removeCertificate(listener: string, id: string): Promise<void> {
    await askEvery(this.#serving(), 'remove-certificate', { listener, id });
    this.#certificateLog.push('remove', { listener, id });
  }

  /** Sets the session ticket keys of every worker (the group rotates them itself; see ticketKeyRotationMs). */
  async setTicketKeys(keys: Buffer): Promise<void> {
    this.#ticketKeys = Buffer.from(keys);
    await askEvery(this.#serving(), 'ticket-keys', { keys: this.#ticketKeys.toString('base64') });
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
      if (this.#healthRunner.is(old)) this.#healthRunner.elect(this.#serving());
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
    const runs = this.#healthRunner.claim(member);
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
      await this.#certificateLog.replay(member);
    } catch (error) {
      member.kill();
      await tracked;
      throw error;
    }
    if (!runs) await this.#healthRunner.follow(member);
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

  /** Wires a member's notices and its exit; resolves when it has exited. */
  async #track(slot: Slot, member: Member): Promise<void> {
    this.#live.add(member);
    member.rpc.onNotice('health-event', (body) => {
      this.#emitNotice('health-event', member, body);
      // Only the runner's results count; a follower that sends one is ignored.
      this.#healthRunner.relay(member, body, this.#serving());
    });
    const exit = await member.exited;
    this.#live.delete(member);
    const retiring = member.retireRequested;
    if (this.#healthRunner.is(member) && this.#closing === undefined)
      this.#healthRunner.elect(this.#serving());
    const action = decideExit(
      {
        ownsSlot: slot.member === member,
        retiring,
        closing: this.#closing !== undefined,
        started: this.#started,
        servingSince: member.servingSince,
        exitAt: exit.at,
      },
      slot.backoff,
    );
    if (action.kind === 'ignore') return;
    slot.lastExit = { ...exit, unexpected: !retiring };
    if (action.kind === 'record') return;
    slot.member = undefined;
    slot.replacements++;
    const restart = action.restart;
    // Retired on purpose (it could not go back after a refused reload): replaced at once, unlogged.
    if (restart !== null) {
      const fields = {
        worker: slot.slot,
        pid: member.pid,
        exit: describeExit(exit),
        uptimeMs: action.uptimeMs,
        failures: restart.failures,
        delayMs: restart.delayMs,
      };
      this.#log.error(fields, deathMessage(slot.slot, member.pid, exit, restart));
    }
    this.#scheduleReplacement(slot, action.delayMs);
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

  #emitNotice(kind: string, member: Member, body: unknown): void {
    for (const listener of this.#noticeListeners.get(kind) ?? []) {
      listener({ worker: member.slot, pid: member.pid, value: body });
    }
  }

  #startTimers(): void {
    this.#rotation = startTicketRotation(
      this.#options.ticketKeyRotationMs ?? DEFAULTS.ticketKeyRotationMs,
      (keys) => this.setTicketKeys(keys),
      this.#log,
    );
    this.#poll = startStatusPoll(this.#options.pollMs ?? DEFAULTS.pollMs, () => this.#serving());
  }

  // ---- helpers ----

  #serving(): Member[] {
    return this.#slots.map((s) => s.member).filter((m): m is Member => m?.state === 'serving');
  }

  #serially<T>(task: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(task);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}
