// A message record's fields, walked through every module that writes or reads one: the builder, the
// line encoder, the line parser and the UI's columns. A field added to MessageRecord must be added to
// MESSAGE_REQUIRED_FIELDS or MESSAGE_OPTIONAL_FIELDS (the compiler checks that), and then these tests
// fail until each module carries it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLogLine } from '../core/log/parse-line.js';
import { RecordLineEncoder } from '../core/log/record-line.js';
import { MESSAGE_OPTIONAL_FIELDS, MESSAGE_REQUIRED_FIELDS, messageRecord, type FrameRecord, type MessageRecord } from '../core/log/records.js';
import type { MessageEvent } from '../core/websocket/events.js';
import { MessageRows } from '../tui/message-rows.js';
import { messageOf } from './support/message-of.js';

const ALL_FIELDS: readonly string[] = [...MESSAGE_REQUIRED_FIELDS, ...MESSAGE_OPTIONAL_FIELDS];
const encoder = new RecordLineEncoder();

/** Records that between them have every field, each with a value no other default would produce. */
const BASE = {
  type: 'message', conn: 7, seq: 42, ts: 1795295828139.616, from: 'server', length: 70_000, wireLength: 1234, frames: 1, compressed: true, truncated: true,
} as const;
const RECORDS: MessageRecord[] = [
  { ...BASE, kind: 'text', text: 'héllo', incomplete: true },
  { ...BASE, kind: 'binary', base64: 'AP+A', app: [{ protocol: 'mqtt', type: 'publish', name: 'a/b', id: 3 }] },
  { ...BASE, kind: 'binary', bytes: Buffer.alloc(70_000, 9) },
  { ...BASE, kind: 'pong', base64: 'aGI=', rtt: 1.001 },
  { ...BASE, kind: 'close', close: { code: 4001, reason: 'kicked' } },
  // Read from HAR: the wire length, frame count and compression are unknown.
  { ...BASE, kind: 'text', text: 'from a HAR file', wireLength: null, frames: null, compressed: null, truncated: false },
];
/** The fields that are null when unknown (a message read from HAR); every other field is never null. */
const NULLABLE_FIELDS = ['wireLength', 'frames', 'compressed'];

test('the records under test have every field between them', () => {
  const seen = new Set(RECORDS.flatMap((r) => Object.keys(r)));
  assert.deepEqual([...seen].sort(), [...ALL_FIELDS].sort());
});

test('the builder gives every required field, in the listed order, and only listed fields', () => {
  const e: MessageEvent = {
    type: 'message', seq: 3, ts: 2, startTs: 1, from: 'client', kind: 'pong', length: 2, wireLength: 2, frames: 1, compressed: false,
    payload: Buffer.from('hb'), truncated: false, incomplete: true, text: null, rtt: 0.5,
  };
  const r = messageRecord(1, e);
  const keys = Object.keys(r);
  assert.deepEqual(keys.slice(0, MESSAGE_REQUIRED_FIELDS.length), [...MESSAGE_REQUIRED_FIELDS]);
  for (const k of keys) assert.ok(ALL_FIELDS.includes(k), `${k} is a listed field`);
});

test('the builder keeps null wire length, frames and compression, as a HAR message gives them', () => {
  const r = messageRecord(1, {
    type: 'message', seq: 1, ts: 2, startTs: 2, from: 'server', kind: 'text', length: 2, wireLength: null, frames: null, compressed: null,
    payload: Buffer.from('hi'), truncated: false, incomplete: false, text: 'hi',
  });
  assert.deepEqual([r.wireLength, r.frames, r.compressed], [null, null, null]);
});

test('the line encoder writes every field a record has, and the parser reads each back as it was', () => {
  for (const r of RECORDS) {
    const line = encoder.line(r);
    const json = JSON.parse(line) as Record<string, unknown>;
    // In memory only, `bytes` is written as base64.
    const expected: Record<string, unknown> = r.bytes ? { ...r, bytes: undefined, base64: r.bytes.toString('base64') } : { ...r };
    delete expected.bytes;
    assert.deepEqual(json, expected, `${r.kind}: the line holds every field`);
    const parsed = parseLogLine(line);
    assert.equal(parsed.kind, 'record');
    assert.deepEqual(parsed.kind === 'record' && parsed.record, expected);
  }
});

