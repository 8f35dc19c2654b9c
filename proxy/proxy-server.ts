import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import tls from 'node:tls';
import httpProxy from 'http-proxy';
import type { LogRecord } from '../core/log/records.js';
import { caPage } from './ca-page.js';
import type { AllowList } from './client-allowlist.js';
import { CertificateAuthority } from './certificate-authority.js';
import { now } from './clock.js';
import { decodeQueuedNow } from './decode-later.js';
import { tapUpgrade, type Tap, type Upstream } from './websocket-tap.js';

export interface ProxyOptions {
  host: string;
  port: number;
  /** Reverse mode: every request goes here. Null: forward-proxy mode. */
  target: URL | null;
  maxPayload: number;
  /** Where the interception CA lives (forward mode); loaded on the first TLS tunnel. */
  caDir: string;
  /** Don't verify upstream certificates. */
  insecure: boolean;
  /** Serve only these clients (absent or null: everyone who can connect). */
  allow?: AllowList | null;
  emit: (record: LogRecord) => void;
}

export interface RunningProxy {
  /** The address actually bound, `host:port`. */
  address: string;
  port: number;
  /** Stops listening and ends every connection; each gets its end record. */
  close(reason?: string): Promise<void>;
}

/** The magic host that serves wspeek's CA certificate through the proxy. */
export const CA_HOST = 'wspeek.ca';

/** What wspeek knows of an accepted connection, shared with the TLS socket wrapped around it. */
interface ConnContext {
  conn: number;
  /** For a CONNECT tunnel: where it leads. */
  tunnel: { host: string; port: number; tls: boolean } | null;
  /** A WebSocket tap took it over and will write its end record. */
  tapped: boolean;
  startTs: number;
  /** The client sent its FIN: a plain connection it closed ends `by: 'client'`. */
  clientEnded: boolean;
}

