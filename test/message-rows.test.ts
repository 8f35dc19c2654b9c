import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ANSWERED, type AppEntry, type KeptAppEntry } from '../core/app/app-entry.js';
import type { FrameRecord, MessageRecord, ViolationRecord } from '../core/log/records.js';
import type { ConnectionSummary, StoredRecord } from '../core/store/session-store.js';
import { LARGE_PAYLOAD, MessageRows, PREFIX_BYTES } from '../tui/message-rows.js';
import { PayloadStore } from '../tui/payload-store.js';
import { messageOf } from './support/message-of.js';

const CONNECTION: ConnectionSummary = { conn: 4, url: 'ws://127.0.0.1:3000/chat', upgraded: true };

function frameOf(m: MessageRecord, over: Partial<FrameRecord> = {}): FrameRecord {
  return {
    type: 'frame', conn: m.conn, ts: m.ts - 0.013, from: m.from, fin: true, rsv: [m.compressed === true, false, false],
    opcode: { text: 1, binary: 2, close: 8, ping: 9, pong: 10 }[m.kind], masked: m.from === 'client', mask: m.from === 'client' ? '0a1b2c3d' : null, length: m.wireLength ?? m.length, ...over,
  };
}

function stored(record: MessageRecord, frames = [frameOf(record)], violations: ViolationRecord[] = []): StoredRecord {
  return { record, connection: CONNECTION, frames, violations };
}

/** Payload bytes the rows keep, unless a test says otherwise. */
const BUDGET = 1024 * 1024;

const BASE = { type: 'message', conn: 4, seq: 1, ts: 1795295828139.616, length: 5, wireLength: 5, frames: 1, compressed: false, truncated: false } as const;

const PLAIN: MessageRecord[] = [
  { ...BASE, from: 'client', kind: 'text', text: 'hello' },
  { ...BASE, from: 'server', kind: 'binary', base64: 'AP+A', compressed: true, truncated: true, length: 70_000, wireLength: 1234 },
  { ...BASE, from: 'server', kind: 'binary', bytes: Buffer.alloc(60_000, 7), length: 60_000, wireLength: 60_000 },
  { ...BASE, from: 'client', kind: 'ping', base64: '' },
  { ...BASE, from: 'server', kind: 'pong', base64: 'aGI=', rtt: 1.001 },
  { ...BASE, from: 'client', kind: 'close', close: { code: 1000, reason: 'bye ✓' } },
  { ...BASE, from: 'server', kind: 'close', close: { code: null, reason: '' } },
  { ...BASE, from: 'client', kind: 'text', text: 'cut', incomplete: true },
];

test('a single-frame message without violations comes back equal to what was added: record, frame, stored record', () => {
  const rows = new MessageRows(100, BUDGET);
  PLAIN.forEach((r, i) => rows.set(i + 1, stored(r)));
  PLAIN.forEach((r, i) => {
    const row = rows.get(i + 1)!;
    assert.deepEqual(row.record, r, r.kind);
    assert.deepEqual(row.frames, [frameOf(r)], r.kind);
    assert.deepEqual(row.violations, []);
    assert.deepEqual(row.stored, stored(r), r.kind);
    assert.equal(row.stored.connection, CONNECTION, 'the store\'s connection summary itself, not a copy');
    assert.equal(row.payloadDropped, false);
    assert.equal(row.seq, i + 1);
  });
});

test('RSV bits, FIN clear and an unmasked client frame come back as they were', () => {
  const rows = new MessageRows(4, BUDGET);
  const r = PLAIN[0]!;
  const frame = frameOf(r, { rsv: [false, true, true], fin: false, masked: false, mask: null, opcode: 3 });
  rows.set(1, stored(r, [frame]));
  assert.deepEqual(rows.get(1)!.frames, [frame]);
});

