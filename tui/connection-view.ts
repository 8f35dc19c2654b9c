import type { Side } from '../core/websocket/events.js';
import type { ActionRecord, ErrorRecord, HandshakeRecord, LogRecord, TunnelRecord, ViolationRecord } from '../core/log/records.js';
import type { StoredRecord } from '../core/store/session-store.js';
import { tunnelSummary } from './line-printer.js';

/** One WebSocket connection in the connections pane. */
export interface ConnectionRow {
  conn: number;
  client: string;
  url: string;
  protocol: string | null;
  /** Short extension names: `deflate` for permessage-deflate. */
  extensions: string[];
  /** The opening handshake; null for an attempt that failed before one (upstream refused, TLS rejected, …). */
  handshake: HandshakeRecord | null;
  /** Why the attempt failed, as wspeek recorded it; null when it didn't. */
  error: string | null;
  /** The CONNECT tunnel the connection came through (forward mode), or null. */
  tunnel: TunnelRecord | null;
  /** What wspeek itself failed at on the connection (decoding stopped), in order. */
  errors: ErrorRecord[];
  /** Violations of the handshake, and at the end those no message claimed. */
  violations: ViolationRecord[];
  /** What wspeek did to the connection as a whole: its handshake edited, close frames sent, resets, directions re-encoded. */
  actions: ActionRecord[];
  /** `open`, `closed 1000`, `HTTP 401`, `reset`… */
  state: string;
  open: boolean;
  messages: Record<Side, number>;
  /** Payload bytes on the wire each way; NaN once a message's is unknown (read from HAR). */
  bytes: Record<Side, number>;
  startTs: number;
  endTs: number | null;
}

/** At most this many connections are listed; the oldest closed ones go first. */
const MAX_CONNECTIONS = 5000;

/**
 * The connections pane: WebSocket connections (those with a handshake) with their state and
 * traffic, and the attempts that failed before one (so a refused upstream or a client that
 * distrusts the CA shows up, with why). Index 0 is "all connections"; index i ≥ 1 is `rows[i - 1]`.
 */
export class ConnectionView {
  readonly rows: ConnectionRow[] = [];
  private readonly byConn = new Map<number, ConnectionRow>();
  private readonly clients = new Map<number, { client: string; ts: number }>();
  /** Tunnels of connections not listed yet, until their handshake (or end). */
  private readonly tunnels = new Map<number, TunnelRecord>();
  /** Open connections that were dropped from the list: still counted open until they end. */
  private readonly droppedOpen = new Set<number>();
  /** 0 = all connections. */
  cursor = 0;
  /**
   * Keep the newest connection in view: on "all connections" the pane shows the newest ones under
   * it; on the newest connection the cursor moves on to each new one. Moving the cursor elsewhere
   * stops it; back to either place starts it again.
   */
  follow = true;
  /** Connections seen, and open now. */
  total = 0;
  openCount = 0;

  add(stored: StoredRecord): void {
    const r: LogRecord = stored.record;
    switch (r.type) {
      case 'connect':
        this.clients.set(r.conn, { client: r.client, ts: r.ts });
        break;
      case 'handshake': {
        const origin = this.clients.get(r.conn);
        this.list({
          conn: r.conn, client: origin?.client ?? '?', url: r.url, protocol: r.protocol,
          extensions: r.extensions.map((e) => (e.name === 'permessage-deflate' ? 'deflate' : e.name)),
          handshake: r, error: null, tunnel: this.tunnels.get(r.conn) ?? null, errors: [], violations: [...stored.violations], actions: [], state: r.upgraded ? 'open' : `HTTP ${r.response.status}`, open: r.upgraded,
          messages: { client: 0, server: 0 }, bytes: { client: 0, server: 0 },
          startTs: origin?.ts ?? r.ts, endTs: null,
        });
        break;
      }
      case 'http':
        if (r.error && !this.byConn.has(r.conn)) this.failed(r.conn, r.url, r.status !== null ? `HTTP ${r.status}` : 'failed', r.error, r.ts);
        break;
      case 'tunnel':
        this.tunnels.set(r.conn, r);
        // A client that refused wspeek's certificate never gets as far as a handshake: list the attempt.
        if (r.tls === 'rejected') this.failed(r.conn, `${r.host}:${r.port}`, 'TLS rejected', tunnelSummary(r), r.ts);
        // A tunnel passed through carries no WebSocket wspeek can see: listed with its bytes and duration once it ends.
        if (r.tls === 'passthrough') this.passedThrough(r);
        break;
      case 'error':
        this.byConn.get(r.conn)?.errors.push(r);
        break;
      case 'action':
        if (r.action === 'closed' || r.action === 'reset' || r.action === 'reencode' || r.target === 'handshake') this.byConn.get(r.conn)?.actions.push(r);
        break;
      case 'message': {
        const row = this.byConn.get(r.conn);
        if (!row) break;
        row.messages[r.from]++;
        row.bytes[r.from] += r.wireLength ?? NaN;
        break;
      }
      case 'end': {
        this.clients.delete(r.conn);
        this.tunnels.delete(r.conn);
        const row = this.byConn.get(r.conn);
        if (!row) {
          if (this.droppedOpen.delete(r.conn)) this.openCount--;
          break;
        }
        row.violations.push(...stored.violations);
        if (row.state === 'passed through') row.bytes = { ...r.bytes };
        if (row.open) this.openCount--;
        row.open = false;
        row.endTs = r.ts;
        if (row.state === 'open') row.state = r.code !== null ? `closed ${r.code}` : r.by === 'proxy' ? 'ended by wspeek' : r.reason ? 'reset' : 'closed';
        break;
      }
    }
  }

