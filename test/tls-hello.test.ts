import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseClientHello, parseServerHello } from '../core/capture/tls-hello.js';

const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const vec16 = (b: Buffer) => Buffer.concat([u16(b.length), b]);
const ext = (type: number, data: Buffer) => Buffer.concat([u16(type), vec16(data)]);

function clientHello(random: Buffer, extensions: Buffer[]): Buffer {
  return Buffer.concat([u16(0x0303), random, Buffer.from([32]), Buffer.alloc(32, 9), vec16(Buffer.from([0x13, 0x01, 0xc0, 0x2f])), Buffer.from([1, 0]), vec16(Buffer.concat(extensions))]);
}

function serverHello(random: Buffer, suite: number, extensions: Buffer[] | null): Buffer {
  return Buffer.concat([u16(0x0303), random, Buffer.from([0]), u16(suite), Buffer.from([0]), ...(extensions ? [vec16(Buffer.concat(extensions))] : [])]);
}

const sni = (name: string) => ext(0, vec16(Buffer.concat([Buffer.from([0]), vec16(Buffer.from(name))])));

test('a ClientHello gives its random and the server_name extension\'s host name', () => {
  const random = Buffer.alloc(32, 0xab);
  assert.deepEqual(parseClientHello(clientHello(random, [ext(10, Buffer.from([0, 2, 0, 29])), sni('example.com')])), { random, sni: 'example.com' });
  assert.deepEqual(parseClientHello(clientHello(random, [])), { random, sni: null });
});

test('a ServerHello\'s version is supported_versions\' when present (TLS 1.3), else legacy_version', () => {
  const random = Buffer.alloc(32, 1);
  assert.deepEqual(parseServerHello(serverHello(random, 0x1302, [ext(43, u16(0x0304))])), { random, version: 0x0304, cipherSuite: 0x1302, retry: false });
  assert.deepEqual(parseServerHello(serverHello(random, 0xc02f, null)), { random, version: 0x0303, cipherSuite: 0xc02f, retry: false });
});

test('a ServerHello with the special random of RFC 8446 §4.1.3 is a HelloRetryRequest', () => {
  const random = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');
  assert.equal(parseServerHello(serverHello(random, 0x1301, [ext(43, u16(0x0304))]))!.retry, true);
});

test('truncated hellos and extension blocks that overrun are null, never a throw', () => {
  const ch = clientHello(Buffer.alloc(32), [sni('a.example')]);
  const sh = serverHello(Buffer.alloc(32), 0x1301, [ext(43, u16(0x0304))]);
  for (let n = 0; n < ch.length; n++) if (n !== 2 + 32 + 33 + 6 + 2) assert.equal(parseClientHello(ch.subarray(0, n)), null, `ClientHello cut at ${n}`);
  for (let n = 0; n < sh.length; n++) if (n !== 2 + 32 + 1 + 2 + 1) assert.equal(parseServerHello(sh.subarray(0, n)), null, `ServerHello cut at ${n}`);
});
