import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Side } from '../core/websocket/events.js';
import type { EndRecord, HandshakeRecord, LogRecord, MessageRecord, TunnelRecord, ViolationRecord } from '../core/log/records.js';
import type { StoredRecord } from '../core/store/session-store.js';
import { ConnectionView } from '../tui/connection-view.js';

const T0 = 1_700_000_000_000;

function stored(record: LogRecord, violations: ViolationRecord[] = []): StoredRecord {
  return { record, connection: null, frames: [], violations };
}

function connect(conn: number, ts = T0, client = `10.0.0.1:${40000 + conn}`): StoredRecord {
  return stored({ type: 'connect', conn, ts, client, server: null, tls: false });
}

function handshake(conn: number, over: Partial<HandshakeRecord> = {}, violations: ViolationRecord[] = []): StoredRecord {
  const r: HandshakeRecord = {
    type: 'handshake', conn, ts: T0 + 5, url: `ws://example.test/c${conn}`,
    request: { method: 'GET', target: `/c${conn}`, version: 'HTTP/1.1', headers: [] },
    response: { version: 'HTTP/1.1', status: 101, reason: 'Switching Protocols', headers: [] },
    ms: 3, accept: 'valid', protocol: null, extensions: [], upgraded: true, ...over,
  };
  return stored(r, violations);
}

function message(conn: number, from: Side, wireLength: number): StoredRecord {
  const r: MessageRecord = { type: 'message', conn, seq: 1, ts: T0 + 10, from, kind: 'binary', length: wireLength * 2, wireLength, frames: 1, compressed: true, truncated: false, base64: '' };
  return stored(r);
}

function end(conn: number, over: Partial<EndRecord> = {}, violations: ViolationRecord[] = []): StoredRecord {
  const r: EndRecord = {
    type: 'end', conn, ts: T0 + 100, by: 'client', code: null, clean: false, bytes: { client: 0, server: 0 }, frames: { client: 0, server: 0 }, durationMs: 100, reason: null, ...over,
  };
  return stored(r, violations);
}

const violation = (conn: number, detail: string): ViolationRecord => ({ type: 'violation', conn, ts: T0, from: 'server', rule: 'malformed-handshake', rfc: '6455 4.1', detail });

test('a connection appears with its handshake: client, URL, protocol, short extension names, open', () => {
  const v = new ConnectionView();
  v.add(connect(1, T0, '127.0.0.1:50000'));
  assert.equal(v.rows.length, 0, 'a TCP connection alone is not listed');
  v.add(handshake(1, { protocol: 'chat', extensions: [{ name: 'permessage-deflate', params: {} }, { name: 'x-custom', params: {} }] }, [violation(1, 'early')]));
  assert.equal(v.rows.length, 1);
  const row = v.rows[0]!;
  assert.equal(row.conn, 1);
  assert.equal(row.client, '127.0.0.1:50000');
  assert.equal(row.url, 'ws://example.test/c1');
  assert.equal(row.protocol, 'chat');
  assert.deepEqual(row.extensions, ['deflate', 'x-custom']);
  assert.equal(row.state, 'open');
  assert.equal(row.open, true);
  assert.equal(row.startTs, T0, 'the connection started at its connect record');
  assert.equal(row.endTs, null);
  assert.deepEqual(row.violations.map((x) => x.detail), ['early']);
  assert.equal(v.total, 1);
  assert.equal(v.openCount, 1);
  assert.equal(v.get(1), row);
  assert.equal(v.get(2), undefined);
});

test('a handshake without a connect record: client unknown, started at the handshake', () => {
  const v = new ConnectionView();
  v.add(handshake(3));
  assert.equal(v.rows[0]!.client, '?');
  assert.equal(v.rows[0]!.startTs, T0 + 5);
});

test('messages count per direction, bytes as on the wire', () => {
  const v = new ConnectionView();
  v.add(connect(1));
  v.add(handshake(1));
  v.add(message(1, 'client', 10));
  v.add(message(1, 'client', 5));
  v.add(message(1, 'server', 100));
  v.add(message(9, 'server', 100)); // a connection not listed: ignored
  assert.deepEqual(v.rows[0]!.messages, { client: 2, server: 1 });
  assert.deepEqual(v.rows[0]!.bytes, { client: 15, server: 100 });
});

