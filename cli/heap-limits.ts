import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';

/** The young generation stops growing at this size: two semi-spaces of 8 MiB. */
export const NEW_SPACE_CAP = 16 * 1024 * 1024;

/**
 * Keeps V8's heap close to what wspeek actually holds. Its live heap is small and steady, while
 * its garbage (records, the UI's drawn lines) comes at the traffic's rate, so over a long capture
 * the slack V8 leaves by default, not live data, set the peak RSS:
 * - the old generation may grow to as much as four times what survived the last major collection
 *   before it collects again: here 1.2 times;
 * - the young generation doubles whenever many objects survive a scavenge, up to two semi-spaces
 *   of 16 MiB: here it stops at NEW_SPACE_CAP. V8 fixes the largest semi-space when the process
 *   starts (node's command line only), but reads its growth factor whenever it grows the young
 *   generation, so growth is switched off after a collection that finds it at the cap, and back on
 *   if V8 has shrunk it (as it does when the process is idle).
 * Node warns that a flag changed after start may do nothing: V8 reads these two at each collection,
 * and the heap-limits test and `npm run soak` check that they take effect.
 */
export function limitHeapGrowth(): void {
  v8.setFlagsFromString('--heap-growing-percent=20');
  let growing = true;
  const observer = new PerformanceObserver(() => {
    const belowCap = newSpaceSize() < NEW_SPACE_CAP;
    if (belowCap === growing) return;
    growing = belowCap;
    v8.setFlagsFromString(`--semi-space-growth-factor=${growing ? 2 : 1}`);
  });
  observer.observe({ entryTypes: ['gc'] });
}

/** The young generation's current size in bytes. */
export function newSpaceSize(): number {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}
