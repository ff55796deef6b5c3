import { describe, expect, test } from 'vitest';
import { AdminError } from '../errors/index.ts';
import { reloadGuardOf } from './explain-route.ts';

describe('reloadGuardOf', () => {
  const query = (text: string) => new URLSearchParams(text);

  test('no max_changed: the reload is not guarded', () => {
    expect(reloadGuardOf(query(''), undefined)).toBeUndefined();
    expect(reloadGuardOf(query(''), {})).toBeUndefined();
  });

  test('a share or a percentage, in the query or the body', () => {
    expect(reloadGuardOf(query('max_changed=0.05'), undefined)).toBe(0.05);
    expect(reloadGuardOf(query('max_changed=10%'), undefined)).toBeCloseTo(0.1);
    expect(reloadGuardOf(query(''), { max_changed: 0 })).toBe(0);
    expect(reloadGuardOf(query(''), { max_changed: '25%' })).toBe(0.25);
  });

  test('anything else is a bad request', () => {
    for (const bad of ['lots', '1.5', '150%', '-1', '']) {
      expect(() => reloadGuardOf(query(`max_changed=${bad}`), undefined)).toThrow(AdminError);
    }
    expect(() => reloadGuardOf(query(''), { max_changed: true })).toThrow(/max_changed/);
    expect(() => reloadGuardOf(query(''), [1])).toThrow(/JSON object/);
  });
});
