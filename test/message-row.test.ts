import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MessageRecord, ViolationRecord } from '../core/log/records.js';
import type { StoredRecord } from '../core/store/session-store.js';
import { clockTime } from '../tui/format.js';
import { messageHeader, messageRowLine, payloadPreview } from '../tui/message-row.js';
import type { MessageRow } from '../tui/message-rows.js';
import { lineText, type Line } from '../tui/styled-text.js';

const T0 = new Date(2024, 0, 15, 14, 2, 3, 123).getTime();
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;
/** time 13, Δ 9, direction 2, kind 11, length 12, flags 4: the preview starts here. */
const PREVIEW_AT = 51;

function record(over: Partial<MessageRecord> = {}): MessageRecord {
  const text = over.text ?? (over.base64 === undefined && over.close === undefined ? 'hello' : undefined);
  const r: MessageRecord = {
    type: 'message', conn: 1, seq: 1, ts: T0, from: 'client', kind: 'text', length: text !== undefined ? Buffer.byteLength(text) : 0, wireLength: 0,
    frames: 1, compressed: false, truncated: false, ...over,
  };
  if (text !== undefined) r.text = text;
  if (over.wireLength === undefined) r.wireLength = r.length;
  return r;
}

function row(r: MessageRecord, violations: ViolationRecord[] = [], seq = 1): MessageRow {
  const stored: StoredRecord = { record: r, connection: { conn: r.conn, url: 'ws://h/', upgraded: true }, frames: [], violations };
  return { seq, record: r, frames: [], violations, stored, payloadDropped: false };
}

const VIOLATION: ViolationRecord = { type: 'violation', conn: 1, ts: T0, from: 'client', rule: 'rsv-bit-without-extension', rfc: '6455 5.2', detail: 'RSV2 set' };

function text(line: Line): string {
  return lineText(line);
}

test('header: the column names, fitted to the width', () => {
  const h = messageHeader(80, 'absolute');
  assert.equal(h.length, 1);
  assert.equal(h[0]!.style, 'heading');
  assert.equal(text(h), `${'time'.padEnd(13)}${'Δ'.padEnd(9)}  ${'kind'.padEnd(11)}${'length'.padEnd(12)}    payload`.padEnd(80));
  assert.match(text(messageHeader(80, 'relative')), /^since open {3}Δ/);
  assert.equal(text(messageHeader(20, 'absolute')).length, 20);
});

test('a client text row: time, no Δ for the first row, →, kind, length, preview', () => {
  const line = messageRowLine(row(record({ text: 'hello server' })), undefined, null, 'absolute', 100);
  const s = text(line);
  assert.equal(s.length, 100);
  assert.equal(s.slice(0, 13), '14:02:03.123 ');
  assert.equal(s.slice(13, 22), ' '.repeat(9));
  assert.equal(s.slice(22, 24), '→ ');
  assert.equal(s.slice(24, 35), 'text       ');
  assert.equal(s.slice(35, 47), '12          ');
  assert.equal(s.slice(47, 51), '    ');
  assert.equal(s.slice(PREVIEW_AT).trimEnd(), 'hello server');
  assert.deepEqual(line.map((seg) => seg.style), ['dim', 'dim', 'client', 'client', 'plain', 'dim', 'plain']);
});

test('server rows: ←, the server style, Δ from the previous row, relative time', () => {
  const prev = row(record({ ts: T0 }));
  const r = row(record({ from: 'server', ts: T0 + 1250 }), [], 2);
  const line = messageRowLine(r, prev, T0 - 42, 'absolute', 80);
  assert.equal(text(line).slice(0, 24), `${clockTime(T0 + 1250)} +1.25s   ← `);
  assert.equal(line[2]!.style, 'server');
  const relative = messageRowLine(r, prev, T0 - 42, 'relative', 80);
  assert.equal(text(relative).slice(0, 13), '+1.29s       ');
  // No connection start known: relative time is +0.
  assert.equal(text(messageRowLine(r, prev, null, 'relative', 80)).slice(0, 13), '+0.00ms      ');
});

test('compressed, violation, truncated and incomplete flags', () => {
  const z = text(messageRowLine(row(record({ text: 'x'.repeat(4200), wireLength: 26, compressed: true })), undefined, null, 'absolute', 80));
  assert.equal(z.slice(35, 51), '4200 (26)   z   ');
  const bad = messageRowLine(row(record(), [VIOLATION]), undefined, null, 'absolute', 80);
  assert.equal(text(bad).slice(47, 51), ' !  ');
  assert.equal(bad[5]!.style, 'bad');
  assert.equal(text(messageRowLine(row(record({ truncated: true })), undefined, null, 'absolute', 80)).slice(47, 51), '  … ');
  assert.equal(text(messageRowLine(row(record({ incomplete: true })), undefined, null, 'absolute', 80)).slice(47, 51), '  … ');
  const all = text(messageRowLine(row(record({ compressed: true, truncated: true }), [VIOLATION]), undefined, null, 'absolute', 80));
  assert.equal(all.slice(47, 51), 'z!… ');
});

