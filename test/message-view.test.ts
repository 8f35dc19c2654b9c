import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFilter, type CompiledFilter } from '../core/filter/filter.js';
import type { Side } from '../core/websocket/events.js';
import type { MessageRecord } from '../core/log/records.js';
import type { ConnectionSummary, StoredRecord } from '../core/store/session-store.js';
import { MessageView } from '../tui/message-view.js';
import { messageOf } from './support/message-of.js';

// ---------------------------------------------------------------------------------------------
// Helpers: message rows built by hand, the way the store hands them over.

const CONNS = new Map<number, ConnectionSummary>();
function connection(conn: number): ConnectionSummary {
  let c = CONNS.get(conn);
  if (!c) CONNS.set(conn, (c = { conn, url: `ws://127.0.0.1:3000/c${conn}`, upgraded: true }));
  return c;
}

const NONE: never[] = [];

interface Spec {
  conn?: number;
  from?: Side;
  text?: string;
  kind?: MessageRecord['kind'];
  ts?: number;
}

function message(spec: Spec = {}): StoredRecord {
  const text = spec.text ?? 'hello';
  const record: MessageRecord = {
    type: 'message', conn: spec.conn ?? 1, seq: 1, ts: spec.ts ?? 1000, from: spec.from ?? 'client', kind: spec.kind ?? 'text',
    length: Buffer.byteLength(text), wireLength: Buffer.byteLength(text), frames: 1, compressed: false, text, truncated: false,
  };
  return { record, connection: connection(record.conn), frames: NONE, violations: NONE };
}

/** Adds `n` rows; row i (from 1, in this batch) is made by `make(i)`. */
function addRows(v: MessageView, n: number, make: (i: number) => Spec = () => ({})): void {
  for (let i = 1; i <= n; i++) v.add(message(make(i)));
}

/** The seqs of the visible rows. */
function seqs(v: MessageView): number[] {
  return [...v.rows()].map((r) => r.seq);
}

/** The payload texts of the visible rows. */
function texts(v: MessageView): string[] {
  return [...v.rows()].map((r) => messageOf(r).text!);
}

