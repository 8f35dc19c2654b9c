import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { Server } from 'socket.io';
import { io, type Socket } from 'socket.io-client';
import ioV2 from 'socket.io-client-v2';
import { SOCKET_IO } from '../core/app/socket-io.js';
import type { AppEntry } from '../core/app/app-entry.js';
import type { HandshakeRecord, LogRecord, MessageRecord } from '../core/log/records.js';
import type { Side } from '../core/websocket/events.js';
import { conversation, handshakeRecord, readApp } from './support/app-records.js';
import { Records, reverseProxy } from './support/proxy-records.js';
import { waitUntil, within } from './support/wait.js';

/** Decodes `messages` in order with a fresh decoder for `url`; one result per message. */
function decodeAll(url: string | null, messages: MessageRecord[]): (AppEntry[] | null)[] {
  const d = SOCKET_IO.create({ url, subprotocol: null });
  return messages.map((m) => d.decode(m));
}

const V4 = 'ws://h/socket.io/?EIO=4&transport=websocket';
const V3 = 'ws://h/socket.io/?EIO=3&transport=websocket';
const OPEN = '0{"sid":"dQha9hS0pLb6-kPvAAAA","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}';

// Bytes in, entries out. Payloads as socket.io 4.8, socket.io-client 4.8 and socket.io-client 2.5 sent them.

test('a v4 session: open, connect answered with its sid, an event and its ack (which carries the event name), a heartbeat', () => {
  const m = conversation();
  const out = decodeAll(V4, [
    m('server', OPEN), m('client', '40'), m('server', '40{"sid":"ZD4j"}'), m('client', '420["chat","hello"]'),
    m('server', '430[{"ok":true,"msg":"hello"}]'), m('server', '2'), m('client', '3'), m('client', '41'),
  ]);
  assert.deepEqual(out, [
    [{ protocol: 'engine.io', type: 'open', value: { sid: 'dQha9hS0pLb6-kPvAAAA', upgrades: [], pingInterval: 25000, pingTimeout: 20000, maxPayload: 1000000 } }],
    [{ protocol: 'socket.io', type: 'connect', namespace: '/' }],
    [{ protocol: 'socket.io', type: 'connect', namespace: '/', value: { sid: 'ZD4j' }, pair: 2, latencyMs: 10 }],
    [{ protocol: 'socket.io', type: 'event', name: 'chat', id: 0, namespace: '/', args: ['hello'] }],
    [{ protocol: 'socket.io', type: 'ack', id: 0, namespace: '/', args: [{ ok: true, msg: 'hello' }], pair: 4, latencyMs: 10, name: 'chat' }],
    [{ protocol: 'engine.io', type: 'ping', heartbeat: true }],
    [{ protocol: 'engine.io', type: 'pong', heartbeat: true, pair: 6, latencyMs: 10 }],
    [{ protocol: 'socket.io', type: 'disconnect', namespace: '/' }],
  ]);
});

test('an event without an ack id has no id: nothing waits for a reply', () => {
  const m = conversation();
  assert.deepEqual(decodeAll(V4, [m('server', '42/admin,["news",1,{"a":[2]}]')]), [
    [{ protocol: 'socket.io', type: 'event', name: 'news', namespace: '/admin', args: [1, { a: [2] }] }],
  ]);
});

test('the upgrade probes are a ping and pong with value probe, paired, and no heartbeat; then the upgrade packet', () => {
  const m = conversation();
  assert.deepEqual(decodeAll(`${V4}&sid=qGVa`, [m('client', '2probe'), m('server', '3probe'), m('client', '5'), m('server', '6')]), [
    [{ protocol: 'engine.io', type: 'ping', value: 'probe' }],
    [{ protocol: 'engine.io', type: 'pong', value: 'probe', pair: 1, latencyMs: 10 }],
    [{ protocol: 'engine.io', type: 'upgrade' }],
    [{ protocol: 'engine.io', type: 'noop' }],
  ]);
});

