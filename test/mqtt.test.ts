import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import fc from 'fast-check';
import mqtt from 'mqtt';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { AppEntry } from '../core/app/app-entry.js';
import { MQTT } from '../core/app/mqtt.js';
import type { LogRecord, MessageRecord } from '../core/log/records.js';
import type { Side } from '../core/websocket/events.js';
import { conversation, handshakeRecord, readApp } from './support/app-records.js';
import { isType, Records, reverseProxy } from './support/proxy-records.js';
import { waitUntil, within } from './support/wait.js';

/** A packet as MQTT.js's codec (mqtt-packet, under MQTT.js and aedes) writes it. */
function gen(packet: Packet, protocolVersion: 3 | 4 | 5 = 4): Buffer {
  return mqttPacket.generate(packet, { protocolVersion });
}

/** One connection's decoder, fed records 1.5 ms apart. */
function connection() {
  const decoder = MQTT.create({ url: null, subprotocol: 'mqtt' });
  const record = conversation({ ts: (seq) => seq * 1.5 });
  return {
    read(from: Side, payload: Buffer, extra: Partial<MessageRecord> = {}): AppEntry[] | null {
      return decoder.decode(record(from, payload, extra));
    },
  };
}

const CONNECT_4 = gen({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'c1', keepalive: 30, clean: true });
const CONNECT_5 = gen({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'c5', keepalive: 30, clean: true }, 5);

// ───────────────────────────── bytes in, entries out ─────────────────────────────

test('CONNECT and CONNACK: the CONNACK points at the CONNECT; neither has an id', () => {
  const c = connection();
  assert.deepEqual(c.read('client', CONNECT_4), [{
    protocol: 'mqtt', type: 'connect', value: { protocolName: 'MQTT', protocolLevel: 4, cleanSession: true, keepAlive: 30, clientId: 'c1' },
  }]);
  assert.deepEqual(c.read('server', gen({ cmd: 'connack', returnCode: 0, sessionPresent: false })), [{
    protocol: 'mqtt', type: 'connack', value: { sessionPresent: false, returnCode: 0, reason: 'Connection Accepted' }, pair: 1, latencyMs: 1.5,
  }]);
});

test('a QoS 0 PUBLISH has its topic as name and no id; a QoS 1 PUBLISH is answered by its PUBACK, which carries the topic', () => {
  const c = connection();
  assert.deepEqual(c.read('client', gen({ cmd: 'publish', topic: 'chat', payload: 'hi', qos: 0, retain: false, dup: false })), [{
    protocol: 'mqtt', type: 'publish', name: 'chat', value: { qos: 0, retain: false, dup: false, payload: 'hi' },
  }]);
  assert.deepEqual(c.read('client', gen({ cmd: 'publish', topic: 'chat', payload: 'q1', qos: 1, messageId: 5, retain: true, dup: false })), [{
    protocol: 'mqtt', type: 'publish', id: 5, name: 'chat', value: { qos: 1, retain: true, dup: false, payload: 'q1' },
  }]);
  assert.deepEqual(c.read('server', gen({ cmd: 'puback', messageId: 5 })), [{ protocol: 'mqtt', type: 'puback', id: 5, pair: 2, latencyMs: 1.5, name: 'chat' }]);
  assert.deepEqual(c.read('server', gen({ cmd: 'puback', messageId: 5 })), [{ protocol: 'mqtt', type: 'puback', id: 5 }], 'a second PUBACK pairs with nothing');
});

test('QoS 2: PUBREC and PUBREL point at the PUBLISH, PUBCOMP ends it with the count and duration', () => {
  const c = connection();
  c.read('client', gen({ cmd: 'publish', topic: 't/2', payload: 'x', qos: 2, messageId: 9, retain: false, dup: false }));
  assert.deepEqual(c.read('server', gen({ cmd: 'pubrec', messageId: 9 })), [{ protocol: 'mqtt', type: 'pubrec', id: 9, pair: 1, latencyMs: 1.5, name: 't/2' }]);
  assert.deepEqual(c.read('client', gen({ cmd: 'pubrel', messageId: 9 })), [{ protocol: 'mqtt', type: 'pubrel', id: 9, pair: 1, latencyMs: 3, name: 't/2' }]);
  assert.deepEqual(c.read('server', gen({ cmd: 'pubcomp', messageId: 9 })), [{
    protocol: 'mqtt', type: 'pubcomp', id: 9, pair: 1, latencyMs: 4.5, name: 't/2', count: 2, durationMs: 4.5,
  }]);
});

