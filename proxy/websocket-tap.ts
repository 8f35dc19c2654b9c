import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { errorRecord, eventRecord, httpRecord, undecodedEndRecord } from '../core/log/records.js';
import { ConnectionDecoder } from '../core/websocket/connection-decoder.js';
import type { Side } from '../core/websocket/events.js';
import { now } from './clock.js';
import type { Carrier } from './connection-registry.js';
import type { DecodeQueue } from './decode-queue.js';
import { webSocketUrl, type Destination } from './destination.js';

export interface TapOptions {
  conn: number;
  maxPayload: number;
  /** Verify the upstream's certificate (wss). */
  verify: boolean;
  /** The proxy's records: chunks are queued there for decoding, and the tap's own records go through it in order. */
  records: DecodeQueue;
}

/** Hop-by-hop headers meant for the proxy itself, not forwarded upstream. */
const PROXY_HEADERS = new Set(['proxy-connection', 'proxy-authorization', 'keep-alive']);

/**
 * Joins a client's upgrade request to the upstream and watches the bytes both ways.
 * Every byte is forwarded unchanged and in order (only the request head's Host differs),
 * then the same chunk is queued for the decoder (see DecodeQueue), which only reads it: decoding
 * can't stall or alter forwarding.
 * Backpressure passes through: a side that can't keep up pauses the other.
 */
export function tapUpgrade(req: IncomingMessage, client: net.Socket, head: Buffer, upstream: Destination, options: TapOptions): Carrier {
  const startTs = now();
  const { conn, records } = options;
  const url = webSocketUrl(upstream);
  let decoder: ConnectionDecoder | null = new ConnectionDecoder({ startTs, maxPayload: options.maxPayload }, (e) => records.decoded(eventRecord(conn, e, url)));
  let responded = false;
  let finished = false;
  const closed = { client: false, server: false };
  let bothClosed!: () => void;
  const carried = new Promise<void>((r) => (bothClosed = r));

  /** Feeds the decoder; a decoder fault would stop decoding, never forwarding. */
  const decode = (from: Side, data: Buffer, ts: number) => {
    if (!decoder) return;
    try {
      decoder.receive(from, data, ts);
    } catch (err) {
      decoder = null;
      records.decoded(errorRecord(conn, ts, 'decoder', `decoding stopped (the connection is still forwarded): ${(err as Error).message}`));
    }
  };
  const observe = (from: Side, data: Buffer) => {
    if (decoder) records.later(decode, from, data, now());
  };

  const sent = requestHead(req, null);
  const forwarded = upstream.hostHeader === null && upstream.path === req.url ? sent : requestHead(req, upstream);
  observe('client', sent);
  if (head.length > 0) observe('client', head);

  const server = upstream.tls
    ? tls.connect({
      host: upstream.host, port: upstream.port, rejectUnauthorized: options.verify, ALPNProtocols: ['http/1.1'],
      ...(net.isIP(upstream.host) ? {} : { servername: upstream.host }),
      // tls.connect passes allowHalfOpen on to its socket; @types/node leaves it out.
      ...({ allowHalfOpen: true } as tls.ConnectionOptions),
    })
    : net.connect({ host: upstream.host, port: upstream.port, allowHalfOpen: true });
  server.setNoDelay(true);
  client.setNoDelay(true);
  server.write(forwarded);
  if (head.length > 0) server.write(head);

  pipe(client, server, 'client');
  pipe(server, client, 'server');

  function pipe(from: net.Socket, to: net.Socket, side: Side): void {
    from.on('data', (chunk: Buffer) => {
      if (side === 'server') responded = true;
      if (!to.write(chunk)) from.pause();
      observe(side, chunk);
    });
    to.on('drain', () => from.resume());
    // Half-close: a FIN from one side is passed on as a FIN to the other.
    from.on('end', () => {
      records.after(() => decoder?.endOfStream(side, now()));
      if (!to.destroyed) to.end();
    });
    from.on('error', (err: NodeJS.ErrnoException) => {
      const reason = describeError(side, err, upstream, responded);
      records.after(() => decoder?.endOfStream(side, now(), reason));
      if (side === 'server' && !responded && !client.destroyed) {
        // Nothing came back: answer the client ourselves, as a gateway would.
        badGateway(client, reason);
        records.emit(httpRecord(conn, startTs, now(), req.method ?? 'GET', url, 502, reason));
        return;
      }
      // A reset on one side is passed on as a reset.
      reset(to);
    });
    // Closing `to` with end() rather than destroy() lets what is still queued for it drain first.
    from.on('close', () => {
      closed[side] = true;
      if (!to.destroyed) to.end();
      if (closed.client && closed.server) {
        finish();
        bothClosed();
      }
    });
  }

  function finish(reason?: string): void {
    if (finished) return;
    finished = true;
    records.after(() => {
      if (decoder) decoder.finish(now(), reason);
      else records.decoded(undecodedEndRecord(conn, now(), startTs, reason ? 'proxy' : 'client', { client: client.bytesRead, server: server.bytesRead }, reason ?? 'decoding had stopped'));
    });
  }

  return {
    abort(reason: string) {
      finish(reason);
      client.destroy();
      server.destroy();
    },
    closed: carried,
  };
}

/**
 * The request head as bytes, from the parser's raw header list (names' case, order and
 * duplicates as the client sent them). With `upstream`, rewritten for it: its path, its Host,
 * and no proxy-only headers.
 */
function requestHead(req: IncomingMessage, upstream: Destination | null): Buffer {
  const target = upstream ? upstream.path : req.url ?? '/';
  const lines = [`${req.method} ${target} HTTP/${req.httpVersion}`];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (upstream && PROXY_HEADERS.has(lower)) continue;
    if (upstream?.hostHeader && lower === 'host') lines.push(`${name}: ${upstream.hostHeader}`);
    else lines.push(`${name}: ${raw[i + 1]}`);
  }
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

/** Passes a reset on: RST for a TCP socket; a TLS socket can only be destroyed. */
function reset(socket: net.Socket): void {
  if (socket.destroyed) return;
  if (socket instanceof tls.TLSSocket) socket.destroy();
  else socket.resetAndDestroy();
}

function badGateway(client: net.Socket, reason: string): void {
  const body = `wspeek: ${reason}\n`;
  client.end(`HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

function describeError(side: Side, err: NodeJS.ErrnoException, upstream: Destination, responded: boolean): string {
  if (side === 'server' && !responded) {
    const where = `${upstream.host}:${upstream.port}`;
    if (err.code === 'ECONNREFUSED') return `upstream ${where} refused the connection`;
    if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return `upstream host ${upstream.host} not found`;
    if (err.code === 'ETIMEDOUT') return `upstream ${where} timed out`;
    if (upstream.tls && (err.code?.startsWith('ERR_TLS') || /certificate|self.signed|SSL/i.test(err.message))) {
      return `TLS to upstream ${where} failed: ${err.message} (use --insecure to skip verification)`;
    }
    return `upstream ${where}: ${err.message}`;
  }
  return err.code === 'ECONNRESET' ? `${side} reset the connection` : `${side} socket error: ${err.message}`;
}