test('v3 heartbeats go from the client, answered by the server', () => {
  const m = conversation();
  const out = decodeAll(V3, [m('server', OPEN), m('server', '40'), m('client', '2'), m('server', '3')]);
  assert.deepEqual(out.slice(1), [
    [{ protocol: 'socket.io', type: 'connect', namespace: '/' }],
    [{ protocol: 'engine.io', type: 'ping', heartbeat: true }],
    [{ protocol: 'engine.io', type: 'pong', heartbeat: true, pair: 3, latencyMs: 10 }],
  ]);
});

test('acks pair per namespace and direction: an ack answers the event of the same id sent the other way', () => {
  const m = conversation();
  const out = decodeAll(V4, [
    m('client', '42/a,5["fromClient"]'), m('server', '42/a,5["fromServer"]'), m('server', '42/b,5["otherNamespace"]'),
    m('client', '43/a,5[]'), m('server', '43/a,5["r"]'), m('server', '43/c,5[]'),
  ]);
  assert.deepEqual(out[3], [{ protocol: 'socket.io', type: 'ack', id: 5, namespace: '/a', args: [], pair: 2, latencyMs: 20, name: 'fromServer' }]);
  assert.deepEqual(out[4], [{ protocol: 'socket.io', type: 'ack', id: 5, namespace: '/a', args: ['r'], pair: 1, latencyMs: 40, name: 'fromClient' }]);
  assert.deepEqual(out[5], [{ protocol: 'socket.io', type: 'ack', id: 5, namespace: '/c', args: [] }], 'no event with that id in /c');
});

test('a connect_error answers the client\'s connect to its namespace (v5 object, v4 string)', () => {
  const m = conversation();
  const out = decodeAll(V4, [m('client', '40/locked,{"token":"t"}'), m('server', '44/locked,{"message":"nope"}'), m('client', '40/x?q=1,'), m('server', '44/x,"Not authorized"')]);
  assert.deepEqual(out, [
    [{ protocol: 'socket.io', type: 'connect', namespace: '/locked', value: { token: 't' } }],
    [{ protocol: 'socket.io', type: 'connect_error', namespace: '/locked', value: { message: 'nope' }, pair: 1, latencyMs: 10 }],
    [{ protocol: 'socket.io', type: 'connect', namespace: '/x' }],
    [{ protocol: 'socket.io', type: 'connect_error', namespace: '/x', value: 'Not authorized', pair: 3, latencyMs: 10 }],
  ]);
});

test('a binary event: the text and the attachments before the last are partial; the last carries the whole event, attachments in place', () => {
  const m = conversation();
  const out = decodeAll(V4, [
    m('client', '452-3["upload",{"a":{"_placeholder":true,"num":1}},[{"_placeholder":true,"num":0}]]'),
    m('server', '2'),
    m('client', Buffer.from([1, 2, 3])),
    m('client', Buffer.from('abc')),
    m('server', '461-3[{"_placeholder":true,"num":0}]'),
    m('server', Buffer.from([0xff])),
  ]);
  const partial = { protocol: 'socket.io', type: 'binary_event', name: 'upload', namespace: '/', partial: true };
  assert.deepEqual(out[0], [partial]);
  assert.deepEqual(out[1], [{ protocol: 'engine.io', type: 'ping', heartbeat: true }], 'the other direction goes on meanwhile');
  assert.deepEqual(out[2], [partial]);
  assert.deepEqual(out[3], [{ protocol: 'socket.io', type: 'binary_event', name: 'upload', id: 3, namespace: '/', args: [{ a: { base64: 'YWJj' } }, [{ base64: 'AQID' }]] }]);
  assert.deepEqual(out[4], [{ protocol: 'socket.io', type: 'binary_ack', name: 'upload', namespace: '/', partial: true }], 'the partial ack names its event');
  assert.deepEqual(out[5], [{ protocol: 'socket.io', type: 'binary_ack', id: 3, namespace: '/', args: [{ base64: '/w==' }], pair: 4, latencyMs: 20, name: 'upload' }]);
});

