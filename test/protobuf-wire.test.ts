import { test } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import fc from 'fast-check';
import { decodeProtobufWire, MAX_NESTING } from '../core/app/formats/protobuf-wire.js';
import { FormatError } from '../core/app/formats/json-safe.js';

const { root } = protobuf.parse(`
  syntax = "proto3";
  package t;
  message Inner { string s = 1; int64 n = 2; }
  message M {
    int32 a = 1; string b = 2; Inner c = 3; bytes d = 4; double e = 5; fixed32 f = 6;
    repeated int32 g = 7; sint64 h = 8; float i = 9; uint64 j = 10; string k = 11;
  }
`);
const M = root.lookupType('t.M');

test('a message protobufjs encoded reads as field numbers, wire types and values', () => {
  const bytes = M.encode(M.create({
    a: -1, b: 'hello', c: { s: 'x', n: '9007199254740993' }, d: new Uint8Array([0, 1, 255]), e: 1.5, f: 7, g: [1, 2, 300], h: -2, i: 0.25, j: 5, k: 'two\nlines',
  })).finish();
  assert.deepEqual(decodeProtobufWire(bytes), [
    { field: 1, wire: 'varint', value: '18446744073709551615' },
    { field: 2, wire: 'len', value: 'hello' },
    { field: 3, wire: 'len', value: [{ field: 1, wire: 'len', value: 'x' }, { field: 2, wire: 'varint', value: '9007199254740993' }], guessed: 'message' },
    { field: 4, wire: 'len', value: { base64: 'AAH/' } },
    { field: 5, wire: 'i64', value: '4609434218613702656', double: 1.5 },
    { field: 6, wire: 'i32', value: 7, float: 9.80908925027372e-45 },
    { field: 7, wire: 'len', value: { base64: 'AQKsAg==' } },
    { field: 8, wire: 'varint', value: 3 },
    { field: 9, wire: 'i32', value: 1048576000, float: 0.25 },
    { field: 10, wire: 'varint', value: 5 },
    { field: 11, wire: 'len', value: 'two\nlines' },
  ]);
});

test('printable text stays text though it parses as a message; other UTF-8 that does not parse is text too', () => {
  // "hi" is also field 13 = 105 as a message
  assert.deepEqual(decodeProtobufWire(Uint8Array.from([0x0a, 0x02, 0x68, 0x69])), [{ field: 1, wire: 'len', value: 'hi' }]);
  // "\u0001" is valid UTF-8, not printable, and no message (field 0)
  assert.deepEqual(decodeProtobufWire(Uint8Array.from([0x0a, 0x01, 0x01])), [{ field: 1, wire: 'len', value: '\u0001' }]);
  assert.deepEqual(decodeProtobufWire(Uint8Array.from([0x0a, 0x00])), [{ field: 1, wire: 'len', value: '' }]);
});

test('groups (the deprecated SGROUP / EGROUP) read as their fields', () => {
  // field 2 group { field 1 varint 150 }, then field 3 varint 1
  assert.deepEqual(decodeProtobufWire(Uint8Array.from([0x13, 0x08, 0x96, 0x01, 0x14, 0x18, 0x01])), [
    { field: 2, wire: 'group', value: [{ field: 1, wire: 'varint', value: 150 }] },
    { field: 3, wire: 'varint', value: 1 },
  ]);
  assert.throws(() => decodeProtobufWire(Uint8Array.from([0x13, 0x08, 0x01])), /group 2 never ends/);
  assert.throws(() => decodeProtobufWire(Uint8Array.from([0x14])), /end of group 2 where none is open/);
});

test('bytes that are no message are a FormatError that says why', () => {
  assert.throws(() => decodeProtobufWire(Uint8Array.from([0x00, 0x01])), /field number 0/);
  assert.throws(() => decodeProtobufWire(Uint8Array.from([0x0e])), /wire type 6/);
  assert.throws(() => decodeProtobufWire(Uint8Array.from([0x0a, 0x05, 0x01])), FormatError);
  assert.throws(() => decodeProtobufWire(Uint8Array.from([0x08])), FormatError);
});

test('nested messages are guessed only so deep; deeper ones stay text or bytes', () => {
  // 60 levels of field 1 LEN around field 1 = 1 (lengths stay below 128: one byte each)
  let bytes = Uint8Array.from([0x08, 0x01]);
  for (let i = 0; i < 60; i++) bytes = Uint8Array.from([0x0a, bytes.length, ...bytes]);
  let depth = 0;
  let fields = decodeProtobufWire(bytes);
  for (; fields[0]?.guessed === 'message'; fields = fields[0].value as typeof fields) depth++;
  assert.equal(depth, MAX_NESTING - 1);
  // past the limit: the bytes as they are (here valid UTF-8, so text)
  assert.equal(typeof fields[0]?.value, 'string');
});

test('random and cut messages decode or throw a FormatError, nothing else', () => {
  const message = fc.record({ a: fc.integer(), b: fc.string(), d: fc.uint8Array({ maxLength: 8 }), e: fc.double(), g: fc.array(fc.integer(), { maxLength: 4 }) })
    .map((v) => M.encode(M.fromObject(v)).finish());
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), message, fc.tuple(message, fc.nat()).map(([b, n]) => b.subarray(0, n))), (bytes) => {
      try {
        JSON.stringify(decodeProtobufWire(bytes));
      } catch (err) {
        assert.ok(err instanceof FormatError, String(err));
      }
    }),
    { numRuns: 500 },
  );
});