test('packet ids are the sender\'s: the client\'s PUBACK answers the server\'s PUBLISH, not the client\'s own with the same id', () => {
  const c = connection();
  c.read('client', gen({ cmd: 'publish', topic: 'up', payload: '', qos: 1, messageId: 1, retain: false, dup: false }));
  c.read('server', gen({ cmd: 'publish', topic: 'down', payload: '', qos: 1, messageId: 1, retain: false, dup: false }));
  assert.deepEqual(c.read('client', gen({ cmd: 'puback', messageId: 1 })), [{ protocol: 'mqtt', type: 'puback', id: 1, pair: 2, latencyMs: 1.5, name: 'down' }]);
  assert.deepEqual(c.read('server', gen({ cmd: 'puback', messageId: 1 })), [{ protocol: 'mqtt', type: 'puback', id: 1, pair: 1, latencyMs: 4.5, name: 'up' }]);
});

test('SUBSCRIBE is named by its filters joined by ", "; SUBACK and UNSUBACK carry their request\'s name', () => {
  const c = connection();
  const sub = c.read('client', gen({ cmd: 'subscribe', messageId: 3, subscriptions: [{ topic: 'a/#', qos: 1 }, { topic: 'b', qos: 2 }] }));
  assert.deepEqual(sub, [{ protocol: 'mqtt', type: 'subscribe', id: 3, name: 'a/#, b', value: { subscriptions: [{ topic: 'a/#', qos: 1 }, { topic: 'b', qos: 2 }] } }]);
  assert.deepEqual(c.read('server', gen({ cmd: 'suback', messageId: 3, granted: [1, 0x80] })), [{
    protocol: 'mqtt', type: 'suback', id: 3, name: 'a/#, b', value: { returnCodes: [1, 0x80] }, pair: 1, latencyMs: 1.5,
  }]);
  assert.deepEqual(c.read('client', gen({ cmd: 'unsubscribe', messageId: 4, unsubscriptions: ['b'] })), [{ protocol: 'mqtt', type: 'unsubscribe', id: 4, name: 'b' }]);
  assert.deepEqual(c.read('server', gen({ cmd: 'unsuback', messageId: 4 } as Packet)), [{ protocol: 'mqtt', type: 'unsuback', id: 4, name: 'b', pair: 3, latencyMs: 1.5 }]);
});

test('PINGREQ and PINGRESP are heartbeats, the PINGRESP pointing at the PINGREQ', () => {
  const c = connection();
  assert.deepEqual(c.read('client', gen({ cmd: 'pingreq' })), [{ protocol: 'mqtt', type: 'pingreq', heartbeat: true }]);
  assert.deepEqual(c.read('server', gen({ cmd: 'pingresp' })), [{ protocol: 'mqtt', type: 'pingresp', heartbeat: true, pair: 1, latencyMs: 1.5 }]);
});

test('a packet across messages is whole on the last one; the ones before are partial, with its type and, once it came, its topic', () => {
  const c = connection();
  const p = gen({ cmd: 'publish', topic: 'long/topic', payload: Buffer.alloc(1000, 0x61), qos: 1, messageId: 2, retain: false, dup: false });
  assert.deepEqual(c.read('client', p.subarray(0, 1)), [{ protocol: 'mqtt', partial: true, type: 'publish' }]);
  assert.deepEqual(c.read('client', p.subarray(1, 6)), [{ protocol: 'mqtt', partial: true, type: 'publish' }], 'the topic has not all come');
  assert.deepEqual(c.read('client', p.subarray(6, 500)), [{ protocol: 'mqtt', partial: true, type: 'publish', name: 'long/topic' }]);
  const whole = c.read('client', p.subarray(500));
  assert.equal(whole?.length, 1);
  assert.deepEqual({ ...whole![0], value: undefined }, { protocol: 'mqtt', type: 'publish', id: 2, name: 'long/topic', value: undefined });
  assert.equal((whole![0]!.value as { payload: string }).payload, 'a'.repeat(1000));
  assert.deepEqual(c.read('server', gen({ cmd: 'puback', messageId: 2 })), [{ protocol: 'mqtt', type: 'puback', id: 2, pair: 4, latencyMs: 1.5, name: 'long/topic' }], 'the request is the message that completed it');
});

