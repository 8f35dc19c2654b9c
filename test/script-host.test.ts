import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { parseFilter } from '../core/filter/filter.js';
import type { ActionRecord, HandshakeRecord, LogRecord, MessageRecord } from '../core/log/records.js';
import { startProxy, type RunningProxy } from '../proxy/proxy-server.js';
import { loadScript, ScriptError } from '../proxy/script-host.js';
import { isType, Records } from './support/proxy-records.js';
import { closeServer, HOST, listen, sha256, switchingProtocols, Tally, upgradeHead, withoutHost } from './support/raw-peers.js';
import { sleep, waitUntil, within } from './support/wait.js';
import { frame } from './support/ws-frames.js';

// Scripts acting on the traffic through the live proxy: real ws peers (and raw sockets where
// bytes are compared), each script an ES module written to a temporary directory.

let dir = '';
let scripts = 0;
before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wspeek-script-host-'))));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function scriptFile(source: string, ext = '.mjs'): string {
  const file = path.join(dir, `hooks-${++scripts}${ext}`);
  fs.writeFileSync(file, source);
  return file;
}

interface Scripted {
  proxy: RunningProxy;
  records: Records;
  /** What the script said with ctx.log. */
  logs: string[];
  actions(conn?: number): ActionRecord[];
}

/** The proxy in reverse mode in front of 127.0.0.1:`upstreamPort`, with the script `source`. */
async function scriptedProxy(source: string, upstreamPort: number, options: { timeoutMs?: number; intercept?: string } = {}): Promise<Scripted> {
  const module = await loadScript(scriptFile(source));
  const records = new Records();
  const logs: string[] = [];
  let intercept = null;
  if (options.intercept !== undefined) {
    const parsed = parseFilter(options.intercept);
    assert.ok(parsed.ok);
    intercept = parsed.predicate;
  }
  const proxy = await startProxy({
    host: HOST, port: 0, target: new URL(`ws://${HOST}:${upstreamPort}`), maxPayload: 1024 * 1024, ca: null, insecure: false, emit: records.emit,
    script: { module, timeoutMs: options.timeoutMs ?? 5000, log: (line) => logs.push(line) }, intercept,
  });
  const actions = (conn?: number) => records.all.filter((r): r is ActionRecord => r.type === 'action' && (conn === undefined || r.conn === conn));
  return { proxy, records, logs, actions };
}

/** What a ws upstream received on one connection: its request, and each message (text as a string, binary as bytes). */
interface UpstreamConnection {
  req: http.IncomingMessage;
  ws: WebSocket;
  received: Array<string | Buffer>;
  closed: Promise<{ code: number; reason: string }>;
}

/** A ws echo server on 127.0.0.1, without permessage-deflate. */
async function echoUpstream(): Promise<{ port: number; connections: UpstreamConnection[]; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: HOST, port: 0, perMessageDeflate: false });
  await within(new Promise<void>((r) => wss.once('listening', () => r())), 'upstream listening');
  const connections: UpstreamConnection[] = [];
  wss.on('connection', (ws, req) => {
    ws.on('error', () => {});
    const c: UpstreamConnection = {
      req, ws, received: [],
      closed: new Promise((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() }))),
    };
    connections.push(c);
    ws.on('message', (d: RawData, binary: boolean) => {
      const data = d as Buffer;
      c.received.push(binary ? data : data.toString());
      ws.send(data, { binary });
    });
  });
  return {
    port: (wss.address() as net.AddressInfo).port,
    connections,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      await within(new Promise<void>((r) => wss.close(() => r())), 'upstream close');
    },
  };
}

/** A ws client through the proxy, collecting what it receives. */
async function wsClient(port: number, pathname = '/', headers: Record<string, string> = {}) {
  const ws = new WebSocket(`ws://${HOST}:${port}${pathname}`, { perMessageDeflate: false, headers });
  ws.on('error', () => {});
  const received: Array<string | Buffer> = [];
  ws.on('message', (d: RawData, binary: boolean) => received.push(binary ? (d as Buffer) : d.toString()));
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
  await within(new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  }), `client ${pathname} open`);
  return { ws, received, closed };
}

