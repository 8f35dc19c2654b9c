import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ActionRecord, ErrorRecord, MessageRecord } from '../core/log/records.js';
import type { MessageRow } from '../tui/message-rows.js';
import { localStamp } from '../tui/file-names.js';
import { OSC52_MAX_BYTES } from '../tui/osc52.js';
import { clipboardCopy, payloadFile, payloadOf, type Payload } from '../tui/payload-export.js';

const TS = new Date(2024, 0, 15, 9, 30, 0).getTime();
const STAMP = localStamp(TS);

function message(fields: Partial<MessageRecord>): MessageRecord {
  return { type: 'message', conn: 2, seq: 7, ts: TS, from: 'server', kind: 'text', length: 0, wireLength: 0, frames: 1, compressed: false, truncated: false, ...fields };
}

function row(record: MessageRecord | ErrorRecord | ActionRecord, payloadDropped = false): MessageRow {
  return { seq: 1, record, frames: [], violations: [], stored: { record, connection: null, frames: [], violations: [] }, payloadDropped };
}

function payload(fields: Partial<MessageRecord>): Payload {
  const p = payloadOf(row(message(fields)));
  assert.ok(typeof p !== 'string', String(p));
  return p;
}

const BINARY = Buffer.from([0x00, 0x1b, 0x5b, 0x32, 0x4a, 0x07, 0xff, 0x0a]);

test('payloadOf: the kept bytes of text, base64, bytes and close payloads; a copy, not a view', () => {
  assert.deepEqual(payload({ text: 'héllo' }).bytes, Buffer.from('héllo'));
  assert.deepEqual(payload({ kind: 'binary', base64: BINARY.toString('base64') }).bytes, BINARY);
  const live = Buffer.from(BINARY);
  const p = payload({ kind: 'binary', bytes: live });
  live.fill(0);
  assert.deepEqual(p.bytes, BINARY, 'the row reusing its memory does not change what is copied or written');
  assert.deepEqual(payload({ kind: 'close', close: { code: 1000, reason: 'bye' } }).bytes, Buffer.from([0x03, 0xe8, 0x62, 0x79, 0x65]));
});

test('payloadOf: why there is nothing to take', () => {
  assert.equal(payloadOf(undefined), 'no message selected');
  const error: ErrorRecord = { type: 'error', conn: 1, ts: TS, where: 'decoder', detail: 'boom' };
  assert.equal(payloadOf(row(error)), 'an error row has no payload');
  assert.match(String(payloadOf(row(message({ text: 'gone' }), true))), /^the payload was dropped from memory/);
  assert.equal(payloadOf(row(message({ text: '' }))), 'the payload is empty');
  const prefix: MessageRow = { ...row(message({ text: 'start of it', length: 100_000, truncated: true })), payloadKept: 11 };
  assert.match(String(payloadOf(prefix)), /^the UI keeps only the first 11 B of payloads over 65,536 B; the session log \(--save\) has it$/);
  assert.equal(payloadOf(row(message({ kind: 'ping', base64: '' }))), 'the payload is empty');
});

test('clipboardCopy: text as text, everything else as base64, inside OSC 52', () => {
  const text = clipboardCopy(payload({ text: 'hello €' }));
  assert.ok(typeof text !== 'string');
  assert.equal(text.sequence, `\x1b]52;c;${Buffer.from('hello €').toString('base64')}\x07`);
  assert.equal(text.notice, "copied 9 B of text to the clipboard (OSC 52; if it doesn't arrive, w writes a file)");

  const binary = clipboardCopy(payload({ kind: 'binary', base64: BINARY.toString('base64') }));
  assert.ok(typeof binary !== 'string');
  const clipboard = Buffer.from(/^\x1b\]52;c;(.*)\x07$/.exec(binary.sequence)![1]!, 'base64').toString();
  assert.equal(clipboard, BINARY.toString('base64'), 'the clipboard gets the base64 of the bytes');
  assert.equal(binary.notice, "copied 8 B of binary as base64 (12 characters) to the clipboard (OSC 52; if it doesn't arrive, w writes a file)");

  const truncated = clipboardCopy(payload({ text: 'abc', truncated: true }));
  assert.ok(typeof truncated !== 'string');
  assert.match(truncated.notice, /^copied 3 B of text \(truncated: --max-payload\) to the clipboard/);
});