test('several packets in one message give one entry each, then the partial one that continues in the next message', () => {
  const c = connection();
  const next = gen({ cmd: 'suback', messageId: 1, granted: [0] });
  const entries = c.read('server', Buffer.concat([gen({ cmd: 'connack', returnCode: 0, sessionPresent: true }), gen({ cmd: 'pingresp' }), next.subarray(0, 2)]));
  assert.deepEqual(entries?.map((e) => [e.type, e.partial]), [['connack', undefined], ['pingresp', undefined], ['suback', true]]);
  assert.deepEqual(c.read('server', next.subarray(2)), [{ protocol: 'mqtt', type: 'suback', id: 1, value: { returnCodes: [0] } }]);
});

test('v5, from the CONNECT\'s level: reason codes, properties, topic aliases resolved per direction', () => {
  const c = connection();
  c.read('client', CONNECT_5);
  assert.deepEqual(c.read('server', gen({ cmd: 'connack', reasonCode: 0, sessionPresent: false, properties: { topicAliasMaximum: 5 } }, 5))?.[0]?.value, {
    sessionPresent: false, reasonCode: 0, reason: 'Success', properties: { topicAliasMaximum: 5 },
  });
  const pub = (topic: string, alias: number, from: Side) => c.read(from, gen({ cmd: 'publish', topic, payload: 'p', qos: 0, retain: false, dup: false, properties: { topicAlias: alias } }, 5))![0]!;
  assert.equal(pub('sensors/1', 1, 'client').name, 'sensors/1');
  assert.equal(pub('', 1, 'client').name, 'sensors/1', 'the alias the client set');
  const unset = pub('', 1, 'server');
  assert.equal(unset.name, undefined, 'the server never set alias 1: aliases are per direction');
  assert.equal(unset.error, 'Topic Alias 1 was not set before');
  assert.equal(unset.type, 'publish');
  assert.deepEqual(pub('', 1, 'client').value, { qos: 0, retain: false, dup: false, properties: { topicAlias: 1 }, payload: 'p' });
  assert.deepEqual(c.read('server', gen({ cmd: 'disconnect', reasonCode: 0x8b }, 5)), [{
    protocol: 'mqtt', type: 'disconnect', value: { reasonCode: 0x8b, reason: 'Server shutting down' },
  }]);
});

test('without a CONNECT seen, a connection is read as 3.1.1', () => {
  const c = connection();
  assert.match(c.read('server', gen({ cmd: 'puback', messageId: 1, reasonCode: 0x10 }, 5))?.[0]?.error ?? '', /malformed PUBACK: 2 bytes after its last field/);
});

test('a malformed packet is an entry with only an error, and the packets after it are read', () => {
  const c = connection();
  const entries = c.read('client', Buffer.concat([Buffer.from([0x36, 0x03, 0x00, 0x01, 0x61]), gen({ cmd: 'pingreq' })]));
  assert.deepEqual(entries, [{ protocol: 'mqtt', error: 'malformed PUBLISH: QoS 3' }, { protocol: 'mqtt', type: 'pingreq', heartbeat: true }]);
});

test('a framing error is said once; the direction is then not read, the other direction still is', () => {
  const c = connection();
  assert.deepEqual(c.read('client', Buffer.concat([gen({ cmd: 'pingreq' }), Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])])), [
    { protocol: 'mqtt', type: 'pingreq', heartbeat: true },
    { protocol: 'mqtt', error: 'malformed Remaining Length (a fifth byte): the rest of this direction cannot be read' },
  ]);
  assert.deepEqual(c.read('client', gen({ cmd: 'pingreq' })), [{ protocol: 'mqtt', error: 'not read: this direction\'s stream was lost at seq 1' }]);
  assert.deepEqual(c.read('server', gen({ cmd: 'pingresp' })), [{ protocol: 'mqtt', type: 'pingresp', heartbeat: true, pair: 1, latencyMs: 3 }]);
});

