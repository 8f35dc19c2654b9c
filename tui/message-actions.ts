import type { ActionMarks } from '../core/filter/filter.js';
import type { ActionRecord } from '../core/log/records.js';

/** What wspeek did to one message (by connection and the message record's seq), as its action records say. */
export interface ActedMessage {
  readonly conn: number;
  readonly seq: number;
  /** The action records on it, in order. */
  readonly records: ActionRecord[];
  readonly marks: ActionMarks;
  /** The last edit accepted: what is (or was) sent instead of it. */
  edit: ActionRecord | null;
  /** Its row in the message list, once the list has it. */
  row: number | undefined;
}

/**
 * The action records of the session, linked to the messages they act on by (conn, seq): which are
 * held now, dropped, edited, forwarded or sent again. Records without a seq (injected messages,
 * closes, resets) concern no message of a peer's and are not kept here. At most `capacity`
 * messages are remembered; the oldest go first, but never one that is held.
 */
export class MessageActions {
  private readonly byConn = new Map<number, Map<number, ActedMessage>>();
  /** Every message remembered, oldest first. */
  private readonly order = new Set<ActedMessage>();
  private readonly heldNow = new Set<ActedMessage>();

  constructor(private readonly capacity: number) {}

  /** Links an action record to its message; returns the message, or null when the record concerns none. */
  add(a: ActionRecord): ActedMessage | null {
    if (a.seq === undefined) return null;
    let conn = this.byConn.get(a.conn);
    if (!conn) this.byConn.set(a.conn, (conn = new Map()));
    let m = conn.get(a.seq);
    if (!m) {
      m = { conn: a.conn, seq: a.seq, records: [], marks: { held: false, dropped: false, edited: false, injected: false }, edit: null, row: undefined };
      conn.set(a.seq, m);
      this.order.add(m);
      if (this.order.size > this.capacity) this.forgetOldest();
    }
    m.records.push(a);
    switch (a.action) {
      case 'held':
        m.marks.held = true;
        this.heldNow.add(m);
        break;
      case 'forwarded':
      case 'dropped':
        m.marks.held = false;
        if (a.action === 'dropped') m.marks.dropped = true;
        this.heldNow.delete(m);
        break;
      case 'edited':
        m.marks.edited = true;
        m.edit = a;
        break;
    }
    return m;
  }

  /** What was done to message `seq` of connection `conn`, if anything. */
  of(conn: number, seq: number): ActedMessage | undefined {
    return this.byConn.get(conn)?.get(seq);
  }

  /** The messages held now, oldest first. */
  held(): ActedMessage[] {
    return [...this.heldNow];
  }

  /** Messages remembered. */
  get size(): number {
    return this.order.size;
  }

  private forgetOldest(): void {
    for (const m of this.order) {
      if (m.marks.held) continue;
      this.order.delete(m);
      const conn = this.byConn.get(m.conn)!;
      conn.delete(m.seq);
      if (conn.size === 0) this.byConn.delete(m.conn);
      return;
    }
  }
}
