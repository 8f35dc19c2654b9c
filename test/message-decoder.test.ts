import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { ConnectionDecoder } from '../core/websocket/connection-decoder.js';
import type { EndEvent, Extension, FrameEvent, MessageEvent, Side, ViolationEvent, WsEvent } from '../core/websocket/events.js';
import { VIOLATION_RULES, type ViolationRule } from '../core/websocket/violation-rules.js';
import {
  CLIENT_HELLO_HEX as CLIENT_HELLO, hex, RULE_RFC_SECTIONS as RFC, SERVER_HELLO_HEX as SERVER_HELLO,
} from './support/rfc6455-fixtures.js';

// ---------------------------------------------------------------------------------------------
// Helpers

const DEFLATE: Extension[] = [{ name: 'permessage-deflate', params: {} }];
const DEFLATE_SERVER_NCT: Extension[] = [{ name: 'permessage-deflate', params: { server_no_context_takeover: true } }];
const DEFLATE_BOTH_NCT: Extension[] = [
  { name: 'permessage-deflate', params: { server_no_context_takeover: true, client_no_context_takeover: true } },
];

/** RFC 7692 §7.2.3.1: "Hello" compressed, from the server. */
const SERVER_HELLO_DEFLATED = 'c1 07 f2 48 cd c9 c9 07 00';

/** Masks `payload` with key 37fa213d and prepends the header: how a client sends a frame. */
function clientFrame(firstByte: number, payload: Buffer | string): Buffer {
  const p = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const key = hex('37fa213d');
  const len = p.length < 126 ? Buffer.of(0x80 | p.length) : Buffer.concat([Buffer.of(0x80 | 126), u16(p.length)]);
  return Buffer.concat([Buffer.of(firstByte), len, key, Buffer.from(p.map((b, i) => b ^ key[i % 4]!))]);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

interface Harness {
  d: ConnectionDecoder;
  events: WsEvent[];
  send(from: Side, bytes: string | Buffer, ts?: number): void;
  messages(): MessageEvent[];
  frames(): FrameEvent[];
  violations(): ViolationEvent[];
  end(): EndEvent;
}

function harness(d: ConnectionDecoder, events: WsEvent[]): Harness {
  return {
    d,
    events,
    send(from, bytes, ts = 1) {
      d.receive(from, typeof bytes === 'string' ? hex(bytes) : bytes, ts);
    },
    messages: () => events.filter((e): e is MessageEvent => e.type === 'message'),
    frames: () => events.filter((e): e is FrameEvent => e.type === 'frame'),
    violations: () => events.filter((e): e is ViolationEvent => e.type === 'violation'),
    end: () => {
      const ends = events.filter((e): e is EndEvent => e.type === 'end');
      assert.equal(ends.length, 1);
      return ends[0]!;
    },
  };
}

/** A decoder that starts with frames (the handshake happened elsewhere). */
function framesOnly(extensions: Extension[] = [], options: { maxPayload?: number; startTs?: number } = {}): Harness {
  const events: WsEvent[] = [];
  const d = new ConnectionDecoder({ startTs: options.startTs ?? 0, maxPayload: options.maxPayload, framesOnly: { extensions } }, (e) => events.push(e));
  return harness(d, events);
}

/** Exactly these violations (rule and side), in order, each citing its RFC section. */
function assertViolations(h: Harness, expected: Array<[ViolationRule, Side]>): ViolationEvent[] {
  const v = h.violations();
  assert.deepEqual(v.map((e) => [e.rule, e.from]), expected, v.map((e) => `${e.rule}: ${e.detail}`).join('\n'));
  for (const e of v) {
    assert.equal(e.rfc, RFC[e.rule], e.rule);
    assert.ok(e.detail.length > 0);
  }
  return v;
}

/** Sends "Hello" from `from` and checks that it is decoded as the next message. */
function assertStillDecodes(h: Harness, from: Side, deflated = false): void {
  const before = h.messages().length;
  h.send(from, from === 'client' ? CLIENT_HELLO : deflated ? SERVER_HELLO_DEFLATED : SERVER_HELLO, 99);
  const after = h.messages();
  assert.equal(after.length, before + 1, 'a following valid frame yields its message');
  const m = after.at(-1)!;
  assert.equal(m.from, from);
  assert.equal(m.kind, 'text');
  assert.equal(m.text, 'Hello');
  assert.equal(m.incomplete, false);
}

function only<T>(list: T[]): T {
  assert.equal(list.length, 1);
  return list[0]!;
}

// ---------------------------------------------------------------------------------------------
// RFC 6455 §5.7 examples

test('clientFrame builds the RFC 6455 §5.7 masked "Hello" exactly', () => {
  assert.deepEqual(clientFrame(0x81, 'Hello'), hex(CLIENT_HELLO));
});

test('RFC 6455 §5.7: a single-frame unmasked text message from the server', () => {
  const h = framesOnly();
  h.send('server', SERVER_HELLO, 5);
  assertViolations(h, []);
  const f = only(h.frames());
  assert.deepEqual(f, {
    type: 'frame', ts: 5, from: 'server', fin: true, rsv: [false, false, false], opcode: 1,
    masked: false, mask: null, length: 5, headerLength: 2,
  });
  const m = only(h.messages());
  assert.deepEqual(m, {
    type: 'message', seq: 1, ts: 5, startTs: 5, from: 'server', kind: 'text', length: 5, wireLength: 5, frames: 1,
    compressed: false, payload: Buffer.from('Hello'), truncated: false, incomplete: false, text: 'Hello', close: undefined,
  });
  assert.deepEqual(h.events.map((e) => e.type), ['frame', 'message']);
});

test('RFC 6455 §5.7: a single-frame masked text message from the client', () => {
  const h = framesOnly();
  h.send('client', CLIENT_HELLO, 5);
  assertViolations(h, []);
  const f = only(h.frames());
  assert.equal(f.masked, true);
  assert.equal(f.mask, '37fa213d');
  assert.equal(f.headerLength, 6);
  assert.equal(f.length, 5);
  const m = only(h.messages());
  assert.equal(m.from, 'client');
  assert.equal(m.text, 'Hello');
  assert.deepEqual(m.payload, Buffer.from('Hello'));
});

test('RFC 6455 §5.7: a fragmented unmasked text message is reassembled', () => {
  const h = framesOnly();
  h.send('server', '01 03 48 65 6c', 10);
  assert.equal(h.messages().length, 0, 'no message before the final fragment');
  h.send('server', '80 02 6c 6f', 12);
  assertViolations(h, []);
  assert.deepEqual(h.frames().map((f) => [f.fin, f.opcode, f.length, f.ts]), [[false, 1, 3, 10], [true, 0, 2, 12]]);
  const m = only(h.messages());
  assert.equal(m.text, 'Hello');
  assert.equal(m.frames, 2);
  assert.equal(m.length, 5);
  assert.equal(m.wireLength, 5);
  assert.equal(m.startTs, 10);
  assert.equal(m.ts, 12);
});

test('RFC 6455 §5.7: an unmasked ping from the server and the masked pong from the client', () => {
  const h = framesOnly();
  h.send('server', '89 05 48 65 6c 6c 6f', 20);
  h.send('client', '8a 85 37 fa 21 3d 7f 9f 4d 51 58', 27);
  assertViolations(h, []);
  const [ping, pong] = h.messages();
  assert.equal(ping!.kind, 'ping');
  assert.equal(ping!.from, 'server');
  assert.deepEqual(ping!.payload, Buffer.from('Hello'));
  assert.equal(ping!.text, null);
  assert.equal(pong!.kind, 'pong');
  assert.equal(pong!.from, 'client');
  assert.deepEqual(pong!.payload, Buffer.from('Hello'));
  assert.equal(pong!.rtt, 7);
});

test('RFC 6455 §5.7: 256 bytes of binary data in a single unmasked frame (16-bit length)', () => {
  const payload = Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i));
  const h = framesOnly();
  h.send('server', Buffer.concat([hex('82 7E 0100'), payload]));
  assertViolations(h, []);
  assert.equal(only(h.frames()).headerLength, 4);
  const m = only(h.messages());
  assert.equal(m.kind, 'binary');
  assert.equal(m.length, 256);
  assert.deepEqual(m.payload, payload);
  assert.equal(m.text, null);
  assert.equal(m.truncated, false);
});

