import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RecordLineEncoder, escapeUnsafe, recordLineCapacity } from '../core/log/record-line.js';
import { type FrameRecord, type LogRecord, type MessageRecord } from '../core/log/records.js';
import { parseLogLine } from '../core/log/parse-line.js';

const encoder = new RecordLineEncoder();

test('recordLine builds frame and message lines that parse back to exactly the record, with terminal-unsafe text escaped', () => {
  const records: LogRecord[] = [
    { type: 'frame', conn: 7, ts: 1795290133410.3066, from: 'client', fin: false, rsv: [true, false, true], opcode: 2, masked: true, mask: '9539ffdd', length: 70000 },
    { type: 'frame', conn: 7, ts: 1, from: 'server', fin: true, rsv: [false, false, false], opcode: 8, masked: false, mask: null, length: 0 },
    { type: 'message', conn: 7, seq: 1, ts: 2.5, from: 'server', kind: 'text', length: 12, wireLength: 14, frames: 1, compressed: true, truncated: false, text: 'esc \x1b[2J bel \x07 c1 \x9b bidi \u202e "quote" \\ \u2028' },
    { type: 'message', conn: 7, seq: 1, ts: 3, from: 'client', kind: 'binary', length: 3, wireLength: 3, frames: 2, compressed: false, truncated: true, base64: 'AAEC', incomplete: true },
    { type: 'message', conn: 7, seq: 1, ts: 4, from: 'client', kind: 'close', length: 5, wireLength: 5, frames: 1, compressed: false, truncated: false, close: { code: 1000, reason: 'bye\u202e' } },
    { type: 'message', conn: 7, seq: 1, ts: 5, from: 'server', kind: 'pong', length: 0, wireLength: 0, frames: 1, compressed: false, truncated: false, base64: '', rtt: 0.421 },
    { type: 'message', conn: 7, seq: 2, ts: 6, from: 'client', kind: 'text', length: 2, wireLength: null, frames: null, compressed: null, truncated: true, text: 'hi' },
  ];
  for (const r of records) {
    const line = encoder.line(r);
    assert.doesNotMatch(line, /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e]/, 'nothing a terminal acts on');
    assert.deepEqual(JSON.parse(line), r);
    const parsed = parseLogLine(line);
    assert.deepEqual(parsed, { kind: 'record', record: r });
  }
});

/** What the line must be: the record as JSON.stringify writes it (fields in schema order), made terminal-safe. */
const reference = (r: LogRecord) => escapeUnsafe(JSON.stringify(r));

test('a frame line is byte for byte the JSON.stringify of the record (RFC 6455 §5.7: "Hello" masked, 81 85 37 fa 21 3d)', () => {
  const f: FrameRecord = { type: 'frame', conn: 1, ts: 1795290133410.306, from: 'client', fin: true, rsv: [false, false, false], opcode: 1, masked: true, mask: '37fa213d', length: 5 };
  assert.equal(encoder.line(f), '{"type":"frame","conn":1,"ts":1795290133410.306,"from":"client","fin":true,"rsv":[false,false,false],"opcode":1,"masked":true,"mask":"37fa213d","length":5}');
  assert.equal(encoder.line(f), reference(f));
});

/** µs-precise numbers (as the clock gives), whole numbers, and numbers that are neither. */
const numberArb = fc.oneof(
  fc.integer({ min: 0, max: 2 ** 42 * 1000 }).map((us) => Math.round(us) / 1000),
  fc.integer({ min: 0, max: 2 ** 53 - 1 }),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: 0 }),
  fc.constantFrom(0, 0.001, 0.01, 0.1, 0.5, 1, 9, 10, 99, 100, 1e21, 2 ** 42, 2 ** 42 - 0.001, 2 ** 53, 1795290133410.3066, 1795290133410.1),
);

test('numbers are written exactly as String(n) writes them', () => {
  fc.assert(fc.property(numberArb, (n) => {
    const f: FrameRecord = { type: 'frame', conn: n, ts: n, from: 'server', fin: true, rsv: [false, false, false], opcode: 1, masked: false, mask: null, length: n };
    assert.equal(encoder.line(f), reference(f));
  }), { numRuns: 3000 });
});