test('a binary packet with no attachments is whole at once', () => {
  const m = conversation();
  assert.deepEqual(decodeAll(V4, [m('server', '450-["empty"]')]), [[{ protocol: 'socket.io', type: 'binary_event', name: 'empty', namespace: '/', args: [] }]]);
});

test('Engine.IO v3 binary messages lose their leading message-type byte; without it they are unreadable', () => {
  const m = conversation();
  const out = decodeAll(V3, [
    m('server', '451-["welcome","hi",{"_placeholder":true,"num":0}]'), m('server', Buffer.from([4, 1, 2, 3])),
    m('server', '451-["again",{"_placeholder":true,"num":0}]'), m('server', Buffer.from([1, 2, 3])),
  ]);
  assert.deepEqual(out[1], [{ protocol: 'socket.io', type: 'binary_event', name: 'welcome', namespace: '/', args: ['hi', { base64: 'AQID' }] }]);
  assert.equal(out[3]![0]!.protocol, 'engine.io');
  assert.match(out[3]![0]!.error!, /v3 binary message without its message type/);
  assert.equal(out[3]![0]!.type, undefined);
});

test('with no URL, a ping from the client shows Engine.IO v3 and its binary framing', () => {
  const m = conversation();
  const out = decodeAll(null, [m('client', '2'), m('client', '451-["f",{"_placeholder":true,"num":0}]'), m('client', Buffer.from([4, 9]))]);
  assert.deepEqual(out[2], [{ protocol: 'socket.io', type: 'binary_event', name: 'f', namespace: '/', args: [{ base64: 'CQ==' }] }]);
});

test('a text message from the side owing attachments abandons that packet: a binary after it is unreadable', () => {
  const m = conversation();
  const out = decodeAll(V4, [m('client', '451-["f",{"_placeholder":true,"num":0}]'), m('client', '42["other"]'), m('client', Buffer.from([1]))]);
  assert.deepEqual(out[1], [{ protocol: 'socket.io', type: 'event', name: 'other', namespace: '/', args: [] }]);
  assert.deepEqual(out[2], [{ protocol: 'socket.io', error: 'a binary message with no binary packet awaiting attachments' }]);
});

test('a placeholder past the attachments makes the completing message unreadable', () => {
  const m = conversation();
  const out = decodeAll(V4, [m('client', '451-["f",{"_placeholder":true,"num":1}]'), m('client', Buffer.from([1]))]);
  assert.deepEqual(out[1], [{ protocol: 'socket.io', error: 'a placeholder with no attachment' }]);
});

test('what Engine.IO or Socket.IO cannot read is one entry with protocol and error, and no type', () => {
  const m = conversation();
  const bad = [m('client', '9hello'), m('client', ''), m('client', '4hello'), m('client', '42{"not":"an array"}'), m('server', '0{"sid":1}'),
    m('client', 'x', { kind: 'text', text: undefined, base64: '/w==' })];
  const out = decodeAll(V4, bad);
  assert.deepEqual(out.map((e) => e![0]!.protocol), ['engine.io', 'engine.io', 'socket.io', 'socket.io', 'engine.io', 'engine.io']);
  for (const e of out) {
    assert.equal(e!.length, 1);
    assert.equal(e![0]!.type, undefined);
    assert.equal(typeof e![0]!.error, 'string');
  }
});

test('a truncated message whose JSON is cut says so', () => {
  const m = conversation();
  const [e] = decodeAll(V4, [m('client', '42["chat","hel', { truncated: true, length: 100 })]);
  assert.match(e![0]!.error!, /cut short/);
});

test('WebSocket control messages carry nothing of Socket.IO', () => {
  const m = conversation();
  assert.deepEqual(decodeAll(V4, [m('client', Buffer.alloc(0), { kind: 'ping' }), m('server', Buffer.alloc(0), { kind: 'close', base64: undefined, close: { code: 1000, reason: '' } })]), [null, null]);
});

