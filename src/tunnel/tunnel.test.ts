import { fc, test as propTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { Tunnel, type TunnelHost, type TunnelPeer, type TunnelReport } from './tunnel.ts';

/** A peer that records what the tunnel did to it; `full` makes its writes report a full buffer. */
class FakePeer implements TunnelPeer {
  written: string[] = [];
  ended = false;
  paused = false;
  destroyed = false;
  full = false;
  write(data: Buffer): boolean {
    this.written.push(data.toString());
    return !this.full;
  }
  end(): void {
    this.ended = true;
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

class FakeHost implements TunnelHost {
  time = 1000;
  deadlines: number[] = [];
  reports: TunnelReport[] = [];
  now(): number {
    return this.time;
  }
  setDeadline(ms: number): void {
    this.deadlines.push(ms);
  }
  onTunnelOver(report: TunnelReport): void {
    this.reports.push(report);
  }
}

function setup(early: string | null = null) {
  const client = new FakePeer();
  const upstream = new FakePeer();
  const host = new FakeHost();
  const tunnel = new Tunnel(upstream, host, 5000, early === null ? null : Buffer.from(early));
  tunnel.attachClient(client);
  return { client, upstream, host, tunnel };
}

describe('Tunnel', () => {
  test('upstream bytes from the 101 read go to the client first; bytes move both ways and arm the idle deadline', () => {
    const { client, upstream, host, tunnel } = setup('early');
    tunnel.onClientData(Buffer.from('ping'));
    tunnel.onUpstreamData(Buffer.from('pong'));
    expect(client.written).toEqual(['early', 'pong']);
    expect(upstream.written).toEqual(['ping']);
    expect(tunnel.bytesFromClient).toBe(4);
    expect(tunnel.bytesFromUpstream).toBe(9);
    expect(host.deadlines.every((ms) => ms === 5000)).toBe(true);
    expect(host.deadlines.length).toBeGreaterThanOrEqual(3);
  });

  test('a full side pauses its peer until it drains, in each direction', () => {
    const { client, upstream, tunnel } = setup();
    upstream.full = true;
    tunnel.onClientData(Buffer.from('a'));
    expect(client.paused).toBe(true);
    tunnel.onUpstreamDrain();
    expect(client.paused).toBe(false);
    client.full = true;
    tunnel.onUpstreamData(Buffer.from('b'));
    expect(upstream.paused).toBe(true);
    tunnel.onClientDrain();
    expect(upstream.paused).toBe(false);
  });

  test('a FIN is passed on; after FINs both ways the client closing ends the tunnel cleanly', () => {
    const { client, upstream, host, tunnel } = setup();
    tunnel.onClientEnd();
    expect(upstream.ended).toBe(true);
    expect(client.ended).toBe(false);
    tunnel.onUpstreamData(Buffer.from('last words'));
    tunnel.onUpstreamEnd();
    expect(client.ended).toBe(true);
    expect(client.written).toEqual(['last words']);
    tunnel.onUpstreamClose(undefined);
    expect(host.reports).toHaveLength(0);
    host.time = 1250;
    tunnel.onClientClose(false);
    expect(host.reports).toEqual([
      { durationMs: 250, bytesFromClient: 0, bytesFromUpstream: 10, endedBy: 'client', errorCode: undefined },
    ]);
    expect(client.destroyed).toBe(false);
    expect(host.deadlines.at(-1)).toBe(0);
  });

  test('after the upstream closes cleanly, the client keeps what is buffered for it until it closes', () => {
    const { client, host, tunnel } = setup();
    tunnel.onUpstreamEnd();
    tunnel.onUpstreamClose(undefined);
    expect(client.destroyed).toBe(false);
    expect(host.reports).toHaveLength(0);
    // Nothing can reach the upstream any more: the client's bytes are counted, not written.
    tunnel.onClientData(Buffer.from('too late'));
    tunnel.onClientEnd();
    tunnel.onClientClose(false);
    expect(host.reports[0]).toMatchObject({ endedBy: 'upstream', errorCode: undefined, bytesFromClient: 8 });
  });

  test('an upstream reset cuts the client at once', () => {
    const { client, host, tunnel } = setup();
    tunnel.onUpstreamClose(new Error('ECONNRESET'));
    expect(client.destroyed).toBe(true);
    expect(host.reports[0]).toMatchObject({ endedBy: 'upstream', errorCode: 'JCT_ERR_UPSTREAM_RESET' });
  });

  test('a client that goes without a FIN takes the upstream down', () => {
    const { upstream, host, tunnel } = setup();
    tunnel.onClientClose(true);
    expect(upstream.destroyed).toBe(true);
    expect(host.reports[0]).toMatchObject({ endedBy: 'client', errorCode: 'JCT_ERR_CLIENT_ABORTED' });
  });

  test('the idle deadline destroys both sides, once; later events change nothing', () => {
    const { client, upstream, host, tunnel } = setup();
    tunnel.onDeadline();
    expect(client.destroyed && upstream.destroyed).toBe(true);
    expect(host.reports).toHaveLength(1);
    expect(host.reports[0]).toMatchObject({
      endedBy: 'idle-timeout',
      errorCode: 'JCT_ERR_TUNNEL_IDLE_TIMEOUT',
    });
    tunnel.onClientClose(true);
    tunnel.onUpstreamClose(new Error('late'));
    tunnel.onClientData(Buffer.from('x'));
    expect(host.reports).toHaveLength(1);
    expect(upstream.written).toEqual([]);
    expect(tunnel.isOver).toBe(true);
  });
});

const runs = Number(process.env['JUNCTION_FC_RUNS'] ?? 300);
const seed =
  process.env['JUNCTION_FC_SEED'] === undefined ? undefined : Number(process.env['JUNCTION_FC_SEED']);
const params = { numRuns: runs, ...(seed === undefined ? {} : { seed }) };

const EVENTS = [
  'client-data',
  'upstream-data',
  'client-drain',
  'upstream-drain',
  'client-end',
  'upstream-end',
  'client-close',
  'client-reset',
  'upstream-close',
  'upstream-reset',
  'deadline',
  'client-full',
  'upstream-full',
] as const;

describe('Tunnel, whatever order its events come in', () => {
  propTest.prop([fc.array(fc.constantFrom(...EVENTS), { maxLength: 40 })], params)(
    'reports once, counts every byte, writes no more than came in, and leaves no side open when it ends',
    (events) => {
      const { client, upstream, host, tunnel } = setup();
      let sentByClient = 0;
      let sentByUpstream = 0;
      let clientGone = false;
      let upstreamGone = false;
      for (const event of events) {
        switch (event) {
          case 'client-data':
            if (!tunnel.isOver) sentByClient += 3;
            tunnel.onClientData(Buffer.from('abc'));
            break;
          case 'upstream-data':
            if (!tunnel.isOver) sentByUpstream += 2;
            tunnel.onUpstreamData(Buffer.from('xy'));
            break;
          case 'client-drain':
            client.full = false;
            tunnel.onClientDrain();
            break;
          case 'upstream-drain':
            upstream.full = false;
            tunnel.onUpstreamDrain();
            break;
          case 'client-end':
            tunnel.onClientEnd();
            break;
          case 'upstream-end':
            tunnel.onUpstreamEnd();
            break;
          case 'client-close':
            clientGone = true;
            tunnel.onClientClose(false);
            break;
          case 'client-reset':
            clientGone = true;
            tunnel.onClientClose(true);
            break;
          case 'upstream-close':
            upstreamGone = true;
            tunnel.onUpstreamClose(undefined);
            break;
          case 'upstream-reset':
            upstreamGone = true;
            tunnel.onUpstreamClose(new Error('reset'));
            break;
          case 'deadline':
            tunnel.onDeadline();
            break;
          case 'client-full':
            client.full = true;
            break;
          case 'upstream-full':
            upstream.full = true;
            break;
        }
      }
      expect(host.reports.length).toBeLessThanOrEqual(1);
      // Both connections gone means the tunnel is over: it never outlives its sockets.
      if (clientGone && upstreamGone) expect(tunnel.isOver).toBe(true);
      expect(tunnel.isOver).toBe(host.reports.length === 1);
      expect(tunnel.bytesFromClient).toBe(sentByClient);
      expect(tunnel.bytesFromUpstream).toBe(sentByUpstream);
      // What was written is never more than what came in.
      expect(upstream.written.join('').length).toBeLessThanOrEqual(sentByClient);
      expect(client.written.join('').length).toBeLessThanOrEqual(sentByUpstream);
      const report = host.reports[0];
      if (report !== undefined) {
        expect(report.bytesFromClient).toBeLessThanOrEqual(sentByClient);
        expect(host.deadlines.at(-1)).toBe(0);
        // Each side closed by itself or was destroyed: nothing is left open.
        expect(clientGone || client.destroyed).toBe(true);
        expect(upstreamGone || upstream.destroyed).toBe(true);
      }
    },
  );

  test('a TCP relay lingers after a clean client close: the upstream takes what is in flight, then closes', () => {
    const client = new FakePeer();
    const upstream = new FakePeer();
    const host = new FakeHost();
    const tunnel = new Tunnel(upstream, host, 5000, null, { lingerAfterClientClose: true });
    tunnel.attachClient(client);
    tunnel.onClientData(Buffer.from('last'));
    tunnel.onClientEnd();
    tunnel.onUpstreamEnd();
    tunnel.onClientClose(false);
    expect(upstream.destroyed).toBe(false);
    expect(host.reports).toEqual([]);
    tunnel.onUpstreamClose(undefined);
    expect(host.reports).toEqual([expect.objectContaining({ endedBy: 'client', errorCode: undefined })]);
  });

  test('without lingering, or after a reset, the client closing closes the upstream at once', () => {
    const { client, upstream, host, tunnel } = setup();
    tunnel.onClientEnd();
    tunnel.onClientClose(false);
    expect(upstream.destroyed).toBe(true);
    expect(host.reports).toHaveLength(1);
    const lingering = new Tunnel(new FakePeer(), new FakeHost(), 5000, null, {
      lingerAfterClientClose: true,
    });
    lingering.attachClient(client);
    lingering.onClientClose(true);
    expect(lingering.isOver).toBe(true);
  });
});
