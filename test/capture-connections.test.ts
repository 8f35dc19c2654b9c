import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { CaptureConnections } from '../core/capture/capture-connections.js';
import { parseKeyLog, type KeyLog } from '../core/capture/key-log.js';
import { PcapReader, type CapturedPacket } from '../core/capture/pcap-reader.js';
import type { ConnectRecord, LogRecord, MessageRecord } from '../core/log/records.js';
import { ROOT } from './support/cli-process.js';
import { segmentFrame, type SegmentSpec } from './support/pcap-writer.js';
import { TLS_FIXTURE_SNI, TLS_FIXTURES, tlsFixtureMessages } from './support/wss-fixture.js';
import { closePayload, frame } from './support/ws-frames.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
/** RFC 6455 §1.3's example: the accept value for KEY. */
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';
const REQUEST = `GET /chat HTTP/1.1\r\nHost: chat.test:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
const RESPONSE = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${ACCEPT}\r\n\r\n`;
const CLIENT_MESSAGES = ['hello', 'second message', 'x'.repeat(5000)];
const SERVER_MESSAGES = ['welcome', 'reply'];

interface Peer { address: string; port: number; isn: number }
interface Options {
  client?: Peer;
  server?: Peer;
  /** Bytes per data segment. */
  mss?: number;
  vlans?: number[];
}

/** A whole conversation's segments, in the order a capture would see them: handshake, data both ways, closes, FINs. */
function conversation(o: Options = {}): SegmentSpec[] {
  const c = o.client ?? { address: '10.0.0.1', port: 51000, isn: 1000 };
  const s = o.server ?? { address: '10.0.0.2', port: 8080, isn: 5000 };
  const mss = o.mss ?? 1000;
  const seq = { c: c.isn, s: s.isn };
  const out: SegmentSpec[] = [];
  const from = (side: 'c' | 's', flags: SegmentSpec['flags'], payload?: Buffer): void => {
    const [a, b] = side === 'c' ? [c, s] : [s, c];
    out.push({ src: a.address, dst: b.address, srcPort: a.port, dstPort: b.port, seq: seq[side] >>> 0, flags, ...(payload ? { payload } : {}) });
  };
  const send = (side: 'c' | 's', bytes: Buffer): void => {
    for (let at = 0; at < bytes.length; at += mss) {
      const piece = bytes.subarray(at, at + mss);
      from(side, { ack: true }, piece);
      seq[side] += piece.length;
    }
  };
  from('c', { syn: true });
  seq.c++;
  from('s', { syn: true, ack: true });
  seq.s++;
  send('c', Buffer.from(REQUEST));
  send('s', Buffer.from(RESPONSE));
  send('c', Buffer.concat(CLIENT_MESSAGES.map((m) => frame({ opcode: 1, payload: m, mask: true }))));
  send('s', Buffer.concat(SERVER_MESSAGES.map((m) => frame({ opcode: 1, payload: m }))));
  send('c', frame({ opcode: 8, payload: closePayload(1000, 'bye'), mask: true }));
  send('s', frame({ opcode: 8, payload: closePayload(1000, 'bye') }));
  from('s', { fin: true, ack: true });
  seq.s++;
  from('c', { fin: true, ack: true });
  return out;
}

function run(segments: SegmentSpec[], vlans: number[] = []): LogRecord[] {
  const records: LogRecord[] = [];
  const table = new CaptureConnections({ source: 'test.pcap' }, (r) => records.push(r));
  segments.forEach((s, i) => {
    const p: CapturedPacket = { linkType: 1, ts: 1_700_000_000_000 + i, data: segmentFrame(s, vlans), wireLength: 0 };
    table.packet(p);
  });
  table.end();
  return records;
}

function texts(records: LogRecord[], from: 'client' | 'server'): string[] {
  return records.filter((r): r is MessageRecord => r.type === 'message' && r.from === from && r.kind === 'text' && !r.incomplete).map((r) => r.text!);
}

function assertWholeConversation(records: LogRecord[]): void {
  assert.deepEqual(texts(records, 'client'), CLIENT_MESSAGES);
  assert.deepEqual(texts(records, 'server'), SERVER_MESSAGES);
  const end = records.find((r) => r.type === 'end');
  assert.ok(end && end.type === 'end' && end.clean, 'a clean end');
  assert.deepEqual(records.filter((r) => r.type === 'error' || r.type === 'violation'), []);
}

