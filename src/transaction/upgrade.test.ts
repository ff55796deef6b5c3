import { fc, test as propTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { parseRequestHead, parseResponseHead } from '../codec/index.ts';
import type { RequestHead, ResponseHead } from '../codec/types.ts';
import { serializeSwitchingHead, serializeUpstreamRequestHead } from './forward-heads.ts';
import { offeredProtocols, upgradeDecision } from './upgrade.ts';

const LIMITS = { maxHeadBytes: 32 * 1024, maxHeaderCount: 100, maxRequestLineBytes: 8 * 1024 };
const FORWARDED = { xForwardedFor: false, xForwardedProto: false, xForwardedHost: false };

function request(text: string): RequestHead {
  const step = parseRequestHead(Buffer.from(text, 'latin1'), 0, text.length, LIMITS);
  if (step.kind !== 'done') throw new Error(`not a request head: ${step.kind}`);
  return step.head;
}

function response(text: string): ResponseHead {
  const step = parseResponseHead(Buffer.from(text, 'latin1'), 0, text.length, LIMITS, 'GET');
  if (step.kind !== 'done') throw new Error(`not a response head: ${step.kind}`);
  return step.head;
}

const WS = 'GET /chat HTTP/1.1\r\nHost: a.test\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n';

describe('upgradeDecision', () => {
  test.each<[string, string, boolean | readonly string[], string]>([
    ['a WebSocket upgrade on a route that allows any', `${WS}\r\n`, true, 'tunnel'],
    ['a WebSocket upgrade on a route that allows none', `${WS}\r\n`, false, 'refused'],
    ['a WebSocket upgrade on a route that lists it', `${WS}\r\n`, ['websocket'], 'tunnel'],
    ['a protocol the route does not list', `${WS}\r\n`, ['h2c'], 'refused'],
    [
      'several protocols, one not listed',
      'GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket, h2c\r\n\r\n',
      ['websocket'],
      'refused',
    ],
    [
      'HTTP/1.0 (RFC 9110 §7.8: ignored)',
      'GET / HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: x\r\n\r\n',
      true,
      'plain',
    ],
    ['a Content-Length body', `${WS}Content-Length: 2\r\n\r\n`, true, 'plain'],
    ['a chunked body', `${WS}Transfer-Encoding: chunked\r\n\r\n`, true, 'plain'],
    ['Content-Length: 0 is no body', `${WS}Content-Length: 0\r\n\r\n`, true, 'tunnel'],
  ])('%s', (_name, text, policy, expected) => {
    const head = request(text);
    expect(head.upgrade).toBe(true);
    expect(upgradeDecision(head, policy)).toBe(expected);
  });

  test('offered protocols drop versions and case', () => {
    expect(offeredProtocols(['Upgrade', 'WebSocket, HTTP/2.0 ,', 'upgrade', 'h2c'])).toEqual([
      'websocket',
      'http',
      'h2c',
    ]);
  });
});

const TOKEN = fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,12}$/);

describe('offeredProtocols, whatever the list', () => {
  propTest.prop(
    [
      fc.array(fc.tuple(TOKEN, fc.option(TOKEN, { nil: undefined }), fc.constantFrom('', ' ', '  ')), {
        minLength: 1,
        maxLength: 6,
      }),
    ],
    {
      numRuns: Number(process.env['JUNCTION_FC_RUNS'] ?? 200),
      ...(process.env['JUNCTION_FC_SEED'] === undefined
        ? {}
        : { seed: Number(process.env['JUNCTION_FC_SEED']) }),
    },
  )('names every protocol once, lower-cased and without its version, in order', (items) => {
    const value = items
      .map(([name, version, space]) => `${space}${name}${version === undefined ? '' : `/${version}`}${space}`)
      .join(',');
    expect(offeredProtocols(['Upgrade', value])).toEqual(items.map(([name]) => name.toLowerCase()));
  });
});

describe('upgrade heads', () => {
  test('an upgrade request goes upstream with its Upgrade and Connection: Upgrade only', () => {
    const head = request(`${WS}Sec-WebSocket-Key: abc\r\nKeep-Alive: timeout=5\r\n\r\n`);
    const info = { clientAddress: '10.0.0.1', scheme: 'http' as const, forwarded: FORWARDED };
    expect(serializeUpstreamRequestHead(head, { ...info, upgrade: true })).toBe(
      'GET /chat HTTP/1.1\r\nHost: a.test\r\nUpgrade: websocket\r\nSec-WebSocket-Key: abc\r\nConnection: Upgrade\r\n\r\n',
    );
    // Forwarded without the upgrade: every hop-by-hop field goes.
    expect(serializeUpstreamRequestHead(head, info)).toBe(
      'GET /chat HTTP/1.1\r\nHost: a.test\r\nSec-WebSocket-Key: abc\r\n\r\n',
    );
  });

  test("the 101 keeps the upstream's Upgrade and end-to-end fields, drops hop-by-hop and framing ones", () => {
    const head = response(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade, X-Hop\r\nX-Hop: 1\r\nSec-WebSocket-Accept: xyz\r\nKeep-Alive: timeout=5\r\n\r\n',
    );
    expect(serializeSwitchingHead(head, ['Set-Cookie', 'sticky=1'])).toBe(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: xyz\r\nSet-Cookie: sticky=1\r\nConnection: Upgrade\r\n\r\n',
    );
  });
});
