import net from 'node:net';
import { Socks5Handshake, type Socks5Credentials } from '../core/socks/socks5-handshake.js';
import { enterTunnel, type TunnelOptions } from './connect-tunnel.js';
import type { ConnectionRegistry } from './connection-registry.js';

/**
 * wspeek's SOCKS5 listener (forward mode), beside the HTTP proxy: each connection is registered
 * (and refused outside --allow) like the HTTP proxy's, answers the SOCKS5 handshake (with
 * `credentials`, RFC 1929 username/password is required), then enters the same tunnel a CONNECT
 * does: TLS intercepted, plain HTTP read, its `tunnel` record saying `via: "socks"`. A refused
 * handshake ends the connection; its `end` record says why.
 */
export function socksListener(registry: ConnectionRegistry, credentials: Socks5Credentials | null, tunnel: TunnelOptions): net.Server {
  // Half-open like the HTTP server's sockets: the tunnel's insides are served by it.
  const server = net.createServer({ allowHalfOpen: true });
  server.on('connection', (socket: net.Socket) => {
    const c = registry.accept(socket);
    if (!c) return;
    socket.on('error', (err) => registry.fail(c, err.message));
    const handshake = new Socks5Handshake(credentials);
    // The client gave up before the handshake ended.
    const onEnd = () => socket.end();
    const onData = (chunk: Buffer) => {
      const step = handshake.push(chunk);
      if (step.reply) socket.write(step.reply);
      if (step.kind === 'pending') return;
      socket.off('data', onData);
      socket.off('end', onEnd);
      if (step.kind === 'refused') {
        registry.fail(c, `SOCKS: ${step.reason}`);
        // Half-open would wait for the client's FIN: once the reply is out, the connection is over.
        socket.end(() => socket.destroy());
        return;
      }
      const head = Buffer.from(step.rest.buffer, step.rest.byteOffset, step.rest.length);
      enterTunnel(socket, head, c, { via: 'socks', host: step.host, port: step.port }, tunnel);
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
  });
  return server;
}
