import { performance } from 'node:perf_hooks';

/**
 * Unix epoch milliseconds with µs precision (the session log's `ts`), monotonic within the
 * process. Rounded here, once, so every record's time is a whole number of µs.
 */
export function now(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000) / 1000;
}