test('clipboardCopy: past the limit, a notice instead (binary counts as its base64)', () => {
  assert.ok(typeof clipboardCopy(payload({ text: 'a'.repeat(OSC52_MAX_BYTES) })) !== 'string');
  assert.equal(clipboardCopy(payload({ text: 'a'.repeat(OSC52_MAX_BYTES + 1) })), 'too large for the clipboard (524,289 B, at most 524,288 B): w writes it to a file');
  const bytes = Buffer.alloc((OSC52_MAX_BYTES / 4) * 3 + 1);
  assert.match(String(clipboardCopy(payload({ kind: 'binary', bytes }))), /^too large for the clipboard \(524,292 B/);
});

test('payloadFile: raw bytes exactly, named by connection, seq and time, .txt .json or .bin', () => {
  let f = payloadFile(payload({ kind: 'binary', base64: BINARY.toString('base64') }), false);
  assert.ok(typeof f !== 'string');
  assert.deepEqual(f, { name: `wspeek-conn2-seq7-${STAMP}.bin`, bytes: BINARY, what: '8 B' });
  const json = '{"type":"tick", "price":12345678901234567890}';
  f = payloadFile(payload({ text: json }), false);
  assert.ok(typeof f !== 'string');
  assert.equal(f.name, `wspeek-conn2-seq7-${STAMP}.json`);
  assert.deepEqual(f.bytes, Buffer.from(json), 'raw: as sent, not indented');
  f = payloadFile(payload({ text: 'héllo\r\n' }), false);
  assert.ok(typeof f !== 'string');
  assert.deepEqual([f.name, f.bytes, f.what], [`wspeek-conn2-seq7-${STAMP}.txt`, Buffer.from('héllo\r\n'), '8 B']);
  f = payloadFile(payload({ kind: 'binary', base64: 'AAE=', truncated: true }), false);
  assert.ok(typeof f !== 'string');
  assert.equal(f.what, '2 B (truncated: --max-payload)');
});

test('payloadFile: indented JSON for text that is JSON; a notice for anything else', () => {
  const f = payloadFile(payload({ text: '{"type":"tick","price":12345678901234567890,"tags":["a","b"]}' }), true);
  assert.ok(typeof f !== 'string');
  assert.equal(f.name, `wspeek-conn2-seq7-${STAMP}-indented.json`);
  const expected = '{\n  "type": "tick",\n  "price": 12345678901234567890,\n  "tags": [\n    "a",\n    "b"\n  ]\n}\n';
  assert.equal(f.bytes.toString('utf8'), expected);
  assert.equal(f.what, `${Buffer.byteLength(expected)} B of indented JSON`);
  assert.equal(payloadFile(payload({ text: 'not json' }), true), 'not a JSON object or array: w writes the payload as it is');
  assert.equal(payloadFile(payload({ kind: 'binary', base64: 'e30=' }), true), 'not a JSON object or array: w writes the payload as it is', 'binary is never JSON, even when its bytes read {}');
});

test('a message wspeek sent itself: copied and written like a peer\'s', () => {
  const text: ActionRecord = { type: 'action', conn: 2, ts: TS, from: 'client', to: 'server', action: 'injected', by: 'user', text: '{"a":1}', length: 7 };
  const p = payloadOf(row(text));
  assert.ok(typeof p !== 'string');
  assert.deepEqual(p.bytes, Buffer.from('{"a":1}'));
  assert.deepEqual(payloadFile(p, false), { name: `wspeek-conn2-injected-${STAMP}.json`, bytes: Buffer.from('{"a":1}'), what: '7 B' });
  const binary = payloadOf(row({ ...text, text: undefined, base64: BINARY.toString('base64'), length: 8 }));
  assert.ok(typeof binary !== 'string');
  assert.deepEqual(binary.bytes, BINARY);
  const copy = clipboardCopy(binary);
  assert.ok(typeof copy !== 'string');
  assert.match(copy.notice, /^copied 8 B of binary as base64/);
});
