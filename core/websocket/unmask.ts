/** Below this many bytes the byte loop is faster than setting up a word view. */
export const WORD_MIN = 128;
/** Below this many bytes a native call costs more than it saves. */
const NATIVE_MIN = 256;
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * A native masking function with the signature of `bufferutil`'s `mask`: writes
 * `source[i] ^ mask[i & 3]` to `output[offset + i]` for i below `length`.
 */
export type NativeMask = (source: Uint8Array, mask: Uint8Array, output: Uint8Array, offset: number, length: number) => void;

let nativeMask: NativeMask | null = null;

/**
 * Hands the core a native masking function for payloads of NATIVE_MIN bytes and more, or null
 * for the JavaScript loop (the default). The core does no I/O: the edge loads the native module.
 */
export function useNativeMask(mask: NativeMask | null): void {
  nativeMask = mask;
}

/** Which unmasking runs for long payloads: `native` once `useNativeMask` was given a function. */
export function unmaskImplementation(): 'native' | 'javascript' {
  return nativeMask ? 'native' : 'javascript';
}

/**
 * XOR payload bytes with the masking key (RFC 6455 §5.3): byte i of the payload
 * is XORed with byte (i mod 4) of the key. `payloadOffset` is the position of
 * `src[srcStart]` within the frame's payload, so a payload split across chunks
 * unmasks to the same bytes as a whole one. Writes `dst` from `dstStart`.
 */
export type Unmask = (src: Uint8Array, srcStart: number, srcEnd: number, key: Uint8Array, payloadOffset: number, dst: Uint8Array, dstStart: number) => void;

export const unmaskInto: Unmask = (src, srcStart, srcEnd, key, payloadOffset, dst, dstStart) => {
  const n = srcEnd - srcStart;
  if (n >= NATIVE_MIN && nativeMask) {
    const r = payloadOffset & 3;
    const rotated = r === 0 ? key : Uint8Array.of(key[r]!, key[(r + 1) & 3]!, key[(r + 2) & 3]!, key[(r + 3) & 3]!);
    nativeMask(src.subarray(srcStart, srcEnd), rotated, dst, dstStart, n);
    return;
  }
  unmaskIntoJs(src, srcStart, srcEnd, key, payloadOffset, dst, dstStart);
};

/**
 * `unmaskInto` for payloads under WORD_MIN bytes, four bytes a turn with the key's bytes in locals
 * (64 bytes: 80 ns against 140 for a byte loop that indexes the key, on the benchmark machine);
 * with an all-zero key it is a copy. Returns the OR of the bytes written, so a caller can tell
 * ASCII (below 0x80) without reading them again.
 */
export function unmaskShort(src: Uint8Array, srcStart: number, srcEnd: number, key: Uint8Array, payloadOffset: number, dst: Uint8Array, dstStart: number): number {
  const n = srcEnd - srcStart;
  const k0 = key[payloadOffset & 3]!;
  const k1 = key[(payloadOffset + 1) & 3]!;
  const k2 = key[(payloadOffset + 2) & 3]!;
  const k3 = key[(payloadOffset + 3) & 3]!;
  let or = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const b0 = src[srcStart + i]! ^ k0;
    const b1 = src[srcStart + i + 1]! ^ k1;
    const b2 = src[srcStart + i + 2]! ^ k2;
    const b3 = src[srcStart + i + 3]! ^ k3;
    dst[dstStart + i] = b0;
    dst[dstStart + i + 1] = b1;
    dst[dstStart + i + 2] = b2;
    dst[dstStart + i + 3] = b3;
    or |= b0 | b1 | b2 | b3;
  }
  for (; i < n; i++) {
    const b = src[srcStart + i]! ^ key[(payloadOffset + i) & 3]!;
    dst[dstStart + i] = b;
    or |= b;
  }
  return or;
}

/** `unmaskInto` in JavaScript: without a native mask, and for short payloads. */
export const unmaskIntoJs: Unmask = (src, srcStart, srcEnd, key, payloadOffset, dst, dstStart) => {
  const n = srcEnd - srcStart;
  if (n < WORD_MIN) {
    unmaskShort(src, srcStart, srcEnd, key, payloadOffset, dst, dstStart);
    return;
  }
  // Bytes one at a time up to a 4-byte aligned destination, then XOR four at a time in place.
  const lead = (4 - ((dst.byteOffset + dstStart) & 3)) & 3;
  for (let i = 0; i < lead; i++) dst[dstStart + i] = src[srcStart + i]! ^ key[(payloadOffset + i) & 3]!;
  const at = dstStart + lead;
  const words = (n - lead) >>> 2;
  dst.set(src.subarray(srcStart + lead, srcStart + lead + words * 4), at);
  const o = payloadOffset + lead;
  const k0 = key[o & 3]!;
  const k1 = key[(o + 1) & 3]!;
  const k2 = key[(o + 2) & 3]!;
  const k3 = key[(o + 3) & 3]!;
  const view = new Uint32Array(dst.buffer, dst.byteOffset + at, words);
  const mask = LITTLE_ENDIAN ? (k0 | (k1 << 8) | (k2 << 16) | (k3 << 24)) >>> 0 : ((k0 << 24) | (k1 << 16) | (k2 << 8) | k3) >>> 0;
  for (let w = 0; w < words; w++) view[w] = view[w]! ^ mask;
  for (let i = lead + words * 4; i < n; i++) dst[dstStart + i] = src[srcStart + i]! ^ key[(payloadOffset + i) & 3]!;
};
