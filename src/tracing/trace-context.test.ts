import { expect, test } from 'vitest';
import {
  acceptedTracestate,
  formatTraceparent,
  newSpanId,
  newTraceId,
  parseTraceparent,
} from './trace-context.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

test('a version-00 traceparent gives its ids and flags', () => {
  expect(parseTraceparent(`00-${TRACE}-${SPAN}-01`)).toEqual({ traceId: TRACE, spanId: SPAN, flags: 1 });
  expect(parseTraceparent(` 00-${TRACE}-${SPAN}-00 `)).toEqual({ traceId: TRACE, spanId: SPAN, flags: 0 });
});

test('a malformed traceparent counts as absent', () => {
  for (const value of [
    undefined,
    '',
    'garbage',
    `00-${'0'.repeat(32)}-${SPAN}-01`, // all-zero trace-id
    `00-${TRACE}-${'0'.repeat(16)}-01`, // all-zero parent-id
    `ff-${TRACE}-${SPAN}-01`, // version ff
    `00-${TRACE.toUpperCase()}-${SPAN}-01`, // upper-case hex
    `00-${TRACE}-${SPAN}-01-extra`, // version 00 is exactly 55 characters
    `0g-${TRACE}-${SPAN}-01`,
    `00_${TRACE}-${SPAN}-01`,
    `00-${TRACE.slice(1)}-${SPAN}-01`,
    `00-${TRACE}-${SPAN}-1`,
  ]) {
    expect(parseTraceparent(value), String(value)).toBeNull();
  }
});

test('a future version is read leniently: its known fields, the rest ignored', () => {
  expect(parseTraceparent(`cc-${TRACE}-${SPAN}-01`)?.traceId).toBe(TRACE);
  expect(parseTraceparent(`cc-${TRACE}-${SPAN}-01-what-the-future-holds`)?.spanId).toBe(SPAN);
  expect(parseTraceparent(`cc-${TRACE}-${SPAN}-01x`)).toBeNull();
});

test('tracestate is passed on unchanged when well-formed and short enough, else dropped', () => {
  expect(acceptedTracestate('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE')).toBe(
    'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
  );
  expect(acceptedTracestate('fw529a3039@dt=v, ,x=1')).toBe('fw529a3039@dt=v, ,x=1');
  expect(acceptedTracestate(undefined)).toBeUndefined();
  expect(acceptedTracestate('')).toBeUndefined();
  expect(acceptedTracestate('Upper=1')).toBeUndefined();
  expect(acceptedTracestate('novalue')).toBeUndefined();
  expect(acceptedTracestate('a=b=c')).toBeUndefined();
  expect(acceptedTracestate(`a=${'x'.repeat(255)}`)).toBeDefined();
  expect(acceptedTracestate(Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(','))).toBeUndefined();
  const long = Array.from({ length: 30 }, (_, i) => `key${i}=${'v'.repeat(12)}`).join(',');
  expect(long.length).toBeGreaterThan(512);
  expect(acceptedTracestate(long)).toBeUndefined();
});

test('new ids are lower-case hex of the right length, and differ', () => {
  const traces = new Set<string>();
  for (let i = 0; i < 500; i++) {
    const trace = newTraceId();
    expect(trace).toMatch(/^[0-9a-f]{32}$/);
    expect(newSpanId()).toMatch(/^[0-9a-f]{16}$/);
    traces.add(trace);
  }
  expect(traces.size).toBe(500);
  const value = formatTraceparent(TRACE, SPAN, 1);
  expect(value).toBe(`00-${TRACE}-${SPAN}-01`);
  expect(parseTraceparent(value)).not.toBeNull();
});
