import net from 'node:net';
import { tunnelRecord } from '../../core/log/records.js';
import { now } from '../clock.js';
import type { Connection, ConnectionRegistry } from '../connection-registry.js';
import type { TunnelRequest } from '../connect-tunnel.js';
import type { DecodeQueue } from '../decode-queue.js';

/**
 * Relays a TLS tunnel to its upstream byte for byte, without intercepting it: the client's
 * handshake goes to the real server, which answers with its own certificate. `first` holds the
 * bytes already read from the client (its ClientHello). Writes the tunnel's record (`passthrough`)
 * once the upstream is connected; a failed connect ends the tunnel with why.
 */
export function passThrough(
  socket: net.Socket, c: Connection, tunnel: TunnelRequest, sni: string | null, first: Buffer,
  options: { records: DecodeQueue; registry: ConnectionRegistry },
): void {
  const { via, host, port } = tunnel;
  const upstream = net.connect({ host, port });
  upstream.once('connect', () => {
    options.records.emit(tunnelRecord(c.conn, now(), { via, host, port, tls: 'passthrough', sni, alpn: null, version: null, alert: null }));
    upstream.write(first);
    socket.pipe(upstream);
    upstream.pipe(socket);
    socket.resume();
  });
  upstream.on('error', (err) => {
    options.registry.fail(c, `passing the tunnel through to ${host}:${port} failed: ${err.message}`);
    socket.destroy();
  });
  socket.on('error', () => upstream.destroy());
  socket.once('close', () => upstream.destroy());
  upstream.once('close', () => socket.destroy());
}
