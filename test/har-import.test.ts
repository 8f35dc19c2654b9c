import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { HarExport } from '../core/capture/har-export.js';
import { importHar, type HarImport } from '../core/capture/har-import.js';
import {
  connectRecord, endRecord, handshakeRecord, messageRecord, recordPayload, sessionRecord,
  type EndRecord, type ErrorRecord, type HandshakeRecord, type HttpRecord, type LogRecord, type MessageRecord,
} from '../core/log/records.js';
import type { MessageKind, Side } from '../core/websocket/events.js';
import { ROOT } from './support/cli-process.js';

function fixture(name: string): unknown {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', name), 'utf8'));
}

function read(doc: unknown, source = 'x.har'): HarImport {
  const r = importHar(doc, source);
  assert.ok(!('notHar' in r), 'read as HAR');
  return r;
}

function ofType<T extends LogRecord['type']>(records: LogRecord[], type: T): Array<Extract<LogRecord, { type: T }>> {
  return records.filter((r) => r.type === type) as Array<Extract<LogRecord, { type: T }>>;
}

/** A message as the round trip must keep it: direction, kind, payload bytes, time. */
function essence(m: MessageRecord): [Side, MessageKind, string, number] {
  return [m.from, m.kind, recordPayload(m).toString('hex'), m.ts];
}

// Shape from Chrome DevTools' HAR writer (front_end/models/har/Log.ts: `_resourceType`, and for a
// WebSocket `_webSocketMessages` of {type, time, opcode, data}, time in epoch seconds, binary data
// in base64, errors as type "error" with opcode -1) and the entries Chrome writes around it.
test('Chrome DevTools\' HAR: the document request is an http record; the WebSocket a connection with its handshake, messages and error', () => {
  const { records, problems } = read(fixture('chrome-websocket.har'), 'chrome-websocket.har');
  assert.deepEqual(problems, []);
  const session = records[0]!;
  assert.equal(session.type, 'session');
  assert.ok(session.type === 'session' && session.mode === 'har' && session.source === 'chrome-websocket.har' && session.listen === null);
  const [http] = ofType(records, 'http') as HttpRecord[];
  assert.equal(http!.url, 'http://127.0.0.1:8000/');
  assert.equal(http!.status, 200);
  assert.equal(http!.ms, 3.912);
  const [connect] = ofType(records, 'connect');
  assert.equal(connect!.server, '127.0.0.1:8000', 'serverIPAddress with the URL\'s port');
  const [h] = ofType(records, 'handshake') as HandshakeRecord[];
  assert.equal(h!.url, 'ws://127.0.0.1:8000/chat?room=1');
  assert.equal(h!.request.target, '/chat?room=1');
  assert.equal(h!.response.status, 101);
  assert.equal(h!.upgraded, true);
  assert.equal(h!.accept, 'valid', 'Sec-WebSocket-Accept checked against the key');
  assert.deepEqual(h!.extensions.map((e) => e.name), ['permessage-deflate']);
  assert.equal(h!.ms, 1.637);
  const messages = ofType(records, 'message');
  assert.deepEqual(messages.map(essence), [
    ['client', 'text', Buffer.from('{"join":"room-1"}').toString('hex'), 1715678467455.103],
    ['server', 'text', Buffer.from('{"joined":"room-1","members":2}').toString('hex'), 1715678467456.782],
    ['server', 'binary', '000102 03ff'.replace(' ', ''), 1715678467912.1],
    ['client', 'text', Buffer.from('héllo ✓').toString('hex'), 1715678468200.35],
  ]);
  assert.deepEqual(messages.map((m) => m.seq), [1, 2, 3, 4]);
  assert.equal(messages[3]!.text, 'héllo ✓');
  assert.equal(messages[3]!.length, Buffer.byteLength('héllo ✓'), 'length from the data, in bytes');
  for (const m of messages) assert.deepEqual([m.wireLength, m.frames, m.compressed], [null, null, null], 'HAR knows no wire length, frames or compression');
  const [error] = ofType(records, 'error') as ErrorRecord[];
  assert.equal(error!.detail, 'WebSocket protocol error: Invalid frame header');
  assert.equal(error!.where, 'capture');
  const [end] = ofType(records, 'end') as EndRecord[];
  assert.equal(end!.clean, false);
  assert.equal(end!.code, null);
  assert.equal(end!.reason, 'the HAR file records no close frame');
  assert.equal(records.at(-1), end, 'the end comes last');
});

