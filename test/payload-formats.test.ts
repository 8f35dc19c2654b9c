import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { WebSocket, WebSocketServer } from 'ws';
import { encode as msgpackEncode } from '@msgpack/msgpack';
import { encode as cborEncode } from 'cborg';
import protobuf from 'protobufjs';
import fc from 'fast-check';
import { CBOR, MSGPACK, PROTOBUF, protobufProtocol } from '../core/app/payload-formats.js';
import { APP_PROTOCOLS } from '../core/app/protocols.js';
import type { AppEntry } from '../core/app/app-entry.js';
import type { LogRecord, MessageRecord } from '../core/log/records.js';
import type { Side } from '../core/websocket/events.js';
import { conversation, readApp } from './support/app-records.js';
import { isType, Records, reverseProxy } from './support/proxy-records.js';
import { HOST } from './support/raw-peers.js';
import { waitUntil, within } from './support/wait.js';

/** Message records of connection 1, one numbering for the whole file, 1 ms apart. */
const message = conversation({ ts: (seq) => seq });

/** The entries each message gets from a layer choosing among the registered protocols, as the log writes them. */
function entriesOf(messages: MessageRecord[], options: Parameters<typeof readApp>[1] = {}): (AppEntry[] | undefined)[] {
  return readApp(messages, options).map((m) => (m.app === undefined ? undefined : JSON.parse(JSON.stringify(m.app))));
}

const { root } = protobuf.parse(`
  syntax = "proto3";
  package feed;
  message Subscribe { string topic = 1; }
  message Tick { string topic = 1; int64 at = 2; double price = 3; }
`);

test('a binary message that decodes as a MessagePack map is sniffed, and every binary message after it read so', () => {
  const e = entriesOf([message('client', 'hello'), message('client', msgpackEncode({ op: 'sub', id: 1 })), message('server', msgpackEncode([1, 'x'])), message('server', 'text')]);
  assert.deepEqual(e, [
    undefined,
    [{ protocol: 'msgpack', type: 'message', value: { op: 'sub', id: 1 } }],
    [{ protocol: 'msgpack', type: 'message', value: [1, 'x'] }],
    undefined,
  ]);
});

test('CBOR is sniffed when MessagePack does not read the message; MessagePack goes first when both do', () => {
  const cbor = cborEncode({ op: 'sub', tags: [1, 2] });
  assert.equal(MSGPACK.sniff!(message('client', cbor)), false);
  assert.deepEqual(entriesOf([message('client', cbor)]), [[{ protocol: 'cbor', type: 'message', value: { op: 'sub', tags: [1, 2] } }]]);
  // 0x81 0x01: a MessagePack map {1: nil}... cut short; as CBOR, the array [1]. 0x91 0x01: MessagePack [1], CBOR an array of 17 cut short
  assert.deepEqual(entriesOf([message('client', Uint8Array.from([0x81, 0x01]))]), [[{ protocol: 'cbor', type: 'message', value: [1] }]]);
  assert.deepEqual(entriesOf([message('client', Uint8Array.from([0x91, 0x01]))]), [[{ protocol: 'msgpack', type: 'message', value: [1] }]]);
  // 0x82 0x18 0x05 0x18 0x06: MessagePack {24: 5, 24: 6}, CBOR [5, 6]: both read it, MessagePack is chosen
  const both = Uint8Array.from([0x82, 0x18, 0x05, 0x18, 0x06]);
  assert.equal(CBOR.sniff!(message('client', both)), true);
  assert.deepEqual(entriesOf([message('client', both)]), [[{ protocol: 'msgpack', type: 'message', value: { 24: 6 } }]]);
});

test('scalars, text, single bytes, truncated messages and Protobuf are never sniffed', () => {
  const sniffers = [MSGPACK, CBOR];
  for (const m of [message('client', msgpackEncode('a string')), message('client', Uint8Array.from([0x90])), message('client', '[1,2]'), message('client', msgpackEncode({ a: 1 }), { truncated: true, length: 100 })]) {
    for (const p of sniffers) assert.equal(p.sniff!(m), false, `${p.name} sniffed ${m.text ?? m.base64}`);
  }
  assert.equal(PROTOBUF.sniff, undefined);
  assert.deepEqual(PROTOBUF.subprotocols, []);
});

test('a sniffed format that meets a message it cannot read leaves the connection raw from there', () => {
  const e = entriesOf([message('client', msgpackEncode([1])), message('client', Uint8Array.from([0xc1])), message('client', msgpackEncode([2]))]);
  assert.deepEqual(e, [[{ protocol: 'msgpack', type: 'message', value: [1] }], undefined, undefined]);
});

