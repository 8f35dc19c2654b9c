import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import type { PassHosts } from '../core/capture/pass-hosts.js';
import type { FilterPredicate } from '../core/filter/filter.js';
import { httpRecord, type LogRecord } from '../core/log/records.js';
import type { Socks5Credentials } from '../core/socks/socks5-handshake.js';
import type { AllowList } from './client-allowlist.js';
import { now } from './clock.js';
import { openTunnel, refuseTunnel } from './connect-tunnel.js';
import { ConnectionRegistry } from './connection-registry.js';
import { DecodeQueue } from './decode-queue.js';
import { formatHostPort, portOf, resolveDestination } from './destination.js';
import { httpForwarding } from './http-forwarding.js';
import { Interception } from './interception.js';
import { scriptHooks, type Script, type ScriptHostOptions } from './script-host.js';
import { socksListener } from './socks-listener.js';
import type { CertificateAuthority } from './tls/certificate-authority.js';
import type { ClientCertificates } from './tls/client-certificates.js';
import { tapUpgrade } from './websocket-tap.js';

export interface ProxyOptions {
  host: string;
  port: number;
  /** Reverse mode: every request goes here. Null: forward-proxy mode. */
  target: URL | null;
  maxPayload: number;
  /** Forward mode: wspeek's CA, which TLS tunnels are intercepted with (loaded and checked by the caller before the proxy listens). */
  ca: CertificateAuthority | null;
  /** Don't verify upstream certificates. */
  insecure: boolean;
  /** Takes the key log line of every TLS session wspeek has, toward clients and upstreams (Node's `keylog` event); absent or null: none kept. */
  keyLog?: ((line: Buffer) => void) | null;
  /** --client-cert: what every TLS connection to an upstream (wss, https, an intercepted tunnel's far end) offers when asked; absent or null: none. */
  clientCertificates?: ClientCertificates | null;
  /** Forward mode: the hosts whose TLS tunnels pass through untouched (--pass, --pass-rejected); absent or null: none. */
  pass?: PassHosts | null;
  /** Serve only these clients (absent or null: everyone who can connect). */
  allow?: AllowList | null;
  /** Takes every record, in order of observation. */
  emit: (record: LogRecord) => void;
  /** A script that acts on the traffic, with how long its hooks may take and where ctx.log goes. */
  script?: (ScriptHostOptions & { module: Script }) | null;
  /** With a script, the data messages its onMessage sees (null: all); without, the messages held for the user. */
  intercept?: FilterPredicate | null;
  /** Forward mode: a SOCKS5 listener too, on this address, requiring these credentials when not null (absent or null: none). */
  socks?: { host: string; port: number; credentials: Socks5Credentials | null } | null;
}

/** The SOCKS listener could not listen (the HTTP proxy's own failure is thrown as it is). */
export class SocksListenError extends Error {
  constructor(readonly cause: NodeJS.ErrnoException) {
    super(cause.message);
  }
}

export interface RunningProxy {
  /** The address actually bound, `host:port`. */
  address: string;
  port: number;
  /** The SOCKS5 listener's address, `host:port`, and its port; null without one. */
  socksAddress: string | null;
  socksPort: number | null;
  /** Acting on the traffic: holding, editing, injecting. */
  interception: Interception;
  /** Stops listening and ends every connection; each gets its end record. */
  close(reason?: string): Promise<void>;
}

/**
 * Starts wspeek's proxy: reverse when `target` is set, else a forward HTTP proxy with CONNECT
 * and TLS interception. Each accepted connection is registered (and refused outside --allow);
 * then where it goes depends on what it sends: a plain request is forwarded with http-proxy, an
 * upgrade is carried by the WebSocket tap, a CONNECT opens a tunnel whose insides come back here
 * as a connection of their own. With `socks` (forward mode), a SOCKS5 listener beside it enters
 * the same tunnels.
 */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const { target } = options;
  if (!target && !options.ca) throw new Error('a forward proxy needs the CA to intercept TLS with');
  if (target && options.socks) throw new Error('a SOCKS listener is for forward mode only');
  const records = new DecodeQueue(options.emit);
  const interception = new Interception(records);
  if (options.script) interception.useScript(scriptHooks(options.script.module, interception, options.script), options.intercept ?? null);
  else if (options.intercept) interception.setFilter(options.intercept);
  const registry = new ConnectionRegistry(records, target ? `${target.hostname}:${portOf(target)}` : null, options.allow ?? null);
  const keyLog = options.keyLog ?? null;
  const clientCertificates = options.clientCertificates ?? null;
  const web = httpForwarding({ target, verify: !options.insecure, ca: options.ca, records, registry, keyLog, clientCertificates });
  const server = http.createServer({ maxHeaderSize: 64 * 1024 });
  const serve = (socket: net.Socket) => server.emit('connection', socket);

  server.on('connection', (socket: net.Socket) => {
    if (registry.of(socket)) return; // a tunnel's inner socket, already registered
    registry.accept(socket);
  });

  server.on('request', web.handle);

  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const c = registry.of(socket)!;
    const dest = resolveDestination(req, c.tunnel, target);
    if (dest === null) {
      socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    // The tap carries every WebSocket connection, passively until the interception acts on it.
    const carrier = tapUpgrade(req, socket, head, dest, { conn: c.conn, maxPayload: options.maxPayload, verify: !options.insecure, records, interception, keyLog, clientCertificates });
    registry.carry(c, carrier);
    socket.resume();
  });

  const tunnels = options.ca && { ca: options.ca, records, registry, serve, servePlain: serve, keyLog, pass: options.pass ?? null };
  server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const c = registry.of(socket)!;
    if (target || !tunnels) return refuseTunnel(req, socket, c, records);
    openTunnel(req, socket, head, c, tunnels);
  });
  const socks = options.socks && tunnels ? socksListener(registry, options.socks.credentials, tunnels) : null;

  server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => {
    const c = registry.of(socket);
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    if (c) records.emit(httpRecord(c.conn, now(), now(), '?', '', status, `bad request from the client: ${err.message}`));
    if (socket.writable) socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    else socket.destroy();
  });

  await listen(server, options.port, options.host);
  if (socks) {
    try {
      await listen(socks, options.socks!.port, options.socks!.host);
    } catch (err) {
      await new Promise<void>((r) => server.close(() => r()));
      throw new SocksListenError(err as NodeJS.ErrnoException);
    }
  }
  const bound = server.address() as net.AddressInfo;
  const socksBound = socks?.address() as net.AddressInfo | undefined;
  return {
    address: formatHostPort(bound.address, bound.port),
    port: bound.port,
    socksAddress: socksBound ? formatHostPort(socksBound.address, socksBound.port) : null,
    socksPort: socksBound?.port ?? null,
    interception,
    async close(reason = 'wspeek shut down') {
      // Held messages go on: nobody decided to drop them.
      interception.forwardAll('proxy');
      // Requests in flight first: their records come before their connections' end.
      web.close(reason);
      const ended = registry.closeAll(reason);
      const listeners = [server, ...(socks ? [socks] : [])].map((l) => new Promise<void>((r) => l.close(() => r())));
      await Promise.all([ended, ...listeners]);
      records.drain();
    },
  };
}

/** Listens on `host`:`port`; rejects with the listen error (EADDRINUSE, EACCES). */
function listen(server: net.Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
}

/** The machine's non-internal IPv4 addresses, to point a phone at. */
export function lanAddresses(): string[] {
  return Object.values(os.networkInterfaces()).flat()
    .filter((a): a is os.NetworkInterfaceInfo => !!a && !a.internal && a.family === 'IPv4')
    .map((a) => a.address);
}
