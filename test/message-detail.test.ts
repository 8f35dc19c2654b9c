import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionDecoder } from '../core/websocket/connection-decoder.js';
import type { Extension } from '../core/websocket/events.js';
import {
  frameRecord, messageRecord, violationRecord, type ActionRecord, type FrameRecord, type HandshakeRecord, type MessageRecord, type ViolationRecord,
} from '../core/log/records.js';
import { SessionStore, type StoredRecord } from '../core/store/session-store.js';
import { ConnectionView } from '../tui/connection-view.js';
import { clockTime } from '../tui/format.js';
import { handshakeDetail, messageDetail, violationLines } from '../tui/message-detail.js';
import type { MessageRow } from '../tui/message-rows.js';
import { MessageView } from '../tui/message-view.js';
import { connStyle, lineText, type Line } from '../tui/styled-text.js';
import { hex } from './support/rfc6455-fixtures.js';
import { messageOf } from './support/message-of.js';

const UNSAFE = /[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;
const T0 = new Date(2024, 0, 15, 14, 2, 3, 123).getTime();
const texts = (lines: Line[]) => lines.map(lineText);

/** Feeds wire bytes through the real decoder and the store; returns the message rows as the UI gets them. */
function decode(chunks: Array<{ from: 'client' | 'server'; bytes: Buffer }>, extensions: Extension[] = [], maxPayload?: number): MessageRow[] {
  const store = new SessionStore();
  const view = new MessageView(100);
  store.subscribe((s) => view.add(s));
  // The handshake happened (the store links later violations to messages, not to the handshake).
  store.add({
    type: 'handshake', conn: 1, ts: T0, url: 'ws://127.0.0.1:3000/', ms: 1, accept: 'valid', protocol: null, extensions, upgraded: true,
    request: { method: 'GET', target: '/', version: 'HTTP/1.1', headers: [] }, response: { version: 'HTTP/1.1', status: 101, reason: 'Switching Protocols', headers: [] },
  });
  const d = new ConnectionDecoder({ startTs: T0, maxPayload, framesOnly: { extensions } }, (e) => {
    if (e.type === 'frame') store.add(frameRecord(1, e));
    else if (e.type === 'message') store.add(messageRecord(1, e));
    else if (e.type === 'violation') store.add(violationRecord(1, e));
  });
  let ts = T0 + 5;
  for (const c of chunks) d.receive(c.from, c.bytes, ts++);
  return [...view.rows()];
}

/** Masks a payload the way a client does. */
function clientFrame(first: number, payload: Buffer, key: Buffer): Buffer {
  return Buffer.concat([Buffer.of(first, 0x80 | payload.length), key, Buffer.from(payload.map((b, i) => b ^ key[i % 4]!))]);
}

function hand(record: MessageRecord, frames: FrameRecord[] = [], violations: ViolationRecord[] = []): MessageRow {
  const stored: StoredRecord = { record, connection: { conn: record.conn, url: 'ws://h/', upgraded: true }, frames, violations };
  return { seq: 1, record, frames, violations, stored, payloadDropped: false };
}

function message(over: Partial<MessageRecord>): MessageRecord {
  return { type: 'message', conn: 1, seq: 1, ts: T0 + 20, from: 'server', kind: 'text', length: 0, wireLength: 0, frames: 1, compressed: false, truncated: false, ...over };
}

test('a payload of which the UI keeps only the start says how much it kept and where the whole one is, not --max-payload', () => {
  const m = message({ kind: 'binary', bytes: Buffer.alloc(4096, 1), length: 1024 * 1024, wireLength: 1024 * 1024, truncated: true });
  const lines = texts(messageDetail({ ...hand(m), payloadKept: 4096 }, T0, 120)).join('\n');
  assert.match(lines, /only the first 4,096 B \(4\.0 KiB\) kept in the UI \(it keeps the start of payloads over 64 KiB\); the session log \(--save\) has the payload as captured/);
  assert.doesNotMatch(lines, /--max-payload/);
  assert.match(lines, /^0000  01 01/m, 'the kept bytes are shown');
});

test('Wireshark capture, client frame 81 89 95 39 ff dd ... ("Good bye."): masked bytes recomputed from the payload and the key, unmasked payload', () => {
  const [row, ...rest] = decode([{ from: 'client', bytes: hex('81 89 95 39 ff dd d2 56 90 b9 b5 5b 86 b8 bb') }]);
  assert.equal(rest.length, 0);
  assert.equal(messageOf(row).text, 'Good bye.');
  const lines = texts(messageDetail(row!, T0, 80));
  assert.deepEqual(lines, [
    `#1 client → server  text  ${clockTime(T0 + 5)}  (+5.00ms since open)`,
    '9 B · 1 frame',
    '',
    'Payload',
    'Good bye.',
    '',
    'Frames',
    '1. FIN=1 RSV=000 opcode=1 (text) MASK=1 key=95 39 ff dd length=9',
    '   masked:   d2 56 90 b9 b5 5b 86 b8',
    '   payload:  47 6f 6f 64 20 62 79 65 …',
  ]);
});

test('the direction reads with the arrows of the message list: client → server, client ← server', () => {
  const up = messageDetail(hand(message({ from: 'client', text: 'a' })), null, 80);
  const down = messageDetail(hand(message({ from: 'server', text: 'b' })), null, 80);
  assert.match(lineText(up[0]!), /^#1 client → server {2}text/);
  assert.match(lineText(down[0]!), /^#1 client ← server {2}text/);
  assert.equal(up[0]!.find((s) => s.text.includes('→'))!.style, 'client');
  assert.equal(down[0]!.find((s) => s.text.includes('←'))!.style, 'server');
  assert.equal(up[0]![0]!.style, connStyle(1), "the connection's colour");
});

test('a fragmented client message: each frame shows its own bytes, masked with its own key', () => {
  const k1 = hex('01020304');
  const k2 = hex('a0b0c0d0');
  const k3 = hex('ffffffff');
  const rows = decode([
    { from: 'client', bytes: clientFrame(0x01, Buffer.from('fragmented '), k1) },
    { from: 'client', bytes: clientFrame(0x00, Buffer.from('into three '), k2) },
    { from: 'client', bytes: clientFrame(0x80, Buffer.from('frames'), k3) },
  ]);
  assert.equal(rows.length, 1);
  const lines = texts(messageDetail(rows[0]!, null, 80));
  assert.equal(lines[0], `#1 client → server  text  ${clockTime(T0 + 7)}`);
  assert.equal(lines[1], '28 B · 3 frames');
  const frames = lines.slice(lines.indexOf('Frames') + 1);
  const masked = (s: string, key: Buffer) => Array.from(Buffer.from(s), (b, i) => (b ^ key[i % 4]!).toString(16).padStart(2, '0')).join(' ');
  const plain = (s: string) => Array.from(Buffer.from(s), (b) => b.toString(16).padStart(2, '0')).join(' ');
  assert.deepEqual(frames, [
    '1. FIN=0 RSV=000 opcode=1 (text) MASK=1 key=01 02 03 04 length=11',
    `   masked:   ${masked('fragment', k1)}`,
    `   payload:  ${plain('fragment')} …`,
    '2. FIN=0 RSV=000 opcode=0 (continuation) MASK=1 key=a0 b0 c0 d0 length=11',
    `   masked:   ${masked('into thr', k2)}`,
    `   payload:  ${plain('into thr')} …`,
    '3. FIN=1 RSV=000 opcode=0 (continuation) MASK=1 key=ff ff ff ff length=6',
    `   masked:   ${masked('frames', k3)}`,
    `   payload:  ${plain('frames')}`,
  ]);
});

test('a server close: code, name, reason; the frame shows the code bytes, unmasked', () => {
  const payload = Buffer.concat([Buffer.of(0x0f, 0xa1), Buffer.from('kicked')]);
  const [row] = decode([{ from: 'server', bytes: Buffer.concat([Buffer.of(0x88, payload.length), payload]) }]);
  const lines = texts(messageDetail(row!, T0, 80));
  assert.deepEqual(lines.slice(1), [
    '8 B · 1 frame',
    '',
    'Close',
    '4001 Private use',
    'reason: "kicked"',
    '',
    'Frames',
    '1. FIN=1 RSV=000 opcode=8 (close) MASK=0 length=8',
    '   payload:  0f a1 6b 69 63 6b 65 64',
  ]);
  const empty = texts(messageDetail(hand(message({ kind: 'close', close: { code: null, reason: '' } })), null, 80));
  assert.deepEqual(empty.slice(2), ['', 'Close', 'no status code (empty payload)']);
});

test('a message read from a HAR file (frames, wire length and compression null) says its frames are unknown, and why', () => {
  const lines = texts(messageDetail(hand(message({ text: 'hi', length: 2, wireLength: null, frames: null, compressed: null })), null, 80));
  assert.equal(lines[1], '2 B · frames unknown: a HAR file records messages, not frames');
  assert.ok(!lines.includes('Frames'), 'no frames section');
});

test('a compressed message: inflated size, no byte view of the (compressed) frame payload', () => {
  // RFC 7692 §7.2.3.1: "Hello" compressed, from the server.
  const [row] = decode([{ from: 'server', bytes: hex('c1 07 f2 48 cd c9 c9 07 00') }], [{ name: 'permessage-deflate', params: {} }]);
  const lines = texts(messageDetail(row!, null, 80));
  assert.equal(lines[1], '5 B inflated (permessage-deflate) from 7 B · 1 frame');
  assert.equal(lines[4], 'Hello');
  assert.deepEqual(lines.slice(lines.indexOf('Frames') + 1), ['1. FIN=1 RSV=100 opcode=1 (text) MASK=0 length=7']);
});

test('a ping and its pong: the round trip time', () => {
  const rows = decode([
    { from: 'client', bytes: clientFrame(0x89, Buffer.from('hb'), hex('00000000')) },
    { from: 'server', bytes: Buffer.concat([Buffer.of(0x8a, 2), Buffer.from('hb')]) },
  ]);
  assert.equal(rows.length, 2);
  const pong = texts(messageDetail(rows[1]!, null, 80));
  assert.equal(pong[2], 'round trip from the ping: 1.00ms');
  assert.ok(pong.includes('0000  68 62                                             |hb|'));
});

test('JSON payloads are pretty-printed; text that only looks like JSON is shown as is', () => {
  const json = texts(messageDetail(hand(message({ text: '{"type":"tick","channel":"prices","seq":1,"price":100.25,"tags":["a",{"b":null}]}', length: 84 })), null, 80));
  assert.deepEqual(json.slice(3), [
    'Payload', 'JSON',
    '{', '  "type": "tick",', '  "channel": "prices",', '  "seq": 1,', '  "price": 100.25,', '  "tags": [', '    "a",', '    {', '      "b": null', '    }', '  ]', '}',
  ]);
  assert.deepEqual(texts(messageDetail(hand(message({ text: '  [1, 2]' })), null, 80)).slice(4), ['JSON', '[', '  1,', '  2', ']']);
  assert.deepEqual(texts(messageDetail(hand(message({ text: '{not json' })), null, 80)).slice(4), ['{not json']);
  assert.deepEqual(texts(messageDetail(hand(message({ text: '42' })), null, 80)).slice(4), ['42'], 'scalars stay as sent');
  assert.deepEqual(texts(messageDetail(hand(message({ text: 'line one\nline two' })), null, 80)).slice(4), ['line one', 'line two']);
});

test('binary payloads: a hex dump, 16 bytes a line whenever the pane is wide enough for one, 8 otherwise', () => {
  const bytes = Buffer.from('Hello, world');
  const row = hand(message({ kind: 'binary', base64: bytes.toString('base64'), length: bytes.length }));
  const sixteen = ['0000  48 65 6c 6c 6f 2c 20 77  6f 72 6c 64              |Hello, world|'];
  assert.deepEqual(texts(messageDetail(row, null, 80)).slice(4), sixteen);
  assert.deepEqual(texts(messageDetail(row, null, 74)).slice(4), sixteen, 'a line of 16 takes 74 characters with the offsets a short payload needs');
  assert.deepEqual(texts(messageDetail(row, null, 73)).slice(4), ['0000  48 65 6c 6c 6f 2c 20 77  |Hello, w|', '0008  6f 72 6c 64              |orld|']);
  assert.deepEqual(texts(messageDetail(hand(message({ kind: 'binary', base64: '' })), null, 80)).slice(4), ['(empty)']);
  // Offsets as long as the payload needs: 6 digits for 5 MiB, so 16 a line from 76 characters.
  const big = Buffer.alloc(5 * 1024 * 1024, 0x41);
  const bigRow = hand(message({ kind: 'binary', base64: big.toString('base64'), length: big.length }));
  assert.equal(texts(messageDetail(bigRow, null, 76))[4], `000000  ${'41 '.repeat(8)} ${'41 '.repeat(8)} |${'A'.repeat(16)}|`);
  assert.equal(texts(messageDetail(bigRow, null, 75))[4], `000000  ${'41 '.repeat(8)} |${'A'.repeat(8)}|`);
});

test('a long binary payload is cut after 256 dump lines, saying how much is left', () => {
  const bytes = Buffer.alloc(5000, 0x41);
  const lines = texts(messageDetail(hand(message({ kind: 'binary', base64: bytes.toString('base64'), length: 5000 })), null, 80));
  const dump = lines.filter((l) => /^[0-9a-f]{4} {2}/.test(l));
  assert.equal(dump.length, 256);
  assert.ok(lines.includes(`… ${5000 - 256 * 16} B more`));
  const narrow = texts(messageDetail(hand(message({ kind: 'binary', base64: bytes.toString('base64'), length: 5000 })), null, 40));
  assert.ok(narrow.includes(`… 2,952 B (2.9 KiB) more`));
});

test('text that is not valid UTF-8 is shown as hex, flagged', () => {
  const lines = messageDetail(hand(message({ kind: 'text', base64: Buffer.from([0x48, 0xc3, 0x28]).toString('base64'), length: 3 })), null, 80);
  assert.equal(lineText(lines[4]!), 'not valid UTF-8:');
  assert.equal(lines[4]![0]!.style, 'bad');
  assert.equal(lineText(lines[5]!), '0000  48 c3 28                                          |H.(|');
});

test('truncated and incomplete messages say so', () => {
  const lines = texts(messageDetail(hand(message({ text: 'abc', length: 5000, truncated: true, incomplete: true, frames: 2 })), null, 80));
  assert.equal(lines[1], '5,000 B (4.9 KiB) · 2 frames · first 3 B kept (--max-payload) · incomplete: the message never finished');
  const huge = texts(messageDetail(hand(message({ text: 'abc', length: 5 * 1024 * 1024, wireLength: 1234, compressed: true, truncated: true })), null, 80));
  assert.equal(huge[1], '5,242,880 B (5.0 MiB) inflated (permessage-deflate) from 1,234 B (1.2 KiB) · 1 frame · first 3 B kept (--max-payload)', 'the exact count and the human size');
});

test('a message cut by --max-payload: frames past the kept bytes show no bytes', () => {
  const k = hex('01020304');
  const rows = decode([
    { from: 'client', bytes: clientFrame(0x01, Buffer.from('0123456789'), k) },
    { from: 'client', bytes: clientFrame(0x80, Buffer.from('abcdef'), k) },
  ], [], 4);
  const lines = texts(messageDetail(rows[0]!, null, 80));
  assert.equal(lines[1], '16 B · 2 frames · first 4 B kept (--max-payload)');
  assert.deepEqual(lines.slice(lines.indexOf('Frames') + 1), [
    '1. FIN=0 RSV=000 opcode=1 (text) MASK=1 key=01 02 03 04 length=10',
    '   masked:   31 33 31 37',
    '   payload:  30 31 32 33 …',
    '2. FIN=1 RSV=000 opcode=0 (continuation) MASK=1 key=01 02 03 04 length=6',
  ]);
});

test('violations are listed with rule, RFC, sender and detail', () => {
  const rows = decode([{ from: 'server', bytes: hex('a1 02 68 69') }]); // RSV2 without an extension
  const lines = messageDetail(rows[0]!, null, 80);
  const at = texts(lines).indexOf('Violations');
  assert.ok(at > 0);
  assert.match(lineText(lines[at + 1]!), /^! rsv-bit-without-extension \(RFC 6455 5\.2, server\): /);
  assert.equal(lines[at + 1]![0]!.style, 'bad');
  const v: ViolationRecord = { type: 'violation', conn: 1, ts: T0, from: 'client', rule: 'invalid-utf8', rfc: '6455 8.1', detail: 'byte 0xff' };
  assert.deepEqual(texts(violationLines([v])), ['! invalid-utf8 (RFC 6455 8.1, client): byte 0xff']);
});

function handshakeRow(h: Partial<HandshakeRecord> = {}, violations: ViolationRecord[] = []) {
  const view = new ConnectionView();
  const base: HandshakeRecord = {
    type: 'handshake', conn: 7, ts: T0 + 3, url: 'ws://127.0.0.1:3000/chat',
    request: { method: 'GET', target: '/chat', version: 'HTTP/1.1', headers: [['Host', '127.0.0.1:3000'], ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ==']] },
    response: { version: 'HTTP/1.1', status: 101, reason: 'Switching Protocols', headers: [['Upgrade', 'websocket'], ['Sec-WebSocket-Accept', 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=']] },
    ms: 2.5, accept: 'valid', protocol: 'chat', extensions: [{ name: 'permessage-deflate', params: { client_max_window_bits: true, server_max_window_bits: '10' } }],
    upgraded: true, ...h,
  };
  view.add({ record: { type: 'connect', conn: 7, ts: T0, client: '127.0.0.1:50123', server: null, tls: false }, connection: null, frames: [], violations: [] });
  view.add({ record: base, connection: null, frames: [], violations });
  return view.rows[0]!;
}

test('handshakeDetail: request and response as sent, accept check, subprotocol, extensions', () => {
  const lines = handshakeDetail(handshakeRow());
  assert.deepEqual(texts(lines), [
    '#7 ws://127.0.0.1:3000/chat  from 127.0.0.1:50123',
    'open · handshake 2.50ms',
    'client → server  0 messages, 0 B',
    'client ← server  0 messages, 0 B',
    '',
    'Request',
    'GET /chat HTTP/1.1',
    'Host: 127.0.0.1:3000',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    '',
    'Response',
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=',
    '',
    'Sec-WebSocket-Accept: valid',
    'subprotocol: chat',
    'extension: permessage-deflate; client_max_window_bits; server_max_window_bits=10',
  ]);
  const bad = handshakeDetail(handshakeRow({ accept: 'invalid' }));
  const accept = bad.find((l) => lineText(l) === 'Sec-WebSocket-Accept: invalid')!;
  assert.equal(accept[1]!.style, 'bad');
});

test('handshakeDetail: a refused upgrade, and handshake violations', () => {
  const v: ViolationRecord = { type: 'violation', conn: 7, ts: T0, from: 'server', rule: 'malformed-handshake', rfc: '6455 4.1', detail: 'no Upgrade header' };
  const lines = texts(handshakeDetail(handshakeRow({
    upgraded: false, protocol: null, extensions: [], accept: 'missing',
    response: { version: 'HTTP/1.1', status: 401, reason: 'Unauthorized', headers: [] },
  }, [v])));
  assert.deepEqual(lines.slice(1, 4), ['HTTP 401 · handshake 2.50ms', 'client → server  0 messages, 0 B', 'client ← server  0 messages, 0 B']);
  assert.ok(lines.includes('HTTP/1.1 401 Unauthorized'));
  assert.ok(!lines.some((l) => l.startsWith('Sec-WebSocket-Accept: missing')), 'no accept check without a 101');
  assert.deepEqual(lines.slice(-2), ['Violations', '! malformed-handshake (RFC 6455 4.1, server): no Upgrade header']);
});

// ---------------------------------------------------------------------------------------------
// Terminal safety

const EVIL = '\x1b[2J\x1b]0;title\x07\x07\x9b31m\x7f\u202eevil\u200b\u200d\u2066\ufeff{red-fg}x{/red-fg}\r\n\t\u2028';

function assertSafe(lines: Line[]): void {
  for (const line of lines) for (const s of line) assert.doesNotMatch(s.text, UNSAFE, JSON.stringify(s.text));
}

test('terminal safety: hostile payloads, JSON, reasons and violation details come out inert', () => {
  const v: ViolationRecord = { type: 'violation', conn: 1, ts: T0, from: 'client', rule: 'invalid-utf8', rfc: '6455 8.1', detail: `saw ${EVIL}` };
  const cases = [
    hand(message({ text: EVIL }), [], [v]),
    hand(message({ text: JSON.stringify({ [EVIL]: EVIL, list: [EVIL, 1] }) })),
    hand(message({ text: `[${JSON.stringify(EVIL)}]` })),
    hand(message({ kind: 'binary', base64: Buffer.from(EVIL).toString('base64') })),
    hand(message({ kind: 'close', close: { code: 1000, reason: EVIL } })),
  ];
  for (const row of cases) {
    const lines = messageDetail(row, T0, 80);
    assertSafe(lines);
  }
  const text = texts(messageDetail(cases[0]!, T0, 80));
  assert.ok(text.includes('\\x1b[2J\\x1b]0;title\\x07\\x07\\x9b31m\\x7f\\u{202e}evil\\u{200b}\\u{200d}\\u{2066}\\u{feff}{red-fg}x{/red-fg}\\r'), 'lines split at real newlines; everything else escaped');
  assert.ok(text.includes('! invalid-utf8 (RFC 6455 8.1, client): saw \\x1b[2J\\x1b]0;title\\x07\\x07\\x9b31m\\x7f\\u{202e}evil\\u{200b}\\u{200d}\\u{2066}\\u{feff}{red-fg}x{/red-fg}\\r\\n\\t\\u{2028}'));
  // Pretty JSON re-escapes C0 itself (\u001b); C1 and bidi characters still come out as visible escapes.
  const json = texts(messageDetail(cases[1]!, T0, 80));
  assert.ok(json.some((l) => l.includes('\\u001b[2J') && l.includes('\\x9b31m') && l.includes('\\u{202e}evil')));
});

test('terminal safety: hostile handshake fields come out inert', () => {
  const row = handshakeRow({
    url: `ws://h/${EVIL}`,
    request: { method: `GET${EVIL}`, target: `/${EVIL}`, version: 'HTTP/1.1', headers: [[`X-${EVIL}`, EVIL], ['Cookie', `a=${EVIL}`]] },
    response: { version: 'HTTP/1.1', status: 101, reason: EVIL, headers: [['Server', EVIL]] },
    protocol: EVIL,
    extensions: [{ name: EVIL, params: { [EVIL]: EVIL, flag: true } }],
  }, [{ type: 'violation', conn: 7, ts: T0, from: 'server', rule: 'malformed-handshake', rfc: '6455 4.1', detail: EVIL }]);
  const lines = handshakeDetail(row);
  assertSafe(lines);
  assert.ok(texts(lines).some((l) => l.startsWith('Server: \\x1b[2J')));
  assert.ok(texts(lines).some((l) => l.includes('{red-fg}x{/red-fg}')), 'markup stays literal');
});

test('an error of wspeek\'s own: where and when it happened, what it said, and that the traffic still passes', () => {
  const e = { type: 'error', conn: 3, ts: 1_700_000_000_500, where: 'decoder', detail: 'decoding stopped: boom\x1b]0;x\x07' } as const;
  const row: MessageRow = { seq: 1, record: e, frames: [], violations: [], stored: { record: e, connection: null, frames: [], violations: [] }, payloadDropped: false };
  const text = messageDetail(row, 1_700_000_000_000, 80).map(lineText).join('\n');
  assert.match(text, /^#3 wspeek decoder error {2}\S+ {2}\(\+500ms since open\)/);
  assert.match(text, /decoding stopped: boom\\x1b\]0;x\\x07/);
  assert.match(text, /still forwarded byte for byte/);
  // Read from a file, the error concerns the file, not forwarding.
  for (const [where, meaning] of [['capture', /never guessed over/], ['tls', /could not be decrypted/]] as const) {
    const f = { ...e, where };
    const shown = messageDetail({ ...row, record: f, stored: { ...row.stored, record: f } }, null, 80).map(lineText).join('\n');
    assert.match(shown, meaning);
    assert.doesNotMatch(shown, /forwarded/);
  }
});

test('a message wspeek acted on: held with what to do, what it sends instead, every action; a message it sent itself', () => {
  const m = message({ from: 'client', text: 'the secret', length: 10 });
  const act = (action: ActionRecord['action'], fields: Partial<ActionRecord> = {}): ActionRecord => ({ type: 'action', conn: 1, ts: T0 + 30, from: 'client', to: 'server', action, by: 'user', seq: 1, ...fields });
  const edit = act('edited', { base64: Buffer.from([0, 0x1b, 0xff]).toString('base64'), length: 3 });
  const acted = { conn: 1, seq: 1, row: 1, records: [act('held'), edit], marks: { held: true, dropped: false, edited: true, injected: false }, edit };
  const d = texts(messageDetail(hand(m), null, 100, acted)).join('\n');
  assert.match(d, /\nPayload\nthe secret\n\nHeld\nNot forwarded yet: the server has none of it, and what the client sent after it waits behind it\. a forwards it as edited, e edits it, d drops it\.\n/);
  assert.match(d, /\nEdited: what wspeek sends instead \(once forwarded\)\n0000 {2}00 1b ff {2}.*\|\.\.\.\|\n/);
  assert.match(d, new RegExp(`\\nWhat wspeek did\\n${clockTime(T0 + 30).replace(/\./g, '\\.')} {2}held message 1 c→s by the user\\n.* {2}edited message 1 c→s by the user: 3 B of binary`));
  assert.doesNotMatch(texts(messageDetail(hand(m), null, 100)).join('\n'), /What wspeek did/, 'nothing done: nothing said');

  const injected: ActionRecord = { type: 'action', conn: 2, ts: T0 + 40, from: 'server', to: 'client', action: 'injected', by: 'script', text: '{"a":"\u202e"}', length: 10 };
  const own: MessageRow = { seq: 2, record: injected, frames: [], violations: [], stored: { record: injected, connection: null, frames: [], violations: [] }, payloadDropped: false };
  const lines = messageDetail(own, T0, 100);
  const o = texts(lines).join('\n');
  assert.match(o, /^#2 client ← server {2}text {2}\S+ {2}\(\+40ms since open\)\ninjected by a script\n10 B · one frame written by wspeek: FIN set, uncompressed, unmasked\n\nPayload\nJSON\n/);
  assert.doesNotMatch(o.replace(/\n/g, ''), UNSAFE);
});

test('handshakeDetail: what wspeek did to the connection, with the headers it sent upstream', () => {
  const view = new ConnectionView();
  const store = new SessionStore();
  store.subscribe((s) => view.add(s));
  store.add({
    type: 'handshake', conn: 1, ts: T0, url: 'ws://h/', ms: 1, accept: 'valid', protocol: null, extensions: [], upgraded: true,
    request: { method: 'GET', target: '/', version: 'HTTP/1.1', headers: [] }, response: { version: 'HTTP/1.1', status: 101, reason: 'Switching Protocols', headers: [] },
  });
  const act = (fields: Partial<ActionRecord>): ActionRecord => ({ type: 'action', conn: 1, ts: T0 + 1, from: 'client', to: 'server', action: 'edited', by: 'script', ...fields });
  store.add(act({ target: 'handshake', headers: [['Host', 'h'], ['X-Evil', '\x1b[2J']] }));
  store.add(act({ action: 'held', by: 'user', seq: 1 }));
  store.add(act({ action: 'reencode', by: 'proxy', seq: 3 }));
  store.add(act({ action: 'closed', by: 'user', code: 1000, reason: 'done' }));
  const d = texts(handshakeDetail(view.rows[0]!));
  const at = d.indexOf('What wspeek did');
  assert.ok(at > 0, d.join('\n'));
  assert.deepEqual(d.slice(at + 1).map((l) => l.replace(/^\S+ {2}/, '')), [
    'edited the handshake c→s by a script: 2 headers', '  Host: h', '  X-Evil: \\x1b[2J',
    're-encoding c→s from message 3 on by wspeek', 'sent a close frame c→s by the user: 1000 "done"',
  ], 'the connection\'s own actions, not what was done to its messages');
});