test('a whole conversation: session, connect with the packets\' addresses, handshake, messages, end; capture timestamps', () => {
  const records = run(conversation());
  assert.deepEqual(records[0], { type: 'session', version: 1, tool: 'wspeek', ts: 1_700_000_000_000, mode: 'pcap', listen: null, target: null, source: 'test.pcap' });
  assert.deepEqual(records[1], { type: 'connect', conn: 1, ts: 1_700_000_000_000, client: '10.0.0.1:51000', server: '10.0.0.2:8080', tls: false });
  const hs = records.find((r) => r.type === 'handshake');
  assert.equal(hs?.type === 'handshake' && hs.url, 'ws://chat.test:8080/chat');
  assert.equal(hs?.ts, 1_700_000_000_003);
  assertWholeConversation(records);
});

test('segments reordered: the same messages in the same order', () => {
  const segs = conversation({ mss: 700 });
  // Swap neighbours throughout the client's frames.
  for (let i = 6; i + 1 < segs.length - 4; i += 3) [segs[i], segs[i + 1]] = [segs[i + 1]!, segs[i]!];
  assertWholeConversation(run(segs));
});

test('every data segment retransmitted (as a merged capture of two interfaces has it): decoded once', () => {
  const segs = conversation().flatMap((s) => (s.payload ? [s, s] : [s]));
  const records = run(segs);
  assertWholeConversation(records);
});

test('a retransmission with different bytes: an error record, the first copy decoded', () => {
  const segs = conversation({ mss: 600 });
  const i = segs.findIndex((s) => s.payload?.toString().startsWith('HTTP/1.1 101')) + 1;
  const bad = { ...segs[i]!, payload: Buffer.alloc(segs[i]!.payload!.length, 0x41) };
  segs.splice(i + 1, 0, bad);
  const records = run(segs);
  assert.deepEqual(texts(records, 'client'), CLIENT_MESSAGES);
  const errors = records.filter((r) => r.type === 'error');
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.type === 'error' ? errors[0]!.detail : '', /client resent 600 bytes at stream offset \d+ with different content; the first copy is decoded/);
});

test('sequence numbers that wrap around 2^32 mid-conversation', () => {
  assertWholeConversation(run(conversation({
    client: { address: '10.0.0.1', port: 51000, isn: 0xffffffff - 400 },
    server: { address: '10.0.0.2', port: 8080, isn: 0xffffffff - 100 },
  })));
});

test('IPv6 addresses, and Ethernet with a VLAN tag', () => {
  const records = run(conversation({
    client: { address: '2001:db8::1', port: 51000, isn: 1 },
    server: { address: '2001:db8::2', port: 8080, isn: 2 },
  }), [42]);
  assert.deepEqual(records[1], { type: 'connect', conn: 1, ts: 1_700_000_000_000, client: '[2001:db8::1]:51000', server: '[2001:db8::2]:8080', tls: false });
  assertWholeConversation(records);
});

test('a segment the capture lost: an error record naming the gap, and decoding stops there without guessing', () => {
  const segs = conversation({ mss: 1000 });
  // The client's segments: the request, then its frames; the third one of frames is in the middle of the long message.
  const client = segs.filter((s) => s.srcPort === 51000 && s.payload);
  segs.splice(segs.indexOf(client[3]!), 1);
  const records = run(segs);
  assert.deepEqual(texts(records, 'client'), CLIENT_MESSAGES.slice(0, 2));
  // The long message's bytes before the gap: an incomplete message, never completed with guessed bytes.
  const partial = records.find((r) => r.type === 'message' && r.incomplete);
  assert.ok(partial?.type === 'message' && partial.length < 5000 && /^x+$/.test(partial.text!));
  const errors = records.filter((r) => r.type === 'error');
  assert.equal(errors.length, 1);
  const e = errors[0]!;
  assert.equal(e.type === 'error' && e.where, 'capture');
  assert.match(e.type === 'error' ? e.detail : '', /^1000 bytes client→server at stream offset \d+ are missing from the capture; decoding of this connection stops here$/);
  const end = records.find((r) => r.type === 'end');
  assert.equal(end?.type === 'end' && end.clean, false);
});

