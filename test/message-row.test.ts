import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ActionRecord, MessageRecord, ViolationRecord } from '../core/log/records.js';
import type { StoredRecord } from '../core/store/session-store.js';
import { clockTime } from '../tui/format.js';
import { columnWidths } from '../tui/columns.js';
import type { ActedMessage } from '../tui/message-actions.js';
import { actedMark, messageCells, messageColumns, messageHeader, messageRowLine, payloadPreview, type TimeMode } from '../tui/message-row.js';
import type { MessageRow } from '../tui/message-rows.js';
import { connStyle, lineText, type Line } from '../tui/styled-text.js';

const T0 = new Date(2024, 0, 15, 14, 2, 3, 123).getTime();
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;

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

/** Rows laid out as the pane lays them out: the header, then each row (after the one before it). */
function lay(rows: MessageRow[], width: number, mode: TimeMode = 'absolute', showConn = true, connStart: number | null = null): string[] {
  return layLines(rows, width, mode, showConn, connStart).map(lineText);
}

function layLines(rows: MessageRow[], width: number, mode: TimeMode = 'absolute', showConn = true, connStart: number | null = null): Line[] {
  const cells = rows.map((r, i) => messageCells(r, rows[i - 1], connStart, mode, showConn));
  const widths = columnWidths(messageColumns(mode), cells, width);
  return [messageHeader(mode, widths), ...cells.map((c) => messageRowLine(mode, widths, c))];
}

function text(line: Line): string {
  return lineText(line);
}

const MiB5 = 5 * 1024 * 1024;

test('a client text row: time, #conn, →, kind, length, preview; columns as wide as their content', () => {
  const [header, line] = lay([row(record({ text: 'hello server' }))], 100);
  assert.equal(header, 'time         conn   kind length payload     ');
  assert.equal(line, '14:02:03.123 #1   → text   12 B hello server');
  const styles = layLines([row(record({ text: 'hello server' }))], 100)[1]!.filter((s) => s.text.trim()).map((s) => s.style);
  assert.deepEqual(styles, ['dim', 'conn1', 'client', 'client', 'plain', 'plain']);
});

test('server rows: ←, the server style, Δ from the previous row, relative time', () => {
  const rows = [row(record({ ts: T0 })), row(record({ from: 'server', ts: T0 + 1250 }), [], 2)];
  const lines = lay(rows, 80);
  assert.match(lines[0]!, /^time {9}Δ {6}conn {3}kind/);
  assert.equal(lines[2]!.slice(0, 27), `${clockTime(T0 + 1250)} +1.25s #1   ← `);
  assert.equal(layLines(rows, 80)[2]!.find((s) => s.text === '←')!.style, 'server');
  const relative = lay(rows, 80, 'relative', true, T0 - 42);
  assert.match(relative[0]!, /^since open Δ/);
  assert.match(relative[2]!, /^\+1\.29s {5}\+1\.25s/);
  // No connection start known: relative time is +0.
  assert.match(lay(rows, 80, 'relative')[2]!, /^\+0\.00ms {4}\+1\.25s/);
});

