import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prf, tls12Keys } from '../core/capture/tls12-prf.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// The P_SHA256 test vector published on the IETF TLS list (www.ietf.org/mail-archive/web/tls/current/msg03416.html).
test('prf with SHA-256 gives the published 100-byte test vector', () => {
  const out = prf('sha256', hex('9bbe436ba940f017b17652849a71db35'), 'test label', hex('a0ba9f936cda311827a6f796ffd5198c'), 100);
  assert.equal(out.toString('hex'),
    'e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66');
});

test('tls12Keys cuts the key block into client key, server key, client IV, server IV', () => {
  const master = Buffer.alloc(48, 7);
  const cr = Buffer.alloc(32, 1);
  const sr = Buffer.alloc(32, 2);
  const block = prf('sha256', master, 'key expansion', Buffer.concat([sr, cr]), 2 * (16 + 4));
  const keys = tls12Keys('sha256', master, cr, sr, 16, 4);
  assert.deepEqual(keys.client.key, block.subarray(0, 16));
  assert.deepEqual(keys.server.key, block.subarray(16, 32));
  assert.deepEqual(keys.client.iv, block.subarray(32, 36));
  assert.deepEqual(keys.server.iv, block.subarray(36, 40));
});