test('a capture that joins after the upgrade: an error record saying so, connect and end, no messages', () => {
  const segs = conversation();
  const frames = segs.findIndex((s) => s.payload?.[0] === 0x81);
  const records = run(segs.slice(frames));
  assert.deepEqual(records.map((r) => r.type), ['session', 'connect', 'error', 'end']);
  const e = records[2]!;
  assert.equal(e.type === 'error' && e.where, 'capture');
  assert.match(e.type === 'error' ? e.detail : '', /joined this connection mid-stream .* no HTTP upgrade request/);
});

test('a capture that joins mid-stream before an upgrade request: the bytes before it are skipped, and said so', () => {
  const segs = conversation();
  const [c] = [segs[0]!];
  const lead: SegmentSpec = { ...c, flags: { ack: true }, seq: 900, payload: Buffer.from('end of an earlier exchange\r\n') };
  // The capture starts after the SYN: the earlier bytes, then the conversation from the request on.
  const fromRequest = segs.slice(2).map((s) => (s.srcPort === 51000 ? { ...s, seq: s.seq } : s));
  lead.seq = fromRequest[0]!.seq - lead.payload!.length;
  const records = run([lead, ...fromRequest]);
  assert.deepEqual(texts(records, 'client'), CLIENT_MESSAGES);
  const errors = records.filter((r) => r.type === 'error');
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.type === 'error' ? errors[0]!.detail : '', /joined this connection mid-stream: 28 client bytes and 0 server bytes before the first upgrade request were skipped/);
});

test('joined mid-stream with the client on the lower port: the upgrade request says which side is the client', () => {
  const segs = conversation({ client: { address: '10.0.0.1', port: 3000, isn: 100 }, server: { address: '10.0.0.2', port: 60000, isn: 900 } });
  const records = run(segs.slice(2));
  assert.deepEqual(records[1], { type: 'connect', conn: 1, ts: 1_700_000_000_000, client: '10.0.0.1:3000', server: '10.0.0.2:60000', tls: false });
  assert.deepEqual(texts(records, 'client'), CLIENT_MESSAGES);
  assert.deepEqual(texts(records, 'server'), SERVER_MESSAGES);
  const end = records.find((r) => r.type === 'end');
  assert.ok(end?.type === 'end' && end.clean && end.bytes.client > end.bytes.server);
  assert.deepEqual(records.filter((r) => r.type === 'error').map((r) => r.type === 'error' && r.detail),
    ['the capture joined this connection mid-stream: 0 client bytes and 0 server bytes before the first upgrade request were skipped']);
});

test('the same addresses again with a new SYN (the first connection\'s end not captured): two connections, both decoded', () => {
  const first = conversation().slice(0, -2); // no FINs
  const second = conversation({ client: { address: '10.0.0.1', port: 51000, isn: 77777 }, server: { address: '10.0.0.2', port: 8080, isn: 88888 } });
  const records = run([...first, ...second]);
  const connects = records.filter((r) => r.type === 'connect');
  assert.equal(connects.length, 2);
  for (const conn of [1, 2]) {
    assert.deepEqual(texts(records.filter((r) => r.type !== 'session' && r.conn === conn), 'client'), CLIENT_MESSAGES);
  }
  assert.deepEqual(records.filter((r) => r.type === 'end').map((r) => r.type === 'end' && r.conn), [1, 2]);
});

test('a TCP connection that is not WebSocket gets connect and end (addresses, bytes) and nothing else', () => {
  const c = { address: '10.0.0.1', port: 52000 };
  const s = { address: '10.0.0.9', port: 6379 };
  const segs: SegmentSpec[] = [
    { src: c.address, dst: s.address, srcPort: c.port, dstPort: s.port, seq: 10, flags: { syn: true } },
    { src: s.address, dst: c.address, srcPort: s.port, dstPort: c.port, seq: 20, flags: { syn: true, ack: true } },
    { src: c.address, dst: s.address, srcPort: c.port, dstPort: s.port, seq: 11, payload: Buffer.from('*1\r\n$4\r\nPING\r\n') },
    { src: s.address, dst: c.address, srcPort: s.port, dstPort: c.port, seq: 21, payload: Buffer.from('+PONG\r\n') },
    { src: c.address, dst: s.address, srcPort: c.port, dstPort: s.port, seq: 25, flags: { rst: true } },
  ];
  const records = run(segs);
  assert.deepEqual(records.slice(1), [
    { type: 'connect', conn: 1, ts: 1_700_000_000_000, client: '10.0.0.1:52000', server: '10.0.0.9:6379', tls: false },
    {
      type: 'end', conn: 1, ts: 1_700_000_000_004, by: 'client', code: null, clean: false, bytes: { client: 14, server: 7 },
      frames: { client: 0, server: 0 }, durationMs: 4, reason: 'client reset the connection (RST)',
    },
  ]);
});