test('RFC 6455 §5.7: 64 KiB of binary data in a single unmasked frame (64-bit length)', () => {
  const payload = Buffer.from(Array.from({ length: 65536 }, (_, i) => (i * 7) & 0xff));
  const h = framesOnly();
  const bytes = Buffer.concat([hex('82 7F 0000000000010000'), payload]);
  // In uneven chunks.
  for (let i = 0; i < bytes.length; i += 4099) h.send('server', bytes.subarray(i, i + 4099));
  assertViolations(h, []);
  assert.equal(only(h.frames()).headerLength, 10);
  const m = only(h.messages());
  assert.equal(m.length, 65536);
  assert.deepEqual(m.payload, payload);
});

test('a masked 64 KiB binary message from the client unmasks correctly across chunks', () => {
  const payload = Buffer.from(Array.from({ length: 65536 }, (_, i) => (i * 13) & 0xff));
  const key = hex('a1b2c3d4');
  const bytes = Buffer.concat([hex('82 FF 0000000000010000'), key, Buffer.from(payload.map((b, i) => b ^ key[i % 4]!))]);
  const h = framesOnly();
  for (let i = 0; i < bytes.length; i += 1001) h.send('client', bytes.subarray(i, i + 1001));
  assertViolations(h, []);
  assert.deepEqual(only(h.messages()).payload, payload);
});

// ---------------------------------------------------------------------------------------------
// The two frames of the Wireshark capture in the article "WebSocketの中身を覗いてみる"
// (HTML5 Advent Calendar 2012, day 15): a browser and a WebSocket-Node server

test('Wireshark capture, server frame 81 0c: "Hello, world"', () => {
  const h = framesOnly();
  h.send('server', Buffer.concat([hex('81 0c'), Buffer.from('Hello, world')]));
  assertViolations(h, []);
  assert.equal(only(h.messages()).text, 'Hello, world');
});

test('Wireshark capture, client frame 81 89 95 39 ff dd ...: "Good bye." masked with key 9539ffdd', () => {
  const h = framesOnly();
  h.send('client', '81 89 95 39 ff dd d2 56 90 b9 b5 5b 86 b8 bb');
  assertViolations(h, []);
  assert.equal(only(h.frames()).mask, '9539ffdd');
  assert.equal(only(h.messages()).text, 'Good bye.');
});

