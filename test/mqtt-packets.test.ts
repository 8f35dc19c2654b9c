import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { packetType, parsePacket, type MqttLevel } from '../core/app/mqtt-packets.js';

/** A packet as MQTT.js's codec (mqtt-packet, used by MQTT.js and aedes) writes it. */
function gen(packet: Packet, protocolVersion: MqttLevel = 4): Buffer {
  return mqttPacket.generate(packet, { protocolVersion });
}

test('the first byte names the packet type; type 0 is reserved', () => {
  assert.equal(packetType(0x10), 'connect');
  assert.equal(packetType(0x32), 'publish');
  assert.equal(packetType(0xf0), 'auth');
  assert.equal(packetType(0x00), null);
});

test('a 3.1.1 CONNECT: level, client id, keep alive, clean session, will, user name and password', () => {
  const bytes = gen({
    cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'c1', keepalive: 30, clean: true,
    username: 'u', password: Buffer.from('pw'), will: { topic: 'bye', payload: Buffer.from([0xff, 0]), qos: 1, retain: true },
  });
  assert.deepEqual(parsePacket(bytes, 4), {
    type: 'connect', level: 4,
    value: {
      protocolName: 'MQTT', protocolLevel: 4, cleanSession: true, keepAlive: 30, clientId: 'c1',
      will: { topic: 'bye', qos: 1, retain: true, payload: { base64: '/wA=' } }, username: 'u', password: 'pw',
    },
  });
});

test('a 3.1 CONNECT (MQIsdp, level 3) is read as level 3', () => {
  const p = parsePacket(gen({ cmd: 'connect', protocolId: 'MQIsdp', protocolVersion: 3, clientId: 'old', keepalive: 10, clean: false }, 3), 4);
  assert.deepEqual(p, { type: 'connect', level: 3, value: { protocolName: 'MQIsdp', protocolLevel: 3, cleanSession: false, keepAlive: 10, clientId: 'old' } });
});

test('a v5 CONNECT: clean start, its properties and the will\'s properties', () => {
  const bytes = gen({
    cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'c5', keepalive: 60, clean: true,
    properties: { sessionExpiryInterval: 300, receiveMaximum: 20, userProperties: { app: 'wspeek' } },
    will: { topic: 'w', payload: Buffer.from('gone'), qos: 0, retain: false, properties: { willDelayInterval: 5, contentType: 'text/plain' } },
  }, 5);
  assert.deepEqual(parsePacket(bytes, 4), {
    type: 'connect', level: 5,
    value: {
      protocolName: 'MQTT', protocolLevel: 5, cleanStart: true, keepAlive: 60, clientId: 'c5',
      will: { topic: 'w', qos: 0, retain: false, properties: { willDelayInterval: 5, contentType: 'text/plain' }, payload: 'gone' },
      properties: { sessionExpiryInterval: 300, receiveMaximum: 20, userProperties: { app: 'wspeek' } },
    },
  });
});

test('CONNACK: 3.1.1 return codes with their names, v5 reason codes and properties', () => {
  assert.deepEqual(parsePacket(gen({ cmd: 'connack', returnCode: 5, sessionPresent: false }), 4), {
    type: 'connack', value: { sessionPresent: false, returnCode: 5, reason: 'Connection Refused, not authorized' },
  });
  assert.deepEqual(parsePacket(gen({ cmd: 'connack', reasonCode: 0, sessionPresent: true, properties: { topicAliasMaximum: 10, assignedClientIdentifier: 'auto-1' } }, 5), 5), {
    type: 'connack', value: { sessionPresent: true, reasonCode: 0, reason: 'Success', properties: { assignedClientIdentifier: 'auto-1', topicAliasMaximum: 10 } },
  });
  assert.deepEqual(parsePacket(gen({ cmd: 'connack', reasonCode: 0x87, sessionPresent: false }, 5), 5), {
    type: 'connack', value: { sessionPresent: false, reasonCode: 0x87, reason: 'Not authorized' },
  });
});

