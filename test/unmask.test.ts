import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unmaskInto as unmaskIntoDefault, unmaskIntoJs, unmaskShort, UNMASK_IMPLEMENTATION } from '../core/websocket/unmask.js';

function naive(src: Uint8Array, key: Uint8Array, payloadOffset: number): Buffer {
  const out = Buffer.alloc(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i]! ^ key[(payloadOffset + i) % 4]!;
  return out;
}

// bufferutil ships prebuilt binaries for these; elsewhere the JavaScript path is the one used.
const PREBUILT = ['linux-x64', 'darwin-x64', 'darwin-arm64', 'win32-x64', 'win32-ia32'];

test('unmasking uses bufferutil from the optional dependency where it has a prebuilt binary', { skip: !PREBUILT.includes(`${process.platform}-${process.arch}`) }, () => {
  assert.equal(UNMASK_IMPLEMENTATION, 'bufferutil');
});

// The same cases for the default path (bufferutil for long runs) and the JavaScript one.
for (const [name, unmaskInto] of [['unmaskInto', unmaskIntoDefault], ['unmaskIntoJs', unmaskIntoJs]] as const) {
  test(`${name} decodes the RFC 6455 §5.7 masked "Hello"`, () => {
    const frame = Buffer.from('818537fa213d7f9f4d5158', 'hex');
    const out = Buffer.alloc(5);
    unmaskInto(frame, 6, 11, frame.subarray(2, 6), 0, out, 0);
    assert.equal(out.toString(), 'Hello');
  });

  test(`${name} equals a naive XOR at every payload offset 0..3 and every length 0..13`, () => {
    const key = Buffer.from('a1b2c3d4', 'hex');
    const src = Buffer.from('00112233445566778899aabbccddeeff0123', 'hex');
    for (let offset = 0; offset < 4; offset++) {
      for (let len = 0; len <= 13; len++) {
        for (const srcStart of [0, 1, 3]) {
          const dst = Buffer.alloc(len + 5, 0xee);
          unmaskInto(src, srcStart, srcStart + len, key, offset, dst, 2);
          const expected = naive(src.subarray(srcStart, srcStart + len), key, offset);
          assert.deepEqual(dst.subarray(2, 2 + len), expected, `offset ${offset} len ${len} srcStart ${srcStart}`);
          // Nothing outside [dstStart, dstStart + len) is touched.
          assert.deepEqual(dst.subarray(0, 2), Buffer.from('eeee', 'hex'));
          assert.deepEqual(dst.subarray(2 + len), Buffer.alloc(3, 0xee));
        }
      }
    }
  });

  test(`${name} at a large payload offset uses offset mod 4`, () => {
    const key = Buffer.from('01020304', 'hex');
    const src = Buffer.from('0000000000000000', 'hex');
    const dst = Buffer.alloc(8);
    unmaskInto(src, 0, 8, key, 1_000_003, dst, 0);
    assert.deepEqual(dst, Buffer.from('0401020304010203', 'hex'));
  });

  test(`${name}: unmasking a payload in arbitrary pieces equals unmasking it whole`, () => {
    const key = Buffer.from('37fa213d', 'hex');
    const src = Buffer.from(Array.from({ length: 37 }, (_, i) => (i * 29 + 7) & 0xff));
    const whole = Buffer.alloc(src.length);
    unmaskInto(src, 0, src.length, key, 0, whole, 0);
    assert.deepEqual(whole, naive(src, key, 0));
    const pieced = Buffer.alloc(src.length);
    const cuts = [0, 1, 2, 7, 8, 13, 30, 37];
    for (let c = 0; c + 1 < cuts.length; c++) unmaskInto(src, cuts[c]!, cuts[c + 1]!, key, cuts[c]!, pieced, cuts[c]!);
    assert.deepEqual(pieced, whole);
  });

  test(`${name} gives the naive XOR for long runs at every key offset, into aligned and unaligned destinations`, () => {
    const key = Buffer.from('95 39 ff dd'.replace(/ /g, ''), 'hex');
    const src = Buffer.from(Array.from({ length: 1031 }, (_, i) => (i * 37 + 11) & 0xff));
    for (const offset of [0, 1, 2, 3, 5]) {
      for (const dstStart of [0, 1, 2, 3, 4]) {
        for (const [start, end] of [[0, 1031], [3, 700], [64, 128], [10, 73]] as const) {
          const dst = new Uint8Array(new ArrayBuffer(1040), 0, 1040);
          unmaskInto(src, start, end, key, offset, dst, dstStart);
          for (let i = 0; i < end - start; i++) {
            assert.equal(dst[dstStart + i], src[start + i]! ^ key[(offset + i) & 3]!, `offset ${offset} dst ${dstStart} [${start},${end}) byte ${i}`);
          }
        }
      }
    }
  });
}

test('unmaskShort returns the OR of the bytes it writes: below 0x80 exactly when they are ASCII', () => {
  const frame = Buffer.from('818537fa213d7f9f4d5158', 'hex');
  const out = Buffer.alloc(5);
  assert.equal(unmaskShort(frame, 6, 11, frame.subarray(2, 6), 0, out, 0), 0x6f); // 'H' | 'e' | 'l' | 'l' | 'o'
  assert.equal(out.toString(), 'Hello');
  for (let at = 0; at < 7; at++) {
    const src = Buffer.from('abcdefg');
    src[at] = 0xc3;
    const dst = Buffer.alloc(7);
    assert.ok(unmaskShort(src, 0, 7, new Uint8Array(4), 0, dst, 0) >= 0x80, `non-ASCII byte at ${at}`);
    assert.deepEqual(dst, src, 'an all-zero key copies');
  }
});