test('chosen by an EIO query parameter on any path, not by the path alone', () => {
  assert.equal(SOCKET_IO.matchesUrl!(new URL('ws://h/socket.io/?EIO=4&transport=websocket')), true);
  assert.equal(SOCKET_IO.matchesUrl!(new URL('wss://h/app/rt/?EIO=3&transport=websocket&sid=x')), true);
  assert.equal(SOCKET_IO.matchesUrl!(new URL('ws://h/socket.io/')), false);
});

test('sniffed only from a server\'s open packet', () => {
  const m = conversation();
  assert.equal(SOCKET_IO.sniff!(m('server', OPEN)), true);
  assert.equal(SOCKET_IO.sniff!(m('client', OPEN)), false);
  assert.equal(SOCKET_IO.sniff!(m('server', '0{"sid":"a"}')), false);
  assert.equal(SOCKET_IO.sniff!(m('server', '0{"sid":"a","upgrades":[],"pingInterval":')), false);
  assert.equal(SOCKET_IO.sniff!(m('server', '42["chat"]')), false);
  assert.equal(SOCKET_IO.sniff!(m('server', Buffer.from(OPEN))), false);
});

test('through the layer: a connection on a path without EIO is sniffed from its open packet and read from there', () => {
  const m = conversation();
  const messages = readApp([handshakeRecord('ws://h/rt'), m('client', 'hello'), m('server', OPEN), m('client', '40')]);
  assert.equal(messages[0]!.app, undefined);
  assert.equal(messages[1]!.app![0]!.type, 'open');
  assert.deepEqual(messages[2]!.app, [{ protocol: 'socket.io', type: 'connect', namespace: '/' }]);
});

test('through the layer: a sniffed connection that turns out not to be Socket.IO falls back to raw', () => {
  const m = conversation();
  const messages = readApp([handshakeRecord('ws://h/rt'), m('server', OPEN), m('client', 'not socket.io'), m('client', '40')]);
  assert.equal(messages[0]!.app![0]!.type, 'open');
  assert.equal(messages[1]!.app, undefined);
  assert.equal(messages[2]!.app, undefined);
});

// Fuzzing: whatever arrives, decode returns entries (or null) and the record keeps its payload.

const REAL = [
  OPEN, '40', '40{"sid":"ZD4j"}', '420["chat","hello"]', '430[{"ok":true,"msg":"hello"}]', '451-1["upload","f",{"_placeholder":true,"num":0}]',
  '40/admin,', '42/admin,0["x",1]', '44/locked,{"message":"nope"}', '2probe', '3probe', '5', '2', '3',
];

test('fuzz: random and truncated payloads, text and binary, never throw and leave the record\'s payload as it was', () => {
  const payload = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.tuple(fc.constantFrom(...REAL), fc.nat(120)).map(([t, n]) => t.slice(0, n)),
    fc.tuple(fc.constantFrom('4', '45', '46'), fc.constantFrom('', '1-', '2-/a,', '/b,', '0', '-'), fc.json({ maxDepth: 3 })).map(([a, b, c]) => a + b + c),
    fc.uint8Array({ maxLength: 16 }).map((a) => Buffer.from(a)),
  );
  const run = fc.record({
    url: fc.constantFrom(V4, V3, null),
    steps: fc.array(fc.tuple(fc.constantFrom<Side>('client', 'server'), payload, fc.boolean()), { maxLength: 12 }),
  });
  fc.assert(fc.property(run, ({ url, steps }) => {
    const m = conversation();
    const d = SOCKET_IO.create({ url, subprotocol: null });
    for (const [from, p, truncated] of steps) {
      const r = m(from, p, truncated ? { truncated: true } : {});
      const before = JSON.stringify(r);
      const entries = d.decode(r);
      assert.equal(JSON.stringify(r), before);
      assert.ok(entries !== null && entries.length === 1);
      const e = entries[0]!;
      assert.ok(e.protocol === 'socket.io' || e.protocol === 'engine.io');
      assert.ok(e.type !== undefined || typeof e.error === 'string');
      JSON.stringify(e);
    }
  }), { numRuns: 300 });
});