test('the end sets the state: closed with code, ended by wspeek, reset, closed', () => {
  const v = new ConnectionView();
  for (let c = 1; c <= 4; c++) {
    v.add(connect(c));
    v.add(handshake(c));
  }
  assert.equal(v.openCount, 4);
  v.add(end(1, { code: 1000, clean: true }));
  v.add(end(2, { by: 'proxy', reason: 'wspeek quit' }));
  v.add(end(3, { reason: 'ECONNRESET' }));
  v.add(end(4, {}, [violation(4, 'left over')]));
  assert.deepEqual(v.rows.map((r) => r.state), ['closed 1000', 'ended by wspeek', 'reset', 'closed']);
  assert.ok(v.rows.every((r) => !r.open && r.endTs === T0 + 100));
  assert.equal(v.openCount, 0);
  assert.equal(v.total, 4);
  assert.deepEqual(v.rows[3]!.violations.map((x) => x.detail), ['left over'], 'violations no message claimed land on the connection');
});

test('a refused upgrade: HTTP status, never open, its end keeps the state', () => {
  const v = new ConnectionView();
  v.add(connect(1));
  v.add(handshake(1, { upgraded: false, response: { version: 'HTTP/1.1', status: 401, reason: 'Unauthorized', headers: [] } }));
  assert.equal(v.rows[0]!.state, 'HTTP 401');
  assert.equal(v.rows[0]!.open, false);
  assert.equal(v.openCount, 0);
  v.add(end(1, { code: null }));
  assert.equal(v.rows[0]!.state, 'HTTP 401');
  assert.equal(v.openCount, 0);
});

test('the cursor: 0 is all connections, then the rows; moves stay in range', () => {
  const v = new ConnectionView();
  assert.equal(v.selectedConn(), null);
  v.move(1);
  assert.equal(v.cursor, 0, 'no rows: stays on all');
  for (const c of [4, 7, 9]) {
    v.add(connect(c));
    v.add(handshake(c));
  }
  v.move(2);
  assert.equal(v.selectedConn(), 7);
  assert.equal(v.selectedRow()!.conn, 7);
  v.move(10);
  assert.equal(v.cursor, 3);
  assert.equal(v.selectedConn(), 9);
  v.move(-10);
  assert.equal(v.cursor, 0);
  assert.equal(v.selectedConn(), null);
  assert.equal(v.selectedRow(), undefined);
});

test('follow: on the newest connection the cursor moves on to each new one; elsewhere it stays; "all connections" follows', () => {
  const v = new ConnectionView();
  const open = (c: number) => {
    v.add(connect(c));
    v.add(handshake(c));
  };
  open(1);
  open(2);
  assert.equal(v.follow, true);
  assert.equal(v.cursor, 0, 'on "all connections" the cursor stays there');
  v.select(2);
  assert.equal(v.follow, true, 'on the newest');
  open(3);
  assert.equal(v.selectedConn(), 3, 'moved on to the new one');
  v.move(-1);
  assert.equal(v.follow, false);
  open(4);
  assert.equal(v.selectedConn(), 2, 'elsewhere the cursor stays on its connection');
  v.move(10);
  assert.equal(v.follow, true);
  assert.equal(v.selectedConn(), 4);
  v.follow = false; // as after Enter on it
  open(5);
  assert.equal(v.selectedConn(), 4);
  v.select(0);
  assert.equal(v.follow, true);
});

test('a row listed again (a keep-alive failure, then its upgrade) keeps the cursor on the same connections', () => {
  const v = new ConnectionView();
  v.add(connect(1));
  v.add(stored({ type: 'http', conn: 1, ts: T0 + 1, method: 'GET', url: 'http://h/x', status: 502, ms: 1, error: 'refused' }));
  v.add(connect(2));
  v.add(handshake(2));
  v.add(connect(3));
  v.add(handshake(3));
  v.select(3);
  v.follow = false;
  v.add(handshake(1)); // #1 moves to the end
  assert.deepEqual(v.rows.map((r) => r.conn), [2, 3, 1]);
  assert.equal(v.selectedConn(), 3, 'the cursor stays on #3');
  v.select(1);
  v.follow = false;
  v.add(connect(4));
  v.add(stored({ type: 'http', conn: 4, ts: T0 + 1, method: 'GET', url: 'http://h/x', status: 502, ms: 1, error: 'refused' }));
  v.select(4);
  v.add(handshake(4));
  assert.equal(v.selectedConn(), 4, 'the selected row, listed again, stays selected');
});