// ---------------------------------------------------------------------------------------------
// RFC 7692 §7.2.3 examples (permessage-deflate, server to client)

test('RFC 7692 §7.2.3.1: "Hello" compressed in one DEFLATE block', () => {
  const h = framesOnly(DEFLATE);
  h.send('server', SERVER_HELLO_DEFLATED);
  assertViolations(h, []);
  assert.deepEqual(only(h.frames()).rsv, [true, false, false]);
  const m = only(h.messages());
  assert.equal(m.text, 'Hello');
  assert.equal(m.compressed, true);
  assert.equal(m.length, 5);
  assert.equal(m.wireLength, 7);
  assert.equal(m.truncated, false);
});

test('RFC 7692 §7.2.3.1: the same compressed message in two fragments', () => {
  const h = framesOnly(DEFLATE);
  h.send('server', '41 03 f2 48 cd');
  h.send('server', '80 04 c9 c9 07 00');
  assertViolations(h, []);
  const m = only(h.messages());
  assert.equal(m.text, 'Hello');
  assert.equal(m.frames, 2);
  assert.equal(m.wireLength, 7);
  assert.equal(m.compressed, true);
});

test('RFC 7692 §7.2.3.2: a second "Hello" that refers back into the shared LZ77 window', () => {
  const h = framesOnly(DEFLATE);
  h.send('server', SERVER_HELLO_DEFLATED);
  h.send('server', 'c1 05 f2 00 11 00 00');
  assertViolations(h, []);
  assert.deepEqual(h.messages().map((m) => [m.text, m.wireLength]), [['Hello', 7], ['Hello', 5]]);
});

test('RFC 7692 §7.2.3.2: with server_no_context_takeover, each message is compressed alone', () => {
  const h = framesOnly(DEFLATE_SERVER_NCT);
  h.send('server', SERVER_HELLO_DEFLATED);
  h.send('server', SERVER_HELLO_DEFLATED);
  assertViolations(h, []);
  assert.deepEqual(h.messages().map((m) => m.text), ['Hello', 'Hello']);
});

test('with server_no_context_takeover the window is really reset: a back-reference into the last message fails', () => {
  const h = framesOnly(DEFLATE_SERVER_NCT);
  h.send('server', SERVER_HELLO_DEFLATED);
  h.send('server', 'c1 05 f2 00 11 00 00');
  assertViolations(h, [['inflate-failed', 'server']]);
});

test('the client direction has its own window: client_no_context_takeover does not reset the server\'s', () => {
  const h = framesOnly([{ name: 'permessage-deflate', params: { client_no_context_takeover: true } }]);
  h.send('server', SERVER_HELLO_DEFLATED);
  // A compressed, masked client message in between.
  h.send('client', 'c1 87 37 fa 21 3d c5 b2 ec f4 fe fd 21');
  h.send('server', 'c1 05 f2 00 11 00 00');
  assertViolations(h, []);
  assert.deepEqual(h.messages().map((m) => [m.from, m.text]), [['server', 'Hello'], ['client', 'Hello'], ['server', 'Hello']]);
});

test('RFC 7692 §7.2.3.3: a DEFLATE block with no compression', () => {
  const h = framesOnly(DEFLATE);
  h.send('server', 'c1 0b 00 05 00 fa ff 48 65 6c 6c 6f 00');
  assertViolations(h, []);
  assert.equal(only(h.messages()).text, 'Hello');
});

test('RFC 7692 §7.2.3.4: a DEFLATE block with BFINAL set, and a message after it still decodes', () => {
  const h = framesOnly(DEFLATE);
  h.send('server', 'c1 08 f3 48 cd c9 c9 07 00 00');
  h.send('server', SERVER_HELLO_DEFLATED);
  assertViolations(h, []);
  assert.deepEqual(h.messages().map((m) => m.text), ['Hello', 'Hello']);
});

test('RFC 7692 §7.2.3.5: two DEFLATE blocks in one message', () => {
  const h = framesOnly(DEFLATE);
  h.send('server', 'c1 0d f2 48 05 00 00 00 ff ff ca c9 c9 07 00');
  assertViolations(h, []);
  const m = only(h.messages());
  assert.equal(m.text, 'Hello');
  assert.equal(m.wireLength, 13);
});

test('a compressed message from the client is unmasked before inflating, also when split mid-frame', () => {
  const frame = hex('c1 87 37 fa 21 3d c5 b2 ec f4 fe fd 21');
  for (let cut = 1; cut < frame.length; cut++) {
    const h = framesOnly(DEFLATE);
    h.send('client', frame.subarray(0, cut));
    h.send('client', frame.subarray(cut));
    assertViolations(h, []);
    assert.equal(only(h.messages()).text, 'Hello', `cut at ${cut}`);
  }
});

test('an uncompressed message (RSV1 clear) under permessage-deflate is taken as is', () => {
  const h = framesOnly(DEFLATE);
  h.send('server', SERVER_HELLO);
  assertViolations(h, []);
  const m = only(h.messages());
  assert.equal(m.compressed, false);
  assert.equal(m.text, 'Hello');
});

