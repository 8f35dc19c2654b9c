import type net from 'node:net';
import { connectRecord, undecodedEndRecord } from '../core/log/records.js';
import type { AllowList } from './client-allowlist.js';
import { now } from './clock.js';
import type { DecodeQueue } from './decode-queue.js';
import type { TunnelEnd } from './destination.js';

/** A WebSocket connection carried between client and upstream, which writes its own end record. */
export interface Carrier {
  /** Ends both sides now; the end record says wspeek ended it, and why. */
  abort(reason: string): void;
  /** Resolves once both sides are closed and the end record is out. */
  closed: Promise<void>;
}

/** What wspeek knows of an accepted TCP connection; a TLS socket wrapped around it shares it. */
export interface Connection {
  conn: number;
  startTs: number;
  /** For a CONNECT tunnel: where it leads (and, once classified, whether it is TLS). */
  tunnel: TunnelEnd | null;
  /** The carrier (the WebSocket tap) that took the connection over; it writes the end record. */
  carrier: Carrier | null;
  /** The client sent its FIN: a plain connection it closed ends `by: 'client'`. */
  clientEnded: boolean;
  /** What went wrong with it, for its end record. */
  failure: string | null;
}

/**
 * The proxy's accepted connections: numbers them, writes their `connect` record, refuses clients
 * outside --allow, writes the `end` record of every connection no carrier took over, and ends
 * them all at shutdown.
 */
export class ConnectionRegistry {
  private readonly bySocket = new WeakMap<net.Socket, Connection>();
  private readonly sockets = new Set<net.Socket>();
  private readonly carriers = new Set<Carrier>();
  private nextConn = 1;
  /** Set by closeAll(): why the connections still open are ended. */
  private shutdownReason: string | null = null;

  constructor(
    private readonly records: DecodeQueue,
    /** The reverse target, named in each `connect` record; null in forward mode. */
    private readonly server: string | null,
    private readonly allow: AllowList | null,
  ) {}

  /** A new TCP connection from a client: its record, or null when it was refused (and destroyed). */
  accept(socket: net.Socket): Connection | null {
    const c: Connection = { conn: this.nextConn++, startTs: now(), tunnel: null, carrier: null, clientEnded: false, failure: null };
    this.bySocket.set(socket, c);
    this.records.emit(connectRecord(c.conn, c.startTs, `${socket.remoteAddress}:${socket.remotePort}`, this.server));
    if (this.allow && !this.allow.allows(socket.remoteAddress ?? '')) {
      // Not an open relay: a client outside --allow gets nothing, not even an HTTP answer.
      socket.destroy();
      const reason = `client ${socket.remoteAddress} is not in --allow (${this.allow.description})`;
      this.records.emit(undecodedEndRecord(c.conn, now(), c.startTs, 'proxy', { client: 0, server: 0 }, reason));
      return null;
    }
    this.sockets.add(socket);
    socket.on('end', () => { c.clientEnded = true; });
    socket.on('close', () => {
      this.sockets.delete(socket);
      if (c.carrier) return;
      const bytes = { client: socket.bytesRead, server: socket.bytesWritten };
      const reason = c.failure ?? (c.clientEnded ? null : this.shutdownReason);
      this.records.emit(undecodedEndRecord(c.conn, now(), c.startTs, c.clientEnded ? 'client' : 'proxy', bytes, reason));
    });
    return c;
  }

  /** The connection a socket belongs to (the accepted socket, or a TLS socket wrapped around it). */
  of(socket: net.Socket): Connection | undefined {
    return this.bySocket.get(socket);
  }

  /** A TLS socket terminated on top of `c`'s socket: it belongs to the same connection. */
  wrap(secure: net.Socket, c: Connection): void {
    this.bySocket.set(secure, c);
  }

  /** Something failed on `c` (its socket is being destroyed): its end record will say why. */
  fail(c: Connection, reason: string): void {
    c.failure ??= reason;
  }

  /**
   * `carrier` carries `c` from now on, until both its sides are closed: the client's side may
   * close first while the upstream's still has bytes to deliver.
   */
  carry(c: Connection, carrier: Carrier): void {
    c.carrier = carrier;
    this.carriers.add(carrier);
    void carrier.closed.then(() => this.carriers.delete(carrier));
  }

  /** Ends every connection; resolves once each has written its end record and closed its sockets. */
  closeAll(reason: string): Promise<void> {
    this.shutdownReason = reason;
    const carried = [...this.carriers].map((carrier) => carrier.closed);
    for (const carrier of this.carriers) carrier.abort(reason);
    // A destroyed socket's 'close' (which writes its end record) comes a loop turn later: wait for them all.
    const closed = [...this.sockets].map((s) => new Promise<void>((r) => s.once('close', () => r())));
    for (const s of this.sockets) s.destroy();
    return Promise.all([...carried, ...closed]).then(() => {});
  }
}
