import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { EndRecord, HttpRecord, LogRecord, MessageRecord } from '../core/log/records.js';
import { ConnectionDecoder } from '../core/websocket/connection-decoder.js';
import { startProxy, type RunningProxy } from '../proxy/proxy-server.js';
import { finished, listeningPort, startCli, useCliSandbox, type CliProcess } from './support/cli-process.js';
import { testCa } from './support/test-ca.js';
import { isType, Records, reverseProxy } from './support/proxy-records.js';
import { closedPort, closeServer, connectTunnel, HOST, listen, rawConnect, sha256, switchingProtocols, upgradeHead } from './support/raw-peers.js';
import { sleep, waitUntil, within } from './support/wait.js';
import { frame } from './support/ws-frames.js';
import { readWholeLog } from './support/whole-log.js';

// Faults: peers that die or reset mid-frame, unreachable upstreams next to healthy connections,
// and the CLI's exits (SIGTERM, an uncaught error, an unwritable --save).

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

interface Upstream {
  server: http.Server;
  wss: WebSocketServer;
  port: number;
  /** Raw upgrades (paths other than /echo): what each received, sent and saw happen. */
  raw: Map<string, { received: Buffer[]; sent: Buffer[]; events: string[]; socket: net.Socket }>;
  close(): Promise<void>;
}

/**
 * An upstream on 127.0.0.1: `/echo` is a ws echo server; other paths get a raw 101 and then
 * `script(path, socket, key)` decides what happens.
 */
async function startUpstream(script: (p: string, socket: net.Socket, key: string, sent: Buffer[]) => void): Promise<Upstream> {
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const raw: Upstream['raw'] = new Map();
  const sockets = new Set<net.Socket>();
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const p = req.url ?? '/';
    if (p.startsWith('/echo')) {
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('error', () => {});
        ws.on('message', (d: RawData, isBinary: boolean) => ws.send(d, { binary: isBinary }));
      });
      return;
    }
    const entry = { received: head.length ? [head] : [], sent: [] as Buffer[], events: [] as string[], socket };
    raw.set(p, entry);
    socket.on('data', (c: Buffer) => entry.received.push(c));
    socket.on('end', () => entry.events.push('end'));
    socket.on('error', (err: NodeJS.ErrnoException) => entry.events.push(`error:${err.code ?? err.message}`));
    socket.on('close', () => entry.events.push('close'));
    const key = String(req.headers['sec-websocket-key'] ?? '');
    script(p, socket, key, entry.sent);
  });
  const port = await listen(server);
  return {
    server, wss, port, raw,
    async close() {
      for (const c of wss.clients) c.terminate();
      for (const s of sockets) s.destroy();
      wss.close();
      await closeServer(server);
    },
  };
}

