import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WebSocket, WebSocketServer } from 'ws';
import { Client, FrameImpl, type IMessage } from '@stomp/stompjs';
import type { AppDecoder } from '../core/app/app-decoder.js';
import type { AppEntry } from '../core/app/app-entry.js';
import { STOMP } from '../core/app/stomp.js';
import type { LogRecord } from '../core/log/records.js';
import { conversation, handshakeRecord, readApp } from './support/app-records.js';
import { isType, Records, reverseProxy } from './support/proxy-records.js';
import { HOST } from './support/raw-peers.js';
import { MiniStompBroker } from './support/stomp-broker.js';
import { waitUntil, within } from './support/wait.js';

/** Message records of connection 1, one numbering for the whole file. */
const msg = conversation();
const decoder = (subprotocol: string | null = 'v12.stomp'): AppDecoder => STOMP.create({ url: null, subprotocol });
const marshall = (p: Parameters<typeof FrameImpl.marshall>[0]) => {
  const out = FrameImpl.marshall(p);
  return typeof out === 'string' ? out : new Uint8Array(out);
};

test('stompjs CONNECT and the CONNECTED that answers it: types, the pair and its latency', () => {
  const d = decoder();
  const connect = msg('client', marshall({ command: 'CONNECT', headers: { 'accept-version': '1.2,1.1,1.0', 'heart-beat': '10000,10000' } }) as string);
  const connected = msg('server', 'CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0');
  assert.deepEqual(d.decode(connect), [{ protocol: 'stomp', type: 'connect', value: { headers: { 'accept-version': '1.2,1.1,1.0', 'heart-beat': '10000,10000' } } }]);
  assert.deepEqual(d.decode(connected), [{
    protocol: 'stomp', type: 'connected', value: { headers: { version: '1.2', 'heart-beat': '0,0' } }, pair: connect.seq, latencyMs: 10,
  }]);
});

test('SUBSCRIBE is a request by its subscription id; each MESSAGE points at it; UNSUBSCRIBE ends it with count and duration', () => {
  const d = decoder();
  const sub = msg('client', marshall({ command: 'SUBSCRIBE', headers: { id: 'sub-0', destination: '/topic/chat' }, escapeHeaderValues: true }) as string);
  assert.deepEqual(d.decode(sub), [{ protocol: 'stomp', type: 'subscribe', name: '/topic/chat', id: 'sub-0', value: { headers: { id: 'sub-0', destination: '/topic/chat' } } }]);
  const m1 = msg('server', 'MESSAGE\nsubscription:sub-0\nmessage-id:1\ndestination:/topic/chat\ncontent-length:2\n\nhi\0');
  const m2 = msg('server', 'MESSAGE\nsubscription:sub-0\nmessage-id:2\ndestination:/topic/chat\n\nyo\0');
  const [e1] = d.decode(m1)!;
  const [e2] = d.decode(m2)!;
  assert.deepEqual([e1!.type, e1!.name, e1!.id, e1!.pair, (e1!.value as { body: string }).body], ['message', '/topic/chat', 'sub-0', sub.seq, 'hi']);
  assert.deepEqual([e2!.id, e2!.pair, e2!.latencyMs], ['sub-0', sub.seq, m2.ts - sub.ts]);
  const unsub = msg('client', 'UNSUBSCRIBE\nid:sub-0\n\n\0');
  const [u] = d.decode(unsub)!;
  assert.deepEqual(u, {
    protocol: 'stomp', type: 'unsubscribe', name: '/topic/chat', id: 'sub-0', value: { headers: { id: 'sub-0' } },
    pair: sub.seq, latencyMs: unsub.ts - sub.ts, count: 2, durationMs: unsub.ts - sub.ts,
  });
  const late = d.decode(msg('server', 'MESSAGE\nsubscription:sub-0\nmessage-id:3\ndestination:/topic/chat\n\nlate\0'))!;
  assert.equal(late[0]!.pair, undefined, 'a MESSAGE after UNSUBSCRIBE pairs with nothing');
  assert.equal(late[0]!.id, undefined, 'and has no id, so the filter does not take it for a request');
});

