import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { RunningProxy } from '../proxy/proxy-server.js';
import { finished, listeningPort, startCli, useCliSandbox, type CliProcess } from './support/cli-process.js';
import { isType, Records, reverseProxy } from './support/proxy-records.js';
import { closeServer, connectTunnel, HOST, listen, rawConnect, switchingProtocols, upgradeHead, type RawConnection } from './support/raw-peers.js';
import { testCa } from './support/test-ca.js';
import { waitUntil, within } from './support/wait.js';
import { readWholeLog, type Rec } from './support/whole-log.js';

// Shutdown: one SIGINT or SIGTERM ends the CLI, whatever state its connections are in, with the
// session log whole; and the proxy ends what it opened upstream for a client, also when the client goes first.

// ---------------------------------------------------------------------------------------------
// Peers
// ---------------------------------------------------------------------------------------------

/** A TCP server that accepts and never answers. */
interface SilentServer {
  port: number;
  sockets: net.Socket[];
  /** Everything received, on all connections, as latin1. */
  received(): string;
  close(): Promise<void>;
}

async function silentServer(): Promise<SilentServer> {
  const sockets: net.Socket[] = [];
  const received: Buffer[] = [];
  const server = net.createServer((s) => {
    sockets.push(s);
    s.on('data', (d: Buffer) => received.push(d));
    s.on('error', () => {});
  });
  const port = await listen(server);
  return {
    port, sockets,
    received: () => Buffer.concat(received).toString('latin1'),
    async close() {
      for (const s of sockets) s.destroy();
      await closeServer(server);
    },
  };
}

/**
 * The reverse runs' upstream. It answers no request; an upgrade to /echo is a ws echo, /silent is
 * never answered, /raw gets a 101 and nothing after (a FIN from the client goes unanswered), /fin
 * gets a 101 and then its FIN. `seen` lists what happened: `request /wait`, `upgrade /silent`, `end /raw`.
 */
async function reverseUpstream(): Promise<{ port: number; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req) => seen.push(`request ${req.url}`));
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const p = req.url ?? '/';
    seen.push(`upgrade ${p}`);
    if (p === '/echo') {
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('error', () => {});
        ws.on('message', (d: RawData, isBinary: boolean) => ws.send(d, { binary: isBinary }));
      });
      return;
    }
    if (p === '/silent') return;
    socket.write(switchingProtocols(String(req.headers['sec-websocket-key'])));
    socket.on('data', () => {});
    socket.on('end', () => seen.push(`end ${p}`));
    if (p === '/fin') socket.end();
  });
  const port = await listen(server);
  return {
    port, seen,
    async close() {
      for (const s of sockets) s.destroy();
      wss.close();
      await closeServer(server);
    },
  };
}

const count = (list: string[], item: string) => list.filter((x) => x === item).length;

/** Waits (bounded) until `list` holds `item` once more than it did before `act`. */
async function afterOneMore(list: string[], item: string, act: () => void): Promise<void> {
  const before = count(list, item);
  act();
  await waitUntil(item, () => count(list, item) > before);
}

const upgrade = (p: string, port: number) => upgradeHead(p, crypto.randomBytes(16).toString('base64'), `${HOST}:${port}`);

const answered = (c: RawConnection) => waitUntil('the 101', () => Buffer.concat(c.received).includes('\r\n\r\n'));

// ---------------------------------------------------------------------------------------------
// The proxy: what it opened upstream for a client
// ---------------------------------------------------------------------------------------------

