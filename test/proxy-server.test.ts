import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { computeAccept } from '../core/websocket/handshake.js';
import {
  recordPayload, type EndRecord, type LogRecord, type HandshakeRecord, type MessageRecord, type ViolationRecord,
} from '../core/log/records.js';
import { CertificateAuthority } from '../proxy/tls/certificate-authority.js';
import { startProxy, type RunningProxy } from '../proxy/proxy-server.js';
import { prng } from './support/prng.js';
import { testCa } from './support/test-ca.js';
import { isType, Records } from './support/proxy-records.js';
import { closedPort, closeServer, connectTunnel, HOST, listen, sha256, switchingProtocols, withoutHost } from './support/raw-peers.js';
import { sleep, STEP_MS, within } from './support/wait.js';
import { openWssThrough } from './support/wss-through.js';
import { closePayload, frame } from './support/ws-frames.js';

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `wspeek-${prefix}-`));
}

async function proxyWith(records: Records, options: Partial<Parameters<typeof startProxy>[0]>): Promise<RunningProxy> {
  return startProxy({
    host: HOST, port: 0, target: null, maxPayload: 1024 * 1024, ca: options.target ? null : testCa(),
    insecure: false, emit: records.emit, ...options,
  });
}

interface WsEcho {
  server: http.Server | https.Server;
  wss: WebSocketServer;
  port: number;
  /** Messages the upstream received, in order. */
  received: Array<{ data: Buffer; isBinary: boolean }>;
  /** Upgrade requests the upstream saw. */
  requests: http.IncomingMessage[];
  close(): Promise<void>;
}

/** A ws echo server on 127.0.0.1 (TLS when `tlsOptions` is given). */
async function startWsEcho(options: { deflate?: boolean; tlsOptions?: tls.SecureContextOptions; onConnection?: (ws: WebSocket) => void } = {}): Promise<WsEcho> {
  const server = options.tlsOptions ? https.createServer(options.tlsOptions) : http.createServer();
  server.on('request', (_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server, perMessageDeflate: options.deflate ? { threshold: 0 } : false, maxPayload: 256 * 1024 * 1024 });
  const received: WsEcho['received'] = [];
  const requests: http.IncomingMessage[] = [];
  wss.on('connection', (ws, req) => {
    requests.push(req);
    ws.on('error', () => {});
    if (options.onConnection) return options.onConnection(ws);
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      received.push({ data: buf, isBinary });
      ws.send(buf, { binary: isBinary });
    });
  });
  const port = await listen(server);
  return {
    server, wss, port, received, requests,
    async close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await closeServer(server);
    },
  };
}

/** Opens a ws client; collects its messages. */
async function openClient(url: string, options: WebSocket.ClientOptions = {}): Promise<{ ws: WebSocket; messages: Array<{ data: Buffer; isBinary: boolean }>; next(n: number): Promise<void> }> {
  const ws = new WebSocket(url, { perMessageDeflate: false, ...options });
  const messages: Array<{ data: Buffer; isBinary: boolean }> = [];
  ws.on('message', (data: RawData, isBinary: boolean) => {
    messages.push({ data: Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data), isBinary });
  });
  await within(new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected response ${res.statusCode}`)));
  }), `open ${url}`);
  ws.on('error', () => {});
  return {
    ws, messages,
    async next(n: number) {
      const deadline = Date.now() + STEP_MS;
      while (messages.length < n) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} messages (have ${messages.length})`);
        await sleep(5);
      }
    },
  };
}

/** Connects a ws client and expects the upgrade to be refused; resolves with the status and body. */
function refusedUpgrade(url: string): Promise<{ status: number; body: string }> {
  return within(new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('open', () => {
      ws.terminate();
      reject(new Error('the upgrade unexpectedly succeeded'));
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    ws.once('error', (err) => reject(err));
  }), `refused upgrade ${url}`);
}

/** Waits for a ws client to close, bounded; terminates it if it doesn't. */
async function closeClient(ws: WebSocket | undefined, code?: number, reason?: string): Promise<void> {
  if (!ws || ws.readyState === WebSocket.CLOSED) return;
  const closed = once(ws, 'close');
  if (ws.readyState === WebSocket.OPEN) ws.close(code, reason);
  else ws.terminate();
  await within(closed, 'client close', 3000).catch(() => ws.terminate());
}