// ---------------------------------------------------------------------------------------------
// One test per violation rule

test('every violation rule has a test here, citing the RFC section the rule table gives', () => {
  assert.deepEqual(Object.keys(VIOLATION_RULES).sort(), Object.keys(RFC).sort());
  assert.equal(Object.keys(RFC).length, 18);
  for (const [rule, { rfc }] of Object.entries(VIOLATION_RULES)) assert.equal(rfc, RFC[rule as ViolationRule], rule);
});

const REQUEST =
  'GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
const RESPONSE = (accept: string) =>
  `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`;

function withHandshake(request: string, response: string): Harness {
  const events: WsEvent[] = [];
  const d = new ConnectionDecoder({ startTs: 0 }, (e) => events.push(e));
  const h = harness(d, events);
  h.send('client', Buffer.from(request), 1);
  h.send('server', Buffer.from(response), 2);
  return h;
}

test('violation malformed-handshake: a POST upgrade request, reported from the client; frames still decode', () => {
  const h = withHandshake(REQUEST.replace('GET', 'POST'), RESPONSE('s3pPLMBiTxaQ9kYGzzhZRbK+xOo='));
  const [v] = assertViolations(h, [['malformed-handshake', 'client']]);
  assert.match(v!.detail, /method is POST/);
  assertStillDecodes(h, 'server');
  assertStillDecodes(h, 'client');
});

test('violation bad-accept: a wrong Sec-WebSocket-Accept, reported from the server; frames still decode', () => {
  const h = withHandshake(REQUEST, RESPONSE('j+6fEtOsvfgsycBMCfLxWNzPFxk='));
  const [v] = assertViolations(h, [['bad-accept', 'server']]);
  assert.match(v!.detail, /expected s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/);
  assertStillDecodes(h, 'server');
});

test('violation client-frame-unmasked: the message is still decoded', () => {
  const h = framesOnly();
  h.send('client', SERVER_HELLO);
  assertViolations(h, [['client-frame-unmasked', 'client']]);
  assert.equal(only(h.messages()).text, 'Hello');
  assertStillDecodes(h, 'client');
  assert.equal(h.violations().length, 1);
});

test('violation server-frame-masked: the message is unmasked and decoded', () => {
  const h = framesOnly();
  h.send('server', CLIENT_HELLO);
  assertViolations(h, [['server-frame-masked', 'server']]);
  assert.equal(only(h.messages()).text, 'Hello');
  assertStillDecodes(h, 'server');
  assert.equal(h.violations().length, 1);
});

test('violation rsv-bit-without-extension: RSV2 set', () => {
  const h = framesOnly();
  h.send('server', 'a1 05 48 65 6c 6c 6f');
  const [v] = assertViolations(h, [['rsv-bit-without-extension', 'server']]);
  assert.match(v!.detail, /RSV2/);
  assertStillDecodes(h, 'server');
  assert.equal(h.violations().length, 1);
});

test('violation rsv-bit-without-extension: RSV3 set, on a client frame', () => {
  const h = framesOnly();
  h.send('client', clientFrame(0x91, 'Hello'));
  const [v] = assertViolations(h, [['rsv-bit-without-extension', 'client']]);
  assert.match(v!.detail, /RSV3/);
  assert.equal(only(h.messages()).text, 'Hello');
  assertStillDecodes(h, 'client');
});

test('violation rsv-bit-without-extension: RSV1 set with no extension agreed (the payload is not inflated)', () => {
  const h = framesOnly();
  h.send('server', 'c2 07 f2 48 cd c9 c9 07 00');
  const [v] = assertViolations(h, [['rsv-bit-without-extension', 'server']]);
  assert.match(v!.detail, /RSV1/);
  const m = only(h.messages());
  assert.equal(m.compressed, false);
  assert.deepEqual(m.payload, hex('f2 48 cd c9 c9 07 00'));
  assertStillDecodes(h, 'server');
});

test('violation rsv-bit-without-extension: RSV1 on a continuation frame under permessage-deflate', () => {
  const h = framesOnly(DEFLATE);
  h.send('server', '41 03 f2 48 cd');
  h.send('server', 'c0 04 c9 c9 07 00');
  const [v] = assertViolations(h, [['rsv-bit-without-extension', 'server']]);
  assert.match(v!.detail, /continuation/);
  assert.equal(only(h.messages()).text, 'Hello');
  assertStillDecodes(h, 'server', true);
});

test('RSV bits are not reported when an unknown extension was agreed (it may define them)', () => {
  const h = framesOnly([{ name: 'x-custom', params: {} }]);
  h.send('server', 'f1 05 48 65 6c 6c 6f');
  assertViolations(h, []);
  assert.equal(only(h.messages()).text, 'Hello');
});

test('violation unknown-opcode: reserved data opcode 3 and control opcode 0xB; their payload is skipped', () => {
  const h = framesOnly();
  h.send('server', '83 05 48 65 6c 6c 6f');
  h.send('server', '8b 02 00 00');
  const v = assertViolations(h, [['unknown-opcode', 'server'], ['unknown-opcode', 'server']]);
  assert.match(v[0]!.detail, /0x3/);
  assert.match(v[1]!.detail, /0xb/);
  assert.equal(h.messages().length, 0);
  assert.deepEqual(h.frames().map((f) => f.opcode), [3, 11]);
  assertStillDecodes(h, 'server');
});

