import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HandshakeRecord, MessageRecord } from '../core/log/records.js';
import type { StoredRecord } from '../core/store/session-store.js';
import { columnWidths } from '../tui/columns.js';
import { connectionCells, connectionColumns, connectionLine } from '../tui/connection-row.js';
import { ConnectionView } from '../tui/connection-view.js';
import { connStyle, lineText } from '../tui/styled-text.js';

const T0 = 1_700_000_000_000;
const stored = (record: StoredRecord['record']): StoredRecord => ({ record, connection: null, frames: [], violations: [] });

function view(): ConnectionView {
  const v = new ConnectionView();
  const hs = (conn: number, url: string, protocol: string | null): HandshakeRecord => ({
    type: 'handshake', conn, ts: T0 + 5, url, ms: 3, accept: 'valid', protocol, extensions: [{ name: 'permessage-deflate', params: {} }], upgraded: true,
    request: { method: 'GET', target: '/', version: 'HTTP/1.1', headers: [] }, response: { version: 'HTTP/1.1', status: 101, reason: 'Switching Protocols', headers: [] },
  });
  v.add(stored({ type: 'connect', conn: 3, ts: T0, client: '10.0.0.1:40000', server: null, tls: false }));
  v.add(stored(hs(3, 'ws://very-long-host.example.com:3000/api/v2/chat', 'json.v1')));
  v.add(stored({ type: 'connect', conn: 12, ts: T0, client: '10.0.0.2:40000', server: null, tls: false }));
  v.add(stored(hs(12, 'wss://h.example/graphql', 'graphql-transport-ws')));
  const big: MessageRecord = { type: 'message', conn: 3, seq: 1, ts: T0 + 9, from: 'client', kind: 'binary', length: 6 << 20, wireLength: 6 << 20, frames: 1, compressed: false, truncated: true, base64: '' };
  v.add(stored(big));
  return v;
}

const lines = (v: ConnectionView, width: number) => {
  const cells = v.rows.map((r) => connectionCells(r, T0 + 1000));
  const columns = connectionColumns(cells);
  const widths = columnWidths(columns, cells, width);
  return cells.map((c) => lineText(connectionLine(columns, widths, c)));
};

test('a connection: #id in its colour, URL, subprotocol and extensions, state, → and ← counts with their bytes, age, client', () => {
  const v = view();
  const cells = connectionCells(v.rows[0]!, T0 + 1000);
  assert.deepEqual(cells.map((c) => c.text), ['#3', 'ws://very-long-host.example.com:3000/api/v2/chat', 'json.v1 deflate', 'open', '→ 1', '(6.0 MiB)', '← 0', '(0 B)', '1.00s', '10.0.0.1:40000']);
  assert.equal(cells[0]!.style, connStyle(3));
  assert.equal(cells[4]!.style, 'client');
  assert.equal(cells[6]!.style, 'server');
  assert.deepEqual(lines(v, 200), [
    '#3  ws://very-long-host.example.com:3000/api/v2/chat json.v1 deflate              open → 1 (6.0 MiB) ← 0 (0 B) 1.00s 10.0.0.1:40000',
    '#12 wss://h.example/graphql                          graphql-transport-ws deflate open → 0 (0 B)     ← 0 (0 B) 1.00s 10.0.0.2:40000',
  ]);
});

test('narrow: the client, the age and the bytes give way; the URL keeps its path; nothing is wider than the pane', () => {
  const v = view();
  const at60 = lines(v, 60);
  assert.deepEqual(at60, [
    '#3  …/api/v2/chat    json.v1 deflate            open → 1 ← 0',
    '#12 …example/graphql graphql-transport-ws defl… open → 0 ← 0',
  ], 'the URL keeps the room its paths need; subprotocols and extensions are cut');
  for (let w = 30; w <= 200; w++) for (const l of lines(v, w)) assert.ok(l.length <= w, `${w}: ${l}`);
});

test('bytes on the wire are `?` once a message\'s is unknown (read from HAR), in that direction only', () => {
  const v = view();
  const har: MessageRecord = { type: 'message', conn: 12, seq: 1, ts: T0 + 9, from: 'server', kind: 'text', length: 2, wireLength: null, frames: null, compressed: null, truncated: false, text: 'hi' };
  v.add(stored(har));
  const row = v.rows.find((r) => r.conn === 12)!;
  assert.deepEqual(connectionCells(row, T0 + 1000).map((c) => c.text).slice(4, 8), ['→ 0', '(0 B)', '← 1', '(?)']);
});
