import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, type CipherGCMTypes } from 'node:crypto';
import { openTls12, openTls13, type TrafficKeys } from '../core/capture/record-protection.js';
import { CIPHER_SUITES } from '../core/capture/tls-cipher-suites.js';
import type { TlsRecord } from '../core/capture/tls-record-reader.js';

const AES128_13 = CIPHER_SUITES.get(0x1301)!;
const CHACHA_13 = CIPHER_SUITES.get(0x1303)!;
const AES256_12 = CIPHER_SUITES.get(0xc030)!;
const CHACHA_12 = CIPHER_SUITES.get(0xcca8)!;

function seal(aead: string, key: Buffer, nonce: Buffer, aad: Buffer, plaintext: Buffer): Buffer {
  const c = aead === 'chacha20-poly1305'
    ? createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 })
    : createCipheriv(aead as CipherGCMTypes, key, nonce, { authTagLength: 16 });
  c.setAAD(aad, { plaintextLength: plaintext.length });
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
}

/** The nonce RFC 8446 §5.3 and RFC 7905 §2 describe: the IV with the 64-bit sequence number XORed into its last 8 bytes. */
function xored(iv: Buffer, seq: number): Buffer {
  const n = Buffer.from(iv);
  n.writeUInt32BE((n.readUInt32BE(8) ^ seq) >>> 0, 8);
  return n;
}

function tls13Record(keys: TrafficKeys, seq: number, inner: Buffer): TlsRecord {
  const length = inner.length + 16;
  const header = Buffer.from([23, 3, 3, length >> 8, length & 0xff]);
  return { type: 23, version: 0x0303, header, fragment: seal(keys.suite.aead, keys.key, xored(keys.iv, seq), header, inner) };
}

const keys13 = (suite = AES128_13, seq = 0n): TrafficKeys => ({ suite, key: Buffer.alloc(suite.keyLength, 5), iv: Buffer.alloc(12, 6), seq });

for (const suite of [AES128_13, CHACHA_13]) {
  test(`TLS 1.3 ${suite.name}: a record opens to its content and real content type, the zero padding dropped`, () => {
    const inner = Buffer.concat([Buffer.from('GET / HTTP/1.1\r\n'), Buffer.from([23, 0, 0, 0])]);
    assert.deepEqual(openTls13(keys13(suite, 7n), tls13Record(keys13(suite), 7, inner)), { type: 23, content: Buffer.from('GET / HTTP/1.1\r\n') });
  });
}

test('TLS 1.3: the wrong sequence number, a flipped bit or an all-zero inner plaintext give null', () => {
  const record = tls13Record(keys13(), 3, Buffer.from([1, 2, 3, 23]));
  assert.notEqual(openTls13(keys13(AES128_13, 3n), record), null);
  assert.equal(openTls13(keys13(AES128_13, 4n), record), null);
  const flipped = Buffer.from(record.fragment);
  flipped[0]! ^= 1;
  assert.equal(openTls13(keys13(AES128_13, 3n), { ...record, fragment: flipped }), null);
  assert.equal(openTls13(keys13(AES128_13, 0n), tls13Record(keys13(), 0, Buffer.alloc(5))), null);
  assert.equal(openTls13(keys13(), { ...record, fragment: Buffer.alloc(10) }), null);
});

test('TLS 1.2 AES-GCM: the nonce is the 4-byte salt and the record\'s explicit 8 bytes, the AAD seq + type + version + plaintext length', () => {
  const keys: TrafficKeys = { suite: AES256_12, key: Buffer.alloc(32, 1), iv: Buffer.alloc(4, 2), seq: 9n };
  const explicit = Buffer.from('0102030405060708', 'hex');
  const plaintext = Buffer.from('\x81\x05hello', 'latin1');
  const aad = Buffer.concat([Buffer.from('0000000000000009', 'hex'), Buffer.from([23, 3, 3, 0, plaintext.length])]);
  const fragment = Buffer.concat([explicit, seal('aes-256-gcm', keys.key, Buffer.concat([keys.iv, explicit]), aad, plaintext)]);
  const record: TlsRecord = { type: 23, version: 0x0303, header: Buffer.alloc(5), fragment };
  assert.deepEqual(openTls12(keys, record), plaintext);
  assert.equal(openTls12({ ...keys, seq: 8n }, record), null);
  assert.equal(openTls12(keys, { ...record, type: 22 }), null);
});

test('TLS 1.2 ChaCha20-Poly1305: no explicit nonce, the IV XOR the sequence number', () => {
  const keys: TrafficKeys = { suite: CHACHA_12, key: Buffer.alloc(32, 3), iv: Buffer.alloc(12, 4), seq: 2n };
  const plaintext = Buffer.from('HTTP/1.1 101 Switching Protocols\r\n');
  const aad = Buffer.concat([Buffer.from('0000000000000002', 'hex'), Buffer.from([23, 3, 3, 0, plaintext.length])]);
  const record: TlsRecord = { type: 23, version: 0x0303, header: Buffer.alloc(5), fragment: seal('chacha20-poly1305', keys.key, xored(keys.iv, 2), aad, plaintext) };
  assert.deepEqual(openTls12(keys, record), plaintext);
  assert.equal(openTls12({ ...keys, seq: 3n }, record), null);
  assert.equal(openTls12(keys, { ...record, fragment: Buffer.alloc(15) }), null);
});