test('the #conn column: each connection in its colour; hidden when the list shows one connection', () => {
  const rows = [row(record({ conn: 3 })), row(record({ conn: 12, ts: T0 + 1 }), [], 2)];
  const lines = layLines(rows, 100);
  assert.equal(lines[1]!.find((s) => s.text.trim() === '#3')!.style, connStyle(3));
  assert.equal(lines[2]!.find((s) => s.text.trim() === '#12')!.style, connStyle(12));
  assert.notEqual(connStyle(3), connStyle(4));
  const one = lay(rows, 100, 'absolute', false);
  assert.doesNotMatch(one.join('\n'), /conn|#3|#12/);
  assert.match(one[1]!, /^14:02:03\.123 {9}→ text/, 'the column takes no room');
});

test('lengths in human units; the wire length when compressed; flags only when some row has one', () => {
  const rows = [
    row(record({ kind: 'binary', base64: '', length: MiB5, wireLength: 26, compressed: true })),
    row(record({ text: 'x'.repeat(4200), ts: T0 + 1 }), [], 2),
  ];
  const lines = lay(rows, 100);
  assert.match(lines[0]!, / kind {4}length wire {3}payload/);
  assert.match(lines[1]!, /→ binary 5\.0 MiB 26 B z *$/);
  assert.match(lines[2]!, /→ text {3}4\.1 KiB {8}xxxx/);
  assert.doesNotMatch(lay([row(record())], 100)[0]!, /wire/, 'no compressed row, no wire column');
});

test('a message read from HAR (wire length, frames and compression null): no wire length, no z flag; `?` for an unknown wire length beside a z', () => {
  const har = record({ text: 'hi', wireLength: null, frames: null, compressed: null });
  const cells = messageCells(row(har), undefined, null, 'absolute', true).map((s) => s.text);
  assert.deepEqual(cells.slice(3, 8), ['→', 'text', '2 B', '', ''], 'direction, kind, length, no wire length, no flags');
  assert.doesNotMatch(lay([row(har)], 100).join('\n'), /wire|\?|0 B/);
  assert.match(lay([row(record({ compressed: true, wireLength: null }))], 100)[1]!, /→ text {4}5 B {4}\? z hello/);
});

test('compressed, violation, truncated and incomplete flags, in their places', () => {
  const flagsOf = (r: MessageRow) => {
    const line = layLines([r], 100)[1]!;
    return line.at(-3)!;
  };
  assert.equal(flagsOf(row(record({ compressed: true, wireLength: 3 }))).text, 'z');
  const bad = flagsOf(row(record(), [VIOLATION]));
  assert.equal(bad.text, ' !');
  assert.equal(bad.style, 'bad');
  assert.equal(flagsOf(row(record({ truncated: true }))).text, '  …');
  assert.equal(flagsOf(row(record({ incomplete: true }))).text, '  …');
  assert.equal(flagsOf(row(record({ compressed: true, truncated: true }), [VIOLATION])).text, 'z!…');
});

test('close rows: kind with the code, the code name and reason as preview', () => {
  const close = record({ kind: 'close', close: { code: 1000, reason: 'bye' }, length: 5 });
  assert.match(lay([row(close)], 90)[1]!, /→ close 1000 {4}5 B Normal Closure "bye"$/);
  assert.equal(payloadPreview(record({ kind: 'close', close: { code: 4001, reason: '' } })), 'Private use');
  assert.equal(payloadPreview(record({ kind: 'close', close: { code: null, reason: '' } })), '(no status code)');
  assert.match(lay([row(record({ kind: 'close', close: { code: null, reason: '' } }))], 90)[1]!, /→ close {4}0 B \(no status code\)$/);
});

test('binary, ping and pong rows preview up to 48 bytes in hex', () => {
  const bytes = Buffer.from(Array.from({ length: 64 }, (_, i) => i));
  const p = payloadPreview(record({ kind: 'binary', base64: bytes.toString('base64'), length: 64 }));
  assert.equal(p, Array.from(bytes.subarray(0, 48), (b) => b.toString(16).padStart(2, '0')).join(' '));
  assert.equal(payloadPreview(record({ kind: 'ping', base64: Buffer.from('hb').toString('base64'), length: 2 })), '68 62');
  assert.equal(payloadPreview(record({ kind: 'pong', base64: '', length: 0 })), '');
});

test('long text previews are cut to the width', () => {
  const s = lay([row(record({ text: 'wspeek '.repeat(600) }))], 100)[1]!;
  assert.equal(s.length, 100);
  assert.ok(s.endsWith('…'));
  assert.equal(payloadPreview(record({ text: 'a'.repeat(1000) })).length, 400);
});

/** The rows of the layout tests: long and short kinds, 5 MiB lengths, compression, flags, an error. */
function mixedRows(): MessageRow[] {
  const e = { type: 'error', conn: 104, ts: T0 + 9, where: 'decoder', detail: 'decoding stopped' } as const;
  return [
    row(record({ text: '{"op":"subscribe","id":"1","payload":{"query":"subscription { ticks }"}}', conn: 7 })),
    row(record({ kind: 'binary', base64: Buffer.alloc(48, 0xab).toString('base64'), length: MiB5, wireLength: MiB5 - 1000, compressed: true, from: 'server', ts: T0 + 1250 }), [VIOLATION], 2),
    row(record({ kind: 'close', close: { code: 4001, reason: 'kicked' }, length: 8, ts: T0 + 190_000, conn: 104 }), [], 3),
    { seq: 4, record: e, frames: [], violations: [], stored: { record: e, connection: null, frames: [], violations: [] }, payloadDropped: false },
    row(record({ text: 'y', truncated: true, length: 1023 * 1024 * 1024, ts: T0 + 190_001, conn: 7 }), [], 5),
  ];
}

test('every width from 30 to 250: no line wider than the pane, no two fields run together, fields whole or cut with … by rule', () => {
  const rows = mixedRows();
  for (const mode of ['absolute', 'relative'] as const) {
    const columns = messageColumns(mode);
    const cells = rows.map((r, i) => messageCells(r, rows[i - 1], T0 - 5, mode, true));
    for (let width = 30; width <= 250; width++) {
      const widths = columnWidths(columns, cells, width);
      for (const rowCells of cells) {
        const line = messageRowLine(mode, widths, rowCells);
        const drawn = lineText(line);
        assert.ok(drawn.length <= width, `${width}: ${drawn}`);
        // A blank between any two columns; each shown cell whole, but the preview, which may be cut with … at its end.
        const shown = line.filter((_, k) => k % 2 === 0);
        const gaps = line.filter((_, k) => k % 2 === 1);
        assert.ok(gaps.every((g) => g.text === ' '), `${width}: ${drawn}`);
        const kept = columns.map((c, j) => ({ c, j })).filter(({ j }) => widths[j]! > 0);
        assert.equal(shown.length, kept.length);
        kept.forEach(({ c, j }, k) => {
          const full = rowCells[j]!.text;
          const got = shown[k]!.text.trim();
          if (c.flex && full.length > widths[j]!) assert.equal(got, `${full.slice(0, widths[j]! - 1)}…`.trim(), `${width}: the preview`);
          else assert.equal(got, full.trim(), `${width}: column ${c.label ?? j} is whole`);
        });
      }
      if (width >= 69) { // the narrowest the messages pane gets at 80 columns or more
        const drawn = cells.map((c) => lineText(messageRowLine(mode, widths, c)));
        assert.match(drawn[1]!, / 5\.0 MiB /, `${width}: ${drawn[1]}`);
        assert.match(drawn[2]!, /#104 .*close 4001 /, `${width}: ${drawn[2]}`);
        assert.match(drawn[4]!, /1023\.0 MiB/);
      }
    }
  }
  assert.match(lay(rows, 80)[2]!, /^\d\d:\d\d:\d\d\.\d{3} \+1\.25s {2}#1 {3}← binary {8}5\.0 MiB z! {2}ab ab ab ab ab ab ab ab a…$/, 'at 80: the wire length gave way to the preview');
  assert.match(lay(rows, 100)[2]!, /^\d\d:\d\d:\d\d\.\d{3} \+1\.25s {2}#1 {3}← binary {8}5\.0 MiB 5\.0 MiB z! {2}ab ab/, 'at 100: every column');
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
    const line = layLines([row(r)], 200)[1]!;
    for (const seg of line) assert.doesNotMatch(seg.text, UNSAFE, JSON.stringify(seg.text));
    assert.doesNotMatch(payloadPreview(r), UNSAFE);
  }
  assert.equal(payloadPreview(rows[0]!), '\\x1b[2J\\x1b]0;title\\x07\\x07\\x9b31m\\x7f\\u{202e}gnp.exe\\u{200b}\\u{2066}{red-fg}x{/red-fg}\\r\\n');
  assert.ok(lay([row(rows[1]!)], 200)[1]!.includes('{red-fg}x{/red-fg}'), 'markup shows literally');
  assert.equal(payloadPreview(rows[2]!), 'Normal Closure "\\x1b[2J\\x1b]0;title\\x07\\x07\\x9b31m\\x7f\\u{202e}gnp.exe\\u{200b}\\u{2066}{red-fg}x{/red-fg}\\r\\n"');
});

test('an error of wspeek\'s own: a row with no direction, kind error, where, and what happened made visible', () => {
  const e = { type: 'error', conn: 1, ts: T0, where: 'decoder', detail: 'decoding stopped\x1b[2J' } as const;
  const r: MessageRow = { seq: 2, record: e, frames: [], violations: [], stored: { record: e, connection: null, frames: [], violations: [] }, payloadDropped: false };
  const line = layLines([row(record({ ts: T0 - 2 })), r], 100)[2]!;
  const t = text(line);
  assert.ok(t.startsWith(`${clockTime(T0)} +2.00ms #1   ! error        decoder: decoding stopped\\x1b[2J`), t);
  assert.doesNotMatch(t, UNSAFE);
  assert.ok(line.some((s) => s.style === 'bad'), 'drawn as a problem');
});

test('what wspeek did: HELD (and edited), dropped, edited, re-encoded, sent again, forwarded, in their column; no column while no row has one', () => {
  const acted = (records: ActionRecord['action'][], marks: Partial<ActedMessage['marks']>): ActedMessage => ({
    conn: 1, seq: 1, row: 1, edit: null, records: records.map((action) => ({ type: 'action', conn: 1, ts: T0, from: 'client', to: 'server', action, by: 'user', seq: 1 })),
    marks: { held: false, dropped: false, edited: false, injected: false, ...marks },
  });
  const mark = (a: ActedMessage) => actedMark(a);
  assert.deepEqual(mark(acted(['held'], { held: true })), { text: 'HELD', style: 'warn' });
  assert.deepEqual(mark(acted(['held', 'edited'], { held: true, edited: true })), { text: 'HELD edited', style: 'warn' });
  assert.deepEqual(mark(acted(['held', 'dropped'], { dropped: true })), { text: 'dropped', style: 'bad' });
  assert.deepEqual(mark(acted(['held', 'edited', 'forwarded'], { edited: true })), { text: 'edited', style: 'key' });
  assert.deepEqual(mark(acted(['reencode'], {})), { text: 're-encoded', style: 'dim' });
  assert.deepEqual(mark(acted(['resent'], {})), { text: 'sent again', style: 'dim' });
  assert.deepEqual(mark(acted(['held', 'forwarded'], {})), { text: 'forwarded', style: 'dim' });

  const rows = [row(record({ text: 'one' })), row(record({ text: 'two' }), [], 2)];
  const plain = rows.map((r, i) => lineText(messageRowLine('absolute', columnWidths(messageColumns('absolute'), [messageCells(r, rows[i - 1], null, 'absolute', true)], 100), messageCells(r, rows[i - 1], null, 'absolute', true))));
  assert.ok(plain.every((l) => /B one|B two/.test(l)), 'no acted column: the preview follows the length');
  const cells = rows.map((r, i) => messageCells(r, rows[i - 1], null, 'absolute', true, i === 1 ? acted(['held'], { held: true }) : undefined));
  const widths = columnWidths(messageColumns('absolute'), cells, 100);
  const lines = cells.map((c) => lineText(messageRowLine('absolute', widths, c)));
  assert.match(lines[0]!, /3 B {6}one/, 'the column is there, empty, for the other rows');
  assert.match(lines[1]!, /3 B HELD two/);
});

test('a message wspeek sent: its direction and kind, its length, injected or resent, and its payload', () => {
  const injected: ActionRecord = { type: 'action', conn: 1, ts: T0, from: 'server', to: 'client', action: 'injected', by: 'user', base64: Buffer.from([1, 2, 0xff]).toString('base64'), length: 3 };
  const resent: ActionRecord = { type: 'action', conn: 1, ts: T0, from: 'client', to: 'server', action: 'resent', by: 'user', seq: 4, text: 'again\x1b[2J', length: 9 };
  const own = (a: ActionRecord, seq: number): MessageRow => ({ seq, record: a, frames: [], violations: [], stored: { record: a, connection: null, frames: [], violations: [] }, payloadDropped: false });
  const lines = layLines([own(injected, 1), own(resent, 2)], 100).map(lineText);
  assert.match(lines[1]!, /#1 {3}← binary +3 B injected 01 02 ff/);
  assert.match(lines[2]!, /#1 {3}→ text +9 B resent {3}again\\x1b\[2J/);
  assert.doesNotMatch(lines.join(''), UNSAFE);
});