const isAction = (r: LogRecord): r is ActionRecord => r.type === 'action';
const messagesOf = (records: Records, conn: number) => records.of(conn).filter((r): r is MessageRecord => r.type === 'message');
const sliceOf = (a: ActionRecord) => ({ action: a.action, by: a.by, from: a.from, seq: a.seq, text: a.text, base64: a.base64, error: a.error });

test("onMessage's answers: a string or { text } is sent as text, a Buffer or { data } as binary, { drop: true } drops, a Promise waits, undefined leaves the message as it came", async () => {
  const up = await echoUpstream();
  const s = await scriptedProxy(`
    export function onMessage(msg, ctx) {
      ctx.log(JSON.stringify({ ...msg, data: msg.data.toString('hex') }));
      if (msg.from === 'server') return undefined;
      switch (msg.text) {
        case 'upper me': return msg.text.toUpperCase();
        case 'as object': return { text: 'an object' };
        case 'to buffer': return Buffer.from([1, 2, 3]);
        case 'to data': return { data: new Uint8Array([4, 5]) };
        case 'drop me': return { drop: true };
        case 'later': return new Promise((r) => setTimeout(() => r('LATER'), 30));
        default: return undefined;
      }
    }`, up.port);
  try {
    const c = await wsClient(s.proxy.port, '/chat');
    for (const m of ['upper me', 'as object', 'to buffer', 'to data', 'drop me', 'later', 'keep me']) c.ws.send(m);
    c.ws.send(Buffer.from([0xde, 0xad]));
    await waitUntil('7 echoes', () => c.received.length === 7);
    const expected = ['UPPER ME', 'an object', Buffer.from([1, 2, 3]), Buffer.from([4, 5]), 'LATER', 'keep me', Buffer.from([0xde, 0xad])];
    assert.deepEqual(up.connections[0]!.received, expected, 'the upstream got what the script answered, in order, without the dropped one');
    assert.deepEqual(c.received, expected, 'and echoed it');

    const hs = await s.records.waitFor('handshake', isType('handshake'));
    const conn = hs.conn;
    const client = messagesOf(s.records, conn).filter((m) => m.from === 'client');
    const seqOf = (text: string) => client.find((m) => m.text === text)!.seq;
    await s.records.waitFor('the last action', (r): r is ActionRecord => isAction(r) && r.seq === seqOf('later') && r.action === 'forwarded');
    assert.deepEqual(s.actions(conn).map(sliceOf), [
      { action: 'edited', by: 'script', from: 'client', seq: seqOf('upper me'), text: 'UPPER ME', base64: undefined, error: undefined },
      { action: 'forwarded', by: 'script', from: 'client', seq: seqOf('upper me'), text: 'UPPER ME', base64: undefined, error: undefined },
      { action: 'edited', by: 'script', from: 'client', seq: seqOf('as object'), text: 'an object', base64: undefined, error: undefined },
      { action: 'forwarded', by: 'script', from: 'client', seq: seqOf('as object'), text: 'an object', base64: undefined, error: undefined },
      { action: 'edited', by: 'script', from: 'client', seq: seqOf('to buffer'), text: undefined, base64: 'AQID', error: undefined },
      { action: 'forwarded', by: 'script', from: 'client', seq: seqOf('to buffer'), text: undefined, base64: 'AQID', error: undefined },
      { action: 'edited', by: 'script', from: 'client', seq: seqOf('to data'), text: undefined, base64: 'BAU=', error: undefined },
      { action: 'forwarded', by: 'script', from: 'client', seq: seqOf('to data'), text: undefined, base64: 'BAU=', error: undefined },
      { action: 'dropped', by: 'script', from: 'client', seq: seqOf('drop me'), text: undefined, base64: undefined, error: undefined },
      { action: 'edited', by: 'script', from: 'client', seq: seqOf('later'), text: 'LATER', base64: undefined, error: undefined },
      { action: 'forwarded', by: 'script', from: 'client', seq: seqOf('later'), text: 'LATER', base64: undefined, error: undefined },
    ], 'an action record for each message the script changed, none for those it left alone');
    assert.ok(s.actions(conn).every((a) => a.to === 'server'));

    // What onMessage was given: the message record's fields, its payload as a Buffer, the connection's URL.
    const seen = s.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(seen.length, 8 + 7, 'every data message, both ways');
    const binary = client.find((m) => m.kind === 'binary')!;
    assert.deepEqual(seen.find((m) => m.seq === binary.seq), { conn, seq: binary.seq, from: 'client', kind: 'binary', data: 'dead', length: 2, url: `ws://${HOST}:${up.port}/chat` });
    assert.deepEqual(seen.find((m) => m.seq === seqOf('upper me')), { conn, seq: seqOf('upper me'), from: 'client', kind: 'text', text: 'upper me', data: Buffer.from('upper me').toString('hex'), length: 8, url: `ws://${HOST}:${up.port}/chat` });
    c.ws.close();
  } finally {
    await s.proxy.close();
    await up.close();
  }
});

