import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesValue, MalformedPacket, MqttReader } from '../core/app/mqtt-reader.js';

test('reads bytes, two- and four-byte integers, binary data and strings in order', () => {
  const r = new MqttReader(Buffer.from([0x07, 0x01, 0x02, 0x00, 0x00, 0x01, 0x00, 0x00, 0x02, 0x68, 0x69, 0x00, 0x01, 0xff, 0xaa, 0xbb]));
  assert.equal(r.u8(), 7);
  assert.equal(r.u16(), 0x0102);
  assert.equal(r.u32(), 0x100);
  assert.equal(r.utf8('s'), 'hi');
  assert.deepEqual(r.binary(), Buffer.from([0xff]));
  assert.equal(r.left, 2);
  assert.deepEqual(r.rest(), Buffer.from([0xaa, 0xbb]));
  assert.equal(r.left, 0);
});

test('a variable byte integer takes at most four bytes (v5 §1.5.5)', () => {
  assert.equal(new MqttReader(Buffer.from([0x00])).varint(), 0);
  assert.equal(new MqttReader(Buffer.from([0x80, 0x01])).varint(), 128);
  assert.equal(new MqttReader(Buffer.from([0xff, 0xff, 0xff, 0x7f])).varint(), 268_435_455);
  assert.throws(() => new MqttReader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x01])).varint(), MalformedPacket);
});

test('a read past the end or a string that is not UTF-8 throws MalformedPacket, offset as given', () => {
  assert.throws(() => new MqttReader(Buffer.from([0x01])).u16(), /the packet ends where a two-byte integer was due/);
  assert.throws(() => new MqttReader(Buffer.from([0x00, 0x03, 0x61])).binary(), /3 bytes of data/);
  assert.throws(() => new MqttReader(Buffer.from([0x00, 0x01, 0xff])).utf8('the Topic Name'), /the Topic Name is not valid UTF-8/);
  assert.equal(new MqttReader(Buffer.from([0x30, 0x02, 0x09]), 2).u8(), 9);
});

test('binary data shows as text when it reads as text, else as base64', () => {
  assert.equal(bytesValue(Buffer.from('{"a":1}\n\tä')), '{"a":1}\n\tä');
  assert.deepEqual(bytesValue(Buffer.from([0xc3, 0x28])), { base64: 'wyg=' }, 'invalid UTF-8');
  assert.deepEqual(bytesValue(Buffer.from([0x08, 0x01])), { base64: 'CAE=' }, 'valid UTF-8 with control bytes (a Protobuf message)');
  assert.equal(bytesValue(Buffer.alloc(0)), '');
});
