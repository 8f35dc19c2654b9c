import {
  connectRecord, errorRecord, eventRecord, sessionRecord, undecodedEndRecord, type LogRecord,
} from '../log/records.js';
import { ConnectionDecoder } from '../websocket/connection-decoder.js';
import { otherSide, type Side, type WsEvent } from '../websocket/events.js';
import { IpReader } from './ip-packet.js';
import type { KeyLog } from './key-log.js';
import { networkPacket } from './link-layer.js';
import type { CapturedPacket } from './pcap-reader.js';
import { TcpReassembly, type TcpStreamSink } from './tcp-reassembly.js';
import { tcpSegment, type TcpSegment } from './tcp-segment.js';
import { TlsDecryptor, type TlsFailure } from './tls-decrypt.js';
import { startsWithTlsHandshake, tlsServerName } from './tls-server-name.js';
import { upgradeRequestAt } from './upgrade-request.js';
import { headerValues } from '../websocket/http-head.js';

/** IP protocol number of TCP. */
const TCP = 6;
/** Client bytes read to tell what a connection carries (an HTTP head, a TLS ClientHello) before giving up. */
const MAX_UNDECIDED_BYTES = 64 * 1024;

export interface CaptureConnectionsOptions {
  /** The capture file's name, for the session record's `source`. */
  source: string;
  /** The key log (`--keylog`) that decrypts TLS connections; without it they are counted and reported, not decoded. */
  keyLog?: KeyLog | null;
}

/**
 * Turns a capture's packets, in capture order, into session-log records: `session` (mode `pcap`),
 * then per TCP connection `connect` and `end`, and for a connection whose client opened with an
 * HTTP/1.1 upgrade request (any port) everything the ConnectionDecoder reports (handshake, frames,
 * messages, violations) with the capture's timestamps, exactly as the live proxy decodes it.
 *
 * Each direction is reassembled by a TcpReassembly. What the capture can't show is said in
 * `error` records: a gap (decoding of that connection stops there, nothing is guessed), bytes
 * retransmitted with different content, a connection joined mid-stream (the bytes skipped up to
 * its first upgrade request), and TLS that is not decrypted (`where: "tls"`, with the SNI).
 *
 * With a key log, a TLS connection's two streams go through a TlsDecryptor first and its
 * plaintext takes the plain path (upgrade request, ConnectionDecoder), its handshake URL `wss://`.
 * Decryption that stops (no key, an unsupported suite, a record that does not authenticate) is an
 * `error` record `where: "tls"` and the rest of the connection is counted; a gap in a decrypted
 * stream stops decryption with the gap's record, as it stops decoding on the plain path.
 */
export class CaptureConnections {
  /** Connections seen so far: the last one's `conn`. */
  private connections = 0;
  private readonly ip = new IpReader();
  private readonly open = new Map<string, CaptureConnection>();
  private started = false;
  private lastTs = 0;

  constructor(private readonly options: CaptureConnectionsOptions, private readonly emit: (r: LogRecord) => void) {}

  /** The capture's next packet. */
  packet(p: CapturedPacket): void {
    this.start(p.ts);
    this.lastTs = Math.max(this.lastTs, p.ts);
    const net = networkPacket(p.linkType, p.data);
    const datagram = net && this.ip.read(net.version, net.data);
    if (!datagram) return;
    const segment = datagram.protocol === TCP ? tcpSegment(datagram.payload) : null;
    if (!segment) return;
    const src = endpoint(datagram.src, segment.srcPort, datagram.version);
    const dst = endpoint(datagram.dst, segment.dstPort, datagram.version);
    const key = src < dst ? `${src} ${dst}` : `${dst} ${src}`;
    let c = this.open.get(key);
    // A client's SYN on the addresses of a connection that is ending, or with another initial sequence number, starts a new one.
    if (c && segment.syn && !segment.ack && (c.closing || c.startsAnew(c.client === src ? 'client' : 'server', segment))) {
      c.finish(p.ts, null);
      c = undefined;
    }
    if (!c) {
      // Only a SYN or data opens a connection: an ACK, FIN or RST alone is the tail of one that ended (or began) outside the capture.
      if (!segment.syn && segment.payload.length === 0) return;
      c = new CaptureConnection(++this.connections, p.ts, clientFirst(segment) ? [src, dst] : [dst, src], this.options.keyLog ?? null, this.emit);
      this.open.set(key, c);
    }
    c.segment(c.client === src ? 'client' : 'server', segment, p.ts);
    if (c.done) this.open.delete(key);
  }

