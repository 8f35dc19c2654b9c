import { isRequest } from '../core/app/app-entry.js';
import type { ActionMarks, CompiledFilter, FilterPredicate } from '../core/filter/filter.js';
import { subjectOf } from '../core/filter/subject.js';
import type { StoredRecord } from '../core/store/session-store.js';
import { isOwnMessage, MessageRows, type MessageRow } from './message-rows.js';
import { SeqQueue } from './seq-queue.js';

/** Bytes of payload (text, base64 and bytes) the list keeps in memory; past it, the oldest rows' payloads go. */
export const PAYLOAD_BUDGET = 32 * 1024 * 1024;

/**
 * The message list: a bounded ring of rows (the oldest drop past `keep`; the saved log keeps
 * everything), the rows the filter and the chosen connection let through, the cursor, follow
 * mode, pause and search. Pure: rows in, view state out; the screen only draws it.
 */
export class MessageView {
  private readonly kept: MessageRows;
  /** seq of the oldest row still kept; rows run firstSeq .. lastSeq. */
  private firstSeq = 1;
  private lastSeq = 0;
  /** seqs that pass the view, ascending (at most `keep`: they are kept rows). */
  private readonly visible: SeqQueue;
  /** The visible seqs the search matches, ascending. */
  private readonly matches: SeqQueue;
  /** The last seq tested against the view (paused views fall behind). */
  private testedSeq = 0;
  /** `c` hides every row up to here. */
  private clearedSeq = 0;
  private filter: FilterPredicate | null = null;
  private search: FilterPredicate | null = null;

  filterSource = '';
  searchSource = '';
  /** Only this connection's rows, or all. */
  connection: number | null = null;
  /** Index of the selected row in the visible rows. */
  cursor = 0;
  /** Index of the first row drawn. */
  top = 0;
  /** Keep the newest row in view. */
  follow = true;
  /** The view is frozen; capture goes on and catches up on resume. */
  paused = false;

  /** `marksOf`: what wspeek did to message `seq` of connection `conn`, for the filter and the search. */
  constructor(private readonly keep: number, payloadBudget = PAYLOAD_BUDGET, private readonly marksOf: (conn: number, seq: number) => ActionMarks | null = () => null) {
    this.kept = new MessageRows(keep, payloadBudget);
    this.visible = new SeqQueue(keep);
    this.matches = new SeqQueue(keep);
  }

  /** The seq of the newest row added (0 before the first). */
  get newestSeq(): number {
    return this.lastSeq;
  }

  /** Rows kept in memory. */
  get stored(): number {
    return this.lastSeq - this.firstSeq + 1;
  }

  /** Rows that pass the view. */
  get length(): number {
    return this.visible.length;
  }

  /** Every message seen since the start (or since the last clear, for "of N"). */
  get total(): number {
    return this.lastSeq - this.clearedSeq;
  }

  add(stored: StoredRecord): void {
    const record = stored.record;
    if (record.type !== 'message' && record.type !== 'error' && !(record.type === 'action' && isOwnMessage(record))) return;
    const seq = ++this.lastSeq;
    // Drop first: when the ring is full, the new row's slot is the oldest row's, and dropping clears it.
    if (this.stored > this.keep) this.dropOldest();
    this.kept.set(seq, stored);
    if (!this.paused) this.catchUp();
  }

  /** The row at a visible index. */
  row(index: number): MessageRow | undefined {
    const seq = this.visible.at(index);
    return seq === undefined ? undefined : this.kept.get(seq);
  }

  selected(): MessageRow | undefined {
    return this.row(this.cursor);
  }

  /** The selected row's seq, without putting the row together. */
  selectedSeq(): number | undefined {
    return this.visible.at(this.cursor);
  }

  /** The visible row before `index`, for Δ times. */
  previous(index: number): MessageRow | undefined {
    return index > 0 ? this.row(index - 1) : undefined;
  }

  /** Shows only the rows the filter lets through; a blank source shows every row. */
  setFilter(filter: CompiledFilter): void {
    this.filter = predicateOf(filter);
    this.filterSource = filter.source.trim();
    this.rebuild();
  }

