import { promises as dns } from 'node:dns';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { describe, expect, onTestFinished, test } from 'vitest';
import { AddressRotation, FAILED_ADDRESS_HOLD_MS } from './address-rotation.ts';
import { Connector } from './connector.ts';
import {
  DnsCache,
  SystemDnsSource,
  type DnsAnswer,
  type DnsResult,
  type DnsSource,
  type HostResolver,
  type TtlBounds,
} from './dns-cache.ts';
import type { PoolOptions } from './upstream-pool.ts';
import { waitFor } from '../../test/support/wait-for.ts';
import { attemptOn, closeServer, FakeClock, useConnector } from './sockets.test-suite.ts';

const BOUNDS: TtlBounds = { minTtlMs: 1_000, maxTtlMs: 300_000 };
const POOL: PoolOptions = { maxIdle: 8, idleTimeoutMs: 60_000 };

/** A DNS source the test answers by hand: every query waits until the test settles it. */
class ScriptedDns implements DnsSource {
  readonly queries: { hostname: string; answer(a: DnsAnswer): void; fail(e: Error): void }[] = [];

  resolve(hostname: string): Promise<DnsAnswer> {
    return new Promise((resolve, reject) => {
      this.queries.push({ hostname, answer: resolve, fail: reject });
    });
  }

  /** Settles the latest query. */
  answer(addresses: readonly string[], ttlSeconds: number): void {
    this.queries.at(-1)!.answer({ addresses, ttlSeconds });
  }

  fail(code = 'ENOTFOUND'): void {
    this.queries.at(-1)!.fail(Object.assign(new Error(`queryA ${code}`), { code }));
  }
}