test('a hook that throws, rejects, answers nonsense or never answers: its message goes on as it came (by script with the error; a timeout by proxy), and the proxy goes on', async () => {
  const up = await echoUpstream();
  const s = await scriptedProxy(`
    export function onMessage(msg) {
      if (msg.from === 'server') return;
      if (msg.text === 'throw') throw new Error('boom');
      if (msg.text === 'reject') return Promise.reject(new TypeError('nope'));
      if (msg.text === 'nonsense') return 42;
      if (msg.text === 'never') return new Promise(() => {});
      if (msg.text === 'fine') return 'FINE';
    }`, up.port, { timeoutMs: 150 });
  try {
    const c = await wsClient(s.proxy.port);
    for (const m of ['throw', 'reject', 'nonsense', 'never', 'behind', 'fine']) c.ws.send(m);
    await waitUntil('6 echoes', () => c.received.length === 6);
    assert.deepEqual(up.connections[0]!.received, ['throw', 'reject', 'nonsense', 'never', 'behind', 'FINE'], 'unchanged, in order: "behind" waited for the timeout');
    const conn = (await s.records.waitFor('handshake', isType('handshake'))).conn;
    const seq = (text: string) => messagesOf(s.records, conn).find((m) => m.from === 'client' && m.text === text)!.seq;
    const forwarded = s.actions(conn).filter((a) => a.action === 'forwarded' && a.error !== undefined).map((a) => ({ seq: a.seq, by: a.by, error: a.error }))
      .sort((a, b) => a.seq! - b.seq!);
    assert.deepEqual(forwarded.slice(0, 2), [{ seq: seq('throw'), by: 'script', error: 'boom' }, { seq: seq('reject'), by: 'script', error: 'nope' }]);
    assert.equal(forwarded[2]!.seq, seq('nonsense'));
    assert.equal(forwarded[2]!.by, 'script');
    assert.match(forwarded[2]!.error!, /^onMessage returned number 42; expected undefined/);
    assert.deepEqual(forwarded[3], { seq: seq('never'), by: 'proxy', error: 'timeout' }, 'a timeout is wspeek deciding');
    assert.equal(forwarded.length, 4);
    assert.ok(s.actions(conn).every((a) => a.text === undefined || a.seq === seq('fine')), 'nothing but FINE was sent instead of a message');

    // The proxy goes on: another connection, served as the first; hooks that run out of time one after the other each time out.
    const d = await wsClient(s.proxy.port);
    d.ws.send('never');
    await sleep(60);
    d.ws.send('never');
    d.ws.send('fine');
    await waitUntil('the echoes on a new connection', () => d.received.length === 3);
    assert.deepEqual(d.received, ['never', 'never', 'FINE']);
    const timeouts = s.actions((await s.records.waitFor('the second handshake', (r): r is HandshakeRecord => r.type === 'handshake' && r.conn !== conn)).conn)
      .filter((a) => a.error === 'timeout');
    assert.equal(timeouts.length, 2);
    c.ws.close();
    d.ws.close();
  } finally {
    await s.proxy.close();
    await up.close();
  }
});

