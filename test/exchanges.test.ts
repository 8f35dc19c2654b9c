import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppEntry } from '../core/app/app-entry.js';
import { Exchanges, MAX_OPEN_EXCHANGES } from '../core/app/exchanges.js';
import type { MessageRecord } from '../core/log/records.js';
import { conversation } from './support/app-records.js';

const record = conversation();
/** An empty client message numbered `seq` at `ts`. */
const at = (seq: number, ts: number): MessageRecord => record('client', '', { seq, ts });
const entry = (fields: Partial<AppEntry> = {}): AppEntry => ({ protocol: 'graphql-transport-ws', type: 'x', ...fields });

test('an answer pairs with its request once: pair, latency to the µs, the request\'s name', () => {
  const x = new Exchanges();
  const req = entry({ name: 'OnPrice', id: '1' });
  x.request('1', at(3, 1000), req);
  const res = entry({ id: '1' });
  assert.equal(x.answer('1', at(9, 1003.2004), res), req);
  assert.deepEqual(res, { protocol: 'graphql-transport-ws', type: 'x', id: '1', pair: 3, latencyMs: 3.2, name: 'OnPrice' });
  const again = entry();
  assert.equal(x.answer('1', at(10, 1004), again), null, 'the request is forgotten after its answer');
  assert.equal(again.pair, undefined);
});

test('a reply keeps its own name; several replies leave the request open; the end counts them', () => {
  const x = new Exchanges();
  x.request('s', at(1, 0), entry({ name: 'Sub' }));
  const r1 = entry({ name: 'own' });
  x.reply('s', at(2, 5), r1);
  x.reply('s', at(3, 6), entry());
  const done = entry();
  x.end('s', at(4, 812), done);
  assert.equal(r1.name, 'own');
  assert.deepEqual([done.pair, done.count, done.durationMs, done.name], [1, 2, 812, 'Sub']);
  assert.equal(x.peek('s'), null);
});

test('a request under a key already open replaces it; past the limit the oldest is forgotten', () => {
  const x = new Exchanges();
  x.request('k', at(1, 0), entry({ name: 'old' }));
  x.request('k', at(2, 0), entry({ name: 'new' }));
  assert.equal(x.peek('k')?.name, 'new');
  for (let i = 0; i < MAX_OPEN_EXCHANGES; i++) x.request(`n${i}`, at(10 + i, 0), entry());
  assert.equal(x.peek('k'), null);
  assert.notEqual(x.peek(`n${MAX_OPEN_EXCHANGES - 1}`), null);
});
