// Hand-built WebSocket frames (RFC 6455 §5.2), well-formed or not.

import crypto from 'node:crypto';

/** What `frame` builds: defaults are FIN set, no RSV bits, unmasked, the minimal length form. */
export interface FrameSpec {
  fin?: boolean;
  /** RSV bits as in the first byte: 0x40 RSV1, 0x20 RSV2, 0x10 RSV3. */
  rsv?: number;
  opcode: number;
  payload: Buffer | string;
  mask?: boolean;
  /** Force a length form (7-bit, 16-bit, 64-bit); default the minimal one. */
  lengthForm?: 7 | 16 | 64;
  /** The masking key; default a random one. */
  maskKey?: Buffer;
  /** The payload length the header declares, when it should differ from the payload's. */
  declaredLength?: number;
}

/** One frame's bytes as `spec` describes it. */
export function frame(spec: FrameSpec): Buffer {
  const payload = typeof spec.payload === 'string' ? Buffer.from(spec.payload) : spec.payload;
  const n = spec.declaredLength ?? payload.length;
  const form = spec.lengthForm ?? (n < 126 ? 7 : n < 65536 ? 16 : 64);
  const b0 = ((spec.fin ?? true) ? 0x80 : 0) | (spec.rsv ?? 0) | spec.opcode;
  let header: Buffer;
  if (form === 7) header = Buffer.from([b0, n]);
  else if (form === 16) {
    header = Buffer.alloc(4);
    header[0] = b0;
    header[1] = 126;
    header.writeUInt16BE(n, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = b0;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(n), 2);
  }
  if (!spec.mask) return Buffer.concat([header, payload]);
  header[1]! |= 0x80;
  const key = spec.maskKey ?? crypto.randomBytes(4);
  const masked = Buffer.from(payload);
  for (let i = 0; i < masked.length; i++) masked[i]! ^= key[i % 4]!;
  return Buffer.concat([header, key, masked]);
}

/** A close frame's payload: the status code, then the UTF-8 reason. */
export function closePayload(code: number, reason = ''): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code);
  return Buffer.concat([b, Buffer.from(reason, 'utf8')]);
}