test('violation unknown-opcode in the middle of a fragmented message does not break it', () => {
  const h = framesOnly();
  h.send('client', clientFrame(0x01, 'Hel'));
  h.send('client', clientFrame(0x84, 'xx'));
  h.send('client', clientFrame(0x80, 'lo'));
  assertViolations(h, [['unknown-opcode', 'client']]);
  assert.equal(only(h.messages()).text, 'Hello');
});

test('violation non-minimal-length: 5 in the 16-bit and in the 64-bit form', () => {
  const h = framesOnly();
  h.send('server', '81 7e 0005 48 65 6c 6c 6f');
  h.send('client', Buffer.concat([hex('81 ff 0000000000000005 37fa213d'), hex('7f9f4d5158')]));
  const v = assertViolations(h, [['non-minimal-length', 'server'], ['non-minimal-length', 'client']]);
  assert.match(v[0]!.detail, /16-bit/);
  assert.match(v[1]!.detail, /64-bit/);
  assert.deepEqual(h.messages().map((m) => m.text), ['Hello', 'Hello']);
  assertStillDecodes(h, 'server');
  assert.equal(h.violations().length, 2);
});

test('violation invalid-length: a 64-bit length with the top bit set; later bytes from that side are not decoded', () => {
  const h = framesOnly();
  h.send('server', '82 7f 80 00 00 00 00 00 00 00', 3);
  h.send('server', SERVER_HELLO, 4);
  h.send('server', SERVER_HELLO, 5);
  const [v] = assertViolations(h, [['invalid-length', 'server']]);
  assert.equal(v!.ts, 3);
  assert.equal(h.messages().length, 0);
  assert.equal(h.frames().length, 0);
  // The other side is unaffected.
  assertStillDecodes(h, 'client');
  h.d.finish(10);
  const end = h.end();
  assert.equal(end.bytes.server, 10 + 7 + 7);
  assert.equal(end.frames.server, 1);
  assert.match(end.reason!, /server framing was lost/);
});

test('violation unexpected-continuation: a continuation with no message in progress is skipped', () => {
  const h = framesOnly();
  h.send('server', '80 05 48 65 6c 6c 6f');
  assertViolations(h, [['unexpected-continuation', 'server']]);
  assert.equal(h.messages().length, 0);
  assertStillDecodes(h, 'server');
  assert.equal(h.violations().length, 1);
});

test('violation interleaved-data-frame: the unfinished message is emitted as incomplete, the new one decodes', () => {
  const h = framesOnly();
  h.send('server', '01 03 48 65 6c', 1);
  h.send('server', '82 02 01 02', 2);
  const [v] = assertViolations(h, [['interleaved-data-frame', 'server']]);
  assert.match(v!.detail, /binary frame started a new message while a fragmented text message/);
  const [cut, next] = h.messages();
  assert.equal(cut!.kind, 'text');
  assert.equal(cut!.incomplete, true);
  assert.equal(cut!.text, 'Hel');
  assert.equal(cut!.length, 3);
  assert.equal(next!.kind, 'binary');
  assert.deepEqual(next!.payload, hex('0102'));
  assert.equal(next!.incomplete, false);
  assertStillDecodes(h, 'server');
});

test('violation control-frame-too-long: a 126-byte ping is still delivered', () => {
  const h = framesOnly();
  const payload = Buffer.alloc(126, 0x61);
  h.send('server', Buffer.concat([hex('89 7e 007e'), payload]));
  const [v] = assertViolations(h, [['control-frame-too-long', 'server']]);
  assert.match(v!.detail, /126 bytes/);
  const m = only(h.messages());
  assert.equal(m.kind, 'ping');
  assert.equal(m.length, 126);
  assert.deepEqual(m.payload, payload);
  assertStillDecodes(h, 'server');
});

test('violation control-frame-fragmented: a ping with FIN clear', () => {
  const h = framesOnly();
  h.send('client', clientFrame(0x09, 'p'));
  assertViolations(h, [['control-frame-fragmented', 'client']]);
  assert.equal(only(h.messages()).kind, 'ping');
  assertStillDecodes(h, 'client');
  assert.equal(h.violations().length, 1);
});

test('violation close-payload-too-short: a 1-byte close payload has no code', () => {
  const h = framesOnly();
  h.send('server', '88 01 03');
  assertViolations(h, [['close-payload-too-short', 'server']]);
  const m = only(h.messages());
  assert.equal(m.kind, 'close');
  assert.deepEqual(m.close, { code: null, reason: '' });
  // Decoding goes on (a frame after the close is itself a violation, but still decoded).
  assertStillDecodes(h, 'server');
  assertViolations(h, [['close-payload-too-short', 'server'], ['data-after-close', 'server']]);
});

test('violation data-after-close: a frame after this side\'s close is reported and still decoded', () => {
  const h = framesOnly();
  h.send('server', '88 02 03 e8');
  assertViolations(h, []);
  // The client's frames are not affected by the server's close.
  assertStillDecodes(h, 'client');
  assertViolations(h, []);
  h.send('server', SERVER_HELLO);
  assertViolations(h, [['data-after-close', 'server']]);
  assert.equal(h.messages().at(-1)!.text, 'Hello');
});