test('PUBLISH: topic, QoS, retain, dup, packet id only at QoS 1 and 2, payload as text or base64', () => {
  assert.deepEqual(parsePacket(gen({ cmd: 'publish', topic: 'a/b', payload: 'hi', qos: 0, retain: true, dup: false }), 4), {
    type: 'publish', topic: 'a/b', qos: 0, value: { qos: 0, retain: true, dup: false, payload: 'hi' },
  });
  assert.deepEqual(parsePacket(gen({ cmd: 'publish', topic: 't', payload: Buffer.from([0xc3, 0x28]), qos: 2, messageId: 7, retain: false, dup: true }), 4), {
    type: 'publish', topic: 't', qos: 2, packetId: 7, value: { qos: 2, retain: false, dup: true, payload: { base64: 'wyg=' } },
  });
});

test('PUBLISH v5: properties, a topic alias, repeated user properties as arrays, correlation data', () => {
  const bytes = gen({
    cmd: 'publish', topic: '', payload: '{"t":21}', qos: 1, messageId: 3, retain: false, dup: false,
    properties: { topicAlias: 4, contentType: 'application/json', payloadFormatIndicator: true, correlationData: Buffer.from('r1'), userProperties: { k: ['1', '2'] } },
  }, 5);
  assert.deepEqual(parsePacket(bytes, 5), {
    type: 'publish', topic: '', qos: 1, packetId: 3, topicAlias: 4,
    value: {
      qos: 1, retain: false, dup: false,
      properties: { payloadFormatIndicator: 1, topicAlias: 4, correlationData: 'r1', contentType: 'application/json', userProperties: { k: ['1', '2'] } },
      payload: '{"t":21}',
    },
  });
});

test('PUBACK, PUBREC, PUBREL, PUBCOMP: the packet id; v5 adds a reason code when one is sent', () => {
  for (const cmd of ['puback', 'pubrec', 'pubrel', 'pubcomp'] as const) {
    assert.deepEqual(parsePacket(gen({ cmd, messageId: 9 } as Packet), 4), { type: cmd, packetId: 9 });
  }
  assert.deepEqual(parsePacket(gen({ cmd: 'puback', messageId: 9, reasonCode: 0x10 }, 5), 5), {
    type: 'puback', packetId: 9, value: { reasonCode: 0x10, reason: 'No matching subscribers' },
  });
  assert.deepEqual(parsePacket(gen({ cmd: 'pubrec', messageId: 9, reasonCode: 0x80, properties: { reasonString: 'nope' } }, 5), 5), {
    type: 'pubrec', packetId: 9, value: { reasonCode: 0x80, reason: 'Unspecified error', properties: { reasonString: 'nope' } },
  });
});

test('SUBSCRIBE: the filters and their options; SUBACK: return codes (3.1.1) or reason codes (v5)', () => {
  assert.deepEqual(parsePacket(gen({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 'a/#', qos: 1 }, { topic: 'b', qos: 0 }] }), 4), {
    type: 'subscribe', packetId: 2, filters: ['a/#', 'b'], value: { subscriptions: [{ topic: 'a/#', qos: 1 }, { topic: 'b', qos: 0 }] },
  });
  assert.deepEqual(parsePacket(gen({ cmd: 'suback', messageId: 2, granted: [1, 0x80] }), 4), { type: 'suback', packetId: 2, value: { returnCodes: [1, 0x80] } });
  const v5 = gen({
    cmd: 'subscribe', messageId: 3, properties: { subscriptionIdentifier: 12 },
    subscriptions: [{ topic: 's', qos: 2, nl: true, rap: true, rh: 2 }],
  }, 5);
  assert.deepEqual(parsePacket(v5, 5), {
    type: 'subscribe', packetId: 3, filters: ['s'],
    value: { subscriptions: [{ topic: 's', qos: 2, noLocal: true, retainAsPublished: true, retainHandling: 2 }], properties: { subscriptionIdentifier: 12 } },
  });
  assert.deepEqual(parsePacket(gen({ cmd: 'suback', messageId: 3, granted: [2, 0x8f] }, 5), 5), { type: 'suback', packetId: 3, value: { reasonCodes: [2, 0x8f] } });
});