/** Starts wspeek's proxy: reverse when `target` is set, else a forward HTTP proxy with CONNECT and TLS interception. */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  // Its own records go after what the taps have queued for decoding: the log stays in order of observation.
  const emit = (record: LogRecord) => {
    decodeQueuedNow();
    options.emit(record);
  };
  const contexts = new WeakMap<net.Socket, ConnContext>();
  const sockets = new Set<net.Socket>();
  const taps = new Set<Tap>();
  let nextConn = 1;
  /** Set by close(): why the connections still open are ended. */
  let shutdownReason: string | null = null;
  let ca: CertificateAuthority | null = null;
  const loadCa = () => (ca ??= CertificateAuthority.loadOrCreate(options.caDir));

  const server = http.createServer({ maxHeaderSize: 64 * 1024 });
  const web = httpProxy.createProxyServer({ xfwd: false, ws: false, secure: !options.insecure, changeOrigin: options.target !== null });
  // Connection and Keep-Alive are hop-by-hop (RFC 7230 §6.1): they describe the upstream hop, which
  // http-proxy opens with `Connection: close`. Passed on, the upstream's `close` would close the
  // client's keep-alive connection after one response, and its pipelined requests would go unanswered.
  web.on('proxyRes', (proxyRes) => {
    const h = proxyRes.headers;
    for (const token of String(h.connection ?? '').split(',')) if (token.trim()) delete h[token.trim().toLowerCase()];
    delete h.connection;
    delete h['keep-alive'];
  });

  server.on('connection', (socket: net.Socket) => {
    if (contexts.has(socket)) return; // a tunnel's inner socket, already counted
    const ctx: ConnContext = { conn: nextConn++, tunnel: null, tapped: false, startTs: now(), clientEnded: false };
    contexts.set(socket, ctx);
    const t = options.target;
    emit({
      type: 'connect', conn: ctx.conn, ts: ctx.startTs, client: `${socket.remoteAddress}:${socket.remotePort}`,
      server: t ? `${t.hostname}:${portOf(t)}` : null, tls: false,
    });
    if (options.allow && !options.allow.allows(socket.remoteAddress ?? '')) {
      // Not an open relay: a client outside --allow gets nothing, not even an HTTP answer.
      socket.destroy();
      emit({
        type: 'end', conn: ctx.conn, ts: now(), by: 'proxy', code: null, clean: false, bytes: { client: 0, server: 0 },
        frames: { client: 0, server: 0 }, durationMs: now() - ctx.startTs, reason: `client ${socket.remoteAddress} is not in --allow (${options.allow.description})`,
      });
      return;
    }
    sockets.add(socket);
    socket.on('end', () => { ctx.clientEnded = true; });
    socket.on('close', () => {
      sockets.delete(socket);
      if (ctx.tapped) return;
      emit({
        type: 'end', conn: ctx.conn, ts: now(), by: ctx.clientEnded ? 'client' : 'proxy', code: null, clean: false,
        bytes: { client: socket.bytesRead, server: socket.bytesWritten }, frames: { client: 0, server: 0 },
        durationMs: now() - ctx.startTs, reason: ctx.clientEnded ? null : shutdownReason,
      });
    });
  });

  server.on('request', (req, res) => {
    const ctx = contexts.get(req.socket)!;
    const started = now();
    const dest = resolve(req, ctx, options);
    // One record per request: a 502 that wspeek writes itself also fires 'finish'.
    let recorded = false;
    const record = (status: number | null, error?: string) => {
      if (recorded) return;
      recorded = true;
      emit({
        type: 'http', conn: ctx.conn, ts: started, method: req.method ?? '?', url: dest?.url ?? req.url ?? '', status, ms: now() - started, ...(error ? { error } : {}),
      });
    };
    if (dest === null) {
      const body = 'wspeek: this is a proxy; send absolute-URI requests or CONNECT\n';
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) }).end(body);
      return record(400, 'request without a destination');
    }
    if (dest.host === CA_HOST && !dest.tls) {
      const page = caPage(dest.path, loadCa());
      res.writeHead(page.status, page.headers).end(page.body);
      return record(page.status);
    }
    req.url = dest.path;
    res.on('finish', () => record(res.statusCode));
    // 'finish' never comes when the client goes away mid-response.
    res.on('close', () => record(res.headersSent ? res.statusCode : null, 'the client closed the connection before the response was complete'));
    web.web(req, res, { target: dest.origin }, (err) => {
      const reason = `upstream ${dest.host}:${dest.port}: ${err.message}`;
      record(502, reason);
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`wspeek: ${reason}\n`);
      else res.destroy();
    });
  });

  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const ctx = contexts.get(socket)!;
    const dest = resolve(req, ctx, options);
    if (dest === null) {
      socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    ctx.tapped = true;
    const scheme = dest.tls ? 'wss' : 'ws';
    const upstream: Upstream = {
      host: dest.host, port: dest.port, tls: dest.tls, path: dest.path, verify: !options.insecure,
      hostHeader: options.target ? hostHeader(dest.host, dest.port, dest.tls) : null,
      url: `${scheme}://${hostHeader(dest.host, dest.port, dest.tls)}${dest.path}`,
    };
    const tap = tapUpgrade(req, socket, head, upstream, { conn: ctx.conn, maxPayload: options.maxPayload, emit: options.emit });
    taps.add(tap);
    socket.on('close', () => taps.delete(tap));
    socket.resume();
  });

  server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const ctx = contexts.get(socket)!;
    const started = now();
    const authority = parseAuthority(req.url ?? '');
    if (options.target || !authority) {
      const status = options.target ? 405 : 400;
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      emit({ type: 'http', conn: ctx.conn, ts: started, method: 'CONNECT', url: req.url ?? '', status, ms: now() - started, error: options.target ? 'CONNECT in reverse mode' : 'bad CONNECT authority' });
      return;
    }
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    emit({ type: 'http', conn: ctx.conn, ts: started, method: 'CONNECT', url: `${authority.host}:${authority.port}`, status: 200, ms: now() - started });
    // Browsers tunnel ws:// through CONNECT too: sniff the first byte for a TLS record (0x16, a handshake).
    const sniff = (first: Buffer) => {
      // Paused, so the bytes put back stay buffered for the next reader; in flowing mode they
      // would be emitted again at once, to no listener, and the ClientHello would be lost.
      socket.pause();
      socket.unshift(first);
      if (first[0] === 0x16) intercept(socket, ctx, authority);
      else {
        ctx.tunnel = { ...authority, tls: false };
        server.emit('connection', socket);
        socket.resume();
      }
    };
    if (head.length > 0) sniff(head);
    else socket.once('data', sniff);
  });

  /** Terminates the client's TLS with a leaf minted for the name it asked for, then reads HTTP inside. */
  function intercept(socket: net.Socket, ctx: ConnContext, authority: { host: string; port: number }): void {
    let authorityCa: CertificateAuthority;
    try {
      authorityCa = loadCa();
    } catch (err) {
      emit({ type: 'http', conn: ctx.conn, ts: now(), method: 'CONNECT', url: `${authority.host}:${authority.port}`, status: null, ms: 0, error: (err as Error).message });
      socket.destroy();
      return;
    }
    ctx.tunnel = { ...authority, tls: true };
    const secure = new tls.TLSSocket(socket, {
      isServer: true,
      ALPNProtocols: ['http/1.1'],
      secureContext: authorityCa.secureContextFor(authority.host),
      SNICallback: (name, cb) => {
        try {
          cb(null, authorityCa.secureContextFor(name));
        } catch (err) {
          cb(err as Error);
        }
      },
    });
    contexts.set(secure, ctx);
    let handshaken = false;
    const hint = () => (handshaken ? '' : ` (does it trust wspeek's CA? see http://${CA_HOST}/)`);
    secure.on('error', (err) => {
      emit({ type: 'http', conn: ctx.conn, ts: now(), method: 'CONNECT', url: `${authority.host}:${authority.port}`, status: null, ms: 0, error: `TLS with the client failed: ${err.message}${hint()}` });
      socket.destroy();
    });
    // A client that rejects the certificate without an alert (Node's tls does) just closes
    // mid-handshake: report it, and don't leave the half-open socket (allowHalfOpen) behind.
    secure.once('end', () => {
      if (handshaken) return;
      emit({ type: 'http', conn: ctx.conn, ts: now(), method: 'CONNECT', url: `${authority.host}:${authority.port}`, status: null, ms: 0, error: `TLS with the client failed: it closed the connection during the handshake${hint()}` });
      socket.destroy();
    });
    secure.once('secure', () => {
      handshaken = true;
      server.emit('connection', secure);
    });
  }

  server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => {
    const ctx = contexts.get(socket);
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    if (ctx) emit({ type: 'http', conn: ctx.conn, ts: now(), method: '?', url: '', status, ms: 0, error: `bad request from the client: ${err.message}` });
    if (socket.writable) socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    else socket.destroy();
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const bound = server.address() as net.AddressInfo;
  return {
    address: formatHostPort(bound.address, bound.port),
    port: bound.port,
    close(reason = 'wspeek shut down') {
      shutdownReason = reason;
      for (const tap of taps) tap.abort(reason);
      // A destroyed socket's 'close' (which writes its end record) comes a loop turn later than
      // the server's: wait for them all, so every end record is out before the caller closes the log.
      const closed = [...sockets].map((s) => new Promise<void>((r) => s.once('close', () => r())));
      for (const s of sockets) s.destroy();
      web.close();
      return Promise.all([...closed, new Promise<void>((r) => server.close(() => r()))]).then(() => {});
    },
  };
}

