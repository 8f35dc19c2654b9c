import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { EndRecord, LogRecord } from '../core/log/records.js';
import { startProxy, type RunningProxy } from '../proxy/proxy-server.js';

// Load: 1,000 concurrent WebSocket connections (ws client and echo server, all in this process)
// through the proxy in reverse mode. Every message must arrive, every record must be there, and
// nothing may be left behind (file descriptors, heap) once they have all closed.

const HOST = '127.0.0.1';
const CONNECTIONS = 1000;
const BATCH = 100;
const MESSAGES = 5;
/** The 5 messages of a connection are spread over about this long. */
const SPREAD_MS = 2000;
const MiB = 1024 * 1024;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function within<T>(p: Promise<T>, what: string, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function waitUntil(what: string, cond: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

function fdCount(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

async function settleHeap(): Promise<number> {
  for (let i = 0; i < 5; i++) {
    global.gc?.();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().heapUsed;
}

/** Counts the records as they come: keeping 30,000 of them would itself look like a leak. */
class Tally {
  connects = 0;
  handshakes = 0;
  refused = 0;
  http = 0;
  violations: string[] = [];
  frames = { client: 0, server: 0 };
  /** Message records by `from:kind`. */
  messages = new Map<string, number>();
  ends: EndRecord[] = [];
  readonly emit = (r: LogRecord): void => {
    switch (r.type) {
      case 'connect': this.connects++; break;
      case 'handshake':
        this.handshakes++;
        if (!r.upgraded || r.accept !== 'valid') this.refused++;
        break;
      case 'http': this.http++; break;
      case 'violation': this.violations.push(`#${r.conn} ${r.from} ${r.rule}: ${r.detail}`); break;
      case 'frame': this.frames[r.from]++; break;
      case 'message': {
        const k = `${r.from}:${r.kind}`;
        this.messages.set(k, (this.messages.get(k) ?? 0) + 1);
        break;
      }
      case 'end': this.ends.push(r); break;
      default: break;
    }
  };
}

interface Client {
  ws: WebSocket;
  id: number;
  echoes: string[];
  closed: Promise<void>;
}

test(`load: ${CONNECTIONS} concurrent WebSocket connections through the proxy, ${MESSAGES} messages each way, nothing lost, nothing left behind`, async (t) => {
  const fd0 = fdCount();
  const heap0 = await settleHeap();
  const rss0 = process.memoryUsage().rss;
  let peakRss = rss0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  sampler.unref();

  const tally = new Tally();
  const upstreamGot = new Set<string>();
  let upstreamConnections = 0;
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (ws) => {
    upstreamConnections++;
    ws.on('error', () => {});
    ws.on('message', (d: RawData, isBinary: boolean) => {
      upstreamGot.add(d.toString());
      ws.send(d, { binary: isBinary });
    });
  });
  let proxy: RunningProxy | undefined;
  let clients: Client[] = [];
  const started = Date.now();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, HOST, () => resolve());
    });
    const upstreamPort = (server.address() as net.AddressInfo).port;
    proxy = await startProxy({
      host: HOST, port: 0, target: new URL(`ws://${HOST}:${upstreamPort}`), maxPayload: 1024 * 1024,
      ca: null, insecure: false, emit: tally.emit,
    });
    const url = `ws://${HOST}:${proxy.port}/load`;

    // Open them all, a batch at a time (no SYN flood on the listen backlog).
    for (let b = 0; b < CONNECTIONS; b += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, CONNECTIONS - b) }, (_, i) => {
        const ws = new WebSocket(`${url}?c=${b + i}`, { perMessageDeflate: false });
        const c: Client = { ws, id: b + i, echoes: [], closed: new Promise((r) => ws.once('close', () => r())) };
        ws.on('message', (d: RawData) => c.echoes.push(d.toString()));
        clients.push(c);
        return within(new Promise<void>((resolve, reject) => {
          ws.once('open', () => resolve());
          ws.once('error', reject);
          ws.once('unexpected-response', (_req, res) => reject(new Error(`connection ${c.id}: unexpected response ${res.statusCode}`)));
        }), `connection ${c.id} opens`, 15_000);
      });
      await Promise.all(batch);
    }
    for (const c of clients) c.ws.on('error', () => {});
    const openedMs = Date.now() - started;
    assert.equal(upstreamConnections, CONNECTIONS, 'every connection reached the upstream');

    // All open at once: each sends its messages spread over ~2 s and waits for the echoes.
    const exchangeStart = Date.now();
    await within(Promise.all(clients.map(async (c) => {
      for (let k = 0; k < MESSAGES; k++) {
        // Message k goes at a random moment of the k-th fifth of the spread.
        const at = exchangeStart + ((k + Math.random()) * SPREAD_MS) / MESSAGES;
        await sleep(Math.max(0, at - Date.now()));
        c.ws.send(`conn ${c.id} message ${k}`);
      }
      await waitUntil(`connection ${c.id}'s echoes`, () => c.echoes.length >= MESSAGES, 20_000);
    })), 'the message exchange', 30_000);
    const exchangeMs = Date.now() - exchangeStart;
    for (const c of clients) {
      assert.deepEqual(c.echoes, Array.from({ length: MESSAGES }, (_, k) => `conn ${c.id} message ${k}`), `connection ${c.id}: its echoes, in order`);
    }
    assert.equal(upstreamGot.size, CONNECTIONS * MESSAGES, 'every message arrived at the upstream');
    const allOpen = wss.clients.size;

    // Close them all, cleanly.
    const closeStart = Date.now();
    for (const c of clients) c.ws.close(1000, 'done');
    await within(Promise.all(clients.map((c) => c.closed)), 'every client closes', 30_000);
    await waitUntil(`${CONNECTIONS} end records`, () => tally.ends.length >= CONNECTIONS, 10_000);
    const closeMs = Date.now() - closeStart;
    const durationMs = Date.now() - started;

    // The records, counted precisely.
    assert.equal(tally.connects, CONNECTIONS);
    assert.equal(tally.handshakes, CONNECTIONS, 'one handshake record per connection');
    assert.equal(tally.refused, 0, 'every handshake upgraded with a valid accept');
    assert.equal(tally.http, 0);
    assert.deepEqual(tally.violations, [], 'ws peers break no rule');
    assert.deepEqual(Object.fromEntries([...tally.messages].sort()), {
      'client:close': CONNECTIONS,
      'client:text': CONNECTIONS * MESSAGES,
      'server:close': CONNECTIONS,
      'server:text': CONNECTIONS * MESSAGES,
    }, 'message records: 5 texts each way per connection, and a close each way');
    assert.deepEqual(tally.frames, { client: CONNECTIONS * (MESSAGES + 1), server: CONNECTIONS * (MESSAGES + 1) });
    assert.equal(tally.ends.length, CONNECTIONS, 'one end record per connection');
    assert.equal(new Set(tally.ends.map((e) => e.conn)).size, CONNECTIONS, 'no connection ended twice');
    const unclean = tally.ends.filter((e) => !e.clean || e.code !== 1000 || e.by !== 'client' || e.reason !== null
      || e.frames.client !== MESSAGES + 1 || e.frames.server !== MESSAGES + 1);
    assert.deepEqual(unclean.slice(0, 3), [], `${unclean.length} connections did not end cleanly by the client with 1000`);

    // Nothing left behind: file descriptors back to the baseline (the two listening sockets aside)…
    clients = [];
    let fdAfter = fdCount();
    const fdDeadline = Date.now() + 5000;
    while (fdAfter > fd0 + 20 && Date.now() < fdDeadline) {
      await sleep(50);
      fdAfter = fdCount();
    }
    // …and the heap.
    const heapAfter = await settleHeap();
    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    t.diagnostic(`load: ${CONNECTIONS} connections, ${CONNECTIONS * MESSAGES * 2} echoed messages + ${CONNECTIONS * 2} closes, ${allOpen} open at once on the upstream`);
    t.diagnostic(`load: total ${durationMs} ms (open ${openedMs} ms, exchange ${exchangeMs} ms, close ${closeMs} ms)`);
    t.diagnostic(`load: rss ${(rss0 / MiB).toFixed(0)} MiB before, peak ${(peakRss / MiB).toFixed(0)} MiB (+${((peakRss - rss0) / MiB).toFixed(0)} MiB)`);
    t.diagnostic(`load: heapUsed ${(heap0 / MiB).toFixed(1)} MiB before, ${(heapAfter / MiB).toFixed(1)} MiB after (${global.gc ? 'after gc()' : 'no gc() exposed: after setImmediate cycles'})`);
    t.diagnostic(`load: open fds ${fd0} before, ${fdAfter} after everything closed (proxy and upstream still listening)`);
    assert.equal(allOpen, CONNECTIONS, 'all connections were open at the same time');
    assert.ok(fdAfter <= fd0 + 20, `open fds ${fdAfter}, baseline ${fd0}`);
    assert.ok(heapAfter - heap0 < 64 * MiB, `heapUsed grew ${((heapAfter - heap0) / MiB).toFixed(1)} MiB`);
  } finally {
    clearInterval(sampler);
    for (const c of clients) c.ws.terminate();
    await proxy?.close();
    for (const ws of wss.clients) ws.terminate();
    wss.close();
    server.closeAllConnections();
    await within(new Promise<void>((r) => server.close(() => r())), 'upstream close', 3000).catch(() => {});
  }
});