test('a message kept only in part loses its direction after the packets it completed', () => {
  const c = connection();
  const big = gen({ cmd: 'publish', topic: 't', payload: Buffer.alloc(100), qos: 0, retain: false, dup: false });
  const kept = Buffer.concat([gen({ cmd: 'pingreq' }), big.subarray(0, 20)]);
  assert.deepEqual(c.read('client', kept, { truncated: true, length: 2 + big.length }), [
    { protocol: 'mqtt', type: 'pingreq', heartbeat: true },
    { protocol: 'mqtt', error: `the message was kept only to 22 of ${2 + big.length} bytes: the rest of this direction cannot be read` },
  ]);
  assert.match(c.read('client', gen({ cmd: 'pingreq' }))?.[0]?.error ?? '', /^not read/);
});

test('a close inside a packet says which packet never ended; a close between packets says nothing', () => {
  const c = connection();
  c.read('client', CONNECT_4.subarray(0, 5));
  assert.deepEqual(c.read('client', Buffer.from([0x03, 0xe8]), { kind: 'close', close: { code: 1000, reason: '' } }), [{
    protocol: 'mqtt', error: `the connection closed inside a CONNECT: 5 of ${CONNECT_4.length} bytes came`,
  }]);
  assert.equal(c.read('server', Buffer.from([0x03, 0xe8]), { kind: 'close', close: { code: 1000, reason: '' } }), null);
});

test('a text message is an error (MQTT goes in binary messages); WebSocket pings and pongs carry nothing', () => {
  const c = connection();
  assert.deepEqual(c.read('client', Buffer.from('hello'), { kind: 'text', text: 'hello', base64: undefined }), [{
    protocol: 'mqtt', error: 'a text message: MQTT is carried in binary messages (MQTT 5 §6.0)',
  }]);
  assert.equal(c.read('client', Buffer.from('p'), { kind: 'ping' }), null);
  assert.equal(c.read('server', Buffer.from('p'), { kind: 'pong' }), null);
});

test('sniffs a client\'s binary message that starts with a whole CONNECT header (MQTT 4/5, MQIsdp 3), nothing else', () => {
  const sniff = (from: Side, payload: Buffer, kind: MessageRecord['kind'] = 'binary') => MQTT.sniff!(conversation()(from, payload, { kind }));
  assert.ok(sniff('client', CONNECT_4));
  assert.ok(sniff('client', CONNECT_5));
  assert.ok(sniff('client', gen({ cmd: 'connect', protocolId: 'MQIsdp', protocolVersion: 3, clientId: 'x' }, 3)));
  assert.ok(sniff('client', CONNECT_4.subarray(0, 10)), 'the header through the level is enough');
  assert.ok(!sniff('client', CONNECT_4.subarray(0, 1)), 'MQTT.js over ws sends its first byte alone');
  assert.ok(!sniff('server', CONNECT_4));
  assert.ok(!sniff('client', CONNECT_4, 'text'));
  assert.ok(!sniff('client', Buffer.from(CONNECT_4).fill(6, 8, 9)), 'MQTT level 6');
  assert.ok(!sniff('client', gen({ cmd: 'pingreq' })));
  assert.ok(!sniff('client', Buffer.from([0x10, 0x80, 0x80, 0x80, 0x80, 0x00, 0x04])));
});

