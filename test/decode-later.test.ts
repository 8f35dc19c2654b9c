import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeLater, decodeQueuedNow, type Decode } from '../proxy/decode-later.js';

const bytes = (s: string) => Buffer.from(s, 'latin1');

test('copies are decoded after the current turn, in arrival order across connections, with their arrival times', async () => {
  const seen: string[] = [];
  const a: Decode = (from, data, ts) => seen.push(`a ${from} ${data.toString('latin1')} @${ts}`);
  const b: Decode = (from, data, ts) => seen.push(`b ${from} ${data.toString('latin1')} @${ts}`);
  decodeLater(a, 'client', bytes('1'), 10);
  decodeLater(b, 'server', bytes('2'), 11);
  decodeLater(a, 'server', bytes('3'), 12);
  assert.deepEqual(seen, [], 'nothing is decoded while the proxy is still forwarding');
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(seen, ['a client 1 @10', 'b server 2 @11', 'a server 3 @12']);
});

test('decodeQueuedNow decodes everything at once; a call from inside a decode neither repeats nor reorders', () => {
  const seen: string[] = [];
  const nested: Decode = (_from, data) => {
    seen.push(data.toString('latin1'));
    if (data.toString('latin1') === '1') decodeQueuedNow();
  };
  for (const s of ['1', '2', '3']) decodeLater(nested, 'client', bytes(s), 0);
  decodeQueuedNow();
  assert.deepEqual(seen, ['1', '2', '3']);
  decodeQueuedNow();
  assert.deepEqual(seen, ['1', '2', '3'], 'nothing is left to run twice');
});

test('copies queued while a batch runs are decoded in the same call, after it', () => {
  const seen: string[] = [];
  const late: Decode = (_from, data) => seen.push(data.toString('latin1'));
  const first: Decode = (_from, data) => {
    seen.push(data.toString('latin1'));
    decodeLater(late, 'server', bytes('queued during'), 0);
  };
  decodeLater(first, 'client', bytes('first'), 0);
  decodeQueuedNow();
  assert.deepEqual(seen, ['first', 'queued during']);
});