/** A filter as the command line or the UI's editor hands it over. */
function compiled(source: string): CompiledFilter {
  const r = parseFilter(source);
  assert.ok(r.ok, `${source} parses`);
  return r;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

// ---------------------------------------------------------------------------------------------

test('only message records become rows; seqs count from 1', () => {
  const v = new MessageView(10);
  v.add({ record: { type: 'frame', conn: 1, ts: 1, from: 'client', fin: true, rsv: [false, false, false], opcode: 1, masked: true, mask: '00000000', length: 1 }, connection: connection(1), frames: NONE, violations: NONE });
  assert.equal(v.length, 0);
  assert.equal(v.total, 0);
  addRows(v, 3, (i) => ({ text: `m${i}` }));
  assert.deepEqual(seqs(v), [1, 2, 3]);
  assert.deepEqual(texts(v), ['m1', 'm2', 'm3']);
  assert.equal(v.stored, 3);
  assert.equal(v.row(3), undefined);
  assert.equal(v.previous(0), undefined);
  assert.equal(v.previous(2)!.seq, 2);
});

test('ring: the oldest rows drop past keep, the rest stay in order', () => {
  const v = new MessageView(5);
  addRows(v, 8, (i) => ({ text: `m${i}` }));
  assert.equal(v.stored, 5);
  assert.equal(v.length, 5);
  assert.equal(v.total, 8, 'total counts every message seen, dropped or not');
  assert.deepEqual(seqs(v), [4, 5, 6, 7, 8]);
  assert.deepEqual(texts(v), ['m4', 'm5', 'm6', 'm7', 'm8']);
});

test('ring: keep 1 holds just the newest row', () => {
  const v = new MessageView(1);
  addRows(v, 4, (i) => ({ text: `m${i}` }));
  assert.deepEqual(texts(v), ['m4']);
  assert.equal(v.stored, 1);
});

test('ring: wrapping many times keeps exactly the newest keep rows, filtered', () => {
  const v = new MessageView(1000);
  v.setFilter(compiled('server'));
  addRows(v, 10_000, (i) => ({ from: i % 3 === 0 ? 'server' : 'client', text: `m${i}` }));
  assert.equal(v.stored, 1000);
  const expected = range(9001, 10_000).filter((i) => i % 3 === 0);
  assert.deepEqual(seqs(v), expected);
  assert.deepEqual(texts(v), expected.map((i) => `m${i}`));
  // Re-filtering works over the kept rows only.
  v.setFilter(compiled('client'));
  assert.deepEqual(seqs(v), range(9001, 10_000).filter((i) => i % 3 !== 0));
});

test('ring: long runs past keep (the dropped prefix gets compacted) keep rows and cursor right', () => {
  const v = new MessageView(100);
  addRows(v, 100, (i) => ({ text: `m${i}` }));
  v.select(50); // m51
  addRows(v, 20_000, (i) => ({ text: `n${i}` }));
  assert.equal(v.length, 100);
  assert.deepEqual(seqs(v), range(20_001, 20_100));
  assert.equal(messageOf(v.row(0)).text, 'n19901');
  assert.equal(v.cursor, 0, 'the selected row dropped long ago: the cursor is on the oldest kept row');
  assert.equal(v.selected()!.seq, 20_001);
});

test('ring: the cursor stays on the same row while older rows drop', () => {
  const v = new MessageView(5);
  addRows(v, 5, (i) => ({ text: `m${i}` }));
  v.select(2); // m3, not the last row: follow goes off
  assert.equal(v.follow, false);
  assert.equal(messageOf(v.selected()).text, 'm3');
  v.add(message({ text: 'm6' })); // m1 drops
  assert.equal(v.cursor, 1);
  assert.equal(messageOf(v.selected()).text, 'm3');
  v.add(message({ text: 'm7' })); // m2 drops
  assert.equal(v.cursor, 0);
  assert.equal(messageOf(v.selected()).text, 'm3');
  v.add(message({ text: 'm8' })); // m3 itself drops: the cursor lands on the next row
  assert.equal(v.cursor, 0);
  assert.equal(messageOf(v.selected()).text, 'm4');
  assert.equal(v.window(3), 0);
});

test('ring: rows the filter hid drop without moving the cursor', () => {
  const v = new MessageView(4);
  v.setFilter(compiled('server'));
  addRows(v, 4, (i) => ({ from: i % 2 ? 'client' : 'server', text: `m${i}` })); // m2, m4 visible
  v.select(0);
  assert.equal(messageOf(v.selected()).text, 'm2');
  v.add(message({ from: 'client', text: 'm5' })); // m1 (hidden) drops
  assert.equal(v.cursor, 0);
  assert.equal(messageOf(v.selected()).text, 'm2');
  assert.deepEqual(texts(v), ['m2', 'm4']);
});

test('filter narrows the rows; length of total is "N of M"', () => {
  const v = new MessageView(100);
  addRows(v, 10, (i) => ({ from: i % 2 ? 'client' : 'server', text: i === 7 ? 'the needle' : `row ${i}` }));
  v.setFilter(compiled('server'));
  assert.equal(v.filterSource, 'server');
  assert.equal(v.length, 5);
  assert.equal(v.total, 10);
  assert.deepEqual(seqs(v), [2, 4, 6, 8, 10]);
  v.setFilter(compiled('  needle  '));
  assert.equal(v.filterSource, 'needle', 'the source is kept trimmed');
  assert.deepEqual(seqs(v), [7]);
  // New rows are tested as they arrive.
  v.add(message({ text: 'another needle' }));
  v.add(message({ text: 'hay' }));
  assert.deepEqual(seqs(v), [7, 11]);
  assert.equal(v.total, 12);
  v.setFilter(compiled(''));
  assert.equal(v.filterSource, '');
  assert.equal(v.length, 12);
});

test('the view applies the compiled filter it is given, without parsing its source again', () => {
  const v = new MessageView(100);
  addRows(v, 6, (i) => ({ conn: i <= 3 ? 1 : 2 }));
  v.setFilter({ source: '  conn two  ', predicate: (s) => s.conn === 2 });
  assert.deepEqual(seqs(v), [4, 5, 6]);
  assert.equal(v.filterSource, 'conn two', 'the source is shown trimmed');
  v.setSearch({ source: 'first', predicate: (s) => s.conn === 1 });
  assert.deepEqual(range(0, 2).filter((i) => v.isMatch(i)), [], 'the search sees only visible rows, none of them on conn 1');
  v.setFilter({ source: ' ', predicate: () => false });
  assert.equal(v.length, 6, 'a blank source is no filter, whatever its predicate');
  assert.deepEqual(range(0, 5).filter((i) => v.isMatch(i)), [0, 1, 2]);
});

test('connection narrowing, with and without a filter', () => {
  const v = new MessageView(100);
  addRows(v, 9, (i) => ({ conn: (i % 3) + 1, from: i % 2 ? 'client' : 'server' }));
  // conn of row i: (i % 3) + 1 → rows 3, 6, 9 on conn 1; 1, 4, 7 on conn 2; 2, 5, 8 on conn 3.
  v.setConnection(2);
  assert.equal(v.connection, 2);
  assert.deepEqual(seqs(v), [1, 4, 7]);
  v.add(message({ conn: 2 }));
  v.add(message({ conn: 1 }));
  assert.deepEqual(seqs(v), [1, 4, 7, 10]);
  v.setFilter(compiled('server'));
  assert.deepEqual(seqs(v), [4], 'filter and connection both apply');
  v.setConnection(null);
  assert.deepEqual(seqs(v), [2, 4, 6, 8]);
  v.setFilter(compiled(''));
  assert.equal(v.length, 11);
});

test('follow keeps the newest row in the window; scrolling up turns it off, end turns it on', () => {
  const v = new MessageView(1000);
  assert.equal(v.follow, true);
  addRows(v, 30);
  assert.equal(v.window(10), 20);
  assert.equal(v.cursor, 29);
  v.add(message());
  assert.equal(v.window(10), 21, 'the window moves with the newest row');
  assert.equal(v.cursor, 30);

  v.move(-1);
  assert.equal(v.follow, false);
  assert.equal(v.cursor, 29);
  const selected = v.selected()!.seq;
  addRows(v, 5);
  assert.equal(v.window(10), 21, 'not following: the window stays');
  assert.equal(v.cursor, 29);
  assert.equal(v.selected()!.seq, selected);

  v.end();
  assert.equal(v.follow, true);
  assert.equal(v.cursor, 35);
  assert.equal(v.window(10), 26);

  v.home();
  assert.equal(v.follow, false);
  assert.equal(v.cursor, 0);
  assert.equal(v.window(10), 0);

  // Moving down onto the last row turns follow back on.
  v.move(1000);
  assert.equal(v.cursor, 35);
  assert.equal(v.follow, true);

  v.toggleFollow();
  assert.equal(v.follow, false);
  v.home();
  v.toggleFollow();
  assert.equal(v.follow, true);
  assert.equal(v.cursor, 35, 'turning follow on jumps to the newest row');
});

test('pause freezes the view; resume catches up', () => {
  const v = new MessageView(1000);
  addRows(v, 3, (i) => ({ text: `m${i}` }));
  v.togglePause();
  assert.equal(v.paused, true);
  addRows(v, 4, (i) => ({ text: `p${i}` }));
  assert.deepEqual(texts(v), ['m1', 'm2', 'm3'], 'rows added while paused do not appear');
  assert.equal(v.total, 7, 'but they are counted');
  assert.equal(v.window(10), 0);
  assert.equal(v.cursor, 2);
  v.togglePause();
  assert.equal(v.paused, false);
  assert.deepEqual(texts(v), ['m1', 'm2', 'm3', 'p1', 'p2', 'p3', 'p4']);
  v.window(10);
  assert.equal(v.cursor, 6);
});

test('a filter change while paused stays frozen in time', () => {
  const v = new MessageView(1000);
  addRows(v, 4, (i) => ({ from: i % 2 ? 'client' : 'server', text: `m${i}` }));
  v.togglePause();
  addRows(v, 4, (i) => ({ from: i % 2 ? 'client' : 'server', text: `p${i}` }));
  v.setFilter(compiled('server'));
  assert.deepEqual(texts(v), ['m2', 'm4'], 'only rows from before the pause, refiltered');
  v.setConnection(1);
  assert.deepEqual(texts(v), ['m2', 'm4']);
  v.togglePause();
  assert.deepEqual(texts(v), ['m2', 'm4', 'p2', 'p4']);
});

test('rows dropping out of the ring while paused leave the frozen view too', () => {
  const v = new MessageView(5);
  addRows(v, 5, (i) => ({ text: `m${i}` }));
  v.togglePause();
  addRows(v, 3, (i) => ({ text: `p${i}` })); // m1..m3 drop
  assert.deepEqual(texts(v), ['m4', 'm5']);
  v.togglePause();
  assert.deepEqual(texts(v), ['m4', 'm5', 'p1', 'p2', 'p3']);
});

test('clear hides the rows so far; later rows show; total counts since the clear', () => {
  const v = new MessageView(1000);
  addRows(v, 5);
  v.clear();
  assert.equal(v.length, 0);
  assert.equal(v.total, 0);
  assert.equal(v.selected(), undefined);
  assert.equal(v.window(10), 0);
  addRows(v, 2, (i) => ({ text: `after${i}` }));
  assert.deepEqual(texts(v), ['after1', 'after2']);
  assert.equal(v.total, 2);
  assert.equal(v.stored, 7, 'cleared rows stay stored');
  // A new filter doesn't bring cleared rows back.
  v.setFilter(compiled('hello or after'));
  assert.deepEqual(texts(v), ['after1', 'after2']);
});

test('findNext moves to the next/previous match, without wrapping', () => {
  const v = new MessageView(1000);
  addRows(v, 10, (i) => ({ text: [3, 6, 9].includes(i) ? `a needle ${i}` : `hay ${i}` }));
  assert.equal(v.findNext(1), false, 'no search yet');
  v.setSearch(compiled('needle'));
  assert.equal(v.searchSource, 'needle');
  assert.equal(v.length, 10, 'find hides nothing');
  assert.deepEqual(range(0, 9).filter((i) => v.isMatch(i)), [2, 5, 8]);
  assert.equal(v.isMatch(10), false);

  v.home();
  assert.equal(v.findNext(1), true);
  assert.equal(v.cursor, 2);
  assert.equal(v.findNext(1), true);
  assert.equal(v.cursor, 5);
  assert.equal(v.findNext(1), true);
  assert.equal(v.cursor, 8);
  assert.equal(v.findNext(1), false, 'past the last match: no wrap');
  assert.equal(v.cursor, 8, 'the cursor stays');
  assert.equal(v.findNext(-1), true);
  assert.equal(v.cursor, 5);
  assert.equal(v.findNext(-1), true);
  assert.equal(v.cursor, 2);
  assert.equal(v.findNext(-1), false, 'before the first match: no wrap');
  assert.equal(v.cursor, 2);

  v.end();
  assert.equal(v.follow, true);
  assert.equal(v.findNext(-1), true);
  assert.equal(v.cursor, 8);
  assert.equal(v.follow, false, 'finding leaves follow mode');

  v.setSearch(compiled(''));
  assert.equal(v.isMatch(2), false);
  assert.equal(v.findNext(1), false);
});

test('matchCount and matchRank: how many rows the search matches, and which of them is selected; kept right as rows come, go and are filtered', () => {
  const v = new MessageView(12);
  addRows(v, 10, (i) => ({ text: [3, 6, 9].includes(i) ? `a needle ${i}` : `hay ${i}`, conn: i % 2 ? 1 : 2 }));
  assert.equal(v.matchCount, 0);
  v.setSearch(compiled('needle'));
  assert.equal(v.matchCount, 3);
  v.home();
  assert.equal(v.matchRank(), null, 'not on a match');
  v.findNext(1);
  assert.equal(v.matchRank(), 1);
  v.findNext(1);
  assert.equal(v.matchRank(), 2);
  addRows(v, 1, () => ({ text: 'needle 11', conn: 1 }));
  assert.equal(v.matchCount, 4, 'a new row that matches');
  addRows(v, 4, () => ({ text: 'hay' }));
  assert.equal(v.matchCount, 3, 'the row with the first match left the ring');
  assert.equal(v.matchRank(), 1, 'the selected match is now the first');
  v.setFilter(compiled('conn=1'));
  assert.deepEqual(range(0, v.length - 1).filter((i) => v.isMatch(i)).map((i) => messageOf(v.row(i)).text), ['a needle 9', 'needle 11'], 'only visible rows match');
  assert.equal(v.matchCount, 2);
  v.setSearch(compiled(''));
  assert.equal(v.matchCount, 0);
});

test('window(h) keeps the cursor inside the drawn rows', () => {
  const v = new MessageView(1000);
  addRows(v, 50);
  v.home();
  for (const target of [0, 9, 10, 25, 49, 30, 5, 0]) {
    v.select(target);
    const top = v.window(10);
    assert.ok(v.cursor >= top && v.cursor < top + 10, `cursor ${v.cursor} in [${top}, ${top + 10})`);
    assert.ok(top >= 0 && top <= 40);
  }
  v.select(25);
  assert.equal(v.window(10), 16, 'scrolling down puts the cursor on the last line');
  v.select(20);
  assert.equal(v.window(10), 16, 'inside the window: it does not move');
  v.select(3);
  assert.equal(v.window(10), 3, 'scrolling up puts the cursor on the first line');
  // Fewer rows than lines: top 0.
  const small = new MessageView(10);
  addRows(small, 3);
  assert.equal(small.window(10), 0);
  assert.equal(small.cursor, 2);
  // A filter shrinking the rows clamps the cursor.
  v.select(45);
  v.setFilter(compiled('nothing matches this'));
  assert.equal(v.window(10), 0);
  assert.equal(v.cursor, 0);
  assert.equal(v.selected(), undefined);
  // A zero-height window doesn't break.
  assert.equal(v.window(0), 0);
});

test('select and move stay in range', () => {
  const v = new MessageView(100);
  v.move(1); // empty: nothing to do
  assert.equal(v.cursor, 0);
  addRows(v, 5);
  v.select(7);
  v.select(-1);
  v.window(5);
  assert.equal(v.cursor, 4, 'out-of-range selects are ignored (still following)');
  v.select(1);
  v.move(-10);
  assert.equal(v.cursor, 0);
  v.move(2);
  assert.equal(v.cursor, 2);
  assert.equal(v.follow, false);
});

test('performance sanity: a million rows, then a payload filter', (t) => {
  const N = 1_000_000;
  const v = new MessageView(N);
  const texts = ['short', 'a text longer than ten', 'x'.repeat(40), 'tiny'];
  let expected = 0;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const kind = i % 5 === 0 ? 'binary' : 'text';
    const text = texts[i % texts.length]!;
    if (kind === 'text' && Buffer.byteLength(text) > 10) expected++;
    v.add(message({ kind, text, from: i % 2 ? 'client' : 'server' }));
  }
  const t1 = performance.now();
  assert.equal(v.length, N);
  v.setFilter(compiled('len>10 and text'));
  const t2 = performance.now();
  assert.equal(v.length, expected);
  assert.equal(v.total, N);
  t.diagnostic(`${N} rows added in ${Math.round(t1 - t0)} ms; setFilter('len>10 and text') in ${Math.round(t2 - t1)} ms → ${expected} rows`);
  const t3 = performance.now();
  v.setFilter(compiled('len>10 and text and longer'));
  t.diagnostic(`payload filter over ${N} rows in ${Math.round(performance.now() - t3)} ms → ${v.length} rows`);
  let withLonger = 0;
  for (let i = 0; i < N; i++) if (i % 5 !== 0 && i % 4 === 1) withLonger++;
  assert.equal(v.length, withLonger);
});

