import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { PassHosts } from '../core/capture/pass-hosts.js';
import { RejectionHints } from '../core/capture/rejection-hint.js';
import type { TunnelRecord } from '../core/log/records.js';
import { startsLikeHttp } from '../proxy/connect-tunnel.js';
import { startProxy, type RunningProxy } from '../proxy/proxy-server.js';
import { CertificateAuthority } from '../proxy/tls/certificate-authority.js';
import { isType, Records } from './support/proxy-records.js';
import { connectTunnel, HOST } from './support/raw-peers.js';
import { testCa } from './support/test-ca.js';
import { within } from './support/wait.js';

function forwardProxy(records: Records, pass: PassHosts | null = null): Promise<RunningProxy> {
  return startProxy({ host: HOST, port: 0, target: null, maxPayload: 1 << 20, ca: testCa(), insecure: false, emit: records.emit, pass });
}

/** A TLS client through a CONNECT tunnel: how its handshake ended (`secure`, or its error) and the certificate it saw. */
async function tlsThrough(proxyPort: number, upstreamPort: number, options: tls.ConnectionOptions): Promise<{ outcome: string; fingerprint: string | null; socket: tls.TLSSocket }> {
  const raw = await connectTunnel(proxyPort, `${HOST}:${upstreamPort}`);
  const socket = tls.connect({ socket: raw, ...options });
  return within(new Promise((resolve) => {
    socket.once('secureConnect', () => resolve({ outcome: 'secure', fingerprint: socket.getPeerCertificate().fingerprint256 ?? null, socket }));
    socket.once('error', (err) => resolve({ outcome: err.message, fingerprint: null, socket }));
  }), 'the TLS client through the tunnel');
}

/** The tunnel records of the first connection with a `rejected` one, once it is written. */
async function untilRejected(records: Records, what: string): Promise<TunnelRecord[]> {
  const rejected = await records.waitFor(what, (r): r is TunnelRecord => r.type === 'tunnel' && r.tls === 'rejected');
  return records.all.filter(isType('tunnel', rejected.conn));
}

