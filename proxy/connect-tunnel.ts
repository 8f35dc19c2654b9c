import http from 'node:http';
import type net from 'node:net';
import { tlsServerName } from '../core/capture/tls-server-name.js';
import { httpRecord, tunnelRecord, type TunnelRecord } from '../core/log/records.js';
import { now } from './clock.js';
import type { Connection } from './connection-registry.js';
import { parseAuthority } from './destination.js';
import { interceptTls, type InterceptionOptions } from './tls/interception.js';
import { passThrough } from './tls/passthrough.js';

/** The most ClientHello bytes read to find the SNI: a record's largest (2^14) and its header (RFC 8446 §5.1). */
const MAX_HELLO = 5 + (1 << 14);

export interface TunnelOptions extends InterceptionOptions {
  /** Takes a tunnel's socket once its bytes are known to be plain HTTP. */
  servePlain(socket: net.Socket): void;
}

/** A CONNECT request (forward mode): answers 200, then enters the tunnel. */
export function openTunnel(req: http.IncomingMessage, socket: net.Socket, head: Buffer, c: Connection, options: TunnelOptions): void {
  const { records } = options;
  const started = now();
  const authority = parseAuthority(req.url ?? '');
  if (!authority) {
    socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    records.emit(httpRecord(c.conn, started, now(), 'CONNECT', req.url ?? '', 400, 'bad CONNECT authority'));
    return;
  }
  const { host, port } = authority;
  socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
  records.emit(httpRecord(c.conn, started, now(), 'CONNECT', `${host}:${port}`, 200));
  enterTunnel(socket, head, c, { via: 'connect', host, port }, options);
}

/** Where a tunnel leads and how the client asked for it (a CONNECT or a SOCKS request). */
export interface TunnelRequest {
  via: TunnelRecord['via'];
  host: string;
  port: number;
}

/**
 * A tunnel the client was told is open: sniffs its first byte (from `head` when it already came).
 * A TLS record (0x16, a handshake) is intercepted with wspeek's CA, or relayed untouched when
 * --pass names its host (the CONNECT or SOCKS host, or the ClientHello's SNI); an HTTP request is
 * read as plain HTTP, since browsers tunnel ws:// too; anything else is relayed byte for byte
 * (its `tunnel` record says `passthrough`, without an SNI).
 */
export function enterTunnel(socket: net.Socket, head: Buffer, c: Connection, request: TunnelRequest, options: TunnelOptions): void {
  const { records } = options;
  const { via, host, port } = request;
  const sniff = (first: Buffer) => {
    // Paused, so the bytes put back stay buffered for the next reader; in flowing mode they
    // would be emitted again at once, to no listener, and the ClientHello would be lost.
    socket.pause();
    socket.unshift(first);
    const isTls = first[0] === 0x16;
    c.tunnel = { host, port, tls: isTls };
    if (isTls) return options.pass?.active ? readServerName(socket, first, (hello, sni) => {
      if (options.pass!.passes(host, sni)) return passThrough(socket, c, request, sni, hello, options);
      socket.unshift(hello);
      interceptTls(socket, c, request, options);
    }) : interceptTls(socket, c, request, options);
    // Neither TLS nor an HTTP request (an MQTT or database client through a SOCKS proxy): relayed byte for byte.
    if (!startsLikeHttp(first)) return passThrough(socket, c, request, null, Buffer.from((socket.read() as Buffer | null) ?? first), options);
    records.emit(tunnelRecord(c.conn, now(), { via, host, port, tls: 'none', sni: null, alpn: null, version: null, alert: null }));
    options.servePlain(socket);
    socket.resume();
  };
  if (head.length > 0) sniff(head);
  else socket.once('data', sniff);
}

/** Refuses a CONNECT in reverse mode: the proxy only forwards to its target there. */
export function refuseTunnel(req: http.IncomingMessage, socket: net.Socket, c: Connection, records: TunnelOptions['records']): void {
  const started = now();
  socket.end(`HTTP/1.1 405 ${http.STATUS_CODES[405]}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
  records.emit(httpRecord(c.conn, started, now(), 'CONNECT', req.url ?? '', 405, 'CONNECT in reverse mode'));
}

/**
 * Reads the client's first TLS record until its SNI is known (or known to be absent), then hands
 * the bytes read and the name on; the socket is left paused.
 */
function readServerName(socket: net.Socket, first: Buffer, then: (hello: Buffer, sni: string | null) => void): void {
  let hello = Buffer.from(socket.read() as Buffer ?? first);
  const decide = (): boolean => {
    const sni = tlsServerName(hello);
    if (sni === undefined && hello.length < MAX_HELLO) return false;
    socket.off('data', more);
    socket.pause();
    then(hello, sni ?? null);
    return true;
  };
  const more = (chunk: Buffer) => {
    hello = Buffer.concat([hello, chunk]);
    decide();
  };
  if (!decide()) {
    socket.on('data', more);
    socket.resume();
  }
}

/** Longest HTTP method name the sniff waits for (`OPTIONS`, `CONNECT`; RFC 9110 §9). */
const MAX_METHOD = 10;

/**
 * Whether a tunnel's first bytes can be an HTTP/1.x request line: a method token of capital
 * letters and then a space (`GET /`, `PRI * HTTP/2.0`), or, in a first chunk too short to tell,
 * capital letters only.
 */
export function startsLikeHttp(first: Buffer): boolean {
  const n = Math.min(first.length, MAX_METHOD + 1);
  for (let i = 0; i < n; i++) {
    const c = first[i]!;
    if (c === 0x20) return i > 0;
    if (c < 0x41 || c > 0x5a) return false;
  }
  return first.length <= MAX_METHOD;
}
