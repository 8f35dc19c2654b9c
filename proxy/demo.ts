import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer, type RawData } from 'ws';

/** The embedded demo's server: a page and its WebSocket on one port, like the seed article's setup. */
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

/** Starts the demo server on 127.0.0.1 (any free port): echoes, greets, streams ticks on subscribe, closes on "kick". */
export async function startDemoServer(): Promise<DemoServer> {
  const server = http.createServer((req, res) => {
    if (req.url === '/' || req.url === '/index.html') res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(PAGE);
    else res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
  });
  const wss = new WebSocketServer({
    server,
    perMessageDeflate: { threshold: 0 },
    handleProtocols: (protocols) => (protocols.has('chat') ? 'chat' : false),
  });
  wss.on('connection', (ws) => {
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

/** How long any one step of the script may take before the demo gives up on it. */
const STEP_TIMEOUT_MS = 5000;

/**
 * Plays a scripted session through the proxy at `proxyOrigin` (http://host:port): text, JSON,
 * binary, a fragmented message, compressed and uncompressed messages, ping/pong, a page load,
 * a client close and a server close.
 */
export async function runDemoClient(proxyOrigin: string): Promise<void> {
  await fetchPage(`${proxyOrigin}/`);
  const wsOrigin = proxyOrigin.replace(/^http/, 'ws');

  const chat = await open(`${wsOrigin}/chat`, ['chat'], true);
  await chat.next(); // "Hello, world"
  chat.ws.send(JSON.stringify({ type: 'subscribe', channel: 'prices' }));
  await chat.next(3);
  chat.ws.send('Hello from the wspeek demo client');
  await chat.next();
  chat.ws.send(Buffer.from(Array.from({ length: 32 }, (_, i) => i * 8)));
  await chat.next();
  chat.ws.send('fragmented ', { fin: false });
  chat.ws.send('into three ', { fin: false });
  chat.ws.send('frames', { fin: true });
  await chat.next();
  chat.ws.send('wspeek '.repeat(600));
  await chat.next();
  chat.ws.send('sent without compression', { compress: false });
  await chat.next();
  chat.ws.ping('heartbeat-1');
  await chat.pong();
  chat.ws.close(1000, 'bye');
  await chat.closed();

  const plain = await open(`${wsOrigin}/plain`, [], false);
  await plain.next();
  plain.ws.send('kick');
  await plain.closed();
}

interface Scripted {
  ws: WebSocket;
  /** Resolves once `n` more messages than already awaited have arrived (they may have arrived already). */
  next(n?: number): Promise<void>;
  pong(): Promise<void>;
  closed(): Promise<void>;
}

function open(url: string, protocols: string[], deflate: boolean): Promise<Scripted> {
  const ws = new WebSocket(url, protocols, { perMessageDeflate: deflate ? { threshold: 0 } : false });
  let received = 0;
  let awaited = 0;
  let waiters: Array<{ count: number; resolve: () => void }> = [];
  ws.on('message', () => {
    received++;
    waiters = waiters.filter((w) => (received >= w.count ? (w.resolve(), false) : true));
  });
  const closed = new Promise<void>((r) => ws.once('close', () => r()));
  return withTimeout(new Promise<Scripted>((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () => resolve({
      ws,
      closed: () => withTimeout(closed, 'close'),
      next: (n = 1) => {
        awaited += n;
        const count = awaited;
        if (received >= count) return Promise.resolve();
        return withTimeout(new Promise<void>((r) => waiters.push({ count, resolve: r })), 'reply');
      },
      pong: () => withTimeout(new Promise<void>((r) => ws.once('pong', () => r())), 'pong'),
    }));
  }), `open ${url}`);
}

function fetchPage(url: string): Promise<void> {
  return withTimeout(new Promise<void>((resolve, reject) => {
    http.get(url, (res) => {
      res.resume();
      res.on('end', resolve);
    }).on('error', reject);
  }), `GET ${url}`);
}

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`demo: ${what} took over ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
