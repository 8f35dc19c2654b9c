import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fc from 'fast-check';
import sockjs from 'sockjs';
import SockJS from 'sockjs-client';
import { Client, type IMessage } from '@stomp/stompjs';
import type { AppDecoder } from '../core/app/app-decoder.js';
import type { AppEntry } from '../core/app/app-entry.js';
import { SOCKJS } from '../core/app/sockjs.js';
import { conversation, handshakeRecord, readApp } from './support/app-records.js';
import { isType, Records, reverseProxy } from './support/proxy-records.js';
import { closeServer, listen } from './support/raw-peers.js';
import { MiniStompBroker } from './support/stomp-broker.js';
import { waitUntil, within } from './support/wait.js';

/** Message records of connection 1, one numbering for the whole file. */
const msg = conversation();
const decoder = (): AppDecoder => SOCKJS.create({ url: null, subprotocol: null });
/** A client message as sockjs-client sends it: a JSON array of strings. */
const client = (...messages: string[]) => msg('client', JSON.stringify(messages));
/** A server `a` frame. */
const server = (...messages: string[]) => msg('server', `a${JSON.stringify(messages)}`);

test('the SockJS framing: o is open, h a heartbeat, c[code,reason] a close with both in value', () => {
  const d = decoder();
  assert.deepEqual(d.decode(msg('server', 'o')), [{ protocol: 'sockjs', type: 'open' }]);
  assert.deepEqual(d.decode(msg('server', 'h')), [{ protocol: 'sockjs', type: 'heartbeat', heartbeat: true }]);
  assert.deepEqual(d.decode(msg('server', 'c[3000,"Go away!"]')), [{ protocol: 'sockjs', type: 'close', value: { code: 3000, reason: 'Go away!' } }]);
  assert.deepEqual(d.decode(msg('server', 'c["4000","bye"]')), [{ protocol: 'sockjs', type: 'close', value: { code: '4000', reason: 'bye' } }], 'sockjs-node sends the code as it was given');
});

test('messages that are not STOMP are one sockjs message entry each, the string in value', () => {
  const d = decoder();
  assert.deepEqual(d.decode(client('hello', '{"a":1}')), [
    { protocol: 'sockjs', type: 'message', value: 'hello' },
    { protocol: 'sockjs', type: 'message', value: '{"a":1}' },
  ]);
  assert.deepEqual(d.decode(server('back')), [{ protocol: 'sockjs', type: 'message', value: 'back' }]);
  assert.deepEqual(d.decode(msg('client', '"one string"')), [{ protocol: 'sockjs', type: 'message', value: 'one string' }], 'sockjs-node takes a bare JSON string too');
});

test('once a client message opens a STOMP session, every message inside is read as STOMP frames, paired across SockJS frames', () => {
  const d = decoder();
  const connect = client('CONNECT\naccept-version:1.2,1.1,1.0\nheart-beat:10000,10000\n\n\0');
  assert.deepEqual(d.decode(connect)!.map((e) => [e.protocol, e.type]), [['stomp', 'connect']]);
  const [connected] = d.decode(server('CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0'))!;
  assert.deepEqual([connected!.protocol, connected!.type, connected!.pair], ['stomp', 'connected', connect.seq]);
  const sub = client('SUBSCRIBE\nid:sub-0\ndestination:/topic/a\n\n\0', 'SEND\ndestination:/topic/a\nreceipt:r1\ncontent-length:2\n\nhi\0');
  assert.deepEqual(d.decode(sub)!.map((e) => [e.type, e.name, e.id]), [['subscribe', '/topic/a', 'sub-0'], ['send', '/topic/a', 'r1']]);
  const replies = d.decode(server('MESSAGE\nsubscription:sub-0\nmessage-id:1\ndestination:/topic/a\ncontent-length:2\n\nhi\0', 'RECEIPT\nreceipt-id:r1\n\n\0'))!;
  assert.deepEqual(replies.map((e) => [e.type, e.id, e.pair]), [['message', 'sub-0', sub.seq], ['receipt', 'r1', sub.seq]]);
  assert.deepEqual(d.decode(client('\n')), [{ protocol: 'stomp', type: 'heartbeat', heartbeat: true }], "a STOMP heart-beat inside SockJS");
  assert.deepEqual(d.decode(msg('server', 'h')), [{ protocol: 'sockjs', type: 'heartbeat', heartbeat: true }], 'SockJS framing stays sockjs');
});

