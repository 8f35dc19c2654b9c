import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchedOutput } from '../cli/batched-output.js';

function sink() {
  const writes: string[] = [];
  return { writes, out: { write: (t: string) => writes.push(t) } };
}

test('lines written in one event-loop turn reach the stream in one write, in order', async () => {
  const { writes, out } = sink();
  const b = batchedOutput(out);
  for (let i = 0; i < 100; i++) b.write(`line ${i}\n`);
  assert.equal(writes.length, 0, 'nothing is written synchronously');
  await new Promise((r) => setImmediate(r));
  assert.equal(writes.length, 1);
  assert.equal(writes[0], Array.from({ length: 100 }, (_, i) => `line ${i}\n`).join(''));
});

test('flush writes what is pending at once, and a later turn writes nothing more', async () => {
  const { writes, out } = sink();
  const b = batchedOutput(out);
  b.write('a\n');
  b.flush();
  assert.deepEqual(writes, ['a\n']);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(writes, ['a\n']);
});

test('a batch past 64 KiB goes out without waiting for the turn to end', () => {
  const { writes, out } = sink();
  const b = batchedOutput(out);
  const big = 'x'.repeat(40 * 1024);
  b.write(big);
  assert.equal(writes.length, 0);
  b.write(big);
  assert.equal(writes.length, 1);
  assert.equal(writes[0]!.length, 80 * 1024);
});