test('a frame with a receipt header is a request by its receipt; the RECEIPT answers it and carries its destination', () => {
  const d = decoder();
  const send = msg('client', marshall({ command: 'SEND', headers: { destination: '/queue/a', receipt: 'r-7' }, body: 'x', escapeHeaderValues: true }) as string);
  const [s] = d.decode(send)!;
  assert.deepEqual([s!.type, s!.name, s!.id, s!.pair], ['send', '/queue/a', 'r-7', undefined]);
  const [r] = d.decode(msg('server', 'RECEIPT\nreceipt-id:r-7\n\n\0'))!;
  assert.deepEqual([r!.type, r!.name, r!.id, r!.pair], ['receipt', '/queue/a', 'r-7', send.seq]);
  const [again] = d.decode(msg('server', 'RECEIPT\nreceipt-id:r-7\n\n\0'))!;
  assert.deepEqual([again!.id, again!.pair], [undefined, undefined], 'a receipt is answered once');
});

test('SUBSCRIBE with a receipt keeps its subscription id as id; its RECEIPT and its MESSAGEs both point at it', () => {
  const d = decoder();
  const sub = msg('client', 'SUBSCRIBE\nid:s1\ndestination:/t\nreceipt:r1\n\n\0');
  assert.equal(d.decode(sub)![0]!.id, 's1');
  const [r] = d.decode(msg('server', 'RECEIPT\nreceipt-id:r1\n\n\0'))!;
  const [m] = d.decode(msg('server', 'MESSAGE\nsubscription:s1\ndestination:/t\nmessage-id:9\n\n\0'))!;
  assert.deepEqual([r!.id, r!.pair, r!.name, m!.id, m!.pair], ['r1', sub.seq, '/t', 's1', sub.seq]);
});

test('an ERROR with a receipt-id answers that frame; an ERROR instead of CONNECTED answers the CONNECT', () => {
  const d = decoder();
  const connect = msg('client', 'CONNECT\naccept-version:1.2\n\n\0');
  d.decode(connect);
  const [refused] = d.decode(msg('server', 'ERROR\nmessage:bad login\n\n\0'))!;
  assert.deepEqual([refused!.type, refused!.pair, refused!.id], ['error', connect.seq, undefined]);
  const send = msg('client', 'SEND\ndestination:/q\nreceipt:77\n\n\0');
  d.decode(send);
  const [err] = d.decode(msg('server', 'ERROR\nreceipt-id:77\nmessage:no such queue\n\n\0'))!;
  assert.deepEqual([err!.pair, err!.id, err!.name], [send.seq, '77', '/q']);
});

test('STOMP 1.0: a SUBSCRIBE without id is followed by destination, and a CONNECTED without version turns header escapes off', () => {
  const d = decoder(null);
  d.decode(msg('client', 'CONNECT\nlogin:a\n\n\0'));
  d.decode(msg('server', 'CONNECTED\nsession:1\n\n\0'));
  const sub = msg('client', 'SUBSCRIBE\ndestination:/queue/a\\b\n\n\0');
  const [s] = d.decode(sub)!;
  assert.equal(s!.name, '/queue/a\\b', 'the backslash is literal in 1.0');
  assert.equal(s!.id, undefined);
  const [m] = d.decode(msg('server', 'MESSAGE\ndestination:/queue/a\\b\nmessage-id:1\n\nz\0'))!;
  assert.equal(m!.pair, sub.seq);
  const [u] = d.decode(msg('client', 'UNSUBSCRIBE\ndestination:/queue/a\\b\n\n\0'))!;
  assert.deepEqual([u!.pair, u!.count], [sub.seq, 1]);
});

test('the v10.stomp subprotocol reads headers unescaped from the start', () => {
  const [e] = decoder('v10.stomp').decode(msg('client', 'SEND\ndestination:a\\cb\n\n\0'))!;
  assert.equal(e!.name, 'a\\cb');
});