test('the layer chooses MQTT by the subprotocols mqtt and mqttv3.1, or by a sniffed CONNECT that a later wrong guess undoes', () => {
  const [c1, c2, c3, c4] = [1, 2, 3, 4].map((conn) => conversation({ conn }));
  const records: LogRecord[] = [
    handshakeRecord('ws://h/', 'mqtt', 1), c1!('client', CONNECT_4.subarray(0, 1)), c1!('client', CONNECT_4.subarray(1)),
    handshakeRecord('ws://h/', 'mqttv3.1', 2), c2!('server', gen({ cmd: 'pingresp' })),
    handshakeRecord('ws://h/', null, 3), c3!('client', CONNECT_4), c3!('client', Buffer.from([0x00, 0x00])), c3!('client', gen({ cmd: 'pingreq' })),
    handshakeRecord('ws://h/', null, 4), c4!('client', gen({ cmd: 'pingreq' })),
  ];
  const out = readApp(records);
  const app = (conn: number) => out.filter((m) => m.conn === conn).map((m) => m.app?.map((e) => e.type ?? e.error));
  assert.deepEqual(app(1), [['connect'], ['connect']]);
  assert.deepEqual(out[0]!.app, [{ protocol: 'mqtt', partial: true, type: 'connect' }]);
  assert.deepEqual(app(2), [['pingresp']]);
  assert.deepEqual(app(3), [['connect'], undefined, undefined], 'reserved type 0 shows the sniff was wrong: the rest is raw');
  assert.deepEqual(app(4), [undefined], 'a PINGREQ says nothing of MQTT by itself');
});

// ───────────────────────────── fuzzing ─────────────────────────────

test('random, cut and mutated payloads never throw and leave the record\'s payload as it was (fast-check)', () => {
  const real = Buffer.concat([CONNECT_5, gen({ cmd: 'publish', topic: 'a', payload: 'b', qos: 2, messageId: 1, retain: false, dup: false, properties: { userProperties: { k: 'v' } } }, 5), gen({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 'x', qos: 1 }] }, 5)]);
  const payload = fc.oneof(
    fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b)),
    fc.tuple(fc.nat(real.length), fc.nat(real.length)).map(([a, b]) => real.subarray(Math.min(a, b), Math.max(a, b))),
    fc.tuple(fc.nat(real.length - 1), fc.integer({ min: 0, max: 255 })).map(([at, v]) => Buffer.from(real).fill(v, at, at + 1)),
  );
  const message = fc.record({
    from: fc.constantFrom<Side>('client', 'server'),
    kind: fc.constantFrom<MessageRecord['kind']>('binary', 'binary', 'binary', 'text', 'close', 'ping'),
    truncated: fc.boolean(),
    payload,
  });
  fc.assert(fc.property(fc.array(message, { maxLength: 12 }), (messages) => {
    const decoder = MQTT.create({ url: null, subprotocol: 'mqtt' });
    const record = conversation();
    messages.forEach(({ from, kind, truncated, payload: p }) => {
      const m = record(from, p, { kind, truncated, length: p.length + (truncated ? 10 : 0) });
      const before = m.base64;
      const entries = decoder.decode(m);
      assert.equal(m.base64, before);
      if (entries !== null) {
        assert.ok(entries.length > 0);
        for (const e of entries) {
          assert.equal(e.protocol, 'mqtt');
          assert.ok(e.type !== undefined || e.error !== undefined || e.partial, 'a packet, an error, or a piece of a packet');
          JSON.stringify(e);
        }
      }
    });
  }), { numRuns: 300 });
});

// ───────────────────────────── live, through the proxy ─────────────────────────────

interface Seen {
  seq: number;
  from: Side;
  e: AppEntry;
}

/** The connection's whole packets' entries in order, with their message's seq and sender (read once the records are all in: `readApp` keeps the `app` it gave). */
function packets(records: readonly LogRecord[]): Seen[] {
  return readApp(records).flatMap((m) => (m.app ?? []).filter((e) => !e.partial).map((e) => ({ seq: m.seq, from: m.from, e })));
}

function find(seen: Seen[], from: Side, type: string, name?: string, nth = 0): Seen {
  const found = seen.filter((s) => s.from === from && s.e.type === type && (name === undefined || s.e.name === name))[nth];
  assert.ok(found, `a ${type} from the ${from}${name === undefined ? '' : ` named ${name}`}`);
  return found;
}

async function listen(wss: WebSocketServer): Promise<number> {
  if (wss.address() === null) await once(wss, 'listening');
  return (wss.address() as AddressInfo).port;
}