test('past the payload budget the oldest rows lose their payload, not their place in the list', () => {
  const v = new MessageView(1000, 100); // 100 characters of payload in memory
  addRows(v, 10, (i) => ({ text: `${String(i).padStart(2, '0')}${'x'.repeat(28)}` })); // 30 characters each
  const rows = [...v.rows()];
  assert.equal(rows.length, 10, 'every row is still listed');
  const kept = rows.filter((r) => !r.payloadDropped);
  assert.deepEqual(kept.map((r) => r.seq), [8, 9, 10], 'the newest payloads that fit (3 × 30 ≤ 100) are kept');
  for (const r of rows.filter((x) => x.payloadDropped)) {
    assert.equal(messageOf(r).text, undefined);
    assert.equal((r.stored.record as MessageRecord).text, undefined, 'the store\'s copy is let go too');
    assert.equal(messageOf(r).length, 30, 'lengths and other fields stay');
  }
  v.setFilter(compiled('"08x"'));
  assert.deepEqual(seqs(v), [8], 'filters see the payloads still kept');
});

test('a row larger than the whole budget keeps its payload until a newer row arrives', () => {
  const v = new MessageView(1000, 10);
  addRows(v, 1, () => ({ text: 'y'.repeat(50) }));
  assert.equal([...v.rows()][0]!.payloadDropped, false, 'the newest row is always shown whole');
  addRows(v, 1, () => ({ text: 'z' }));
  assert.deepEqual([...v.rows()].map((r) => r.payloadDropped), [true, false]);
});