/** Plain HTTP request through (or to) the proxy, no keep-alive. */
function request(options: http.RequestOptions): Promise<{ status: number; body: Buffer; headers: http.IncomingHttpHeaders }> {
  return within(new Promise((resolve, reject) => {
    const req = http.request({ agent: false, ...options }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  }), `HTTP ${options.method ?? 'GET'} ${options.path}`);
}


// ---------------------------------------------------------------------------------------------
// Raw frames
// ---------------------------------------------------------------------------------------------

/** Writes `data` in random chunks of 1..maxChunk bytes, yielding to the event loop between some of them. */
async function writeChunked(socket: net.Socket, data: Buffer, rand: () => number, maxChunk = 9): Promise<void> {
  let i = 0;
  while (i < data.length) {
    const n = 1 + Math.floor(rand() * maxChunk);
    socket.write(data.subarray(i, i + n));
    i += n;
    if (rand() < 0.3) await new Promise((r) => setImmediate(r));
  }
}

/** Reads from `socket` until `data` contains `marker`, bounded. */
function readUntil(socket: net.Socket, received: Buffer[], marker: string): Promise<void> {
  return within(new Promise((resolve, reject) => {
    const check = () => {
      if (Buffer.concat(received).includes(marker)) {
        socket.off('data', check);
        socket.off('close', onClose);
        resolve();
      }
    };
    const onClose = () => reject(new Error(`socket closed before ${JSON.stringify(marker)}`));
    socket.on('data', check);
    socket.once('close', onClose);
    check();
  }), `read until ${JSON.stringify(marker)}`);
}

const CLIENT_FRAMES = (): Buffer[] => [
  frame({ opcode: 0x1, payload: Buffer.from('hello'), mask: true }),
  frame({ opcode: 0x1, payload: Buffer.from('unmasked from the client') }), // client-frame-unmasked
  frame({ opcode: 0x0, payload: Buffer.from('stray continuation'), mask: true }), // unexpected-continuation
  frame({ opcode: 0x9, payload: crypto.randomBytes(200), mask: true }), // control-frame-too-long
  frame({ opcode: 0x8, payload: closePayload(1000, 'client done'), mask: true }),
];

const SERVER_FRAMES = (): Buffer[] => [
  frame({ opcode: 0x1, payload: Buffer.from('hi') }),
  frame({ opcode: 0x1, payload: Buffer.from('masked from the server'), mask: true }), // server-frame-masked
  frame({ opcode: 0x1, rsv: 0x20, payload: Buffer.from('rsv2') }), // rsv-bit-without-extension
  frame({ opcode: 0x3, payload: Buffer.from('reserved') }), // unknown-opcode
  frame({ opcode: 0x8, payload: closePayload(999, 'odd code') }), // invalid-close-code
];

interface RawUpstream {
  server: net.Server;
  port: number;
  /** Resolves per connection, once the client's stream ended: what it received and sent. */
  sessions: Array<Promise<{ received: Buffer; sent: Buffer }>>;
}

/**
 * A raw TCP upstream: records every byte, answers the upgrade with a valid 101, sends its
 * scripted (partly malformed) frames in random chunks, and ends once the client's stream ended.
 */
async function startRawUpstream(seed: number): Promise<RawUpstream> {
  const sessions: RawUpstream['sessions'] = [];
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => {});
    const received: Buffer[] = [];
    const rand = prng(seed + sessions.length);
    sessions.push(new Promise((resolve, reject) => {
      let responded = false;
      let sent = Buffer.alloc(0);
      let writing: Promise<void> = Promise.resolve();
      socket.on('data', (chunk: Buffer) => {
        received.push(chunk);
        if (responded) return;
        const all = Buffer.concat(received);
        const end = all.indexOf('\r\n\r\n');
        if (end < 0) return;
        responded = true;
        const key = /^Sec-WebSocket-Key: (.*)$/im.exec(all.subarray(0, end).toString('latin1'))?.[1]?.trim() ?? '';
        const head = switchingProtocols(key);
        sent = Buffer.concat([head, ...SERVER_FRAMES()]);
        writing = writeChunked(socket, sent, rand);
      });
      socket.once('end', () => {
        // The client is done: finish our side once everything scripted is written.
        void writing.then(() => {
          socket.end();
          resolve({ received: Buffer.concat(received), sent });
        });
      });
      socket.once('close', () => reject(new Error('upstream socket closed before the client ended')));
    }));
    sessions[sessions.length - 1]!.catch(() => {});
  });
  const port = await listen(server);
  return { server, port, sessions };
}

/**
 * A raw client: sends a handshake then the scripted (partly malformed) frames in random chunks,
 * ends its side, and reads until the proxy ends its side.
 */
async function rawClientSession(proxyPort: number, seed: number): Promise<{ sent: Buffer; received: Buffer }> {
  const rand = prng(seed);
  const socket = net.connect({ host: HOST, port: proxyPort, allowHalfOpen: true });
  socket.on('error', () => {});
  try {
    await within(once(socket, 'connect'), 'raw client connect');
    const received: Buffer[] = [];
    socket.on('data', (c: Buffer) => received.push(c));
    const ended = within(once(socket, 'end'), 'raw client sees the end of the stream');
    const key = crypto.randomBytes(16).toString('base64');
    const head = Buffer.from([
      'GET /raw?x=1 HTTP/1.1',
      `Host: ${HOST}:${proxyPort}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${key}`,
      'Sec-WebSocket-Version: 13',
      'User-Agent: wspeek-raw-test/1 (odd; spacing)',
      'X-Dup: one',
      'x-dup: two',
      '', '',
    ].join('\r\n'), 'latin1');
    await writeChunked(socket, head, rand, 7);
    await readUntil(socket, received, '\r\n\r\n');
    const frames = Buffer.concat(CLIENT_FRAMES());
    await writeChunked(socket, frames, rand, 11);
    socket.end();
    await ended;
    return { sent: Buffer.concat([head, frames]), received: Buffer.concat(received) };
  } finally {
    await sleep(20);
    socket.destroy();
  }
}


// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

