import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encode, ExtData } from '@msgpack/msgpack';
import fc from 'fast-check';
import { decodeMsgpack, isMsgpackDocument } from '../core/app/formats/msgpack-value.js';
import { FormatError } from '../core/app/formats/json-safe.js';

test('a document @msgpack/msgpack encoded decodes to its JSON-safe value', () => {
  const bytes = encode({ s: 'hé', n: -3, f: 1.5, t: true, z: null, big: 2n ** 63n, bin: new Uint8Array([1, 2, 3]), a: [1, [2]] }, { useBigInt64: true });
  assert.deepEqual(decodeMsgpack(bytes), { s: 'hé', n: -3, f: 1.5, t: true, z: null, big: '9223372036854775808', bin: { base64: 'AQID' }, a: [1, [2]] });
});

test('int64 and uint64 within 2^53 stay numbers', () => {
  // 0xd3: int64 -1; 0xcf: uint64 5
  assert.deepEqual(decodeMsgpack(Uint8Array.from([0x92, 0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xcf, 0, 0, 0, 0, 0, 0, 0, 5])), [-1, 5]);
});

test('extension types are {ext, base64}; a timestamp also gets its ISO time when a Date holds it exactly', () => {
  assert.deepEqual(decodeMsgpack(encode([new ExtData(7, new Uint8Array([9, 9]))])), [{ ext: 7, base64: 'CQk=' }]);
  const ts = decodeMsgpack(encode(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)))) as { ext: number; timestamp: string };
  assert.equal(ts.ext, -1);
  assert.equal(ts.timestamp, '2024-01-02T03:04:05.006Z');
  // timestamp 64 (fixext 8): 1 ns past 4 s, which a Date cannot hold
  const nanos = Uint8Array.from([0xd7, 0xff, 0, 0, 0, 4, 0, 0, 0, 4]);
  assert.deepEqual(decodeMsgpack(nanos), { ext: -1, base64: 'AAAABAAAAAQ=' });
});

test('map keys that are not strings are written as text', () => {
  // {1: "a", [1]: "b", bin(0x01): "c"}
  const bytes = Uint8Array.from([0x83, 0x01, 0xa1, 0x61, 0x91, 0x01, 0xa1, 0x62, 0xc4, 0x01, 0x01, 0xa1, 0x63]);
  assert.deepEqual(decodeMsgpack(bytes), { 1: 'a', '[1]': 'b', '{"base64":"AQ=="}': 'c' });
});

test('bytes that are not exactly one document are a FormatError', () => {
  assert.throws(() => decodeMsgpack(Uint8Array.from([0x92, 0x01])), FormatError);
  assert.throws(() => decodeMsgpack(Uint8Array.from([0x01, 0x02])), FormatError);
  assert.throws(() => decodeMsgpack(Uint8Array.from([0xc1])), FormatError);
});

test('only a whole map or array is a MessagePack document for sniffing', () => {
  assert.equal(isMsgpackDocument(encode({ a: 1 })), true);
  assert.equal(isMsgpackDocument(encode([1, 'x'])), true);
  assert.equal(isMsgpackDocument(encode('a string')), false);
  assert.equal(isMsgpackDocument(encode(42)), false);
  assert.equal(isMsgpackDocument(encode([1, 2]).subarray(0, 2)), false);
  assert.equal(isMsgpackDocument(Buffer.from('{"a":1}')), false);
});

test('deep nesting is a FormatError, not a stack overflow', () => {
  const deep = new Uint8Array(100_000).fill(0x91);
  deep[deep.length - 1] = 0x01;
  assert.throws(() => decodeMsgpack(deep), FormatError);
});

test('random and cut documents decode or throw a FormatError, nothing else', () => {
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.jsonValue().map((v) => encode(v)), fc.tuple(fc.jsonValue(), fc.nat()).map(([v, n]) => encode(v).subarray(0, n))), (bytes) => {
      try {
        JSON.stringify(decodeMsgpack(bytes));
      } catch (err) {
        assert.ok(err instanceof FormatError, String(err));
      }
    }),
    { numRuns: 500 },
  );
});