test('close rows: kind with the code, the code name and reason as preview', () => {
  const close = record({ kind: 'close', close: { code: 1000, reason: 'bye' }, length: 5 });
  const s = text(messageRowLine(row(close), undefined, null, 'absolute', 90));
  assert.equal(s.slice(24, 35), 'close 1000 ');
  assert.equal(s.slice(PREVIEW_AT).trimEnd(), 'Normal Closure "bye"');
  assert.equal(payloadPreview(record({ kind: 'close', close: { code: 4001, reason: '' } })), 'Private use');
  assert.equal(payloadPreview(record({ kind: 'close', close: { code: null, reason: '' } })), '(no status code)');
  const noCode = text(messageRowLine(row(record({ kind: 'close', close: { code: null, reason: '' } })), undefined, null, 'absolute', 90));
  assert.equal(noCode.slice(24, 35), 'close      ');
});

test('binary, ping and pong rows preview up to 48 bytes in hex', () => {
  const bytes = Buffer.from(Array.from({ length: 64 }, (_, i) => i));
  const p = payloadPreview(record({ kind: 'binary', base64: bytes.toString('base64'), length: 64 }));
  assert.equal(p, Array.from(bytes.subarray(0, 48), (b) => b.toString(16).padStart(2, '0')).join(' '));
  assert.equal(payloadPreview(record({ kind: 'ping', base64: Buffer.from('hb').toString('base64'), length: 2 })), '68 62');
  assert.equal(payloadPreview(record({ kind: 'pong', base64: '', length: 0 })), '');
});

test('long text previews are cut to the width', () => {
  const s = text(messageRowLine(row(record({ text: 'wspeek '.repeat(600) })), undefined, null, 'absolute', 100));
  assert.equal(s.length, 100);
  assert.ok(s.endsWith('…'));
  assert.equal(payloadPreview(record({ text: 'a'.repeat(1000) })).length, 400);
});

test('narrow widths: the preview gets nothing, nothing breaks', () => {
  const line = messageRowLine(row(record()), undefined, null, 'absolute', 30);
  assert.equal(line[6]!.text, '');
});

test('terminal safety: escape sequences, C1, bidi, zero-width and markup in payloads and reasons come out inert', () => {
  const EVIL = '\x1b[2J\x1b]0;title\x07\x07\x9b31m\x7f\u202egnp.exe\u200b\u2066{red-fg}x{/red-fg}\r\n';
  const rows = [
    record({ text: EVIL }),
    record({ text: `{red-fg}x{/red-fg}${EVIL}` }),
    record({ kind: 'close', close: { code: 1000, reason: EVIL } }),
    record({ kind: 'binary', base64: Buffer.from(EVIL).toString('base64') }),
  ];
  for (const r of rows) {
    const line = messageRowLine(row(r), undefined, null, 'absolute', 200);
    for (const seg of line) assert.doesNotMatch(seg.text, UNSAFE, JSON.stringify(seg.text));
    assert.doesNotMatch(payloadPreview(r), UNSAFE);
  }
  assert.equal(payloadPreview(rows[0]!), '\\x1b[2J\\x1b]0;title\\x07\\x07\\x9b31m\\x7f\\u{202e}gnp.exe\\u{200b}\\u{2066}{red-fg}x{/red-fg}\\r\\n');
  assert.ok(text(messageRowLine(row(rows[1]!), undefined, null, 'absolute', 200)).includes('{red-fg}x{/red-fg}'), 'markup shows literally');
  assert.equal(payloadPreview(rows[2]!), 'Normal Closure "\\x1b[2J\\x1b]0;title\\x07\\x07\\x9b31m\\x7f\\u{202e}gnp.exe\\u{200b}\\u{2066}{red-fg}x{/red-fg}\\r\\n"');
});

test('an error of wspeek\'s own: a row with no direction, kind error, where, and what happened made visible', () => {
  const e = { type: 'error', conn: 1, ts: T0, where: 'decoder', detail: 'decoding stopped\x1b[2J' } as const;
  const r: MessageRow = { seq: 2, record: e, frames: [], violations: [], stored: { record: e, connection: null, frames: [], violations: [] }, payloadDropped: false };
  const line = messageRowLine(r, row(record({ ts: T0 - 2 })), null, 'absolute', 100);
  const t = text(line);
  assert.ok(t.startsWith(`${clockTime(T0)} +2.00ms  ! error      decoder`), t);
  assert.ok(t.slice(PREVIEW_AT).startsWith('decoding stopped\\x1b[2J'), t);
  assert.doesNotMatch(t, UNSAFE);
  assert.ok(line.some((s) => s.style === 'bad'), 'drawn as a problem');
});
