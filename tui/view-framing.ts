import type { ActionRecord, ConnectionRecord, LogRecord, SessionRecord } from '../core/log/records.js';
import type { MessageRow } from './message-rows.js';

/** At most this many connections' framing records are kept; the oldest go first (as in the connections pane). */
const MAX_CONNECTIONS = 5000;

/** A framing record, and how many list rows had arrived before it. */
interface Placed {
  afterRow: number;
  record: ConnectionRecord;
}

/**
 * The records that frame the connections (session, connect, tunnel, handshake, end, and what wspeek
 * did to a connection as a whole: close frames sent, resets, its handshake edited), kept so that
 * a saved view is a whole session log: what `--json --filter` writes, for the rows of the view.
 * Each is placed after the list rows that had arrived before it, so the saved log keeps the order
 * in which things happened.
 */
export class ViewFraming {
  private session: SessionRecord | null = null;
  private readonly byConn = new Map<number, Placed[]>();

  /** A record from the store; `rowsSoFar` is how many rows the list has had (its last row's seq). */
  add(record: LogRecord, rowsSoFar: number): void {
    if (record.type === 'session') {
      this.session = record;
      return;
    }
    const connectionAction = record.type === 'action' && record.seq === undefined && record.action !== 'injected';
    if (record.type !== 'connect' && record.type !== 'tunnel' && record.type !== 'handshake' && record.type !== 'end' && !connectionAction) return;
    let placed = this.byConn.get(record.conn);
    if (!placed) {
      if (this.byConn.size >= MAX_CONNECTIONS) this.byConn.delete(this.byConn.keys().next().value!);
      this.byConn.set(record.conn, (placed = []));
    }
    placed.push({ afterRow: rowsSoFar, record });
  }

  /**
   * The saved view: the session record, then the rows' records (frames, violations, the message or
   * error, and the action records `linked` to it) with their connections' framing records in among
   * them, each where it arrived.
   */
  records(rows: Iterable<MessageRow>, linked: (row: MessageRow) => readonly ActionRecord[] = () => []): LogRecord[] {
    const out: LogRecord[] = this.session ? [this.session] : [];
    const list = [...rows];
    const conns = new Set(list.map((r) => r.record.conn));
    const framing = [...conns].flatMap((c) => this.byConn.get(c) ?? []).sort((a, b) => a.afterRow - b.afterRow);
    let f = 0;
    for (const row of list) {
      while (f < framing.length && framing[f]!.afterRow < row.seq) out.push(framing[f++]!.record);
      out.push(...row.frames, ...row.violations, row.record, ...linked(row));
    }
    for (; f < framing.length; f++) out.push(framing[f]!.record);
    return out;
  }
}
