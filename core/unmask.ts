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
  const whole = n - (n & 3);
  let i = 0;
  for (; i < whole; i += 4) {
    dst[dstStart + i] = src[srcStart + i]! ^ k0;
    dst[dstStart + i + 1] = src[srcStart + i + 1]! ^ k1;
    dst[dstStart + i + 2] = src[srcStart + i + 2]! ^ k2;
    dst[dstStart + i + 3] = src[srcStart + i + 3]! ^ k3;
  }
  for (; i < n; i++) dst[dstStart + i] = src[srcStart + i]! ^ key[(payloadOffset + i) & 3]!;
}