/** A ws client with its received messages; waits (bounded) for the open. */
async function openWs(url: string, options: WebSocket.ClientOptions = {}): Promise<{ ws: WebSocket; messages: string[] }> {
  const ws = new WebSocket(url, { perMessageDeflate: false, ...options });
  const messages: string[] = [];
  ws.on('message', (d: RawData) => messages.push(d.toString()));
  await within(new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected response ${res.statusCode}`)));
  }), `open ${url}`);
  ws.on('error', () => {});
  return { ws, messages };
}

async function echo(c: { ws: WebSocket; messages: string[] }, text: string): Promise<void> {
  const before = c.messages.length;
  c.ws.send(text);
  await waitUntil(`echo of ${text}`, () => c.messages.length > before);
  assert.equal(c.messages[before], text);
}

async function closeWs(ws: WebSocket | undefined): Promise<void> {
  if (!ws || ws.readyState === WebSocket.CLOSED) return;
  const closed = once(ws, 'close');
  if (ws.readyState === WebSocket.OPEN) ws.close(1000, 'done');
  else ws.terminate();
  await within(closed, 'ws close', 3000).catch(() => ws.terminate());
}

// ---------------------------------------------------------------------------------------------
// Peers failing mid-frame
// ---------------------------------------------------------------------------------------------

test('upstream dies mid-message: the client\'s stream is ended, the end record says the server cut a frame, a concurrent connection is unaffected', async () => {
  const records = new Records();
  let upstream: Upstream | undefined;
  let proxy: RunningProxy | undefined;
  let healthy: { ws: WebSocket; messages: string[] } | undefined;
  let raw: Awaited<ReturnType<typeof rawConnect>> | undefined;
  try {
    upstream = await startUpstream((p, socket, key, sent) => {
      if (p !== '/die') {
        socket.destroy();
        return;
      }
      // Half a frame: the header declares 1000 payload bytes, 500 follow, then the upstream is gone.
      const bytes = Buffer.concat([switchingProtocols(key), frame({ opcode: 2, payload: crypto.randomBytes(500), declaredLength: 1000 })]);
      sent.push(bytes);
      socket.write(bytes, () => socket.destroy());
    });
    proxy = await reverseProxy(records, upstream.port);

    healthy = await openWs(`ws://${HOST}:${proxy.port}/echo`);
    await echo(healthy, 'before the fault');

    raw = await rawConnect(proxy.port);
    const key = crypto.randomBytes(16).toString('base64');
    raw.socket.write(upgradeHead('/die', key, `${HOST}:${proxy.port}`));
    // Meanwhile the healthy connection keeps talking.
    const chatter = (async () => {
      for (let i = 0; i < 20; i++) await echo(healthy!, `during ${i}`);
    })();
    await within(raw.closed, 'the client connection is ended after the upstream died');
    await chatter;
    assert.ok(raw.events.includes('end') || raw.events.includes('error:ECONNRESET'), `the client saw a FIN or a reset: ${raw.events.join(', ')}`);
    const up = upstream.raw.get('/die')!;
    assert.equal(sha256(Buffer.concat(raw.received)), sha256(Buffer.concat(up.sent)), 'the client got every byte the upstream sent before it died');

    const conn = await records.connOf(raw.local);
    const end = await records.waitFor('end record', isType('end', conn)) as EndRecord;
    assert.equal(end.by, 'server', 'no close frame: the side whose stream ended first');
    assert.equal(end.clean, false);
    assert.match(end.reason ?? '', /server stream ended mid-frame \(500 of 1000 payload bytes\)/);
    const cut = records.of(conn).filter(isType('message')) as MessageRecord[];
    assert.deepEqual(cut.map((m) => [m.from, m.kind, m.wireLength, m.incomplete]), [['server', 'binary', 500, true]], 'the cut message is recorded as incomplete');

    // The healthy connection is still fine and ends cleanly.
    await echo(healthy, 'after the fault');
    await closeWs(healthy.ws);
    const healthyConn = (records.all.find((r) => r.type === 'handshake' && r.request.target === '/echo') as LogRecord & { conn: number }).conn;
    const healthyEnd = await records.waitFor('healthy end', isType('end', healthyConn)) as EndRecord;
    assert.equal(healthyEnd.clean, true);
    assert.equal(healthyEnd.reason, null);
    const echoed = records.of(healthyConn).filter((r): r is MessageRecord => r.type === 'message' && r.from === 'server' && r.kind === 'text');
    assert.equal(echoed.length, 22, 'every echo of the healthy connection was decoded');
  } finally {
    healthy?.ws.terminate();
    raw?.socket.destroy();
    await proxy?.close();
    await upstream?.close();
  }
});

