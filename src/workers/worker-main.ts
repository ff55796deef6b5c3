/**
 * A worker process: one JunctionServer on the config the primary sends, answering the primary's
 * requests (messages.ts) over the cluster IPC channel. It never reads the config file; it imports only
 * the modules the config names. Shutdown is the primary's to order (`close`); a worker also closes
 * gracefully on SIGTERM, SIGINT or SIGQUIT sent to it (a terminal's Ctrl-C reaches every process of the
 * group; a second one exits at once). When the primary is gone, cluster ends the worker at once.
 */
import cluster from 'node:cluster';
import { createLogger, type Logger } from '../log/index.ts';
import type { JunctionMetrics } from '../metrics/index.ts';
import {
  isActiveHealthEvent,
  type ActiveHealthEvent,
  type CertificateInput,
  type JunctionServer,
} from '../server/index.ts';
import { fromConfigMessage } from './config-transfer.ts';
import {
  SLOT_ENV,
  type CertificateChange,
  type HealthRole,
  type Notices,
  type PrimaryRequests,
  type WorkerRequests,
} from './messages.ts';
import { RpcEndpoint, type RpcChannel } from './rpc.ts';

/** The primary's requests time out on its side; this side's own requests are none yet. */
const RPC_TIMEOUT_MS = 30_000;
/** After the server closed and the channel disconnected, a stray handle must not keep the process. */
const EXIT_GRACE_MS = 1_000;
/**
 * How long a closing worker keeps an idle keep-alive connection open for a request its client may be
 * sending now (answered with `Connection: close`) rather than closing under it.
 */
const IDLE_LINGER_MS = 1_000;

type WorkerEndpoint = RpcEndpoint<PrimaryRequests, WorkerRequests, Notices>;

/** The channel to the primary: `process` itself in a cluster worker. */
function processChannel(): RpcChannel {
  return {
    send: (message) => {
      if (process.send === undefined || !process.connected) throw new Error('no channel to the primary');
      process.send(message);
    },
    listen: (listener) => {
      process.on('message', listener);
      return () => process.off('message', listener);
    },
  };
}

function certificateInput(change: CertificateChange): CertificateInput {
  return {
    ...(change.id === undefined ? {} : { id: change.id }),
    ...(change.cert === undefined ? {} : { cert: change.cert }),
    ...(change.key === undefined ? {} : { key: change.key }),
    ...(change.names === undefined ? {} : { names: change.names }),
    ...(change.ocsp === undefined ? {} : { ocsp: Buffer.from(change.ocsp, 'base64') }),
    ...(change.isDefault === undefined ? {} : { isDefault: change.isDefault }),
  };
}

class WorkerProcess {
  readonly #log: Logger;
  readonly #rpc: WorkerEndpoint;
  #server: JunctionServer | undefined;
  #closing: Promise<void> | undefined;
  /** Whether this worker runs the active health checks or follows another's (see messages.ts). */
  #healthRole: HealthRole = 'follow';
  /** While this worker is the health runner: stops publishing its results. */
  #unpublish: (() => void) | undefined;
  /**
   * The per-request metrics, counted from the start when the config has an admin API (the primary
   * scrapes every worker), else from the first scrape.
   */
  #metrics: JunctionMetrics | undefined;

  constructor(log: Logger, rpc: WorkerEndpoint) {
    this.#log = log;
    this.#rpc = rpc;
  }

  get healthRole(): HealthRole {
    return this.#healthRole;
  }

  #requireServer(): JunctionServer {
    if (this.#server === undefined) throw new Error('this worker has not started yet');
    return this.#server;
  }

