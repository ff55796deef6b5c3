import { describe, expect, it } from 'vitest';
import type { RequestHead } from '../codec/types.ts';
import { REDACTED_VALUE, RequestRing, keptFields } from './request-ring.ts';
import type { SessionPort } from './session-port.ts';

const session = {
  scheme: 'https',
  clientAddress: '192.0.2.7',
  tls: { serverName: 'shop.example.com' },
  listener: { name: 'public' },
} as unknown as SessionPort;

function head(path: string, headers: string[] = ['Host', 'shop.example.com']): RequestHead {
  return {
    method: 'GET',
    target: path,
    host: 'shop.example.com',
    port: '',
    path,
    query: '',
    headers,
  } as unknown as RequestHead;
}

describe('RequestRing', () => {
  it('keeps at most its capacity, oldest first, dropping the oldest', () => {
    const ring = new RequestRing(3);
    for (let i = 1; i <= 5; i += 1) ring.keep(session, head(`/p${i}`));
    expect(ring.size).toBe(3);
    expect(ring.list().map((k) => k.target)).toEqual(['/p3', '/p4', '/p5']);
  });

  it('lists what it has before it is full', () => {
    const ring = new RequestRing(4);
    ring.keep(session, head('/a'));
    ring.keep(session, head('/b'));
    expect(ring.list().map((k) => k.target)).toEqual(['/a', '/b']);
  });

  it('keeps the method, target, client, SNI and listener', () => {
    const ring = new RequestRing(1);
    ring.keep(session, head('/cart?x=1'));
    expect(ring.list()[0]).toMatchObject({
      method: 'GET',
      scheme: 'https',
      host: 'shop.example.com',
      target: '/cart?x=1',
      client: '192.0.2.7',
      sni: 'shop.example.com',
      listener: 'public',
    });
  });

  it('keeps credentials by name only, in any case', () => {
    const fields = keptFields([
      'Host',
      'shop.example.com',
      'authorization',
      'Bearer secret-token',
      'Proxy-Authorization',
      'Basic c2VjcmV0',
      'COOKIE',
      'session=secret',
      'Set-Cookie',
      'a=secret',
      'X-Auth-Hint',
      'kept',
    ]);
    expect(fields).toEqual([
      ['Host', 'shop.example.com'],
      ['authorization', REDACTED_VALUE],
      ['Proxy-Authorization', REDACTED_VALUE],
      ['COOKIE', REDACTED_VALUE],
      ['Set-Cookie', REDACTED_VALUE],
      ['X-Auth-Hint', 'kept'],
    ]);
    expect(JSON.stringify(fields)).not.toContain('secret');
  });

  it('hands its newest heads to a ring of another size (a reload)', () => {
    const old = new RequestRing(4);
    for (const p of ['/1', '/2', '/3', '/4']) old.keep(session, head(p));
    expect(new RequestRing(2, old).list().map((k) => k.target)).toEqual(['/3', '/4']);
    expect(new RequestRing(8, old).list().map((k) => k.target)).toEqual(['/1', '/2', '/3', '/4']);
  });
});