test('client resets mid-frame: the reset is passed on to the upstream, the end record says why, the proxy serves on', async () => {
  const records = new Records();
  let upstream: Upstream | undefined;
  let proxy: RunningProxy | undefined;
  let raw: Awaited<ReturnType<typeof rawConnect>> | undefined;
  let healthy: { ws: WebSocket; messages: string[] } | undefined;
  try {
    upstream = await startUpstream((_p, socket, key, sent) => {
      const bytes = switchingProtocols(key);
      sent.push(bytes);
      socket.write(bytes);
    });
    proxy = await reverseProxy(records, upstream.port);
    raw = await rawConnect(proxy.port);
    const key = crypto.randomBytes(16).toString('base64');
    raw.socket.write(upgradeHead('/hold', key, `${HOST}:${proxy.port}`));
    await waitUntil('the 101', () => Buffer.concat(raw!.received).includes('\r\n\r\n'));
    // Half a masked frame: the header declares 1000 bytes, 300 are sent.
    const half = frame({ opcode: 1, payload: Buffer.alloc(1000, 0x61), mask: true }).subarray(0, 2 + 2 + 4 + 300);
    raw.socket.write(half);
    const up = upstream.raw.get('/hold')!;
    await waitUntil('the half frame upstream', () => Buffer.concat(up.received).length >= half.length);
    raw.socket.resetAndDestroy();

    await waitUntil('the upstream socket closes', () => up.events.includes('close'));
    assert.ok(up.events.includes('error:ECONNRESET'), `the upstream saw a reset, as README promises ("a reset as a reset"): ${up.events.join(', ')}`);
    assert.ok(Buffer.concat(up.received).equals(half), 'the upstream got the half frame, unchanged');

    const conn = await records.connOf(raw.local);
    const end = await records.waitFor('end record', isType('end', conn)) as EndRecord;
    assert.equal(end.by, 'client');
    assert.equal(end.clean, false);
    assert.match(end.reason ?? '', /client reset the connection/);
    assert.match(end.reason ?? '', /client stream ended mid-frame \(300 of 1000 payload bytes\)/);

    healthy = await openWs(`ws://${HOST}:${proxy.port}/echo`);
    await echo(healthy, 'still serving');
    await closeWs(healthy.ws);
  } finally {
    healthy?.ws.terminate();
    raw?.socket.destroy();
    await proxy?.close();
    await upstream?.close();
  }
});

test('forward mode: upgrades, GETs and tunnels to a port nobody listens on get 502 with records, while a live connection through the same proxy is unaffected', async () => {
  const records = new Records();
  let upstream: Upstream | undefined;
  let proxy: RunningProxy | undefined;
  let healthy: { ws: WebSocket; messages: string[] } | undefined;
  const sockets: net.Socket[] = [];
  try {
    upstream = await startUpstream((_p, socket) => socket.destroy());
    proxy = await startProxy({ host: HOST, port: 0, target: null, maxPayload: 1024 * 1024, ca: testCa(), insecure: false, emit: records.emit });
    const proxyPort = proxy.port;
    const dead = await closedPort();

    // A live WebSocket through a CONNECT tunnel to the echo upstream.
    const tunnel = await connectTunnel(proxyPort, `${HOST}:${upstream.port}`);
    sockets.push(tunnel);
    healthy = await openWs(`ws://${HOST}:${upstream.port}/echo`, { createConnection: () => tunnel } as WebSocket.ClientOptions);
    await echo(healthy, 'before');

    const failures = await Promise.all([
      // An absolute-form upgrade.
      (async () => {
        const res = await rawExchange(proxyPort, upgradeHead(`ws://${HOST}:${dead}/ws`, crypto.randomBytes(16).toString('base64'), `${HOST}:${dead}`), sockets);
        return { what: 'absolute-form upgrade', ...res };
      })(),
      // An absolute-form GET (http-proxy's path).
      (async () => {
        const res = await rawExchange(proxyPort, Buffer.from(`GET http://${HOST}:${dead}/page HTTP/1.1\r\nHost: ${HOST}:${dead}\r\nConnection: close\r\n\r\n`), sockets);
        return { what: 'absolute-form GET', ...res };
      })(),
      // An upgrade inside a CONNECT tunnel.
      (async () => {
        const t = await connectTunnel(proxyPort, `${HOST}:${dead}`);
        sockets.push(t);
        const res = await exchangeOn(t, upgradeHead('/in-tunnel', crypto.randomBytes(16).toString('base64'), `${HOST}:${dead}`));
        return { what: 'upgrade in a CONNECT tunnel', ...res };
      })(),
      // Meanwhile, the live connection goes on.
      (async () => {
        for (let i = 0; i < 10; i++) await echo(healthy!, `during ${i}`);
        return null;
      })(),
    ]);
    for (const f of failures) {
      if (!f) continue;
      assert.match(f.text, /^HTTP\/1\.1 502 Bad Gateway\r\n/, `${f.what}: 502`);
      const conn = await records.connOf(f.local);
      const h = await records.waitFor(`${f.what}: http 502 record`, (r): r is HttpRecord => r.type === 'http' && r.conn === conn && r.status === 502);
      assert.match(h.error ?? '', /refused|ECONNREFUSED/, `${f.what}: the record says why`);
      assert.ok(h.url.includes(`:${dead}`), `${f.what}: the record names the destination (${h.url})`);
      await records.waitFor(`${f.what}: end record`, isType('end', conn));
    }

    await echo(healthy, 'after');
    await closeWs(healthy.ws);
    const hs = records.all.find((r) => r.type === 'handshake' && r.request.target === '/echo') as LogRecord & { conn: number };
    const end = await records.waitFor('healthy end', isType('end', hs.conn)) as EndRecord;
    assert.equal(end.clean, true);
    assert.equal(end.reason, null);
    assert.equal(records.of(hs.conn).filter((r) => r.type === 'message' && r.from === 'server' && r.kind === 'text').length, 12);
  } finally {
    healthy?.ws.terminate();
    for (const s of sockets) s.destroy();
    await proxy?.close();
    await upstream?.close();
  }
});

