import { isUtf8 } from 'node:buffer';

/**
 * Length of the longest prefix of `bytes` that does not end inside a UTF-8
 * sequence: used when a payload was cut at the keep limit, so the cut itself
 * is not mistaken for invalid text.
 */
export function completeUtf8Length(bytes: Uint8Array): number {
  const n = bytes.length;
  // A sequence is at most 4 bytes: look back at most 3 for its lead byte.
  for (let back = 1; back <= 3 && back <= n; back++) {
    const b = bytes[n - back]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead
    // 0xF8–0xFF lead nothing: keep it, so the validator reports it.
    const need = b >= 0xf8 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

/** Decodes text strictly: the string when `bytes` is valid UTF-8, else null (RFC 6455 §8.1). */
export function decodeUtf8(bytes: Buffer): string | null {
  return isUtf8(bytes) ? bytes.toString('utf8') : null;
}