test('a Node client trusting only the system CAs rejects wspeek\'s certificate: the tunnel is rejected, with why, and hinted once per host', async () => {
  const records = new Records();
  const proxy = await forwardProxy(records);
  try {
    const first = await tlsThrough(proxy.port, 443, { servername: 'distrust.test' });
    assert.match(first.outcome, /certificate/, 'the client refused the chain');
    first.socket.destroy();
    const [tunnel] = await untilRejected(records, 'the first rejection');
    assert.equal(tunnel!.sni, 'distrust.test');
    assert.notEqual(tunnel!.alert, null, 'says why');
    const second = await tlsThrough(proxy.port, 443, { servername: 'distrust.test' });
    second.socket.destroy();
    await records.waitFor('the second rejection', (r): r is TunnelRecord => r.type === 'tunnel' && r.tls === 'rejected' && r.conn !== tunnel!.conn);
    const hints = new RejectionHints();
    const told = records.all.filter(isType('tunnel')).map((r) => hints.hintFor(r)).filter((h) => h !== null);
    assert.equal(told.length, 1, 'one hint for the host');
    assert.match(told[0]!, /^distrust\.test rejected wspeek's certificate/);
  } finally {
    await proxy.close();
  }
});

test('a client that pins another certificate closes after verifying wspeek\'s: the tunnel is rejected', async () => {
  const records = new Records();
  const proxy = await forwardProxy(records);
  try {
    const pinned = 'AA:'.repeat(31) + 'AA';
    const client = await tlsThrough(proxy.port, 443, {
      servername: 'pinned.test', ca: testCa().certPem,
      checkServerIdentity: (_host, cert) => (cert.fingerprint256 === pinned ? undefined : new Error('certificate pin mismatch')),
    });
    assert.equal(client.outcome, 'certificate pin mismatch');
    client.socket.destroy();
    const tunnels = await untilRejected(records, 'the rejection');
    assert.equal(tunnels.at(-1)!.sni, 'pinned.test');
    assert.equal(records.all.filter(isType('handshake')).length + records.all.filter((r) => r.type === 'http' && r.method !== 'CONNECT').length, 0);
  } finally {
    await proxy.close();
  }
});

test('a TLS 1.2 client that finishes the handshake and closes without sending anything is rejected; one that sends a request is not', async () => {
  const records = new Records();
  const proxy = await forwardProxy(records);
  try {
    const silent = await tlsThrough(proxy.port, 443, { servername: 'silent.test', ca: testCa().certPem, maxVersion: 'TLSv1.2' });
    assert.equal(silent.outcome, 'secure', 'the client trusted the certificate');
    silent.socket.end();
    const tunnels = await untilRejected(records, 'the rejection after the handshake');
    assert.deepEqual(tunnels.map((t) => [t.tls, t.version, t.alert]), [
      ['intercepted', 'TLSv1.2', null],
      ['rejected', 'TLSv1.2', 'the client closed the connection after the handshake without sending anything'],
    ]);

    const talking = await tlsThrough(proxy.port, 443, { servername: 'wspeek.ca', ca: testCa().certPem, maxVersion: 'TLSv1.2' });
    assert.equal(talking.outcome, 'secure');
    talking.socket.write('GET / HTTP/1.1\r\nHost: wspeek.ca\r\nConnection: close\r\n\r\n');
    await within(new Promise((r) => talking.socket.once('data', r)), 'the CA page answers');
    talking.socket.end();
    const conn = records.all.filter(isType('tunnel')).at(-1)!.conn;
    await records.waitFor('end of the talking tunnel', isType('end', conn));
    assert.deepEqual(records.all.filter(isType('tunnel', conn)).map((t) => t.tls), ['intercepted']);
  } finally {
    await proxy.close();
  }
});

test('--pass-rejected: after a host rejects wspeek\'s certificate, its next tunnel passes through to the real server', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wspeek-upstream-ca-'));
  const upstreamCa = CertificateAuthority.loadOrCreate(dir);
  const leaf = upstreamCa.leafFor('app.test');
  const upstream = tls.createServer({ key: leaf.key, cert: leaf.cert }, (s) => s.end('hello from the real server'));
  await new Promise<void>((r) => upstream.listen(0, HOST, r));
  const upstreamPort = (upstream.address() as net.AddressInfo).port;
  const records = new Records();
  const proxy = await forwardProxy(records, new PassHosts([], true));
  try {
    // Trusting only the real server's CA, the client refuses wspeek's certificate the first time.
    const first = await tlsThrough(proxy.port, upstreamPort, { servername: 'app.test', ca: upstreamCa.certPem });
    assert.notEqual(first.outcome, 'secure');
    first.socket.destroy();
    await untilRejected(records, 'the first rejection');
    const second = await tlsThrough(proxy.port, upstreamPort, { servername: 'app.test', ca: upstreamCa.certPem });
    assert.equal(second.outcome, 'secure');
    assert.equal(second.fingerprint, new crypto.X509Certificate(leaf.cert).fingerprint256, 'the real server\'s certificate');
    const said = await within(new Promise<string>((r) => second.socket.once('data', (d: Buffer) => r(d.toString()))), 'the real server speaks');
    assert.equal(said, 'hello from the real server');
    second.socket.destroy();
    const passed = await records.waitFor('the passthrough record', (r): r is TunnelRecord => r.type === 'tunnel' && r.tls === 'passthrough');
    assert.equal(passed.sni, 'app.test');
  } finally {
    await proxy.close();
    await new Promise((r) => upstream.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a tunnel whose bytes are neither TLS nor HTTP is relayed byte for byte, and recorded as passed through', async () => {
  const echo = net.createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, HOST, r));
  const records = new Records();
  const proxy = await forwardProxy(records);
  try {
    const raw = await connectTunnel(proxy.port, `${HOST}:${(echo.address() as net.AddressInfo).port}`);
    // An MQTT CONNECT's first bytes: binary, no request line.
    const bytes = Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x00]);
    raw.write(bytes);
    const back = await within(new Promise<Buffer>((resolve) => {
      let got = Buffer.alloc(0);
      raw.on('data', (d: Buffer) => {
        got = Buffer.concat([got, d]);
        if (got.length >= bytes.length) resolve(got);
      });
    }), 'the bytes echoed through the tunnel');
    assert.deepEqual(back, bytes);
    const t = await records.waitFor('the tunnel record', isType('tunnel'));
    assert.deepEqual([t.via, t.tls, t.sni], ['connect', 'passthrough', null]);
    assert.equal(records.all.filter(isType('http')).filter((h) => h.method !== 'CONNECT').length, 0, 'nothing read as HTTP');
    raw.destroy();
  } finally {
    await proxy.close();
    echo.close();
  }
});

test('the sniff tells an HTTP request line from other bytes, waiting no longer than a method name', () => {
  for (const http of ['GET / HTTP/1.1\r\n', 'OPTIONS * HTTP/1.1', 'PRI * HTTP/2.0', 'GE', 'CONNECT']) assert.equal(startsLikeHttp(Buffer.from(http)), true, http);
  for (const other of ['\x10\x0cMQTT', 'get / HTTP/1.1', ' GET', 'SSH-2.0-OpenSSH', 'ABCDEFGHIJKL']) assert.equal(startsLikeHttp(Buffer.from(other)), false, other);
});
