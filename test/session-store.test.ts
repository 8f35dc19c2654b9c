import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionDecoder } from '../core/websocket/connection-decoder.js';
import type { Side, WsEvent } from '../core/websocket/events.js';
import {
  endRecord, frameRecord, handshakeRecord, messageRecord, violationRecord,
  type EndRecord, type FrameRecord, type HandshakeRecord, type LogRecord, type MessageRecord, type ViolationRecord,
} from '../core/log/records.js';
import { SessionStore, type StoredRecord } from '../core/store/session-store.js';
import type { ViolationRule } from '../core/websocket/violation-rules.js';

let clock = 0;

function handshake(conn: number, url: string): HandshakeRecord {
  return {
    type: 'handshake', conn, ts: ++clock, url,
    request: { method: 'GET', target: '/', version: 'HTTP/1.1', headers: [] },
    response: { version: 'HTTP/1.1', status: 101, reason: 'Switching Protocols', headers: [] },
    ms: 1, accept: 'valid', protocol: null, extensions: [], upgraded: true,
  };
}
function frame(conn: number, from: Side, opcode: number, fin = true): FrameRecord {
  return { type: 'frame', conn, ts: ++clock, from, fin, rsv: [false, false, false], opcode, masked: from === 'client', mask: from === 'client' ? '01020304' : null, length: 1 };
}
function message(conn: number, from: Side, kind: MessageRecord['kind'], frames = 1): MessageRecord {
  return { type: 'message', conn, seq: 1, ts: ++clock, from, kind, length: 1, wireLength: 1, frames, compressed: false, truncated: false, base64: 'AA==' };
}
function violation(conn: number, from: Side, rule: ViolationRule): ViolationRecord {
  return { type: 'violation', conn, ts: ++clock, from, rule, rfc: '6455 5.1', detail: `${rule} #${clock}` };
}
function end(conn: number): EndRecord {
  return { type: 'end', conn, ts: ++clock, by: 'client', code: 1000, clean: true, bytes: { client: 0, server: 0 }, frames: { client: 0, server: 0 }, durationMs: 1, reason: null };
}

/** A store with one listener that keeps everything. */
function collect() {
  const store = new SessionStore();
  const seen: StoredRecord[] = [];
  store.subscribe((s) => seen.push(s));
  const of = (r: LogRecord) => {
    const s = seen.find((x) => x.record === r);
    assert.ok(s, `record ${JSON.stringify(r)} reached the listener`);
    return s;
  };
  return { store, seen, of };
}

test('frames and violations go to the next message of the same sender, client and server interleaved', () => {
  const { store, of } = collect();
  const c1 = frame(1, 'client', 1, false);
  const s1 = frame(1, 'server', 2);
  const sv1 = violation(1, 'server', 'server-frame-masked');
  const cv1 = violation(1, 'client', 'client-frame-unmasked');
  const sm1 = message(1, 'server', 'binary');
  const c2 = frame(1, 'client', 0);
  const cm1 = message(1, 'client', 'text', 2);
  const s2 = frame(1, 'server', 1);
  const sm2 = message(1, 'server', 'text');
  const h = handshake(1, 'ws://h/x');
  for (const r of [h, c1, s1, sv1, cv1, sm1, c2, cm1, s2, sm2]) store.add(r);
  assert.deepEqual(of(sm1).frames, [s1]);
  assert.deepEqual(of(sm1).violations, [sv1]);
  assert.deepEqual(of(cm1).frames, [c1, c2]);
  assert.deepEqual(of(cm1).violations, [cv1]);
  assert.deepEqual(of(sm2).frames, [s2], 'what the server\'s previous message claimed is not claimed again');
  assert.deepEqual(of(sm2).violations, []);
  for (const r of [c1, s1, sv1, cv1, c2, s2]) {
    assert.deepEqual(of(r).frames, [], `${r.type} records link nothing`);
    assert.deepEqual(of(r).violations, []);
  }
});

test('a control message inside a fragmented message claims only its own frame', () => {
  const { store, of } = collect();
  store.add(handshake(1, 'ws://h/x'));
  const first = frame(1, 'client', 1, false);
  const ping = frame(1, 'client', 9);
  const pingMessage = message(1, 'client', 'ping');
  const last = frame(1, 'client', 0, true);
  const text = message(1, 'client', 'text', 2);
  for (const r of [first, ping, pingMessage, last, text]) store.add(r);
  assert.deepEqual(of(pingMessage).frames, [ping]);
  assert.deepEqual(of(text).frames, [first, last]);
});

