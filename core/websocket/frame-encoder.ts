import { unmaskInto } from './unmask.js';

/** One frame to put on the wire (RFC 6455 §5.2). */
export interface FrameToEncode {
  fin: boolean;
  /** RSV1: set on the first frame of a message compressed by permessage-deflate (RFC 7692 §6). */
  rsv1?: boolean;
  /** 0 continuation, 1 text, 2 binary, 8 close, 9 ping, 10 pong; 0..15. */
  opcode: number;
  payload: Uint8Array;
  /** The 4-byte masking key (every client frame has one, RFC 6455 §5.3), or null for an unmasked frame. */
  maskKey: Uint8Array | null;
}

/**
 * A frame's bytes as they go on the wire: the payload length in its minimal form (7 bits up to
 * 125, 16 bits up to 65535, 64 bits above), MASK set and the payload XORed with `maskKey` when
 * there is one, RSV2 and RSV3 clear. Which frames may be sent (control frames unfragmented and at
 * most 125 bytes, §5.5) is the caller's to decide. An opcode outside 0..15 or a key that is not
 * 4 bytes is a bug of the caller: a RangeError.
 */
export function encodeFrame(frame: FrameToEncode): Buffer {
  const { opcode, payload, maskKey } = frame;
  if (!Number.isInteger(opcode) || opcode < 0 || opcode > 15) throw new RangeError(`opcode ${opcode} is not 0..15`);
  if (maskKey && maskKey.length !== 4) throw new RangeError(`a masking key has 4 bytes, not ${maskKey.length}`);
  const n = payload.length;
  const lengthBytes = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const keyAt = 2 + lengthBytes;
  const payloadAt = keyAt + (maskKey ? 4 : 0);
  const out = Buffer.allocUnsafe(payloadAt + n);
  out[0] = (frame.fin ? 0x80 : 0) | (frame.rsv1 ? 0x40 : 0) | opcode;
  const maskBit = maskKey ? 0x80 : 0;
  if (lengthBytes === 0) {
    out[1] = maskBit | n;
  } else if (lengthBytes === 2) {
    out[1] = maskBit | 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = maskBit | 127;
    out.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
    out.writeUInt32BE(n >>> 0, 6);
  }
  if (maskKey) {
    out.set(maskKey, keyAt);
    // XOR is its own inverse: unmasking code masks.
    unmaskInto(payload, 0, n, maskKey, 0, out, payloadAt);
  } else {
    out.set(payload, payloadAt);
  }
  return out;
}

/** RFC 6455 §5.5: a control payload is at most 125 bytes, and the close code takes 2 of them. */
export const MAX_CLOSE_REASON_BYTES = 123;

/** Why `closePayload` made no payload. */
export interface ClosePayloadError {
  error: string;
}

/**
 * A close frame's payload (RFC 6455 §5.5.1): the status code in 2 bytes, big-endian, then the
 * reason in UTF-8. An error value (tell it apart with `Buffer.isBuffer`) when the code does not
 * fit in 2 bytes, or the reason is over 123 bytes in UTF-8 or has a lone surrogate (which UTF-8
 * cannot carry). Whether a code may be sent (§7.4) is the caller's choice: `isSendableCloseCode`.
 */
export function closePayload(code: number, reason: string): Buffer | ClosePayloadError {
  if (!Number.isInteger(code) || code < 0 || code > 0xffff) return { error: `close code ${code} does not fit in 2 bytes` };
  const text = Buffer.from(reason, 'utf8');
  if (text.length > MAX_CLOSE_REASON_BYTES) {
    return { error: `the close reason is ${text.length} bytes in UTF-8; a close frame has room for ${MAX_CLOSE_REASON_BYTES}` };
  }
  if (text.toString('utf8') !== reason) return { error: 'the close reason has a lone surrogate, which UTF-8 cannot carry' };
  const payload = Buffer.allocUnsafe(2 + text.length);
  payload.writeUInt16BE(code, 0);
  text.copy(payload, 2);
  return payload;
}
