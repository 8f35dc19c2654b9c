import http from 'node:http';
import https from 'node:https';
import httpProxy from 'http-proxy';
import { httpRecord } from '../core/log/records.js';
import { now } from './clock.js';
import type { ConnectionRegistry } from './connection-registry.js';
import type { DecodeQueue } from './decode-queue.js';
import { resolveDestination } from './destination.js';
import { caPage } from './tls/ca-page.js';
import type { CertificateAuthority } from './tls/certificate-authority.js';
import { clientCertificateRefusal, type ClientCertificates } from './tls/client-certificates.js';
import { CA_HOST } from './tls/interception.js';

export interface HttpForwardingOptions {
  target: URL | null;
  /** Verify upstream certificates. */
  verify: boolean;
  /** Serves http://wspeek.ca/ (and https://wspeek.ca/, intercepted) in forward mode. */
  ca: CertificateAuthority | null;
  records: DecodeQueue;
  registry: ConnectionRegistry;
  /** Takes the key log lines of the TLS sessions with upstreams (https), or null. */
  keyLog: ((line: Buffer) => void) | null;
  /** --client-cert: the certificates offered to https upstreams that ask for one, or null. */
  clientCertificates: ClientCertificates | null;
}

export interface HttpForwarding {
  /** The server's 'request' handler. */
  handle(req: http.IncomingMessage, res: http.ServerResponse): void;
  /** Ends every request still in flight upstream; each one's record says why. */
  close(reason: string): void;
}

/**
 * Ordinary HTTP requests, forwarded with http-proxy (one `http` record each): a page and its
 * WebSocket can share the proxy's port. In forward mode, wspeek.ca (http, or https intercepted) serves the CA page.
 */
export function httpForwarding(options: HttpForwardingOptions): HttpForwarding {
  const { records, registry } = options;
  /** Ends a request in flight, with the reason for its record. */
  const inFlight = new Set<(reason: string) => void>();
  const web = httpProxy.createProxyServer({ xfwd: false, ws: false, secure: options.verify, changeOrigin: options.target !== null });
  // Connection and Keep-Alive are hop-by-hop (RFC 7230 §6.1): they describe the upstream hop, which
  // http-proxy opens with `Connection: close`. Passed on, the upstream's `close` would close the
  // client's keep-alive connection after one response, and its pipelined requests would go unanswered.
  web.on('proxyRes', (proxyRes) => {
    const h = proxyRes.headers;
    for (const token of String(h.connection ?? '').split(',')) if (token.trim()) delete h[token.trim().toLowerCase()];
    delete h.connection;
    delete h['keep-alive'];
  });

  function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const c = registry.of(req.socket)!;
    const started = now();
    const dest = resolveDestination(req, c.tunnel, options.target);
    // One record per request: a 502 that wspeek writes itself also fires 'finish'.
    let recorded = false;
    const record = (status: number | null, error?: string) => {
      if (recorded) return;
      recorded = true;
      records.emit(httpRecord(c.conn, started, now(), req.method ?? '?', dest?.url ?? req.url ?? '', status, error));
    };
    if (dest === null) {
      const body = 'wspeek: this is a proxy; send absolute-URI requests or CONNECT\n';
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) }).end(body);
      return record(400, 'request without a destination');
    }
    if (options.ca && dest.host === CA_HOST) {
      const page = caPage(dest.path, options.ca, dest.tls);
      res.writeHead(page.status, page.headers).end(page.body);
      return record(page.status);
    }
    req.url = dest.path;
    // http-proxy would open the upstream request on a fresh agent of its own (`agent: false`) and end
    // it only on the client request's 'aborted', which Node no longer emits once a request was read
    // whole: a client gone, or wspeek stopping, would leave it waiting on the upstream. The same
    // fresh agent, handed over, ends it. Given an agent, http-proxy leaves Connection alone: set it as it would.
    const clientCertificate = dest.tls ? options.clientCertificates?.forHost(dest.host) ?? null : null;
    const agent = dest.tls ? new https.Agent(clientCertificate ? { cert: clientCertificate.cert, key: clientCertificate.key } : {}) : new http.Agent();
    if (agent instanceof https.Agent && options.keyLog) agent.on('keylog', options.keyLog);
    const keepUpgrade = /(^|,)\s*upgrade\s*($|,)/i.test(req.headers.connection ?? '');
    let ended = false;
    const end = (reason: string) => {
      ended = true;
      record(res.headersSent ? res.statusCode : null, reason);
      agent.destroy();
    };
    inFlight.add(end);
    res.on('finish', () => record(res.statusCode));
    // 'finish' never comes when the client goes away mid-response.
    res.on('close', () => {
      inFlight.delete(end);
      if (!ended) end('the client closed the connection before the response was complete');
    });
    web.web(req, res, { target: dest.origin, agent, ...(keepUpgrade ? {} : { headers: { connection: 'close' } }) }, (err) => {
      if (ended) return;
      const refusal = dest.tls ? clientCertificateRefusal(err, clientCertificate) : null;
      const reason = `upstream ${dest.host}:${dest.port}${refusal ? ` ${refusal}` : `: ${err.message}`}`;
      record(502, reason);
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`wspeek: ${reason}\n`);
      else res.destroy();
    });
  }

  return {
    handle,
    close(reason) {
      for (const end of inFlight) end(reason);
      web.close();
    },
  };
}