test('a message of bare EOLs is one heartbeat entry; EOLs after a frame are not', () => {
  const d = decoder();
  assert.deepEqual(d.decode(msg('client', '\n')), [{ protocol: 'stomp', type: 'heartbeat', heartbeat: true }]);
  assert.deepEqual(d.decode(msg('server', '\r\n\r\n')), [{ protocol: 'stomp', type: 'heartbeat', heartbeat: true }]);
  assert.deepEqual(d.decode(msg('client', 'BEGIN\ntransaction:t1\n\n\0\n\n'))!.map((e) => e.type), ['begin']);
});

test('several frames in one message are one entry each, in order', () => {
  const d = decoder();
  const entries = d.decode(msg('client', 'BEGIN\ntransaction:t\n\n\0SEND\ndestination:/a\ntransaction:t\n\nx\0COMMIT\ntransaction:t\n\n\0'))!;
  assert.deepEqual(entries.map((e) => [e.type, e.name]), [['begin', undefined], ['send', '/a'], ['commit', undefined]]);
});

test('bodies: text as text, JSON parsed when content-type says JSON, bytes that are not UTF-8 as base64', () => {
  const d = decoder();
  const body = (s: string | Uint8Array) => (d.decode(msg('client', s))![0]!.value as { body?: unknown }).body;
  assert.equal(body('SEND\ndestination:/a\n\n{"n":1}\0'), '{"n":1}');
  assert.deepEqual(body('SEND\ndestination:/a\ncontent-type:application/json;charset=utf-8\n\n{"n":1}\0'), { n: 1 });
  assert.deepEqual(body('SEND\ndestination:/a\ncontent-type:application/vnd.x+json\n\n[2]\0'), [2]);
  assert.equal(body('SEND\ndestination:/a\ncontent-type:application/json\n\nnot json\0'), 'not json');
  assert.deepEqual(body(marshall({ command: 'SEND', headers: { destination: '/a' }, binaryBody: new Uint8Array([0xff, 0, 1]) })), { base64: '/wAB' });
  assert.equal(body('SEND\ndestination:/a\n\n\0'), undefined, 'no body: no body field');
});

test('stompjs binary frames (forceBinaryWSFrames) read like text ones', () => {
  const d = decoder();
  const bin = new TextEncoder().encode(marshall({ command: 'SEND', headers: { destination: '/b', receipt: 'r' }, body: 'bin', escapeHeaderValues: true }) as string);
  const [e] = d.decode(msg('client', bin))!;
  assert.deepEqual([e!.type, e!.name, e!.id, (e!.value as { body: string }).body], ['send', '/b', 'r', 'bin']);
});

test('a frame split over messages (stompjs splitLargeFrames): the pieces are partial, the message that ends it has the frame', () => {
  const d = decoder();
  const frame = 'SEND\ndestination:/big\ncontent-length:10\n\n0123456789\0';
  assert.deepEqual(d.decode(msg('client', frame.slice(0, 3))), [{ protocol: 'stomp', partial: true }]);
  assert.deepEqual(d.decode(msg('server', '\n')), [{ protocol: 'stomp', type: 'heartbeat', heartbeat: true }], 'the other direction is read on its own');
  assert.deepEqual(d.decode(msg('client', frame.slice(3, 45))), [{ protocol: 'stomp', type: 'send', name: '/big', partial: true }]);
  const [e] = d.decode(msg('client', frame.slice(45)))!;
  assert.deepEqual([e!.type, e!.name, (e!.value as { body: string }).body, e!.partial], ['send', '/big', '0123456789', undefined]);
});

