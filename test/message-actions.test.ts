import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actionRecord, type ActionRecord } from '../core/log/records.js';
import { MessageActions } from '../tui/message-actions.js';

function act(conn: number, action: ActionRecord['action'], fields: Partial<ActionRecord> = {}): ActionRecord {
  return actionRecord(conn, 1, { from: 'client', to: 'server', action, by: 'user', ...fields });
}

test('action records are linked to their message by connection and seq; the marks follow what was done', () => {
  const a = new MessageActions(100);
  const held = a.add(act(1, 'held', { seq: 4 }))!;
  assert.deepEqual(held.marks, { held: true, dropped: false, edited: false, injected: false });
  assert.deepEqual(a.held().map((m) => `${m.conn}:${m.seq}`), ['1:4']);
  assert.equal(a.add(act(2, 'held', { seq: 4 })), a.of(2, 4), 'another connection, another message');
  const edit = act(1, 'edited', { seq: 4, text: 'x', length: 1 });
  assert.equal(a.add(edit), held);
  assert.equal(held.edit, edit);
  assert.deepEqual(held.marks, { held: true, dropped: false, edited: true, injected: false });
  a.add(act(1, 'forwarded', { seq: 4, text: 'x', length: 1 }));
  assert.deepEqual(held.marks, { held: false, dropped: false, edited: true, injected: false });
  a.add(act(2, 'dropped', { seq: 4 }));
  assert.deepEqual(a.of(2, 4)!.marks, { held: false, dropped: true, edited: false, injected: false });
  assert.deepEqual(a.held(), []);
  assert.deepEqual(held.records.map((r) => r.action), ['held', 'edited', 'forwarded']);
  assert.equal(a.of(1, 5), undefined);
});

test('records without a seq (injected, closed, reset) concern no message; a resend and a re-encoding are linked to theirs', () => {
  const a = new MessageActions(100);
  assert.equal(a.add(act(1, 'injected', { text: 'hi', length: 2 })), null);
  assert.equal(a.add(act(1, 'closed', { code: 1000, reason: '' })), null);
  assert.equal(a.add(act(1, 'reset')), null);
  assert.equal(a.size, 0);
  const resent = a.add(act(1, 'resent', { seq: 2, text: 'hi', length: 2 }))!;
  assert.deepEqual(resent.marks, { held: false, dropped: false, edited: false, injected: false }, 'the original is not the copy');
  assert.equal(a.add(act(1, 'reencode', { seq: 3 }))!.records.length, 1);
  assert.equal(a.size, 2);
});

test('past its capacity the oldest message is forgotten, never one still held', () => {
  const a = new MessageActions(3);
  a.add(act(1, 'held', { seq: 1 }));
  a.add(act(1, 'held', { seq: 2 }));
  a.add(act(1, 'forwarded', { seq: 2 }));
  a.add(act(1, 'held', { seq: 3 }));
  a.add(act(1, 'held', { seq: 4 }));
  assert.equal(a.size, 3);
  assert.ok(a.of(1, 1), 'held: kept');
  assert.equal(a.of(1, 2), undefined, 'the oldest that is not held went');
  assert.ok(a.of(1, 3) && a.of(1, 4));
  assert.deepEqual(a.held().map((m) => m.seq), [1, 3, 4]);
});