test('past 5000 connections the oldest closed one goes first; the cursor stays on its row', () => {
  const v = new ConnectionView();
  for (let c = 1; c <= 5000; c++) {
    v.add(connect(c));
    v.add(handshake(c));
  }
  v.add(end(10, { code: 1000 }));
  v.add(end(20, { code: 1000 }));
  v.cursor = 30; // conn 30
  v.add(connect(5001));
  v.add(handshake(5001));
  assert.equal(v.rows.length, 5000);
  assert.equal(v.get(10), undefined, 'the oldest closed connection went');
  assert.ok(v.get(20));
  assert.ok(v.get(1), 'open ones stay while a closed one can go');
  assert.equal(v.selectedConn(), 30);
  assert.equal(v.total, 5001);
  assert.equal(v.openCount, 4999);
  v.cursor = 5; // conn 5, before the next one to go (20)
  v.add(handshake(5002));
  assert.equal(v.get(20), undefined);
  assert.equal(v.selectedConn(), 5);
});

test('past 5000 open connections the oldest goes; the open count stays right when it ends', () => {
  const v = new ConnectionView();
  for (let c = 1; c <= 5001; c++) {
    v.add(connect(c));
    v.add(handshake(c));
  }
  assert.equal(v.rows.length, 5000);
  assert.equal(v.get(1), undefined);
  assert.equal(v.openCount, 5001, 'connection 1 is still open, just not listed');
  v.add(end(1, { code: 1000 }));
  assert.equal(v.openCount, 5000, 'its end is counted');
  v.add(end(2, { code: 1000 }));
  assert.equal(v.openCount, 4999);
  v.add(end(1, { code: 1000 })); // a repeated end changes nothing
  assert.equal(v.openCount, 4999);
});

test('an attempt that failed before a handshake is listed with its status and error; idle connections ended at shutdown are not', async () => {
  const { handshakeDetail } = await import('../tui/message-detail.js');
  const { lineText } = await import('../tui/styled-text.js');
  const v = new ConnectionView();
  v.add(connect(1));
  v.add(stored({ type: 'http', conn: 1, ts: T0 + 2, method: 'GET', url: 'ws://127.0.0.1:9/chat', status: 502, ms: 1, error: 'upstream 127.0.0.1:9 refused the connection' }));
  v.add(end(1, { by: 'proxy' }));
  v.add(connect(2));
  v.add(stored({ type: 'http', conn: 2, ts: T0 + 2, method: 'CONNECT', url: 'example.test:443', status: null, ms: 0, error: 'bad CONNECT authority' }));
  v.add(end(2));
  v.add(connect(3));
  v.add(stored({ type: 'http', conn: 3, ts: T0 + 2, method: 'GET', url: 'http://h/', status: 200, ms: 1 }));
  v.add(end(3, { by: 'proxy', reason: 'wspeek shut down' }));
  assert.deepEqual(v.rows.map((r) => [r.conn, r.state, r.open]), [[1, 'HTTP 502', false], [2, 'failed', false]]);
  assert.equal(v.openCount, 0);
  const text = handshakeDetail(v.rows[0]!).map(lineText).join('\n');
  assert.match(text, /No WebSocket handshake/);
  assert.match(text, /refused the connection/);
});

test('a keep-alive connection that failed a request and then upgraded is listed once, with its handshake', () => {
  const v = new ConnectionView();
  v.add(connect(1));
  v.add(stored({ type: 'http', conn: 1, ts: T0 + 1, method: 'GET', url: 'http://h/x', status: 502, ms: 1, error: 'upstream h:80 refused the connection' }));
  v.add(handshake(1));
  assert.deepEqual(v.rows.map((r) => [r.conn, r.state, r.handshake !== null]), [[1, 'open', true]]);
  assert.equal(v.total, 1);
  assert.equal(v.openCount, 1);
});

const tunnel = (conn: number, over: Partial<TunnelRecord> = {}): StoredRecord => stored({
  type: 'tunnel', conn, ts: T0 + 1, via: 'connect', host: 'example.test', port: 443, tls: 'intercepted', sni: 'example.test', alpn: 'http/1.1', version: 'TLSv1.3', alert: null, ...over,
});