// Shape from mitmproxy's savehar addon (mitmproxy/addons/savehar.py): https:// URL for the
// upgrade, startedDateTime with +00:00, `_webSocketMessages` of data messages, time in seconds.
test('mitmproxy\'s savehar: the http(s) URL becomes ws(s); a message without data is counted on the entry and left out', () => {
  const { records, problems } = read(fixture('mitmproxy-savehar.har'));
  const [h] = ofType(records, 'handshake') as HandshakeRecord[];
  assert.equal(h!.url, 'wss://echo.example.test/socket');
  assert.equal(h!.protocol, 'chat');
  assert.equal(h!.accept, 'valid');
  assert.equal(h!.ms, 21.288, 'connect + send + wait (ssl is inside connect)');
  assert.equal(ofType(records, 'connect')[0]!.server, '192.0.2.10:443');
  const messages = ofType(records, 'message');
  assert.deepEqual(messages.map((m) => [m.from, m.kind, m.text ?? m.base64]), [
    ['client', 'text', 'ping?'], ['server', 'text', 'pong!'], ['server', 'binary', '3q2+7w=='], ['client', 'text', 'bye'],
  ]);
  assert.deepEqual(problems, ['entry 1 (wss://echo.example.test/socket): 1 of 5 WebSocket messages lack type, time, opcode or data; the others are shown']);
  const [http] = ofType(records, 'http') as HttpRecord[];
  assert.equal(http!.method, 'POST');
  assert.equal(http!.status, 204);
  assert.equal(http!.ts, Date.parse('2024-05-14T09:30:01Z'));
});

// Shape from HTTP Toolkit's HAR export (httptoolkit-ui src/model/http/har.ts): opcodes 1 and 2,
// time in epoch seconds, `_webSocketClose` {code, reason, timestamp} or "aborted".
test('HTTP Toolkit: _webSocketClose gives the end its code; "aborted" is an end that is not clean', () => {
  const { records, problems } = read(fixture('httptoolkit.har'));
  assert.deepEqual(problems, []);
  const ends = ofType(records, 'end') as EndRecord[];
  assert.equal(ends.length, 2);
  const [closed, aborted] = [ends.find((e) => e.conn === 1)!, ends.find((e) => e.conn === 2)!];
  assert.equal(closed.code, 1000);
  assert.equal(closed.clean, false, 'no close frames in the file, so not known to be clean');
  assert.equal(closed.ts, Date.parse('2024-05-14T09:40:00Z') + 5012.4, 'startedDateTime (+02:00) plus the entry\'s time');
  assert.equal(aborted.clean, false);
  assert.match(aborted.reason ?? '', /aborted/);
  assert.equal(aborted.code, null);
  const [h] = ofType(records, 'handshake') as HandshakeRecord[];
  assert.equal(h!.accept, 'valid', 'header names in lower case are still found');
});

test('records of different entries interleave by time, each connection\'s own records keeping their order', () => {
  const { records } = read(fixture('httptoolkit.har'));
  const times = records.map((r) => r.ts);
  assert.deepEqual([...times].sort((a, b) => a - b), times);
  const { records: chrome } = read(fixture('chrome-websocket.har'));
  assert.deepEqual(chrome.map((r) => r.type), ['session', 'http', 'connect', 'handshake', 'message', 'message', 'message', 'message', 'error', 'end']);
});

test('an entry without _webSocketMessages is an http record, a WebSocket upgrade too (status 101); a date with an offset and missing sizes are read', () => {
  const { records, problems } = read({
    log: {
      version: '1.2', creator: { name: 'Firefox', version: '125.0' }, pages: [{ id: 'page_1', startedDateTime: '2024-05-14T11:40:00.000+02:00' }],
      entries: [{
        pageref: 'page_1', startedDateTime: '2024-05-14T11:40:00.250+02:00', time: 12,
        request: { method: 'GET', url: 'wss://h.test/ws', httpVersion: 'HTTP/1.1', headers: [{ name: 'Upgrade', value: 'websocket' }], cookies: [], queryString: [] },
        response: { status: 101, statusText: 'Switching Protocols', httpVersion: 'HTTP/1.1', headers: [], cookies: [], content: { mimeType: '', size: 0 }, redirectURL: '' },
        cache: {}, timings: { blocked: -1, dns: -1, connect: -1, ssl: -1, send: 0, wait: 12, receive: 0 },
      }],
    },
  });
  assert.deepEqual(problems, []);
  assert.deepEqual(records.slice(1), [{ type: 'http', conn: 1, ts: Date.parse('2024-05-14T09:40:00.250Z'), method: 'GET', url: 'wss://h.test/ws', status: 101, ms: 12 }]);
});

test('a time above 10^11 is epoch milliseconds, below it epoch seconds', () => {
  const entry = (time: number) => ({
    startedDateTime: '2024-05-14T09:00:00.000Z', time: 10, request: { method: 'GET', url: 'ws://h.test/', headers: [] },
    response: { status: 101, headers: [] }, _webSocketMessages: [{ type: 'receive', time, opcode: 1, data: 'x' }],
  });
  const { records } = read({ log: { entries: [entry(1715677200.5), entry(1715677200500.25)] } });
  assert.deepEqual(ofType(records, 'message').map((m) => m.ts), [1715677200500, 1715677200500.25]);
});

