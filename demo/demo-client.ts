import http from 'node:http';
import { WebSocket } from 'ws';

/** How long any one step of the script may take before the demo gives up on it. */
const STEP_TIMEOUT_MS = 5000;
/** Between two plays of the script, when it plays again and again. */
const REPLAY_PAUSE_MS = 2000;

/**
 * Plays the demo's scripted session through the proxy at `proxyOrigin` (http://host:port): once,
 * or, given `until`, again and again every 2 s until `until` resolves. Quitting closes the proxy
 * under the script, so an error after `until` has resolved is expected and ends the replay quietly.
 */
export async function runDemoClient(proxyOrigin: string, until: Promise<void> | null = null): Promise<void> {
  if (!until) return playScript(proxyOrigin);
  let stopped = false;
  void until.then(() => (stopped = true));
  while (!stopped) {
    try {
      await playScript(proxyOrigin);
    } catch (err) {
      if (!stopped) throw err;
    }
    await pause(REPLAY_PAUSE_MS, until);
  }
}

/**
 * The script: text, JSON, binary, a fragmented message, compressed and uncompressed messages,
 * ping/pong, a page load, JSON-RPC calls (one answered, a notification, a batch with an error),
 * a client close and a server close.
 */
async function playScript(proxyOrigin: string): Promise<void> {
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

  const rpc = await open(`${wsOrigin}/rpc`, ['jsonrpc'], false);
  rpc.ws.send(JSON.stringify({ jsonrpc: '2.0', method: 'add', params: [2, 3], id: 1 }));
  await rpc.next();
  rpc.ws.send(JSON.stringify({ jsonrpc: '2.0', method: 'log', params: ['a notification: no reply'] }));
  rpc.ws.send(JSON.stringify([{ jsonrpc: '2.0', method: 'echo', params: ['in a batch'], id: 2 }, { jsonrpc: '2.0', method: 'divide', params: [1, 0], id: 3 }]));
  await rpc.next();
  rpc.ws.close(1000, 'done');
  await rpc.closed();

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

/** Waits `ms`, or less if `until` resolves first; leaves no timer behind. */
function pause(ms: number, until: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout;
  return Promise.race([new Promise<void>((r) => (timer = setTimeout(r, ms))), until]).finally(() => clearTimeout(timer));
}