  /** Marks the rows the search matches; a blank source matches none. */
  setSearch(search: CompiledFilter): void {
    this.search = predicateOf(search);
    this.searchSource = search.source.trim();
    this.matches.clear();
    for (let i = 0; i < this.length; i++) this.testSearch(this.visible.at(i)!);
  }

  /** Narrows the list to one connection (null: all). */
  setConnection(conn: number | null): void {
    if (conn === this.connection) return;
    this.connection = conn;
    this.rebuild();
  }

  /** Whether a visible row matches the search (for highlighting). */
  isMatch(index: number): boolean {
    const seq = this.visible.at(index);
    return seq !== undefined && this.matches.at(this.matches.lowerBound(seq)) === seq;
  }

  /** Visible rows the search matches. */
  get matchCount(): number {
    return this.matches.length;
  }

  /** Which match (from 1) the selected row is, or null when it is not one. */
  matchRank(): number | null {
    return this.isMatch(this.cursor) ? this.matches.lowerBound(this.selectedSeq()!) + 1 : null;
  }

  /** Moves to the next (dir 1) or previous (-1) search match; false when there is none. */
  findNext(dir: 1 | -1): boolean {
    const seq = this.selectedSeq();
    const k = seq === undefined ? (dir > 0 ? 0 : -1) : dir > 0 ? this.matches.lowerBound(seq + 1) : this.matches.lowerBound(seq) - 1;
    const target = this.matches.at(k);
    if (target === undefined) return false;
    this.cursor = this.visible.lowerBound(target);
    this.follow = false;
    return true;
  }

  /** Moves the cursor; scrolling up leaves follow mode. */
  move(delta: number): void {
    if (this.length === 0) return;
    this.cursor = clamp(this.cursor + delta, 0, this.length - 1);
    if (delta < 0) this.follow = false;
    if (this.cursor === this.length - 1 && delta > 0) this.follow = true;
  }

  home(): void {
    this.cursor = 0;
    this.follow = false;
  }

  end(): void {
    this.cursor = Math.max(0, this.length - 1);
    this.follow = true;
  }

  select(index: number): void {
    if (index < 0 || index >= this.length) return;
    this.cursor = index;
    this.follow = index === this.length - 1;
  }

  toggleFollow(): void {
    this.follow = !this.follow;
    if (this.follow) this.end();
  }

  togglePause(): void {
    this.paused = !this.paused;
    if (!this.paused) this.catchUp();
  }

  /** Hides every row so far (they stay in the saved log). */
  clear(): void {
    this.clearedSeq = this.lastSeq;
    this.rebuild();
  }

  /** The rows that pass the view, in order (for saving the view). */
  *rows(): Generator<MessageRow> {
    for (let i = 0; i < this.length; i++) yield this.row(i)!;
  }

  /**
   * The window of `height` rows to draw: keeps the cursor in view, and the newest row
   * when following. Returns the first index drawn.
   */
  window(height: number): number {
    if (this.follow) this.cursor = Math.max(0, this.length - 1);
    this.cursor = clamp(this.cursor, 0, Math.max(0, this.length - 1));
    if (this.cursor < this.top) this.top = this.cursor;
    if (this.cursor >= this.top + height) this.top = this.cursor - height + 1;
    this.top = clamp(this.top, 0, Math.max(0, this.length - height));
    return this.top;
  }

  /**
   * The row of message `seq` of connection `conn`, if it is still kept: looked for from the newest
   * row back (what wspeek acts on is mostly recent), and no further back than that connection's
   * earlier messages.
   */
  findMessage(conn: number, seq: number): number | undefined {
    const key = { conn: -1, seq: -1 };
    for (let row = this.lastSeq; row >= this.firstSeq; row--) {
      this.kept.messageKey(row, key);
      if (key.conn !== conn) continue;
      if (key.seq === seq) return row;
      if (key.seq < seq) return undefined;
    }
    return undefined;
  }

