import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unmaskImplementation, unmaskInto, unmaskIntoJs, unmaskShort, useNativeMask, type NativeMask, type Unmask } from '../core/websocket/unmask.js';
import { loadNativeMask } from '../proxy/native-mask.js';

function naive(src: Uint8Array, key: Uint8Array, payloadOffset: number): Buffer {
  const out = Buffer.alloc(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i]! ^ key[(payloadOffset + i) % 4]!;
  return out;
}

/** bufferutil's native mask, where its binary loads here (else these cases are skipped). */
const bufferutilMask = loadNativeMask();

test('unmasking is JavaScript until a native mask is handed in, native after, JavaScript again after null', () => {
  useNativeMask(null);
  assert.equal(unmaskImplementation(), 'javascript');
  useNativeMask(() => {});
  assert.equal(unmaskImplementation(), 'native');
  useNativeMask(null);
  assert.equal(unmaskImplementation(), 'javascript');
});

test('unmaskInto hands payloads of 256 bytes and more to the native mask, with the key rotated to the payload offset; shorter ones never', () => {
  const calls: number[] = [];
  const recordingMask: NativeMask = (source, mask, output, offset, length) => {
    calls.push(length);
    for (let i = 0; i < length; i++) output[offset + i] = source[i]! ^ mask[i & 3]!;
  };
  useNativeMask(recordingMask);
  try {
    const key = Buffer.from('a1b2c3d4', 'hex');
    const src = Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 13 + 5) & 0xff));
    for (const [length, offset] of [[255, 0], [256, 0], [256, 1], [300, 2], [599, 3], [1, 0], [128, 1]] as const) {
      calls.length = 0;
      const dst = Buffer.alloc(length + 4, 0xee);
      unmaskInto(src, 1, 1 + length, key, offset, dst, 2);
      assert.deepEqual(dst.subarray(2, 2 + length), naive(src.subarray(1, 1 + length), key, offset), `length ${length} offset ${offset}`);
      assert.deepEqual([dst[0], dst[1], dst[2 + length], dst[3 + length]], [0xee, 0xee, 0xee, 0xee], `length ${length}: nothing outside the destination range is written`);
      assert.deepEqual(calls, length >= 256 ? [length] : [], `length ${length}: native calls`);
    }
  } finally {
    useNativeMask(null);
  }
});

// The same cases for unmaskInto with bufferutil, unmaskInto without a native mask, and the JavaScript loop itself.
const variants: Array<{ name: string; unmask: Unmask; native: NativeMask | null; skip?: string }> = [
  { name: 'unmaskInto with bufferutil', unmask: unmaskInto, native: bufferutilMask, ...(bufferutilMask ? {} : { skip: 'no bufferutil binary loads here' }) },
  { name: 'unmaskInto without a native mask', unmask: unmaskInto, native: null },
  { name: 'unmaskIntoJs', unmask: unmaskIntoJs, native: null },
];
for (const { name, unmask, native, skip } of variants) {
  const it = (title: string, body: () => void) => test(title, { skip }, () => {
    useNativeMask(native);
    try {
      body();
    } finally {
      useNativeMask(null);
    }
  });

  it(`${name} decodes the RFC 6455 §5.7 masked "Hello"`, () => {
    const frame = Buffer.from('818537fa213d7f9f4d5158', 'hex');
    const out = Buffer.alloc(5);
    unmask(frame, 6, 11, frame.subarray(2, 6), 0, out, 0);
    assert.equal(out.toString(), 'Hello');
  });

  it(`${name} equals a naive XOR at every payload offset 0..3 and every length 0..13`, () => {
    const key = Buffer.from('a1b2c3d4', 'hex');
    const src = Buffer.from('00112233445566778899aabbccddeeff0123', 'hex');
    for (let offset = 0; offset < 4; offset++) {
      for (let len = 0; len <= 13; len++) {
        for (const srcStart of [0, 1, 3]) {
          const dst = Buffer.alloc(len + 5, 0xee);
          unmask(src, srcStart, srcStart + len, key, offset, dst, 2);
          const expected = naive(src.subarray(srcStart, srcStart + len), key, offset);
          assert.deepEqual(dst.subarray(2, 2 + len), expected, `offset ${offset} len ${len} srcStart ${srcStart}`);
          // Nothing outside [dstStart, dstStart + len) is touched.
          assert.deepEqual(dst.subarray(0, 2), Buffer.from('eeee', 'hex'));
          assert.deepEqual(dst.subarray(2 + len), Buffer.alloc(3, 0xee));
        }
      }
    }
  });

  it(`${name} at a large payload offset uses offset mod 4`, () => {
    const key = Buffer.from('01020304', 'hex');
    const src = Buffer.from('0000000000000000', 'hex');
    const dst = Buffer.alloc(8);
    unmask(src, 0, 8, key, 1_000_003, dst, 0);
    assert.deepEqual(dst, Buffer.from('0401020304010203', 'hex'));
  });

  it(`${name}: unmasking a payload in arbitrary pieces equals unmasking it whole`, () => {
    const key = Buffer.from('37fa213d', 'hex');
    const src = Buffer.from(Array.from({ length: 37 }, (_, i) => (i * 29 + 7) & 0xff));
    const whole = Buffer.alloc(src.length);
    unmask(src, 0, src.length, key, 0, whole, 0);
    assert.deepEqual(whole, naive(src, key, 0));
    const pieced = Buffer.alloc(src.length);
    const cuts = [0, 1, 2, 7, 8, 13, 30, 37];
    for (let c = 0; c + 1 < cuts.length; c++) unmask(src, cuts[c]!, cuts[c + 1]!, key, cuts[c]!, pieced, cuts[c]!);
    assert.deepEqual(pieced, whole);
  });

  it(`${name} gives the naive XOR for long runs at every key offset, into aligned and unaligned destinations`, () => {
    const key = Buffer.from('95 39 ff dd'.replace(/ /g, ''), 'hex');
    const src = Buffer.from(Array.from({ length: 1031 }, (_, i) => (i * 37 + 11) & 0xff));
    for (const offset of [0, 1, 2, 3, 5]) {
      for (const dstStart of [0, 1, 2, 3, 4]) {
        for (const [start, end] of [[0, 1031], [3, 700], [64, 128], [10, 73]] as const) {
          const dst = new Uint8Array(new ArrayBuffer(1040), 0, 1040);
          unmask(src, start, end, key, offset, dst, dstStart);
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
