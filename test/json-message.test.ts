import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isObject, readJsonMessage } from '../core/app/json-message.js';
import type { MessageRecord } from '../core/log/records.js';

function record(fields: Partial<MessageRecord>): MessageRecord {
  return { type: 'message', conn: 1, seq: 1, ts: 1, from: 'client', kind: 'text', length: 2, wireLength: 2, frames: 1, compressed: false, truncated: false, ...fields };
}

test('text is parsed as JSON; a binary payload as UTF-8 JSON', () => {
  assert.deepEqual(readJsonMessage(record({ text: '{"a":[1]}' })), { value: { a: [1] } });
  assert.deepEqual(readJsonMessage(record({ kind: 'binary', base64: Buffer.from('[true]').toString('base64') })), { value: [true] });
});

test('truncated, non-UTF-8 and non-JSON messages say why they cannot be read', () => {
  assert.deepEqual(readJsonMessage(record({ text: '{"a":', truncated: true, length: 900 })), { error: 'truncated: only the first bytes of 900 were kept' });
  assert.deepEqual(readJsonMessage(record({ base64: '/w==' })), { error: 'not valid UTF-8 text' });
  assert.deepEqual(readJsonMessage(record({ text: '{a}' })), { error: 'not JSON' });
});

test('isObject is true for objects only', () => {
  assert.equal(isObject({}), true);
  for (const v of [null, [], 'x', 1, undefined]) assert.equal(isObject(v), false);
});
