/**
 * Benchmark Socket.IO echo server (`socket.io`), the `sio64` workload's upstream, run as a child
 * process (fork) like the `ws` echo server. Listens on 127.0.0.1 only, on a free port, WebSocket
 * transport only (no HTTP long-polling), and reports the port to the parent over IPC as `{ port }`.
 * Every event `m` goes back to its sender as it came: `socket.on('m', (data) => socket.emit('m', data))`.
 */
import http from 'node:http';
import { Server } from 'socket.io';

const httpServer = http.createServer();
const io = new Server(httpServer, { transports: ['websocket'], serveClient: false });

io.on('connection', (socket) => {
  socket.on('m', (data: unknown) => socket.emit('m', data));
});

httpServer.listen(0, '127.0.0.1', () => {
  const address = httpServer.address();
  if (address === null || typeof address === 'string') throw new Error(`unexpected address ${String(address)}`);
  process.send?.({ port: address.port });
});

httpServer.on('error', (err) => {
  process.stderr.write(`sio-echo-server: ${err.message}\n`);
  process.exit(1);
});

// The parent going away (IPC closed) ends this process too: nothing is left behind.
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
