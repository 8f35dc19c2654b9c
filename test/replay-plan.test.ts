import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HandshakeRecord, LogRecord, MessageRecord } from '../core/log/records.js';
import { planReplay, replayableConnections, replayUrl } from '../core/replay/replay-plan.js';

const T0 = 1_700_000_000_000;

function handshake(conn: number, over: Partial<HandshakeRecord> = {}): HandshakeRecord {
  return {
    type: 'handshake', conn, ts: T0, url: 'ws://127.0.0.1:3000/chat?room=1', ms: 1, accept: 'valid', protocol: 'chat', extensions: [], upgraded: true,
    request: {
      method: 'GET', target: '/chat?room=1', version: 'HTTP/1.1', headers: [
        ['Host', '127.0.0.1:8080'], ['Origin', 'http://app.test'], ['Cookie', 'a=1'], ['Cookie', 'b=2'], ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
        ['Sec-WebSocket-Version', '13'], ['Connection', 'Upgrade'], ['Upgrade', 'websocket'], ['Sec-WebSocket-Protocol', 'chat, superchat'],
        ['Sec-WebSocket-Extensions', 'permessage-deflate; client_max_window_bits; server_no_context_takeover, x-webkit-deflate-frame'],
        ['User-Agent', 'test'],
      ],
    },
    response: { version: 'HTTP/1.1', status: 101, reason: 'Switching Protocols', headers: [] },
    ...over,
  };
}

function message(conn: number, seq: number, from: 'client' | 'server', kind: MessageRecord['kind'], at: number, text: string, over: Partial<MessageRecord> = {}): MessageRecord {
  const r: MessageRecord = { type: 'message', conn, seq, ts: T0 + at, from, kind, length: Buffer.byteLength(text), wireLength: Buffer.byteLength(text), frames: 1, compressed: false, truncated: false, ...over };
  if (kind === 'text') r.text = text;
  else if (kind === 'close') r.close = { code: 1000, reason: text };
  else r.base64 = Buffer.from(text).toString('base64');
  return r;
}

test('the plan keeps the recorded headers but those a new handshake makes anew, and offers the recorded subprotocols and deflate', () => {
  const planned = planReplay([handshake(1)], 1);
  assert.ok(planned.ok);
  assert.deepEqual(planned.plan.headers, [['Origin', 'http://app.test'], ['Cookie', 'a=1'], ['Cookie', 'b=2'], ['User-Agent', 'test']]);
  assert.deepEqual(planned.plan.protocols, ['chat', 'superchat']);
  assert.deepEqual(planned.plan.deflate, { name: 'permessage-deflate', params: { client_max_window_bits: true, server_no_context_takeover: true } });
  assert.deepEqual(planned.plan.droppedExtensions, ['x-webkit-deflate-frame']);
  assert.equal(planned.plan.url, 'ws://127.0.0.1:3000/chat?room=1');
});

test("the plan sends the client's text, binary, pings and close at their recorded times, not its pongs", () => {
  const records: LogRecord[] = [
    handshake(1),
    message(1, 1, 'server', 'text', 5, 'welcome'),
    message(1, 2, 'client', 'text', 10, 'hi'),
    message(1, 3, 'server', 'ping', 11, 'k'),
    message(1, 4, 'client', 'pong', 12, 'k'),
    message(1, 5, 'server', 'binary', 15, 'bin'),
    message(1, 6, 'client', 'binary', 20, '\x01\x02'),
    message(1, 7, 'client', 'ping', 21, 'p'),
    message(1, 8, 'client', 'close', 30, 'bye'),
    message(2, 1, 'client', 'text', 40, 'other connection'),
  ];
  const planned = planReplay(records, 1);
  assert.ok(planned.ok);
  assert.deepEqual(planned.plan.steps.map((s) => [s.seq, s.kind, s.at, s.serverBefore, s.payload.toString('latin1'), s.code]), [
    [2, 'text', 10, 1, 'hi', null],
    [6, 'binary', 20, 2, '\x01\x02', null],
    [7, 'ping', 21, 2, 'p', null],
    [8, 'close', 30, 2, 'bye', 1000],
  ]);
  assert.deepEqual(planned.plan.serverMessages.map((m) => m.seq), [1, 3, 5]);
});

test('a client message the recording kept only in part, or a ping too long to send, is not replayed: the plan says why', () => {
  const planned = planReplay([handshake(1), message(1, 1, 'client', 'text', 1, 'abc', { length: 9000, truncated: true })], 1);
  assert.equal(planned.ok, false);
  assert.match(!planned.ok ? planned.error : '', /message 1 was not recorded whole \(cut by --max-payload\)/);
  const unfinished = planReplay([handshake(1), message(1, 1, 'client', 'binary', 1, 'ab', { incomplete: true })], 1);
  assert.match(!unfinished.ok ? unfinished.error : '', /message 1 was not recorded whole \(it never finished\)/);
  const longPing = planReplay([handshake(1), message(1, 1, 'client', 'ping', 1, 'p'.repeat(126))], 1);
  assert.match(!longPing.ok ? longPing.error : '', /ping 1 is longer than 125 bytes \(RFC 6455 5\.5\)/);
});

test('a refused handshake, or none, is nothing to replay; only upgraded connections are replayable', () => {
  const refused = handshake(2, { upgraded: false, response: { version: 'HTTP/1.1', status: 403, reason: 'Forbidden', headers: [] } });
  const planned = planReplay([refused], 2);
  assert.equal(planned.ok, false);
  assert.match(!planned.ok ? planned.error : '', /refused \(status 403\)/);
  assert.equal(planReplay([handshake(1)], 5).ok, false);
  assert.deepEqual(replayableConnections([handshake(3), refused, handshake(1)]), [3, 1]);
});

test('a target without a path keeps the recorded path and query; one with a path uses its own', () => {
  const recorded = 'ws://127.0.0.1:3000/chat?room=1';
  assert.equal(replayUrl(recorded, null, false), recorded);
  assert.equal(replayUrl(recorded, new URL('ws://other.test:4000'), false), 'ws://other.test:4000/chat?room=1');
  assert.equal(replayUrl(recorded, new URL('https://other.test'), false), 'wss://other.test/chat?room=1');
  assert.equal(replayUrl(recorded, new URL('ws://other.test:4000/v2'), true), 'ws://other.test:4000/v2');
  assert.equal(replayUrl(recorded, new URL('ws://other.test:4000/'), true), 'ws://other.test:4000/');
});