test('close() with an idle keep-alive HTTP connection and a live WebSocket: every end record (by proxy, with the reason) is out before close() resolves', async () => {
  const records = new Records();
  let upstream: Upstream | undefined;
  let proxy: RunningProxy | undefined;
  let raw: Awaited<ReturnType<typeof rawConnect>> | undefined;
  let live: { ws: WebSocket; messages: string[] } | undefined;
  try {
    upstream = await startUpstream((_p, socket) => socket.destroy());
    upstream.server.removeAllListeners('request');
    upstream.server.on('request', (_req, res) => res.writeHead(200, { 'Content-Length': 2 }).end('ok'));
    proxy = await reverseProxy(records, upstream.port);
    // A keep-alive client: after its answer the connection stays open, idle.
    raw = await rawConnect(proxy.port);
    raw.socket.write(`GET /page HTTP/1.1\r\nHost: ${HOST}:${proxy.port}\r\n\r\n`);
    await waitUntil('the answer', () => Buffer.concat(raw!.received).toString('latin1').endsWith('\r\n\r\nok'));
    const answer = Buffer.concat(raw.received).toString('latin1');
    assert.doesNotMatch(answer, /\r\nconnection: close\r\n/i, 'a keep-alive request is answered keep-alive: the upstream hop\'s Connection is not passed on');
    live = await openWs(`ws://${HOST}:${proxy.port}/echo`);
    await echo(live, 'hi');
    const rawConn = await records.connOf(raw.local);
    await sleep(20);
    assert.equal(raw.events.length, 0, 'the keep-alive connection is still open');

    await within(proxy.close('test shutdown'), 'proxy close');
    proxy = undefined;
    // No waiting here: the records must already be there.
    const ends = records.all.filter(isType('end')) as EndRecord[];
    assert.equal(ends.length, 2, `both end records are out when close() resolves: ${JSON.stringify(ends)}`);
    for (const e of ends) {
      assert.equal(e.by, 'proxy');
      assert.match(e.reason ?? '', /test shutdown/, `#${e.conn} says why`);
    }
    assert.ok(ends.some((e) => e.conn === rawConn));
    await within(raw.closed, 'the keep-alive client sees the close');
  } finally {
    live?.ws.terminate();
    raw?.socket.destroy();
    await proxy?.close();
    await upstream?.close();
  }
});


/** Writes `bytes` on a new connection and reads until the proxy ends it. */
async function rawExchange(port: number, bytes: Buffer, sockets: net.Socket[]): Promise<{ text: string; local: string }> {
  const c = await rawConnect(port);
  sockets.push(c.socket);
  c.socket.write(bytes);
  await within(c.closed, 'the proxy answers and ends the connection');
  return { text: Buffer.concat(c.received).toString('latin1'), local: c.local };
}