test("ctx.inject writes a message toward either side (resolved once written, rejected with why not), ctx.close closes the connection on purpose; an ignored rejection harms nothing", async () => {
  const up = await echoUpstream();
  const s = await scriptedProxy(`
    export async function onMessage(msg, ctx) {
      if (msg.from !== 'client') return;
      if (msg.text === 'inject') {
        await ctx.inject(msg.conn, 'server', 'to the server');
        await ctx.inject(msg.conn, 'client', Buffer.from([7, 7]));
        await ctx.inject(99, 'client', 'x').catch((err) => ctx.log('rejected:', err.message));
        await ctx.inject(msg.conn, 'sideways', 'x').catch((err) => ctx.log('rejected:', err.message));
        ctx.inject(98, 'server', 'ignored');
        return { drop: true };
      }
      if (msg.text === 'close') {
        await ctx.close(msg.conn, 4001, 'the script says bye');
        return { drop: true };
      }
    }`, up.port);
  try {
    const c = await wsClient(s.proxy.port);
    c.ws.send('inject');
    await waitUntil('the injected message and its echo', () => c.received.length === 2);
    assert.deepEqual(up.connections[0]!.received, ['to the server'], 'the upstream got the injected text, not the dropped message');
    assert.deepEqual(c.received, [Buffer.from([7, 7]), 'to the server'], 'the client got the injected binary, then the echo');
    assert.deepEqual(s.logs, ['rejected: #99 is not open', 'rejected: ctx.inject: to is "sideways"; expected "client" or "server"']);

    c.ws.send('close');
    const [client, server] = await within(Promise.all([c.closed, up.connections[0]!.closed]), 'both peers closed');
    assert.deepEqual(client, { code: 4001, reason: 'the script says bye' });
    assert.deepEqual(server, { code: 4001, reason: 'the script says bye' });
    const conn = (await s.records.waitFor('handshake', isType('handshake'))).conn;
    await s.records.waitFor('the end', isType('end', conn));
    const acts = s.actions(conn).map((a) => ({ action: a.action, by: a.by, from: a.from, to: a.to, text: a.text, base64: a.base64, code: a.code, reason: a.reason }));
    assert.deepEqual(acts.filter((a) => a.action !== 'dropped'), [
      { action: 'injected', by: 'script', from: 'client', to: 'server', text: 'to the server', base64: undefined, code: undefined, reason: undefined },
      { action: 'injected', by: 'script', from: 'server', to: 'client', text: undefined, base64: 'Bwc=', code: undefined, reason: undefined },
      { action: 'closed', by: 'script', from: 'client', to: 'server', text: undefined, base64: undefined, code: 4001, reason: 'the script says bye' },
      { action: 'closed', by: 'script', from: 'server', to: 'client', text: undefined, base64: undefined, code: 4001, reason: 'the script says bye' },
    ]);
    assert.equal(acts.filter((a) => a.action === 'dropped').length, 2);
  } finally {
    await s.proxy.close();
    await up.close();
  }
});

