import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import { fixedHeader, MAX_PACKET_BYTES, MqttStream, type FixedHeader } from '../core/app/mqtt-stream.js';

const connect = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'c', keepalive: 60, clean: true });
const publish = mqttPacket.generate({ cmd: 'publish', topic: 'a/b', payload: Buffer.alloc(300, 7), qos: 1, messageId: 1, retain: false, dup: false });
const ping = mqttPacket.generate({ cmd: 'pingreq' });

test('the fixed header gives the packet\'s size, waits for its length bytes, and refuses a fifth one', () => {
  assert.deepEqual(fixedHeader(Buffer.from([0xc0, 0x00])), { headerLength: 2, size: 2 });
  assert.deepEqual(fixedHeader(publish), { headerLength: 3, size: publish.length });
  assert.deepEqual(fixedHeader(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f])), { headerLength: 5, size: 5 + 268_435_455 });
  assert.equal(fixedHeader(Buffer.from([0x30])), null);
  assert.equal(fixedHeader(Buffer.from([0x30, 0x80, 0x80])), null);
  assert.deepEqual(fixedHeader(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80])), { error: 'malformed Remaining Length (a fifth byte)' });
});

test('several packets in one piece come out whole, in order', () => {
  const s = new MqttStream();
  const c = s.push(Buffer.concat([connect, publish, ping]));
  assert.deepEqual(c, { packets: [connect, publish, ping], partial: false, error: null });
});

test('a packet cut at every byte comes out whole on the piece that completes it, partial before', () => {
  for (let cut = 1; cut < publish.length; cut++) {
    const s = new MqttStream();
    const a = s.push(publish.subarray(0, cut));
    assert.deepEqual(a, { packets: [], partial: true, error: null }, `cut at ${cut}`);
    assert.deepEqual(s.pending, { have: cut, need: cut >= 3 ? publish.length : 0 });
    assert.deepEqual(s.head(cut + 10), publish.subarray(0, cut));
    const b = s.push(Buffer.concat([publish.subarray(cut), ping]));
    assert.deepEqual(b, { packets: [publish, ping], partial: false, error: null }, `cut at ${cut}`);
  }
});

test('a packet a byte at a time, as MQTT.js writes over ws, comes out on its last byte', () => {
  const s = new MqttStream();
  for (let i = 0; i < connect.length - 1; i++) assert.equal(s.push(connect.subarray(i, i + 1)).packets.length, 0);
  assert.deepEqual(s.push(connect.subarray(-1)).packets, [connect]);
  assert.deepEqual(s.pending, { have: 0, need: 0 });
});

test('a fifth Remaining Length byte loses the stream: the packets before it still come, every later push gives the error', () => {
  const s = new MqttStream();
  const c = s.push(Buffer.concat([ping, Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])]));
  assert.deepEqual(c, { packets: [ping], partial: false, error: 'malformed Remaining Length (a fifth byte)' });
  assert.deepEqual(s.push(ping), { packets: [], partial: false, error: 'malformed Remaining Length (a fifth byte)' });
  assert.equal(s.lost, 'malformed Remaining Length (a fifth byte)');
});

test('the same error when the header\'s bytes come in pieces', () => {
  const s = new MqttStream();
  assert.equal(s.push(Buffer.from([0x30, 0xff])).error, null);
  assert.equal(s.push(Buffer.from([0xff, 0xff])).error, null);
  assert.equal(s.push(Buffer.from([0xff, 0x01])).error, 'malformed Remaining Length (a fifth byte)');
});

test('a packet larger than the stream follows loses it, whether its header comes whole or in pieces', () => {
  const big = Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]);
  assert.match(new MqttStream().push(big).error ?? '', new RegExp(`more than the ${MAX_PACKET_BYTES} wspeek follows`));
  const s = new MqttStream();
  s.push(big.subarray(0, 2));
  assert.match(s.push(big.subarray(2)).error ?? '', /a packet of 268435460 bytes/);
});

test('lose() drops the unfinished packet and keeps the first reason', () => {
  const s = new MqttStream();
  s.push(publish.subarray(0, 10));
  s.lose('bytes went missing');
  s.lose('later');
  assert.deepEqual(s.pending, { have: 0, need: 0 });
  assert.deepEqual(s.push(ping), { packets: [], partial: false, error: 'bytes went missing' });
});

test('the packets do not depend on where the stream is cut (fast-check)', () => {
  const packets = [connect, publish, ping, mqttPacket.generate({ cmd: 'publish', topic: 'x', payload: Buffer.alloc(200_000, 1), qos: 0, retain: false, dup: false })];
  const stream = Buffer.concat(packets);
  fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 40 }), (cuts) => {
    const s = new MqttStream();
    const out: Buffer[] = [];
    let from = 0;
    for (const at of [...cuts.sort((a, b) => a - b), stream.length]) {
      const c = s.push(stream.subarray(from, at));
      assert.equal(c.error, null);
      out.push(...c.packets);
      from = at;
    }
    assert.deepEqual(out, packets);
  }), { numRuns: 100 });
});

test('random bytes in random pieces never throw, and the pieces are left as they were (fast-check)', () => {
  fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), (pieces) => {
    const s = new MqttStream();
    for (const p of pieces) {
      const b = Buffer.from(p);
      const copy = Buffer.from(b);
      const c = s.push(b);
      assert.deepEqual(b, copy);
      for (const packet of c.packets) assert.equal((fixedHeader(packet) as FixedHeader).size, packet.length, 'each packet is as long as its header says');
    }
  }), { numRuns: 300 });
});