/** Writes on an open socket (a tunnel) and reads until it closes; `local` is the tunnel's own address. */
async function exchangeOn(socket: net.Socket, bytes: Buffer): Promise<{ text: string; local: string }> {
  const local = `${socket.localAddress}:${socket.localPort}`;
  const received: Buffer[] = [];
  socket.on('data', (c: Buffer) => received.push(c));
  socket.on('error', () => {});
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  socket.write(bytes);
  await within(closed, 'the tunnel is answered and ended');
  return { text: Buffer.concat(received).toString('latin1'), local };
}

// ---------------------------------------------------------------------------------------------
// The CLI's exits
// ---------------------------------------------------------------------------------------------

const sandbox = useCliSandbox('faults');

function start(args: string[], nodeArgs: string[] = []): CliProcess {
  return startCli(sandbox.home, args, nodeArgs);
}


async function wsEcho(): Promise<{ wss: WebSocketServer; port: number; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: HOST, port: 0, perMessageDeflate: false });
  await within(new Promise<void>((resolve, reject) => {
    wss.once('listening', () => resolve());
    wss.once('error', reject);
  }), 'ws echo listening');
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    ws.on('message', (d: RawData, isBinary: boolean) => ws.send(d, { binary: isBinary }));
  });
  return {
    wss, port: (wss.address() as net.AddressInfo).port,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      await within(new Promise<void>((r) => wss.close(() => r())), 'ws echo close', 3000).catch(() => {});
    },
  };
}

/**
 * Starts the live CLI in front of an echo server with --save, opens a ws connection that echoes
 * three messages and a raw connection left in the middle of a frame, and waits until the log
 * holds the echoes. Returns what the caller needs to end it.
 */
async function liveCapture(file: string, nodeArgs: string[] = []) {
  const upstream = await wsEcho();
  const proc = start(['--target', `ws://${HOST}:${upstream.port}`, '--listen', `${HOST}:0`, '--save', file, '--no-tui'], nodeArgs);
  const port = await listeningPort(proc);
  assert.ok(port > 0, `port from stderr: ${proc.output.stderr}`);
  const client = await openWs(`ws://${HOST}:${port}/live`);
  for (const m of ['one', 'two', 'three']) await echo(client, m);
  // A second connection stopped in the middle of a frame.
  const raw = await rawConnect(port);
  raw.socket.write(upgradeHead('/stuck', crypto.randomBytes(16).toString('base64'), `${HOST}:${port}`));
  await waitUntil('the stuck connection\'s 101', () => Buffer.concat(raw.received).includes('\r\n\r\n'));
  raw.socket.write(frame({ opcode: 2, payload: Buffer.alloc(400, 1), mask: true }).subarray(0, 100));
  await waitUntil('the echoes in the log', () => {
    try {
      return (fs.readFileSync(file, 'utf8').match(/"text":"three"/g) ?? []).length === 2;
    } catch {
      return false;
    }
  });
  return { upstream, proc, client, raw };
}

test('SIGTERM: the CLI ends every connection (end records by proxy, reason SIGTERM), the log is whole JSON, exit 0', async () => {
  const file = path.join(sandbox.work, 'sigterm.jsonl');
  let live: Awaited<ReturnType<typeof liveCapture>> | undefined;
  try {
    live = await liveCapture(file);
    const clientClosed = new Promise<void>((r) => live!.client.ws.once('close', () => r()));
    assert.ok(live.proc.child.kill('SIGTERM'));
    const r = await finished(live.proc, 5000);
    assert.equal(r.signal, null);
    assert.equal(r.code, 0, r.stderr);
    await within(clientClosed, 'the ws client is closed by the shutdown', 3000);
    await within(live.raw.closed, 'the stuck connection is closed by the shutdown', 3000);

    const records = readWholeLog(file);
    assert.equal(records[0]!.type, 'session');
    const handshakes = records.filter((x) => x.type === 'handshake');
    assert.equal(handshakes.length, 2);
    for (const hs of handshakes) {
      const ends = records.filter((x) => x.type === 'end' && x.conn === hs.conn);
      assert.equal(ends.length, 1, `one end record for #${hs.conn}`);
      assert.equal(ends[0]!.by, 'proxy');
      assert.match(String(ends[0]!.reason), /SIGTERM/);
    }
    const stuck = handshakes.find((h) => (h.request as { target: string }).target === '/stuck')!;
    const stuckEnd = records.find((x) => x.type === 'end' && x.conn === stuck.conn)!;
    assert.match(String(stuckEnd.reason), /mid-frame \(92 of 400 payload bytes\)/);
    const texts = records.filter((x) => x.type === 'message' && x.kind === 'text').map((x) => `${String(x.from)}:${String(x.text)}`);
    assert.deepEqual(texts.sort(), ['client:one', 'client:three', 'client:two', 'server:one', 'server:three', 'server:two']);
  } finally {
    live?.client.ws.terminate();
    live?.raw.socket.destroy();
    if (live && live.proc.child.exitCode === null) live.proc.child.kill('SIGKILL');
    await live?.upstream.close();
  }
});