test('violation invalid-close-code: codes that may not be sent', () => {
  for (const code of [0, 999, 1004, 1005, 1006, 1015, 2000, 2999, 5000]) {
    const h = framesOnly();
    h.send('client', clientFrame(0x88, u16(code)));
    const [v] = assertViolations(h, [['invalid-close-code', 'client']]);
    assert.match(v!.detail, new RegExp(`close code ${code} `));
    assert.deepEqual(only(h.messages()).close, { code, reason: '' });
    assertStillDecodes(h, 'server');
  }
});

test('sendable close codes are not reported', () => {
  for (const code of [1000, 1001, 1003, 1007, 1011, 1014, 3000, 4999]) {
    const h = framesOnly();
    h.send('server', Buffer.concat([hex('88 02'), u16(code)]));
    assertViolations(h, []);
    assert.equal(only(h.messages()).close!.code, code);
  }
});

test('violation invalid-utf8: a text message that is not UTF-8', () => {
  const h = framesOnly();
  h.send('server', '81 02 c3 28');
  assertViolations(h, [['invalid-utf8', 'server']]);
  const m = only(h.messages());
  assert.equal(m.text, null);
  assert.deepEqual(m.payload, hex('c3 28'));
  assertStillDecodes(h, 'server');
});

test('violation invalid-utf8: a fragmented text message is checked whole, whichever of its frames holds the bad byte', () => {
  // Short frames are scanned for non-ASCII bytes as they are unmasked; a long one is not, so the
  // message must still be validated when the bad byte is in either.
  const long = Buffer.alloc(200, 0x61);
  long[150] = 0xff;
  for (const [first, last] of [[Buffer.from('ab'), long], [hex('ff'), Buffer.from('abc')], [Buffer.from('ab'), hex('c3')]] as const) {
    const h = framesOnly();
    h.send('client', Buffer.concat([clientFrame(0x01, first), clientFrame(0x80, last)]));
    assertViolations(h, [['invalid-utf8', 'client']]);
    const m = only(h.messages());
    assert.equal(m.text, null);
    assert.deepEqual(m.payload, Buffer.concat([first, last]));
  }
});

test('short and long text messages outside ASCII decode to their text, masked or not', () => {
  const h = framesOnly();
  const short = 'héllo wörld ✓';
  const long = `${'ascii '.repeat(30)}then ünïcödé`;
  h.send('client', clientFrame(0x81, short));
  h.send('server', Buffer.concat([Buffer.of(0x81, Buffer.byteLength(short)), Buffer.from(short)]));
  h.send('client', clientFrame(0x81, long));
  assertViolations(h, []);
  assert.deepEqual(h.messages().map((m) => m.text), [short, short, long]);
});

test('violation invalid-utf8: a close reason that is not UTF-8', () => {
  const h = framesOnly();
  h.send('client', clientFrame(0x88, hex('03 e8 ff fe')));
  assertViolations(h, [['invalid-utf8', 'client']]);
  assert.equal(only(h.messages()).close!.code, 1000);
  assertStillDecodes(h, 'server');
});

test('a close payload decodes to code and UTF-8 reason', () => {
  const h = framesOnly();
  h.send('server', Buffer.concat([hex('88 08 03 e9'), Buffer.from('bye \u00e9')]));
  assertViolations(h, []);
  const m = only(h.messages());
  assert.equal(m.kind, 'close');
  assert.deepEqual(m.close, { code: 1001, reason: 'bye \u00e9' });
  assert.equal(m.length, 8);
  const empty = framesOnly();
  empty.send('server', '88 00');
  assertViolations(empty, []);
  assert.deepEqual(only(empty.messages()).close, { code: null, reason: '' });
});

test('a valid character split across fragments is not reported as invalid-utf8', () => {
  const h = framesOnly();
  h.send('server', '01 01 c3');
  h.send('server', '00 01 a9');
  h.send('server', '00 02 e2 82');
  h.send('server', '80 05 ac f0 9f 98 80');
  assertViolations(h, []);
  assert.equal(only(h.messages()).text, '\u00e9\u20ac\u{1f600}');
});

test('a text message cut at maxPayload inside a character is not reported as invalid-utf8', () => {
  const h = framesOnly([], { maxPayload: 2 });
  h.send('server', '81 03 61 c3 a9');
  assertViolations(h, []);
  const m = only(h.messages());
  assert.equal(m.truncated, true);
  assert.equal(m.length, 3);
  assert.deepEqual(m.payload, hex('61 c3'));
  assert.equal(m.text, 'a');
  // But a cut payload with invalid bytes before the cut is reported.
  const bad = framesOnly([], { maxPayload: 2 });
  bad.send('server', '81 03 ff c3 a9');
  assertViolations(bad, [['invalid-utf8', 'server']]);
});

test('violation compressed-control-frame: a ping with RSV1 set under permessage-deflate', () => {
  const h = framesOnly(DEFLATE);
  h.send('server', 'c9 00');
  assertViolations(h, [['compressed-control-frame', 'server']]);
  assert.equal(only(h.messages()).kind, 'ping');
  assertStillDecodes(h, 'server', true);
  assert.equal(h.violations().length, 1);
});