test('handshake violations (before the handshake record) go to the handshake; connection.url comes from it', () => {
  const { store, of } = collect();
  const early = violation(1, 'client', 'malformed-handshake');
  store.add(early);
  assert.deepEqual(of(early).connection, { conn: 1, url: null, upgraded: false });
  const bad = violation(1, 'server', 'bad-accept');
  store.add(bad);
  const h = handshake(1, 'ws://example.com/chat');
  store.add(h);
  assert.deepEqual(of(h).violations, [early, bad]);
  assert.deepEqual(of(h).frames, []);
  assert.deepEqual(of(h).connection, { conn: 1, url: 'ws://example.com/chat', upgraded: true });
  const later = violation(1, 'client', 'client-frame-unmasked');
  const f = frame(1, 'client', 1);
  const m = message(1, 'client', 'text');
  for (const r of [later, f, m]) store.add(r);
  assert.deepEqual(of(m).violations, [later], 'after the handshake, violations go to messages');
  assert.equal(of(m).connection?.url, 'ws://example.com/chat');
  const e = end(1);
  store.add(e);
  assert.deepEqual(of(e).violations, [], 'the handshake\'s violations are not repeated at the end');
});

test('violations no message claimed go to the end record', () => {
  const { store, of } = collect();
  store.add(handshake(1, 'ws://h/x'));
  const claimed = violation(1, 'server', 'server-frame-masked');
  store.add(claimed);
  store.add(frame(1, 'server', 1));
  store.add(message(1, 'server', 'text'));
  const cv = violation(1, 'client', 'data-after-close');
  const sv = violation(1, 'server', 'invalid-close-code');
  for (const r of [cv, frame(1, 'client', 1, false), sv]) store.add(r);
  const e = end(1);
  store.add(e);
  assert.deepEqual(of(e).violations, [cv, sv]);

  // A connection whose handshake never completed: its handshake violations go to the end record.
  const hv = violation(2, 'client', 'malformed-handshake');
  store.add(hv);
  const e2 = end(2);
  store.add(e2);
  assert.deepEqual(of(e2).violations, [hv]);
  assert.deepEqual(of(e2).connection, { conn: 2, url: null, upgraded: false });
});

test('connections are tracked apart: records of two connections interleaved', () => {
  const { store, of } = collect();
  store.add(handshake(1, 'ws://one/'));
  const v2 = violation(2, 'client', 'malformed-handshake');
  store.add(v2);
  store.add(handshake(2, 'ws://two/'));
  const f1 = frame(1, 'client', 1);
  const f2 = frame(2, 'client', 1);
  const v1 = violation(1, 'client', 'client-frame-unmasked');
  const m2 = message(2, 'client', 'text');
  const m1 = message(1, 'client', 'text');
  for (const r of [f1, f2, v1, m2, m1]) store.add(r);
  assert.deepEqual(of(m1).frames, [f1]);
  assert.deepEqual(of(m1).violations, [v1]);
  assert.deepEqual(of(m2).frames, [f2]);
  assert.deepEqual(of(m2).violations, []);
  assert.equal(of(m1).connection?.url, 'ws://one/');
  assert.equal(of(m2).connection?.url, 'ws://two/');
  // After its end, a connection is forgotten.
  store.add(end(1));
  const again = frame(1, 'server', 1);
  store.add(again);
  assert.deepEqual(of(again).connection, { conn: 1, url: null, upgraded: false });
});

test('every record reaches every listener, in order, as the same object', () => {
  const store = new SessionStore();
  const a: StoredRecord[] = [];
  const b: StoredRecord[] = [];
  const order: string[] = [];
  store.subscribe((s) => { a.push(s); order.push('a'); });
  store.subscribe((s) => { b.push(s); order.push('b'); });
  const records: LogRecord[] = [
    { type: 'session', version: 1, tool: 'wspeek', ts: 0, mode: 'demo', listen: '127.0.0.1:1', target: null },
    { type: 'connect', conn: 1, ts: 1, client: '127.0.0.1:2', server: null, tls: false },
    violation(1, 'client', 'malformed-handshake'),
    handshake(1, 'ws://h/'),
    frame(1, 'server', 1),
    message(1, 'server', 'text'),
    { type: 'http', conn: 2, ts: 50, method: 'GET', url: 'http://h/', status: 200, ms: 1 },
    end(1),
  ];
  for (const r of records) store.add(r);
  assert.deepEqual(a.map((s) => s.record), records);
  assert.deepEqual(b.map((s) => s.record), records);
  a.forEach((s, i) => assert.equal(s.record, records[i]));
  assert.equal(a[0]!.connection, null, 'the session record belongs to no connection');
  assert.deepEqual(order, records.flatMap(() => ['a', 'b']), 'listeners in subscription order, record by record');
});

