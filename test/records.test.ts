import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionDecoder } from '../core/websocket/connection-decoder.js';
import type { EndEvent, FrameEvent, HandshakeEvent, MessageEvent, Side, ViolationEvent, WsEvent } from '../core/websocket/events.js';
import {
  actionRecord, BYTES_OVER, connectRecord, endRecord, errorRecord, eventRecord, frameRecord, handshakeRecord, httpRecord, messageRecord, RECORD_TYPES, recordPayload,
  recordPayloadPrefix, sessionRecord, tunnelRecord, undecodedEndRecord, violationRecord, type LogRecord, type MessageRecord,
} from '../core/log/records.js';
import { parseLogLine } from '../core/log/parse-line.js';
import { hex, RFC_REQUEST_MINIMAL as REQUEST, RFC_RESPONSE_MINIMAL as RESPONSE } from './support/rfc6455-fixtures.js';

const WS_URL = 'ws://server.example.com/chat';

/** One frame (payload < 126 bytes), masked with `mask` (8 hex digits) when given. */
function frame(opcode: number, payload: Buffer | string, o: { fin?: boolean; mask?: string } = {}): Buffer {
  const p = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  assert.ok(p.length < 126);
  const head = Buffer.from([((o.fin ?? true) ? 0x80 : 0) | opcode, (o.mask ? 0x80 : 0) | p.length]);
  if (!o.mask) return Buffer.concat([head, p]);
  const key = hex(o.mask);
  return Buffer.concat([head, key, Buffer.from(p.map((b, i) => b ^ key[i % 4]!))]);
}

/** A decoder past the handshake (request at ts 10, response at 11.2345678), collecting events. */
function open(options: { startTs?: number; maxPayload?: number } = {}) {
  const events: WsEvent[] = [];
  const d = new ConnectionDecoder({ startTs: options.startTs ?? 5, maxPayload: options.maxPayload }, (e) => events.push(e));
  d.receive('client', Buffer.from(REQUEST, 'latin1'), 10);
  d.receive('server', Buffer.from(RESPONSE, 'latin1'), 11.2345678);
  const send = (from: Side, bytes: Buffer, ts: number) => d.receive(from, bytes, ts);
  const of = <T extends WsEvent['type']>(type: T) => events.filter((e): e is Extract<WsEvent, { type: T }> => e.type === type);
  return { d, events, send, of };
}

/** Every event of one connection converted the way the proxy does. */
function toRecords(conn: number, events: WsEvent[]): LogRecord[] {
  return events.map((e) => eventRecord(conn, e, WS_URL));
}