/** A DNS source with fixed answers, settled at once. */
class TableDns implements DnsSource {
  readonly table: Map<string, DnsAnswer>;
  queries = 0;
  constructor(entries: Record<string, DnsAnswer>) {
    this.table = new Map(Object.entries(entries));
  }
  resolve(hostname: string): Promise<DnsAnswer> {
    this.queries++;
    const answer = this.table.get(hostname);
    return answer === undefined
      ? Promise.reject(Object.assign(new Error(`queryA ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }))
      : Promise.resolve(answer);
  }
}

function cacheWith(source: DnsSource) {
  const clock = new FakeClock();
  return { clock, cache: new DnsCache({ source, clock, negativeTtlMs: 5_000 }) };
}

/** The lookup's answer, which must have been cached (synchronous). */
function cached(result: DnsResult | Promise<DnsResult>): DnsResult {
  expect(result).not.toBeInstanceOf(Promise);
  return result as DnsResult;
}

/** Lets settled promises' callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('DnsCache', () => {
  test('a first lookup waits for one query, shared by concurrent asks', async () => {
    const source = new ScriptedDns();
    const { cache } = cacheWith(source);
    const a = cache.lookup('api.internal', BOUNDS);
    const b = cache.lookup('api.internal', BOUNDS);
    expect(a).toBeInstanceOf(Promise);
    expect(source.queries).toHaveLength(1);
    source.answer(['10.0.0.1', '10.0.0.2'], 60);
    expect(await a).toEqual({ addresses: ['10.0.0.1', '10.0.0.2'], error: undefined });
    expect(await b).toBe(await a);
    expect(cached(cache.lookup('api.internal', BOUNDS)).addresses).toEqual(['10.0.0.1', '10.0.0.2']);
  });

  test('honours the TTL: no query before it expires; after, the stale answer is served while one refresh runs', async () => {
    const source = new ScriptedDns();
    const { cache, clock } = cacheWith(source);
    const first = cache.lookup('api.internal', BOUNDS);
    source.answer(['10.0.0.1'], 30);
    await first;
    clock.advance(29_999);
    expect(cached(cache.lookup('api.internal', BOUNDS)).addresses).toEqual(['10.0.0.1']);
    expect(source.queries).toHaveLength(1);
    clock.advance(1);
    // Expired: the old answer comes back at once and one refresh starts behind it.
    expect(cached(cache.lookup('api.internal', BOUNDS)).addresses).toEqual(['10.0.0.1']);
    expect(source.queries).toHaveLength(2);
    clock.advance(500);
    expect(cached(cache.lookup('api.internal', BOUNDS)).addresses).toEqual(['10.0.0.1']);
    expect(source.queries).toHaveLength(2);
    source.answer(['10.0.0.9'], 30);
    await settle();
    expect(cached(cache.lookup('api.internal', BOUNDS)).addresses).toEqual(['10.0.0.9']);
    // The new answer's TTL counts from when it arrived.
    clock.advance(29_999);
    void cache.lookup('api.internal', BOUNDS);
    expect(source.queries).toHaveLength(2);
    clock.advance(1);
    void cache.lookup('api.internal', BOUNDS);
    expect(source.queries).toHaveLength(3);
  });

  test('clamps TTLs to the bounds each caller gives', async () => {
    const source = new ScriptedDns();
    const { cache, clock } = cacheWith(source);
    const zero = cache.lookup('zero.internal', BOUNDS);
    source.answer(['10.0.0.1'], 0);
    await zero;
    const day = cache.lookup('day.internal', BOUNDS);
    source.answer(['10.0.0.2'], 86_400);
    await day;
    expect(source.queries).toHaveLength(2);
    clock.advance(999);
    void cache.lookup('zero.internal', BOUNDS);
    expect(source.queries).toHaveLength(2);
    clock.advance(1);
    void cache.lookup('zero.internal', BOUNDS);
    expect(source.queries.map((q) => q.hostname)).toEqual(['zero.internal', 'day.internal', 'zero.internal']);
    source.answer(['10.0.0.1'], 0);
    // A caller with a smaller maximum refreshes sooner than the default bounds would.
    void cache.lookup('day.internal', { minTtlMs: 1_000, maxTtlMs: 60_000 });
    expect(source.queries).toHaveLength(3);
    clock.advance(59_000);
    void cache.lookup('day.internal', BOUNDS);
    expect(source.queries).toHaveLength(3);
    void cache.lookup('day.internal', { minTtlMs: 1_000, maxTtlMs: 60_000 });
    expect(source.queries.at(-1)?.hostname).toBe('day.internal');
    expect(source.queries).toHaveLength(4);
  });

  test('remembers a failure for the negative TTL, then asks again (and that ask waits)', async () => {
    const source = new ScriptedDns();
    const { cache, clock } = cacheWith(source);
    const first = cache.lookup('gone.internal', BOUNDS);
    source.fail();
    const result = await first;
    expect(result.addresses).toEqual([]);
    expect((result.error as NodeJS.ErrnoException).code).toBe('ENOTFOUND');
    clock.advance(4_999);
    expect(cached(cache.lookup('gone.internal', BOUNDS)).error).toBe(result.error);
    expect(source.queries).toHaveLength(1);
    clock.advance(1);
    const again = cache.lookup('gone.internal', BOUNDS);
    expect(again).toBeInstanceOf(Promise);
    expect(source.queries).toHaveLength(2);
    source.answer(['10.0.0.3'], 60);
    expect((await again).addresses).toEqual(['10.0.0.3']);
  });

  test('an answer with no address counts as a failure', async () => {
    const source = new ScriptedDns();
    const { cache } = cacheWith(source);
    const first = cache.lookup('empty.internal', BOUNDS);
    source.answer([], 60);
    expect((await first).error).toBeInstanceOf(Error);
  });

  test('a failed refresh keeps the last good answer and retries after the negative TTL', async () => {
    const source = new ScriptedDns();
    const { cache, clock } = cacheWith(source);
    const first = cache.lookup('api.internal', BOUNDS);
    source.answer(['10.0.0.1'], 10);
    await first;
    clock.advance(10_000);
    void cache.lookup('api.internal', BOUNDS);
    expect(source.queries).toHaveLength(2);
    source.fail('ETIMEOUT');
    await settle();
    expect(cached(cache.lookup('api.internal', BOUNDS)).addresses).toEqual(['10.0.0.1']);
    clock.advance(4_999);
    void cache.lookup('api.internal', BOUNDS);
    expect(source.queries).toHaveLength(2);
    clock.advance(1);
    expect(cached(cache.lookup('api.internal', BOUNDS)).addresses).toEqual(['10.0.0.1']);
    expect(source.queries).toHaveLength(3);
  });
});

describe('SystemDnsSource', () => {
  test('localhost, known only to the system lookup here, resolves to a loopback address', async () => {
    const answer = await new SystemDnsSource().resolve('localhost');
    expect(answer.addresses.length).toBeGreaterThan(0);
    for (const address of answer.addresses) expect(['127.0.0.1', '::1']).toContain(address);
    expect(answer.ttlSeconds).toBeGreaterThanOrEqual(0);
  });

  test('a name under .invalid rejects', async () => {
    await expect(new SystemDnsSource().resolve('no-such-backend.invalid')).rejects.toThrow();
  });
});

/** Servers on several loopback addresses sharing one port; each records the local address of its accepts. */
async function serversOn(addresses: readonly string[]): Promise<{ port: number; accepted: string[] }> {
  for (let tries = 0; tries < 5; tries++) {
    const accepted: string[] = [];
    const servers: Server[] = [];
    const sockets: Socket[] = [];
    const listen = (address: string, port: number) => {
      const server = createServer((s) => {
        s.on('error', () => undefined);
        sockets.push(s);
        accepted.push(s.localAddress ?? '?');
      });
      servers.push(server);
      return new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, address, () => {
          resolve((server.address() as AddressInfo).port);
        });
      });
    };
    onTestFinished(async () => {
      await Promise.all(servers.filter((s) => s.listening).map((s) => closeServer(s, sockets)));
    });
    try {
      const port = await listen(addresses[0]!, 0);
      for (const address of addresses.slice(1)) await listen(address, port);
      return { port, accepted };
    } catch {
      // The port was taken on one of the other addresses: try another.
    }
  }
  throw new Error('no port free on every address');
}

describe('Connector with names', () => {
  test('successive connects rotate through every address of a name', async () => {
    const { port, accepted } = await serversOn(['127.0.0.1', '127.0.0.2', '127.0.0.3']);
    const source = new TableDns({
      'api.internal': { addresses: ['127.0.0.1', '127.0.0.2', '127.0.0.3'], ttlSeconds: 60 },
    });
    const clock = new FakeClock();
    const connector = useConnector(new Connector(clock, { resolver: new DnsCache({ source, clock }) }));
    const pool = connector.pool('api.internal', port, POOL);
    const dialled: string[] = [];
    for (let i = 0; i < 6; i++) {
      const { conn, error } = await attemptOn(connector, pool);
      expect(error).toBeUndefined();
      dialled.push(conn!.remoteAddress);
    }
    expect(dialled).toEqual(['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.1', '127.0.0.2', '127.0.0.3']);
    expect(accepted.slice().sort()).toEqual(dialled.slice().sort());
    expect(source.queries).toBe(1);
    expect(pool.upstreamId).toBe(`api.internal:${port}`);
  });

  test('an address that failed is passed over while the name has others, until its hold ends', async () => {
    const { port } = await serversOn(['127.0.0.1']);
    const source = new TableDns({
      'api.internal': { addresses: ['127.0.0.2', '127.0.0.1'], ttlSeconds: 600 },
    });
    const clock = new FakeClock();
    const connector = useConnector(new Connector(clock, { resolver: new DnsCache({ source, clock }) }));
    const pool = connector.pool('api.internal', port, POOL);
    const codes: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { conn, error } = await attemptOn(connector, pool);
      codes.push(error?.code ?? conn!.remoteAddress);
    }
    expect(codes).toEqual(['JCT_ERR_CONNECT_REFUSED', '127.0.0.1', '127.0.0.1', '127.0.0.1']);
    clock.advance(FAILED_ADDRESS_HOLD_MS);
    const { error } = await attemptOn(connector, pool);
    expect(error?.code).toBe('JCT_ERR_CONNECT_REFUSED');
  });

  test('resolution is part of the attempt: a resolver that never answers makes JCT_ERR_CONNECT_TIMEOUT', async () => {
    const source = new ScriptedDns();
    const connector = useConnector(new Connector(undefined, { resolver: new DnsCache({ source }) }));
    const pool = connector.pool('slow.internal', 80, POOL);
    const started = performance.now();
    const { error } = await attemptOn(connector, pool, 150);
    expect(error?.code).toBe('JCT_ERR_CONNECT_TIMEOUT');
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect([pool.connectingCount, pool.connectFailures]).toEqual([0, 1]);
  });

  test('a name cached as unresolvable fails with JCT_ERR_CONNECT_UNRESOLVABLE, after connect() returns', async () => {
    const source = new TableDns({});
    const connector = useConnector(new Connector(undefined, { resolver: new DnsCache({ source }) }));
    const pool = connector.pool('gone.internal', 80, POOL);
    expect((await attemptOn(connector, pool)).error?.code).toBe('JCT_ERR_CONNECT_UNRESOLVABLE');
    let returned = false;
    const second = new Promise<{ code: string; duringConnect: boolean }>((resolve) => {
      connector.connect(pool, 1000, {
        onConnected: () => {
          resolve({ code: 'connected', duringConnect: !returned });
        },
        onConnectFailed: (error) => {
          resolve({ code: error.code, duringConnect: !returned });
        },
      });
      returned = true;
    });
    expect(await second).toEqual({ code: 'JCT_ERR_CONNECT_UNRESOLVABLE', duringConnect: false });
    expect(source.queries).toBe(1);
    expect(pool.connectFailures).toBe(2);
  });

  test('a resolver that throws fails the attempt as JCT_ERR_CONNECT_UNRESOLVABLE, not the caller', async () => {
    const resolver: HostResolver = {
      lookup: () => {
        throw new Error('resolver bug');
      },
    };
    const connector = useConnector(new Connector(undefined, { resolver }));
    const pool = connector.pool('api.internal', 80, POOL);
    const { error } = await attemptOn(connector, pool);
    expect(error?.code).toBe('JCT_ERR_CONNECT_UNRESOLVABLE');
    expect(pool.connectingCount).toBe(0);
  });

  test('IP literals never reach the resolver', async () => {
    const { port } = await serversOn(['127.0.0.1']);
    const resolver: HostResolver = {
      lookup: () => {
        throw new Error('the resolver was asked about an IP literal');
      },
    };
    const connector = useConnector(new Connector(undefined, { resolver }));
    const { conn, error } = await attemptOn(connector, connector.pool('127.0.0.1', port, POOL));
    expect(error).toBeUndefined();
    expect(conn?.remoteAddress).toBe('127.0.0.1');
  });

  test('localhost resolves through the system and connects', async () => {
    const loopbacks = (await dns.lookup('localhost', { all: true })).map((a) => a.address);
    const { port, accepted } = await serversOn([...new Set(loopbacks)]);
    const connector = useConnector(new Connector());
    const { conn, error } = await attemptOn(connector, connector.pool('localhost', port, POOL));
    expect(error).toBeUndefined();
    expect(loopbacks).toContain(conn!.remoteAddress);
    await waitFor(() => accepted.length === 1, { what: 'the backend accepted' });
  });
});

describe('AddressRotation', () => {
  test('goes round every address, and round the others while one is held', () => {
    const rotation = new AddressRotation();
    const addresses = ['a', 'b', 'c'];
    expect([0, 1, 2, 3].map(() => rotation.next(addresses, 0))).toEqual(['a', 'b', 'c', 'a']);
    rotation.failed('c', 0);
    expect([0, 1, 2, 3].map(() => rotation.next(addresses, 10))).toEqual(['b', 'a', 'b', 'a']);
    expect(rotation.next(addresses, FAILED_ADDRESS_HOLD_MS)).toBe('b');
    expect(rotation.next(addresses, FAILED_ADDRESS_HOLD_MS)).toBe('c');
  });

  test('with every address held it still rotates; a success lifts a hold', () => {
    const rotation = new AddressRotation();
    const addresses = ['a', 'b'];
    rotation.failed('a', 0);
    rotation.failed('b', 0);
    expect([rotation.next(addresses, 1), rotation.next(addresses, 1)]).toEqual(['a', 'b']);
    rotation.succeeded('b');
    expect([rotation.next(addresses, 1), rotation.next(addresses, 1)]).toEqual(['b', 'b']);
  });

  test('a shorter list after a refresh keeps rotating within it', () => {
    const rotation = new AddressRotation();
    for (let i = 0; i < 5; i++) rotation.next(['a', 'b', 'c', 'd', 'e', 'f'], 0);
    expect([rotation.next(['x', 'y'], 0), rotation.next(['x', 'y'], 0)].sort()).toEqual(['x', 'y']);
  });
});