// Live: the real libraries, through the proxy.

interface Live {
  records: Records;
  url: string;
  server: Server;
}

/** A socket.io server (EIO=3 allowed) behind the proxy; everything is closed when the test ends. */
async function live(t: { after(fn: () => Promise<void>): void }): Promise<Live> {
  const http = createServer();
  const server = new Server(http, { allowEIO3: true, pingInterval: 200, pingTimeout: 5000 });
  server.on('connection', (s) => {
    s.on('chat', (msg: string, ack?: (r: unknown) => void) => ack?.({ ok: true, msg }));
    s.on('upload', (name: string, file: Buffer, ack: (n: number, echo: Buffer) => void) => ack(file.length, Buffer.from(name)));
    s.emit('welcome', 'hi', Buffer.from([1, 2, 3]));
  });
  server.of('/admin').on('connection', (s) => s.on('x', (n: number, ack: (r: number) => void) => ack(n + 1)));
  server.of('/locked').use((_s, next) => next(new Error('nope')));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const records = new Records();
  const proxy = await reverseProxy(records, (http.address() as AddressInfo).port);
  t.after(async () => {
    await proxy.close();
    await server.close();
  });
  return { records, url: `http://127.0.0.1:${proxy.port}`, server };
}

function connected(s: Socket | ReturnType<typeof ioV2>, what: string): Promise<void> {
  return within(new Promise<void>((resolve, reject) => {
    s.on('connect', () => resolve());
    s.on('connect_error', (e: Error) => reject(e));
  }), what);
}

function connectError(s: Socket, what: string): Promise<Error> {
  return within(new Promise<Error>((resolve) => s.on('connect_error', resolve)), what);
}

/** Waits until the proxy has recorded a message `from` whose text starts with `prefix` (a peer may see it first). */
function recorded(records: Records, from: Side, prefix: string): Promise<void> {
  return waitUntil(`a ${from} message ${prefix}`, () => records.all.some((r) => r.type === 'message' && r.from === from && r.text?.startsWith(prefix) === true));
}

/** The app entries of the WebSocket connection, read through the layer as the store does. */
function entriesOf(records: readonly LogRecord[]): { m: MessageRecord; e: AppEntry }[] {
  const conn = records.find((r) => r.type === 'handshake')!.conn;
  return readApp(records).filter((m) => m.conn === conn).flatMap((m) => (m.app ?? []).map((e) => ({ m, e })));
}

const find = (es: { m: MessageRecord; e: AppEntry }[], pred: (e: AppEntry) => boolean, what: string) => {
  const x = es.find(({ e }) => pred(e));
  assert.ok(x, `an entry for ${what} in ${JSON.stringify(es.map(({ e }) => e))}`);
  return x;
};

