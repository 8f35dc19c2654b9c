/**
 * Benchmark echo server, run as a child process (fork) so it doesn't share an event loop with
 * the load generator or the proxy. Listens on 127.0.0.1 only, on a free port, and reports it to
 * the parent over IPC as `{ port }`. Every message goes back as it came (text or binary).
 * permessage-deflate is offered to clients that ask for it (threshold 0: every message is
 * compressed); clients that don't offer it get plain frames.
 */
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  maxPayload: 64 * 1024 * 1024,
  perMessageDeflate: { threshold: 0 },
});

wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
  ws.on('error', () => ws.terminate());
});

wss.on('listening', () => {
  const address = wss.address();
  if (address === null || typeof address === 'string') throw new Error(`unexpected address ${String(address)}`);
  process.send?.({ port: address.port });
});

wss.on('error', (err) => {
  process.stderr.write(`echo-server: ${err.message}\n`);
  process.exit(1);
});

// The parent going away (IPC closed) ends this process too: nothing is left behind.
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