  /**
   * The row the selected message's application protocol pairs it with: for a reply, its request's
   * row; for a request, its first reply's. 'none' when the message has neither, 'gone' when the
   * other row is no longer kept or not yet seen.
   */
  pairedRow(): number | 'none' | 'gone' {
    const seq = this.selectedSeq();
    const app = seq === undefined ? undefined : this.kept.appOf(seq);
    if (seq === undefined || app === undefined) return 'none';
    const key = { conn: -1, seq: -1 };
    this.kept.messageKey(seq, key);
    const reply = app.find((e) => e.pair !== undefined);
    if (reply) return this.findMessage(key.conn, reply.pair!) ?? 'gone';
    if (!app.some(isRequest)) return 'none';
    const own = key.seq;
    const conn = key.conn;
    for (let row = seq + 1; row <= this.lastSeq; row++) {
      this.kept.messageKey(row, key);
      if (key.conn === conn && this.kept.appOf(row)?.some((e) => e.pair === own)) return row;
    }
    return 'gone';
  }

  /** Selects row `seq` if it passes the view; false when the filter (or the connection shown) hides it. */
  selectRow(seq: number): boolean {
    const index = this.visible.lowerBound(seq);
    if (this.visible.at(index) !== seq) return false;
    this.select(index);
    this.follow = false;
    return true;
  }

  /** A reply to message `seq` of connection `conn` came: its row is filtered and searched again (it is no longer `unanswered`). */
  answered(conn: number, seq: number): void {
    if (this.filter === null && this.search === null) return;
    const row = this.findMessage(conn, seq);
    if (row !== undefined) this.retest(row);
  }

  /** What wspeek did to row `seq`'s message changed: the filter and the search test it again, the selected row stays selected. */
  retest(seq: number): void {
    if (seq < this.firstSeq || seq > this.testedSeq || (this.filter === null && this.search === null)) return;
    const selectedSeq = this.selectedSeq();
    if (this.passes(seq)) {
      this.visible.insert(seq);
      if (this.search !== null && this.searched(seq)) this.matches.insert(seq);
      else this.matches.remove(seq);
    } else {
      this.visible.remove(seq);
      this.matches.remove(seq);
    }
    if (selectedSeq !== undefined && !this.follow) this.cursor = Math.min(this.visible.lowerBound(selectedSeq), Math.max(0, this.length - 1));
  }

  /** Adds a visible row to the matches if the search matches it (rows come in ascending order). */
  private testSearch(seq: number): void {
    if (this.search !== null && this.searched(seq)) this.matches.push(seq);
  }

  private searched(seq: number): boolean {
    const row = this.kept.get(seq)!;
    return this.search!(this.subject(row));
  }

  private passes(seq: number): boolean {
    if (seq <= this.clearedSeq) return false;
    if (this.connection === null && this.filter === null) return true;
    const row = this.kept.get(seq)!;
    if (this.connection !== null && row.record.conn !== this.connection) return false;
    return this.filter === null || this.filter(this.subject(row));
  }

  private subject(row: MessageRow) {
    const r = row.record;
    return subjectOf(row.stored, r, r.type === 'message' ? this.marksOf(r.conn, r.seq) : null);
  }

  /** Tests the rows that arrived since the view last looked, up to `upTo`. */
  private catchUp(upTo = this.lastSeq): void {
    for (let seq = Math.max(this.testedSeq + 1, this.firstSeq); seq <= upTo; seq++) {
      if (this.passes(seq)) {
        this.visible.push(seq);
        this.testSearch(seq);
      }
    }
    this.testedSeq = upTo;
  }

  /** Re-tests every kept row (filter, connection or clear changed), keeping the selected row selected. */
  private rebuild(): void {
    const selectedSeq = this.selectedSeq();
    const upTo = this.paused ? this.testedSeq : this.lastSeq; // a paused view stays frozen in time
    this.visible.clear();
    this.matches.clear();
    this.testedSeq = 0;
    this.catchUp(upTo);
    if (selectedSeq !== undefined && !this.follow) {
      const i = this.visible.lowerBound(selectedSeq);
      this.cursor = Math.min(i, Math.max(0, this.length - 1));
    }
  }

  private dropOldest(): void {
    const seq = this.firstSeq++;
    this.kept.clear(seq);
    if (this.matches.at(0) === seq) this.matches.shift();
    if (this.visible.at(0) === seq) {
      this.visible.shift();
      this.cursor = Math.max(0, this.cursor - 1);
      this.top = Math.max(0, this.top - 1);
    }
  }
}

/** Null for a blank source: no filter, or no search. */
function predicateOf(filter: CompiledFilter): FilterPredicate | null {
  return filter.source.trim() === '' ? null : filter.predicate;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}
