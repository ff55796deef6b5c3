import { describe, expect, test } from 'vitest';
import { TXN_HOOKS } from '../hooks/index.ts';
import { TXN_PHASES, handlesAnswer, type TxnPhase } from './phases.ts';

const PHASES = Object.keys(TXN_PHASES) as TxnPhase[];

describe('the phase table', () => {
  test('every hook point has a phase, and every hook phase says where the driver goes next', () => {
    const hooked = new Set(PHASES.map((phase) => TXN_PHASES[phase].hook).filter((hook) => hook !== null));
    // select-alternate runs inside the cache's lookup, synchronously (cache-hooks.ts): no phase of its own.
    const phased = TXN_HOOKS.filter((hook) => hook !== 'select-alternate');
    expect([...hooked].sort()).toEqual([...phased].sort());
    for (const phase of PHASES) {
      const { hook, next } = TXN_PHASES[phase];
      if (hook !== null) expect(next, phase).not.toBeNull();
      if (next !== null) expect(PHASES, `${phase} → ${next}`).toContain(next);
    }
  });

  test('the request phases run in the hook order, from txn-start to dispatch', () => {
    const walked: string[] = [];
    let phase: TxnPhase | null = 'txn-start';
    while (phase !== null) {
      walked.push(phase);
      phase = phase === 'route' ? 'remap' : TXN_PHASES[phase].next;
    }
    expect(walked).toEqual([
      'txn-start',
      'read-request',
      'pre-remap',
      'route',
      'remap',
      'post-remap',
      'dispatch',
    ]);
  });

  test("only the steps that write an answer deal with a hook's answer themselves", () => {
    expect(PHASES.filter(handlesAnswer)).toEqual(['start-response', 'write-local']);
  });
});