test('reverse mode is byte-exact with raw peers, malformed frames included, and reports every violation', async () => {
  const records = new Records();
  let upstream: RawUpstream | undefined;
  let proxy: RunningProxy | undefined;
  try {
    upstream = await startRawUpstream(7);
    proxy = await proxyWith(records, { target: new URL(`ws://${HOST}:${upstream.port}`) });
    for (const [i, seed] of [[0, 101], [1, 202]] as const) {
      const client = await rawClientSession(proxy.port, seed);
      const up: { received: Buffer; sent: Buffer } = await within(upstream.sessions[i]!, `upstream session ${i + 1}`);
      const conn = i + 1;

      // Upstream got exactly what the client sent, except the Host line naming the target.
      assert.ok(up.received.includes(`\r\nHost: ${HOST}:${upstream.port}\r\n`), 'the Host header upstream names the target');
      assert.equal(sha256(withoutHost(up.received)), sha256(withoutHost(client.sent)), 'client → upstream bytes differ beyond the Host line');
      assert.equal(up.received.length - `${upstream.port}`.length, client.sent.length - `${proxy.port}`.length);
      // The client got exactly what the upstream sent.
      assert.equal(client.received.length, up.sent.length);
      assert.equal(sha256(client.received), sha256(up.sent), 'upstream → client bytes differ');

      const end = await records.waitFor(`end record #${conn}`, isType('end', conn));
      assert.equal(end.bytes.client, client.sent.length, 'end.bytes.client counts every byte the client sent');
      assert.equal(end.bytes.server, up.sent.length, 'end.bytes.server counts every byte the upstream sent');
      assert.equal(end.clean, true, 'close frames went both ways');
      assert.deepEqual(end.frames, { client: 5, server: 5 });

      const hs = records.of(conn).find(isType('handshake'));
      assert.ok(hs, 'a handshake record');
      assert.equal(hs.url, `ws://${HOST}:${upstream.port}/raw?x=1`);
      assert.equal(hs.accept, 'valid');
      assert.equal(hs.upgraded, true);

      const seen = new Set(records.of(conn).filter(isType('violation')).map((v: ViolationRecord) => `${v.from}:${v.rule}`));
      for (const expected of [
        'server:server-frame-masked', 'server:rsv-bit-without-extension', 'server:unknown-opcode', 'server:invalid-close-code',
        'client:client-frame-unmasked', 'client:unexpected-continuation', 'client:control-frame-too-long',
      ]) {
        assert.ok(seen.has(expected), `violation ${expected} reported (got ${[...seen].join(', ')})`);
      }
      const messages = records.of(conn).filter(isType('message'));
      assert.ok(messages.some((m) => m.from === 'client' && m.kind === 'text' && m.text === 'hello'));
      assert.ok(messages.some((m) => m.from === 'server' && m.kind === 'text' && m.text === 'masked from the server'));
      assert.ok(messages.some((m) => m.from === 'server' && m.kind === 'close' && m.close?.code === 999));
      assert.ok(messages.some((m) => m.from === 'client' && m.kind === 'ping' && m.length === 200));
    }
  } finally {
    await proxy?.close();
    await closeServer(upstream?.server);
  }
});

for (const deflate of [false, true]) {
  test(`reverse mode with ws peers, permessage-deflate ${deflate ? 'on' : 'off'}: messages intact and recorded`, async () => {
    const records = new Records();
    let upstream: WsEcho | undefined;
    let proxy: RunningProxy | undefined;
    let client: Awaited<ReturnType<typeof openClient>> | undefined;
    try {
      upstream = await startWsEcho({ deflate });
      proxy = await proxyWith(records, { target: new URL(`ws://${HOST}:${upstream.port}`) });
      client = await openClient(`ws://${HOST}:${proxy.port}/path`, { perMessageDeflate: deflate ? { threshold: 0 } : false });
      const { ws } = client;
      const binary = crypto.randomBytes(100 * 1024);
      ws.send('hello wspeek ✓');
      ws.send(binary);
      ws.send('frag-one|', { fin: false });
      ws.send('frag-two|', { fin: false });
      ws.send('frag-three', { fin: true });
      const pong = within(once(ws, 'pong'), 'pong');
      ws.ping('ping-1');
      await pong;
      await client.next(3);

      // The peers got every message intact.
      assert.deepEqual(upstream.received.map((m) => m.isBinary), [false, true, false]);
      assert.equal(upstream.received[0]!.data.toString(), 'hello wspeek ✓');
      assert.ok(upstream.received[1]!.data.equals(binary));
      assert.equal(upstream.received[2]!.data.toString(), 'frag-one|frag-two|frag-three');
      assert.equal(client.messages[0]!.data.toString(), 'hello wspeek ✓');
      assert.ok(client.messages[1]!.data.equals(binary));
      assert.equal(client.messages[2]!.data.toString(), 'frag-one|frag-two|frag-three');

      await closeClient(ws, 1000, 'done');
      const end = await records.waitFor('end record', isType('end', 1));

      const hs = records.of(1).find(isType('handshake')) as HandshakeRecord;
      assert.equal(hs.url, `ws://${HOST}:${upstream.port}/path`);
      assert.equal(hs.accept, 'valid');
      assert.equal(hs.upgraded, true);
      if (deflate) {
        assert.equal(hs.extensions.length, 1);
        assert.equal(hs.extensions[0]!.name, 'permessage-deflate');
      } else {
        assert.deepEqual(hs.extensions, []);
      }

      const msgs = records.of(1).filter(isType('message'));
      for (const from of ['client', 'server'] as const) {
        const data = msgs.filter((m: MessageRecord) => m.from === from && (m.kind === 'text' || m.kind === 'binary'));
        assert.equal(data.length, 3, `${from} sent 3 data messages`);
        const [text, bin, frag] = data as [MessageRecord, MessageRecord, MessageRecord];
        assert.equal(text.kind, 'text');
        assert.equal(text.text, 'hello wspeek ✓');
        assert.equal(text.length, Buffer.byteLength('hello wspeek ✓'));
        assert.equal(text.compressed, deflate);
        assert.equal(bin.kind, 'binary');
        assert.equal(bin.length, binary.length);
        assert.ok(recordPayload(bin).equals(binary));
        assert.equal(bin.truncated, false);
        assert.equal(bin.compressed, deflate);
        if (!deflate) assert.equal(bin.wireLength, binary.length);
        assert.equal(frag.kind, 'text');
        assert.equal(frag.text, 'frag-one|frag-two|frag-three');
        assert.equal(frag.length, 'frag-one|frag-two|frag-three'.length);
        assert.equal(frag.frames, from === 'client' ? 3 : 1);
        assert.equal(frag.compressed, deflate);
      }
      const ping = msgs.find((m) => m.kind === 'ping');
      assert.ok(ping && ping.from === 'client');
      assert.equal(ping.base64, Buffer.from('ping-1').toString('base64'));
      assert.equal(ping.compressed, false);
      const pongRecord = msgs.find((m) => m.kind === 'pong');
      assert.ok(pongRecord && pongRecord.from === 'server');
      assert.equal(typeof pongRecord.rtt, 'number');
      const closes = msgs.filter((m) => m.kind === 'close');
      assert.deepEqual(closes.map((m) => [m.from, m.close?.code]), [['client', 1000], ['server', 1000]]);
      assert.equal(closes[0]!.close?.reason, 'done');

      assert.equal(end.clean, true);
      assert.equal(end.code, 1000);
      assert.equal(end.by, 'client');
      assert.ok(end.bytes.client > binary.length && end.bytes.server > binary.length, `bytes ${JSON.stringify(end.bytes)}`);
      assert.equal(end.frames.client, 7); // text, binary, 3 fragments, ping, close
      assert.equal(end.frames.server, 5); // text, binary, fragmented echo, pong, close
      assert.equal(records.of(1).filter(isType('violation')).length, 0, 'ws peers break no rule');
    } finally {
      client?.ws.terminate();
      await proxy?.close();
      await upstream?.close();
    }
  });
}