test('a client that goes away while its request waits on an upstream that never answers: the upstream connection is closed too', async () => {
  const records = new Records();
  const upstream = await silentServer();
  let proxy: RunningProxy | undefined;
  let client: RawConnection | undefined;
  try {
    proxy = await reverseProxy(records, upstream.port);
    client = await rawConnect(proxy.port);
    client.socket.write(`GET /slow HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
    await waitUntil('the request upstream', () => upstream.received().includes('GET /slow '));
    client.socket.destroy();
    await waitUntil('the upstream connection closed', () => upstream.sockets.length === 1 && upstream.sockets[0]!.destroyed);
    const exchange = await records.waitFor('the http record', isType('http'));
    assert.equal(exchange.status, null);
    assert.match(exchange.error ?? '', /client closed the connection/);
  } finally {
    client?.socket.destroy();
    await proxy?.close();
    await upstream.close();
  }
});

test('close() ends a WebSocket whose client has gone while its upstream, no longer reading, still has bytes queued: the upstream socket closed, the end record out', async () => {
  // The proxy's sockets to its upstream, as net.connect creates them.
  const created: net.Socket[] = [];
  const onSocket = (message: unknown) => created.push((message as { socket: net.Socket }).socket);
  diagnostics.subscribe('net.client.socket', onSocket);
  const records = new Records();
  let stalled: net.Socket | undefined;
  const upstreamServer = http.createServer();
  upstreamServer.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => {
    socket.on('error', () => {});
    socket.write(switchingProtocols(String(req.headers['sec-websocket-key'])));
    socket.pause(); // reads nothing from now on
    stalled = socket;
  });
  let proxy: RunningProxy | undefined;
  let client: RawConnection | undefined;
  try {
    const upstreamPort = await listen(upstreamServer);
    proxy = await reverseProxy(records, upstreamPort);
    client = await rawConnect(proxy.port);
    client.socket.write(upgrade('/stall', proxy.port));
    await answered(client);
    const tapUpstream = created.find((s) => s.remotePort === upstreamPort);
    assert.ok(tapUpstream, 'the tap\'s upstream socket');
    // A binary frame far longer than what follows, then 4 KB chunks until the kernel's buffers
    // towards the upstream are full and the tap holds bytes for it (less than a high-water mark,
    // so it has not paused the client, and the client's FIN reaches it).
    const header = Buffer.alloc(14);
    header[0] = 0x82;
    header[1] = 0xff;
    header.writeBigUInt64BE(1n << 40n, 2);
    client.socket.write(header);
    const chunk = Buffer.alloc(4096, 7);
    while (tapUpstream.writableLength === 0) {
      assert.ok(tapUpstream.bytesWritten < 256 * 1024 * 1024, 'the upstream\'s buffers filled');
      client.socket.write(chunk);
      await new Promise((r) => setImmediate(r));
    }
    client.socket.end();
    await waitUntil('the client\'s FIN passed on', () => tapUpstream.writableEnded);
    stalled!.end();
    await within(client.closed, 'the client\'s connection closes (FIN both ways)');
    await waitUntil('the tap has the upstream\'s FIN', () => tapUpstream.readableEnded);
    assert.ok(!tapUpstream.destroyed && tapUpstream.writableLength > 0, 'the state under test: the upstream socket still open, with bytes queued');
    const conn = await records.connOf(client.local);
    assert.equal(records.all.filter(isType('end', conn)).length, 0, 'no end record yet');

    await within(proxy.close('test shutdown'), 'proxy close');
    proxy = undefined;
    assert.ok(tapUpstream.destroyed, 'close() closed the upstream socket');
    const ends = records.all.filter(isType('end', conn));
    assert.equal(ends.length, 1, 'the end record is out when close() resolves');
    assert.equal(ends[0]!.by, 'proxy');
    assert.match(ends[0]!.reason ?? '', /test shutdown/);
  } finally {
    diagnostics.unsubscribe('net.client.socket', onSocket);
    client?.socket.destroy();
    stalled?.destroy();
    await proxy?.close();
    await closeServer(upstreamServer);
  }
});

// ---------------------------------------------------------------------------------------------
// The CLI: one signal, every state
// ---------------------------------------------------------------------------------------------

const sandbox = useCliSandbox('shutdown');

/** The bound on the CLI's exit after one signal. */
const EXIT_MS = 3000;
/** Each run opens this many connections in each state, then sends one signal. */
const COPIES = 2;
/**
 * Runs per mode, this many at once. A hang in one connection in fifteen escapes them all (96 in
 * each state) with a chance of about 1 in 750; a hang in one run in fifteen, about 1 in 27.
 */
const RUNS = 48;
const AT_ONCE = 4;

/** A client connection left in a state: its address (as its connect record names it) and its close. */
interface Peer {
  state: string;
  local: string;
  closed: Promise<void>;
  /** A request waits on the upstream: its http record says the signal ended it. */
  waits?: boolean;
  destroy(): void;
}

const rawPeer = (state: string, c: RawConnection, waits = false): Peer => ({ state, local: c.local, closed: c.closed, waits, destroy: () => c.socket.destroy() });

function socketPeer(state: string, socket: net.Socket): Peer {
  socket.on('error', () => {});
  const closed = new Promise<void>((r) => (socket.destroyed ? r() : socket.once('close', () => r())));
  return { state, local: `${socket.localAddress}:${socket.localPort}`, closed, destroy: () => socket.destroy() };
}

type Opener = (port: number) => Promise<Peer>;

/** Reverse mode: every state a connection to the reverse proxy can be in. */
function reverseStates(upstream: { seen: string[] }): Opener[] {
  return [
    async (port) => {
      const c = await rawConnect(port);
      c.socket.write(`GET /partial HTTP/1.1\r\nHost: ${HOST}\r\n`);
      return rawPeer('mid-handshake (part of a request head)', c);
    },
    async (port) => {
      const c = await rawConnect(port);
      await afterOneMore(upstream.seen, 'request /wait', () => c.socket.write(`GET /wait HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`));
      return rawPeer('a request waiting on its upstream', c, true);
    },
    async (port) => {
      const c = await rawConnect(port);
      await afterOneMore(upstream.seen, 'upgrade /silent', () => c.socket.write(upgrade('/silent', port)));
      return rawPeer('an upgrade waiting on its upstream', c);
    },
    async (port) => {
      const ws = new WebSocket(`ws://${HOST}:${port}/echo`, { perMessageDeflate: false });
      ws.on('error', () => {});
      const upgraded = once(ws, 'upgrade') as Promise<[http.IncomingMessage]>;
      await within(once(ws, 'open'), 'ws open');
      const socket = (await upgraded)[0].socket;
      ws.send('ping');
      await within(once(ws, 'message'), 'the echo');
      const closed = new Promise<void>((r) => ws.once('close', () => r()));
      return { state: 'an open WebSocket', local: `${socket.localAddress}:${socket.localPort}`, closed, destroy: () => ws.terminate() };
    },
    async (port) => {
      const c = await rawConnect(port);
      c.socket.write(upgrade('/raw', port));
      await answered(c);
      await afterOneMore(upstream.seen, 'end /raw', () => c.socket.end());
      return rawPeer('a WebSocket half-closed by the client', c);
    },
    async (port) => {
      const c = await rawConnect(port, { allowHalfOpen: true });
      c.socket.write(upgrade('/fin', port));
      await waitUntil('the upstream\'s FIN', () => c.events.includes('end'));
      // Its side stays open: the proxy's FIN, which came already, is all it can see of the end.
      return { ...rawPeer('a WebSocket half-closed by the upstream', c), closed: Promise.resolve() };
    },
  ];
}

/** The first bytes of a TLS ClientHello: a handshake record of 512 bytes, of which only its start comes. */
const PARTIAL_CLIENT_HELLO = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]);

