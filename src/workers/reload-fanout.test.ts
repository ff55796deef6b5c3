import { describe, expect, test } from 'vitest';
import type { ConfigDiff } from '../server/index.ts';
import type { WorkerReloaded } from './messages.ts';
import {
  everyReply,
  recordApplied,
  refusalReason,
  reloadChange,
  type ReloadingWorker,
} from './reload-fanout.ts';

const NO_CHANGE: ConfigDiff = {
  listeners: { added: [], removed: [], modified: [] },
  routes: { added: [], removed: [], modified: [] },
  clusters: { added: [], removed: [], modified: [] },
  backends: { added: [], removed: [], modified: [] },
  settings: [],
};
const ROUTE_ADDED: ConfigDiff = { ...NO_CHANGE, routes: { added: ['api'], removed: [], modified: [] } };

function reply(hash: string, changed: boolean, diff = changed ? ROUTE_ADDED : NO_CHANGE): WorkerReloaded {
  return { version: 2, hash, diff, changed, listeners: [] };
}

function worker(slot: number): ReloadingWorker {
  return { slot, pid: 100 + slot, hash: 'old', listeners: [] };
}

describe('reload fan-out', () => {
  test('every reply only when no worker refused', () => {
    const a = reply('h', true);
    expect(
      everyReply([
        { status: 'fulfilled', value: a },
        { status: 'fulfilled', value: a },
      ]),
    ).toEqual([a, a]);
    expect(
      everyReply([
        { status: 'fulfilled', value: a },
        { status: 'rejected', reason: new Error('no') },
      ]),
    ).toBe(undefined);
    expect(everyReply([])).toEqual([]);
  });

  test('the group changed when any worker applied the config; the first reply’s diff is the group’s', () => {
    const config = {} as never;
    expect(reloadChange([reply('h', false), reply('h', true)], config, config)).toEqual({
      diff: NO_CHANGE,
      changed: true,
    });
    expect(reloadChange([reply('h', false), reply('h', false)], config, config).changed).toBe(false);
  });

  test('an applied reload notes each worker’s hash and listeners and reports each', () => {
    const workers = [worker(1), worker(2)];
    const listeners = [{ name: 'web', address: '127.0.0.1', port: 8080 }] as never;
    const reports = recordApplied(workers, [
      { ...reply('new', true), listeners },
      { ...reply('new', false), listeners },
    ]);
    expect(reports).toEqual([
      { worker: 1, pid: 101, outcome: 'applied', hash: 'new' },
      { worker: 2, pid: 102, outcome: 'unchanged', hash: 'new' },
    ]);
    expect(workers.map((w) => [w.hash, w.listeners])).toEqual([
      ['new', listeners],
      ['new', listeners],
    ]);
  });

  test('a refusal names every refusing worker and its reason, not the others', () => {
    expect(
      refusalReason([
        { worker: 1, pid: 101, outcome: 'rolled-back', hash: 'old' },
        { worker: 2, pid: 102, outcome: 'refused', hash: 'old', error: 'plugin x failed' },
        { worker: 3, pid: 103, outcome: 'refused', hash: 'old', error: 'port in use' },
      ]),
    ).toBe('worker 2 (pid 102): plugin x failed; worker 3 (pid 103): port in use');
  });
});