test('timestamps in one millisecond, the next, and an earlier one again are each written as String(ts)', () => {
  // Lines in the same millisecond share its whole part: a change of millisecond, either way, must show.
  const sequence = [1795290133410.307, 1795290133410.5, 1795290133410, 1795290133411.001, 1795290133410.999, 0.001, 0, 2 ** 42 - 0.001, 2 ** 42 + 0.25, 12.3456, 1795290133410.3066];
  for (const ts of sequence) {
    const f: FrameRecord = { type: 'frame', conn: 1, ts, from: 'client', fin: true, rsv: [false, false, false], opcode: 1, masked: false, mask: null, length: 0 };
    assert.equal(encoder.line(f), reference(f), `ts ${ts}`);
  }
});

test('a frame line is byte for byte the JSON.stringify of the record, for every side, flag, opcode and mask', () => {
  const frameArb: fc.Arbitrary<FrameRecord> = fc.record({
    conn: numberArb,
    ts: numberArb,
    from: fc.constantFrom('client' as const, 'server' as const),
    fin: fc.boolean(),
    rsv: fc.tuple(fc.boolean(), fc.boolean(), fc.boolean()),
    opcode: fc.integer({ min: 0, max: 15 }),
    masked: fc.boolean(),
    mask: fc.option(fc.uint8Array({ minLength: 4, maxLength: 4 }).map((k) => Buffer.from(k).toString('hex'))),
    length: numberArb,
  }).map(({ conn, ts, from, fin, rsv, opcode, masked, mask, length }) => ({ type: 'frame', conn, ts, from, fin, rsv, opcode, masked, mask, length }));
  fc.assert(fc.property(frameArb, (f) => {
    assert.equal(encoder.line(f), reference(f));
    assert.ok(encoder.line(f).length <= recordLineCapacity(f), 'within the capacity the writer reserves');
  }), { numRuns: 3000 });
});

const textArb = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ maxLength: 80 }),
  fc.constantFrom('', 'plain ascii', 'a "quote" and a \\ backslash', 'esc \x1b[2J', 'del \x7f c1 \x9b', 'bidi \u202e', 'sep \u2028', 'lone \ud800 surrogate', 'emoji 😀', '日本語'),
);

const messageArb: fc.Arbitrary<MessageRecord> = fc.record({
  conn: fc.nat(),
  ts: numberArb,
  from: fc.constantFrom('client' as const, 'server' as const),
  length: fc.nat(),
  // Null: unknown, as for a message read from HAR.
  wireLength: fc.option(fc.nat()),
  frames: fc.option(fc.nat()),
  compressed: fc.option(fc.boolean()),
  truncated: fc.boolean(),
  payload: fc.oneof(
    textArb.map((text) => ({ kind: 'text' as const, text })),
    fc.uint8Array({ maxLength: 200 }).map((b) => ({ kind: 'binary' as const, base64: Buffer.from(b).toString('base64') })),
    fc.record({ code: fc.option(fc.integer({ min: 0, max: 65535 })), reason: textArb }).map((close) => ({ kind: 'close' as const, close })),
  ),
  incomplete: fc.boolean(),
  rtt: fc.option(numberArb),
}).map(({ payload, incomplete, rtt, ...m }) => {
  // Fields in the order messageRecord gives them.
  const r: MessageRecord = { type: 'message', conn: m.conn, seq: 1, ts: m.ts, from: m.from, kind: payload.kind, length: m.length, wireLength: m.wireLength, frames: m.frames, compressed: m.compressed, truncated: m.truncated };
  if ('close' in payload) r.close = payload.close;
  else if ('text' in payload) r.text = payload.text;
  else r.base64 = payload.base64;
  if (incomplete) r.incomplete = true;
  if (rtt !== null) r.rtt = rtt;
  return r;
});

test('a message line is byte for byte the terminal-safe JSON.stringify of the record, for any text, close reason and numbers', () => {
  fc.assert(fc.property(messageArb, (m) => {
    const line = encoder.line(m);
    assert.equal(line, reference(m));
    assert.ok(Buffer.byteLength(line) <= recordLineCapacity(m), 'within the capacity the writer reserves');
  }), { numRuns: 3000 });
});

