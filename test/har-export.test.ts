import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HarExport, harMessage, type HarDocument, type HarEntry } from '../core/capture/har-export.js';
import {
  connectRecord, endRecord, errorRecord, handshakeRecord, httpRecord, messageRecord, sessionRecord, type LogRecord, type MessageRecord,
} from '../core/log/records.js';
import type { MessageKind, Side } from '../core/websocket/events.js';

const T0 = 1_715_678_467_000.25; // epoch ms, µs precision as records keep it
const CREATOR = { name: 'wspeek', version: '0.1.0' };

function message(seq: number, ts: number, from: Side, kind: MessageKind, payload: Buffer, extra: { truncatedTo?: number } = {}): MessageRecord {
  const kept = extra.truncatedTo !== undefined ? payload.subarray(0, extra.truncatedTo) : payload;
  const text = kind === 'text' && Buffer.from(kept.toString('utf8'), 'utf8').equals(kept) ? kept.toString('utf8') : null;
  const close = kind === 'close' ? { code: payload.length >= 2 ? payload.readUInt16BE(0) : null, reason: payload.subarray(2).toString('utf8') } : undefined;
  return messageRecord(1, {
    type: 'message', seq, ts, startTs: ts, from, kind, length: payload.length, wireLength: payload.length, frames: 1, compressed: false,
    payload: kept, truncated: kept.length < payload.length, incomplete: false, text, ...(close ? { close } : {}),
  });
}

function closePayload(code: number, reason: string): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code);
  return Buffer.concat([b, Buffer.from(reason)]);
}

/** A session: one plain HTTP exchange, then one WebSocket connection with every message kind. */
function session(): LogRecord[] {
  return [
    sessionRecord(T0, 'reverse', '127.0.0.1:8080', 'ws://127.0.0.1:3000/'),
    httpRecord(7, T0, T0 + 4.5, 'GET', 'http://127.0.0.1:3000/index.html?x=1', 200),
    connectRecord(1, T0 + 10, '127.0.0.1:50000', '127.0.0.1:3000'),
    handshakeRecord(1, {
      type: 'handshake', ts: T0 + 12.5, requestTs: T0 + 10.25, ms: 2.25,
      request: { method: 'GET', target: '/chat?room=1', version: 'HTTP/1.1', headers: [['Host', '127.0.0.1:3000'], ['Upgrade', 'websocket'], ['Connection', 'Upgrade']] },
      response: { version: 'HTTP/1.1', status: 101, reason: 'Switching Protocols', headers: [['Upgrade', 'websocket'], ['Connection', 'Upgrade']] },
      upgraded: true, accept: 'valid', protocol: null, extensions: [],
    }, 'ws://127.0.0.1:3000/chat?room=1'),
    message(1, T0 + 20.001, 'client', 'text', Buffer.from('hello ✓')),
    message(2, T0 + 21.5, 'server', 'binary', Buffer.from([0, 1, 2, 255])),
    message(3, T0 + 22, 'server', 'text', Buffer.from([0x68, 0xff, 0x69])),
    message(4, T0 + 23, 'client', 'ping', Buffer.from('hb')),
    message(5, T0 + 24, 'server', 'pong', Buffer.from('hb')),
    message(6, T0 + 25, 'client', 'binary', Buffer.alloc(100, 7), { truncatedTo: 10 }),
    errorRecord(1, T0 + 25.5, 'decoder', 'inflate failed'),
    message(7, T0 + 26, 'server', 'close', closePayload(4001, 'kicked')),
    message(8, T0 + 27, 'client', 'close', closePayload(4001, '')),
    endRecord(1, { type: 'end', ts: T0 + 30.25, by: 'server', code: 4001, clean: true, bytes: { client: 300, server: 200 }, frames: { client: 4, server: 4 }, durationMs: 20.25, reason: null }),
  ];
}

function exported(records: LogRecord[]): HarDocument {
  const har = new HarExport(CREATOR);
  for (const r of records) har.add(r);
  return har.document();
}

function webSocketEntry(doc: HarDocument): HarEntry {
  const e = doc.log.entries.find((x) => x._resourceType === 'websocket');
  assert.ok(e, 'a websocket entry');
  return e;
}

test('the document is HAR 1.2 with wspeek as creator; a WebSocket entry has the handshake as request and response, in order of beginning', () => {
  const doc = exported(session());
  assert.equal(doc.log.version, '1.2');
  assert.deepEqual(doc.log.creator, CREATOR);
  assert.deepEqual(doc.log.entries.map((e) => e.request.url), ['http://127.0.0.1:3000/index.html?x=1', 'ws://127.0.0.1:3000/chat?room=1']);
  const e = webSocketEntry(doc);
  assert.equal(e.request.method, 'GET');
  assert.equal(e.request.httpVersion, 'HTTP/1.1');
  assert.deepEqual(e.request.headers, [{ name: 'Host', value: '127.0.0.1:3000' }, { name: 'Upgrade', value: 'websocket' }, { name: 'Connection', value: 'Upgrade' }]);
  assert.deepEqual(e.request.queryString, [{ name: 'room', value: '1' }]);
  assert.equal(e.response.status, 101);
  assert.equal(e.response.statusText, 'Switching Protocols');
  assert.equal(e.startedDateTime, new Date(T0 + 10.25).toISOString(), 'when the upgrade request began');
  assert.equal(e.time, 20, 'the connection\'s duration: request to end, ms');
  assert.equal(e.timings.wait, 2.25, 'the handshake\'s duration');
});

