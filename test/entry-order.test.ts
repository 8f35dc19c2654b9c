import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppEntry } from '../core/app/app-entry.js';
import { inEntryOrder } from '../core/app/entry-order.js';

test('an entry\'s fields come out in the documented order, absent ones left out', () => {
  const e: AppEntry = { count: 2, value: { a: 1 }, pair: 3, protocol: 'json-rpc', id: 7, type: 'response', name: 'm', latencyMs: 1, operation: undefined };
  const ordered = inEntryOrder(e);
  assert.deepEqual(Object.keys(ordered), ['protocol', 'type', 'name', 'id', 'pair', 'latencyMs', 'value', 'count']);
  assert.equal(JSON.stringify(ordered), '{"protocol":"json-rpc","type":"response","name":"m","id":7,"pair":3,"latencyMs":1,"value":{"a":1},"count":2}');
});

test('a null value is kept: it is content', () => {
  assert.deepEqual(Object.keys(inEntryOrder({ protocol: 'json-rpc', type: 'response', value: null })), ['protocol', 'type', 'value']);
});
