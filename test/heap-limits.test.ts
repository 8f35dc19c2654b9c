import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GROWING_PERCENT, MIN_HEADROOM, NEW_SPACE_CAP, growingPercent } from '../cli/heap-limits.js';

const MODULE = fileURLToPath(new URL('../cli/heap-limits.js', import.meta.url));

/**
 * In a child process (the settings are process-wide): objects that live long enough to survive
 * scavenges, so V8 grows its young generation, yielding to the event loop between batches as
 * traffic would. Prints the largest young generation seen.
 */
function largestNewSpace(limited: boolean): number {
  const script = `
    const { limitHeapGrowth, newSpaceSize } = await import(${JSON.stringify(MODULE)});
    if (${limited}) limitHeapGrowth();
    const live = [];
    let largest = 0;
    for (let batch = 0; batch < 150; batch++) {
      for (let i = 0; i < 20000; i++) live.push(new Array(16).fill(batch));
      if (live.length > 200000) live.splice(0, 20000);
      await new Promise((resolve) => setImmediate(resolve));
      largest = Math.max(largest, newSpaceSize());
    }
    console.log(largest);
  `;
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 }).trim());
}

test('without the limit, the workload grows the young generation past the cap', () => {
  assert.ok(largestNewSpace(false) > NEW_SPACE_CAP);
});

test('limitHeapGrowth stops the young generation growing at the cap', () => {
  const largest = largestNewSpace(true);
  assert.ok(largest > 0, 'the young generation was measured');
  assert.ok(largest <= NEW_SPACE_CAP, `largest young generation ${largest} bytes`);
});

test('growingPercent gives a small old generation MIN_HEADROOM to grow, a large one GROWING_PERCENT', () => {
  assert.equal(growingPercent(8 * 1024 * 1024), 200);
  assert.equal(growingPercent(MIN_HEADROOM), 100);
  assert.equal(growingPercent(500 * 1024 * 1024), GROWING_PERCENT);
});

/**
 * In a child process: an old generation of about 12 MB kept alive, then, each turn of the event
 * loop, three 1 MiB buffers and 2.6 MB of base64 strings made and dropped, as a proxy moving 1 MiB
 * messages and logging them does. Prints the major collections V8 ran meanwhile. `growth`: limitHeapGrowth, or a flat 20% as before it kept
 * a minimum headroom.
 */
function majorCollections(growth: 'limited' | 'flat20'): number {
  const script = `
    const { PerformanceObserver, constants } = await import('node:perf_hooks');
    const v8 = await import('node:v8');
    const { limitHeapGrowth } = await import(${JSON.stringify(MODULE)});
    if (${JSON.stringify(growth)} === 'limited') limitHeapGrowth();
    else v8.setFlagsFromString('--heap-growing-percent=20');
    const kept = [];
    for (let i = 0; i < 150000; i++) kept.push({ i, s: 'x' + i });
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    let majors = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++;
    }).observe({ entryTypes: ['gc'] });
    let sink = 0;
    const piece = Buffer.alloc(48 * 1024, 65);
    for (let turn = 0; turn < 400; turn++) {
      for (let i = 0; i < 3; i++) sink += Buffer.alloc(1 << 20)[i];
      for (let i = 0; i < 40; i++) sink += piece.toString('base64').length;
      await new Promise((resolve) => setImmediate(resolve));
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    console.log(majors + (kept.length + sink) * 0);
  `;
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 }).trim());
}

test('with 1 MiB buffers coming and going over a heap past 8 MB, the minimum headroom spares most major collections', () => {
  const flat = majorCollections('flat20');
  const limited = majorCollections('limited');
  assert.ok(flat >= 10, `a flat 20% ran ${flat} major collections: the workload no longer shows the problem`);
  assert.ok(limited * 3 <= flat, `${limited} major collections with the headroom, ${flat} without`);
});

/**
 * In a child process: objects that survive a scavenge or two, made in batches between turns of
 * the event loop. Prints the CPU ticks (/proc) of every thread but the main one: V8's helpers.
 */
function helperThreadTicks(mainThreadOnly: boolean): number {
  const script = `
    const fs = await import('node:fs');
    const { scavengeOnMainThread } = await import(${JSON.stringify(MODULE)});
    if (${mainThreadOnly}) scavengeOnMainThread();
    const live = [];
    for (let i = 0; i < 300; i++) {
      for (let j = 0; j < 20000; j++) live.push({ j, s: [i, j] });
      if (live.length > 100000) live.splice(0, 20000);
      await new Promise((resolve) => setImmediate(resolve));
    }
    let ticks = 0;
    for (const t of fs.readdirSync('/proc/self/task')) {
      if (Number(t) === process.pid) continue;
      const f = fs.readFileSync('/proc/self/task/' + t + '/stat', 'utf8').split(') ')[1].split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    }
    console.log(ticks);
  `;
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 }).trim());
}

test('scavengeOnMainThread leaves V8\'s helper threads most of the scavenging work undone', { skip: !fs.existsSync('/proc/self/task') }, () => {
  const parallel = helperThreadTicks(false);
  const single = helperThreadTicks(true);
  assert.ok(parallel >= 20, `the helpers took ${parallel} ticks with parallel scavenges: the workload no longer shows them`);
  assert.ok(single * 2 <= parallel, `${single} ticks on the main thread only, ${parallel} in parallel`);
});