test('chosen by subprotocol, an unreadable message gets an error entry and the next is still read', () => {
  const decoder = MSGPACK.create({ url: null, subprotocol: 'msgpack' });
  const [unreadable, ...more] = decoder.decode(message('server', Uint8Array.from([0x92, 0x01])))!;
  assert.deepEqual(more, []);
  assert.deepEqual(Object.keys(unreadable!), ['protocol', 'error']);
  assert.match(unreadable!.error!, /^not MessagePack: /);
  assert.deepEqual(decoder.decode(message('server', msgpackEncode(1))), [{ protocol: 'msgpack', type: 'message', value: 1 }]);
  assert.deepEqual(decoder.decode(message('server', Uint8Array.from([0x92, 0x01]), { truncated: true, length: 10 })), null, 'a truncated message that does not decode has no entry');
  assert.deepEqual([...MSGPACK.subprotocols, ...CBOR.subprotocols], ['msgpack', 'wamp.2.msgpack', 'cbor', 'wamp.2.cbor']);
});

test('Protobuf without a schema shows the wire view; with one, field names per direction', () => {
  const Subscribe = root.lookupType('feed.Subscribe');
  const Tick = root.lookupType('feed.Tick');
  const sub = Subscribe.encode({ topic: 'btc' }).finish();
  const tick = Tick.encode(Tick.fromObject({ topic: 'btc', at: '1700000000000', price: 1.5 })).finish();
  const raw = PROTOBUF.create({ url: null, subprotocol: null });
  assert.deepEqual(raw.decode(message('client', sub)), [{ protocol: 'protobuf', type: 'message', value: [{ field: 1, wire: 'len', value: 'btc' }] }]);
  const schema = protobufProtocol({ root, types: { client: 'feed.Subscribe', server: 'feed.Tick' } }).create({ url: null, subprotocol: null });
  assert.deepEqual(schema.decode(message('client', sub)), [{ protocol: 'protobuf', type: 'message', value: { topic: 'btc' } }]);
  assert.deepEqual(schema.decode(message('server', tick)), [{ protocol: 'protobuf', type: 'message', value: { topic: 'btc', at: '1700000000000', price: 1.5 } }]);
  assert.deepEqual(schema.decode(message('server', Uint8Array.from([0x0a, 0x09]))), [{ protocol: 'protobuf', error: 'not a feed.Tick: index out of range: 2 + 9 > 2' }]);
  assert.throws(() => protobufProtocol({ root, types: { client: 'Tick' } }), /no message type "Tick" in the .proto \(it defines feed.Subscribe, feed.Tick\)/);
});

test('random and truncated payloads never throw, and leave the raw payload as it was', () => {
  const decoders = [MSGPACK, CBOR, PROTOBUF, protobufProtocol({ root, types: { server: 'feed.Tick' } })].map((p) => p.create({ url: null, subprotocol: null }));
  const payload = fc.oneof(
    fc.uint8Array({ maxLength: 48 }),
    fc.jsonValue().map((v) => msgpackEncode(v)),
    fc.jsonValue().map((v) => cborEncode(v)),
    fc.string({ maxLength: 16 }),
  );
  fc.assert(
    fc.property(payload, fc.boolean(), fc.boolean(), fc.nat(), (p, fromClient, truncated, cut) => {
      const bytes = typeof p === 'string' ? p : p.subarray(0, truncated ? cut % (p.length + 1) : p.length);
      const m = message(fromClient ? 'client' : 'server', bytes, { truncated });
      const before = m.text ?? m.base64;
      for (const d of decoders) JSON.stringify(d.decode(m));
      readApp([m]);
      assert.equal(m.text ?? m.base64, before);
    }),
    { numRuns: 400 },
  );
});

/** A ws server that answers each binary message with `reply(it)`; the client through the proxy sends `sent` and waits for as many replies. */
async function exchange(t: { after(fn: () => Promise<void> | void): void }, sent: Uint8Array[], reply: (b: Buffer) => Uint8Array, subprotocol?: string): Promise<LogRecord[]> {
  const server = new WebSocketServer({ host: HOST, port: 0 });
  await once(server, 'listening');
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  server.on('connection', (ws) => ws.on('message', (data: Buffer) => ws.send(reply(data))));
  const records = new Records();
  const proxy = await reverseProxy(records, (server.address() as { port: number }).port);
  t.after(() => proxy.close());
  const client = new WebSocket(`ws://${HOST}:${proxy.port}/feed`, subprotocol ? [subprotocol] : []);
  t.after(() => client.terminate());
  await within(once(client, 'open'), 'the client connects');
  const replies: Buffer[] = [];
  client.on('message', (d: Buffer) => replies.push(d));
  for (const b of sent) client.send(b);
  await waitUntil('the replies', () => replies.length === sent.length);
  client.close();
  await records.waitFor('the end record', isType('end'));
  return records.all;
}

