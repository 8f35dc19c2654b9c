/** Opens AEAD-protected TLS records with Node's `crypto` (RFC 8446 §5.2–5.3, RFC 5246 §6.2.3.3, RFC 5288, RFC 7905). */
import { createDecipheriv, type CipherGCMTypes } from 'node:crypto';
import type { CipherSuite } from './tls-cipher-suites.js';
import type { TlsRecord } from './tls-record-reader.js';

const TAG_LENGTH = 16;

/** One direction's record protection: a suite, its write key and IV, and the next sequence number. */
export interface TrafficKeys {
  suite: CipherSuite;
  key: Buffer;
  iv: Buffer;
  /** The record sequence number (RFC 8446 §5.3), counted by the caller from 0 per key. */
  seq: bigint;
}

/** The 12-byte per-record nonce: the IV XOR the sequence number, left-padded (RFC 8446 §5.3, RFC 7905 §2). */
function xorNonce(iv: Buffer, seq: bigint): Buffer {
  const nonce = Buffer.from(iv);
  const s = Buffer.alloc(8);
  s.writeBigUInt64BE(seq);
  for (let i = 0; i < 8; i++) nonce[4 + i]! ^= s[i]!;
  return nonce;
}

function open(aead: CipherSuite['aead'], key: Buffer, nonce: Buffer, aad: Buffer, sealed: Buffer): Buffer | null {
  if (sealed.length < TAG_LENGTH) return null;
  const ciphertext = sealed.subarray(0, sealed.length - TAG_LENGTH);
  try {
    const decipher = aead === 'chacha20-poly1305'
      ? createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_LENGTH })
      : createDecipheriv(aead as CipherGCMTypes, key, nonce, { authTagLength: TAG_LENGTH });
    decipher.setAAD(aad, { plaintextLength: ciphertext.length });
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_LENGTH));
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    return null;
  }
}

/**
 * Opens a TLS 1.3 record: the additional data is the record header, and the plaintext is
 * TLSInnerPlaintext — content, then its real content type, then zero padding (RFC 8446 §5.2).
 * Null when the record does not authenticate or carries no content type.
 */
export function openTls13(keys: TrafficKeys, record: TlsRecord): { type: number; content: Buffer } | null {
  const inner = open(keys.suite.aead, keys.key, xorNonce(keys.iv, keys.seq), record.header, record.fragment);
  if (inner === null) return null;
  let end = inner.length - 1;
  while (end >= 0 && inner[end] === 0) end--;
  if (end < 0) return null;
  return { type: inner[end]!, content: inner.subarray(0, end) };
}

/**
 * Opens a TLS 1.2 AEAD record. The additional data is seq_num + type + version + the plaintext's
 * length (RFC 5246 §6.2.3.3); AES-GCM's nonce is the 4-byte salt and the record's 8-byte explicit
 * nonce (RFC 5288 §3), ChaCha20-Poly1305's the IV XOR the sequence number (RFC 7905 §2).
 * Null when the record does not authenticate.
 */
export function openTls12(keys: TrafficKeys, record: TlsRecord): Buffer | null {
  const explicit = keys.suite.aead === 'chacha20-poly1305' ? 0 : 8;
  if (record.fragment.length < explicit + TAG_LENGTH) return null;
  const nonce = explicit === 0 ? xorNonce(keys.iv, keys.seq) : Buffer.concat([keys.iv, record.fragment.subarray(0, 8)]);
  const aad = Buffer.alloc(13);
  aad.writeBigUInt64BE(keys.seq, 0);
  aad[8] = record.type;
  aad.writeUInt16BE(record.version, 9);
  aad.writeUInt16BE(record.fragment.length - explicit - TAG_LENGTH, 11);
  return open(keys.suite.aead, keys.key, nonce, aad, record.fragment.subarray(explicit));
}
