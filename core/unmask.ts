/** Below this many bytes the byte loop is faster than setting up a word view. */
const WORD_MIN = 64;
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * XOR payload bytes with the masking key (RFC 6455 §5.3): byte i of the payload
 * is XORed with byte (i mod 4) of the key. `payloadOffset` is the position of
 * `src[srcStart]` within the frame's payload, so a payload split across chunks
 * unmasks to the same bytes as a whole one.
 */
export function unmaskInto(
  src: Uint8Array,
  srcStart: number,
  srcEnd: number,
  key: Uint8Array,
  payloadOffset: number,
  dst: Uint8Array,
  dstStart: number,
): void {
  const k0 = key[payloadOffset & 3]!;
  const k1 = key[(payloadOffset + 1) & 3]!;
  const k2 = key[(payloadOffset + 2) & 3]!;
  const k3 = key[(payloadOffset + 3) & 3]!;
  const n = srcEnd - srcStart;
  let i = 0;
  const at = dst.byteOffset + dstStart;
  if (n >= WORD_MIN && (at & 3) === 0) {
    // Copy (memcpy), then XOR four bytes at a time in place.
    dst.set(src.subarray(srcStart, srcEnd), dstStart);
    const words = new Uint32Array(dst.buffer, at, n >>> 2);
    const mask = LITTLE_ENDIAN ? (k0 | (k1 << 8) | (k2 << 16) | (k3 << 24)) >>> 0 : ((k0 << 24) | (k1 << 16) | (k2 << 8) | k3) >>> 0;
    for (let w = 0; w < words.length; w++) words[w] ^= mask;
    i = words.length * 4;
    for (; i < n; i++) dst[dstStart + i] ^= key[(payloadOffset + i) & 3]!;
    return;
  }
  const whole = n - (n & 3);
  for (; i < whole; i += 4) {
    dst[dstStart + i] = src[srcStart + i]! ^ k0;
    dst[dstStart + i + 1] = src[srcStart + i + 1]! ^ k1;
    dst[dstStart + i + 2] = src[srcStart + i + 2]! ^ k2;
    dst[dstStart + i + 3] = src[srcStart + i + 3]! ^ k3;
  }
  for (; i < n; i++) dst[dstStart + i] = src[srcStart + i]! ^ key[(payloadOffset + i) & 3]!;
}