test('live, socket.io 4.8 over WebSocket only: events with acks, binary both ways, a namespace, a refused namespace, heartbeats', async (t) => {
  const { records, url } = await live(t);
  const c = io(url, { transports: ['websocket'] });
  t.after(() => void c.close());
  await connected(c, 'the client connects');
  assert.deepEqual(await within(c.emitWithAck('chat', 'hello'), 'chat ack'), { ok: true, msg: 'hello' });
  const [n] = await within(new Promise<[number, Buffer]>((r) => c.emit('upload', 'f.bin', Buffer.from('abcdef'), (n: number, b: Buffer) => r([n, b]))), 'upload ack');
  assert.equal(n, 6);
  const admin = io(`${url}/admin`, { transports: ['websocket'] });
  t.after(() => void admin.close());
  await connected(admin, 'the /admin socket connects');
  assert.equal(await within(admin.emitWithAck('x', 41), 'admin ack'), 42);
  const locked = io(`${url}/locked`, { transports: ['websocket'] });
  t.after(() => void locked.close());
  assert.equal((await connectError(locked, '/locked refuses')).message, 'nope');
  // The server's messages are recorded in order: the last one recorded, all are.
  await recorded(records, 'server', '44/locked,');
  await recorded(records, 'client', '3');

  const es = entriesOf(records.all);
  assert.ok(es.every(({ e }) => e.error === undefined), 'every message read');
  assert.equal(es[0]!.e.type, 'open');
  const connect = find(es, (e) => e.type === 'connect' && e.namespace === '/' && e.pair !== undefined, 'the server\'s connect');
  assert.ok(typeof (connect.e.value as { sid: string }).sid === 'string');

  const chat = find(es, (e) => e.type === 'event' && e.name === 'chat', 'chat');
  assert.deepEqual(chat.e.args, ['hello']);
  const chatAck = find(es, (e) => e.type === 'ack' && e.name === 'chat', 'chat\'s ack');
  assert.equal(chatAck.m.from, 'server');
  assert.equal(chatAck.e.pair, chat.m.seq);
  assert.equal(chatAck.e.id, chat.e.id);
  assert.deepEqual(chatAck.e.args, [{ ok: true, msg: 'hello' }]);

  const welcome = es.filter(({ e }) => e.name === 'welcome');
  assert.deepEqual(welcome.map(({ e }) => [e.type, e.partial]), [['binary_event', true], ['binary_event', undefined]]);
  assert.deepEqual(welcome[1]!.e.args, ['hi', { base64: 'AQID' }]);
  assert.equal(welcome[1]!.m.kind, 'binary');

  const upload = find(es, (e) => e.name === 'upload' && e.type === 'binary_event' && !e.partial, 'upload');
  assert.deepEqual(upload.e.args, ['f.bin', { base64: Buffer.from('abcdef').toString('base64') }]);
  const uploadAck = find(es, (e) => e.name === 'upload' && e.type === 'binary_ack' && !e.partial, 'upload\'s binary ack');
  assert.equal(uploadAck.e.pair, upload.m.seq);
  assert.deepEqual(uploadAck.e.args, [6, { base64: Buffer.from('f.bin').toString('base64') }]);

  const x = find(es, (e) => e.type === 'event' && e.name === 'x', 'x on /admin');
  assert.equal(x.e.namespace, '/admin');
  const xAck = find(es, (e) => e.type === 'ack' && e.namespace === '/admin', 'x\'s ack');
  assert.deepEqual([xAck.e.name, xAck.e.pair, xAck.e.args], ['x', x.m.seq, [42]]);

  const refused = find(es, (e) => e.type === 'connect_error', 'the refused connect');
  assert.deepEqual([refused.e.namespace, (refused.e.value as { message: string }).message], ['/locked', 'nope']);
  const refusedAsk = find(es, (e) => e.type === 'connect' && e.namespace === '/locked', 'the connect to /locked');
  assert.equal(refused.e.pair, refusedAsk.m.seq);

  const ping = find(es, (e) => e.type === 'ping', 'a ping');
  assert.deepEqual([ping.m.from, ping.e.heartbeat], ['server', true]);
  const pong = find(es, (e) => e.type === 'pong', 'a pong');
  assert.deepEqual([pong.m.from, pong.e.heartbeat, pong.e.pair], ['client', true, ping.m.seq]);
});