test('close, ping and pong items keep their kind; a close\'s payload gives its code and reason; an unknown opcode is reported', () => {
  const close = Buffer.concat([Buffer.from([0x0f, 0xa1]), Buffer.from('kicked')]);
  const { records, problems } = read({
    log: {
      entries: [{
        startedDateTime: '2024-05-14T09:00:00.000Z', request: { method: 'GET', url: 'ws://h.test/' }, response: { status: 101 },
        _webSocketMessages: [
          { type: 'send', time: 1, opcode: 9, data: Buffer.from('hb').toString('base64') },
          { type: 'receive', time: 2, opcode: 10, data: Buffer.from('hb').toString('base64') },
          { type: 'receive', time: 3, opcode: 8, data: close.toString('base64') },
          { type: 'send', time: 4, opcode: 8, data: close.subarray(0, 2).toString('base64') },
          { type: 'send', time: 5, opcode: 3, data: '' },
        ],
      }],
    },
  });
  const messages = ofType(records, 'message');
  assert.deepEqual(messages.map((m) => m.kind), ['ping', 'pong', 'close', 'close']);
  assert.deepEqual(messages[2]!.close, { code: 4001, reason: 'kicked' });
  const [end] = ofType(records, 'end') as EndRecord[];
  assert.equal(end!.by, 'server', 'the first close frame\'s sender');
  assert.equal(end!.code, 4001);
  assert.equal(end!.clean, true, 'close frames went both ways');
  assert.deepEqual(problems, ['entry 1 (ws://h.test/): 1 WebSocket messages have an opcode that is not 1, 2, 8, 9 or 10; the others are shown']);
});

test('an entry that can\'t be read is skipped and reported; a document without log.entries is not HAR', () => {
  const { records, problems } = read({ log: { entries: [{ startedDateTime: 'yesterday', request: { method: 'GET', url: 'http://h.test/' } }] } });
  assert.deepEqual(records.map((r) => r.type), ['session']);
  assert.deepEqual(problems, ['entry 1: skipped: startedDateTime is not an ISO 8601 date']);
  assert.deepEqual(importHar({ name: 'wspeek', version: '0.1.0' }, 'package.json'), { notHar: 'it has no log.entries (a HAR file has)' });
  assert.deepEqual(importHar([1, 2], 'a.json'), { notHar: 'it has no log.entries (a HAR file has)' });
});

test('round trip: records → our HAR → records keeps every message\'s direction, kind, payload and time to the microsecond', () => {
  const T = 1_796_539_202_551.437;
  const kinds: Array<[Side, MessageKind, Buffer]> = [
    ['client', 'text', Buffer.from('hello')], ['server', 'text', Buffer.from([0x68, 0xff])], ['server', 'binary', Buffer.from([0, 255, 7])],
    ['client', 'ping', Buffer.from('p')], ['server', 'pong', Buffer.from('p')], ['client', 'close', Buffer.from([0x03, 0xe8, 0x62])],
    ['server', 'close', Buffer.from([0x03, 0xe8])],
  ];
  const records: LogRecord[] = [
    sessionRecord(T, 'reverse', '127.0.0.1:1', 'ws://127.0.0.1:2/'),
    connectRecord(1, T, '127.0.0.1:5', '127.0.0.1:2'),
    handshakeRecord(1, {
      type: 'handshake', ts: T + 1.5, requestTs: T, ms: 1.5, request: { method: 'GET', target: '/', version: 'HTTP/1.1', headers: [] },
      response: { version: 'HTTP/1.1', status: 101, reason: 'Switching Protocols', headers: [] }, upgraded: true, accept: 'missing', protocol: null, extensions: [],
    }, 'ws://127.0.0.1:2/'),
    ...kinds.map(([from, kind, payload], i) => messageRecord(1, {
      type: 'message', seq: i + 1, ts: Math.round((T + 2 + i * 1.000001) * 1000) / 1000, startTs: T, from, kind, length: payload.length, wireLength: payload.length,
      frames: 1, compressed: false, payload, truncated: false, incomplete: false,
      text: kind === 'text' && payload.toString('utf8') === 'hello' ? 'hello' : null,
      ...(kind === 'close' ? { close: { code: 1000, reason: payload.subarray(2).toString() } } : {}),
    })),
    endRecord(1, { type: 'end', ts: T + 20, by: 'client', code: 1000, clean: true, bytes: { client: 1, server: 1 }, frames: { client: 1, server: 1 }, durationMs: 20, reason: null }),
  ];
  const har = new HarExport({ name: 'wspeek', version: 'test' });
  for (const r of records) har.add(r);
  const back = read(JSON.parse(JSON.stringify(har.document())));
  assert.deepEqual(ofType(back.records, 'message').map(essence), ofType(records, 'message').map(essence));
  const [end] = ofType(back.records, 'end') as EndRecord[];
  assert.equal(end!.code, 1000);
  assert.equal(end!.clean, true);
});