/** Forward mode: CONNECT tunnels mid-TLS-handshake, and requests (plain, and inside an intercepted tunnel) waiting on an upstream that never answers. */
function forwardStates(silent: SilentServer): Opener[] {
  const authority = `${HOST}:${silent.port}`;
  const accepted = () => silent.sockets.length;
  return [
    async (port) => socketPeer('a CONNECT tunnel, nothing sent', await connectTunnel(port, authority)),
    async (port) => {
      const tunnel = await connectTunnel(port, authority);
      tunnel.write(PARTIAL_CLIENT_HELLO);
      return socketPeer('a CONNECT tunnel with part of a ClientHello', tunnel);
    },
    async (port) => {
      const tunnel = await connectTunnel(port, authority);
      const peer = socketPeer('a request in an intercepted tunnel waiting on its upstream', tunnel);
      const secure = tls.connect({ socket: tunnel, host: HOST, ca: testCa().certPem });
      secure.on('error', () => {});
      await within(once(secure, 'secureConnect'), 'TLS with the proxy');
      const before = accepted();
      secure.write(`GET /wait HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
      await waitUntil('the request\'s upstream connection', () => accepted() > before);
      return { ...peer, waits: true };
    },
    async (port) => {
      const c = await rawConnect(port);
      const before = accepted();
      c.socket.write(`GET http://${authority}/wait HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
      await waitUntil('the request\'s upstream connection', () => accepted() > before);
      return rawPeer('a request waiting on its upstream', c, true);
    },
  ];
}


/** The connect records in the log so far (the last line may still be partial). */
function connectsLogged(file: string): number {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('{"type":"connect"')).length;
  } catch {
    return 0;
  }
}

