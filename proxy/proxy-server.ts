import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import type { PassHosts } from '../core/capture/pass-hosts.js';
import type { FilterPredicate } from '../core/filter/filter.js';
import { httpRecord, type LogRecord } from '../core/log/records.js';
import type { AllowList } from './client-allowlist.js';
import { now } from './clock.js';
import { openTunnel, refuseTunnel } from './connect-tunnel.js';
import { ConnectionRegistry } from './connection-registry.js';
import { DecodeQueue } from './decode-queue.js';
import { formatHostPort, portOf, resolveDestination } from './destination.js';
import { httpForwarding } from './http-forwarding.js';
import { Interception } from './interception.js';
import { scriptHooks, type Script, type ScriptHostOptions } from './script-host.js';
import type { CertificateAuthority } from './tls/certificate-authority.js';
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
}

export interface RunningProxy {
  /** The address actually bound, `host:port`. */
  address: string;
  port: number;
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
 * as a connection of their own.
 */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const { target } = options;
  if (!target && !options.ca) throw new Error('a forward proxy needs the CA to intercept TLS with');
  const records = new DecodeQueue(options.emit);
  const interception = new Interception(records);
  if (options.script) interception.useScript(scriptHooks(options.script.module, interception, options.script), options.intercept ?? null);
  else if (options.intercept) interception.setFilter(options.intercept);
  const registry = new ConnectionRegistry(records, target ? `${target.hostname}:${portOf(target)}` : null, options.allow ?? null);
  const keyLog = options.keyLog ?? null;
  const web = httpForwarding({ target, verify: !options.insecure, ca: options.ca, records, registry, keyLog });
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
    const carrier = tapUpgrade(req, socket, head, dest, { conn: c.conn, maxPayload: options.maxPayload, verify: !options.insecure, records, interception, keyLog });
    registry.carry(c, carrier);
    socket.resume();
  });

  server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const c = registry.of(socket)!;
    if (target || !options.ca) return refuseTunnel(req, socket, c, records);
    openTunnel(req, socket, head, c, { ca: options.ca, records, registry, serve, servePlain: serve, keyLog, pass: options.pass ?? null });
  });

  server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => {
    const c = registry.of(socket);
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    if (c) records.emit(httpRecord(c.conn, now(), now(), '?', '', status, `bad request from the client: ${err.message}`));
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
    interception,
    async close(reason = 'wspeek shut down') {
      // Held messages go on: nobody decided to drop them.
      interception.forwardAll('proxy');
      // Requests in flight first: their records come before their connections' end.
      web.close(reason);
      const ended = registry.closeAll(reason);
      await Promise.all([ended, new Promise<void>((r) => server.close(() => r()))]);
      records.drain();
    },
  };
}

/** The machine's non-internal IPv4 addresses, to point a phone at. */
export function lanAddresses(): string[] {
  return Object.values(os.networkInterfaces()).flat()
    .filter((a): a is os.NetworkInterfaceInfo => !!a && !a.internal && a.family === 'IPv4')
    .map((a) => a.address);
}