test('encode writes at the given offset, touches nothing past the line, and returns the end', () => {
  const m: MessageRecord = { type: 'message', conn: 3, seq: 1, ts: 12.5, from: 'server', kind: 'text', length: 2, wireLength: 2, frames: 1, compressed: false, truncated: false, text: 'hé' };
  const expected = Buffer.from(reference(m), 'utf8');
  const buf = Buffer.alloc(10 + recordLineCapacity(m), 0xee);
  const end = encoder.encode(m, buf, 10);
  assert.equal(end, 10 + expected.length);
  assert.ok(buf.subarray(10, end).equals(expected));
  assert.ok(buf.subarray(0, 10).every((b) => b === 0xee));
  assert.ok(buf.subarray(end).every((b) => b === 0xee));
});

test('other records are their terminal-safe JSON', () => {
  const r: LogRecord = { type: 'http', conn: 2, ts: 1.5, method: 'GET', url: '/\u202eevil', status: 404, ms: 0.25 };
  assert.equal(encoder.line(r), '{"type":"http","conn":2,"ts":1.5,"method":"GET","url":"/\\u202eevil","status":404,"ms":0.25}');
});

test('a payload held as bytes is written as the same base64 a string would give, across piece boundaries', () => {
  const PIECE = 48 * 1024;
  for (const size of [1, 2, 3, PIECE - 1, PIECE, PIECE + 1, 2 * PIECE + 2, 1024 * 1024 + 1]) {
    const bytes = Buffer.from(Array.from({ length: size }, (_, i) => (i * 131 + size) & 0xff));
    const base = { type: 'message', conn: 1, seq: 1, ts: 2.5, from: 'client', kind: 'binary', length: size, wireLength: size, frames: 1, compressed: false, truncated: false } as const;
    const asString: MessageRecord = { ...base, base64: bytes.toString('base64') };
    const asBytes: MessageRecord = { ...base, bytes };
    const line = encoder.line(asBytes);
    assert.equal(line, encoder.line(asString), `${size} bytes`);
    assert.ok(line.length <= recordLineCapacity(asBytes), `${size} bytes: within the capacity`);
    const parsed = parseLogLine(line);
    assert.equal(parsed.kind, 'record');
    assert.equal((parsed as { record: MessageRecord }).record.base64, asString.base64);
  }
});

test('app entries parse back equal, and what a peer sent is written terminal-safe', () => {
  const base = { type: 'message', conn: 2, seq: 9, ts: 10, from: 'client', kind: 'text', length: 1, wireLength: 1, frames: 1, compressed: false, truncated: false, text: 'x' } as const;
  const every = {
    protocol: 'graphql-transport-ws', type: 'complete', name: 'On\x1b[2JPrice "q" \\ \u202e\x7f', id: 'a-1', namespace: '/ns', pair: 3, latencyMs: 3.2, heartbeat: true,
    args: [{ a: 'é\u2028' }, 1.5, null], value: { big: '12345678901234567890' }, operation: 'subscription', count: 0, durationMs: 812.001, partial: true, error: 'why',
  } as const;
  const odd = { protocol: 'json-rpc', type: 'response', id: -7, value: null, latencyMs: NaN };
  const r: MessageRecord = { ...base, app: [every as never, odd as never, { protocol: 'mqtt', type: 'publish', id: 4 }] };
  const line = encoder.line(r);
  assert.ok(!/[\x1b\x7f\u202e\u2028]/.test(line), 'nothing a terminal acts on');
  const parsed = JSON.parse(line) as { app: unknown[] };
  assert.deepEqual(parsed.app, [every, { ...odd, latencyMs: null }, { protocol: 'mqtt', type: 'publish', id: 4 }].map((e) => JSON.parse(JSON.stringify(e))));
  assert.ok(line.length <= recordLineCapacity(r));
});

test('an app entry with a field this version does not know (from a newer log) keeps it', () => {
  const r: MessageRecord = {
    type: 'message', conn: 2, seq: 9, ts: 10, from: 'client', kind: 'text', length: 1, wireLength: 1, frames: 1, compressed: false, truncated: false, text: 'x',
    app: [{ protocol: 'socket.io', type: 'event', future: { x: 1 }, value: 2 } as never],
  };
  assert.deepEqual((JSON.parse(encoder.line(r)) as { app: unknown }).app, [{ protocol: 'socket.io', type: 'event', future: { x: 1 }, value: 2 }]);
});