  /** The capture is over: connections still open end here, their holes reported as gaps. */
  end(): void {
    this.start(this.lastTs);
    for (const c of this.open.values()) c.finish(this.lastTs, 'the capture ended before the connection did');
    this.open.clear();
  }

  private start(ts: number): void {
    if (this.started) return;
    this.started = true;
    this.emit(sessionRecord(ts, 'pcap', null, null, this.options.source));
  }
}

/** `host:port`, IPv6 in brackets. */
function endpoint(address: string, port: number, version: 4 | 6): string {
  return version === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * Whether the segment's sender is the client: it sent the SYN, or it is the side with the higher
 * port when the capture began after the handshake (clients use ephemeral ports).
 */
function clientFirst(s: TcpSegment): boolean {
  if (s.syn) return !s.ack;
  return s.srcPort > s.dstPort;
}

/** How an error record names a TLS connection: by its SNI when the ClientHello had one. */
function tlsName(sni: string | null): string {
  return sni ? `TLS to ${sni}` : 'TLS (no server name)';
}

/** What a connection's bytes are decoded as, once its client's first bytes say. */
const enum Mode {
  /** Reading the client's first bytes. */
  Undecided,
  WebSocket,
  /** Counted only: not HTTP/1.1 upgrade traffic, TLS without a decryptor, or decoding stopped. */
  Counted,
}

type Chunk = { from: Side; data: Buffer; ts: number };

/** One TCP connection of the capture: its two reassembled directions and what they are decoded as. */
class CaptureConnection {
  /** `host:port`; swapped (with everything else per side) when a connection joined mid-stream turns out to have its client on the lower port. */
  client: string;
  server: string;
  /** Both directions ended (or one was reset): the connection's end record is out. */
  done = false;
  private mode = Mode.Undecided;
  private readonly streams: Record<Side, TcpReassembly>;
  private readonly bytes = { client: 0, server: 0 };
  /** The sides were swapped: each stream's sink speaks for the other side than it was made for. */
  private flipped = false;
  /** Undecided: every delivered chunk, both sides, in capture order. */
  private held: Chunk[] = [];
  private heldBytes = 0;
  private decoder: ConnectionDecoder | null = null;
  private connected = false;
  private tls = false;
  /** A TLS connection with a key log: the decryptor its TCP bytes go through before the plain path. */
  private decryptor: TlsDecryptor | null = null;
  private firstEnd: Side | null = null;
  private readonly reasons: string[] = [];

  constructor(
    readonly conn: number, private readonly startTs: number, [client, server]: [string, string],
    private readonly keyLog: KeyLog | null, private readonly emit: (r: LogRecord) => void,
  ) {
    this.client = client;
    this.server = server;
    this.streams = { client: new TcpReassembly(this.sink('client')), server: new TcpReassembly(this.sink('server')) };
  }

  /** A side's stream ended: a new SYN on these addresses is a new connection. */
  get closing(): boolean {
    return this.streams.client.ended || this.streams.server.ended;
  }

  /** Whether `s` is a SYN from `from` that opens another connection on the same addresses (see TcpReassembly.startsAnew). */
  startsAnew(from: Side, s: TcpSegment): boolean {
    return this.streams[from].startsAnew(s);
  }

  segment(from: Side, s: TcpSegment, ts: number): void {
    this.streams[from].segment(s, ts);
    if (this.done) return;
    if (s.rst) this.finish(ts, null);
    else if (this.streams.client.ended && this.streams.server.ended) this.finish(ts, null);
  }

  /** Ends the connection: its streams' open holes are gaps; `reason` says why when the capture, not TCP, ended it. */
  finish(ts: number, reason: string | null): void {
    if (this.done) return;
    this.streams.client.flush(ts);
    this.streams.server.flush(ts);
    if (this.mode === Mode.Undecided) this.decide(ts, true);
    this.done = true;
    if (reason) this.reasons.push(reason);
    if (this.decoder) this.decoder.finish(ts, reason ?? undefined);
    else {
      this.connect();
      const by = this.firstEnd ?? 'proxy';
      this.emit(undecodedEndRecord(this.conn, ts, this.startTs, by, { ...this.bytes }, this.reasons.length > 0 ? this.reasons.join('; ') : null));
    }
  }

  private sink(madeFor: Side): TcpStreamSink {
    const side = () => (this.flipped ? otherSide(madeFor) : madeFor);
    return {
      data: (bytes, ts) => this.data(side(), bytes, ts),
      gap: (offset, missing, ts) => this.gap(side(), offset, missing, ts),
      conflict: (offset, length, ts) => {
        if (this.mode !== Mode.WebSocket) return;
        this.emit(errorRecord(this.conn, ts, 'capture',
          `${side()} resent ${length} bytes at stream offset ${offset} with different content; the first copy is decoded`));
      },
      end: (how, ts) => {
        const from = side();
        this.firstEnd ??= from;
        const reason = how === 'rst' ? `${from} reset the connection (RST)` : undefined;
        if (reason && !this.decoder) this.reasons.push(reason);
        this.decoder?.endOfStream(from, ts, reason);
      },
    };
  }

  /** A side's reassembled TCP bytes: decrypted first on a TLS connection with a key log. */
  private data(from: Side, bytes: Buffer, ts: number): void {
    this.bytes[from] += bytes.length;
    if (!this.decryptor) this.plain(from, bytes, ts);
    else if (this.decrypting) this.decryptor.receive(from, bytes, ts);
  }

  /** A TLS connection whose bytes still go through the decryptor (it has not stopped, nor has a gap). */
  private get decrypting(): boolean {
    return this.decryptor !== null && this.mode !== Mode.Counted;
  }

  /** Bytes as the application sent them (TCP's, or the decryptor's plaintext): held until decided, then decoded. */
  private plain(from: Side, bytes: Buffer, ts: number): void {
    if (this.mode === Mode.WebSocket) this.decoder!.receive(from, bytes, ts);
    else if (this.mode === Mode.Undecided) {
      this.held.push({ from, data: bytes, ts });
      this.heldBytes += bytes.length;
      // A server that speaks first (and a client that never does) is not held without bound.
      // Joined mid-stream, either side may turn out to be the client.
      if (from === 'client' || this.streams.client.midStream || this.heldBytes > 4 * MAX_UNDECIDED_BYTES) {
        this.decide(ts, this.heldBytes > 4 * MAX_UNDECIDED_BYTES);
      }
    }
  }

  private gap(from: Side, offset: number, missing: number, ts: number): void {
    const what = `${missing} bytes ${from === 'client' ? 'client→server' : 'server→client'} at stream offset ${offset} are missing from the capture`;
    if (this.mode === Mode.Counted) {
      this.reasons.push(what);
      return;
    }
    if (this.mode === Mode.Undecided) this.decide(ts, true);
    if (this.mode === Mode.WebSocket || this.decrypting) {
      this.emit(errorRecord(this.conn, ts, 'capture', `${what}; ${this.decryptor ? 'decryption' : 'decoding'} of this connection stops here`));
      this.decoder?.endOfStream(from, ts, 'a gap in the capture');
      this.mode = Mode.Counted;
    } else this.reasons.push(what);
  }

  /** Decides from the client's first bytes what the connection carries; `final`: no more will come before deciding. */
  private decide(ts: number, final: boolean): void {
    const client = Buffer.concat(this.held.filter((c) => c.from === 'client').map((c) => c.data));
    if (!this.decryptor && startsWithTlsHandshake(client)) {
      const sni = tlsServerName(client);
      if (sni === undefined && !final && client.length < MAX_UNDECIDED_BYTES) return;
      this.tls = true;
      if (this.keyLog) return this.startDecrypting(this.keyLog, ts, final);
      this.count();
      this.emit(errorRecord(this.conn, ts, 'tls', `${tlsName(sni ?? null)}: not decrypted without a key log (--keylog FILE); its bytes are counted, not decoded`));
      return;
    }
    const midStream = this.streams.client.midStream;
    const found = upgradeRequestAt(client, midStream);
    if (midStream && typeof found !== 'number') {
      // The side taken for the client (the higher port) may be the server: the upgrade request says which.
      const server = Buffer.concat(this.held.filter((c) => c.from === 'server').map((c) => c.data));
      const there = upgradeRequestAt(server, true);
      if (typeof there === 'number') {
        this.swapSides();
        return this.startDecoding(there, ts);
      }
    }
    if (found === 'need-more' && !final && client.length < MAX_UNDECIDED_BYTES) return;
    if (typeof found !== 'number') {
      this.count();
      if (midStream) {
        this.emit(errorRecord(this.conn, ts, 'capture',
          `the capture joined this connection mid-stream and the ${client.length} client bytes read show no HTTP upgrade request; not decoded`));
      }
      return;
    }
    this.startDecoding(found, ts);
  }

  /**
   * Puts a TlsDecryptor between the streams and the plain path, and feeds it the bytes held so
   * far; `final`: nothing more comes before deciding, so the plaintext is decided on too.
   */
  private startDecrypting(keyLog: KeyLog, ts: number, final: boolean): void {
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    this.decryptor = new TlsDecryptor(keyLog, {
      plaintext: (p) => this.plain(p.from, p.bytes, p.ts),
      failure: (f) => this.decryptionStopped(f),
    });
    for (const c of held) if (this.decrypting) this.decryptor.receive(c.from, c.data, c.ts);
    if (final && this.mode === Mode.Undecided) this.decide(ts, true);
  }

  /** The decryptor gave up: said in a `tls` error record, the rest of the connection counted. */
  private decryptionStopped(f: TlsFailure): void {
    this.emit(errorRecord(this.conn, f.ts, 'tls', `${tlsName(f.sni)}: ${f.detail}; the rest of the connection is counted, not decoded`));
    if (this.decoder) this.decoder.endOfStream(f.from, f.ts, 'TLS decryption stopped');
    else this.count();
    this.mode = Mode.Counted;
  }

  /** The client is the other side: its address, stream, bytes and held chunks change places with the server's. */
  private swapSides(): void {
    [this.client, this.server] = [this.server, this.client];
    [this.streams.client, this.streams.server] = [this.streams.server, this.streams.client];
    [this.bytes.client, this.bytes.server] = [this.bytes.server, this.bytes.client];
    this.flipped = !this.flipped;
    for (const c of this.held) c.from = otherSide(c.from);
    if (this.firstEnd) this.firstEnd = otherSide(this.firstEnd);
  }

  /** Counts the connection's bytes from now on, without decoding them. */
  private count(): void {
    this.mode = Mode.Counted;
    this.held = [];
    this.connect();
  }

  /** Feeds the held bytes from the client's upgrade request at `skip` on (and the server's after it) to a decoder. */
  private startDecoding(skip: number, ts: number): void {
    this.mode = Mode.WebSocket;
    this.connect();
    // Decrypted: wss://, and the SNI names the server when the request has no Host.
    const scheme = this.decryptor ? 'wss' : 'ws';
    const fallback = this.decryptor?.session?.sni ?? this.server;
    let url = `${scheme}://${fallback}`;
    const sink = (e: WsEvent) => {
      if (e.type === 'handshake') url = `${scheme}://${headerValues(e.request.headers, 'host')[0] ?? fallback}${e.request.target}`;
      this.emit(eventRecord(this.conn, e, url));
    };
    this.decoder = new ConnectionDecoder({ startTs: this.startTs }, sink);
    const held = this.held;
    this.held = [];
    let clientSkip = skip;
    let serverSkipped = 0;
    let requestSeen = skip === 0;
    for (const c of held) {
      if (c.from === 'client') {
        const data = clientSkip >= c.data.length ? null : c.data.subarray(clientSkip);
        clientSkip = Math.max(0, clientSkip - c.data.length);
        if (!data) continue;
        requestSeen = true;
        this.decoder.receive('client', data, c.ts);
      } else if (requestSeen) this.decoder.receive('server', c.data, c.ts);
      else serverSkipped += c.data.length;
    }
    if (skip > 0 || serverSkipped > 0 || this.streams.client.midStream) {
      this.emit(errorRecord(this.conn, ts, 'capture',
        `the capture joined this connection mid-stream: ${skip} client bytes and ${serverSkipped} server bytes before the first upgrade request were skipped`));
    }
  }

  private connect(): void {
    if (this.connected) return;
    this.connected = true;
    this.emit(connectRecord(this.conn, this.startTs, this.client, this.server, this.tls));
  }
}