/** What a run that did not exit left in its log: the states whose connection has no end record. */
function unended(file: string, peers: Peer[]): string {
  const lines = fs.readFileSync(file, 'utf8').split('\n').flatMap((l) => {
    try {
      return [JSON.parse(l) as Rec];
    } catch {
      return [];
    }
  });
  const missing = peers.filter((p) => {
    const conn = lines.find((x) => x.type === 'connect' && x.client === p.local)?.conn;
    return !lines.some((x) => x.type === 'end' && x.conn === conn);
  });
  return missing.length ? `no end record for: ${[...new Set(missing.map((p) => p.state))].join('; ')}` : 'every connection has its end record';
}

/**
 * One run: the CLI in `mode`, COPIES connections in each state, one `signal`. It must exit with 0
 * within EXIT_MS, every client must see its connection closed, and the log must be whole: every
 * connection's end record, by the proxy, naming the signal; a waiting request's http record, naming it too, before it.
 */
async function signalRun(mode: 'reverse' | 'forward', signal: 'SIGINT' | 'SIGTERM', run: number): Promise<void> {
  const file = path.join(sandbox.work, `${mode}-${run}.jsonl`);
  const upstream = mode === 'reverse' ? await reverseUpstream() : await silentServer();
  const states = mode === 'reverse' ? reverseStates(upstream as Awaited<ReturnType<typeof reverseUpstream>>) : forwardStates(upstream as SilentServer);
  const args = mode === 'reverse' ? ['--target', `http://${HOST}:${upstream.port}`] : ['--ca-dir', testCa().dir];
  const proc: CliProcess = startCli(sandbox.home, [...args, '--listen', `${HOST}:0`, '--no-tui', '--save', file]);
  const peers: Peer[] = [];
  try {
    const port = await listeningPort(proc);
    assert.ok(port > 0, `port from stderr: ${proc.output.stderr}`);
    for (let copy = 0; copy < COPIES; copy++) for (const open of states) peers.push(await open(port));
    await waitUntil('every connection in the log', () => connectsLogged(file) >= peers.length);

    assert.ok(proc.child.kill(signal));
    const r = await finished(proc, EXIT_MS).catch((err: Error) => {
      throw new Error(`${mode} run ${run}: still running ${EXIT_MS} ms after one ${signal} (${unended(file, peers)}): ${err.message}`);
    });
    assert.equal(r.signal, null, `${mode} run ${run}: not killed by the signal`);
    assert.equal(r.code, 0, r.stderr);
    const open = new Set(peers);
    for (const p of peers) void p.closed.then(() => open.delete(p));
    await waitUntil('every client sees its connection closed', () => open.size === 0).catch(() => {
      assert.fail(`${mode} run ${run}: still open for the client: ${[...open].map((p) => p.state).join('; ')}`);
    });

    const records = readWholeLog(file);
    assert.equal(records[0]!.type, 'session');
    const signalled = new RegExp(signal);
    for (const p of peers) {
      const conn = records.find((x) => x.type === 'connect' && x.client === p.local)?.conn;
      assert.ok(conn !== undefined, `${p.state}: a connect record`);
      const ends = records.filter((x) => x.type === 'end' && x.conn === conn);
      assert.equal(ends.length, 1, `${p.state}: one end record`);
      assert.equal(ends[0]!.by, 'proxy', p.state);
      assert.match(String(ends[0]!.reason), signalled, p.state);
      const exchanges = records.filter((x) => x.type === 'http' && x.conn === conn);
      for (const x of exchanges) assert.ok(records.indexOf(x) < records.indexOf(ends[0]!), `${p.state}: its http records come before its end`);
      if (p.waits) {
        const waiting = exchanges.find((x) => String(x.url).endsWith('/wait'));
        assert.ok(waiting, `${p.state}: an http record`);
        assert.equal(waiting.status, null);
        assert.match(String(waiting.error), signalled, p.state);
      }
    }
  } finally {
    for (const p of peers) p.destroy();
    if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
    await upstream.close();
  }
}