test('--target path prefix: /chat reaches the upstream as /base/chat with the target Host', async () => {
  const records = new Records();
  let upstream: WsEcho | undefined;
  let proxy: RunningProxy | undefined;
  let client: Awaited<ReturnType<typeof openClient>> | undefined;
  try {
    upstream = await startWsEcho();
    proxy = await proxyWith(records, { target: new URL(`ws://${HOST}:${upstream.port}/base`) });
    client = await openClient(`ws://${HOST}:${proxy.port}/chat?room=1`);
    client.ws.send('x');
    await client.next(1);
    assert.equal(upstream.requests[0]!.url, '/base/chat?room=1');
    assert.equal(upstream.requests[0]!.headers.host, `${HOST}:${upstream.port}`);
    const hs = await records.waitFor('handshake', isType('handshake', 1));
    assert.equal(hs.url, `ws://${HOST}:${upstream.port}/base/chat?room=1`);
    // The request as the client sent it is what the log keeps.
    assert.equal(hs.request.target, '/chat?room=1');
  } finally {
    client?.ws.terminate();
    await proxy?.close();
    await upstream?.close();
  }
});

test('wss target: works with insecure, answers 502 with a TLS error record without it', async () => {
  const dir = tempDir('upstream-ca');
  const records = new Records();
  let upstream: WsEcho | undefined;
  let proxy: RunningProxy | undefined;
  let strict: RunningProxy | undefined;
  let client: Awaited<ReturnType<typeof openClient>> | undefined;
  try {
    const leaf = CertificateAuthority.loadOrCreate(dir).leafFor(HOST);
    upstream = await startWsEcho({ tlsOptions: { key: leaf.key, cert: leaf.cert } });
    const target = new URL(`wss://${HOST}:${upstream.port}`);

    proxy = await proxyWith(records, { target, insecure: true });
    client = await openClient(`ws://${HOST}:${proxy.port}/secure`);
    client.ws.send('over tls');
    await client.next(1);
    assert.equal(client.messages[0]!.data.toString(), 'over tls');
    const hs = await records.waitFor('handshake', isType('handshake', 1));
    assert.equal(hs.url, `wss://${HOST}:${upstream.port}/secure`);
    await records.waitFor('the echo recorded', (r): r is MessageRecord => r.type === 'message' && r.from === 'server' && r.text === 'over tls');
    await closeClient(client.ws, 1000);
    await records.waitFor('end', isType('end', 1));

    const strictRecords = new Records();
    strict = await proxyWith(strictRecords, { target, insecure: false });
    const refused = await refusedUpgrade(`ws://${HOST}:${strict.port}/secure`);
    assert.equal(refused.status, 502);
    assert.match(refused.body, /TLS|certificate/i);
    const httpRecord = await strictRecords.waitFor('http 502', isType('http', 1));
    assert.equal(httpRecord.status, 502);
    assert.match(httpRecord.error ?? '', /TLS/);
    assert.match(httpRecord.error ?? '', /certificate/i);
    await strictRecords.waitFor('end record after the 502', isType('end', 1));
    assert.equal(strictRecords.all.filter(isType('handshake')).length, 0);
  } finally {
    client?.ws.terminate();
    await proxy?.close();
    await strict?.close();
    await upstream?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('unreachable target: 502 for upgrades and plain requests, one http record each, then end', async () => {
  const records = new Records();
  let proxy: RunningProxy | undefined;
  try {
    const port = await closedPort();
    proxy = await proxyWith(records, { target: new URL(`ws://${HOST}:${port}`) });
    const refused = await refusedUpgrade(`ws://${HOST}:${proxy.port}/`);
    assert.equal(refused.status, 502);
    const h = await records.waitFor('http 502', isType('http', 1));
    assert.equal(h.status, 502);
    assert.match(h.error ?? '', /refused/);
    await records.waitFor('end', isType('end', 1));

    // A plain request to the same unreachable target.
    const res = await request({ host: HOST, port: proxy.port, path: '/page' });
    assert.equal(res.status, 502);
    const end = await records.waitFor('end #2', isType('end', 2));
    assert.equal(end.conn, 2);
    const https2 = records.of(2).filter(isType('http'));
    assert.equal(https2.length, 1, `exactly one http record for the request: ${JSON.stringify(https2)}`);
    assert.equal(https2[0]!.status, 502);
    assert.match(https2[0]!.error ?? '', /ECONNREFUSED|refused/);
  } finally {
    await proxy?.close();
  }
});

test('forward mode: CONNECT + TLS interception with a leaf from wspeek\'s CA; untrusting clients fail and are recorded', async () => {
  const caDir = tempDir('proxy-ca');
  const upstreamCaDir = tempDir('upstream-ca');
  const records = new Records();
  let upstream: WsEcho | undefined;
  let proxy: RunningProxy | undefined;
  let ws: WebSocket | undefined;
  const sockets: net.Socket[] = [];
  try {
    const wspeekCa = CertificateAuthority.loadOrCreate(caDir);
    const leaf = CertificateAuthority.loadOrCreate(upstreamCaDir).leafFor(HOST);
    upstream = await startWsEcho({ tlsOptions: { key: leaf.key, cert: leaf.cert } });
    proxy = await proxyWith(records, { target: null, ca: CertificateAuthority.loadOrCreate(caDir), insecure: true });

    const raw = await connectTunnel(proxy.port, `${HOST}:${upstream.port}`);
    const opened = await openWssThrough(raw, `wss://${HOST}:${upstream.port}/x`, wspeekCa.certPem, 'wss open through the tunnel');
    ws = opened.ws;
    const { secure, messages } = opened;
    assert.ok(secure);
    assert.equal(secure.authorized, true, 'the client, trusting only wspeek\'s CA, accepted the certificate');
    const peer = secure.getPeerCertificate(true);
    assert.equal(peer.subject.CN, HOST);
    assert.equal(peer.issuerCertificate.fingerprint256, wspeekCa.fingerprint256, 'the leaf was issued by wspeek\'s CA');
    ws.send('through the tunnel');
    const deadline = Date.now() + STEP_MS;
    while (messages.length < 1 && Date.now() < deadline) await sleep(5);
    assert.deepEqual(messages, ['through the tunnel']);
    await closeClient(ws, 1000);

    const hs = await records.waitFor('handshake', isType('handshake', 1));
    assert.equal(hs.url, `wss://${HOST}:${upstream.port}/x`);
    const connect = records.of(1).find(isType('http'));
    assert.equal(connect?.method, 'CONNECT');
    assert.equal(connect?.status, 200);
    // What the tunnel became, from the real TLS client's handshake (tls.connect sends no SNI for an IP address).
    const tunnel = records.of(1).find(isType('tunnel'));
    assert.deepEqual({ ...tunnel, ts: 0 }, {
      type: 'tunnel', conn: 1, ts: 0, via: 'connect', host: HOST, port: upstream.port, tls: 'intercepted', sni: null, alpn: null, version: 'TLSv1.3', alert: null,
    });
    assert.ok(tunnel!.ts >= connect!.ts && tunnel!.ts <= hs.ts, 'written between the CONNECT and the handshake inside');
    await records.waitFor('the message decoded', (r): r is MessageRecord => r.type === 'message' && r.conn === 1 && r.from === 'client' && r.text === 'through the tunnel');
    await records.waitFor('the echo decoded', (r): r is MessageRecord => r.type === 'message' && r.conn === 1 && r.from === 'server' && r.text === 'through the tunnel');
    const end = await records.waitFor('end', isType('end', 1));
    assert.equal(end.clean, true);

    // A Node client that does not trust wspeek's CA rejects the certificate: Node checks it at the
    // end of the handshake and just closes, without a TLS alert (the alert case is the openssl test).
    const raw2 = await connectTunnel(proxy.port, `${HOST}:${upstream.port}`);
    const failure = await within(new Promise<Error>((resolve) => {
      const t = tls.connect({ socket: raw2, host: HOST, ca: CertificateAuthority.loadOrCreate(upstreamCaDir).certPem });
      sockets.push(t);
      t.once('secureConnect', () => resolve(new Error('unexpectedly trusted')));
      t.once('error', resolve);
    }), 'untrusting client fails');
    assert.match(failure.message, /certificate/i);
    const rejected = await records.waitFor('tunnel record with the TLS failure', isType('tunnel', 2));
    assert.equal(rejected.tls, 'rejected');
    assert.equal(rejected.alert, 'the client closed the connection during the handshake');
    await records.waitFor('end #2', isType('end', 2));
    assert.equal(records.of(2).filter(isType('handshake')).length, 0);

    // Still serving: a third tunnel works.
    const raw3 = await connectTunnel(proxy.port, `${HOST}:${upstream.port}`);
    const t3 = tls.connect({ socket: raw3, host: HOST, ca: wspeekCa.certPem });
    sockets.push(t3);
    await within(once(t3, 'secureConnect'), 'third tunnel TLS');
    assert.equal(t3.authorized, true);
  } finally {
    ws?.terminate();
    for (const s of sockets) s.destroy();
    await proxy?.close();
    await upstream?.close();
    fs.rmSync(caDir, { recursive: true, force: true });
    fs.rmSync(upstreamCaDir, { recursive: true, force: true });
  }
});

test('forward mode: plain ws:// inside CONNECT is sniffed and decoded', async () => {
  const records = new Records();
  let upstream: WsEcho | undefined;
  let proxy: RunningProxy | undefined;
  let ws: WebSocket | undefined;
  try {
    upstream = await startWsEcho();
    proxy = await proxyWith(records, { target: null });
    const raw = await connectTunnel(proxy.port, `${HOST}:${upstream.port}`);
    ws = new WebSocket(`ws://${HOST}:${upstream.port}/plain`, { perMessageDeflate: false, createConnection: () => raw } as WebSocket.ClientOptions);
    const messages: string[] = [];
    ws.on('message', (d: RawData) => messages.push(d.toString()));
    await within(new Promise<void>((resolve, reject) => {
      ws!.once('open', () => resolve());
      ws!.once('error', reject);
    }), 'ws open through the tunnel');
    ws.send('plain in a tunnel');
    const deadline = Date.now() + STEP_MS;
    while (messages.length < 1 && Date.now() < deadline) await sleep(5);
    assert.deepEqual(messages, ['plain in a tunnel']);
    assert.equal(upstream.requests[0]!.url, '/plain');
    await closeClient(ws, 1000);
    const hs = await records.waitFor('handshake', isType('handshake', 1));
    assert.equal(hs.url, `ws://${HOST}:${upstream.port}/plain`);
    const tunnel = records.of(1).find(isType('tunnel'));
    assert.deepEqual({ ...tunnel, ts: 0 }, {
      type: 'tunnel', conn: 1, ts: 0, via: 'connect', host: HOST, port: upstream.port, tls: 'none', sni: null, alpn: null, version: null, alert: null,
    });
    await records.waitFor('the message decoded', (r): r is MessageRecord => r.type === 'message' && r.conn === 1 && r.from === 'client' && r.text === 'plain in a tunnel');
    const end = await records.waitFor('end', isType('end', 1));
    assert.equal(end.clean, true);

    // An absolute-form upgrade (a plain HTTP proxy without CONNECT) goes to its URI's host, in origin form.
    const key = crypto.randomBytes(16).toString('base64');
    const upgraded = await within(new Promise<{ status: number; socket: net.Socket }>((resolve, reject) => {
      const req = http.request({
        host: HOST, port: proxy!.port, path: `ws://${HOST}:${upstream!.port}/absolute?q=1`, agent: false,
        headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': key, 'Sec-WebSocket-Version': '13', 'Proxy-Connection': 'keep-alive' },
      });
      req.once('upgrade', (res, socket) => resolve({ status: res.statusCode ?? 0, socket }));
      req.once('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
      req.once('error', reject);
      req.end();
    }), 'absolute-form upgrade');
    upgraded.socket.destroy();
    assert.equal(upgraded.status, 101);
    assert.equal(upstream.requests[1]!.url, '/absolute?q=1');
    assert.equal(upstream.requests[1]!.headers['proxy-connection'], undefined, 'proxy-only headers are not forwarded');
    const hs2 = await records.waitFor('handshake #2', isType('handshake', 2));
    assert.equal(hs2.url, `ws://${HOST}:${upstream.port}/absolute?q=1`);
    assert.equal(hs2.accept, 'valid');
  } finally {
    ws?.terminate();
    await proxy?.close();
    await upstream?.close();
  }
});

test('forward mode: absolute-URI GET is proxied; http://wspeek.ca/ serves the CA', async () => {
  const caDir = tempDir('proxy-ca');
  const records = new Records();
  let upstream: http.Server | undefined;
  let proxy: RunningProxy | undefined;
  try {
    const body = Buffer.concat([Buffer.from('page body ✓\n'), crypto.randomBytes(50_000)]);
    upstream = http.createServer((req, res) => {
      if (req.url === '/page') res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'X-Seen-Host': req.headers.host ?? '' }).end(body);
      else res.writeHead(404).end();
    });
    const port = await listen(upstream);
    proxy = await proxyWith(records, { target: null, ca: CertificateAuthority.loadOrCreate(caDir) });

    const res = await request({ host: HOST, port: proxy.port, path: `http://${HOST}:${port}/page` });
    assert.equal(res.status, 200);
    assert.ok(res.body.equals(body), 'body intact');
    const h = await records.waitFor('http record', isType('http', 1));
    assert.equal(h.method, 'GET');
    assert.equal(h.url, `http://${HOST}:${port}/page`);
    assert.equal(h.status, 200);
    assert.equal(h.error, undefined);

    const page = await request({ host: HOST, port: proxy.port, path: 'http://wspeek.ca/' });
    assert.equal(page.status, 200);
    assert.match(page.body.toString(), /wspeek CA/);
    const pem = await request({ host: HOST, port: proxy.port, path: 'http://wspeek.ca/cert/pem' });
    assert.equal(pem.status, 200);
    assert.equal(pem.body.toString(), CertificateAuthority.loadOrCreate(caDir).certPem);

    // Origin-form requests have no destination in forward mode.
    const bad = await request({ host: HOST, port: proxy.port, path: '/page' });
    assert.equal(bad.status, 400);
  } finally {
    await proxy?.close();
    await closeServer(upstream);
    fs.rmSync(caDir, { recursive: true, force: true });
  }
});

test('forward mode: https://wspeek.ca/check through the proxy answers "trusted" to a client that trusts only the wspeek CA', async () => {
  const caDir = tempDir('proxy-ca-check');
  const records = new Records();
  let proxy: RunningProxy | undefined;
  let secure: tls.TLSSocket | undefined;
  try {
    const ca = CertificateAuthority.loadOrCreate(caDir);
    proxy = await proxyWith(records, { target: null, ca });
    const raw = await connectTunnel(proxy.port, 'wspeek.ca:443');
    secure = tls.connect({ socket: raw, servername: 'wspeek.ca', ca: [ca.certPem] });
    await within(once(secure, 'secureConnect'), 'TLS with wspeek.ca');
    assert.equal(secure.authorized, true);
    secure.end('GET /check HTTP/1.1\r\nHost: wspeek.ca\r\nConnection: close\r\n\r\n');
    const chunks: Buffer[] = [];
    secure.on('data', (c: Buffer) => chunks.push(c));
    await within(once(secure, 'end'), 'the answer');
    const answer = Buffer.concat(chunks).toString('utf8');
    assert.match(answer, /^HTTP\/1\.1 200 /);
    assert.match(answer, /\r\n\r\ntrusted: /);
    const t = await records.waitFor('tunnel record', isType('tunnel', 1));
    assert.equal(t.tls, 'intercepted');
    const h = await records.waitFor('the GET inside the tunnel', (r): r is LogRecord & { type: 'http' } => r.type === 'http' && r.method === 'GET');
    assert.equal(h.url, 'https://wspeek.ca/check');
    assert.equal(h.status, 200);

    const plain = await request({ host: HOST, port: proxy.port, path: 'http://wspeek.ca/check' });
    assert.match(plain.body.toString(), /^not checked: /);
  } finally {
    secure?.destroy();
    await proxy?.close();
    fs.rmSync(caDir, { recursive: true, force: true });
  }
});

test('backpressure: an upstream that stops reading pushes back to the sender; the proxy buffers little', async (t) => {
  const records = new Records();
  let upstream: WsEcho | undefined;
  let proxy: RunningProxy | undefined;
  let client: Awaited<ReturnType<typeof openClient>> | undefined;
  let upstreamWs: WebSocket | undefined;
  let upstreamCount = 0;
  try {
    upstream = await startWsEcho({
      onConnection: (ws) => {
        upstreamWs = ws;
        ws.pause();
        ws.on('message', () => upstreamCount++);
      },
    });
    proxy = await proxyWith(records, { target: new URL(`ws://${HOST}:${upstream.port}`), maxPayload: 1024 });
    client = await openClient(`ws://${HOST}:${proxy.port}/`);
    const deadline = Date.now() + STEP_MS;
    while (!upstreamWs && Date.now() < deadline) await sleep(5);
    assert.ok(upstreamWs, 'upstream connected');

    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    const chunk = Buffer.alloc(64 * 1024, 0x5a);
    const LIMIT = 64 * 1024 * 1024;
    const HIGH = 4 * 1024 * 1024;
    const started = Date.now();
    let sent = 0;
    let count = 0;
    let peakBuffered = 0;
    let stalledSince: number | null = null;
    while (sent < LIMIT && Date.now() - started < 3000) {
      const buffered = client.ws.bufferedAmount;
      peakBuffered = Math.max(peakBuffered, buffered);
      if (buffered >= HIGH) {
        // The client can't get rid of its data: pushback reached it. Give it a moment to be sure.
        stalledSince ??= Date.now();
        if (Date.now() - stalledSince > 300) break;
        await sleep(20);
        continue;
      }
      stalledSince = null;
      client.ws.send(chunk);
      sent += chunk.length;
      count++;
      if (count % 16 === 0) await new Promise((r) => setImmediate(r));
    }
    const rssGrowth = process.memoryUsage().rss - rss0;
    const leftClient = sent - client.ws.bufferedAmount;
    t.diagnostic(`sent ${sent} B in ${Date.now() - started} ms; client bufferedAmount peak ${peakBuffered}; left the client ${leftClient}; rss +${rssGrowth}`);
    assert.ok(peakBuffered >= HIGH, `the client's bufferedAmount grew (peak ${peakBuffered}, sent ${sent})`);
    assert.ok(sent < LIMIT, `the sender was stopped before ${LIMIT} bytes (sent ${sent})`);
    assert.ok(leftClient < 40 * 1024 * 1024, `at most socket buffers' worth left the client (${leftClient})`);
    assert.ok(rssGrowth < 100 * 1024 * 1024, `rss grew ${rssGrowth} bytes`);
    assert.equal(upstreamCount, 0);

    // Resume: everything flows through, nothing lost.
    upstreamWs.resume();
    const flowDeadline = Date.now() + STEP_MS;
    while (upstreamCount < count && Date.now() < flowDeadline) await sleep(10);
    assert.equal(upstreamCount, count, 'every message arrived after the upstream resumed');
    await closeClient(client.ws, 1000);
    const end = await records.waitFor('end', isType('end', 1));
    assert.ok(end.bytes.client >= sent, `end.bytes.client ${end.bytes.client} >= ${sent}`);
    const binaries = records.of(1).filter((r): r is MessageRecord => r.type === 'message' && r.kind === 'binary');
    assert.equal(binaries.length, count);
    assert.ok(binaries.every((m) => m.length === chunk.length && m.truncated));
  } finally {
    client?.ws.terminate();
    await proxy?.close();
    await upstream?.close();
  }
});

test('half-close: a client FIN after its close frame reaches the upstream; the upstream closes after; clean end', async () => {
  const records = new Records();
  let proxy: RunningProxy | undefined;
  let upstream: net.Server | undefined;
  let client: net.Socket | undefined;
  const events: string[] = [];
  try {
    let upstreamSocket: net.Socket | undefined;
    const upstreamReceived: Buffer[] = [];
    const upstreamEnded = new Promise<void>((resolveEnded) => {
      upstream = net.createServer({ allowHalfOpen: true }, (socket) => {
        upstreamSocket = socket;
        socket.on('error', () => {});
        socket.on('data', (c: Buffer) => {
          const before = Buffer.concat(upstreamReceived).includes('\r\n\r\n');
          upstreamReceived.push(c);
          const all = Buffer.concat(upstreamReceived);
          if (!before && all.includes('\r\n\r\n')) {
            const key = /^Sec-WebSocket-Key: (.*)$/im.exec(all.toString('latin1'))?.[1]?.trim() ?? '';
            socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${computeAccept(key)}\r\n\r\n`);
          }
        });
        socket.on('end', () => {
          events.push('upstream:end');
          resolveEnded();
        });
        socket.on('close', () => events.push('upstream:close'));
      });
    });
    const port = await listen(upstream!);
    proxy = await proxyWith(records, { target: new URL(`ws://${HOST}:${port}`) });

    client = net.connect({ host: HOST, port: proxy.port, allowHalfOpen: true });
    client.on('error', () => {});
    const c = client;
    await within(once(c, 'connect'), 'connect');
    const clientReceived: Buffer[] = [];
    c.on('data', (d: Buffer) => clientReceived.push(d));
    c.on('end', () => events.push('client:end'));
    const clientClosed = within(once(c, 'close'), 'client close');
    const key = crypto.randomBytes(16).toString('base64');
    c.write(`GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    await readUntil(c, clientReceived, '\r\n\r\n');
    const clientClose = frame({ opcode: 0x8, payload: closePayload(1000, 'bye'), mask: true });
    c.end(clientClose);

    await within(upstreamEnded, 'upstream sees the client FIN');
    assert.ok(Buffer.concat(upstreamReceived).subarray(-clientClose.length).equals(clientClose), 'the close frame arrived before the FIN');
    assert.ok(!events.includes('client:end'), 'the client side is still open for reading');
    const serverClose = frame({ opcode: 0x8, payload: closePayload(1000, 'bye') });
    upstreamSocket!.end(serverClose);

    await clientClosed;
    const all = Buffer.concat(clientReceived);
    assert.ok(all.subarray(-serverClose.length).equals(serverClose), 'the client got the upstream\'s close frame');
    assert.ok(events.includes('client:end'));
    const end = await records.waitFor('end', isType('end', 1));
    assert.equal(end.clean, true);
    assert.equal(end.by, 'client');
    assert.equal(end.code, 1000);
    assert.equal(end.reason, null);
    const deadline = Date.now() + 2000;
    while (!events.includes('upstream:close') && Date.now() < deadline) await sleep(10);
    assert.ok(events.includes('upstream:close'), 'the upstream socket closed');
  } finally {
    client?.destroy();
    await proxy?.close();
    await closeServer(upstream);
  }
});

test('close(): ends live connections with an end record by the proxy', async () => {
  const records = new Records();
  let upstream: WsEcho | undefined;
  let proxy: RunningProxy | undefined;
  let client: Awaited<ReturnType<typeof openClient>> | undefined;
  try {
    upstream = await startWsEcho();
    proxy = await proxyWith(records, { target: new URL(`ws://${HOST}:${upstream.port}`) });
    client = await openClient(`ws://${HOST}:${proxy.port}/`);
    client.ws.send('hi');
    await client.next(1);
    const closed = within(once(client.ws, 'close'), 'client sees the close');
    await within(proxy.close('test shutdown'), 'proxy close');
    proxy = undefined;
    await closed;
    const end = await records.waitFor('end', isType('end', 1)) as EndRecord;
    assert.equal(end.by, 'proxy');
    assert.match(end.reason ?? '', /test shutdown/);
    assert.equal(records.all.filter(isType('end', 1)).length, 1, 'one end record');
  } finally {
    client?.ws.terminate();
    await proxy?.close();
    await upstream?.close();
  }
});

const hasOpenssl = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;

test('forward mode: a client that rejects wspeek\'s CA with a TLS alert (as browsers do) is recorded, and the proxy stays up', {
  skip: hasOpenssl ? false : 'openssl is not installed: it plays the browser-like client that sends a TLS alert',
}, async () => {
  const caDir = tempDir('proxy-ca');
  const otherCaDir = tempDir('other-ca');
  const records = new Records();
  let proxy: RunningProxy | undefined;
  let child: ReturnType<typeof spawn> | undefined;
  const sockets: net.Socket[] = [];
  try {
    const wspeekCa = CertificateAuthority.loadOrCreate(caDir);
    const otherCa = CertificateAuthority.loadOrCreate(otherCaDir);
    proxy = await proxyWith(records, { target: null, ca: CertificateAuthority.loadOrCreate(caDir), insecure: true });
    // s_client tunnels through the proxy with CONNECT and aborts the handshake on a bad chain.
    child = spawn('openssl', ['s_client', '-proxy', `${HOST}:${proxy.port}`, '-connect', `${HOST}:9`, '-verify_return_error', '-CAfile', otherCa.certPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const [code] = await within(once(child, 'exit'), 'openssl s_client exits') as [number | null];
    assert.notEqual(code, 0, `s_client should fail: ${output}`);
    assert.match(output, /verify/i);

    const t1 = await records.waitFor('tunnel record with the TLS failure', isType('tunnel', 1));
    assert.deepEqual({ ...t1, ts: 0 }, {
      type: 'tunnel', conn: 1, ts: 0, via: 'connect', host: HOST, port: 9, tls: 'rejected', sni: HOST, alpn: null, version: null,
      alert: 'tlsv1 alert unknown ca',
    }, 's_client names the -connect host in SNI, and sends alert 48 (unknown CA)');
    await records.waitFor('end #1', isType('end', 1));
    assert.equal(records.of(1).filter(isType('tunnel')).length, 1, 'one tunnel record');

    // Still serving, and a client trusting wspeek's CA gets through.
    const raw = await connectTunnel(proxy.port, `${HOST}:9`);
    const t = tls.connect({ socket: raw, host: HOST, ca: wspeekCa.certPem });
    sockets.push(t);
    t.on('error', () => {});
    await within(once(t, 'secureConnect'), 'trusting client handshake');
    assert.equal(t.authorized, true);
  } finally {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    for (const s of sockets) s.destroy();
    await proxy?.close();
    fs.rmSync(caDir, { recursive: true, force: true });
    fs.rmSync(otherCaDir, { recursive: true, force: true });
  }
});