test('an empty client message and an empty a[] carry nothing', () => {
  const d = decoder();
  assert.equal(d.decode(msg('client', '')), null);
  assert.equal(d.decode(msg('server', 'a[]'))?.length ?? 0, 0);
});

test('what is not SockJS is one unreadable entry: unknown frames, bad JSON, arrays of non-strings, binary messages', () => {
  const d = decoder();
  for (const m of [msg('server', 'x'), msg('server', 'open'), msg('server', 'a{"x":1}'), msg('server', 'a["ok",1]'), msg('server', 'c[3000]'), msg('client', '[1,2]'), msg('client', 'plain text'), msg('client', new Uint8Array([1, 2]))]) {
    const entries = d.decode(m);
    assert.equal(entries?.length, 1, JSON.stringify(m));
    assert.equal(entries![0]!.protocol, 'sockjs');
    assert.equal(entries![0]!.type, undefined);
    assert.equal(typeof entries![0]!.error, 'string');
  }
});

test('a truncated a[...] frame is a message entry with an error: its messages are not guessed at', () => {
  const [e] = decoder().decode(msg('server', 'a["MESSAGE\\nsubscr', { truncated: true, length: 9000 }))!;
  assert.deepEqual([e!.protocol, e!.type, typeof e!.error], ['sockjs', 'message', 'string']);
});

test("SockJS is chosen by the WebSocket transport's URL only: /<prefix>/<server>/<session>/websocket", () => {
  const matches = (path: string) => SOCKJS.matchesUrl!(new URL(`ws://h${path}`));
  assert.ok(matches('/stomp/123/abcd1234/websocket'));
  assert.ok(matches('/a/b/stomp/7/x_y-z/websocket'));
  assert.ok(!matches('/stomp/websocket'), 'the raw WebSocket endpoint has no SockJS framing');
  assert.ok(!matches('/stomp/abc/abcd1234/websocket'), 'the server id is digits');
  assert.ok(!matches('/stomp/123/ab.cd/websocket'), 'a session id has no dots');
  assert.ok(!matches('/stomp/123/abcd/xhr'));
});

test('the layer sniffs SockJS on a server o, and reads STOMP inside; a server text that is not o is not sniffed', () => {
  const out = readApp([handshakeRecord('ws://h/ws'), msg('server', 'o'), client('CONNECT\nhost:x\n\n\0'), server('CONNECTED\nversion:1.2\n\n\0')]);
  assert.deepEqual(out.map((m) => m.app?.map((e) => `${e.protocol} ${e.type}`)), [['sockjs open'], ['stomp connect'], ['stomp connected']]);
  const other = readApp([handshakeRecord('ws://h/ws'), msg('server', 'ok'), msg('client', 'o')]);
  assert.deepEqual(other.map((m) => m.app), [undefined, undefined]);
});

test('fuzz: random and cut payloads never throw and leave the record payload as it was', () => {
  const valid = ['o', 'h', 'a["CONNECTED\\nversion:1.2\\n\\n\\u0000","MESSAGE\\nsubscription:0\\n\\nx\\u0000"]', 'c[3000,"Go away!"]', '["CONNECT\\nhost:x\\n\\n\\u0000"]'];
  const payload = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.uint8Array({ maxLength: 40 }),
    fc.tuple(fc.constantFrom(...valid), fc.nat(60)).map(([v, n]) => v.slice(0, n)),
    fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }).map((a) => `a${JSON.stringify(a)}`),
    fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }).map((a) => JSON.stringify(a)),
  );
  fc.assert(fc.property(
    fc.array(fc.record({ from: fc.constantFrom('client' as const, 'server' as const), payload, truncated: fc.boolean() }), { maxLength: 8 }),
    (messages) => {
      const d = decoder();
      d.decode(client('CONNECT\nhost:x\n\n\0'));
      for (const { from, payload: p, truncated } of messages) {
        const m = msg(from, p, { truncated });
        const before = JSON.stringify(m);
        const entries: AppEntry[] | null = d.decode(m);
        assert.equal(JSON.stringify(m), before, 'the record is untouched');
        for (const e of entries ?? []) assert.ok(e.protocol === 'sockjs' || e.protocol === 'stomp');
      }
    },
  ), { numRuns: 300 });
});