test("onHandshake: headers changed (in place, or returned later) are what the upstream gets; the handshake record keeps what the client sent, an edited record what was sent; a failing hook leaves them", async () => {
  const up = await echoUpstream();
  const s = await scriptedProxy(`
    export async function onHandshake(req, ctx) {
      if (req.target === '/in-place') {
        req.headers = req.headers.filter(([name]) => name.toLowerCase() !== 'x-secret');
        req.headers.push(['X-Hooked', req.conn + ' ' + req.method + ' ' + req.url]);
        return;
      }
      if (req.target === '/returned') {
        await new Promise((r) => setTimeout(r, 30));
        return [...req.headers, ['X-Later', 'yes']];
      }
      if (req.target === '/throw') throw new Error('no headers for you');
      if (req.target === '/slow') return new Promise(() => {});
    }`, up.port, { timeoutMs: 150 });
  try {
    const upstreamHeaders = (i: number) => {
      const raw = up.connections[i]!.req.rawHeaders;
      return Array.from({ length: raw.length / 2 }, (_, k) => [raw[2 * k]!, raw[2 * k + 1]!]);
    };
    const results: Array<{ pathname: string; hs: HandshakeRecord; actions: ActionRecord[]; upstream: string[][] }> = [];
    for (const [i, pathname] of ['/in-place', '/returned', '/throw', '/slow'].entries()) {
      const c = await wsClient(s.proxy.port, pathname, { 'X-Secret': 'hunter2' });
      c.ws.send('after the handshake');
      await waitUntil('the echo', () => c.received.length === 1);
      const hs = await s.records.waitFor(`handshake ${pathname}`, (r): r is HandshakeRecord => r.type === 'handshake' && r.url.endsWith(pathname));
      results.push({ pathname, hs, actions: s.actions(hs.conn), upstream: upstreamHeaders(i) });
      c.ws.close();
    }
    const has = (headers: string[][], name: string) => headers.some(([n]) => n!.toLowerCase() === name);
    for (const r of results) {
      assert.ok(has(r.hs.request.headers, 'x-secret'), `${r.pathname}: the handshake record keeps what the client sent`);
      assert.ok(!has(r.hs.request.headers, 'x-hooked') && !has(r.hs.request.headers, 'x-later'));
      assert.equal(r.actions.length, 1, `${r.pathname}: one action record`);
    }
    const [inPlace, returned, thrown, slow] = results as [typeof results[0], typeof results[0], typeof results[0], typeof results[0]];
    assert.ok(!has(inPlace.upstream, 'x-secret'), 'removed in place');
    assert.deepEqual(inPlace.upstream.find(([n]) => n === 'X-Hooked'), ['X-Hooked', `${inPlace.hs.conn} GET ws://${HOST}:${up.port}/in-place`]);
    assert.deepEqual(returned.upstream.at(-1), ['X-Later', 'yes']);
    assert.ok(has(returned.upstream, 'x-secret'));
    for (const r of [inPlace, returned]) {
      const a = r.actions[0]!;
      assert.deepEqual({ action: a.action, target: a.target, by: a.by, from: a.from, to: a.to }, { action: 'edited', target: 'handshake', by: 'script', from: 'client', to: 'server' });
      assert.deepEqual(a.headers, r.upstream, `${r.pathname}: the record's headers are what the upstream got`);
    }
    for (const [r, by, error] of [[thrown, 'script', 'no headers for you'], [slow, 'proxy', 'timeout']] as const) {
      const a = r.actions[0]!;
      assert.deepEqual({ action: a.action, target: a.target, by: a.by, error: a.error, headers: a.headers }, { action: 'forwarded', target: 'handshake', by, error, headers: undefined });
      assert.deepEqual(r.upstream, r.hs.request.headers.map(([n, v]) => [n, n.toLowerCase() === 'host' ? `${HOST}:${up.port}` : v]), `${r.pathname}: the upstream got the request as the client sent it (Host naming the target)`);
    }
  } finally {
    await s.proxy.close();
    await up.close();
  }
});

test('--intercept with a script: onMessage sees only the messages the filter matches; the others go on without it', async () => {
  const up = await echoUpstream();
  const s = await scriptedProxy(`
    export function onMessage(msg, ctx) {
      ctx.log(msg.from + ' ' + msg.text);
      return msg.text.toUpperCase();
    }`, up.port, { intercept: 'payload:hook' });
  try {
    const c = await wsClient(s.proxy.port);
    for (const m of ['hook one', 'plain', 'hook two', 'plain again']) c.ws.send(m);
    await waitUntil('4 echoes', () => c.received.length === 4);
    assert.deepEqual(up.connections[0]!.received, ['HOOK ONE', 'plain', 'HOOK TWO', 'plain again']);
    assert.deepEqual(c.received, ['HOOK ONE', 'plain', 'HOOK TWO', 'plain again']);
    assert.deepEqual(s.logs.sort(), ['client hook one', 'client hook two', 'server HOOK ONE', 'server HOOK TWO']);
    c.ws.close();
  } finally {
    await s.proxy.close();
    await up.close();
  }
});

// ---------------------------------------------------------------------------------------------
// What a script leaves alone, byte for byte (raw peers)
// ---------------------------------------------------------------------------------------------

