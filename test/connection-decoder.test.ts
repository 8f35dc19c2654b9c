import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionDecoder, DEFAULT_MAX_PAYLOAD } from '../core/websocket/connection-decoder.js';
import type { EndEvent, FrameEvent, HandshakeEvent, MessageEvent, Side, ViolationEvent, WsEvent } from '../core/websocket/events.js';
import { CLIENT_HELLO_HEX, hex, RFC_REQUEST as REQUEST, RFC_RESPONSE as RESPONSE, SERVER_HELLO_HEX } from './support/rfc6455-fixtures.js';

const REFUSED = 'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="chat"\r\nContent-Length: 0\r\n\r\n';

/** RFC 6455 §5.7 "Hello": masked from the client, unmasked from the server. */
const CLIENT_HELLO = hex(CLIENT_HELLO_HEX);
const SERVER_HELLO = hex(SERVER_HELLO_HEX);

function decoder(startTs = 0, maxPayload?: number) {
  const events: WsEvent[] = [];
  const d = new ConnectionDecoder({ startTs, maxPayload }, (e) => events.push(e));
  const of = <T extends WsEvent['type']>(type: T) => events.filter((e): e is Extract<WsEvent, { type: T }> => e.type === type);
  return {
    d,
    events,
    send: (from: Side, bytes: Buffer | string, ts = 1) => d.receive(from, typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes, ts),
    handshakes: () => of('handshake') as HandshakeEvent[],
    frames: () => of('frame') as FrameEvent[],
    messages: () => of('message') as MessageEvent[],
    violations: () => of('violation') as ViolationEvent[],
    end: () => {
      const ends = of('end') as EndEvent[];
      assert.equal(ends.length, 1);
      return ends[0]!;
    },
  };
}

test('the RFC 6455 §1.3 handshake: one handshake event with what was agreed', () => {
  const t = decoder(0);
  t.send('client', REQUEST, 10);
  assert.equal(t.events.length, 0, 'nothing until the response head is read');
  t.send('server', RESPONSE, 25);
  assert.deepEqual(t.violations(), []);
  assert.equal(t.events.length, 1);
  const h = t.handshakes()[0]!;
  assert.equal(h.ts, 25);
  assert.equal(h.requestTs, 10);
  assert.equal(h.ms, 15);
  assert.equal(h.upgraded, true);
  assert.equal(h.accept, 'valid');
  assert.equal(h.protocol, 'chat');
  assert.deepEqual(h.extensions, []);
  assert.equal(h.request.method, 'GET');
  assert.equal(h.request.target, '/chat');
  assert.deepEqual(h.request.headers[0], ['Host', 'server.example.com']);
  assert.equal(h.request.headers.length, 7);
  assert.equal(h.response.status, 101);
  assert.equal(h.response.reason, 'Switching Protocols');
  assert.deepEqual(h.response.headers.map(([n]) => n), ['Upgrade', 'Connection', 'Sec-WebSocket-Accept', 'Sec-WebSocket-Protocol']);
  t.send('client', CLIENT_HELLO, 30);
  t.send('server', SERVER_HELLO, 31);
  assert.deepEqual(t.messages().map((m) => [m.from, m.text]), [['client', 'Hello'], ['server', 'Hello']]);
});

test('a handshake and frames fed in 1-byte chunks give the same events as whole chunks', () => {
  const whole = decoder();
  whole.send('client', REQUEST);
  whole.send('server', RESPONSE);
  whole.send('client', CLIENT_HELLO);
  whole.send('server', SERVER_HELLO);
  whole.d.finish(2);

  const bytewise = decoder();
  for (const [from, bytes] of [['client', Buffer.from(REQUEST)], ['server', Buffer.from(RESPONSE)], ['client', CLIENT_HELLO], ['server', SERVER_HELLO]] as const) {
    for (let i = 0; i < bytes.length; i++) bytewise.send(from, bytes.subarray(i, i + 1));
  }
  bytewise.d.finish(2);
  assert.deepEqual(bytewise.events, whole.events);
  assert.deepEqual(whole.events.map((e) => e.type), ['handshake', 'frame', 'message', 'frame', 'message', 'end']);
  assert.deepEqual(whole.violations(), []);
});

test('a refused upgrade (401): a handshake event with upgraded false and no frame events for later bytes', () => {
  const t = decoder();
  t.send('client', REQUEST);
  t.send('server', Buffer.concat([Buffer.from(REFUSED), SERVER_HELLO]), 2);
  t.send('client', CLIENT_HELLO, 3);
  t.send('server', SERVER_HELLO, 4);
  const h = t.handshakes()[0]!;
  assert.equal(h.upgraded, false);
  assert.equal(h.response.status, 401);
  assert.equal(h.accept, 'missing');
  assert.deepEqual(t.violations(), []);
  assert.deepEqual(t.frames(), []);
  assert.deepEqual(t.messages(), []);
  t.d.finish(5);
  const end = t.end();
  assert.deepEqual(end.bytes, { client: REQUEST.length + CLIENT_HELLO.length, server: REFUSED.length + 2 * SERVER_HELLO.length });
  assert.deepEqual(end.frames, { client: 0, server: 0 });
});

