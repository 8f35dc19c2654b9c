import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encode } from 'cborg';
import fc from 'fast-check';
import { decodeCbor, isCborDocument } from '../core/app/formats/cbor-value.js';
import { FormatError } from '../core/app/formats/json-safe.js';

test('a data item cborg encoded decodes to its JSON-safe value', () => {
  const bytes = encode({ s: 'hé', n: -3, f: 1.5, t: true, z: null, u: undefined, big: 2n ** 64n - 1n, bin: new Uint8Array([1, 2, 3]), a: [1, [2]] });
  assert.deepEqual(decodeCbor(bytes), { s: 'hé', n: -3, f: 1.5, t: true, z: null, u: null, big: '18446744073709551615', bin: { base64: 'AQID' }, a: [1, [2]] });
});

test('tags are {tag, value}, whatever their number (RFC 8949 3.4)', () => {
  // 1(1700000000): epoch time; 32("http://x"): URI; 55799 (self-described CBOR) around a map
  assert.deepEqual(decodeCbor(Uint8Array.from([0xc1, 0x1a, 0x65, 0x53, 0xf1, 0x00])), { tag: 1, value: 1700000000 });
  assert.deepEqual(decodeCbor(Uint8Array.from([0xd8, 0x20, 0x68, ...Buffer.from('http://x')])), { tag: 32, value: 'http://x' });
  assert.deepEqual(decodeCbor(Uint8Array.from([0xd9, 0xd9, 0xf7, 0xa1, 0x61, 0x61, 0x01])), { tag: 55799, value: { a: 1 } });
  assert.deepEqual(decodeCbor(Uint8Array.from([0xdb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00])), { tag: '18446744073709551615', value: 0 });
});

test('integer and other keys are written as text, NaN and infinities as strings', () => {
  // {1: NaN, -1: Infinity, [1]: -Infinity} with half floats
  const bytes = Uint8Array.from([0xa3, 0x01, 0xf9, 0x7e, 0x00, 0x20, 0xf9, 0x7c, 0x00, 0x81, 0x01, 0xf9, 0xfc, 0x00]);
  assert.deepEqual(decodeCbor(bytes), { 1: 'NaN', '-1': 'Infinity', '[1]': '-Infinity' });
});

test('indefinite-length items decode', () => {
  // [_ 1, 2] and {_ "a": 1}
  assert.deepEqual(decodeCbor(Uint8Array.from([0x9f, 0x01, 0x02, 0xff])), [1, 2]);
  assert.deepEqual(decodeCbor(Uint8Array.from([0xbf, 0x61, 0x61, 0x01, 0xff])), { a: 1 });
});

test('bytes that are not exactly one data item are a FormatError', () => {
  assert.throws(() => decodeCbor(Uint8Array.from([0x82, 0x01])), FormatError);
  assert.throws(() => decodeCbor(Uint8Array.from([0x01, 0x02])), FormatError);
  assert.throws(() => decodeCbor(Uint8Array.from([0xff])), FormatError);
});

test('only a whole map or array is a CBOR document for sniffing', () => {
  assert.equal(isCborDocument(encode({ a: 1 })), true);
  assert.equal(isCborDocument(encode([1, 'x'])), true);
  assert.equal(isCborDocument(encode('a string')), false);
  assert.equal(isCborDocument(encode([1, 2, 3]).subarray(0, 3)), false);
});

test('deep nesting is a FormatError, not a crash', () => {
  const deep = new Uint8Array(100_000).fill(0x81);
  deep[deep.length - 1] = 0x01;
  assert.throws(() => decodeCbor(deep), FormatError);
  const shallow = new Uint8Array(150).fill(0x81);
  shallow[shallow.length - 1] = 0x01;
  assert.throws(() => decodeCbor(shallow), /nested deeper than 100 levels/);
});

test('random and cut items decode or throw a FormatError, nothing else', () => {
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.jsonValue().map((v) => encode(v)), fc.tuple(fc.jsonValue(), fc.nat()).map(([v, n]) => encode(v).subarray(0, n))), (bytes) => {
      try {
        JSON.stringify(decodeCbor(bytes));
      } catch (err) {
        assert.ok(err instanceof FormatError, String(err));
      }
    }),
    { numRuns: 500 },
  );
});
