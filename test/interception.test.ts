// Acting on live connections through the proxy: real ws peers (and raw sockets where the bytes must
// be counted), the interception driven as the UI and scripts drive it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { parseFilter } from '../core/filter/filter.js';
import type { ActionRecord, MessageRecord } from '../core/log/records.js';
import type { RunningProxy } from '../proxy/proxy-server.js';
import { isType, Records, reverseProxy } from './support/proxy-records.js';
import { closeServer, HOST, listen, rawConnect, sha256, switchingProtocols, upgradeHead } from './support/raw-peers.js';
import { sleep, waitUntil, within } from './support/wait.js';
import { frame } from './support/ws-frames.js';

interface Peer {
  ws: WebSocket;
  /** Messages received, as text (binary ones as `bin:<hex>`). */
  got: string[];
}

const show = (data: RawData, isBinary: boolean): string => {
  const b = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
  return isBinary ? `bin:${b.toString('hex')}` : b.toString();
};

/** A ws server on 127.0.0.1 that keeps what each connection receives; `onConnection` may answer. */
async function startServer(options: { deflate?: WebSocket.PerMessageDeflateOptions | false; onConnection?: (p: Peer) => void } = {}) {
  const server = http.createServer((_q, r) => r.writeHead(404).end());
  const wss = new WebSocketServer({ server, perMessageDeflate: options.deflate ?? false });
  const peers: Peer[] = [];
  wss.on('connection', (ws) => {
    const p: Peer = { ws, got: [] };
    peers.push(p);
    ws.on('error', () => {});
    ws.on('message', (d: RawData, isBinary: boolean) => p.got.push(show(d, isBinary)));
    options.onConnection?.(p);
  });
  const port = await listen(server);
  return {
    port, peers,
    async close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await closeServer(server);
    },
  };
}

async function connect(url: string, deflate: WebSocket.PerMessageDeflateOptions | false = false): Promise<Peer> {
  const ws = new WebSocket(url, { perMessageDeflate: deflate });
  const p: Peer = { ws, got: [] };
  ws.on('message', (d: RawData, isBinary: boolean) => p.got.push(show(d, isBinary)));
  await within(new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  }), `open ${url}`);
  ws.on('error', () => {});
  return p;
}

const filter = (source: string) => {
  const f = parseFilter(source);
  assert.ok(f.ok, source);
  return f.predicate;
};

const actions = (records: Records, conn?: number) =>
  records.all.filter((r): r is ActionRecord => r.type === 'action' && (conn === undefined || r.conn === conn));

/** The seq of the first message record from `from` whose text is `text`. */
async function seqOf(records: Records, from: 'client' | 'server', text: string): Promise<MessageRecord> {
  return records.waitFor(`the message "${text}"`, (r): r is MessageRecord => r.type === 'message' && r.from === from && r.text === text);
}

/** Runs `body` with a ws server, a proxy in front of it, and the proxy's records; closes everything after. */
async function withProxy(options: Parameters<typeof startServer>[0], body: (s: Awaited<ReturnType<typeof startServer>>, proxy: RunningProxy, records: Records) => Promise<void>): Promise<void> {
  const server = await startServer(options);
  const records = new Records();
  const proxy = await reverseProxy(records, server.port);
  try {
    await body(server, proxy, records);
  } finally {
    await proxy.close();
    await server.close();
  }
}

test('hold and forward: what the filter matches waits, and everything behind it in that direction; forwarded, it goes on in order', async () => {
  await withProxy({}, async (server, proxy, records) => {
    proxy.interception.setFilter(filter('"hold me"'));
    const client = await connect(`ws://${HOST}:${proxy.port}/a`);
    for (const m of ['first', 'hold me', 'behind it']) client.ws.send(m);
    await waitUntil('the first message upstream', () => server.peers[0]?.got.length === 1);
    server.peers[0]!.ws.send('the other direction goes on');
    await waitUntil('the other direction', () => client.got.length === 1);
    await sleep(50);
    assert.deepEqual(server.peers[0]!.got, ['first'], 'the held message and what is behind it wait');
    assert.deepEqual(proxy.interception.summary(), { messages: 1, waitingFrames: 1, waitingBytes: 15 });
    const held = await seqOf(records, 'client', 'hold me');
    assert.equal(proxy.interception.forward(held.conn, held.seq, 'user'), null);
    await waitUntil('the rest upstream', () => server.peers[0]!.got.length === 3);
    assert.deepEqual(server.peers[0]!.got, ['first', 'hold me', 'behind it']);
    assert.deepEqual(actions(records).map((a) => [a.action, a.by, a.seq, a.from, a.to]), [['held', 'user', held.seq, 'client', 'server'], ['forwarded', 'user', held.seq, 'client', 'server']]);
    assert.equal(proxy.interception.forward(held.conn, held.seq, 'user'), `message ${held.seq} of #${held.conn} is not held`);
  });
});