test('rows that leave the ring give their payload bytes back to the budget', () => {
  const v = new MessageView(2, 100);
  addRows(v, 5, () => ({ text: 'a'.repeat(40) })); // only 2 rows kept, 80 characters: all fit
  assert.deepEqual([...v.rows()].map((r) => r.payloadDropped), [false, false]);
});

test('payloads held as bytes count against the budget and are dropped like text', () => {
  const v = new MessageView(1000, 100_000);
  for (let i = 0; i < 3; i++) {
    const bytes = Buffer.alloc(40_000, i);
    const record: MessageRecord = { type: 'message', conn: 1, seq: 1, ts: i, from: 'server', kind: 'binary', length: bytes.length, wireLength: bytes.length, frames: 1, compressed: false, truncated: false, bytes };
    v.add({ record, connection: connection(1), frames: NONE, violations: NONE });
  }
  const rows = [...v.rows()];
  assert.deepEqual(rows.map((r) => r.payloadDropped), [true, false, false], '2 × 40,000 bytes fit in 100,000; 3 don\'t');
  assert.equal(messageOf(rows[0]).bytes, undefined);
  assert.equal(messageOf(rows[2]).bytes![0], 2);
});

test('wspeek\'s own errors are listed where they happened, and the `error` keyword finds them', () => {
  const v = new MessageView(100);
  v.add(message({ text: 'before' }));
  const error: StoredRecord = { record: { type: 'error', conn: 1, ts: 1001, where: 'decoder', detail: 'decoding stopped: boom' }, connection: connection(1), frames: NONE, violations: NONE };
  v.add(error);
  v.add(message({ text: 'after', conn: 2 }));
  assert.deepEqual([...v.rows()].map((r) => r.record.type), ['message', 'error', 'message']);
  v.setFilter(compiled('error'));
  assert.deepEqual(seqs(v), [2]);
  v.setFilter(compiled('not error'));
  assert.deepEqual(seqs(v), [1, 3]);
  v.setFilter(compiled('text'));
  assert.deepEqual(seqs(v), [1, 3], 'a message test never matches an error');
  v.setFilter(compiled('boom'));
  assert.deepEqual(seqs(v), [2], 'an error\'s detail is searched as its text');
});

