import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getCipherInfo, getHashes } from 'node:crypto';
import { CIPHER_SUITES } from '../core/capture/tls-cipher-suites.js';

test('every suite names an AEAD and a hash Node has, with the AEAD\'s key length', () => {
  for (const [id, s] of CIPHER_SUITES) {
    const info = getCipherInfo(s.aead);
    assert.ok(info, `${s.name}: ${s.aead}`);
    assert.equal(info.keyLength, s.keyLength, s.name);
    assert.ok(getHashes().includes(s.hash), s.name);
    assert.equal(s.tls13, id >> 8 === 0x13, s.name);
    assert.equal(s.hash === 'sha384', s.name.endsWith('SHA384'), s.name);
    assert.ok(s.name.includes(s.aead === 'chacha20-poly1305' ? 'CHACHA20_POLY1305' : `AES_${s.keyLength * 8}_GCM`), s.name);
  }
});

test('TLS 1.2 suites take a 4-byte salt for AES-GCM (RFC 5288) and a 12-byte IV for ChaCha20-Poly1305 (RFC 7905)', () => {
  assert.equal(CIPHER_SUITES.get(0xc02f)!.fixedIvLength, 4);
  assert.equal(CIPHER_SUITES.get(0xcca8)!.fixedIvLength, 12);
});