test('rows of other shapes keep the objects they came in (the payload aside): several frames, violations, fields the format does not define', () => {
  const rows = new MessageRows(10, BUDGET);
  const r = PLAIN[0]!;
  const violation: ViolationRecord = { type: 'violation', conn: 4, ts: 1, from: 'client', rule: 'rsv-bit-without-extension', rfc: 'RFC 6455 §5.2', detail: 'RSV2 set' };
  const shapes: StoredRecord[] = [
    stored({ ...r, frames: 2 }, [frameOf(r, { fin: false }), frameOf(r, { opcode: 0 })]),
    stored(r, [frameOf(r)], [violation]),
    stored({ ...r, extra: 1 } as MessageRecord),
    stored(r, [{ ...frameOf(r), note: 'x' } as FrameRecord]),
    stored(r, [frameOf(r, { conn: 9 })]),
    stored(r, []),
    // Masking keys the columns can't give back as they came: upper case, too short, not hex.
    stored(r, [frameOf(r, { mask: '0A1B2C3D' })]),
    stored(r, [frameOf(r, { mask: '0a1b2c3' })]),
    stored(r, [frameOf(r, { mask: '0a1b2c3g' })]),
  ];
  shapes.forEach((s, i) => rows.set(i + 1, s));
  shapes.forEach((s, i) => {
    const row = rows.get(i + 1)!;
    assert.deepEqual(row.record, s.record, `shape ${i}`);
    assert.equal(row.frames, s.frames, `shape ${i}`);
    assert.equal(row.violations, s.violations, `shape ${i}`);
  });
});

test('a slot taken by a newer row no longer answers for the old one; clear empties it', () => {
  const rows = new MessageRows(2, BUDGET);
  rows.set(1, stored(PLAIN[0]!));
  rows.set(3, stored(PLAIN[1]!)); // same slot as 1
  assert.equal(rows.get(1), undefined);
  assert.deepEqual(rows.get(3)!.record, PLAIN[1]);
  rows.clear(1); // not the slot's row any more: nothing happens
  assert.notEqual(rows.get(3), undefined);
  rows.clear(3);
  assert.equal(rows.get(3), undefined);
});

test('past the payload budget the oldest payloads go, text, base64 and bytes alike; the rest of each row stays', () => {
  const rows = new MessageRows(20, 100);
  const text = (n: number, size = 30) => ({ ...BASE, from: 'client' as const, kind: 'text' as const, text: String(n).repeat(size) });
  const all: MessageRecord[] = [
    text(1), // 30 bytes
    { ...BASE, from: 'server', kind: 'binary', base64: 'QUJD'.repeat(6) }, // 24
    { ...BASE, from: 'server', kind: 'binary', bytes: Buffer.alloc(30, 9) }, // 30: 84 in all
    { ...BASE, from: 'client', kind: 'close', close: { code: 1000, reason: 'bye' } }, // a close reason is not budgeted
    text(5), // 30 more: 114 > 100, so row 1's payload goes
    { ...text(6, 20), extra: 1 } as MessageRecord, // kept whole, its payload budgeted too: 104, so row 2's goes
  ];
  all.forEach((r, i) => rows.set(i + 1, stored(r)));
  const dropped = all.map((_, i) => rows.get(i + 1)!.payloadDropped);
  assert.deepEqual(dropped, [true, true, false, false, false, false]);
  for (const seq of [1, 2]) {
    const { text: _t, base64: _b, ...rest } = all[seq - 1]!;
    assert.deepEqual(rows.get(seq)!.record, rest, 'lengths and every other field stay');
  }
  assert.deepEqual(rows.get(3)!.record, all[2]);
  assert.deepEqual(rows.get(6)!.record, all[5]);
  rows.set(7, stored(text(7))); // 110: row 3's goes
  assert.deepEqual(all.map((_, i) => rows.get(i + 1)!.payloadDropped), [true, true, true, false, false, false]);
});