test('live: stompjs over sockjs-client (WebSocket transport) through the proxy to a sockjs server', async (t) => {
  const broker = new MiniStompBroker();
  const httpServer = http.createServer();
  const service = sockjs.createServer({ prefix: '/stomp', log: () => {} });
  const conns: sockjs.Connection[] = [];
  service.on('connection', (conn: sockjs.Connection) => {
    conns.push(conn);
    const c = broker.connection((data) => conn.write(data.toString('utf8')));
    conn.on('data', (s: string) => c.receive(s));
    conn.on('close', () => c.close());
  });
  service.installHandlers(httpServer, { prefix: '/stomp' });
  const port = await listen(httpServer);
  const records = new Records();
  const proxy = await reverseProxy(records, port);
  const stomp = new Client({
    webSocketFactory: () => new SockJS(`http://${proxy.address}/stomp`, null, { transports: ['websocket'] }),
    reconnectDelay: 0, heartbeatIncoming: 0, heartbeatOutgoing: 0,
  });
  t.after(async () => {
    await within(stomp.deactivate(), 'stompjs deactivated').catch(() => {});
    await proxy.close();
    await closeServer(httpServer);
  });
  const connected = new Promise<void>((r) => (stomp.onConnect = () => r()));
  stomp.activate();
  await within(connected, 'stompjs connected over SockJS');
  const got: IMessage[] = [];
  const sub = stomp.subscribe('/topic/room', (m) => got.push(m));
  const receipted = new Promise<void>((r) => stomp.watchForReceipt('r-1', () => r()));
  stomp.publish({ destination: '/topic/room', body: 'over sockjs', headers: { receipt: 'r-1' } });
  await within(receipted, 'the receipt');
  await waitUntil('the message delivered', () => got.length === 1);
  sub.unsubscribe();
  conns[0]!.close('4000', 'bye');
  await waitUntil('the close frame went through', () => records.all.some((r) => r.type === 'message' && r.text?.startsWith('c[') === true));

  const hs = records.all.filter(isType('handshake'));
  assert.equal(hs.length, 1, 'one WebSocket connection');
  assert.match(new URL(hs[0]!.url).pathname, /^\/stomp\/\d+\/[^/.]+\/websocket$/);
  const es = readApp(records.all).filter((m) => m.conn === hs[0]!.conn).flatMap((m) => (m.app ?? []).map((e) => ({ ...e, seq: m.seq, from: m.from })));
  const line = (e: AppEntry & { from: string }) => [e.from, e.protocol, e.type, e.name, e.id].filter((x) => x !== undefined).join(' ');
  assert.deepEqual(es.map(line), [
    'server sockjs open',
    'client stomp connect',
    'server stomp connected',
    'client stomp subscribe /topic/room sub-0',
    'client stomp send /topic/room r-1',
    'server stomp message /topic/room sub-0',
    'server stomp receipt /topic/room r-1',
    'client stomp unsubscribe /topic/room sub-0',
    'server sockjs close',
  ]);
  const seqOf = (type: string) => es.find((e) => e.type === type)!.seq;
  assert.equal(es.find((e) => e.type === 'connected')!.pair, seqOf('connect'));
  assert.equal(es.find((e) => e.type === 'message')!.pair, seqOf('subscribe'));
  assert.equal(es.find((e) => e.type === 'receipt')!.pair, seqOf('send'));
  assert.deepEqual([es.find((e) => e.type === 'unsubscribe')!.pair, es.find((e) => e.type === 'unsubscribe')!.count], [seqOf('subscribe'), 1]);
  assert.deepEqual(es.find((e) => e.type === 'close')!.value, { code: '4000', reason: 'bye' }, 'the code as sockjs-node sent it');
});