test('what wspeek did to a message is filtered and searched as it changes: retest moves one row in or out, the selected row stays selected', () => {
  const marks = new Map<number, { held: boolean; dropped: boolean; edited: boolean; injected: boolean }>();
  const v = new MessageView(100, undefined, (_conn, seq) => marks.get(seq) ?? null);
  for (let i = 1; i <= 5; i++) {
    const s = message({ text: `m${i}` });
    (s.record as MessageRecord).seq = i;
    v.add(s);
  }
  v.setFilter(compiled('held'));
  v.setSearch(compiled('acted'));
  assert.deepEqual(seqs(v), []);
  marks.set(2, { held: true, dropped: false, edited: false, injected: false });
  v.retest(2);
  marks.set(4, { held: true, dropped: false, edited: false, injected: false });
  v.retest(4);
  assert.deepEqual(seqs(v), [2, 4]);
  assert.equal(v.matchCount, 2);
  v.select(1);
  v.follow = false;
  marks.set(3, { held: true, dropped: false, edited: false, injected: false });
  v.retest(3);
  assert.deepEqual(seqs(v), [2, 3, 4]);
  assert.equal(v.selectedSeq(), 4, 'a row let in before the cursor keeps the selected row selected');
  marks.set(4, { held: false, dropped: true, edited: false, injected: false });
  v.retest(4);
  assert.deepEqual(seqs(v), [2, 3]);
  assert.equal(v.selectedSeq(), 3, 'the selected row left: the row before it is selected');
  assert.equal(v.matchCount, 2, 'a row out of the view is out of the matches');
  v.setFilter(compiled(''));
  assert.equal(v.matchCount, 3, 'rows 2, 3 and 4 were acted on');
  v.retest(99);
  assert.deepEqual(seqs(v), [1, 2, 3, 4, 5], 'a row the view has not seen yet: nothing');
});

