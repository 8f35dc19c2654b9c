/**
 * A plain TCP relay: bytes piped both ways, nothing decoded. The practical floor of any proxy
 * written in Node. Run as a child process (fork), like wspeek, so CPU and memory are accounted
 * the same way. Usage: `node tcp-relay.js <target port>` (target on 127.0.0.1); listens on
 * 127.0.0.1 on a free port and reports it to the parent over IPC as `{ port }`.
 */
import net from 'node:net';

const targetPort = Number(process.argv[2]);
if (!Number.isInteger(targetPort) || targetPort <= 0) {
  process.stderr.write('usage: tcp-relay <target port>\n');
  process.exit(2);
}

const server = net.createServer((client) => {
  const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  client.pipe(upstream);
  upstream.pipe(client);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', close);
  client.on('close', close);
  upstream.on('close', close);
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address() as net.AddressInfo;
  process.send?.({ port: address.port });
});

server.on('error', (err) => {
  process.stderr.write(`tcp-relay: ${err.message}\n`);
  process.exit(1);
});

process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