  /** A TLS tunnel relayed untouched: open until its end record, which gives its bytes. */
  private passedThrough(r: TunnelRecord): void {
    const origin = this.clients.get(r.conn);
    this.list({
      conn: r.conn, client: origin?.client ?? '?', url: `${r.sni ?? r.host}:${r.port}`, protocol: null, extensions: [], handshake: null, error: null, tunnel: r,
      errors: [], violations: [], actions: [], state: 'passed through', open: true, messages: { client: 0, server: 0 }, bytes: { client: 0, server: 0 },
      startTs: origin?.ts ?? r.ts, endTs: null,
    });
  }

  /** An attempt that failed before any handshake: why, as wspeek recorded it. */
  private failed(conn: number, url: string, state: string, error: string, ts: number): void {
    const origin = this.clients.get(conn);
    this.list({
      conn, client: origin?.client ?? '?', url, protocol: null, extensions: [], handshake: null, error, tunnel: this.tunnels.get(conn) ?? null, errors: [],
      violations: [], actions: [], state, open: false, messages: { client: 0, server: 0 }, bytes: { client: 0, server: 0 }, startTs: origin?.ts ?? ts, endTs: ts,
    });
  }

  private list(row: ConnectionRow): void {
    // A keep-alive connection may fail a request, then upgrade: the handshake's row replaces the failure's.
    const earlier = this.byConn.get(row.conn);
    let selected = this.follow && this.cursor > 0 && this.cursor === this.rows.length;
    if (earlier) {
      const i = this.rows.indexOf(earlier);
      this.rows.splice(i, 1);
      this.total--;
      if (this.cursor === i + 1) selected = true;
      else if (this.cursor > i + 1) this.cursor--;
    }
    this.total++;
    if (row.open) this.openCount++;
    this.rows.push(row);
    if (selected) this.cursor = this.rows.length;
    this.byConn.set(row.conn, row);
    if (this.rows.length > MAX_CONNECTIONS) this.dropOne();
  }

  /** A listed connection by id. */
  get(conn: number): ConnectionRow | undefined {
    return this.byConn.get(conn);
  }

  /** The selected connection's id, or null for "all connections". */
  selectedConn(): number | null {
    return this.cursor === 0 ? null : this.rows[this.cursor - 1]?.conn ?? null;
  }

  selectedRow(): ConnectionRow | undefined {
    return this.cursor === 0 ? undefined : this.rows[this.cursor - 1];
  }

  /** Moves the cursor; on "all connections" or the newest connection it follows again. */
  move(delta: number): void {
    this.select(this.cursor + delta);
  }

  select(index: number): void {
    this.cursor = Math.min(Math.max(index, 0), this.rows.length);
    this.follow = this.cursor === 0 || this.cursor === this.rows.length;
  }

  /** Drops the oldest closed connection (or the oldest one when all are open). */
  private dropOne(): void {
    let i = this.rows.findIndex((r) => !r.open);
    if (i < 0) i = 0;
    const [gone] = this.rows.splice(i, 1);
    this.byConn.delete(gone!.conn);
    if (gone!.open) this.droppedOpen.add(gone!.conn);
    if (this.cursor > i) this.cursor--;
  }
}
