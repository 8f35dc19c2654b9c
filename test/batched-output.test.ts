import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
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

test('drained: nothing to wait for while the stream keeps up; a promise that the stream\'s drain resolves once it is 8 MiB behind', async () => {
  const stream = new EventEmitter() as EventEmitter & { writableLength: number; write(text: string): boolean };
  stream.writableLength = 0;
  stream.write = () => true;
  const b = batchedOutput(stream);
  assert.equal(b.drained(), null);
  stream.writableLength = 9 * 1024 * 1024;
  const waiting = b.drained();
  assert.ok(waiting, 'a promise while the reader is behind');
  let resolved = false;
  void waiting.then(() => (resolved = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(resolved, false, 'not before the drain');
  stream.writableLength = 0;
  stream.emit('drain');
  await waiting;
  assert.equal(resolved, true);
});
