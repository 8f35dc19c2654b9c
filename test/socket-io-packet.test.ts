import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fillPlaceholders, parseSocketIoPacket } from '../core/app/socket-io-packet.js';

// Packets below are as socket.io 4.8 and socket.io-client 4.8 / 2.5 wrote them (after Engine.IO's `4`).

test('an event with an ack id in the default namespace: type, namespace /, id, data', () => {
  assert.deepEqual(parseSocketIoPacket('420["chat","hello"]', 1), { type: 'event', namespace: '/', attachments: 0, id: 0, data: ['chat', 'hello'] });
});

test('a namespace is read up to its comma, and an id after it', () => {
  assert.deepEqual(parseSocketIoPacket('43/admin,12["y"]', 1), { type: 'ack', namespace: '/admin', attachments: 0, id: 12, data: ['y'] });
});

test('a v4 client connect with a query in the namespace: the query is left out', () => {
  assert.deepEqual(parseSocketIoPacket('40/admin?token=abc,', 1), { type: 'connect', namespace: '/admin', attachments: 0 });
});

test('a namespace with no comma runs to the end of the packet', () => {
  assert.deepEqual(parseSocketIoPacket('41/chat', 1), { type: 'disconnect', namespace: '/chat', attachments: 0 });
});

test('a server connect carries its sid object; a connect_error its message object (v5) or string (v4)', () => {
  assert.deepEqual(parseSocketIoPacket('40{"sid":"ZD4j"}', 1), { type: 'connect', namespace: '/', attachments: 0, data: { sid: 'ZD4j' } });
  assert.deepEqual(parseSocketIoPacket('44/locked,{"message":"nope"}', 1), { type: 'connect_error', namespace: '/locked', attachments: 0, data: { message: 'nope' } });
  assert.deepEqual(parseSocketIoPacket('44"Not authorized"', 1), { type: 'connect_error', namespace: '/', attachments: 0, data: 'Not authorized' });
});

test('binary packets give their attachment count before the dash', () => {
  assert.deepEqual(parseSocketIoPacket('451-1["upload","f",{"_placeholder":true,"num":0}]', 1), {
    type: 'binary_event', namespace: '/', attachments: 1, id: 1, data: ['upload', 'f', { _placeholder: true, num: 0 }],
  });
  assert.deepEqual(parseSocketIoPacket('462-/admin,7[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]', 1), {
    type: 'binary_ack', namespace: '/admin', attachments: 2, id: 7, data: [{ _placeholder: true, num: 0 }, { _placeholder: true, num: 1 }],
  });
});

test('what is not a Socket.IO packet is said so, as a string', () => {
  for (const bad of [
    '4', '47', '4x', '45["a"]', '45-["a"]', '4512345678901234567-["a"]', '42', '42{"a":1}', '42[{"a":1}]', '42[', '40[1]',
    '41{}', '43{"a":1}', '44[1]', '420123456789012345678["a"]',
  ]) {
    assert.equal(typeof parseSocketIoPacket(bad, 1), 'string', bad);
  }
});

test('an event named by a number is read (socket.io-parser accepts it)', () => {
  assert.deepEqual(parseSocketIoPacket('42[7,"x"]', 1), { type: 'event', namespace: '/', attachments: 0, data: [7, 'x'] });
});

test('placeholders anywhere in the data are replaced by their attachment as base64', () => {
  const data = ['upload', { file: { _placeholder: true, num: 1 }, list: [{ _placeholder: true, num: 0 }, 3] }];
  assert.equal(fillPlaceholders(data, ['AQID', 'BAU=']), true);
  assert.deepEqual(data, ['upload', { file: { base64: 'BAU=' }, list: [{ base64: 'AQID' }, 3] }]);
});

test('a placeholder that points past the attachments makes the packet unreadable', () => {
  assert.equal(fillPlaceholders(['x', { _placeholder: true, num: 1 }], ['AQID']), false);
  assert.equal(fillPlaceholders(['x', { _placeholder: true, num: -1 }], ['AQID']), false);
  assert.equal(fillPlaceholders(['x', { _placeholder: true, num: 0.5 }], ['AQID']), false);
});

test('a placeholder under a key named __proto__ stays a key of the data', () => {
  const data = JSON.parse('["x",{"__proto__":{"_placeholder":true,"num":0}}]') as unknown[];
  assert.equal(fillPlaceholders(data, ['AQID']), true);
  assert.equal(JSON.stringify(data), '["x",{"__proto__":{"base64":"AQID"}}]');
});

test('placeholders nested deeper than the walk goes (256 levels) are left as they are: its stack stays bounded', () => {
  const deep = JSON.parse(`${'['.repeat(300)}{"_placeholder":true,"num":0}${']'.repeat(300)}`) as unknown;
  assert.equal(fillPlaceholders(deep, ['AQID']), true);
  assert.ok(JSON.stringify(deep).includes('_placeholder'));
});

test('fuzz: any text parses to a packet or a reason, never a throw', () => {
  const text = fc.oneof(
    fc.string({ maxLength: 60 }),
    fc.tuple(fc.constantFrom('0', '1', '2', '3', '4', '5', '6'), fc.constantFrom('', '1-', '/a,', '/a?b', '7', '-'), fc.json()).map(([a, b, c]) => `4${a}${b}${c}`),
  );
  fc.assert(fc.property(text, fc.nat(3), (t, start) => {
    const p = parseSocketIoPacket(t, start);
    assert.ok(typeof p === 'string' || typeof p.type === 'string');
  }), { numRuns: 500 });
});