test('hold and drop; edit text and binary: the peer gets what was decided, the log says what was sent', async () => {
  await withProxy({}, async (server, proxy, records) => {
    proxy.interception.setFilter(filter('client'));
    const client = await connect(`ws://${HOST}:${proxy.port}/b`);
    client.ws.send('drop me');
    client.ws.send('edit me');
    client.ws.send(Buffer.from([1, 2, 3]));
    const [drop, edit, bin] = [await seqOf(records, 'client', 'drop me'), await seqOf(records, 'client', 'edit me'),
      await records.waitFor('the binary message', (r): r is MessageRecord => r.type === 'message' && r.kind === 'binary')];
    assert.equal(proxy.interception.drop(drop.conn, drop.seq, 'user'), null);
    assert.equal(proxy.interception.edit(edit.conn, edit.seq, { opcode: 1, payload: Buffer.from('edited ✓') }, 'user'), null);
    assert.equal(proxy.interception.edit(bin.conn, bin.seq, { opcode: 2, payload: Buffer.from([9, 9]) }, 'user'), null);
    await sleep(50);
    assert.deepEqual(server.peers[0]!.got, [], 'an edited message stays held until forwarded');
    proxy.interception.forwardAll('user');
    await waitUntil('both upstream', () => server.peers[0]!.got.length === 2);
    assert.deepEqual(server.peers[0]!.got, ['edited ✓', 'bin:0909']);
    const a = actions(records, drop.conn).filter((x) => x.action !== 'held');
    assert.deepEqual(a.map((x) => [x.action, x.seq, x.text ?? x.base64, x.length]), [
      ['dropped', drop.seq, undefined, undefined],
      ['edited', edit.seq, 'edited ✓', 10], ['edited', bin.seq, 'CQk=', 2],
      ['forwarded', edit.seq, 'edited ✓', 10], ['forwarded', bin.seq, 'CQk=', 2],
    ]);
  });
});

test('inject to each side, resend, then close with a code both peers see', async () => {
  await withProxy({}, async (server, proxy, records) => {
    const client = await connect(`ws://${HOST}:${proxy.port}/c`);
    client.ws.send('original');
    await waitUntil('upstream', () => server.peers[0]?.got.length === 1);
    const original = await seqOf(records, 'client', 'original');
    const conn = original.conn;
    assert.equal(proxy.interception.inject(conn, 'server', { opcode: 1, payload: Buffer.from('to the server') }, 'user'), null);
    assert.equal(proxy.interception.inject(conn, 'client', { opcode: 2, payload: Buffer.from([0xca, 0xfe]) }, 'user'), null);
    assert.equal(proxy.interception.resend(original, 'user'), null);
    await waitUntil('injected and resent upstream', () => server.peers[0]!.got.length === 3);
    await waitUntil('injected downstream', () => client.got.length === 1);
    assert.deepEqual(server.peers[0]!.got, ['original', 'to the server', 'original']);
    assert.deepEqual(client.got, ['bin:cafe']);
    // The connection was carried passively until the first injection, and goes on working after it.
    client.ws.send('after');
    await waitUntil('after', () => server.peers[0]!.got.length === 4);

    const closes = Promise.all([
      new Promise<number>((r) => client.ws.once('close', (code) => r(code))),
      new Promise<number>((r) => server.peers[0]!.ws.once('close', (code) => r(code))),
    ]);
    assert.equal(proxy.interception.close(conn, 4000, 'enough', 'user'), null);
    assert.deepEqual(await within(closes, 'both peers closed'), [4000, 4000]);
    const end = await records.waitFor('end', isType('end', conn));
    assert.equal(end.code, 4000);
    assert.deepEqual(actions(records, conn).map((a) => [a.action, a.from, a.to, a.seq]), [
      ['injected', 'client', 'server', undefined], ['injected', 'server', 'client', undefined], ['resent', 'client', 'server', original.seq],
      ['closed', 'client', 'server', undefined], ['closed', 'server', 'client', undefined],
    ]);
    assert.equal(proxy.interception.inject(conn, 'server', { opcode: 1, payload: Buffer.from('late') }, 'user'), `#${conn} is not open`);
  });
});

test('reset ends both sides at once', async () => {
  await withProxy({}, async (server, proxy, records) => {
    const client = await connect(`ws://${HOST}:${proxy.port}/r`);
    client.ws.send('x');
    const m = await seqOf(records, 'client', 'x');
    const closed = new Promise<number>((r) => client.ws.once('close', (code) => r(code)));
    assert.equal(proxy.interception.reset(m.conn, 'user'), null);
    assert.equal(await within(closed, 'client closed'), 1006, 'abnormal closure: no close frame, the TCP connection reset');
    const end = await records.waitFor('end', isType('end', m.conn));
    assert.equal(end.by, 'proxy');
    assert.match(end.reason ?? '', /reset by the user/);
    void server;
  });
});

