import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateMeter } from '../tui/rate-meter.js';

const T = 1_700_000_000_000;

test('counts messages and bytes of the last second, per direction', () => {
  const r = new RateMeter();
  assert.deepEqual(r.rate('client', T), { messages: 0, bytes: 0 });
  r.record('client', 100, T - 50);
  r.record('client', 20, T - 500);
  r.record('server', 7, T - 10);
  assert.deepEqual(r.rate('client', T), { messages: 2, bytes: 120 });
  assert.deepEqual(r.rate('server', T), { messages: 1, bytes: 7 });
});

test('what is more than a second old no longer counts', () => {
  const r = new RateMeter();
  r.record('client', 10, T);
  r.record('client', 10, T + 500);
  assert.deepEqual(r.rate('client', T + 500), { messages: 2, bytes: 20 });
  // Buckets are 100 ms: the one holding T leaves the window once ten newer buckets exist.
  assert.deepEqual(r.rate('client', T + 999), { messages: 2, bytes: 20 });
  assert.deepEqual(r.rate('client', T + 1000), { messages: 1, bytes: 10 });
  assert.deepEqual(r.rate('client', T + 1600), { messages: 0, bytes: 0 });
  assert.deepEqual(r.rate('client', T + 60_000), { messages: 0, bytes: 0 });
});

test('a bucket reused a second later starts from zero', () => {
  const r = new RateMeter();
  for (let i = 0; i < 5; i++) r.record('server', 1, T + 10);
  r.record('server', 1000, T + 1010); // same bucket index, next second
  assert.deepEqual(r.rate('server', T + 1020), { messages: 1, bytes: 1000 });
});

test('a steady stream: 100 messages a second, 1 KB each', () => {
  const r = new RateMeter();
  for (let t = 0; t < 5000; t += 10) r.record('client', 1024, T + t);
  assert.deepEqual(r.rate('client', T + 4999), { messages: 100, bytes: 102_400 });
  assert.deepEqual(r.rate('server', T + 4999), { messages: 0, bytes: 0 });
});

test('records from the future (clock skew) do not count yet', () => {
  const r = new RateMeter();
  r.record('client', 10, T + 5000);
  assert.deepEqual(r.rate('client', T), { messages: 0, bytes: 0 });
});