test('violation inflate-failed: the next message still decodes under server_no_context_takeover', () => {
  const h = framesOnly(DEFLATE_SERVER_NCT);
  h.send('server', 'c1 03 ff ff ff');
  const [v] = assertViolations(h, [['inflate-failed', 'server']]);
  assert.match(v!.detail, /invalid block type/);
  const failed = only(h.messages());
  assert.equal(failed.compressed, true);
  assert.equal(failed.text, null);
  assertStillDecodes(h, 'server', true);
  assert.equal(h.violations().length, 1);
});

test('violation inflate-failed on a client message with context takeover: the next message still decodes', () => {
  const h = framesOnly(DEFLATE);
  h.send('client', clientFrame(0xc1, hex('ff ff ff')));
  assertViolations(h, [['inflate-failed', 'client']]);
  h.send('client', 'c1 87 37 fa 21 3d c5 b2 ec f4 fe fd 21');
  assertViolations(h, [['inflate-failed', 'client']]);
  assert.equal(h.messages().at(-1)!.text, 'Hello');
});

test('an invalid-utf8 text message compressed is reported after inflation', () => {
  const h = framesOnly(DEFLATE_BOTH_NCT);
  const compressed = zlib.deflateRawSync(hex('c3 28'), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, -4);
  h.send('server', Buffer.concat([Buffer.of(0xc1, compressed.length), compressed]));
  assertViolations(h, [['invalid-utf8', 'server']]);
});

// ---------------------------------------------------------------------------------------------
// Bounded memory

test('maxPayload 16: a 1 MiB binary message keeps 16 bytes and reports the exact length', () => {
  const payload = Buffer.from(Array.from({ length: 1 << 20 }, (_, i) => (i * 31 + 1) & 0xff));
  const bytes = Buffer.concat([hex('82 7f'), u64(1 << 20), payload]);
  const h = framesOnly([], { maxPayload: 16 });
  for (let i = 0; i < bytes.length; i += 65536) h.send('server', bytes.subarray(i, i + 65536));
  assertViolations(h, []);
  const m = only(h.messages());
  assert.equal(m.length, 1048576);
  assert.equal(m.wireLength, 1048576);
  assert.equal(m.payload.length, 16);
  assert.equal(m.truncated, true);
  assert.deepEqual(m.payload, payload.subarray(0, 16));
});

test('maxPayload 16 across fragments and masking: the first 16 bytes, unmasked, and the full length', () => {
  const h = framesOnly([], { maxPayload: 16 });
  const all = Buffer.from('abcdefghijklmnopqrstuvwxyz');
  h.send('client', clientFrame(0x02, all.subarray(0, 10)));
  h.send('client', clientFrame(0x00, all.subarray(10, 20)));
  h.send('client', clientFrame(0x80, all.subarray(20)));
  assertViolations(h, []);
  const m = only(h.messages());
  assert.equal(m.length, 26);
  assert.equal(m.frames, 3);
  assert.equal(m.payload.toString(), 'abcdefghijklmnop');
  assert.equal(m.truncated, true);
});

test('a frame declaring 2^62 bytes, fed 10 MB in 64 KiB chunks, keeps memory flat and emits no message', () => {
  const h = framesOnly([], { maxPayload: 1024 });
  h.send('server', '82 7f 40 00 00 00 00 00 00 00');
  const chunk = Buffer.alloc(65536, 0x42);
  const rss0 = process.memoryUsage().rss;
  for (let i = 0; i < 160; i++) h.send('server', chunk); // 10 MiB
  const growth = process.memoryUsage().rss - rss0;
  assert.ok(growth < 50 * 1024 * 1024, `rss grew by ${growth} bytes`);
  assertViolations(h, []);
  assert.equal(h.messages().length, 0);
  assert.equal(h.frames().length, 0);
  // At the end of the stream it is reported as an incomplete message of what arrived.
  h.d.finish(2);
  const m = only(h.messages());
  assert.equal(m.incomplete, true);
  assert.equal(m.wireLength, 160 * 65536);
  assert.equal(m.payload.length, 1024);
  assert.equal(h.end().reason, `server stream ended mid-frame (10485760 of ${2 ** 62} payload bytes)`);
});