test('a tunnel the client rejected is listed as a failed attempt, with the alert and what to check', async () => {
  const { handshakeDetail } = await import('../tui/message-detail.js');
  const { lineText } = await import('../tui/styled-text.js');
  const v = new ConnectionView();
  v.add(connect(1));
  v.add(tunnel(1, { tls: 'rejected', sni: null, alpn: null, version: null, alert: 'tlsv1 alert unknown ca' }));
  v.add(end(1, { by: 'proxy' }));
  assert.deepEqual(v.rows.map((r) => [r.conn, r.url, r.state, r.open]), [[1, 'example.test:443', 'TLS rejected', false]]);
  const text = handshakeDetail(v.rows[0]!).map(lineText).join('\n');
  assert.match(text, /tunnel: CONNECT example\.test:443 · TLS with the client failed: tlsv1 alert unknown ca/);
  assert.match(text, /trust wspeek's CA/);
});

test('a tunnel passed through is listed open with its host, then with its bytes and duration from its end record', async () => {
  const { handshakeDetail } = await import('../tui/message-detail.js');
  const { lineText } = await import('../tui/styled-text.js');
  const { connectionCells } = await import('../tui/connection-row.js');
  const v = new ConnectionView();
  v.add(connect(1));
  v.add(tunnel(1, { host: '10.0.0.9', sni: 'push.apple.test', tls: 'passthrough', alpn: null, version: null }));
  assert.deepEqual(v.rows.map((r) => [r.conn, r.url, r.state, r.open]), [[1, 'push.apple.test:443', 'passed through', true]]);
  assert.equal(v.openCount, 1);
  v.add(end(1, { bytes: { client: 5120, server: 70_000 }, ts: T0 + 2500 }));
  assert.deepEqual(v.rows.map((r) => [r.state, r.open, r.bytes.client, r.bytes.server]), [['passed through', false, 5120, 70_000]]);
  assert.equal(v.openCount, 0);
  const cells = connectionCells(v.rows[0]!, T0 + 9999).map((c) => c.text).join(' ');
  assert.match(cells, /push\.apple\.test:443 .*passed through .*\(5(\.0)? ?KiB\).*\(68(\.4)? ?KiB\) 2\.50? ?s/);
  const text = handshakeDetail(v.rows[0]!).map(lineText).join('\n');
  assert.match(text, /tunnel: CONNECT 10\.0\.0\.9:443 · TLS passed through untouched \(SNI push\.apple\.test\)/);
  assert.match(text, /passed through untouched \(--pass\): wspeek sees only its bytes/);
});

test('a WebSocket connection through an intercepted tunnel shows the tunnel\'s TLS in its detail; wspeek\'s own errors are listed there', async () => {
  const { handshakeDetail } = await import('../tui/message-detail.js');
  const { lineText } = await import('../tui/styled-text.js');
  const v = new ConnectionView();
  v.add(connect(1));
  v.add(tunnel(1));
  v.add(handshake(1, { url: 'wss://example.test/c1' }));
  v.add(stored({ type: 'error', conn: 1, ts: T0 + 20, where: 'decoder', detail: 'decoding stopped (the connection is still forwarded): boom' }));
  assert.deepEqual(v.rows.map((r) => [r.conn, r.state, r.tunnel?.tls, r.errors.length]), [[1, 'open', 'intercepted', 1]]);
  const text = handshakeDetail(v.rows[0]!).map(lineText).join('\n');
  assert.match(text, /tunnel: CONNECT example\.test:443 · TLS intercepted \(SNI example\.test, http\/1\.1, TLSv1\.3\)/);
  assert.match(text, /wspeek decoder error: decoding stopped \(the connection is still forwarded\): boom/);
});

test('a WebSocket through a plain tunnel (ws:// over CONNECT) says the tunnel carried no TLS', async () => {
  const { handshakeDetail } = await import('../tui/message-detail.js');
  const { lineText } = await import('../tui/styled-text.js');
  const v = new ConnectionView();
  v.add(connect(1));
  v.add(tunnel(1, { tls: 'none', sni: null, alpn: null, version: null }));
  v.add(handshake(1));
  assert.equal(v.rows[0]?.tunnel?.tls, 'none');
  assert.match(handshakeDetail(v.rows[0]!).map(lineText).join('\n'), /tunnel: CONNECT example\.test:443 · plain \(no TLS\)/);
});