test('a 101 to another protocol (h2c) is not decoded as WebSocket', () => {
  const t = decoder();
  t.send('client', REQUEST);
  t.send('server', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n');
  t.send('server', SERVER_HELLO);
  assert.equal(t.handshakes()[0]!.upgraded, false);
  assert.deepEqual(t.violations().map((v) => [v.rule, v.from]), [['malformed-handshake', 'server']]);
  assert.deepEqual(t.frames(), []);
});

test('bytes after the response head in the same chunk are decoded as frames', () => {
  const t = decoder();
  t.send('client', REQUEST, 1);
  t.send('server', Buffer.concat([Buffer.from(RESPONSE), SERVER_HELLO, hex('89 00')]), 7);
  assert.deepEqual(t.events.map((e) => e.type), ['handshake', 'frame', 'message', 'frame', 'message']);
  assert.deepEqual(t.messages().map((m) => [m.kind, m.ts]), [['text', 7], ['ping', 7]]);
});

test('client frames that arrive before the 101 are decoded after it, with their own arrival times', () => {
  const t = decoder();
  t.send('client', Buffer.concat([Buffer.from(REQUEST), CLIENT_HELLO.subarray(0, 4)]), 1);
  const reused = Buffer.from(CLIENT_HELLO.subarray(4));
  t.send('client', reused, 2);
  reused.fill(0); // the caller may reuse its buffer once receive returns
  t.send('client', hex('89 80 00 00 00 00'), 3);
  assert.equal(t.events.length, 0, 'held until the handshake completes');
  t.send('server', RESPONSE, 10);
  assert.deepEqual(t.events.map((e) => e.type), ['handshake', 'frame', 'message', 'frame', 'message']);
  assert.deepEqual(t.messages().map((m) => [m.kind, m.text, m.startTs, m.ts]), [['text', 'Hello', 1, 2], ['ping', null, 3, 3]]);
  assert.deepEqual(t.violations(), []);
});

test('the request and response heads may arrive in either order', () => {
  const t = decoder();
  t.send('server', Buffer.concat([Buffer.from(RESPONSE), SERVER_HELLO]), 1);
  assert.equal(t.events.length, 0);
  t.send('client', Buffer.concat([Buffer.from(REQUEST), CLIENT_HELLO]), 2);
  // Held frames are decoded in arrival order: the server's came first (ts 1).
  assert.deepEqual(t.messages().map((m) => [m.from, m.ts]), [['server', 1], ['client', 2]]);
  assert.equal(t.handshakes()[0]!.upgraded, true);
});

test('permessage-deflate agreed in the handshake is used for the frames', () => {
  const t = decoder();
  t.send('client', REQUEST.replace('\r\n\r\n', '\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n'));
  t.send('server', RESPONSE.replace('\r\n\r\n', '\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n\r\n'));
  assert.deepEqual(t.handshakes()[0]!.extensions, [{ name: 'permessage-deflate', params: { server_no_context_takeover: true } }]);
  t.send('server', hex('c1 07 f2 48 cd c9 c9 07 00'));
  t.send('server', hex('c1 07 f2 48 cd c9 c9 07 00'));
  assert.deepEqual(t.violations(), []);
  assert.deepEqual(t.messages().map((m) => [m.text, m.compressed]), [['Hello', true], ['Hello', true]]);
});

test('a head over 64 KiB is reported as malformed-handshake and the connection is not decoded', () => {
  const t = decoder();
  const big = Buffer.from(`GET /chat HTTP/1.1\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\n\r\n`);
  for (let i = 0; i < big.length; i += 1000) t.send('client', big.subarray(i, i + 1000));
  t.send('client', CLIENT_HELLO);
  t.send('server', Buffer.concat([Buffer.from(RESPONSE), SERVER_HELLO]));
  const v = t.violations();
  assert.equal(v.length, 1);
  assert.equal(v[0]!.rule, 'malformed-handshake');
  assert.equal(v[0]!.rfc, '6455 4.1');
  assert.equal(v[0]!.from, 'client');
  assert.match(v[0]!.detail, /HTTP head larger than 65536 bytes/);
  assert.deepEqual(t.handshakes(), []);
  assert.deepEqual(t.frames(), []);
  t.d.finish(3);
  assert.deepEqual(t.end().bytes, { client: big.length + CLIENT_HELLO.length, server: RESPONSE.length + SERVER_HELLO.length });
});

test('a bad request line is reported and the connection is not decoded', () => {
  const t = decoder();
  t.send('client', 'SSH-2.0-OpenSSH_9.6\r\n\r\n');
  t.send('server', Buffer.concat([Buffer.from(RESPONSE), SERVER_HELLO]));
  assert.deepEqual(t.violations().map((v) => [v.rule, v.from]), [['malformed-handshake', 'client']]);
  assert.match(t.violations()[0]!.detail, /bad request line/);
  assert.deepEqual(t.handshakes(), []);
  assert.deepEqual(t.frames(), []);
});

test('a side that sends over 1 MiB before the handshake completes is not decoded afterwards; the other side is', () => {
  const t = decoder();
  t.send('client', REQUEST);
  // A masked 2 MiB binary frame, sent before the 101: only its start can be held.
  t.send('client', hex('82 ff 0000000000200000 00000000'));
  const chunk = Buffer.alloc(65536, 0x81);
  for (let i = 0; i < 17; i++) t.send('client', chunk);
  const held = t.violations();
  assert.equal(held.length, 1);
  assert.equal(held[0]!.rule, 'malformed-handshake');
  assert.equal(held[0]!.from, 'client');
  t.send('server', Buffer.concat([Buffer.from(RESPONSE), SERVER_HELLO]));
  for (let i = 0; i < 16; i++) t.send('client', chunk); // the rest of the frame: 0x81 bytes, which look like frame headers
  t.send('client', CLIENT_HELLO);
  assert.equal(t.handshakes()[0]!.upgraded, true);
  assert.deepEqual(t.frames().map((f) => f.from), ['server'], 'client bytes are not framed from the middle of a payload');
  assert.deepEqual(t.messages().map((m) => [m.from, m.text]), [['server', 'Hello']]);
  assert.equal(t.violations().length, 1);
});

test('a client stream that ends before the 101: its held frames are decoded and the cut message reported', () => {
  const t = decoder();
  t.send('client', Buffer.concat([Buffer.from(REQUEST), CLIENT_HELLO, hex('01 83 00 00 00 00 48 65')]), 1);
  t.d.endOfStream('client', 2);
  t.send('server', RESPONSE, 3);
  const ms = t.messages();
  assert.deepEqual(ms.map((m) => [m.text, m.incomplete]), [['Hello', false], ['He', true]]);
  t.d.finish(4);
  const end = t.end();
  assert.equal(end.by, 'client');
  assert.match(end.reason!, /client stream ended mid-frame \(2 of 3 payload bytes\)/);
});

test('the end event counts every byte each side sent, handshake included, and the frames', () => {
  const t = decoder(1000);
  t.send('client', REQUEST, 1001);
  t.send('server', RESPONSE, 1002);
  t.send('client', CLIENT_HELLO, 1003);
  t.send('server', Buffer.concat([SERVER_HELLO, hex('88 02 03 e8')]), 1004);
  t.send('client', hex('88 82 00 00 00 00 03 e8'), 1005);
  t.d.endOfStream('server', 1006);
  t.d.finish(1010);
  assert.deepEqual(t.end(), {
    type: 'end', ts: 1010, by: 'server', code: 1000, clean: true,
    bytes: { client: REQUEST.length + CLIENT_HELLO.length + 8, server: RESPONSE.length + SERVER_HELLO.length + 4 },
    frames: { client: 2, server: 2 }, durationMs: 10, reason: null,
  });
});

test('a stream that ends inside the HTTP head is given as the reason; without close frames, by is who ended first', () => {
  const t = decoder();
  t.send('client', REQUEST);
  t.send('server', 'HTTP/1.1 101 Switching');
  t.d.endOfStream('server', 2, 'ECONNRESET');
  t.d.finish(3);
  const end = t.end();
  assert.equal(end.by, 'server');
  assert.equal(end.code, null);
  assert.equal(end.clean, false);
  assert.equal(end.reason, 'ECONNRESET; server stream ended inside the HTTP head');
  assert.deepEqual(end.frames, { client: 0, server: 0 });
});

test('receive never modifies the buffers it is given', () => {
  const t = decoder();
  const all = [Buffer.from(REQUEST), Buffer.from(RESPONSE), CLIENT_HELLO, SERVER_HELLO];
  const copies = all.map((b) => Buffer.from(b));
  t.send('client', all[0]!);
  t.send('server', all[1]!);
  t.send('client', all[2]!);
  t.send('server', all[3]!);
  assert.deepEqual(all, copies);
  assert.equal(t.messages().length, 2);
});

test('the default maxPayload is 1 MiB', () => {
  assert.equal(DEFAULT_MAX_PAYLOAD, 1024 * 1024);
});
