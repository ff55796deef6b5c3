import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IpAddress, type IpSpaceLookup } from '../types.ts';
import { compile, compileError, StubEnv } from './fake-txn.test-suite.ts';
import { IpSpaceError, LiveIpSpace, parseIpSpace, parseRange, splitCsvLine } from './ip-space.ts';
import { createRuleResources, type ReloadSource } from './resources.ts';

function v4(text: string): IpAddress {
  return new IpAddress(4, Uint8Array.from(text.split('.').map(Number)), text);
}

function rowOf(space: IpSpaceLookup, address: IpAddress): unknown {
  return space.lookup(address)?.[0];
}

async function waitFor(check: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('parseRange', () => {
  it('reads networks, single addresses and first-last ranges', () => {
    expect(parseRange('10.0.0.0/8')).toEqual({ family: 4, first: 0x0a000000n, last: 0x0affffffn });
    expect(parseRange('10.1.2.3/8')).toEqual({ family: 4, first: 0x0a000000n, last: 0x0affffffn });
    expect(parseRange('192.0.2.1')).toEqual({ family: 4, first: 0xc0000201n, last: 0xc0000201n });
    expect(parseRange('192.0.2.1 - 192.0.2.9')).toEqual({ family: 4, first: 0xc0000201n, last: 0xc0000209n });
    expect(parseRange('0.0.0.0/0')).toEqual({ family: 4, first: 0n, last: 0xffffffffn });
    expect(parseRange('2001:db8::/32')).toEqual({
      family: 6,
      first: 0x20010db8n << 96n,
      last: (0x20010db8n << 96n) | ((1n << 96n) - 1n),
    });
    expect(parseRange('::ffff:1.2.3.4')).toEqual({
      family: 6,
      first: 0xffff01020304n,
      last: 0xffff01020304n,
    });
    expect(parseRange('[::1]')).toEqual({ family: 6, first: 1n, last: 1n });
  });

  it('says what is wrong with a malformed range', () => {
    expect(parseRange('10.0.0.0/33')).toMatch(/prefix length must be 0 to 32/);
    expect(parseRange('256.0.0.1')).toMatch(/not an address/);
    expect(parseRange('10.0.0.9-10.0.0.1')).toMatch(/ends before it starts/);
    expect(parseRange('10.0.0.1-::1')).toMatch(/mixes IPv4 and IPv6/);
    expect(parseRange('1:2:3:4:5:6:7:8:9')).toMatch(/not an address/);
    expect(parseRange('1::2::3')).toMatch(/not an address/);
    expect(parseRange('example.com')).toMatch(/not an address/);
  });
});

describe('splitCsvLine', () => {
  it('handles quotes, doubled quotes and spaces', () => {
    expect(splitCsvLine('10.0.0.0/8, a ,"b, c","say ""hi""",', 1)).toEqual([
      '10.0.0.0/8',
      'a',
      'b, c',
      'say "hi"',
      '',
    ]);
    expect(() => splitCsvLine('a,"open', 3)).toThrow(IpSpaceError);
  });
});

describe('parseIpSpace lookups', () => {
  const table = parseIpSpace(
    [
      '# network, name',
      '0.0.0.0/0, world',
      '10.0.0.0/8, ten',
      '10.1.0.0/16, ten-one',
      '10.1.2.3, host',
      '10.2.0.0-10.2.0.99, low-hundred',
      '10.2.0.50-10.2.0.149, mid-hundred',
      '',
      '2001:db8::/32, doc6',
      '2001:db8:1::/48, doc6-1',
      '::1, loopback6',
    ].join('\r\n'),
    undefined,
  );

  it('finds IPv4 networks, single addresses and ranges, most specific first', () => {
    expect(table.lookupText('8.8.8.8')).toEqual(['world']);
    expect(table.lookupText('10.9.9.9')).toEqual(['ten']);
    expect(table.lookupText('10.1.9.9')).toEqual(['ten-one']);
    expect(table.lookupText('10.1.2.3')).toEqual(['host']);
    expect(table.lookupText('10.1.2.4')).toEqual(['ten-one']);
    expect(table.lookupText('10.255.255.255')).toEqual(['ten']);
    expect(table.lookupText('11.0.0.0')).toEqual(['world']);
  });

  it('partly overlapping ranges: the smaller wins where they overlap', () => {
    // 100 addresses against 100: the same size, so the later line wins in the overlap.
    expect(table.lookupText('10.2.0.10')).toEqual(['low-hundred']);
    expect(table.lookupText('10.2.0.60')).toEqual(['mid-hundred']);
    expect(table.lookupText('10.2.0.140')).toEqual(['mid-hundred']);
    expect(table.lookupText('10.2.0.150')).toEqual(['ten']);
  });

  it('finds IPv6 networks and addresses; IPv6 misses do not fall into IPv4', () => {
    expect(table.lookupText('2001:db8::5')).toEqual(['doc6']);
    expect(table.lookupText('2001:db8:1:2::5')).toEqual(['doc6-1']);
    expect(table.lookupText('::1')).toEqual(['loopback6']);
    expect(table.lookupText('2001:db9::1')).toBeUndefined();
  });

  it('an IPv4-mapped IPv6 address is looked up as IPv4', () => {
    expect(table.lookupText('::ffff:10.1.2.3')).toEqual(['host']);
  });

  it('a space without a default misses outside its ranges', () => {
    const small = parseIpSpace('192.0.2.0/24,doc\n', undefined);
    expect(small.lookupText('192.0.2.255')).toEqual(['doc']);
    expect(small.lookupText('192.0.3.0')).toBeUndefined();
    expect(small.lookupText('192.0.1.255')).toBeUndefined();
    expect(parseIpSpace('', undefined).lookupText('1.2.3.4')).toBeUndefined();
  });

  it('agrees with a brute-force reference on random overlapping ranges', () => {
    const range = fc
      .tuple(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 63 }))
      .map(([a, b]) => [Math.min(a, b), Math.max(a, b)]);
    fc.assert(
      fc.property(fc.array(range, { maxLength: 12 }), (ranges) => {
        const text = ranges.map(([a, b], i) => `10.0.0.${a}-10.0.0.${b},r${i}`).join('\n');
        const t = parseIpSpace(text, undefined);
        for (let x = 0; x < 64; x++) {
          let best = -1;
          ranges.forEach(([a, b], i) => {
            if (a! <= x && x <= b! && (best < 0 || b! - a! <= ranges[best]![1]! - ranges[best]![0]!))
              best = i;
          });
          const expected = best < 0 ? undefined : [`r${best}`];
          expect(t.lookupText(`10.0.0.${x}`)).toEqual(expected);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('parseIpSpace networks', () => {
  it('agrees with a brute-force reference on random nested networks and ranges', () => {
    const network = fc
      .tuple(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 26, max: 32 }))
      .map(([a, prefix]) => {
        const size = 2 ** (32 - prefix);
        const first = Math.floor(a / size) * size;
        return { text: `10.0.0.${a}/${prefix}`, first, last: first + size - 1 };
      });
    const range = fc
      .tuple(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 63 }))
      .map(([a, b]) => ({
        text: `10.0.0.${Math.min(a, b)} - 10.0.0.${Math.max(a, b)}`,
        first: Math.min(a, b),
        last: Math.max(a, b),
      }));
    fc.assert(
      fc.property(fc.array(fc.oneof(network, range), { maxLength: 12 }), (entries) => {
        const t = parseIpSpace(entries.map((e, i) => `${e.text},r${i}`).join('\n'), undefined);
        for (let x = 0; x < 64; x++) {
          let best = -1;
          entries.forEach((e, i) => {
            const size = e.last - e.first;
            if (
              e.first <= x &&
              x <= e.last &&
              (best < 0 || size <= entries[best]!.last - entries[best]!.first)
            )
              best = i;
          });
          expect(t.lookupText(`10.0.0.${x}`)).toEqual(best < 0 ? undefined : [`r${best}`]);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('loads 50,000 IPv6 networks and finds the first and last of them', () => {
    const lines: string[] = [];
    for (let i = 0; i < 50000; i++) lines.push(`2001:db8:${i.toString(16)}::/48,n${i}`);
    const t = parseIpSpace(lines.join('\n'), undefined);
    expect(t.lookupText('2001:db8:0:1::1')).toEqual(['n0']);
    expect(t.lookupText('2001:db8:c350::1')).toBeUndefined();
    expect(t.lookupText('2001:db8:c34f:1::1')).toEqual(['n49999']);
  });
});

describe('parseIpSpace columns', () => {
  const columns = [
    { name: 'country', type: 'string' },
    { name: 'asn', type: 'integer' },
    { name: 'tier', type: 'enum', keys: ['gold', 'silver'] },
    { name: 'flags', type: 'flags', keys: ['bot', 'vpn', 'tor'] },
  ] as const;

  it('converts each column to its type; an empty cell is null', () => {
    const t = parseIpSpace('10.0.0.0/8,DE,3320,gold,bot vpn\n11.0.0.0/8,,,silver,\n', columns);
    expect(t.lookupText('10.0.0.1')).toEqual(['DE', 3320, 'gold', ['bot', 'vpn']]);
    expect(t.lookupText('11.0.0.1')).toEqual([null, null, 'silver', null]);
  });

  it('reports the line and column of a bad cell, and a wrong column count', () => {
    expect(() => parseIpSpace('# c\n10.0.0.0/8,DE,x,gold,bot\n', columns)).toThrow(
      "line 2: column 2 (asn): 'x' is not an integer",
    );
    expect(() => parseIpSpace('10.0.0.0/8,DE,1,bronze,bot\n', columns)).toThrow(
      /'bronze' is not one of gold, silver/,
    );
    expect(() => parseIpSpace('10.0.0.0/8,DE,1,gold,spy\n', columns)).toThrow(/'spy' is not one of/);
    expect(() => parseIpSpace('10.0.0.0/8,DE\n', columns)).toThrow(
      'line 1: 1 column after the range; the space has 4',
    );
    expect(() => parseIpSpace('\n\nnope,DE\n', undefined)).toThrow(/line 3: 'nope' is not an address/);
  });
});

describe('ip-space-define', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'junction-ipspace-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads a CSV relative to the base directory and defines the space', () => {
    writeFileSync(join(dir, 'geo.csv'), '10.0.0.0/8,DE,1\n192.0.2.0/24,FR,2\n');
    const resources = createRuleResources();
    const env = new StubEnv({ hook: 'post-load', baseDir: dir, resources });
    compile(
      'ip-space-define',
      undefined,
      {
        name: 'geo',
        path: 'geo.csv',
        duration: 0,
        columns: [
          { name: 'country', type: 'string' },
          { name: 'id', type: 'integer' },
        ],
      },
      env,
    );
    const space = resources.ipSpace('geo')!;
    expect(space.lookup(v4('10.2.3.4'))).toEqual(['DE', 1]);
    expect(space.lookup(v4('192.0.2.1'))).toEqual(['FR', 2]);
    expect(space.lookup(v4('8.8.8.8'))).toBeUndefined();
    expect(space instanceof LiveIpSpace && space.columnNames).toEqual(['country', 'id']);
    expect(env.disposers).toEqual([]);
  });

  it('a missing file, a bad line, bad keys and a second definition fail the load', () => {
    writeFileSync(join(dir, 'bad.csv'), '10.0.0.0/8,DE\nnope,FR\n');
    writeFileSync(join(dir, 'ok.csv'), '10.0.0.0/8,DE\n');
    const resources = createRuleResources();
    const load = { hook: 'post-load', baseDir: dir, resources } as const;
    expect(compileError('ip-space-define', undefined, { name: 'a', path: 'missing.csv' }, load)).toMatch(
      /cannot read .*missing\.csv/,
    );
    expect(compileError('ip-space-define', undefined, { name: 'a', path: 'bad.csv' }, load)).toMatch(
      /bad\.csv: line 2: 'nope'/,
    );
    expect(
      compileError('ip-space-define', undefined, { name: 'a', path: 'ok.csv', colour: 1 }, load),
    ).toMatch(/does not take 'colour'/);
    expect(compileError('ip-space-define', undefined, { path: 'ok.csv' }, load)).toMatch(/name must be/);
    expect(compileError('ip-space-define', undefined, 'ok.csv', load)).toMatch(/takes \{ name, path/);
    expect(
      compileError(
        'ip-space-define',
        undefined,
        { name: 'a', path: 'ok.csv', columns: [{ type: 'float' }] },
        load,
      ),
    ).toMatch(/column type must be one of/);
    expect(
      compileError(
        'ip-space-define',
        undefined,
        { name: 'a', path: 'ok.csv', columns: [{ type: 'flags' }] },
        load,
      ),
    ).toMatch(/flags column needs its keys/);
    expect(
      compileError('ip-space-define', undefined, { name: 'a', path: 'ok.csv', duration: 'often' }, load),
    ).toMatch(/duration must be/);
    compile('ip-space-define', undefined, { name: 'a', path: 'ok.csv', duration: 0 }, new StubEnv(load));
    expect(compileError('ip-space-define', undefined, { name: 'a', path: 'ok.csv' }, load)).toMatch(
      /already defined/,
    );
    expect(
      compileError(
        'ip-space-define',
        undefined,
        { name: 'b', path: 'ok.csv' },
        { ...load, hook: 'read-request' },
      ),
    ).toMatch(/not valid/);
  });

  it('re-reads the file when it changes; a bad new file keeps the old space and is reported', async () => {
    const file = join(dir, 'space.csv');
    writeFileSync(file, '10.0.0.0/8,old\n');
    const resources = createRuleResources();
    const reloads: ReloadSource[] = [];
    const errors: string[] = [];
    resources.onReload = (source) => reloads.push(source);
    resources.onReloadError = (error) => errors.push(error.message);
    const env = new StubEnv({ hook: 'post-load', baseDir: dir, resources });
    compile('ip-space-define', undefined, { name: 's', path: 'space.csv', duration: '20ms' }, env);
    const space = resources.ipSpace('s')!;
    expect(rowOf(space, v4('10.0.0.1'))).toBe('old');

    writeFileSync(file, '10.0.0.0/8,newer\n10.1.0.0/16,nested\n');
    await waitFor(() => rowOf(space, v4('10.1.0.1')) === 'nested', 'the new contents');
    expect(rowOf(space, v4('10.0.0.1'))).toBe('newer');
    expect(reloads).toEqual([{ kind: 'ip-space', name: 's', path: file }]);

    writeFileSync(file, '10.0.0.0/8,newer\nbroken line here\n');
    await waitFor(() => errors.length > 0, 'the reload error');
    expect(errors[0]).toMatch(/line 2/);
    expect(rowOf(space, v4('10.1.0.1'))).toBe('nested');

    rmSync(file);
    await waitFor(() => errors.length > 1, 'the missing-file report');
    expect(errors[1]).toMatch(/is gone; the IP space 's' keeps its last contents/);
    expect(rowOf(space, v4('10.1.0.1'))).toBe('nested');

    writeFileSync(file, '10.0.0.0/8,back\n');
    await waitFor(() => rowOf(space, v4('10.0.0.1')) === 'back', 'the file back');

    resources.dispose();
    writeFileSync(file, '10.0.0.0/8,after-dispose-with-more-bytes\n');
    await sleep(120);
    expect(rowOf(space, v4('10.0.0.1'))).toBe('back');
    expect(env.disposers).toHaveLength(1);
    env.dispose();
  });
});