test('MQTT.js 3.1.1 and aedes through the proxy: every exchange paired, retained and large messages, heartbeats', async (t) => {
  const broker = await Aedes.createBroker();
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  wss.on('connection', (ws, req) => broker.handle(createWebSocketStream(ws), req));
  const records = new Records();
  const proxy = await reverseProxy(records, await listen(wss));
  let client: mqtt.MqttClient | null = null;
  t.after(async () => {
    client?.end(true);
    await proxy.close();
    await new Promise<void>((r) => broker.close(() => r()));
    await new Promise<void>((r) => wss.close(() => r()));
  });

  client = await within(mqtt.connectAsync(`ws://${proxy.address}`, { protocolVersion: 4, clientId: 'live-311', keepalive: 1, reconnectPeriod: 0 }), 'connect');
  const received: string[] = [];
  client.on('message', (topic) => received.push(topic));
  let pingresp = false;
  client.on('packetreceive', (p) => {
    if (p.cmd === 'pingresp') pingresp = true;
  });
  await within(client.publishAsync('news/kept', 'retained text', { qos: 1, retain: true }), 'retained publish');
  await within(client.subscribeAsync({ 'news/#': { qos: 1 }, chat: { qos: 2 } }), 'subscribe');
  await within(client.publishAsync('chat', 'zero', { qos: 0 }), 'qos 0');
  await within(client.publishAsync('chat', 'one', { qos: 1 }), 'qos 1');
  await within(client.publishAsync('chat', 'two', { qos: 2 }), 'qos 2');
  await within(client.publishAsync('chat', Buffer.alloc(200_000, 0xab), { qos: 1 }), 'large');
  await waitUntil('the retained message and four chats back', () => received.length === 5);
  await within(client.unsubscribeAsync('chat'), 'unsubscribe');
  await waitUntil('a PINGRESP after a second idle', () => pingresp);
  await within(client.endAsync(), 'end');
  await records.waitFor('the end record', isType('end'));

  const handshakeRecord = records.all.find((r) => r.type === 'handshake');
  assert.equal(handshakeRecord?.type === 'handshake' && handshakeRecord.protocol, 'mqtt');
  const messages = readApp(records.all).filter((m) => m.kind === 'binary');
  assert.ok(messages.length > 100, `MQTT.js and aedes write a packet field by field: ${messages.length} messages`);
  for (const m of messages) {
    assert.ok(m.app && m.app.length > 0, `message ${m.seq} has entries`);
    for (const e of m.app) assert.equal(e.error, undefined, `message ${m.seq}: ${e.error}`);
  }
  const partials = messages.flatMap((m) => m.app!.filter((e) => e.partial));
  assert.ok(partials.some((e) => e.type === 'publish' && e.name === 'chat'), 'the pieces of a PUBLISH say its topic once it came');

  const seen = packets(records.all);
  const connect = find(seen, 'client', 'connect');
  assert.deepEqual(connect.e.value, { protocolName: 'MQTT', protocolLevel: 4, cleanSession: true, keepAlive: 1, clientId: 'live-311' });
  assert.equal(find(seen, 'server', 'connack').e.pair, connect.seq);

  const retained = find(seen, 'client', 'publish', 'news/kept');
  assert.deepEqual(retained.e.value, { qos: 1, retain: true, dup: false, payload: 'retained text' });
  assert.equal(find(seen, 'server', 'puback', 'news/kept').e.pair, retained.seq);

  const subscribe = find(seen, 'client', 'subscribe');
  assert.equal(subscribe.e.name, 'news/#, chat');
  const suback = find(seen, 'server', 'suback');
  assert.deepEqual([suback.e.pair, suback.e.name, suback.e.id], [subscribe.seq, 'news/#, chat', subscribe.e.id]);
  assert.deepEqual(suback.e.value, { returnCodes: [1, 2] });

  const delivered = find(seen, 'server', 'publish', 'news/kept');
  assert.equal((delivered.e.value as { retain: boolean }).retain, true, 'the broker delivers the retained message as retained');
  assert.equal(find(seen, 'client', 'puback', 'news/kept').e.pair, delivered.seq, 'the client acknowledges the broker\'s packet id');

  const zero = find(seen, 'client', 'publish', 'chat');
  assert.equal(zero.e.id, undefined);
  assert.equal(find(seen, 'client', 'publish', 'chat', 1).e.id !== undefined, true);

  const two = seen.find((s) => s.from === 'client' && s.e.type === 'publish' && (s.e.value as { payload: unknown }).payload === 'two')!;
  for (const [from, type] of [['server', 'pubrec'], ['client', 'pubrel'], ['server', 'pubcomp']] as const) {
    const reply = seen.find((s) => s.from === from && s.e.type === type && s.e.pair === two.seq);
    assert.ok(reply, `the client's QoS 2 PUBLISH gets a ${type}`);
    assert.equal(reply.e.name, 'chat');
  }
  assert.equal(seen.find((s) => s.e.type === 'pubcomp' && s.e.pair === two.seq)?.e.count, 2);
  const twoBack = seen.find((s) => s.from === 'server' && s.e.type === 'publish' && (s.e.value as { payload: unknown }).payload === 'two')!;
  assert.equal(seen.find((s) => s.from === 'client' && s.e.type === 'pubcomp' && s.e.pair === twoBack.seq)?.e.durationMs !== undefined, true, 'the broker\'s QoS 2 delivery ends with the client\'s PUBCOMP');

  const large = seen.filter((s) => s.e.type === 'publish' && typeof (s.e.value as { payload: unknown }).payload === 'object');
  assert.deepEqual(large.map((s) => s.from), ['client', 'server']);
  for (const s of large) assert.deepEqual(s.e.value, { qos: 1, retain: false, dup: false, payload: { base64: Buffer.alloc(200_000, 0xab).toString('base64') } });

  const unsubscribe = find(seen, 'client', 'unsubscribe');
  assert.equal(find(seen, 'server', 'unsuback', 'chat').e.pair, unsubscribe.seq);
  const ping = find(seen, 'client', 'pingreq');
  assert.deepEqual(find(seen, 'server', 'pingresp').e.heartbeat && find(seen, 'server', 'pingresp').e.pair, ping.seq);
  assert.equal(ping.e.heartbeat, true);
  find(seen, 'client', 'disconnect');
});

