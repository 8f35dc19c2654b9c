import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NEW_SPACE_CAP } from '../cli/heap-limits.js';

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
