/** Time as Junction reads it: monotonic milliseconds. Injected where tests need to control it. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => performance.now() };