test('live, socket.io 4.8 with its default transports: the WebSocket opens with the probes and the upgrade, then carries the events', async (t) => {
  const { records, url } = await live(t);
  const c = io(url);
  t.after(() => void c.close());
  await connected(c, 'the client connects over polling');
  await waitUntil('the upgrade', () => records.all.some((r) => r.type === 'message' && r.text === '5'));
  assert.deepEqual(await within(c.emitWithAck('chat', 'after upgrade'), 'chat ack'), { ok: true, msg: 'after upgrade' });
  await recorded(records, 'server', '43');

  const handshakeUrl = records.all.find((r): r is HandshakeRecord => r.type === 'handshake')!.url;
  assert.match(handshakeUrl, /EIO=4&transport=websocket&sid=/);
  const es = entriesOf(records.all);
  assert.deepEqual(es.slice(0, 3).map(({ m, e }) => [m.from, e.protocol, e.type, e.value, e.heartbeat, e.pair]), [
    ['client', 'engine.io', 'ping', 'probe', undefined, undefined],
    ['server', 'engine.io', 'pong', 'probe', undefined, es[0]!.m.seq],
    ['client', 'engine.io', 'upgrade', undefined, undefined, undefined],
  ]);
  const chat = find(es, (e) => e.type === 'event' && e.name === 'chat', 'chat');
  const ack = find(es, (e) => e.type === 'ack', 'chat\'s ack');
  assert.deepEqual([ack.e.name, ack.e.pair, ack.e.args], ['chat', chat.m.seq, [{ ok: true, msg: 'after upgrade' }]]);
});

test('live, socket.io-client 2.5 (EIO=3) against socket.io 4.8 with allowEIO3: v3 connect, binary with its type byte, client heartbeats', async (t) => {
  const { records, url } = await live(t);
  const c = ioV2(url, { transports: ['websocket'] });
  t.after(() => void c.close());
  await connected(c, 'the v2 client connects');
  const reply = await within(new Promise<unknown>((r) => c.emit('chat', 'v3', r)), 'chat ack');
  assert.deepEqual(reply, { ok: true, msg: 'v3' });
  const n = await within(new Promise<number>((r) => c.emit('upload', 'g', Buffer.from([9, 8, 7]), r)), 'upload ack');
  assert.equal(n, 3);
  await recorded(records, 'server', '461-1[3,');
  await waitUntil('the ack\'s attachment', () => records.all.some((r) => r.type === 'message' && r.from === 'server' && r.kind === 'binary' && r.base64 === 'BGc='));
  await recorded(records, 'server', '3');

  const es = entriesOf(records.all);
  assert.ok(es.every(({ e }) => e.error === undefined), 'every message read');
  const connect = find(es, (e) => e.type === 'connect', 'the server\'s v3 connect');
  assert.deepEqual([connect.m.from, connect.e.namespace, connect.e.value], ['server', '/', undefined]);

  const welcome = find(es, (e) => e.name === 'welcome' && !e.partial, 'welcome');
  assert.equal(Buffer.from(welcome.m.base64!, 'base64')[0], 4, 'v3 puts the type byte first');
  assert.deepEqual(welcome.e.args, ['hi', { base64: 'AQID' }]);
  const upload = find(es, (e) => e.name === 'upload' && e.type === 'binary_event' && !e.partial, 'upload');
  assert.deepEqual(upload.e.args, ['g', { base64: Buffer.from([9, 8, 7]).toString('base64') }]);
  const uploadAck = find(es, (e) => e.type === 'binary_ack' && !e.partial, 'upload\'s binary ack');
  assert.deepEqual([uploadAck.e.name, uploadAck.e.pair, uploadAck.e.args], ['upload', upload.m.seq, [3, { base64: Buffer.from('g').toString('base64') }]]);

  const chat = find(es, (e) => e.type === 'event' && e.name === 'chat', 'chat');
  const ack = find(es, (e) => e.type === 'ack' && e.name === 'chat', 'chat\'s ack');
  assert.equal(ack.e.pair, chat.m.seq);

  const ping = find(es, (e) => e.type === 'ping', 'a ping');
  assert.deepEqual([ping.m.from, ping.e.heartbeat], ['client', true]);
  const pong = find(es, (e) => e.type === 'pong', 'a pong');
  assert.deepEqual([pong.m.from, pong.e.pair], ['server', ping.m.seq]);
});