/** A raw upgrade's peers' streams: a ping and text, a message fragmented around a ping, 70 KB of binary, compressed text and binary, a pong. */
function stream(mask: boolean): Buffer[] {
  const compressed = (data: Buffer) => zlib.deflateRawSync(data, { flush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, -4);
  return [
    Buffer.concat([frame({ opcode: 9, payload: 'early', mask }), frame({ opcode: 1, payload: 'hello', mask })]),
    Buffer.concat([frame({ opcode: 1, payload: 'frag', fin: false, mask }), frame({ opcode: 9, payload: 'between', mask }), frame({ opcode: 0, payload: 'mented', mask })]),
    frame({ opcode: 2, payload: crypto.randomBytes(70_000), mask }),
    frame({ opcode: 1, rsv: 0x40, payload: compressed(Buffer.from('compressed '.repeat(20))), mask }),
    frame({ opcode: 2, rsv: 0x40, payload: compressed(crypto.randomBytes(300)), mask }),
    frame({ opcode: 10, payload: '', mask }),
  ];
}

/**
 * A raw client and a raw upstream exchanging `stream` both ways through the proxy, the client's
 * first frames in the same write as its request head; resolves with what each side sent and received.
 */
async function rawExchange(s: Scripted, upstream: net.Server, upstreamPort: number, proxyPort: number) {
  const up = { head: Buffer.alloc(0), rest: new Tally(), sent: new Tally() };
  upstream.removeAllListeners('connection');
  upstream.on('connection', (socket: net.Socket) => {
    let buffered = Buffer.alloc(0);
    let open = false;
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      if (open) return up.rest.add(chunk);
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      open = true;
      up.head = buffered.subarray(0, end + 4);
      if (buffered.length > end + 4) up.rest.add(buffered.subarray(end + 4));
      const key = /^Sec-WebSocket-Key: *(.*)$/im.exec(up.head.toString('latin1'))![1]!.trim();
      const out = Buffer.concat([switchingProtocols(key, { deflate: true }), ...stream(false)]);
      up.sent.add(out);
      socket.write(out);
    });
  });
  const socket = net.connect({ host: HOST, port: proxyPort });
  socket.on('error', () => {});
  const received = new Tally();
  socket.on('data', (c: Buffer) => received.add(c));
  await within(new Promise((r) => socket.once('connect', r)), 'raw client connect');
  const head = upgradeHead('/raw', crypto.randomBytes(16).toString('base64'), `${HOST}:${proxyPort}`, { deflate: true, userAgent: 'raw/1' });
  const [first, ...rest] = stream(true);
  const sent = new Tally();
  sent.add(first!);
  socket.write(Buffer.concat([head, first!]));
  await waitUntil('the 101', () => received.prefix.includes('\r\n\r\n'));
  for (const b of rest) {
    sent.add(b);
    socket.write(b);
    await sleep(5);
  }
  await waitUntil('both streams through', () => up.rest.bytes === sent.bytes && received.bytes === up.sent.bytes);
  socket.destroy();
  await s.records.waitFor('the end', isType('end'));
  assert.equal(withoutHost(up.head).toString('latin1'), withoutHost(head).toString('latin1'), 'the request head differs only in Host');
  assert.ok(up.head.includes(`\r\nHost: ${HOST}:${upstreamPort}\r\n`));
  assert.equal(up.rest.digest(), sent.digest(), 'client → upstream: SHA-256');
  assert.equal(received.digest(), up.sent.digest(), 'upstream → client: SHA-256');
}

test('everything a script leaves alone is byte-exact both ways (SHA-256; compressed, fragmented, pings between fragments): sync and async hooks, --intercept matching nothing, a handshake hook that waits', async () => {
  const upstream = net.createServer();
  const upstreamPort = await listen(upstream);
  const variants: Array<{ name: string; source: string; intercept?: string; calls: number }> = [
    { name: 'sync onMessage', source: 'export function onMessage(msg, ctx) { ctx.log(msg.seq); }', calls: 10 },
    { name: 'async onMessage', source: 'export async function onMessage(msg, ctx) { await null; ctx.log(msg.seq); }', calls: 10 },
    { name: '--intercept matching nothing', source: 'export function onMessage(msg, ctx) { ctx.log(msg.seq); return "CHANGED"; }', intercept: 'payload:"never-in-the-traffic"', calls: 0 },
    {
      name: 'onHandshake waiting, then leaving the headers',
      source: 'export async function onHandshake(req, ctx) { await new Promise((r) => setTimeout(r, 50)); ctx.log(req.target); }\nexport function onMessage(msg, ctx) { ctx.log(msg.seq); }',
      calls: 11,
    },
  ];
  try {
    for (const v of variants) {
      const s = await scriptedProxy(v.source, upstreamPort, v.intercept !== undefined ? { intercept: v.intercept } : {});
      try {
        await rawExchange(s, upstream, upstreamPort, s.proxy.port);
        assert.equal(s.logs.length, v.calls, `${v.name}: the hooks were called for every data message they see`);
        assert.deepEqual(s.actions(), [], `${v.name}: no action records`);
        const messages = s.records.all.filter((r): r is MessageRecord => r.type === 'message');
        assert.equal(messages.filter((m) => m.compressed).length, 4, `${v.name}: the compressed messages were decoded`);
        assert.equal(messages.filter((m) => m.text === 'fragmented').length, 2);
      } finally {
        await s.proxy.close();
      }
    }
  } finally {
    await closeServer(upstream);
  }
});

