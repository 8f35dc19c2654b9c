import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectionRecord, LogRecord, MessageRecord } from '../core/log/records.js';
import type { MessageRow } from '../tui/message-rows.js';
import { ViewFraming } from '../tui/view-framing.js';

const connect = (conn: number): ConnectionRecord => ({ type: 'connect', conn, ts: conn, client: `c${conn}`, server: null, tls: false });
const end = (conn: number): ConnectionRecord => ({
  type: 'end', conn, ts: 100 + conn, by: 'client', code: null, clean: false, bytes: { client: 0, server: 0 }, frames: { client: 0, server: 0 }, durationMs: 1, reason: null,
});
const http = (conn: number): ConnectionRecord => ({ type: 'http', conn, ts: conn, method: 'GET', url: 'http://h/', status: 200, ms: 1 });
function row(seq: number, conn: number): MessageRow {
  const record: MessageRecord = { type: 'message', conn, seq, ts: seq, from: 'client', kind: 'text', length: 1, wireLength: 1, frames: 1, compressed: false, truncated: false, text: 'x' };
  return { seq, record, frames: [], violations: [], stored: { record, connection: null, frames: [], violations: [] }, payloadDropped: false };
}
const names = (records: LogRecord[]) => records.map((r) => (r.type === 'session' ? 'session' : r.type === 'message' ? `message#${r.conn}.${r.seq}` : `${r.type}#${r.conn}`));

test('framing records go where they came among the saved rows; connections without saved rows and plain HTTP records stay out', () => {
  const f = new ViewFraming();
  f.add({ type: 'session', version: 1, tool: 'wspeek', ts: 0, mode: 'demo', listen: 'l', target: null }, 0);
  f.add(connect(1), 0);
  f.add(connect(2), 0);
  f.add(http(2), 0);
  f.add(connect(3), 1); // after row 1
  f.add(end(1), 2); // after row 2
  f.add(end(3), 3);
  assert.deepEqual(names(f.records([row(1, 1), row(2, 1), row(3, 3)])), [
    'session', 'connect#1', 'message#1.1', 'connect#3', 'message#1.2', 'end#1', 'message#3.3', 'end#3',
  ]);
  assert.deepEqual(names(f.records([])), ['session'], 'an empty view is still a session log');
});

test('the framing of at most 5000 connections is kept, the oldest dropped first', () => {
  const f = new ViewFraming();
  for (let c = 1; c <= 5001; c++) f.add(connect(c), 0);
  assert.deepEqual(names(f.records([row(1, 1), row(2, 2), row(3, 5001)])), ['connect#2', 'connect#5001', 'message#1.1', 'message#2.2', 'message#5001.3']);
});

test("a view keeps what wspeek did to a connection as a whole, where it happened, and the action records linked to each row after it", () => {
  const f = new ViewFraming();
  f.add(connect(1), 0);
  const closed: ConnectionRecord = { type: 'action', conn: 1, ts: 3, from: 'client', to: 'server', action: 'closed', by: 'user', code: 1000, reason: '' };
  f.add(closed, 1);
  f.add({ type: 'action', conn: 1, ts: 3, from: 'client', to: 'server', action: 'injected', by: 'user', text: 'x', length: 1 }, 1);
  f.add({ type: 'action', conn: 1, ts: 3, from: 'client', to: 'server', action: 'held', by: 'user', seq: 2 }, 1);
  const held: ConnectionRecord = { type: 'action', conn: 1, ts: 4, from: 'client', to: 'server', action: 'held', by: 'user', seq: 2 };
  const out = f.records([row(1, 1), row(2, 1)], (r) => (r.seq === 2 ? [held] : []));
  assert.deepEqual(out.map((r) => (r.type === 'action' ? `action ${r.action}` : names([r])[0])), ['connect#1', 'message#1.1', 'action closed', 'message#1.2', 'action held']);
});