test('a truncated message: the frames it holds whole, then the cut frame with what was read and an error', () => {
  const d = decoder();
  const entries = d.decode(msg('server', 'RECEIPT\nreceipt-id:1\n\n\0MESSAGE\nsubscription:0\ndestination:/a\n\nlong bo', { truncated: true, length: 5000 }))!;
  assert.deepEqual(entries.map((e) => [e.type, e.name, e.error !== undefined]), [['receipt', undefined, false], ['message', '/a', true]]);
  assert.deepEqual(d.decode(msg('server', 'RECEIPT\nreceipt-id:2\n\n\0'))!.map((e) => e.type), ['receipt'], 'nothing of the cut frame is carried');
});

test('what is not STOMP is one unreadable entry (protocol and error, no type); frames before it stay', () => {
  const d = decoder();
  assert.deepEqual(d.decode(msg('client', 'hello there')), [{ protocol: 'stomp', error: 'not a STOMP command: "hello there"' }]);
  const entries = d.decode(msg('client', 'SEND\ndestination:/a\n\n\0GARBAGE\n\n\0'))!;
  assert.deepEqual(entries.map((e) => e.type ?? 'error'), ['send', 'error']);
  assert.equal(d.decode(msg('client', '')), null, 'an empty message carries nothing');
});

test('the layer chooses STOMP by the v12.stomp subprotocol, and sniffs it on a client CONNECT but not on other text', () => {
  const frames = [msg('client', 'CONNECT\naccept-version:1.2\nhost:x\n\n\0'), msg('server', 'CONNECTED\nversion:1.2\n\n\0')];
  const bySub = readApp([handshakeRecord('ws://h/ws', 'v12.stomp'), ...frames.map((m) => ({ ...m }))]);
  assert.deepEqual(bySub.map((m) => m.app?.[0]?.type), ['connect', 'connected']);
  const sniffed = readApp([handshakeRecord('ws://h/ws', null), ...frames.map((m) => ({ ...m }))]);
  assert.deepEqual(sniffed.map((m) => m.app?.[0]?.type), ['connect', 'connected']);
  const other = readApp([handshakeRecord('ws://h/ws', null), msg('client', 'SEND\ndestination:/a\n\n\0'), msg('client', 'hello')]);
  assert.deepEqual(other.map((m) => m.app), [undefined, undefined]);
});

test('a sniffed STOMP connection that turns out not to be STOMP is read raw from there on', () => {
  const out = readApp([handshakeRecord('ws://h/ws', null), msg('client', 'CONNECT\nhost:x\n\n\0'), msg('server', 'nope'), msg('server', 'CONNECTED\nversion:1.2\n\n\0')]);
  assert.deepEqual(out.map((m) => m.app?.[0]?.type), ['connect', undefined, undefined]);
});

