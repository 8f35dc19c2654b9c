import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import tls from 'node:tls';
import { startsWithTlsHandshake, tlsServerName } from '../core/capture/tls-server-name.js';
import { within } from './support/wait.js';

/** The first bytes a real Node TLS client sends, asking for `servername` (or none). */
async function clientHello(servername?: string): Promise<Buffer> {
  let resolve!: (b: Buffer) => void;
  const got = new Promise<Buffer>((r) => (resolve = r));
  const server = net.createServer((s) => s.once('data', (d) => {
    resolve(d);
    s.destroy();
  }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...(servername ? { servername } : {}) });
  socket.on('error', () => {});
  try {
    return await within(got, 'ClientHello');
  } finally {
    socket.destroy();
    server.close();
  }
}

test('reads the SNI of a real Node ClientHello', async () => {
  const hello = await clientHello('chat.example.test');
  assert.ok(startsWithTlsHandshake(hello));
  assert.equal(tlsServerName(hello), 'chat.example.test');
});

test('a ClientHello without SNI (an IP address as host) gives null', async () => {
  assert.equal(tlsServerName(await clientHello()), null);
});

test('while the first record is incomplete the answer is undefined', async () => {
  const hello = await clientHello('chat.example.test');
  assert.equal(tlsServerName(hello.subarray(0, 3)), undefined);
  assert.equal(tlsServerName(hello.subarray(0, hello.length - 1)), undefined);
});

test('HTTP is not TLS', () => {
  const get = Buffer.from('GET / HTTP/1.1\r\n\r\n');
  assert.equal(startsWithTlsHandshake(get), false);
  assert.equal(tlsServerName(get), null);
});

test('a handshake record that is not a ClientHello, or a truncated one, gives null', () => {
  assert.equal(tlsServerName(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x04, 0x02, 0, 0, 0])), null);
  assert.equal(tlsServerName(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x06, 0x01, 0, 0, 2, 3, 3])), null);
});