test("a client's frames sent with its request head are each asked about as themselves once the 101 lets them be decoded", async () => {
  const upstream = net.createServer();
  const upstreamPort = await listen(upstream);
  const s = await scriptedProxy(`export function onMessage(msg) { if (msg.text === 'drop me') return { drop: true }; }`, upstreamPort);
  const rest = new Tally();
  upstream.on('connection', (socket: net.Socket) => {
    let head: Buffer | null = Buffer.alloc(0);
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      if (!head) return rest.add(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      rest.add(head.subarray(end + 4));
      socket.write(switchingProtocols(/^Sec-WebSocket-Key: *(.*)$/im.exec(head.toString('latin1'))![1]!.trim()));
      head = null;
    });
  });
  try {
    const [one, dropped, three] = ['one', 'drop me', 'three'].map((t) => frame({ opcode: 1, payload: t, mask: true })) as [Buffer, Buffer, Buffer];
    const socket = net.connect({ host: HOST, port: s.proxy.port });
    socket.on('error', () => {});
    await within(new Promise((r) => socket.once('connect', r)), 'raw client connect');
    socket.write(Buffer.concat([upgradeHead('/early', crypto.randomBytes(16).toString('base64'), `${HOST}:${s.proxy.port}`), one, dropped, three]));
    await s.records.waitFor('the drop', (r): r is ActionRecord => isAction(r) && r.action === 'dropped');
    await waitUntil('two messages upstream', () => rest.bytes >= one.length + three.length);
    socket.destroy();
    assert.equal(rest.digest(), sha256(Buffer.concat([one, three])), 'the upstream got "one" and "three" byte for byte, not "drop me"');
    const dropSeq = s.records.all.find((r): r is MessageRecord => r.type === 'message' && r.text === 'drop me')!.seq;
    assert.deepEqual(s.actions().map((a) => [a.action, a.seq]), [['dropped', dropSeq]]);
  } finally {
    await s.proxy.close();
    await closeServer(upstream);
  }
});

test('loading a script: named exports or a CommonJS module; TypeScript, a missing file, a syntax error, no hooks, a hook that is not a function: a ScriptError in one line', async () => {
  const esm = await loadScript(scriptFile('export function onMessage() {}'));
  assert.equal(typeof esm.onMessage, 'function');
  assert.equal(esm.onHandshake, null);
  const cjs = await loadScript(scriptFile('exports.onHandshake = function () {};', '.cjs'));
  assert.equal(typeof cjs.onHandshake, 'function');
  assert.equal(cjs.onMessage, null);
  // Relative to the current directory.
  const relative = path.relative(process.cwd(), scriptFile('export const onMessage = () => undefined;'));
  assert.equal(typeof (await loadScript(relative)).onMessage, 'function');

  const failures: Array<[string, RegExp]> = [
    [scriptFile('export function onMessage() {}', '.ts'), /is TypeScript: compile it to JavaScript first, e\.g\. `npx -p typescript tsc --module nodenext --target es2022 hooks\.mts` writes hooks\.mjs$/],
    [path.join(dir, 'no-such-hooks.mjs'), /^cannot load the script \S+no-such-hooks\.mjs: /],
    [scriptFile('export function onMessage( {'), /^cannot load the script \S+: .+/],
    [scriptFile('export function somethingElse() {}'), /exports neither onHandshake nor onMessage$/],
    [scriptFile('export const onMessage = "not a function";'), /exports onMessage, but as a string, not a function$/],
  ];
  for (const [file, pattern] of failures) {
    await assert.rejects(loadScript(file), (err: Error) => {
      assert.ok(err instanceof ScriptError, `${file}: a ScriptError`);
      assert.match(err.message, pattern);
      assert.ok(!err.message.includes('\n'), 'one line');
      return true;
    });
  }
});