/** A small MQTT 5 server on mqtt-packet (aedes speaks 3.1.1 only): acks, echoes each PUBLISH to `echo/<topic>` under its Topic Alias 1 in the same message. */
function v5Server(wss: WebSocketServer): void {
  wss.on('connection', (ws) => {
    const parser = mqttPacket.parser({ protocolVersion: 5 });
    const send = (...ps: Packet[]) => ws.send(Buffer.concat(ps.map((p) => gen(p, 5))));
    let aliased: string | null = null;
    const clientAliases = new Map<number, string>();
    parser.on('packet', (p: Packet) => {
      switch (p.cmd) {
        case 'connect': return send({ cmd: 'connack', reasonCode: 0, sessionPresent: false, properties: { topicAliasMaximum: 4, receiveMaximum: 10 } });
        case 'subscribe': return send({ cmd: 'suback', messageId: p.messageId!, granted: p.subscriptions.map((s) => s.qos), properties: { reasonString: 'ok' } });
        case 'pubrel': return send({ cmd: 'pubcomp', messageId: p.messageId!, reasonCode: 0, properties: { reasonString: 'done' } });
        case 'pingreq': return send({ cmd: 'pingresp' });
        case 'disconnect': return ws.close();
        case 'publish': {
          const alias = p.properties?.topicAlias;
          if (p.topic && alias !== undefined) clientAliases.set(alias, p.topic);
          const topic = `echo/${p.topic || clientAliases.get(alias!)}`;
          const echo: Packet = { cmd: 'publish', topic: aliased === topic ? '' : topic, payload: p.payload, qos: 0, retain: false, dup: false, properties: { topicAlias: 1, userProperties: { by: 'server' } } };
          aliased = topic;
          const ack: Packet[] = p.qos === 1 ? [{ cmd: 'puback', messageId: p.messageId!, reasonCode: 0x10 }] : p.qos === 2 ? [{ cmd: 'pubrec', messageId: p.messageId!, reasonCode: 0 }] : [];
          return send(...ack, echo);
        }
        default: return undefined;
      }
    });
    ws.on('message', (data: Buffer) => parser.parse(data));
  });
}