test('a payload larger than the whole budget is kept until the next row arrives', () => {
  const rows = new MessageRows(4, 10);
  const big: MessageRecord = { ...BASE, from: 'client', kind: 'text', text: 'y'.repeat(50) };
  rows.set(1, stored(big));
  assert.deepEqual(rows.get(1)!.record, big);
  assert.equal(rows.get(1)!.payloadDropped, false);
  rows.set(2, stored({ ...big, text: 'z' }));
  assert.equal(rows.get(1)!.payloadDropped, true);
  assert.equal(messageOf(rows.get(1)).text, undefined);
  assert.equal(messageOf(rows.get(2)).text, 'z');
});

test('a peer\'s payload over LARGE_PAYLOAD is whole while its row is the newest, then its first PREFIX_BYTES, marked truncated, with the bytes kept', () => {
  const rows = new MessageRows(10, BUDGET);
  const bytes = Buffer.alloc(LARGE_PAYLOAD + 1);
  for (let i = 0; i < bytes.length; i++) bytes[i] = i % 251;
  const large: MessageRecord[] = [
    { ...BASE, from: 'server', kind: 'binary', bytes, length: bytes.length, wireLength: bytes.length },
    { ...BASE, from: 'client', kind: 'text', text: 'é'.repeat(LARGE_PAYLOAD + 1), length: 2 * (LARGE_PAYLOAD + 1), wireLength: 2 * (LARGE_PAYLOAD + 1) },
    { ...BASE, from: 'server', kind: 'binary', base64: bytes.toString('base64'), length: bytes.length, wireLength: bytes.length },
  ];
  large.forEach((r, i) => {
    const seq = 2 * i + 1;
    rows.set(seq, stored(r));
    const newest = rows.get(seq)!;
    assert.deepEqual(newest.record, r, 'the newest row whole, as the view filters it');
    assert.equal(newest.payloadKept, undefined);
    rows.set(seq + 1, stored({ ...BASE, from: 'client', kind: 'text', text: 'next' }));
    const older = rows.get(seq)!;
    assert.equal(older.payloadDropped, false);
    assert.equal(older.record.type === 'message' && older.record.truncated, true, 'a prefix is marked as one');
    assert.equal(older.record.type === 'message' && older.record.length, r.length, 'the length is the whole payload\'s');
    const m = messageOf(older);
    if (r.bytes) {
      assert.ok(m.bytes!.equals(bytes.subarray(0, PREFIX_BYTES)));
      assert.equal(older.payloadKept, PREFIX_BYTES);
    } else if (r.text) {
      assert.equal(m.text, 'é'.repeat(PREFIX_BYTES));
      assert.equal(older.payloadKept, 2 * PREFIX_BYTES, 'UTF-8 bytes kept');
    } else {
      const kept = Buffer.from(m.base64!, 'base64');
      assert.ok(kept.equals(bytes.subarray(0, kept.length)));
      assert.ok(kept.length <= PREFIX_BYTES && kept.length > PREFIX_BYTES - 3);
      assert.equal(older.payloadKept, kept.length);
    }
  });
});

test('payloads of LARGE_PAYLOAD bytes and less, and wspeek\'s own messages, stay whole', () => {
  const rows = new MessageRows(10, BUDGET);
  const edge: MessageRecord = { ...BASE, from: 'server', kind: 'binary', bytes: Buffer.alloc(LARGE_PAYLOAD, 3), length: LARGE_PAYLOAD, wireLength: LARGE_PAYLOAD };
  rows.set(1, stored(edge));
  rows.set(2, stored({ ...BASE, from: 'client', kind: 'text', text: 'next' }));
  assert.deepEqual(rows.get(1)!.record, edge);
  assert.equal(rows.get(1)!.payloadKept, undefined);
});

