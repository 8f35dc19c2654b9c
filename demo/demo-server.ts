import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';

/** The embedded demo's server: a page and its WebSocket on one port. */
export interface DemoServer {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  close(): Promise<void>;
}

const PAGE = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>wspeek demo</title></head>
<body><p id="log">connecting…</p>
<script>
  const ws = new WebSocket('ws://' + location.host + '/chat', 'chat');
  ws.onmessage = (evt) => { document.getElementById('log').textContent = 'Received: ' + evt.data; ws.send('Good bye.'); };
</script></body></html>
`;

/**
 * Starts the demo server on 127.0.0.1 (any free port): echoes, greets, streams ticks on subscribe,
 * closes on "kick"; on /rpc it answers JSON-RPC 2.0 calls.
 */
export async function startDemoServer(): Promise<DemoServer> {
  const server = http.createServer((req, res) => {
    if (req.url === '/' || req.url === '/index.html') res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(PAGE);
    else res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
  });
  const wss = new WebSocketServer({
    server,
    perMessageDeflate: { threshold: 0 },
    handleProtocols: (protocols) => (protocols.has('chat') ? 'chat' : protocols.has('jsonrpc') ? 'jsonrpc' : false),
  });
  wss.on('connection', (ws, req) => {
    if (req.url === '/rpc') return serveJsonRpc(ws);
    ws.send('Hello, world');
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const text = isBinary ? null : data.toString();
      if (text === 'kick') return ws.close(4001, 'kicked by the demo server');
      if (text?.startsWith('{')) {
        const request = JSON.parse(text) as { type?: string; channel?: string };
        if (request.type === 'subscribe') {
          for (let i = 1; i <= 3; i++) ws.send(JSON.stringify({ type: 'tick', channel: request.channel, seq: i, price: 100 + i * 0.25 }));
          return;
        }
      }
      ws.send(data, { binary: isBinary });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((r) => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.close(() => r());
    }),
  };
}

/** JSON-RPC 2.0 calls, one or a batch: `add` and `echo` answer, other methods are errors, notifications get nothing. */
function serveJsonRpc(ws: WebSocket): void {
  ws.on('message', (data: RawData) => {
    const calls = JSON.parse(data.toString()) as RpcCall | RpcCall[];
    const replies = (Array.isArray(calls) ? calls : [calls]).flatMap((c) => (c.id === undefined ? [] : [answer(c)]));
    if (replies.length > 0) ws.send(JSON.stringify(Array.isArray(calls) ? replies : replies[0]));
  });
}

interface RpcCall {
  method: string;
  params?: unknown[];
  id?: number;
}

function answer(c: RpcCall): object {
  const params = c.params ?? [];
  if (c.method === 'add') return { jsonrpc: '2.0', result: params.reduce((a: number, b) => a + Number(b), 0), id: c.id };
  if (c.method === 'echo') return { jsonrpc: '2.0', result: params[0] ?? null, id: c.id };
  return { jsonrpc: '2.0', error: { code: -32601, message: 'Method not found' }, id: c.id };
}