test('UNSUBSCRIBE: the filters; UNSUBACK: the packet id (3.1.1), reason codes (v5)', () => {
  assert.deepEqual(parsePacket(gen({ cmd: 'unsubscribe', messageId: 5, unsubscriptions: ['a', 'b/+'] }), 4), { type: 'unsubscribe', packetId: 5, filters: ['a', 'b/+'] });
  assert.deepEqual(parsePacket(gen({ cmd: 'unsuback', messageId: 5 } as Packet), 4), { type: 'unsuback', packetId: 5 });
  assert.deepEqual(parsePacket(gen({ cmd: 'unsuback', messageId: 5, granted: [0, 0x11] } as Packet, 5), 5), { type: 'unsuback', packetId: 5, value: { reasonCodes: [0, 0x11] } });
});

test('PINGREQ, PINGRESP, DISCONNECT; v5 DISCONNECT and AUTH reason codes and properties', () => {
  assert.deepEqual(parsePacket(gen({ cmd: 'pingreq' }), 4), { type: 'pingreq' });
  assert.deepEqual(parsePacket(gen({ cmd: 'pingresp' }), 4), { type: 'pingresp' });
  assert.deepEqual(parsePacket(gen({ cmd: 'disconnect' }), 4), { type: 'disconnect' });
  assert.deepEqual(parsePacket(gen({ cmd: 'disconnect', reasonCode: 0, properties: { reasonString: 'bye' } }, 5), 5), {
    type: 'disconnect', value: { reasonCode: 0, reason: 'Normal disconnection', properties: { reasonString: 'bye' } },
  });
  assert.deepEqual(parsePacket(gen({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM', authenticationData: Buffer.from([1, 2]) } }, 5), 5), {
    type: 'auth', value: { reasonCode: 0x18, reason: 'Continue authentication', properties: { authenticationMethod: 'SCRAM', authenticationData: { base64: 'AQI=' } } },
  });
});

test('malformed packets are errors that name the packet and what breaks it', () => {
  const cases: [string, Buffer, MqttLevel, RegExp][] = [
    ['reserved type 0', Buffer.from([0x00, 0x00]), 4, /reserved packet type 0/],
    ['AUTH before v5', Buffer.from([0xf0, 0x00]), 4, /reserved packet type 15/],
    ['QoS 3', Buffer.from([0x36, 0x03, 0x00, 0x01, 0x61]), 4, /malformed PUBLISH: QoS 3/],
    ['SUBSCRIBE flags 0000', Buffer.from([0x80, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, 0x00]), 4, /malformed SUBSCRIBE: fixed header flags 0000, not 0010/],
    ['a topic past the end', Buffer.from([0x30, 0x03, 0x00, 0x05, 0x61]), 4, /malformed PUBLISH: the packet ends/],
    ['packet id 0', Buffer.from([0x40, 0x02, 0x00, 0x00]), 4, /Packet Identifier 0/],
    ['3.1.1 PUBACK with a reason code', Buffer.from([0x40, 0x03, 0x00, 0x01, 0x10]), 4, /1 bytes after its last field/],
    ['SUBSCRIBE with no filter', Buffer.from([0x82, 0x02, 0x00, 0x01]), 4, /no Topic Filter/],
    ['a topic that is not UTF-8', Buffer.from([0x30, 0x04, 0x00, 0x02, 0xc3, 0x28]), 4, /Topic Name is not valid UTF-8/],
    ['an unknown property', Buffer.from([0x40, 0x06, 0x00, 0x01, 0x00, 0x02, 0x7f, 0x00]), 5, /unknown property identifier 0x7f/],
    ['an unknown protocol', gen({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'x' }).fill(0x58, 4, 8), 4, /protocol "XXXX" level 4/],
  ];
  for (const [what, bytes, level, error] of cases) {
    const p = parsePacket(bytes, level);
    assert.ok('error' in p, `${what}: an error`);
    assert.match(p.error, error, what);
  }
});
