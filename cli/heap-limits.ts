import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import v8 from 'node:v8';

/** The young generation stops growing at this size: two semi-spaces of 8 MiB. */
export const NEW_SPACE_CAP = 16 * 1024 * 1024;

/** Between major collections the old generation may grow by this share of what survived the last one… */
export const GROWING_PERCENT = 20;
/** …or by this much, whichever is more (bench/README.md, record 21). */
export const MIN_HEADROOM = 16 * 1024 * 1024;

/** The spaces V8 counts as the old generation (all but the young generation's). */
const YOUNG = new Set(['new_space', 'new_large_object_space']);

/**
 * Keeps V8's heap close to what wspeek actually holds. Its live heap is small and steady, while
 * its garbage (records, the UI's drawn lines) comes at the traffic's rate, so over a long capture
 * the slack V8 leaves by default, not live data, set the peak RSS:
 * - the old generation may grow to as much as four times what survived the last major collection
 *   before it collects again: here by GROWING_PERCENT, but at least by MIN_HEADROOM. V8 counts the
 *   memory of buffers allocated since the last major collection (socket reads, payloads) against
 *   that growth, and starts marking once less than the young generation's size of it is left: with
 *   a small heap and 1 MiB messages, 20% would mean a major collection every few messages;
 * - the young generation doubles whenever many objects survive a scavenge, up to two semi-spaces
 *   of 16 MiB: here it stops at NEW_SPACE_CAP. V8 fixes the largest semi-space when the process
 *   starts (node's command line only), but reads its growth factor whenever it grows the young
 *   generation, so growth is switched off after a collection that finds it at the cap, and back on
 *   if V8 has shrunk it (as it does when the process is idle).
 * Node warns that a flag changed after start may do nothing: V8 reads both at each collection
 * (the growth of the old generation at the end of each major one, so a new percentage applies from
 * the next), and the heap-limits test and `npm run soak` check that they take effect.
 */
export function limitHeapGrowth(): void {
  // Until the first major collection says what survives, the percentage alone: the heap at start is
  // smaller than what the UI or a capture will hold, and a headroom computed from it would be too large.
  let percent = GROWING_PERCENT;
  v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
  let growing = true;
  const observer = new PerformanceObserver((list) => {
    const spaces = v8.getHeapSpaceStatistics();
    if (list.getEntries().some(isMajor)) {
      const next = growingPercent(oldGenerationSize(spaces));
      if (next !== percent) v8.setFlagsFromString(`--heap-growing-percent=${(percent = next)}`);
    }
    const belowCap = newSpaceSize(spaces) < NEW_SPACE_CAP;
    if (belowCap === growing) return;
    growing = belowCap;
    v8.setFlagsFromString(`--semi-space-growth-factor=${growing ? 2 : 1}`);
  });
  observer.observe({ entryTypes: ['gc'] });
}

/**
 * Scavenges run on the main thread alone. V8's parallel scavenger shares each one out to helper
 * threads; on the benchmark's 2 cores those wait for cores the peers are using, and wspeek spent
 * more CPU per message and paused longer with them (bench/README.md, record 22). Set from inside
 * the process: V8 reads it at each scavenge.
 */
export function scavengeOnMainThread(): void {
  v8.setFlagsFromString('--no-parallel-scavenge');
}

/**
 * Whether a `gc` performance entry starts a new headroom: a mark-compact, or the start of
 * incremental marking. Node reports the incremental kind where marking starts, before the
 * mark-compact that ends it; the percentage set then, from the old generation with its garbage
 * still in it, is the one V8 applies when that cycle ends, a smaller headroom than after the
 * previous mark-compact alone. Measured against mark-compacts alone (bench/README.md, record 21):
 * faster with 1 MiB messages, at the same peak.
 */
function isMajor(entry: PerformanceEntry): boolean {
  const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
  return kind === constants.NODE_PERFORMANCE_GC_MAJOR || kind === constants.NODE_PERFORMANCE_GC_INCREMENTAL;
}

/** The percentage by which an old generation of `size` bytes may grow: GROWING_PERCENT, or MIN_HEADROOM's share of it if more. */
export function growingPercent(size: number): number {
  return Math.max(GROWING_PERCENT, Math.ceil((MIN_HEADROOM / Math.max(size, 1)) * 100));
}

/** The old generation's size in bytes: what V8 weighs against its limit. */
function oldGenerationSize(spaces: v8.HeapSpaceInfo[]): number {
  return spaces.reduce((sum, s) => (YOUNG.has(s.space_name) ? sum : sum + s.space_used_size), 0);
}

/** The young generation's current size in bytes. */
export function newSpaceSize(spaces = v8.getHeapSpaceStatistics()): number {
  return spaces.find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}