test('MQTT.js 5 through the proxy: properties, reason codes, topic aliases both ways, several packets in a message', async (t) => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false) });
  v5Server(wss);
  const records = new Records();
  const proxy = await reverseProxy(records, await listen(wss));
  let client: mqtt.MqttClient | null = null;
  t.after(async () => {
    client?.end(true);
    await proxy.close();
    await new Promise<void>((r) => wss.close(() => r()));
  });

  client = await within(mqtt.connectAsync(`ws://${proxy.address}`, {
    protocolVersion: 5, clientId: 'live-5', reconnectPeriod: 0, autoAssignTopicAlias: true,
    properties: { topicAliasMaximum: 4, sessionExpiryInterval: 60, userProperties: { app: 'wspeek-test' } },
  }), 'connect');
  const received: string[] = [];
  client.on('message', (topic) => received.push(topic));
  await within(client.subscribeAsync('echo/#', { qos: 1, nl: true }), 'subscribe');
  await within(client.publishAsync('sensors/t', '{"c":21.5}', { qos: 1, properties: { contentType: 'application/json', correlationData: Buffer.from('req-1') } }), 'first');
  await within(client.publishAsync('sensors/t', '{"c":21.7}', { qos: 2 }), 'second');
  await waitUntil('both echoes back', () => received.length === 2);
  assert.deepEqual(received, ['echo/sensors/t', 'echo/sensors/t'], 'the client resolved the server\'s alias too');
  await within(client.endAsync(), 'end');
  await records.waitFor('the end record', isType('end'));

  for (const m of readApp(records.all)) for (const e of m.app ?? []) assert.equal(e.error, undefined, `message ${m.seq}: ${e.error}`);
  const seen = packets(records.all);
  const connect = find(seen, 'client', 'connect');
  assert.deepEqual((connect.e.value as Record<string, unknown>).properties, { sessionExpiryInterval: 60, topicAliasMaximum: 4, userProperties: { app: 'wspeek-test' } });
  assert.equal((connect.e.value as Record<string, unknown>).protocolLevel, 5);
  assert.deepEqual(find(seen, 'server', 'connack').e.value, { sessionPresent: false, reasonCode: 0, reason: 'Success', properties: { receiveMaximum: 10, topicAliasMaximum: 4 } });

  const sub = find(seen, 'client', 'subscribe', 'echo/#');
  assert.deepEqual((sub.e.value as { subscriptions: unknown }).subscriptions, [{ topic: 'echo/#', qos: 1, noLocal: true, retainAsPublished: false, retainHandling: 0 }]);
  assert.deepEqual(find(seen, 'server', 'suback').e.value, { reasonCodes: [1], properties: { reasonString: 'ok' } });

  const [first, second] = seen.filter((s) => s.from === 'client' && s.e.type === 'publish');
  assert.equal(first?.e.name, 'sensors/t');
  assert.deepEqual(first?.e.value, {
    qos: 1, retain: false, dup: false, properties: { correlationData: 'req-1', contentType: 'application/json', topicAlias: 1 }, payload: '{"c":21.5}',
  });
  assert.equal(second?.e.name, 'sensors/t', 'MQTT.js sent an empty topic and alias 1: the name is the alias\'s topic');
  assert.deepEqual((second?.e.value as { properties: unknown }).properties, { topicAlias: 1 });

  const puback = find(seen, 'server', 'puback');
  assert.deepEqual([puback.e.pair, puback.e.name, puback.e.value], [first!.seq, 'sensors/t', { reasonCode: 0x10, reason: 'No matching subscribers' }]);
  const echoes = seen.filter((s) => s.from === 'server' && s.e.type === 'publish');
  assert.deepEqual(echoes.map((s) => s.e.name), ['echo/sensors/t', 'echo/sensors/t'], 'the server\'s alias resolved in its direction');
  assert.equal(echoes[0]!.seq, puback.seq, 'the PUBACK and the echo came in one message');
  assert.equal(find(seen, 'server', 'pubcomp').e.pair, second!.seq);
  assert.deepEqual(find(seen, 'server', 'pubcomp').e.value, { reasonCode: 0, reason: 'Success', properties: { reasonString: 'done' } });
});
