import type { Side } from './events.js';
import type { LogRecord, MessageRecord } from './session-record.js';

/** What the store knows of one connection, for lists and filters. */
export interface ConnectionSummary {
  conn: number;
  client: string;
  url: string | null;
  /** Violations seen per sender that no message has claimed yet. */
  pendingViolations: Record<Side, number>;
  ended: boolean;
}

/** A record on its way to consumers; for messages, the connection it belongs to and the violations that led up to it. */
export interface StoredRecord {
  record: LogRecord;
  connection: ConnectionSummary | null;
  /** For message records: violations reported by the same sender since its previous message. */
  violations: number;
}

export type RecordListener = (stored: StoredRecord) => void;

/**
 * The single stream of records: the proxy (or a saved log) adds them in order,
 * consumers (UI, headless printer, log writer) subscribe. Consumers never reach back.
 */
export class SessionStore {
  private readonly connections = new Map<number, ConnectionSummary>();
  private readonly listeners: RecordListener[] = [];

  subscribe(listener: RecordListener): void {
    this.listeners.push(listener);
  }

  connection(conn: number): ConnectionSummary | undefined {
    return this.connections.get(conn);
  }

  add(record: LogRecord): void {
    let connection: ConnectionSummary | null = null;
    let violations = 0;
    if (record.type !== 'session') {
      connection = this.connections.get(record.conn) ?? this.track(record.conn, record.type === 'connect' ? record.client : '?');
      switch (record.type) {
        case 'handshake':
          connection.url = record.url;
          break;
        case 'violation':
          connection.pendingViolations[record.from]++;
          break;
        case 'message':
          violations = this.claimViolations(connection, record);
          break;
        case 'end':
          connection.ended = true;
          // Only the summary's url outlives the connection for filters on later reads.
          this.connections.delete(record.conn);
          break;
      }
    }
    const stored: StoredRecord = { record, connection, violations };
    for (const l of this.listeners) l(stored);
  }

  private track(conn: number, client: string): ConnectionSummary {
    const c: ConnectionSummary = { conn, client, url: null, pendingViolations: { client: 0, server: 0 }, ended: false };
    this.connections.set(conn, c);
    return c;
  }

  private claimViolations(c: ConnectionSummary, m: MessageRecord): number {
    const n = c.pendingViolations[m.from];
    c.pendingViolations[m.from] = 0;
    return n;
  }
}
