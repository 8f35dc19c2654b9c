import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectRecord, type LogRecord } from '../core/log/records.js';
import { DecodeQueue, type Decode } from '../proxy/decode-queue.js';

const bytes = (s: string) => Buffer.from(s, 'latin1');

/** A queue whose records land in `out`, and a decode that records what it saw as a connect record's client field. */
function setup() {
  const out: string[] = [];
  const queue = new DecodeQueue((r: LogRecord) => out.push(r.type === 'connect' ? r.client : r.type));
  const decoder = (name: string): Decode => (from, data, ts) => queue.decoded(connectRecord(0, ts, `${name} ${from} ${data.toString('latin1')} @${ts}`, null));
  return { out, queue, decoder };
}

test('chunks are decoded after the current turn, in arrival order across connections, with their arrival times', async () => {
  const { out, queue, decoder } = setup();
  const a = decoder('a');
  const b = decoder('b');
  queue.later(a, 'client', bytes('1'), 10);
  queue.later(b, 'server', bytes('2'), 11);
  queue.later(a, 'server', bytes('3'), 12);
  assert.deepEqual(out, [], 'nothing is decoded while the proxy is still forwarding');
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(out, ['a client 1 @10', 'b server 2 @11', 'a server 3 @12']);
});

test('a record of the proxy\'s own goes out after everything queued before it has been decoded', () => {
  const { out, queue, decoder } = setup();
  queue.later(decoder('a'), 'client', bytes('before'), 1);
  queue.emit(connectRecord(2, 2, 'the proxy\'s own', null));
  assert.deepEqual(out, ['a client before @1', 'the proxy\'s own']);
});

test('after() runs a decoder step once the queue is drained', () => {
  const { out, queue, decoder } = setup();
  queue.later(decoder('a'), 'client', bytes('x'), 1);
  queue.after(() => out.push('step'));
  assert.deepEqual(out, ['a client x @1', 'step']);
});

test('two queues are independent: draining one leaves the other\'s chunks queued', () => {
  const one = setup();
  const two = setup();
  one.queue.later(one.decoder('a'), 'client', bytes('1'), 1);
  two.queue.later(two.decoder('b'), 'client', bytes('2'), 2);
  one.queue.drain();
  assert.deepEqual(one.out, ['a client 1 @1']);
  assert.deepEqual(two.out, [], 'the other proxy\'s chunk waits for its own queue');
  two.queue.drain();
  assert.deepEqual(two.out, ['b client 2 @2']);
});

test('a drain from inside a decode neither repeats nor reorders', () => {
  const { out, queue } = setup();
  const nested: Decode = (_from, data) => {
    out.push(data.toString('latin1'));
    if (data.toString('latin1') === '1') queue.drain();
  };
  for (const s of ['1', '2', '3']) queue.later(nested, 'client', bytes(s), 0);
  queue.drain();
  assert.deepEqual(out, ['1', '2', '3']);
  queue.drain();
  assert.deepEqual(out, ['1', '2', '3'], 'nothing is left to run twice');
});

test('chunks queued while a batch runs are decoded in the same drain, after it', () => {
  const { out, queue } = setup();
  const late: Decode = (_from, data) => out.push(data.toString('latin1'));
  const first: Decode = (_from, data) => {
    out.push(data.toString('latin1'));
    queue.later(late, 'server', bytes('queued during'), 0);
  };
  queue.later(first, 'client', bytes('first'), 0);
  queue.drain();
  assert.deepEqual(out, ['first', 'queued during']);
});