test('SIGHUP (the terminal closed): the CLI stops as on SIGTERM, every end record written, exit 0', async () => {
  const file = path.join(sandbox.work, 'sighup.jsonl');
  let live: Awaited<ReturnType<typeof liveCapture>> | undefined;
  try {
    live = await liveCapture(file);
    assert.ok(live.proc.child.kill('SIGHUP'));
    const r = await finished(live.proc, 5000);
    assert.equal(r.signal, null, 'not killed by the signal');
    assert.equal(r.code, 0, r.stderr);
    const records = readWholeLog(file);
    const ends = records.filter((x) => x.type === 'end');
    assert.equal(ends.length, 2);
    for (const end of ends) assert.match(String(end.reason), /SIGHUP/);
  } finally {
    live?.client.ws.terminate();
    live?.raw.socket.destroy();
    if (live && live.proc.child.exitCode === null) live.proc.child.kill('SIGKILL');
    await live?.upstream.close();
  }
});

test('an uncaught error in the running CLI (thrown from a preloaded --import module, no product hook): exit 1, the stack on stderr, every logged line whole', async () => {
  const file = path.join(sandbox.work, 'crash.jsonl');
  // The fault is injected from outside the product: a module Node preloads throws, asynchronously, on SIGUSR2.
  const inject = 'data:text/javascript,process.on("SIGUSR2",()=>setImmediate(()=>{throw new Error("injected fault for wspeek faults test")}))';
  let live: Awaited<ReturnType<typeof liveCapture>> | undefined;
  try {
    live = await liveCapture(file, ['--import', inject]);
    // Records keep flowing while the error strikes.
    const flood = (async () => {
      for (let i = 0; i < 200 && live!.client.ws.readyState === WebSocket.OPEN; i++) {
        live!.client.ws.send(`flood ${i} ${'x'.repeat(200)}`);
        await new Promise((r) => setImmediate(r));
      }
    })();
    await sleep(5);
    assert.ok(live.proc.child.kill('SIGUSR2'));
    const r = await finished(live.proc, 5000);
    await flood;
    assert.equal(r.signal, null);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /wspeek: Error: injected fault for wspeek faults test\n\s+at /);
    const records = readWholeLog(file);
    assert.equal(records[0]!.type, 'session');
    const texts = records.filter((x) => x.type === 'message' && x.from === 'server' && x.kind === 'text').map((x) => String(x.text));
    assert.deepEqual(texts.slice(0, 3), ['one', 'two', 'three'], 'what was captured before the error is in the log');
  } finally {
    live?.client.ws.terminate();
    live?.raw.socket.destroy();
    if (live && live.proc.child.exitCode === null) live.proc.child.kill('SIGKILL');
    await live?.upstream.close();
  }
});