test('handshake record: exactly the schema fields, ms rounded to µs', () => {
  const t = open();
  const h = t.of('handshake') as HandshakeEvent[];
  assert.equal(h.length, 1);
  const r = handshakeRecord(7, h[0]!, WS_URL);
  assert.deepEqual(r, {
    type: 'handshake', conn: 7, ts: 11.2345678, url: WS_URL,
    request: {
      method: 'GET', target: '/chat', version: 'HTTP/1.1',
      headers: [
        ['Host', 'server.example.com'], ['Upgrade', 'websocket'], ['Connection', 'Upgrade'],
        ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='], ['Sec-WebSocket-Version', '13'],
      ],
    },
    response: {
      version: 'HTTP/1.1', status: 101, reason: 'Switching Protocols',
      headers: [['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Accept', 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=']],
    },
    ms: 1.235, accept: 'valid', protocol: null, extensions: [], upgraded: true,
  });
  assert.equal('requestTs' in r, false, 'event-only fields stay out of the record');
});

test('frame records: the header fields of the Wireshark capture frames ("Hello, world", masked "Good bye."), nothing else', () => {
  const t = open();
  t.send('server', hex('81 0c 48 65 6c 6c 6f 2c 20 77 6f 72 6c 64'), 20);
  t.send('client', hex('81 89 95 39 ff dd d2 56 90 b9 b5 5b 86 b8 bb'), 21);
  const frames = (t.of('frame') as FrameEvent[]).map((e) => frameRecord(3, e));
  assert.deepEqual(frames, [
    { type: 'frame', conn: 3, ts: 20, from: 'server', fin: true, rsv: [false, false, false], opcode: 1, masked: false, mask: null, length: 12 },
    { type: 'frame', conn: 3, ts: 21, from: 'client', fin: true, rsv: [false, false, false], opcode: 1, masked: true, mask: '9539ffdd', length: 9 },
  ]);
  for (const f of frames) assert.equal('headerLength' in f, false);
});

test('message records: text carries text, binary/ping/pong carry base64, close carries only close, rtt only on an answering pong', () => {
  const t = open();
  t.send('server', hex('81 0c 48 65 6c 6c 6f 2c 20 77 6f 72 6c 64'), 20);
  t.send('client', hex('81 89 95 39 ff dd d2 56 90 b9 b5 5b 86 b8 bb'), 21);
  t.send('server', hex('82 03 00 ff 80'), 22);
  t.send('server', frame(9, 'hb'), 30);
  t.send('client', frame(10, 'hb', { mask: '01020304' }), 31.0006789);
  t.send('client', frame(10, 'zz', { mask: '0a0b0c0d' }), 32);
  t.send('client', frame(8, Buffer.concat([hex('03e8'), Buffer.from('bye')]), { mask: '11223344' }), 50);
  t.send('server', frame(8, Buffer.concat([hex('03e8'), Buffer.from('bye')])), 51);
  const m = (t.of('message') as MessageEvent[]).map((e) => messageRecord(3, e));
  const base = { type: 'message', conn: 3, frames: 1, compressed: false, truncated: false } as const;
  // seq counts the connection's messages in order, both directions together.
  assert.deepEqual(m, ([
    { ...base, ts: 20, from: 'server', kind: 'text', length: 12, wireLength: 12, text: 'Hello, world' },
    { ...base, ts: 21, from: 'client', kind: 'text', length: 9, wireLength: 9, text: 'Good bye.' },
    { ...base, ts: 22, from: 'server', kind: 'binary', length: 3, wireLength: 3, base64: 'AP+A' },
    { ...base, ts: 30, from: 'server', kind: 'ping', length: 2, wireLength: 2, base64: Buffer.from('hb').toString('base64') },
    { ...base, ts: 31.0006789, from: 'client', kind: 'pong', length: 2, wireLength: 2, base64: Buffer.from('hb').toString('base64'), rtt: 1.001 },
    { ...base, ts: 32, from: 'client', kind: 'pong', length: 2, wireLength: 2, base64: Buffer.from('zz').toString('base64') },
    { ...base, ts: 50, from: 'client', kind: 'close', length: 5, wireLength: 5, close: { code: 1000, reason: 'bye' } },
    { ...base, ts: 51, from: 'server', kind: 'close', length: 5, wireLength: 5, close: { code: 1000, reason: 'bye' } },
  ] as const).map((r, i) => ({ ...r, seq: i + 1 })));
  for (const r of m) assert.equal('incomplete' in r, false, `${r.kind}: incomplete only when set`);
  assert.equal('text' in m[6]! || 'base64' in m[6]!, false, 'close carries neither text nor base64');
});

test('a text message that is not valid UTF-8 carries base64 (and the violation record has the schema fields)', () => {
  const t = open();
  t.send('server', hex('81 02 c3 28'), 40);
  const m = messageRecord(2, (t.of('message') as MessageEvent[])[0]!);
  assert.deepEqual(m, {
    type: 'message', conn: 2, seq: 1, ts: 40, from: 'server', kind: 'text', length: 2, wireLength: 2, frames: 1,
    compressed: false, truncated: false, base64: 'wyg=',
  });
  const v = (t.of('violation') as ViolationEvent[]).map((e) => violationRecord(2, e));
  assert.deepEqual(v, [
    { type: 'violation', conn: 2, ts: 40, from: 'server', rule: 'invalid-utf8', rfc: '6455 8.1', detail: 'text message of 2 bytes is not valid UTF-8' },
  ]);
});

test('a truncated text message cut inside a multi-byte character carries the decoded prefix as text', () => {
  const t = open({ maxPayload: 4 });
  t.send('server', frame(1, 'abcé'), 40); // 61 62 63 c3 a9: the cap cuts é
  t.send('server', hex('82 06 01 02 03 04 05 06'), 41);
  const [text, binary] = (t.of('message') as MessageEvent[]).map((e) => messageRecord(1, e));
  assert.deepEqual(text, {
    type: 'message', conn: 1, seq: 1, ts: 40, from: 'server', kind: 'text', length: 5, wireLength: 5, frames: 1,
    compressed: false, truncated: true, text: 'abc',
  });
  assert.deepEqual(binary, {
    type: 'message', conn: 1, seq: 2, ts: 41, from: 'server', kind: 'binary', length: 6, wireLength: 6, frames: 1,
    compressed: false, truncated: true, base64: 'AQIDBA==',
  });
  assert.deepEqual(t.of('violation'), [], 'the cut is not mistaken for invalid UTF-8');
});

test('an unfinished message has incomplete: true; an empty close has code null', () => {
  const t = open();
  t.send('server', hex('88 00'), 20);
  t.send('client', frame(1, 'par', { fin: false, mask: 'a1b2c3d4' }), 21);
  t.d.finish(60.0015556);
  const [close, partial] = (t.of('message') as MessageEvent[]).map((e) => messageRecord(4, e));
  assert.deepEqual(close, {
    type: 'message', conn: 4, seq: 1, ts: 20, from: 'server', kind: 'close', length: 0, wireLength: 0, frames: 1,
    compressed: false, truncated: false, close: { code: null, reason: '' },
  });
  assert.deepEqual(partial, {
    type: 'message', conn: 4, seq: 2, ts: 60.0015556, from: 'client', kind: 'text', length: 3, wireLength: 3, frames: 1,
    compressed: false, truncated: false, text: 'par', incomplete: true,
  });
});

test('end record: the schema fields, durationMs rounded to µs', () => {
  const t = open({ startTs: 5 });
  t.send('client', frame(8, Buffer.concat([hex('03e8'), Buffer.from('bye')]), { mask: '11223344' }), 50);
  t.send('server', frame(8, Buffer.concat([hex('03e8'), Buffer.from('bye')])), 51);
  t.d.endOfStream('server', 52);
  t.d.finish(60.0015556);
  const ends = t.of('end') as EndEvent[];
  assert.equal(ends.length, 1);
  assert.deepEqual(endRecord(9, ends[0]!), {
    type: 'end', conn: 9, ts: 60.0015556, by: 'client', code: 1000, clean: true,
    bytes: { client: Buffer.byteLength(REQUEST) + 11, server: Buffer.byteLength(RESPONSE) + 7 },
    frames: { client: 1, server: 1 }, durationMs: 55.002, reason: null,
  });
});

test('recordPayload: the bytes a message record kept', () => {
  const base = { type: 'message', conn: 1, seq: 1, ts: 1, from: 'client', length: 0, wireLength: 0, frames: 1, compressed: false, truncated: false } as const;
  assert.deepEqual(recordPayload({ ...base, kind: 'text', text: 'héllo' }), Buffer.from('héllo', 'utf8'));
  assert.deepEqual(recordPayload({ ...base, kind: 'binary', base64: 'AP+A' }), hex('00 ff 80'));
  assert.deepEqual(recordPayload({ ...base, kind: 'close', close: { code: 1000, reason: 'bye' } }), hex('03 e8 62 79 65'));
  assert.deepEqual(recordPayload({ ...base, kind: 'close', close: { code: null, reason: '' } }), Buffer.alloc(0));
  assert.deepEqual(recordPayload({ ...base, kind: 'text', text: '' }), Buffer.alloc(0));
});

test('a live message past 64 KiB keeps its payload as bytes, not base64; recordPayload gives them back', () => {
  assert.equal(BYTES_OVER, 64 * 1024);
  const payload = Buffer.alloc(BYTES_OVER + 1, 0xab);
  const e: MessageEvent = {
    type: 'message', seq: 1, ts: 1, startTs: 1, from: 'server', kind: 'binary', length: payload.length, wireLength: payload.length, frames: 1,
    compressed: false, payload, truncated: false, incomplete: false, text: null,
  };
  const big = messageRecord(1, e);
  assert.equal(big.bytes, payload);
  assert.equal(big.base64, undefined);
  assert.equal(recordPayload(big), payload);
  assert.deepEqual(recordPayloadPrefix(big, 3), hex('ab ab ab'));
  const small = messageRecord(1, { ...e, payload: payload.subarray(0, BYTES_OVER), length: BYTES_OVER });
  assert.equal(small.bytes, undefined, 'at 64 KiB and below: base64, as a small Buffer may pin a shared pool');
  assert.equal(small.base64, payload.subarray(0, BYTES_OVER).toString('base64'));
});

test('every record survives a JSON round trip and parses back as itself', () => {
  const t = open();
  t.send('client', hex('81 02 68 69'), 19); // unmasked: a violation record
  t.send('server', hex('81 0c 48 65 6c 6c 6f 2c 20 77 6f 72 6c 64'), 20);
  t.send('client', hex('81 89 95 39 ff dd d2 56 90 b9 b5 5b 86 b8 bb'), 21);
  t.send('server', hex('82 03 00 ff 80'), 22);
  t.send('server', frame(9, 'hb'), 30);
  t.send('client', frame(10, 'hb', { mask: '01020304' }), 31.0006789);
  t.send('server', hex('81 02 c3 28'), 40);
  t.send('client', frame(1, 'par', { fin: false, mask: 'a1b2c3d4' }), 41);
  t.send('client', frame(8, Buffer.concat([hex('03e8'), Buffer.from('bye')]), { mask: '11223344' }), 50);
  t.d.finish(60.0015556);
  const records: LogRecord[] = [
    { type: 'session', version: 1, tool: 'wspeek', ts: 1, mode: 'demo', listen: '127.0.0.1:1', target: null },
    { type: 'connect', conn: 1, ts: 2, client: '127.0.0.1:5', server: null, tls: true },
    { type: 'http', conn: 2, ts: 3, method: 'GET', url: 'http://x/', status: null, ms: 0.5, error: 'upstream unreachable' },
    tunnelRecord(3, 4, { via: 'connect', host: 'example.test', port: 443, tls: 'intercepted', sni: 'example.test', alpn: 'http/1.1', version: 'TLSv1.3', alert: null }),
    errorRecord(3, 5, 'decoder', 'decoding stopped'),
    actionRecord(1, 6, { from: 'client', to: 'server', action: 'edited', by: 'user', seq: 2, text: 'changed', length: 7 }),
    ...toRecords(1, t.events),
  ];
  const types = new Set(records.map((r) => r.type));
  assert.deepEqual([...types].sort(), [...RECORD_TYPES].sort(), 'every record type');
  assert.ok(records.some((r) => r.type === 'message' && r.rtt !== undefined && r.incomplete === undefined));
  assert.ok(records.some((r) => r.type === 'message' && r.incomplete === true));
  for (const r of records) {
    const line = JSON.stringify(r);
    assert.deepEqual(JSON.parse(line), r, line);
    assert.deepEqual(parseLogLine(line), { kind: 'record', record: r });
    assert.equal(line.includes('\n'), false);
  }
  const messages = records.filter((r): r is MessageRecord => r.type === 'message');
  for (const m of messages) {
    const carriers = ['text', 'base64', 'close'].filter((k) => k in m);
    assert.equal(carriers.length, 1, `${m.kind} carries exactly one of text/base64/close: ${carriers}`);
  }
});

test('recordPayloadPrefix gives the same bytes as the whole payload cut to n, for every n', () => {
  for (const size of [0, 1, 2, 3, 4, 47, 48, 49, 100]) {
    const payload = Buffer.from(Array.from({ length: size }, (_, i) => (i * 91 + 7) & 0xff));
    const m: MessageRecord = { type: 'message', conn: 1, seq: 1, ts: 1, from: 'server', kind: 'binary', length: size, wireLength: size, frames: 1, compressed: false, truncated: false, base64: payload.toString('base64') };
    for (let n = 0; n <= size + 5; n++) assert.deepEqual(recordPayloadPrefix(m, n), recordPayload(m).subarray(0, n), `size ${size} n ${n}`);
  }
  const text: MessageRecord = { type: 'message', conn: 1, seq: 1, ts: 1, from: 'server', kind: 'text', length: 5, wireLength: 5, frames: 1, compressed: false, truncated: false, text: 'héllo' };
  assert.deepEqual(recordPayloadPrefix(text, 3), Buffer.from('héllo').subarray(0, 3));
});


test('the proxy\'s own records: exactly their fields, in order, with durations rounded to the µs as the decoder\'s are', () => {
  assert.deepEqual(sessionRecord(1.5, 'reverse', '127.0.0.1:8080', 'ws://h/'), {
    type: 'session', version: 1, tool: 'wspeek', ts: 1.5, mode: 'reverse', listen: '127.0.0.1:8080', target: 'ws://h/',
  });
  assert.deepEqual(connectRecord(3, 2, '127.0.0.1:5000', null), { type: 'connect', conn: 3, ts: 2, client: '127.0.0.1:5000', server: null, tls: false });
  const http = httpRecord(3, 1000.001, 1123.334984375, 'GET', 'http://h/', 200);
  assert.deepEqual(http, { type: 'http', conn: 3, ts: 1000.001, method: 'GET', url: 'http://h/', status: 200, ms: 123.334 });
  assert.equal('error' in http, false, 'no error field without an error');
  assert.deepEqual(httpRecord(3, 1, 1, 'CONNECT', 'h:443', null, 'why'), { type: 'http', conn: 3, ts: 1, method: 'CONNECT', url: 'h:443', status: null, ms: 0, error: 'why' });
  assert.deepEqual(Object.keys(tunnelRecord(3, 4, { alert: 'a', version: null, alpn: null, sni: null, tls: 'rejected', port: 443, host: 'h', via: 'connect' })),
    ['type', 'conn', 'ts', 'via', 'host', 'port', 'tls', 'sni', 'alpn', 'version', 'alert'], 'the documented order, whatever order the caller gave');
  assert.deepEqual(errorRecord(3, 5, 'decoder', 'boom'), { type: 'error', conn: 3, ts: 5, where: 'decoder', detail: 'boom' });
  assert.deepEqual(undecodedEndRecord(3, 10.0004444, 0.0001, 'proxy', { client: 1, server: 2 }, 'wspeek shut down'), {
    type: 'end', conn: 3, ts: 10.0004444, by: 'proxy', code: null, clean: false, bytes: { client: 1, server: 2 }, frames: { client: 0, server: 0 },
    durationMs: 10, reason: 'wspeek shut down',
  });
});

test('the proxy makes no record itself: no record literal anywhere in proxy/, every record comes from these builders', async () => {
  const { ROOT } = await import('./support/cli-process.js');
  const fs = await import('node:fs');
  const path = await import('node:path');
  const sources = (fs.readdirSync(path.join(ROOT, 'proxy'), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
  assert.ok(sources.length >= 10, `the proxy's sources are found (${sources.length})`);
  const literal = new RegExp(`type:\\s*['"](${[...RECORD_TYPES].join('|')})['"]`);
  for (const f of sources) {
    const text = fs.readFileSync(path.join(ROOT, 'proxy', f), 'utf8');
    assert.doesNotMatch(text, literal, `proxy/${f} writes a record literal`);
  }
});

test('an action record: its fields in the documented order, whatever order they were given in, and only those given', () => {
  const a = actionRecord(4, 10, { error: 'timeout', by: 'script', action: 'forwarded', to: 'client', from: 'server', seq: 7 });
  assert.deepEqual(Object.keys(a), ['type', 'conn', 'ts', 'from', 'to', 'action', 'by', 'seq', 'error']);
  assert.deepEqual(actionRecord(4, 11, { from: 'client', to: 'server', action: 'closed', by: 'user', code: 4000, reason: 'bye' }), {
    type: 'action', conn: 4, ts: 11, from: 'client', to: 'server', action: 'closed', by: 'user', code: 4000, reason: 'bye',
  });
});
