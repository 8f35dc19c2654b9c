import type net from 'node:net';
import tls from 'node:tls';
import type { PassHosts } from '../../core/capture/pass-hosts.js';
import { tunnelRecord } from '../../core/log/records.js';
import { now } from '../clock.js';
import type { TunnelRequest } from '../connect-tunnel.js';
import type { Connection, ConnectionRegistry } from '../connection-registry.js';
import type { DecodeQueue } from '../decode-queue.js';
import type { CertificateAuthority } from './certificate-authority.js';

/** The magic host that serves wspeek's CA certificate through the proxy. */
export const CA_HOST = 'wspeek.ca';

export interface InterceptionOptions {
  ca: CertificateAuthority;
  records: DecodeQueue;
  registry: ConnectionRegistry;
  /** Takes the terminated TLS socket: HTTP inside it is read as on any connection. */
  serve(secure: tls.TLSSocket): void;
  /** Takes the key log lines of the TLS session with the client, or null. */
  keyLog: ((line: Buffer) => void) | null;
  /** The hosts whose TLS passes through untouched (--pass, --pass-rejected), told of each rejection; or null. */
  pass: PassHosts | null;
}

/**
 * Terminates the client's TLS on a tunnel with a leaf certificate minted for the name it asked for
 * (SNI, else the tunnel's host), then hands the decrypted socket on. Writes the tunnel's record once
 * the handshake with the client completed (`intercepted`) or failed (`rejected`, with why). A client
 * that completes the handshake, then closes or resets before sending any application data (how a
 * TLS 1.2 client, or one that pins its server's certificate, often rejects it) gets a second
 * record, `rejected`.
 */
export function interceptTls(socket: net.Socket, c: Connection, tunnel: TunnelRequest, options: InterceptionOptions): void {
  const { ca, records } = options;
  const { via, host, port } = tunnel;
  let sni: string | null = null;
  let settled = false;
  let rejected = false;
  const record = (tlsState: 'intercepted' | 'rejected', alpn: string | null, version: string | null, alert: string | null) => {
    settled = true;
    if (tlsState === 'rejected') {
      rejected = true;
      options.pass?.rejected(host, sni);
    }
    records.emit(tunnelRecord(c.conn, now(), { via, host, port, tls: tlsState, sni, alpn, version, alert }));
  };
  // Nothing decrypted from the client yet: its close or reset now is a rejection of the certificate.
  const silent = () => !rejected && secure.bytesRead === 0;
  const secure = new tls.TLSSocket(socket, {
    isServer: true,
    ALPNProtocols: ['http/1.1'],
    secureContext: ca.secureContextFor(host),
    SNICallback: (name, cb) => {
      sni = name;
      try {
        cb(null, ca.secureContextFor(name));
      } catch (err) {
        cb(err as Error);
      }
    },
  });
  if (options.keyLog) secure.on('keylog', options.keyLog);
  options.registry.wrap(secure, c);
  const reject = (why: string) => {
    if (!settled) record('rejected', null, null, why);
    else if (silent()) record('rejected', secure.alpnProtocol || null, secure.getProtocol(), why);
    else options.registry.fail(c, `TLS with the client failed: ${why}`);
    socket.destroy();
  };
  // OpenSSL's errors carry the alert as `reason` ("tlsv1 alert unknown ca"); the message adds its source location.
  secure.on('error', (err: Error & { reason?: string }) => reject(err.reason ?? err.message.trim()));
  // A client that rejects the certificate without an alert (Node's tls does) just closes
  // mid-handshake: report it, and don't leave the half-open socket (allowHalfOpen) behind.
  secure.once('end', () => {
    if (!settled) reject('the client closed the connection during the handshake');
    else if (silent()) record('rejected', secure.alpnProtocol || null, secure.getProtocol(), 'the client closed the connection after the handshake without sending anything');
  });
  secure.once('secure', () => {
    record('intercepted', secure.alpnProtocol || null, secure.getProtocol(), null);
    options.serve(secure);
  });
}
