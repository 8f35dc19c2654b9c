import type { Side } from '../websocket/events.js';
import type { AppLayer } from '../app/app-layer.js';
import type { FrameRecord, LogRecord, ViolationRecord } from '../log/records.js';

/** What the store knows of one open connection, for lists and filters. */
export interface ConnectionSummary {
  conn: number;
  url: string | null;
  /** The handshake has been seen: later violations concern frames and messages. */
  upgraded: boolean;
}

/** A record on its way to consumers, with what the store could link to it. */
export interface StoredRecord {
  record: LogRecord;
  connection: ConnectionSummary | null;
  /** For message records: the frames that carried it (in order). */
  frames: FrameRecord[];
  /**
   * For message records: violations the same sender caused since its previous message.
   * For handshake records: the handshake's violations. For end records: violations no message claimed.
   */
  violations: ViolationRecord[];
}

export type RecordListener = (stored: StoredRecord) => void;

interface Pending {
  frames: FrameRecord[];
  violations: ViolationRecord[];
}

interface Tracked {
  summary: ConnectionSummary;
  pending: Record<Side, Pending>;
  handshakeViolations: ViolationRecord[];
}

const NONE: never[] = [];

/**
 * The single stream of records: the proxy (or a saved log) adds them in order, consumers
 * (UI, headless printer, log writer) subscribe. It links frames and violations to the
 * message they belong to; consumers never reach back into the proxy. With an AppLayer, message
 * records gain what their application protocol says (`app`) before any consumer sees them.
 */
export class SessionStore {
  private readonly open = new Map<number, Tracked>();
  private readonly listeners: RecordListener[] = [];

  constructor(private readonly app: AppLayer | null = null) {}

  subscribe(listener: RecordListener): void {
    this.listeners.push(listener);
  }

  add(record: LogRecord): void {
    let stored: StoredRecord;
    if (record.type === 'session') stored = { record, connection: null, frames: NONE, violations: NONE };
    else {
      if (this.app !== null && record.type !== 'frame') this.app.see(record);
      const t = this.open.get(record.conn) ?? this.track(record.conn);
      stored = { record, connection: t.summary, frames: NONE, violations: NONE };
      switch (record.type) {
        case 'handshake':
          t.summary.url = record.url;
          t.summary.upgraded = true;
          stored.violations = t.handshakeViolations;
          t.handshakeViolations = [];
          break;
        case 'violation':
          // Handshake violations come before the handshake record; the rest before their message.
          if (t.summary.upgraded) t.pending[record.from].violations.push(record);
          else t.handshakeViolations.push(record);
          break;
        case 'frame':
          t.pending[record.from].frames.push(record);
          break;
        case 'message': {
          const p = t.pending[record.from];
          // A control message is one frame, which may come between the frames of a fragmented message
          // (RFC 6455 §5.4): it takes only its own frame; the data frames before it wait for their message.
          const n = p.frames.length;
          const ownFrameOnly = record.kind !== 'text' && record.kind !== 'binary' && n > 0 && p.frames[n - 1]!.opcode >= 8;
          // splice hands over exactly the frames taken (the UI keeps them) and leaves the pending list for reuse.
          stored.frames = ownFrameOnly ? p.frames.splice(n - 1) : p.frames.splice(0);
          if (p.violations.length > 0) stored.violations = p.violations.splice(0);
          break;
        }
        case 'end':
          stored.violations = [...t.handshakeViolations, ...t.pending.client.violations, ...t.pending.server.violations];
          this.open.delete(record.conn);
          break;
      }
    }
    for (const l of this.listeners) l(stored);
  }

  private track(conn: number): Tracked {
    const t: Tracked = {
      summary: { conn, url: null, upgraded: false },
      pending: { client: { frames: [], violations: [] }, server: { frames: [], violations: [] } },
      handshakeViolations: [],
    };
    this.open.set(conn, t);
    return t;
  }
}
