import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readProperties } from '../core/app/mqtt-properties.js';
import { MqttReader } from '../core/app/mqtt-reader.js';

/** A Property Length (one byte here) and the property bytes. */
function props(...bytes: number[]): MqttReader {
  return new MqttReader(Buffer.from([bytes.length, ...bytes]));
}
const str = (s: string) => [0, Buffer.byteLength(s), ...Buffer.from(s)];

test('reads each data type by the property\'s identifier (v5 §2.2.2.2)', () => {
  const r = props(
    0x01, 1, // payloadFormatIndicator: byte
    0x02, 0, 0, 0x0e, 0x10, // messageExpiryInterval: four bytes
    0x03, ...str('text/plain'),
    0x09, 0, 2, 0xff, 0x00, // correlationData: binary
    0x0b, 0x80, 0x01, // subscriptionIdentifier: variable byte integer
    0x23, 0, 5, // topicAlias: two bytes
  );
  assert.deepEqual(readProperties(r), {
    payloadFormatIndicator: 1, messageExpiryInterval: 3600, contentType: 'text/plain',
    correlationData: { base64: '/wA=' }, subscriptionIdentifier: 128, topicAlias: 5,
  });
  assert.equal(r.left, 0);
});

test('user properties keep their order; a repeated name or identifier gathers its values in an array', () => {
  const r = props(0x26, ...str('a'), ...str('1'), 0x26, ...str('b'), ...str('2'), 0x26, ...str('a'), ...str('3'), 0x0b, 1, 0x0b, 2);
  const p = readProperties(r);
  assert.deepEqual(p, { userProperties: { a: ['1', '3'], b: '2' }, subscriptionIdentifier: [1, 2] });
  assert.deepEqual(Object.keys(p.userProperties as object), ['a', 'b']);
});

test('a user property named __proto__ is a property like any other', () => {
  const p = readProperties(props(0x26, ...str('__proto__'), ...str('x')));
  const users = p.userProperties as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(users), Object.prototype);
  assert.equal(JSON.stringify(p), '{"userProperties":{"__proto__":"x"}}');
});

test('stops at the property length and leaves the rest of the packet', () => {
  const r = new MqttReader(Buffer.from([3, 0x23, 0, 1, 0xaa, 0xbb]));
  assert.deepEqual(readProperties(r), { topicAlias: 1 });
  assert.equal(r.left, 2);
  assert.deepEqual(readProperties(new MqttReader(Buffer.from([0]))), {});
});

test('an unknown identifier, a length past the packet, a property past the length are malformed', () => {
  assert.throws(() => readProperties(props(0x04, 0)), /unknown property identifier 0x04/);
  assert.throws(() => readProperties(new MqttReader(Buffer.from([5, 0x01, 1]))), /a property length of 5 with 2 bytes left/);
  assert.throws(() => readProperties(new MqttReader(Buffer.from([2, 0x23, 0, 1]))), /runs past the property length/);
});