interface Destination {
  host: string;
  port: number;
  tls: boolean;
  /** Origin-form request target for the upstream. */
  path: string;
  /** `http(s)://host:port` for http-proxy. */
  origin: string;
  /** The URL for the log. */
  url: string;
}

/** Where a request goes: the reverse target, the tunnel it arrived through, or its absolute URI. */
function resolve(req: http.IncomingMessage, ctx: ConnContext, options: ProxyOptions): Destination | null {
  const raw = req.url ?? '/';
  const t = options.target;
  if (t) {
    const secure = t.protocol === 'wss:' || t.protocol === 'https:';
    // A path in --target is prepended to the request's path.
    const base = t.pathname.endsWith('/') ? t.pathname.slice(0, -1) : t.pathname;
    return destination(t.hostname, portOf(t), secure, `${base}${raw.startsWith('/') ? raw : `/${raw}`}`);
  }
  if (ctx.tunnel) return destination(ctx.tunnel.host, ctx.tunnel.port, ctx.tunnel.tls, raw);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) return null;
  return destination(url.hostname, portOf(url), url.protocol === 'https:' || url.protocol === 'wss:', `${url.pathname}${url.search}`);
}

function destination(host: string, port: number, secure: boolean, path: string): Destination {
  const h = host.startsWith('[') ? host.slice(1, -1) : host;
  const origin = `${secure ? 'https' : 'http'}://${hostHeader(h, port, secure)}`;
  return { host: h, port, tls: secure, path, origin, url: `${origin}${path}` };
}

function portOf(u: URL): number {
  if (u.port) return Number(u.port);
  return u.protocol === 'https:' || u.protocol === 'wss:' ? 443 : 80;
}

/** host[:port], the port left out when it is the scheme's default. */
function hostHeader(host: string, port: number, secure: boolean): string {
  const h = net.isIPv6(host) ? `[${host}]` : host;
  return port === (secure ? 443 : 80) ? h : `${h}:${port}`;
}

function parseAuthority(s: string): { host: string; port: number } | null {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(s);
  if (!m) return null;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return null;
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

function formatHostPort(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The machine's non-internal IPv4 addresses, to point a phone at. */
export function lanAddresses(): string[] {
  return Object.values(os.networkInterfaces()).flat()
    .filter((a): a is os.NetworkInterfaceInfo => !!a && !a.internal && a.family === 'IPv4')
    .map((a) => a.address);
}