  install(): void {
    const rpc = this.#rpc;
    rpc.handle('start', async (request) => {
      if (this.#server !== undefined) throw new Error('this worker has started already');
      const config = await fromConfigMessage(request.config);
      const { startJunction } = await import('../server/index.ts');
      const server = await startJunction(config, { logger: this.#log, activeHealth: request.healthRole });
      server.setTicketKeys(Buffer.from(request.ticketKeys, 'base64'));
      this.#server = server;
      this.#setHealthRole(request.healthRole, []);
      if (config.admin !== undefined) await this.#requireMetrics();
      return { pid: process.pid, listeners: server.listeners, hash: server.status().hash };
    });
    rpc.handle('reload', async (message) => {
      const server = this.#requireServer();
      const result = await server.reload(await fromConfigMessage(message));
      return { ...result, listeners: server.listeners };
    });
    rpc.handle('status', () => {
      const memory = process.memoryUsage();
      return {
        pid: process.pid,
        // Polled: the last reload's diff (it may name every route) stays here; the primary keeps the group's.
        status: { ...this.#requireServer().status(), lastReload: null },
        rss: memory.rss,
        heapUsed: memory.heapUsed,
      };
    });
    rpc.handle('stats', () => ({ ...this.#requireServer().stats(), rss: process.memoryUsage.rss() }));
    rpc.handle('clusters', () => this.#requireServer().clusters());
    rpc.handle('upstreams', () => this.#requireServer().upstreams());
    rpc.handle('observe', () => this.#requireServer().observe());
    rpc.handle('metrics', async () => {
      const { workerMetricsJson } = await import('../metrics/index.ts');
      return workerMetricsJson(await this.#requireMetrics());
    });
    rpc.handle('recent-failures', async () => (await this.#requireMetrics()).recentFailures());
    rpc.handle('recent-requests', () => this.#requireServer().recentRequests());
    rpc.handle('plugin-hooks', ({ route }) => this.#requireServer().pluginHooks(route ?? undefined));
    rpc.handle('health-state', () => this.#requireServer().activeHealthState());
    rpc.handle('reopen-logs', () => {
      this.#requireServer().reopenLogs();
      return null;
    });
    rpc.onNotice('health-event', (event) => {
      // The runner's results; a runner ignores them (it has its own), and a malformed one is dropped.
      if (this.#healthRole !== 'follow' || !isActiveHealthEvent(event)) return;
      this.#server?.applyActiveHealth(event);
    });
    rpc.handle('drain-backend', ({ cluster: name, id, timeoutMs }) =>
      this.#requireServer().drainBackend(name, id, timeoutMs),
    );
    rpc.handle('cache', (command) => this.#requireServer().cacheCommand(command));
    rpc.handle('certificates', () => this.#requireServer().certificates());
    rpc.handle('add-certificate', (change) =>
      this.#requireServer().addCertificate(change.listener, certificateInput(change)),
    );
    rpc.handle('replace-certificate', (change) =>
      this.#requireServer().replaceCertificate(change.listener, change.id, certificateInput(change)),
    );
    rpc.handle('remove-certificate', ({ listener, id }) => {
      this.#requireServer().removeCertificate(listener, id);
      return null;
    });
    rpc.handle('ticket-keys', ({ keys }) => {
      this.#requireServer().setTicketKeys(Buffer.from(keys, 'base64'));
      return null;
    });
    rpc.handle('health-role', ({ role, state }) => {
      this.#setHealthRole(role, state ?? []);
      return null;
    });
    rpc.handle('close', async ({ graceMs }) => {
      await this.close(graceMs);
      // Answered first; then the channel goes, and with the server closed the process ends.
      setImmediate(() => {
        this.#exit(0);
      });
      return null;
    });

    let signalled = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (signalled) {
        this.#log.warn({ signal }, 'second signal: exiting without waiting for in-flight requests');
        process.exit(1);
      }
      signalled = true;
      void this.close().then(() => {
        this.#exit(0);
      });
    };
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const) process.on(signal, onSignal);
    // Meant for the primary (a terminal's signals reach every process of its group): not ours to act on.
    for (const signal of ['SIGHUP', 'SIGUSR2'] as const) {
      process.on(signal, () => {
        this.#log.debug({ signal }, `${signal} is for the primary; ignored by the worker`);
      });
    }
  }

  /**
   * Runs the active health checks (publishing each result to the primary, which relays them) or
   * follows the runner's, starting from `state`, what the runner has found so far.
   */
  #setHealthRole(role: HealthRole, state: readonly ActiveHealthEvent[]): void {
    const server = this.#requireServer();
    this.#healthRole = role;
    this.#unpublish?.();
    this.#unpublish = undefined;
    server.setActiveHealthMode(role);
    if (role === 'run') {
      this.#unpublish = server.onActiveHealth((event) => {
        this.#rpc.notify('health-event', event);
      });
      return;
    }
    for (const event of state) server.applyActiveHealth(event);
  }

  async #requireMetrics(): Promise<JunctionMetrics> {
    if (this.#metrics === undefined) {
      const { JunctionMetrics } = await import('../metrics/index.ts');
      this.#metrics ??= new JunctionMetrics(this.#requireServer());
    }
    return this.#metrics;
  }

  /** Closes the server (once); resolves when it is closed. */
  close(graceMs?: number): Promise<void> {
    this.#closing ??= (async () => {
      const server = this.#server;
      if (server !== undefined)
        await server.close(graceMs, { idleLingerMs: Math.min(IDLE_LINGER_MS, graceMs ?? IDLE_LINGER_MS) });
    })().catch((error: unknown) => {
      this.#log.error({ err: error }, 'closing the worker failed');
    });
    return this.#closing;
  }

  #exit(code: number): void {
    this.#rpc.close('exiting');
    if (process.connected) process.disconnect();
    process.exitCode = code;
    setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
  }
}

/** Runs this process as a worker of the group; returns once it answers the primary. */
export function runWorker(): void {
  const slot = Number(process.env[SLOT_ENV]);
  const id = Number.isInteger(slot) && slot > 0 ? slot : (cluster.worker?.id ?? 0);
  const log = createLogger().child({ worker: id });
  const rpc: WorkerEndpoint = new RpcEndpoint<PrimaryRequests, WorkerRequests, Notices>(processChannel(), {
    timeoutMs: RPC_TIMEOUT_MS,
    peer: 'the primary',
  });
  new WorkerProcess(log, rpc).install();
  rpc.notify('ready', { pid: process.pid });
}