test('findMessage finds a row by connection and message seq, newest first, stopping at that connection\'s older messages', () => {
  const v = new MessageView(100);
  const add = (conn: number, seq: number) => {
    const s = message({ conn });
    (s.record as MessageRecord).seq = seq;
    v.add(s);
  };
  add(1, 1);
  add(2, 1);
  add(1, 2);
  v.add({ record: { type: 'error', conn: 1, ts: 1, where: 'decoder', detail: 'x' }, connection: connection(1), frames: NONE, violations: NONE });
  add(2, 2);
  assert.equal(v.findMessage(1, 2), 3);
  assert.equal(v.findMessage(1, 1), 1);
  assert.equal(v.findMessage(2, 2), 5);
  assert.equal(v.findMessage(2, 3), undefined);
  assert.equal(v.findMessage(1, 9), undefined);
  assert.equal(v.findMessage(3, 1), undefined);
});

test('messages wspeek sent itself are rows of their own, found by `injected`; other action records are no rows', () => {
  const v = new MessageView(100);
  v.add(message({ text: 'peer' }));
  const injected: StoredRecord = {
    record: { type: 'action', conn: 1, ts: 1002, from: 'server', to: 'client', action: 'injected', by: 'user', base64: 'AAE=', length: 2 },
    connection: connection(1), frames: NONE, violations: NONE,
  };
  v.add(injected);
  v.add({ ...injected, record: { type: 'action', conn: 1, ts: 1003, from: 'client', to: 'server', action: 'held', by: 'user', seq: 1 } });
  v.add({ ...injected, record: { type: 'action', conn: 1, ts: 1004, from: 'client', to: 'server', action: 'resent', by: 'user', seq: 1, text: 'peer', length: 4 } });
  assert.deepEqual([...v.rows()].map((r) => (r.record.type === 'action' ? r.record.action : r.record.type)), ['message', 'injected', 'resent']);
  const row = v.row(1)!;
  assert.equal(row.record.type === 'action' && row.record.base64, 'AAE=', 'its payload comes back from the payload store');
  v.setFilter(compiled('injected'));
  assert.deepEqual(seqs(v), [2, 3]);
  v.setFilter(compiled('binary and server'));
  assert.deepEqual(seqs(v), [2]);
});