test('a text prefix does not split a surrogate pair', () => {
  const rows = new MessageRows(10, BUDGET);
  const text = 'a' + '😀'.repeat(LARGE_PAYLOAD);
  rows.set(1, stored({ ...BASE, from: 'client', kind: 'text', text }));
  rows.set(2, stored({ ...BASE, from: 'client', kind: 'text', text: 'next' }));
  const kept = messageOf(rows.get(1)).text!;
  assert.equal(kept, text.slice(0, PREFIX_BYTES - 1), 'one character less than PREFIX_BYTES, not half an emoji');
  assert.equal(rows.get(1)!.payloadKept, Buffer.byteLength(kept));
});

test('large payloads\' prefixes have a budget of their own: they drop each other, never the small rows\' payloads', () => {
  const budget = 64 * PREFIX_BYTES; // prefixes get a sixteenth: four of them
  const rows = new MessageRows(1000, budget);
  rows.set(1, stored({ ...BASE, from: 'client', kind: 'text', text: 'small' }));
  const large: MessageRecord = { ...BASE, from: 'server', kind: 'binary', bytes: Buffer.alloc(LARGE_PAYLOAD + 1, 5), length: LARGE_PAYLOAD + 1, wireLength: LARGE_PAYLOAD + 1 };
  for (let seq = 2; seq <= 101; seq++) rows.set(seq, stored(large)); // 100 × 64 KiB, 25 times the whole budget
  assert.equal(rows.get(1)!.payloadDropped, false, 'the small row keeps its payload');
  assert.equal(messageOf(rows.get(1)).text, 'small');
  const kept = Array.from({ length: 100 }, (_, i) => !rows.get(i + 2)!.payloadDropped);
  assert.deepEqual(kept.slice(0, 90), Array(90).fill(false), 'older prefixes went');
  assert.deepEqual(kept.slice(-3), [true, true, true], 'the newest rows keep theirs');
});

test('application entries come back equal; a request\'s are the objects themselves, so a reply marking it answered later shows', () => {
  const rows = new MessageRows(10, BUDGET);
  const event: AppEntry[] = [{ protocol: 'socket.io', type: 'event', name: 'm', namespace: '/', args: ['é', { n: 1, list: [true, null] }] }];
  const request: AppEntry[] = [{ protocol: 'socket.io', type: 'event', name: 'get', namespace: '/', id: 7, args: [] }];
  const withEvent: MessageRecord = { ...BASE, from: 'client', kind: 'text', text: '42["m"]', app: event };
  const withRequest: MessageRecord = { ...BASE, from: 'client', kind: 'text', text: '427["get"]', app: request };
  rows.set(1, stored(withEvent));
  rows.set(2, stored(withRequest));
  assert.deepEqual(rows.get(1)!.record, withEvent);
  assert.deepEqual(rows.appOf(1), event);
  assert.deepEqual(rows.get(2)!.record, withRequest);
  (request[0] as KeptAppEntry)[ANSWERED] = true;
  assert.equal((messageOf(rows.get(2)).app![0] as KeptAppEntry)[ANSWERED], true);
  assert.equal(rows.appOf(2), request);
});

test('application entries go when their budget is spent, oldest first; the row stays, without them', () => {
  const rows = new MessageRows(100, 64);
  const app = (n: number): AppEntry[] => [{ protocol: 'socket.io', type: 'event', name: `e${n}`, args: [] }]; // 63 bytes of JSON each: two don't fit in 64
  for (let seq = 1; seq <= 3; seq++) rows.set(seq, stored({ ...BASE, from: 'client', kind: 'text', text: 'x', app: app(seq) }));
  assert.equal(rows.appOf(1), undefined);
  assert.equal(messageOf(rows.get(1)).app, undefined);
  assert.equal(messageOf(rows.get(1)).text, 'x');
  assert.deepEqual(rows.appOf(3), app(3));
});

