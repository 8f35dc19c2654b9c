/** The AEAD cipher suites the capture decryptor supports, by their IANA number. */

/** A supported suite: its AEAD in Node's `crypto` names, key length and PRF/HKDF hash. */
export interface CipherSuite {
  name: string;
  aead: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';
  keyLength: number;
  hash: 'sha256' | 'sha384';
  /**
   * TLS 1.2 only: bytes of the write IV taken from the key block — 4 for AES-GCM's salt, the
   * rest of the nonce being explicit in each record (RFC 5288 §3); 12 for ChaCha20-Poly1305,
   * whose nonce is the IV XOR the sequence number (RFC 7905 §2).
   */
  fixedIvLength: number;
  /** True for the TLS 1.3 suites (RFC 8446 §B.4), false for TLS 1.2's ECDHE/DHE suites. */
  tls13: boolean;
}

const suite = (name: string, aead: CipherSuite['aead'], hash: CipherSuite['hash'], tls13: boolean): CipherSuite => ({
  name,
  aead,
  keyLength: aead === 'aes-128-gcm' ? 16 : 32,
  hash,
  fixedIvLength: aead === 'chacha20-poly1305' ? 12 : 4,
  tls13,
});

/** Supported suites by number. */
export const CIPHER_SUITES: ReadonlyMap<number, CipherSuite> = new Map([
  [0x1301, suite('TLS_AES_128_GCM_SHA256', 'aes-128-gcm', 'sha256', true)],
  [0x1302, suite('TLS_AES_256_GCM_SHA384', 'aes-256-gcm', 'sha384', true)],
  [0x1303, suite('TLS_CHACHA20_POLY1305_SHA256', 'chacha20-poly1305', 'sha256', true)],
  [0xc02b, suite('TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'aes-128-gcm', 'sha256', false)],
  [0xc02c, suite('TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'aes-256-gcm', 'sha384', false)],
  [0xc02f, suite('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'aes-128-gcm', 'sha256', false)],
  [0xc030, suite('TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'aes-256-gcm', 'sha384', false)],
  [0x009e, suite('TLS_DHE_RSA_WITH_AES_128_GCM_SHA256', 'aes-128-gcm', 'sha256', false)],
  [0x009f, suite('TLS_DHE_RSA_WITH_AES_256_GCM_SHA384', 'aes-256-gcm', 'sha384', false)],
  [0xcca8, suite('TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'chacha20-poly1305', 'sha256', false)],
  [0xcca9, suite('TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'chacha20-poly1305', 'sha256', false)],
  [0xccaa, suite('TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'chacha20-poly1305', 'sha256', false)],
]);