test('when the proxy shuts down, held messages go on first (nobody decided to drop them), by wspeek', async () => {
  const server = await startServer();
  const records = new Records();
  const proxy = await reverseProxy(records, server.port);
  try {
    proxy.interception.setFilter(filter('"keep"'));
    const client = await connect(`ws://${HOST}:${proxy.port}/shutdown`);
    client.ws.send('keep me');
    client.ws.send('and me behind it');
    const m = await seqOf(records, 'client', 'keep me');
    await waitUntil('the held action', () => actions(records, m.conn).length === 1);
    await sleep(50);
    assert.deepEqual(server.peers[0]!.got, []);
    await proxy.close();
    await waitUntil('both messages at the server', () => server.peers[0]!.got.length === 2);
    assert.deepEqual(server.peers[0]!.got, ['keep me', 'and me behind it']);
    const forwarded = actions(records, m.conn)[1]!;
    assert.deepEqual([forwarded.action, forwarded.by, forwarded.seq], ['forwarded', 'proxy', m.seq]);
  } finally {
    await server.close();
  }
});

test('a held message whose receiver goes away is recorded as dropped by wspeek; many held messages across connections forwarded at once', async () => {
  await withProxy({}, async (server, proxy, records) => {
    proxy.interception.setFilter(filter('"held"'));
    const a = await connect(`ws://${HOST}:${proxy.port}/1`);
    a.ws.send('held');
    const m = await seqOf(records, 'client', 'held');
    await waitUntil('the held action', () => actions(records, m.conn).length === 1);
    server.peers[0]!.ws.terminate();
    await records.waitFor('end', isType('end', m.conn));
    await waitUntil('the drop', () => actions(records, m.conn).length === 2);
    const dropped = actions(records, m.conn)[1]!;
    assert.deepEqual([dropped.action, dropped.by, dropped.seq], ['dropped', 'proxy', m.seq]);
    assert.match(dropped.error ?? '', /closed while the message was held/);

    const clients = await Promise.all([1, 2, 3].map((i) => connect(`ws://${HOST}:${proxy.port}/many${i}`)));
    for (const [i, c] of clients.entries()) c.ws.send(`held ${i}`);
    await waitUntil('three held', () => proxy.interception.summary().messages === 3);
    proxy.interception.forwardAll('user');
    await waitUntil('each upstream', () => server.peers.slice(1).every((p) => p.got.length === 1));
    assert.deepEqual(server.peers.slice(1).map((p) => p.got[0]).sort(), ['held 0', 'held 1', 'held 2']);
  });
});

test('a message held when its sender ends can still be forwarded; the end goes on after it', async () => {
  await withProxy({}, async (server, proxy, records) => {
    proxy.interception.setFilter(filter('"last words"'));
    const c = await rawConnect(proxy.port);
    c.socket.write(upgradeHead('/ending', crypto.randomBytes(16).toString('base64'), `${HOST}:${server.port}`));
    await waitUntil('101', () => Buffer.concat(c.received).toString('latin1').includes('101 Switching Protocols'));
    const closed = new Promise<void>((r) => server.peers[0]!.ws.once('close', () => r()));
    c.socket.end(frame({ opcode: 1, payload: 'last words', mask: true }));
    const m = await seqOf(records, 'client', 'last words');
    await sleep(50);
    assert.deepEqual(server.peers[0]!.got, [], 'held, and the end waits behind it');
    assert.equal(proxy.interception.forward(m.conn, m.seq, 'user'), null);
    await within(closed, 'the server sees the end after the message');
    assert.deepEqual(server.peers[0]!.got, ['last words']);
  });
});

test('a connection already open when interception begins: held from its next message on', async () => {
  await withProxy({}, async (server, proxy, records) => {
    const client = await connect(`ws://${HOST}:${proxy.port}/open`);
    for (let i = 0; i < 20; i++) client.ws.send(`before ${i}`);
    await waitUntil('passively carried', () => server.peers[0]?.got.length === 20);
    proxy.interception.setFilter(filter('"stop"'));
    client.ws.send('go');
    client.ws.send('stop');
    client.ws.send('go again');
    await waitUntil('go', () => server.peers[0]!.got.length === 21);
    await sleep(50);
    assert.equal(server.peers[0]!.got.length, 21);
    const held = await seqOf(records, 'client', 'stop');
    assert.equal(proxy.interception.forward(held.conn, held.seq, 'user'), null);
    await waitUntil('the rest', () => server.peers[0]!.got.length === 23);
    assert.deepEqual(server.peers[0]!.got.slice(20), ['go', 'stop', 'go again']);
  });
});