test('a deflate bomb (200 MB of zeros) reports its exact length, keeps maxPayload bytes, and the next message decodes', () => {
  const total = 200 * 1024 * 1024;
  const deflated = zlib.deflateRawSync(Buffer.alloc(total), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  assert.deepEqual(deflated.subarray(-4), hex('0000ffff'));
  const compressed = deflated.subarray(0, -4); // RFC 7692 §7.2.1: the tail is removed
  const bytes = Buffer.concat([hex('c2 7f'), u64(compressed.length), compressed]);
  const h = framesOnly(DEFLATE, { maxPayload: 4096 });
  const rss0 = process.memoryUsage().rss;
  for (let i = 0; i < bytes.length; i += 65536) h.send('server', bytes.subarray(i, i + 65536));
  const growth = process.memoryUsage().rss - rss0;
  assert.ok(growth < 100 * 1024 * 1024, `rss grew by ${growth} bytes inflating 200 MB`);
  assertViolations(h, []);
  const m = only(h.messages());
  assert.equal(m.kind, 'binary');
  assert.equal(m.compressed, true);
  assert.equal(m.length, 209715200);
  assert.equal(m.wireLength, compressed.length);
  assert.equal(m.payload.length, 4096);
  assert.equal(m.truncated, true);
  assert.deepEqual(m.payload, Buffer.alloc(4096));
  assertStillDecodes(h, 'server', true);
});

// ---------------------------------------------------------------------------------------------
// Ordering, control frames, round trips, the end event

test('a ping between fragments is emitted before the message it interrupted', () => {
  const h = framesOnly();
  h.send('server', '01 03 48 65 6c', 1);
  h.send('server', '89 02 68 69', 2);
  h.send('server', '80 02 6c 6f', 3);
  assertViolations(h, []);
  assert.deepEqual(h.messages().map((m) => [m.kind, m.payload.toString(), m.ts]), [['ping', 'hi', 2], ['text', 'Hello', 3]]);
  assert.deepEqual(h.events.map((e) => e.type), ['frame', 'frame', 'message', 'frame', 'message']);
});

test('a pong answering an earlier ping gets its round-trip time', () => {
  const h = framesOnly();
  h.send('client', clientFrame(0x89, 'abc'), 10);
  h.send('server', '8a 03 61 62 63', 13);
  const pong = h.messages()[1]!;
  assert.equal(pong.kind, 'pong');
  assert.equal(pong.rtt, 3);
  // An unsolicited pong, or one whose payload differs, has no rtt.
  h.send('server', '8a 03 61 62 63', 20);
  h.send('client', clientFrame(0x89, 'x'), 21);
  h.send('server', '8a 01 79', 25);
  assert.equal(h.messages()[2]!.rtt, undefined);
  assert.equal(h.messages()[4]!.rtt, undefined);
});

test('the end event after a clean close handshake', () => {
  const h = framesOnly([], { startTs: 100 });
  h.send('client', CLIENT_HELLO, 110);
  h.send('server', '88 02 03 e8', 120);
  h.send('client', clientFrame(0x88, hex('03 e8')), 130);
  h.d.endOfStream('server', 140);
  h.d.endOfStream('client', 141);
  h.d.finish(150);
  assert.deepEqual(h.end(), {
    type: 'end', ts: 150, by: 'server', code: 1000, clean: true,
    bytes: { client: 11 + 8, server: 4 }, frames: { client: 2, server: 1 }, durationMs: 50, reason: null,
  });
  h.d.finish(160);
  assert.equal(h.events.filter((e) => e.type === 'end').length, 1, 'finish emits end once');
});

test('the end event when a stream is cut mid-frame: an incomplete message and the reason', () => {
  const h = framesOnly();
  h.send('server', '82 0a 01 02 03 04', 5);
  h.d.endOfStream('server', 6, 'ECONNRESET');
  const m = only(h.messages());
  assert.equal(m.incomplete, true);
  assert.equal(m.length, 4);
  assert.equal(m.wireLength, 4);
  assert.deepEqual(m.payload, hex('01020304'));
  h.d.finish(7);
  const end = h.end();
  assert.equal(end.by, 'server');
  assert.equal(end.code, null);
  assert.equal(end.clean, false);
  assert.equal(end.reason, 'ECONNRESET; server stream ended mid-frame (4 of 10 payload bytes)');
});

test('a stream cut inside the header of a later fragment: the message keeps its real length', () => {
  const h = framesOnly();
  h.send('client', clientFrame(0x01, 'Hel'), 1);
  h.send('client', '80 85 37', 2); // the next fragment's header, cut inside its masking key
  h.d.finish(3);
  const m = only(h.messages());
  assert.equal(m.incomplete, true);
  assert.equal(m.text, 'Hel');
  assert.equal(m.length, 3);
  assert.equal(m.wireLength, 3);
  assert.equal(m.truncated, false);
  assert.equal(h.end().reason, 'client stream ended inside a frame header');
});

test('an incomplete compressed message is inflated as far as it got, with nothing made up after it', () => {
  const h = framesOnly(DEFLATE);
  h.send('server', '41 03 f2 48 cd'); // the first fragment of RFC 7692 §7.2.3.1: "He" and part of "l"
  h.d.finish(5);
  assertViolations(h, []);
  const m = only(h.messages());
  assert.equal(m.incomplete, true);
  assert.equal(m.compressed, true);
  assert.equal(m.text, 'He');
  assert.equal(m.length, 2);
});

test('a compressed message cut off by a new message keeps only what it inflated; the new one decodes', () => {
  const h = framesOnly(DEFLATE);
  h.send('server', '41 03 f2 48 cd');
  h.send('server', SERVER_HELLO_DEFLATED);
  assertViolations(h, [['interleaved-data-frame', 'server']]);
  assert.deepEqual(h.messages().map((m) => [m.text, m.incomplete]), [['He', true], ['Hello', false]]);
});

test('finish with a proxy reason: by is proxy and the reason is given', () => {
  const h = framesOnly();
  h.send('server', '88 02 03 e8');
  h.d.finish(9, 'upstream timeout');
  const end = h.end();
  assert.equal(end.by, 'proxy');
  assert.equal(end.code, 1000);
  assert.equal(end.clean, false);
  assert.equal(end.reason, 'upstream timeout');
});