test('bytes come back from the list\'s own copy, not the buffer that was added (which the proxy may reuse)', () => {
  const rows = new MessageRows(4, 100);
  const record: MessageRecord = { ...BASE, from: 'server', kind: 'binary', bytes: Buffer.alloc(60, 1) };
  rows.set(1, stored(record));
  record.bytes!.fill(7);
  assert.ok(messageOf(rows.get(1)).bytes!.equals(Buffer.alloc(60, 1)));
  rows.set(2, stored({ ...record, bytes: Buffer.alloc(60, 2) })); // row 1's payload goes
  assert.equal(rows.get(1)!.payloadDropped, true);
});

test('a text decoded for drawing is decoded once while it stays on screen, and the row stays equal', (t) => {
  const reads = t.mock.method(PayloadStore.prototype, 'readString');
  const rows = new MessageRows(300, BUDGET);
  const r: MessageRecord = { ...PLAIN[0]!, text: 'ö'.repeat(1000) };
  rows.set(1, stored(r));
  for (let frame = 0; frame < 5; frame++) assert.equal(messageOf(rows.get(1)).text, r.text);
  assert.equal(reads.mock.callCount(), 1, 'decoded once for five frames');
  for (let seq = 2; seq <= 200; seq++) {
    rows.set(seq, stored({ ...r, text: String(seq) }));
    rows.get(seq);
  }
  assert.deepEqual(rows.get(1)!.record, r, 'decoded again after others took its place');
  assert.equal(reads.mock.callCount(), 201);
});

test('any record the log format allows comes back equal, kept in columns or whole', () => {
  const side = fc.constantFrom('client' as const, 'server' as const);
  const num = fc.oneof(fc.nat(), fc.double({ min: 0, max: 2 ** 53, noNaN: true }));
  const record = fc.record({
    conn: fc.nat(), seq: fc.integer({ min: 1, max: 2 ** 31 }), ts: num, from: side, length: num, wireLength: num, frames: fc.nat(), compressed: fc.boolean(), truncated: fc.boolean(),
    payload: fc.oneof(
      fc.string({ unit: 'binary' }).map((text) => ({ kind: 'text' as const, text })),
      fc.tuple(fc.constantFrom('binary' as const, 'ping' as const, 'pong' as const), fc.uint8Array({ maxLength: 30 })).map(([kind, b]) => ({ kind, base64: Buffer.from(b).toString('base64') })),
      fc.record({ code: fc.option(fc.oneof(fc.integer({ min: 0, max: 65535 }), fc.constant(2 ** 40))), reason: fc.string() }).map((close) => ({ kind: 'close' as const, close })),
    ),
    incomplete: fc.boolean(), rtt: fc.option(num),
  }).map(({ payload, incomplete, rtt, ...m }) => {
    const r: MessageRecord = { type: 'message', ...m, kind: payload.kind };
    if ('text' in payload) r.text = payload.text;
    else if ('base64' in payload) r.base64 = payload.base64;
    else r.close = { code: payload.close.code, reason: payload.close.reason };
    if (incomplete) r.incomplete = true;
    if (rtt !== null) r.rtt = rtt;
    return r;
  });
  const frame = fc.record({ ts: num, fin: fc.boolean(), rsv: fc.tuple(fc.boolean(), fc.boolean(), fc.boolean()), opcode: fc.integer({ min: 0, max: 15 }), masked: fc.boolean(), mask: fc.option(fc.integer({ min: 0, max: 0xffffffff }).map((n) => n.toString(16).padStart(8, '0'))), length: num });
  fc.assert(fc.property(record, frame, fc.nat({ max: 50 }), (r, f, seq) => {
    const rows = new MessageRows(7, BUDGET);
    const fr: FrameRecord = { type: 'frame', conn: r.conn, from: r.from, ...f };
    rows.set(seq + 1, stored(r, [fr]));
    const row = rows.get(seq + 1)!;
    assert.deepEqual(row.record, r);
    assert.deepEqual(row.frames, [fr]);
  }), { numRuns: 500 });
});
