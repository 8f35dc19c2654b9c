import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hkdfExpandLabel, nextTrafficSecret, trafficKeys } from '../core/capture/tls13-key-schedule.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// RFC 8448 §3 (Simple 1-RTT Handshake): the server's handshake traffic secret and its write key and IV.
const SERVER_HS_SECRET = hex('b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38');

test('trafficKeys gives RFC 8448\'s server handshake write key and IV', () => {
  const { key, iv } = trafficKeys('sha256', SERVER_HS_SECRET, 16);
  assert.equal(key.toString('hex'), '3fce516009c21727d0f2e4e86ee403bc');
  assert.equal(iv.toString('hex'), '5d313eb2671276ee13000b30');
});

test('hkdfExpandLabel with an empty context equals the key derivation, and the length it is asked for', () => {
  assert.equal(hkdfExpandLabel('sha256', SERVER_HS_SECRET, 'key', Buffer.alloc(0), 16).toString('hex'), '3fce516009c21727d0f2e4e86ee403bc');
  assert.equal(hkdfExpandLabel('sha384', SERVER_HS_SECRET, 'key', Buffer.alloc(0), 80).length, 80);
});

test('nextTrafficSecret keeps the secret\'s length and differs from it and from its own successor', () => {
  const next = nextTrafficSecret('sha256', SERVER_HS_SECRET);
  assert.equal(next.length, 32);
  assert.notDeepEqual(next, SERVER_HS_SECRET);
  assert.notDeepEqual(nextTrafficSecret('sha256', next), next);
  assert.deepEqual(next, hkdfExpandLabel('sha256', SERVER_HS_SECRET, 'traffic upd', Buffer.alloc(0), 32));
});