test('the parser checks every field it reads back: a value of the wrong type is refused', () => {
  const line = (r: object) => JSON.stringify(r);
  for (const field of ALL_FIELDS) {
    if (field === 'type' || field === 'bytes') continue; // the type picks the record kind; `bytes` is never read from a file
    const r = RECORDS.find((x) => field in x)!;
    const wrong = { ...r, bytes: undefined, [field]: { wrong: true } };
    const parsed = parseLogLine(line(wrong));
    assert.equal(parsed.kind, 'invalid', `a message whose ${field} is an object is refused`);
  }
});

test('the parser reads null back for wireLength, frames and compressed, and refuses it for every other field', () => {
  const har = RECORDS.find((r) => r.wireLength === null)!;
  for (const field of ALL_FIELDS) {
    if (field === 'type' || field === 'bytes') continue;
    const r = RECORDS.find((x) => field in x)!;
    const parsed = parseLogLine(JSON.stringify({ ...r, bytes: undefined, [field]: null }));
    if (NULLABLE_FIELDS.includes(field)) {
      assert.equal(parsed.kind, 'record', `a message whose ${field} is null is read`);
      assert.equal(parsed.kind === 'record' && (parsed.record as unknown as Record<string, unknown>)[field], null, `${field} is null`);
    } else {
      assert.equal(parsed.kind, 'invalid', `a message whose ${field} is null is refused`);
    }
  }
  // The encoder's line for a record with all three null is read back.
  const parsed = parseLogLine(encoder.line(har));
  assert.deepEqual(parsed.kind === 'record' && parsed.record, har);
});

test('the UI\'s columns carry every field: a row comes back with each field as it was added', () => {
  const rows = new MessageRows(16, 1024 * 1024);
  let seq = 0;
  for (const r of RECORDS) {
    const frame: FrameRecord = { type: 'frame', conn: r.conn, ts: r.ts - 1, from: r.from, fin: true, rsv: [true, false, false], opcode: 1, masked: false, mask: null, length: r.wireLength ?? 5 };
    rows.set(++seq, { record: r, connection: null, frames: [frame], violations: [] });
    const back = messageOf(rows.get(seq));
    assert.deepEqual({ ...back, bytes: back.bytes && Buffer.from(back.bytes) }, { ...r, bytes: r.bytes && Buffer.from(r.bytes) }, `${r.kind} row`);
    // And a change to any numeric field is kept, so no column is shared or dropped.
    for (const field of ['conn', 'seq', 'ts', 'length', 'wireLength', 'frames'] as const) {
      const changed = { ...r, [field]: (r[field] ?? 0) + 1 };
      rows.set(++seq, { record: changed, connection: null, frames: [{ ...frame, conn: changed.conn }], violations: [] });
      assert.equal(messageOf(rows.get(seq))[field], (r[field] ?? 0) + 1, `${field} is kept`);
    }
    // Each of the three that may be null comes back null on its own, the others as they were.
    for (const field of NULLABLE_FIELDS) {
      const changed = { ...r, [field]: null };
      rows.set(++seq, { record: changed, connection: null, frames: [frame], violations: [] });
      const back = messageOf(rows.get(seq));
      assert.deepEqual({ ...back, bytes: back.bytes && Buffer.from(back.bytes) }, { ...changed, bytes: r.bytes && Buffer.from(r.bytes) }, `${r.kind} row with ${field} null`);
    }
  }
});

test('the UI\'s rows keep a HAR message, which has no frame, as it was added', () => {
  const rows = new MessageRows(4, 1024 * 1024);
  const har = RECORDS.find((r) => r.wireLength === null)!;
  rows.set(1, { record: har, connection: null, frames: [], violations: [] });
  const back = rows.get(1)!;
  assert.deepEqual(messageOf(back), har);
  assert.deepEqual(back.frames, []);
});