test('every required HAR 1.2 field is present with its type; unknown sizes and timings are -1', () => {
  const doc = exported(session());
  for (const e of doc.log.entries) {
    assert.match(e.startedDateTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(typeof e.time, 'number');
    for (const k of ['method', 'url', 'httpVersion'] as const) assert.equal(typeof e.request[k], 'string');
    for (const k of ['cookies', 'headers', 'queryString'] as const) assert.ok(Array.isArray(e.request[k]));
    for (const k of ['headersSize', 'bodySize'] as const) assert.equal(typeof e.request[k], 'number');
    assert.equal(typeof e.response.status, 'number');
    for (const k of ['statusText', 'httpVersion', 'redirectURL'] as const) assert.equal(typeof e.response[k], 'string');
    assert.equal(typeof e.response.content.size, 'number');
    assert.equal(typeof e.response.content.mimeType, 'string');
    assert.deepEqual(e.cache, {});
    for (const k of ['send', 'wait', 'receive'] as const) assert.ok(e.timings[k] >= 0, `timings.${k} is required and not negative`);
    for (const k of ['blocked', 'dns', 'connect', 'ssl'] as const) assert.equal(e.timings[k], -1);
  }
});

test('messages in Chrome\'s shape: every one has type, time (epoch seconds), opcode and data; send is the client\'s', () => {
  const messages = webSocketEntry(exported(session()))._webSocketMessages!;
  // The four fields Chrome's HAR writer gives every item (front_end/models/har/Log.ts), which readers of its HAR expect.
  for (const m of messages) {
    assert.ok(['send', 'receive', 'error'].includes(m.type));
    assert.equal(typeof m.time, 'number');
    assert.equal(typeof m.opcode, 'number');
    assert.equal(typeof m.data, 'string');
  }
  assert.deepEqual(messages.map((m) => [m.type, m.opcode]), [
    ['send', 1], ['receive', 2], ['receive', 1], ['send', 9], ['receive', 10], ['send', 2], ['error', -1], ['receive', 8], ['send', 8],
  ]);
  assert.equal(messages[0]!.time, (T0 + 20.001) / 1000);
  assert.equal(messages[0]!.data, 'hello ✓', 'text as text');
  assert.equal(messages[1]!.data, Buffer.from([0, 1, 2, 255]).toString('base64'), 'binary as base64');
  assert.equal(messages[3]!.data, Buffer.from('hb').toString('base64'), 'a ping\'s payload as base64');
  assert.equal(messages[6]!.data, 'inflate failed', 'an error record is Chrome\'s error item');
  assert.deepEqual(Buffer.from(messages[7]!.data, 'base64'), closePayload(4001, 'kicked'), 'a close as its whole payload, code included');
});

test('a text message that is not UTF-8 has replacement characters in data and its exact bytes in _base64; a truncated one says so with its length', () => {
  const messages = webSocketEntry(exported(session()))._webSocketMessages!;
  assert.equal(messages[2]!.data, 'h\uFFFDi');
  assert.equal(messages[2]!._base64, Buffer.from([0x68, 0xff, 0x69]).toString('base64'));
  assert.equal(messages[0]!._base64, undefined, 'valid text carries no _base64');
  assert.equal(messages[5]!._truncated, true);
  assert.equal(messages[5]!._length, 100);
  assert.equal(Buffer.from(messages[5]!.data, 'base64').length, 10, 'the bytes kept');
});

test('_webSocketClose is the first close frame (code, reason, epoch seconds); a connection that ended without one is "aborted"', () => {
  assert.deepEqual(webSocketEntry(exported(session()))._webSocketClose, { code: 4001, reason: 'kicked', timestamp: (T0 + 26) / 1000 });
  const emptyClose = session().map((r) => (r.type === 'message' && r.seq === 7 ? message(7, T0 + 26, 'server', 'close', Buffer.alloc(0)) : r));
  assert.deepEqual(webSocketEntry(exported(emptyClose))._webSocketClose, { reason: '', timestamp: (T0 + 26) / 1000 }, 'no code for an empty close payload');
  const withoutClose = session().filter((r) => !(r.type === 'message' && r.kind === 'close'));
  assert.equal(webSocketEntry(exported(withoutClose))._webSocketClose, 'aborted');
  const notEnded = session().filter((r) => r.type !== 'end' && !(r.type === 'message' && r.kind === 'close'));
  const e = webSocketEntry(exported(notEnded));
  assert.equal(e._webSocketClose, undefined, 'still open: nothing to say');
  assert.equal(e.time, 15.25, 'duration up to its last record');
});

test('a plain HTTP exchange is an ordinary entry: method, URL, status, time; no WebSocket fields', () => {
  const e = exported(session()).log.entries[0]!;
  assert.equal(e.request.method, 'GET');
  assert.equal(e.response.status, 200);
  assert.equal(e.time, 4.5);
  assert.deepEqual(e.request.queryString, [{ name: 'x', value: '1' }]);
  assert.equal(e._resourceType, undefined);
  assert.equal(e._webSocketMessages, undefined);
  const failed = exported([httpRecord(1, T0, T0 + 1, 'GET', 'http://x.test/', null, 'upstream unreachable')]).log.entries[0]!;
  assert.equal(failed.response.status, 0, 'no response: status 0, as HAR writers say it');
});

test('a message record\'s payload kept as bytes (a large one) is written as base64 like any other', () => {
  const big = Buffer.alloc(70_000, 0x41);
  const r = message(1, T0, 'server', 'binary', big);
  assert.ok(r.bytes, 'kept as bytes in memory');
  assert.equal(harMessage(r).data, big.toString('base64'));
});
