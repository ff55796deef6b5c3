import { describe, expect, test } from 'vitest';
import { describeStrategyContract, makeInput, seededEnv, TestUpstream } from '../contract.test-suite.ts';
import { FAILURE_PENALTY_MS, powerOfTwo } from './power-of-two.ts';

describeStrategyContract({ name: 'power-of-two (in-flight)', plugin: powerOfTwo, options: {} });
describeStrategyContract({
  name: 'power-of-two (ewma)',
  plugin: powerOfTwo,
  options: { metric: 'ewma', decay_ms: 500 },
});

const input = makeInput();
const ok = (durationMs: number) => ({ status: 200, errorCode: undefined, durationMs });

describe('power-of-two', () => {
  test('in-flight: of the two drawn, the one with fewer requests in flight', () => {
    const a = new TestUpstream('a', 1, true, 9);
    const b = new TestUpstream('b', 1, true, 0);
    const s = powerOfTwo.create({ metric: 'in-flight', decayMs: 10_000 }, [a, b], seededEnv(3));
    for (let i = 0; i < 100; i++) expect(s.select(input, undefined)).toBe(b);
    expect(s.select(input, new Set([b]))).toBe(a);
  });

  test('in-flight: the most loaded of three is never picked (it can only lose a comparison)', () => {
    const members = [
      new TestUpstream('a', 1, true, 1),
      new TestUpstream('b', 1, true, 2),
      new TestUpstream('c', 1, true, 7),
    ];
    const s = powerOfTwo.create({ metric: 'in-flight', decayMs: 10_000 }, members, seededEnv(4));
    for (let i = 0; i < 1000; i++) expect(s.select(input, undefined)?.id).not.toBe('c');
  });

  test('ewma: after reported outcomes, prefers the faster upstream', () => {
    const fast = new TestUpstream('fast');
    const slow = new TestUpstream('slow');
    const third = new TestUpstream('third');
    const env = seededEnv(5);
    const s = powerOfTwo.create({ metric: 'ewma', decayMs: 10_000 }, [fast, slow, third], env);
    for (let i = 0; i < 20; i++) {
      env.advance(10);
      s.report!(fast, ok(5));
      s.report!(slow, ok(200));
      s.report!(third, ok(50));
    }
    const counts = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const id = s.select(input, undefined)!.id;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    // Fast wins every draw it is in (2 of 3 pairs); slow loses every draw.
    expect(counts.get('fast')! / 3000).toBeGreaterThan(0.6);
    expect(counts.get('slow')).toBeUndefined();
  });

  test('ewma: load counts too, latency × (in flight + 1)', () => {
    const fast = new TestUpstream('fast', 1, true, 10);
    const slow = new TestUpstream('slow', 1, true, 0);
    const s = powerOfTwo.create({ metric: 'ewma', decayMs: 10_000 }, [fast, slow], seededEnv(6));
    s.report!(fast, ok(10)); // 10 × 11 = 110
    s.report!(slow, ok(50)); // 50 × 1 = 50
    expect(s.select(input, undefined)).toBe(slow);
  });

  test('ewma: a failure is penalised, then forgiven as time passes and fast answers come in', () => {
    const a = new TestUpstream('a');
    const b = new TestUpstream('b');
    const env = seededEnv(8);
    const s = powerOfTwo.create({ metric: 'ewma', decayMs: 1000 }, [a, b], env);
    s.report!(a, ok(10));
    s.report!(b, ok(20));
    expect(s.select(input, undefined)).toBe(a);
    s.report!(a, { status: 0, errorCode: 'CONNECT_REFUSED', durationMs: 1 });
    expect(s.select(input, undefined)).toBe(b); // a now costs FAILURE_PENALTY_MS
    expect(FAILURE_PENALTY_MS).toBeGreaterThan(20);
    for (let i = 0; i < 10; i++) {
      env.advance(1000);
      s.report!(a, ok(10));
      s.report!(b, ok(20));
    }
    expect(s.select(input, undefined)).toBe(a);
  });

  test('ewma: an unmeasured idle upstream is probed; one busy without samples is avoided', () => {
    const measured = new TestUpstream('measured');
    const fresh = new TestUpstream('fresh');
    const s = powerOfTwo.create({ metric: 'ewma', decayMs: 10_000 }, [measured, fresh], seededEnv(9));
    s.report!(measured, ok(30));
    expect(s.select(input, undefined)).toBe(fresh);
    fresh.inFlight = 1;
    expect(s.select(input, undefined)).toBe(measured);
  });

  test('ewma: estimates survive membership changes for upstreams that stay (by id)', () => {
    const a = new TestUpstream('a');
    const b = new TestUpstream('b');
    const s = powerOfTwo.create({ metric: 'ewma', decayMs: 10_000 }, [a, b], seededEnv(10));
    s.report!(a, ok(500));
    s.report!(b, ok(5));
    const a2 = new TestUpstream('a');
    const b2 = new TestUpstream('b');
    s.membersChanged!([a2, b2, new TestUpstream('c', 1, false)]);
    expect(s.select(input, undefined)).toBe(b2);
  });

  test('validates options', () => {
    expect(powerOfTwo.parseOptions({})).toEqual({ metric: 'in-flight', decayMs: 10_000 });
    expect(powerOfTwo.parseOptions({ metric: 'ewma', decay_ms: 250 })).toEqual({
      metric: 'ewma',
      decayMs: 250,
    });
    expect(() => powerOfTwo.parseOptions({ decay: 1 })).toThrow(
      /unknown option 'decay'; did you mean 'decay_ms'\?/,
    );
    expect(() => powerOfTwo.parseOptions({ metric: 'ewm' })).toThrow(/did you mean 'ewma'/);
    expect(() => powerOfTwo.parseOptions({ decay_ms: 100 })).toThrow(/applies only with metric: ewma/);
    expect(() => powerOfTwo.parseOptions({ metric: 'ewma', decay_ms: 0 })).toThrow(/whole number from 1/);
  });
});