test('--save into a directory that does not exist: exit 2 with one clear line', async () => {
  const file = path.join(sandbox.work, 'no-such-dir', 'session.jsonl');
  const r = await finished(start(['--listen', `${HOST}:0`, '--target', `ws://${HOST}:1`, '--save', file, '--no-tui']));
  assert.equal(r.code, 2, r.stderr);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr: ${JSON.stringify(r.stderr)}`);
  assert.match(lines[0]!, /^wspeek: cannot create session log .*no-such-dir\/session\.jsonl: ENOENT/);
  assert.equal(r.stdout, '');
  assert.equal(fs.existsSync(path.dirname(file)), false);
});

test('--save into a read-only directory: exit 2 with one clear line', async (t) => {
  if (process.getuid?.() === 0) {
    t.skip('running as root: a read-only directory does not stop root from creating files');
    return;
  }
  const dir = path.join(sandbox.work, 'read-only');
  fs.mkdirSync(dir, { mode: 0o555 });
  try {
    const file = path.join(dir, 'session.jsonl');
    const r = await finished(start(['--listen', `${HOST}:0`, '--target', `ws://${HOST}:1`, '--save', file, '--no-tui']));
    assert.equal(r.code, 2, r.stderr);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `one line on stderr: ${JSON.stringify(r.stderr)}`);
    assert.match(lines[0]!, /^wspeek: cannot create session log .*read-only\/session\.jsonl: EACCES/);
    assert.equal(fs.existsSync(file), false);
  } finally {
    fs.chmodSync(dir, 0o755);
  }
});

// ---------------------------------------------------------------------------------------------
// wspeek's own faults
// ---------------------------------------------------------------------------------------------

test('a decoder fault stops decoding that connection, never forwarding: an error record says so, the traffic and other connections go on', async (t) => {
  // The decoder throws on no input (the property tests check it): a fault is made here by hand.
  const receive = ConnectionDecoder.prototype.receive;
  t.mock.method(ConnectionDecoder.prototype, 'receive', function (this: ConnectionDecoder, from: 'client' | 'server', data: Buffer, ts: number) {
    if (data.includes('BOOM')) throw new Error('decoder fault made by the test');
    receive.call(this, from, data, ts);
  });
  const records = new Records();
  let upstream: Upstream | undefined;
  let proxy: RunningProxy | undefined;
  let a: { ws: WebSocket; messages: string[] } | undefined;
  let b: { ws: WebSocket; messages: string[] } | undefined;
  try {
    upstream = await startUpstream(() => {});
    proxy = await reverseProxy(records, upstream.port);
    a = await openWs(`ws://${HOST}:${proxy.port}/echo/a`);
    b = await openWs(`ws://${HOST}:${proxy.port}/echo/b`);
    await echo(a, 'before');
    // The client's frame is masked, so the bytes BOOM first reach the decoder in the server's unmasked echo.
    await echo(a, 'BOOM');
    await echo(a, 'after the fault');
    await echo(b, 'the other connection');
    const conn = (await records.waitFor('handshake a', (r): r is LogRecord & { type: 'handshake' } => r.type === 'handshake' && r.url.endsWith('/echo/a'))).conn;
    const error = await records.waitFor('the error record', isType('error', conn));
    assert.equal(error.where, 'decoder');
    assert.match(error.detail, /decoding stopped \(the connection is still forwarded\): decoder fault made by the test/);
    await closeWs(a.ws);
    const end = await records.waitFor('end a', isType('end', conn));
    assert.equal(end.reason, 'decoding had stopped');
    const texts = records.of(conn).filter((r): r is MessageRecord => r.type === 'message').map((m) => `${m.from} ${m.text}`);
    assert.ok(texts.includes('client before') && texts.includes('server before'), texts.join(' | '));
    assert.ok(!texts.includes('server after the fault'), 'nothing is decoded after the fault');
    const other = (await records.waitFor('handshake b', (r): r is LogRecord & { type: 'handshake' } => r.type === 'handshake' && r.url.endsWith('/echo/b'))).conn;
    await records.waitFor('the other connection still decoded', (r): r is MessageRecord => r.type === 'message' && r.conn === other && r.from === 'server' && r.text === 'the other connection');
    assert.equal(records.all.filter((r) => r.type === 'error').length, 1);
  } finally {
    await closeWs(a?.ws);
    await closeWs(b?.ws);
    await proxy?.close();
    await upstream?.close();
  }
});