/** RUNS runs, AT_ONCE at a time, alternating SIGINT and SIGTERM. */
async function signalRuns(mode: 'reverse' | 'forward'): Promise<void> {
  for (let first = 0; first < RUNS; first += AT_ONCE) {
    const batch = Array.from({ length: Math.min(AT_ONCE, RUNS - first) }, (_, i) => first + i);
    await Promise.all(batch.map((run) => signalRun(mode, run % 2 === 0 ? 'SIGINT' : 'SIGTERM', run)));
  }
}

test(`reverse mode, ${RUNS} runs: one SIGINT or SIGTERM ends wspeek with connections mid-handshake, with a request or an upgrade waiting on its upstream, an open WebSocket and half-closed ones; exit 0, the log whole`, async () => {
  await signalRuns('reverse');
});

test(`forward mode, ${RUNS} runs: one SIGINT or SIGTERM ends wspeek with CONNECT tunnels mid-TLS-handshake and requests (plain, and in an intercepted tunnel) waiting on their upstream; exit 0, the log whole`, async () => {
  await signalRuns('forward');
});

test('a second SIGINT while the first is still stopping wspeek: exit at once (128 + 2), saying so, with the log whole', async () => {
  // Stopping is made slow from outside the product: a preloaded module delays every server's close by a minute.
  const slow = 'import net from "node:net"; const close = net.Server.prototype.close; net.Server.prototype.close = function (cb) { return close.call(this, () => setTimeout(() => cb && cb(), 60000)); };';
  const file = path.join(sandbox.work, 'second-signal.jsonl');
  const upstream = await silentServer();
  const proc = startCli(sandbox.home, ['--target', `http://${HOST}:${upstream.port}`, '--listen', `${HOST}:0`, '--no-tui', '--save', file], ['--import', `data:text/javascript,${encodeURIComponent(slow)}`]);
  let client: RawConnection | undefined;
  try {
    const port = await listeningPort(proc);
    assert.ok(port > 0, proc.output.stderr);
    client = await rawConnect(port);
    client.socket.write(`GET /partial HTTP/1.1\r\nHost: ${HOST}\r\n`);
    await waitUntil('the connection in the log', () => connectsLogged(file) === 1);
    assert.ok(proc.child.kill('SIGINT'));
    await waitUntil('the end record in the log (the stop under way)', () => fs.readFileSync(file, 'utf8').includes('"type":"end"'));
    assert.equal(proc.child.exitCode, null, 'still stopping');
    assert.ok(proc.child.kill('SIGINT'));
    const r = await finished(proc, EXIT_MS, 'wspeek exits on the second SIGINT');
    assert.equal(r.signal, null, 'exits by itself, not killed by the signal');
    assert.equal(r.code, 130);
    assert.match(r.stderr, /SIGINT again: exiting now/);
    const records = readWholeLog(file);
    assert.equal(records.filter((x) => x.type === 'end').length, 1);
  } finally {
    client?.socket.destroy();
    if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
    await upstream.close();
  }
});