test('a connection still open when the capture ends is ended there, saying so', () => {
  const segs = conversation();
  const records = run(segs.slice(0, segs.length - 4));
  const end = records.find((r) => r.type === 'end');
  assert.equal(end?.type === 'end' && end.by, 'proxy');
  assert.match(end?.type === 'end' ? end.reason ?? '' : '', /the capture ended before the connection did/);
});

test('random and truncated packets of every link type never throw, and a conversation after them still decodes', () => {
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const records: LogRecord[] = [];
  const table = new CaptureConnections({ source: 'fuzz.pcap' }, (r) => records.push(r));
  const frames = conversation().map((s) => segmentFrame(s));
  for (let i = 0; i < 3000; i++) {
    const linkType = [0, 1, 12, 101, 113, 228, 229, 276][i % 8]!;
    const base = frames[i % frames.length]!;
    const data = Buffer.from(base.subarray(0, Math.floor(random() * (base.length + 1))));
    for (let j = 0; j < 3; j++) if (data.length > 0) data[Math.floor(random() * data.length)] = Math.floor(random() * 256);
    table.packet({ linkType, ts: i, data, wireLength: data.length });
  }
  // The same conversation between other addresses: a connection of its own.
  const clean = conversation({ client: { address: '10.9.0.1', port: 53000, isn: 1 }, server: { address: '10.9.0.2', port: 80, isn: 2 } });
  clean.forEach((s, i) => table.packet({ linkType: 1, ts: 10_000 + i, data: segmentFrame(s), wireLength: 0 }));
  table.end();
  const conn = records.find((r): r is ConnectRecord => r.type === 'connect' && r.client === '10.9.0.1:53000')!.conn;
  assert.deepEqual(texts(records.filter((r) => r.type !== 'session' && r.conn === conn), 'client'), CLIENT_MESSAGES);
});

// The real wss conversations of test/fixtures/wss-lo.pcap (tcpdump on lo: Ethernet, IPv4) and their key log.
const WSS_KEY_LOG = parseKeyLog(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'wss-lo.keylog'), 'latin1'));

/** A TLS fixture connection's packets (by its server port), with the TCP payload's offset and length in each. */
function wssPackets(port: number): Array<CapturedPacket & { srcPort: number; payloadAt: number; payloadLength: number }> {
  const packets: CapturedPacket[] = [];
  const reader = new PcapReader((p) => packets.push(p));
  reader.push(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'wss-lo.pcap')));
  reader.end();
  return packets.map((p) => {
    const ip = 14;
    const tcp = ip + (p.data[ip]! & 0x0f) * 4;
    const payloadAt = tcp + (p.data[tcp + 12]! >> 4) * 4;
    return { ...p, srcPort: p.data.readUInt16BE(tcp), dstPort: p.data.readUInt16BE(tcp + 2), payloadAt, payloadLength: ip + p.data.readUInt16BE(ip + 2) - payloadAt };
  }).filter((p) => p.srcPort === port || p.dstPort === port);
}

function runPackets(packets: CapturedPacket[], keyLog: KeyLog | null): LogRecord[] {
  const records: LogRecord[] = [];
  const table = new CaptureConnections({ source: 'wss.pcap', keyLog }, (r) => records.push(r));
  for (const p of packets) table.packet(p);
  table.end();
  return records;
}

function dataMessages(records: LogRecord[], from: 'client' | 'server'): Array<string | undefined> {
  return records.filter((r): r is MessageRecord => r.type === 'message' && r.from === from && r.kind !== 'close' && !r.incomplete).map((r) => r.text ?? r.base64);
}