test('a real decoded connection: each finished message links exactly the frames that carried it', () => {
  const events: WsEvent[] = [];
  const d = new ConnectionDecoder({ startTs: 0 }, (e) => events.push(e));
  const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
  d.receive('client', Buffer.from('GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'), 1);
  d.receive('server', Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: bad\r\n\r\n'), 2);
  d.receive('client', hex('01 81 00 00 00 00 48'), 3); // "H", FIN clear, mask 0
  d.receive('server', hex('81 0c 48 65 6c 6c 6f 2c 20 77 6f 72 6c 64'), 4);
  d.receive('client', hex('89 80 00 00 00 00'), 5); // ping inside the fragmented message
  d.receive('client', hex('80 02 69 21'), 6); // unmasked continuation "i!": a violation
  d.receive('server', hex('8a 00'), 7);
  d.finish(8);
  const { store, seen } = collect();
  for (const e of events) {
    switch (e.type) {
      case 'handshake': store.add(handshakeRecord(1, e, 'ws://h/chat')); break;
      case 'frame': store.add(frameRecord(1, e)); break;
      case 'message': store.add(messageRecord(1, e)); break;
      case 'violation': store.add(violationRecord(1, e)); break;
      case 'end': store.add(endRecord(1, e)); break;
    }
  }
  const stored = (type: string) => seen.filter((s) => s.record.type === type);
  assert.deepEqual(stored('handshake')[0]!.violations.map((v) => v.rule), ['bad-accept']);
  const messages = stored('message');
  assert.deepEqual(messages.map((s) => [(s.record as MessageRecord).from, (s.record as MessageRecord).kind]), [['server', 'text'], ['client', 'ping'], ['client', 'text'], ['server', 'pong']]);
  for (const s of messages) {
    const m = s.record as MessageRecord;
    assert.equal(s.frames.length, m.frames, `${m.from} ${m.kind}: linked frames = frames that carried it`);
    for (const f of s.frames) assert.equal(f.from, m.from);
  }
  assert.deepEqual(messages[2]!.frames.map((f) => f.opcode), [1, 0]);
  assert.deepEqual(messages[2]!.violations.map((v) => v.rule), ['client-frame-unmasked']);
  assert.equal((messages[2]!.record as MessageRecord).text, 'Hi!');
  assert.deepEqual(stored('end')[0]!.violations, []);
});

test('interleaved-data-frame and the new frame\'s violations link to the new message, not to the one it cut off', () => {
  const { store, seen } = collect();
  const events: WsEvent[] = [];
  const d = new ConnectionDecoder({ startTs: 0, framesOnly: { extensions: [] } }, (e) => events.push(e));
  // From the server: a text fragment (FIN=0), then a binary frame with RSV2 set that starts a new message.
  d.receive('server', Buffer.from('01034865' + '6c' + 'a2026869', 'hex'), 1);
  d.finish(2);
  store.add(handshake(1, 'ws://h/x'));
  for (const e of events) {
    if (e.type === 'frame') store.add(frameRecord(1, e));
    else if (e.type === 'message') store.add(messageRecord(1, e));
    else if (e.type === 'violation') store.add(violationRecord(1, e));
    else if (e.type === 'end') store.add(endRecord(1, e));
  }
  const messages = seen.filter((s) => s.record.type === 'message');
  assert.deepEqual(messages.map((s) => [(s.record as MessageRecord).kind, (s.record as MessageRecord).incomplete ?? false]), [['text', true], ['binary', false]]);
  assert.deepEqual(messages[0]!.violations.map((v) => v.rule), [], 'the cut-off text message caused nothing');
  assert.deepEqual(messages[1]!.violations.map((v) => v.rule).sort(), ['interleaved-data-frame', 'rsv-bit-without-extension']);
});