test('fuzz: random and cut payloads never throw and leave the record payload as it was', () => {
  const valid = 'SUBSCRIBE\nid:0\ndestination:/a\nreceipt:r\n\n\0MESSAGE\nsubscription:0\ndestination:/a\ncontent-length:3\n\nabc\0\n';
  fc.assert(fc.property(
    fc.array(fc.record({
      from: fc.constantFrom('client' as const, 'server' as const),
      payload: fc.oneof(fc.string({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), fc.nat(valid.length).map((n) => valid.slice(0, n)), fc.nat(valid.length).map((n) => valid.slice(n))),
      truncated: fc.boolean(),
    }), { maxLength: 8 }),
    fc.constantFrom(null, 'v10.stomp', 'v12.stomp'),
    (messages, subprotocol) => {
      const d = decoder(subprotocol);
      for (const { from, payload, truncated } of messages) {
        const m = msg(from, payload, { truncated });
        const before = JSON.stringify(m);
        const entries = d.decode(m);
        assert.equal(JSON.stringify({ ...m }), before, 'the record is untouched');
        for (const e of entries ?? []) {
          assert.equal(e.protocol, 'stomp');
          assert.ok(e.type !== undefined || e.error !== undefined || e.partial === true);
          JSON.stringify(e);
        }
      }
    },
  ), { numRuns: 300 });
});

// Live: @stomp/stompjs against a mini broker over ws, through the proxy.

async function stompBehindProxy(broker: MiniStompBroker) {
  const wss = new WebSocketServer({ host: HOST, port: 0, handleProtocols: (ps) => (ps.has('v12.stomp') ? 'v12.stomp' : false) });
  await within(new Promise((r) => wss.once('listening', r)), 'broker listening');
  wss.on('connection', (ws) => {
    const c = broker.connection((data, binary) => ws.send(data, { binary }));
    ws.on('message', (data: Buffer, isBinary) => c.receive(isBinary ? data : data.toString('utf8')));
    ws.on('close', () => c.close());
  });
  const records = new Records();
  const proxy = await reverseProxy(records, (wss.address() as { port: number }).port);
  const clients: Client[] = [];
  return {
    records,
    /** A stompjs client through the proxy, connected. */
    async client(config: Partial<ConstructorParameters<typeof Client>[0]> = {}): Promise<Client> {
      const client = new Client({
        webSocketFactory: () => new WebSocket(`ws://${proxy.address}/ws`, ['v12.stomp', 'v11.stomp', 'v10.stomp']),
        reconnectDelay: 0, heartbeatIncoming: 0, heartbeatOutgoing: 0, ...config,
      });
      clients.push(client);
      const connected = new Promise<void>((r) => (client.onConnect = () => r()));
      client.activate();
      await within(connected, 'stompjs connected');
      return client;
    },
    async close() {
      await Promise.all(clients.map((c) => within(c.deactivate(), 'stompjs deactivated').catch(() => {})));
      await proxy.close();
      for (const ws of wss.clients) ws.terminate();
      await within(new Promise((r) => wss.close(r)), 'broker closed').catch(() => {});
    },
  };
}

/** Every STOMP entry of connection `conn`, with its message's seq and side. */
function entriesOf(records: readonly LogRecord[], conn: number): (AppEntry & { seq: number; from: string })[] {
  return readApp(records).filter((m) => m.conn === conn).flatMap((m) => (m.app ?? []).map((e) => ({ ...e, seq: m.seq, from: m.from })));
}

test('live: stompjs through the proxy — connect, subscribe, send with receipt, messages, unsubscribe, heart-beats, disconnect', async (t) => {
  const setup = await stompBehindProxy(new MiniStompBroker('0,20'));
  t.after(() => setup.close());
  const client = await setup.client({ heartbeatOutgoing: 20 });
  const got: IMessage[] = [];
  const sub = client.subscribe('/topic/chat', (m) => got.push(m), { receipt: 'sub-receipt' });
  const receipted = new Promise<void>((r) => client.watchForReceipt('send-1', () => r()));
  client.publish({ destination: '/topic/chat', body: 'hello', headers: { receipt: 'send-1' } });
  client.publish({ destination: '/topic/chat', body: JSON.stringify({ n: 1 }), headers: { 'content-type': 'application/json' } });
  await within(receipted, 'the SEND receipt');
  await waitUntil('two messages delivered', () => got.length === 2);
  sub.unsubscribe();
  await waitUntil('a client heart-beat', () => setup.records.all.some((r) => r.type === 'message' && r.from === 'client' && r.text === '\n'));
  await within(client.deactivate(), 'stompjs disconnected');
  await waitUntil('the DISCONNECT receipt went through', () => setup.records.all.some((r) => r.type === 'message' && r.from === 'server' && r.text?.startsWith('RECEIPT\nreceipt-id:close-') === true));

  const hs = setup.records.all.find(isType('handshake'))!;
  assert.equal(hs.protocol, 'v12.stomp');
  const es = entriesOf(setup.records.all, hs.conn).filter((e) => e.type !== 'heartbeat');
  const seqOf = (type: string, pred: (e: AppEntry) => boolean = () => true) => es.find((e) => e.type === type && pred(e))!.seq;
  const subscribeSeq = seqOf('subscribe');
  const closeId = es.find((e) => e.type === 'disconnect')!.id;
  assert.match(String(closeId), /^close-\d+$/, "stompjs' DISCONNECT asks for a receipt");
  const side = (from: string) => es.filter((e) => e.from === from).map((e) => [e.type, e.name, e.id].filter((x) => x !== undefined).join(' '));
  assert.deepEqual(side('client'), [
    'connect',
    'subscribe /topic/chat sub-0',
    'send /topic/chat send-1',
    'send /topic/chat',
    'unsubscribe /topic/chat sub-0',
    `disconnect ${closeId}`,
  ]);
  assert.deepEqual(side('server'), [
    'connected',
    'receipt /topic/chat sub-receipt',
    'message /topic/chat sub-0',
    'receipt /topic/chat send-1',
    'message /topic/chat sub-0',
    `receipt ${closeId}`,
  ]);
  assert.deepEqual(es.filter((e) => e.type === 'message').map((e) => [e.pair, (e.value as { body: unknown }).body]), [[subscribeSeq, 'hello'], [subscribeSeq, { n: 1 }]]);
  assert.equal(es.find((e) => e.type === 'connected')!.pair, seqOf('connect'));
  assert.equal(es.find((e) => e.id === 'send-1' && e.type === 'receipt')!.pair, seqOf('send', (e) => e.id === 'send-1'));
  assert.equal(es.find((e) => e.id === 'sub-receipt')!.pair, subscribeSeq);
  assert.equal(es.find((e) => e.id === closeId && e.type === 'receipt')!.pair, seqOf('disconnect'));
  const unsub = es.find((e) => e.type === 'unsubscribe')!;
  assert.deepEqual([unsub.pair, unsub.count, typeof unsub.durationMs], [subscribeSeq, 2, 'number']);
  const beats = entriesOf(setup.records.all, hs.conn).filter((e) => e.type === 'heartbeat');
  assert.ok(beats.some((e) => e.from === 'client' && e.heartbeat === true), 'the client heart-beats');
  assert.ok(beats.some((e) => e.from === 'server' && e.heartbeat === true), "the broker's heart-beat");
});

test('live: stompjs binary frames and frames split over messages are read whole', async (t) => {
  const setup = await stompBehindProxy(new MiniStompBroker());
  t.after(() => setup.close());
  const got: IMessage[] = [];
  const binary = await setup.client({ forceBinaryWSFrames: true });
  binary.subscribe('/topic/bin', (m) => got.push(m));
  binary.publish({ destination: '/topic/bin', binaryBody: new Uint8Array([0, 1, 2, 255]) });
  const split = await setup.client({ splitLargeFrames: true, maxWebSocketChunkSize: 16 });
  split.publish({ destination: '/topic/bin', body: 'a body longer than one chunk' });
  await waitUntil('both messages delivered', () => got.length === 2);

  const [binConn, splitConn] = setup.records.all.filter(isType('handshake')).map((h) => h.conn);
  const binMessages = readApp(setup.records.all).filter((m) => m.conn === binConn && m.from === 'client');
  assert.ok(binMessages.every((m) => m.kind === 'binary'), 'stompjs sent binary messages');
  const send = binMessages.flatMap((m) => m.app ?? []).find((e) => e.type === 'send')!;
  assert.deepEqual([send.name, (send.value as { body: unknown }).body], ['/topic/bin', { base64: 'AAEC/w==' }]);

  const splitMessages = readApp(setup.records.all).filter((m) => m.conn === splitConn && m.from === 'client');
  const sendPieces = splitMessages.filter((m) => m.app?.some((e) => e.partial === true || e.type === 'send'));
  assert.ok(sendPieces.length >= 3, `the SEND went in ${sendPieces.length} messages`);
  assert.ok(sendPieces.slice(0, -1).every((m) => m.app!.length === 1 && m.app![0]!.partial === true), 'every piece but the last is partial');
  const whole = sendPieces.at(-1)!.app!.find((e) => e.type === 'send')!;
  assert.deepEqual([whole.name, (whole.value as { body: unknown }).body, whole.partial], ['/topic/bin', 'a body longer than one chunk', undefined]);
});
