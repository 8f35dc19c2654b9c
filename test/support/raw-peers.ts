// Raw TCP peers for the live-proxy tests: listening, connecting, hand-written handshakes, byte hashes.

import crypto from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { computeAccept } from '../../core/websocket/handshake.js';
import { within } from './wait.js';

/** Where every test peer and proxy listens. */
export const HOST = '127.0.0.1';

/** Listens on an ephemeral port of 127.0.0.1; resolves with the port. */
export async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as net.AddressInfo).port;
}

/** Closes a server, destroying its remaining connections; bounded. */
export async function closeServer(server: net.Server | undefined): Promise<void> {
  if (!server || !server.listening) return;
  (server as http.Server).closeAllConnections?.();
  await within(new Promise<void>((r) => server.close(() => r())), 'server close', 3000).catch(() => {});
}

/** A port that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  const port = await listen(s);
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** The SHA-256 of `b`, in hex. */
export function sha256(b: Buffer): string {
  return crypto.createHash('sha256').update(b).digest('hex');
}

/** A running SHA-256 and byte count of a stream, so big transfers are compared without being kept. */
export class Tally {
  private readonly hash = crypto.createHash('sha256');
  private result: string | null = null;
  bytes = 0;
  /** The first bytes, for reading heads and small bodies. */
  prefix = Buffer.alloc(0);

  /** Hashes and counts one more chunk. */
  add(b: Buffer): void {
    if (this.result !== null) throw new Error('tally already digested');
    this.hash.update(b);
    this.bytes += b.length;
    if (this.prefix.length < 256 * 1024) this.prefix = Buffer.concat([this.prefix, b.subarray(0, 256 * 1024 - this.prefix.length)]);
  }

  /** The SHA-256 of everything added, in hex; nothing may be added after. */
  digest(): string {
    this.result ??= this.hash.digest('hex');
    return this.result;
  }
}

/** An HTTP head: the lines joined by CRLF, then the empty line. */
export function httpHead(lines: string[]): Buffer {
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

/** Drops the lines whose header name is in `names` (case-insensitive). */
function omitHeaders(lines: string[], names: string[]): string[] {
  return lines.filter((l) => !names.some((name) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`)));
}

/** A WebSocket upgrade request for `path` with Host `host`; options add deflate or a User-Agent, or leave headers out. */
export function upgradeHead(path: string, key: string, host: string, options: { deflate?: boolean; userAgent?: string; omit?: string[] } = {}): Buffer {
  return httpHead(omitHeaders([
    `GET ${path} HTTP/1.1`,
    `Host: ${host}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${key}`,
    'Sec-WebSocket-Version: 13',
    ...(options.deflate ? ['Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits'] : []),
    ...(options.userAgent !== undefined ? [`User-Agent: ${options.userAgent}`] : []),
  ], options.omit ?? []));
}

/** A 101 answering `key` (or with a given accept); options add deflate or leave headers out. */
export function switchingProtocols(key: string, options: { deflate?: boolean; accept?: string; omit?: string[] } = {}): Buffer {
  return httpHead(omitHeaders([
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${options.accept ?? computeAccept(key)}`,
    ...(options.deflate ? ['Sec-WebSocket-Extensions: permessage-deflate'] : []),
  ], options.omit ?? []));
}

/** A raw client socket connected to 127.0.0.1:`port`. */
export interface RawConnection {
  socket: net.Socket;
  /** host:port of the client's end, as the proxy's connect record names it. */
  local: string;
  received: Buffer[];
  /** 'end' and 'error:CODE' as they happen. */
  events: string[];
  closed: Promise<void>;
}

/** Connects a raw client socket that records what it receives and what happens to it; `allowHalfOpen` keeps its side open after the proxy's FIN. */
export async function rawConnect(port: number, options: { allowHalfOpen?: boolean } = {}): Promise<RawConnection> {
  const socket = net.connect({ host: HOST, port, allowHalfOpen: options.allowHalfOpen ?? false });
  socket.setNoDelay(true);
  const received: Buffer[] = [];
  const events: string[] = [];
  socket.on('data', (c: Buffer) => received.push(c));
  socket.on('end', () => events.push('end'));
  socket.on('error', (err: NodeJS.ErrnoException) => events.push(`error:${err.code ?? err.message}`));
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  await within(once(socket, 'connect'), 'raw connect');
  return { socket, local: `${socket.localAddress}:${socket.localPort}`, received, events, closed };
}

/** Opens a CONNECT tunnel through the forward proxy; resolves with the raw socket. */
export function connectTunnel(proxyPort: number, authority: string): Promise<net.Socket> {
  return within(new Promise((resolve, reject) => {
    const req = http.request({ host: HOST, port: proxyPort, method: 'CONNECT', path: authority, agent: false });
    req.once('connect', (res, socket, head) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        return reject(new Error(`CONNECT answered ${res.statusCode}`));
      }
      if (head.length > 0) socket.unshift(head);
      resolve(socket);
    });
    req.once('error', reject);
    req.end();
  }), `CONNECT ${authority}`);
}

/** The bytes with the Host line of their request head replaced by a placeholder: reverse mode rewrites only that line. */
export function withoutHost(b: Buffer): Buffer {
  const s = b.toString('latin1');
  const end = s.indexOf('\r\n\r\n');
  const head = s.slice(0, end).replace(/\r\nHost: [^\r\n]*/i, '\r\nHost: <target>');
  return Buffer.from(head + s.slice(end), 'latin1');
}