for (const takeover of [true, false]) {
  test(`permessage-deflate, context takeover ${takeover ? 'on' : 'off'}: drop the 2nd of 50 compressed messages and edit the 10th; the server inflates the other 48 exactly`, async () => {
    const deflate = { threshold: 0, ...(takeover ? {} : { clientNoContextTakeover: true, serverNoContextTakeover: true }) };
    await withProxy({ deflate }, async (server, proxy, records) => {
      proxy.interception.setFilter(filter('/^msg (2|10);/'));
      const client = await connect(`ws://${HOST}:${proxy.port}/z`, deflate);
      const texts = Array.from({ length: 50 }, (_, i) => `msg ${i + 1}; ${'the same words again and again, '.repeat(3)}`);
      for (const t of texts) client.ws.send(t);
      const second = await seqOf(records, 'client', texts[1]!);
      const tenth = await seqOf(records, 'client', texts[9]!);
      assert.equal(second.compressed, true);
      assert.equal(proxy.interception.drop(second.conn, second.seq, 'user'), null);
      assert.equal(proxy.interception.edit(tenth.conn, tenth.seq, { opcode: 1, payload: Buffer.from('msg 10; edited') }, 'user'), null);
      assert.equal(proxy.interception.forward(tenth.conn, tenth.seq, 'user'), null);
      await waitUntil('49 messages upstream', () => server.peers[0]!.got.length === 49, 10_000);
      const expected = texts.filter((_, i) => i !== 1);
      expected[8] = 'msg 10; edited';
      assert.deepEqual(server.peers[0]!.got, expected);
      // The other direction stays as it was.
      server.peers[0]!.ws.send('down');
      await waitUntil('down', () => client.got.length === 1);
      const reencode = actions(records, second.conn).filter((a) => a.action === 'reencode');
      if (takeover) {
        const third = await seqOf(records, 'client', texts[2]!);
        assert.deepEqual(reencode.map((a) => [a.from, a.seq, a.by]), [['client', third.seq, 'proxy']], 'once, at the first message re-encoded');
      } else assert.deepEqual(reencode, [], 'without context takeover nothing needs re-encoding');
    });
  });
}

test('with a filter that matches nothing, a fragmented message with pings between its fragments, and everything else, reaches the other side byte for byte', async () => {
  // A raw upstream that answers the upgrade and keeps every byte; a raw client that sends what ws would not.
  let upstreamBytes = Buffer.alloc(0);
  let upstreamSocket: net.Socket | null = null;
  const upstream = http.createServer();
  upstream.on('upgrade', (req, socket: net.Socket) => {
    upstreamSocket = socket;
    socket.write(switchingProtocols(String(req.headers['sec-websocket-key'])));
    socket.on('data', (d: Buffer) => (upstreamBytes = Buffer.concat([upstreamBytes, d])));
  });
  const port = await listen(upstream);
  const records = new Records();
  const proxy = await reverseProxy(records, port);
  try {
    proxy.interception.setFilter(filter('"never in this stream"'));
    const c = await rawConnect(proxy.port);
    const key = crypto.randomBytes(16).toString('base64');
    c.socket.write(upgradeHead('/raw', key, `${HOST}:${port}`));
    await waitUntil('101', () => Buffer.concat(c.received).toString('latin1').includes('101 Switching Protocols'));
    const frames = Buffer.concat([
      frame({ opcode: 1, payload: 'frag-', fin: false, mask: true }), frame({ opcode: 9, payload: 'ping 1', mask: true }),
      frame({ opcode: 0, payload: 'ment-', fin: false, mask: true }), frame({ opcode: 10, payload: 'pong', mask: true }),
      frame({ opcode: 0, payload: 'ed', mask: true }), frame({ opcode: 2, payload: crypto.randomBytes(100_000), mask: true }),
      frame({ opcode: 3, payload: 'reserved', mask: true }), frame({ opcode: 1, payload: 'last', mask: true }),
    ]);
    for (let i = 0; i < frames.length; i += 777) {
      c.socket.write(frames.subarray(i, i + 777));
      await sleep(0);
    }
    await waitUntil('every byte upstream', () => upstreamBytes.length >= frames.length, 10_000);
    assert.equal(sha256(upstreamBytes.subarray(upstreamBytes.length - frames.length)), sha256(frames));
    const down = frame({ opcode: 2, payload: crypto.randomBytes(5000) });
    upstreamSocket!.write(down);
    await waitUntil('downstream', () => Buffer.concat(c.received).length >= down.length);
    assert.ok(Buffer.concat(c.received).subarray(-down.length).equals(down));
    assert.deepEqual(actions(records), [], 'nothing held, nothing done');
    c.socket.destroy();
  } finally {
    await proxy.close();
    await closeServer(upstream);
  }
});
