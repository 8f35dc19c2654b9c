/** The TLS 1.2 PRF and the key block it yields (RFC 5246 §5, §6.3). */
import { createHmac } from 'node:crypto';

/** PRF(secret, label, seed) = P_<hash>(secret, label + seed), `length` bytes (RFC 5246 §5). */
export function prf(hash: string, secret: Buffer, label: string, seed: Buffer, length: number): Buffer {
  const labelSeed = Buffer.concat([Buffer.from(label, 'latin1'), seed]);
  const out: Buffer[] = [];
  let a = labelSeed;
  for (let total = 0; total < length; ) {
    a = createHmac(hash, secret).update(a).digest();
    const block = createHmac(hash, secret).update(a).update(labelSeed).digest();
    out.push(block);
    total += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

/** Both directions' AEAD write keys and IVs (no MAC keys: AEAD suites have none). */
export interface Tls12Keys {
  client: { key: Buffer; iv: Buffer };
  server: { key: Buffer; iv: Buffer };
}

/**
 * key_block = PRF(master_secret, "key expansion", server_random + client_random), cut into
 * client and server write keys, then client and server write IVs (RFC 5246 §6.3).
 */
export function tls12Keys(hash: string, masterSecret: Buffer, clientRandom: Buffer, serverRandom: Buffer, keyLength: number, ivLength: number): Tls12Keys {
  const block = prf(hash, masterSecret, 'key expansion', Buffer.concat([serverRandom, clientRandom]), 2 * (keyLength + ivLength));
  const k = (i: number) => block.subarray(i * keyLength, (i + 1) * keyLength);
  const v = (i: number) => block.subarray(2 * keyLength + i * ivLength, 2 * keyLength + (i + 1) * ivLength);
  return { client: { key: k(0), iv: v(0) }, server: { key: k(1), iv: v(1) } };
}
