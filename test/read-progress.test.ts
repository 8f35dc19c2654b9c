import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProgressPacer, QUIET_MS, readProgress, TERMINAL_EVERY_MS } from '../tui/read-progress.js';

const MiB = 1024 * 1024;

test('the progress line: bytes read of the size, the percentage (rounded down), the rate since the start', () => {
  assert.equal(readProgress(50 * MiB, 200 * MiB, 2000), 'reading 50.0 MiB of 200.0 MiB (25%), 25.0 MiB/s');
  assert.equal(readProgress(199.9 * MiB, 200 * MiB, 4000), 'reading 199.9 MiB of 200.0 MiB (99%), 50.0 MiB/s');
  assert.equal(readProgress(200 * MiB, 200 * MiB, 4000), 'reading 200.0 MiB of 200.0 MiB (100%), 50.0 MiB/s');
});

test('an empty file reads as done, and no time elapsed gives no rate', () => {
  assert.equal(readProgress(0, 0, 0), 'reading 0 B of 0 B (100%), –/s');
});

test('nothing is shown in the first second: a small file opens without a progress line', () => {
  for (const terminal of [true, false]) {
    const pacer = new ProgressPacer(terminal);
    assert.equal(pacer.due(100 * MiB, 100 * MiB, QUIET_MS - 1), false);
    assert.equal(pacer.shown, false);
  }
});

test('on a terminal: redrawn at most every 250 ms', () => {
  const pacer = new ProgressPacer(true);
  const due = [1000, 1100, 1249, 1250, 1300, 1500, 1760].map((ms) => pacer.due(ms * 1000, 10 * MiB, ms));
  assert.deepEqual(due, [true, false, false, true, false, true, true]);
  assert.equal(TERMINAL_EVERY_MS, 250);
  assert.equal(pacer.shown, true);
});

test('elsewhere: a line each time another tenth of the file is passed, however often it is asked', () => {
  const pacer = new ProgressPacer(false);
  const shown: number[] = [];
  for (let ms = 1000, read = 0; read <= 100; ms += 50, read += 1) if (pacer.due(read, 100, ms)) shown.push(read);
  assert.deepEqual(shown, [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
});

test('elsewhere, a reading past its first tenth before the first second: the first line is the tenth reached then', () => {
  const pacer = new ProgressPacer(false);
  assert.equal(pacer.due(35, 100, 500), false);
  assert.equal(pacer.due(36, 100, 1000), true);
  assert.equal(pacer.due(39, 100, 1200), false);
  assert.equal(pacer.due(40, 100, 1300), true);
});