/** The entries of each direction's data messages, in order, as the log writes them (read from copies: reading adds `app`). */
function byDirection(records: LogRecord[], options: Parameters<typeof readApp>[1] = {}): Record<Side, unknown[]> {
  const read = readApp(structuredClone(records), options).filter((m) => m.kind === 'text' || m.kind === 'binary');
  const of = (side: Side) => read.filter((m) => m.from === side).map((m) => JSON.parse(JSON.stringify(m.app ?? null)));
  return { client: of('client'), server: of('server') };
}

const base64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

test('live: MessagePack both ways through the proxy is sniffed and decoded', async (t) => {
  const sent = [msgpackEncode({ op: 'sub', topic: 'btc' }), msgpackEncode(['ping', 1n << 60n], { useBigInt64: true })];
  const messages = await exchange(t, sent, (b) => msgpackEncode({ ok: true, echo: b }));
  assert.deepEqual(byDirection(messages), {
    client: [
      [{ protocol: 'msgpack', type: 'message', value: { op: 'sub', topic: 'btc' } }],
      [{ protocol: 'msgpack', type: 'message', value: ['ping', '1152921504606846976'] }],
    ],
    server: sent.map((b) => [{ protocol: 'msgpack', type: 'message', value: { ok: true, echo: { base64: base64(b) } } }]),
  });
});

test('live: CBOR both ways through the proxy is sniffed and decoded, tags and all', async (t) => {
  const sent = [cborEncode({ op: 'sub', at: 2n ** 64n - 1n }), cborEncode([1.5, undefined])];
  // the reply: 1(1700000000), an epoch time tag, around the echoed bytes' length
  const messages = await exchange(t, sent, (b) => Uint8Array.from([0xa1, 0x61, 0x74, 0xc1, 0x18, b.length]));
  assert.deepEqual(byDirection(messages), {
    client: [
      [{ protocol: 'cbor', type: 'message', value: { op: 'sub', at: '18446744073709551615' } }],
      [{ protocol: 'cbor', type: 'message', value: [1.5, null] }],
    ],
    server: sent.map((b) => [{ protocol: 'cbor', type: 'message', value: { t: { tag: 1, value: b.length } } }]),
  });
});

test('live: a msgpack subprotocol chooses MessagePack even for a message that would not be sniffed', async (t) => {
  const messages = await exchange(t, [msgpackEncode('just a string')], () => msgpackEncode(42), 'msgpack');
  assert.deepEqual(byDirection(messages), {
    client: [[{ protocol: 'msgpack', type: 'message', value: 'just a string' }]],
    server: [[{ protocol: 'msgpack', type: 'message', value: 42 }]],
  });
});

test('live: protobufjs messages through the proxy, forced, read with the schema per direction', async (t) => {
  const Subscribe = root.lookupType('feed.Subscribe');
  const Tick = root.lookupType('feed.Tick');
  const sent = [Subscribe.encode({ topic: 'btc' }).finish(), Subscribe.encode({ topic: 'eth' }).finish()];
  const messages = await exchange(t, sent, (b) => Tick.encode(Tick.fromObject({ topic: Subscribe.decode(b).toJSON().topic, at: '9007199254740993', price: 2.5 })).finish());
  const withSchema = [...APP_PROTOCOLS.filter((p) => p.name !== 'protobuf'), protobufProtocol({ root, types: { client: 'feed.Subscribe', server: 'feed.Tick' } })];
  assert.deepEqual(byDirection(messages, { protocols: withSchema, forced: () => 'protobuf' }), {
    client: [[{ protocol: 'protobuf', type: 'message', value: { topic: 'btc' } }], [{ protocol: 'protobuf', type: 'message', value: { topic: 'eth' } }]],
    server: ['btc', 'eth'].map((topic) => [{ protocol: 'protobuf', type: 'message', value: { topic, at: '9007199254740993', price: 2.5 } }]),
  });
  // without a schema, and not forced, the same connection is not sniffed as Protobuf
  const unforced = byDirection(messages);
  assert.ok([...unforced.client, ...unforced.server].every((a) => a === null || (a as AppEntry[]).every((e) => e.protocol !== 'protobuf')));
  const wire = byDirection(messages, { forced: () => 'protobuf' });
  assert.deepEqual(wire.client[0], [{ protocol: 'protobuf', type: 'message', value: [{ field: 1, wire: 'len', value: 'btc' }] }]);
});