const SENT = (port: number) => tlsFixtureMessages(port).map((m) => (typeof m === 'string' ? m : m.toString('base64')));

for (const f of TLS_FIXTURES) {
  test(`${f.version} ${f.ciphersuites ?? f.ciphers} with its key log: connect tls true, a wss:// handshake, the messages decrypted and decoded`, () => {
    const records = runPackets(wssPackets(f.port), WSS_KEY_LOG);
    const connect = records.find((r): r is ConnectRecord => r.type === 'connect');
    assert.equal(connect?.tls, true);
    const handshake = records.find((r) => r.type === 'handshake');
    assert.equal(handshake?.type === 'handshake' && handshake.url, `wss://127.0.0.1:${f.port}/fixture-tls?v=${f.version}`);
    assert.deepEqual(dataMessages(records, 'client'), SENT(f.port));
    assert.deepEqual(dataMessages(records, 'server'), SENT(f.port));
    assert.deepEqual(records.filter((r) => r.type === 'error'), []);
  });
}

test('a TCP gap inside a decrypted TLS stream: the gap\'s error record, decryption stops there, no tls record after it', () => {
  const packets = wssPackets(TLS_FIXTURES[0].port);
  // The server's largest segment: its echo of the 20000-byte message, after the handshake.
  const fromServer = packets.filter((p) => p.srcPort === TLS_FIXTURES[0].port);
  const biggest = fromServer.reduce((a, b) => (b.payloadLength > a.payloadLength ? b : a));
  const records = runPackets(packets.filter((p) => p !== biggest), WSS_KEY_LOG);
  assert.deepEqual(dataMessages(records, 'client'), SENT(TLS_FIXTURES[0].port));
  assert.ok(dataMessages(records, 'server').length < 3, 'the server\'s messages stop at the gap');
  const errors = records.filter((r) => r.type === 'error');
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.type === 'error' && errors[0]!.where, 'capture');
  assert.match(errors[0]!.type === 'error' ? errors[0]!.detail : '', new RegExp(`^${biggest.payloadLength} bytes server→client at stream offset \\d+ are missing from the capture; decryption of this connection stops here$`));
});

test('a TLS record that does not authenticate: a tls error record with the SNI, the messages before it decoded, the rest counted', () => {
  const packets = wssPackets(TLS_FIXTURES[2].port);
  const fromClient = packets.filter((p) => p.srcPort !== TLS_FIXTURES[2].port && p.payloadLength > 0);
  // The client's last data segment is its close_notify alert; the one before holds its close frame's record: one bit of its tag changed.
  const last = fromClient.at(-2)!;
  const data = Buffer.from(last.data);
  data[last.payloadAt + last.payloadLength - 1]! ^= 1;
  const records = runPackets(packets.map((p) => (p === last ? { ...p, data } : p)), WSS_KEY_LOG);
  assert.deepEqual(dataMessages(records, 'client'), SENT(TLS_FIXTURES[2].port));
  const errors = records.filter((r) => r.type === 'error');
  assert.deepEqual(errors.map((e) => e.type === 'error' && e.where), ['tls']);
  assert.match(errors[0]!.type === 'error' ? errors[0]!.detail : '', new RegExp(`^TLS to ${TLS_FIXTURE_SNI.replaceAll('.', '\\.')}: a client record did not authenticate \\(record \\d+ under this key\\); the rest of the connection is counted, not decoded$`));
  assert.equal(records.some((r) => r.type === 'message' && r.kind === 'close' && r.from === 'client'), false);
  const end = records.find((r) => r.type === 'end');
  assert.equal(end?.type === 'end' && end.clean, false);
});

test('TLS without a key log: counted, and the tls error record says to give --keylog', () => {
  const records = runPackets(wssPackets(TLS_FIXTURES[1].port), null);
  assert.deepEqual(records.filter((r) => r.type === 'error').map((e) => e.type === 'error' && [e.where, e.detail]),
    [['tls', `TLS to ${TLS_FIXTURE_SNI}: not decrypted without a key log (--keylog FILE); its bytes are counted, not decoded`]]);
  assert.equal(records.some((r) => r.type === 'message' || r.type === 'handshake'), false);
});
