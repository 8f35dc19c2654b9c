import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import { parsePassPattern, PassHosts } from '../core/capture/pass-hosts.js';
import { startProxy } from '../proxy/proxy-server.js';
import { CertificateAuthority } from '../proxy/tls/certificate-authority.js';
import { isType, Records } from './support/proxy-records.js';
import { closedPort, connectTunnel, HOST } from './support/raw-peers.js';
import { testCa } from './support/test-ca.js';
import { waitUntil, within } from './support/wait.js';

/** A duplex over `raw` that keeps every byte written and read: TLS run over it shows its bytes on the wire. */
function tapped(raw: net.Socket): { stream: Duplex; sent: Buffer[]; got: Buffer[] } {
  const sent: Buffer[] = [];
  const got: Buffer[] = [];
  const stream = new Duplex({
    write(chunk: Buffer, _encoding, cb) {
      sent.push(chunk);
      raw.write(chunk, cb);
    },
    final(cb) {
      raw.end();
      cb();
    },
    read() {},
    destroy(err, cb) {
      raw.destroy();
      cb(err);
    },
  });
  raw.on('data', (b: Buffer) => {
    got.push(b);
    stream.push(b);
  });
  raw.on('end', () => stream.push(null));
  raw.on('error', () => stream.destroy());
  return { stream, sent, got };
}

test('a host --pass names is relayed byte for byte: the client sees the upstream\'s own certificate', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wspeek-upstream-ca-'));
  const leaf = CertificateAuthority.loadOrCreate(dir).leafFor('api.pass.test');
  const upstreamFingerprint = new crypto.X509Certificate(leaf.cert).fingerprint256;
  const wires: Array<ReturnType<typeof tapped>> = [];
  // The upstream echoes what its TLS client sends, and keeps the bytes it got on the wire.
  const upstream = net.createServer((raw) => {
    const wire = tapped(raw);
    wires.push(wire);
    const secure = new tls.TLSSocket(wire.stream, { isServer: true, key: leaf.key, cert: leaf.cert });
    secure.on('data', (d) => secure.write(d));
    secure.on('end', () => secure.end());
    secure.on('error', () => {});
  });
  await new Promise<void>((r) => upstream.listen(0, HOST, r));
  const upstreamPort = (upstream.address() as net.AddressInfo).port;
  const records = new Records();
  const pattern = parsePassPattern('*.PASS.test') as RegExp;
  const proxy = await startProxy({
    host: HOST, port: 0, target: null, maxPayload: 1 << 20, ca: testCa(), insecure: false, emit: records.emit, pass: new PassHosts([pattern], false),
  });
  try {
    const client = tapped(await connectTunnel(proxy.port, `${HOST}:${upstreamPort}`));
    const secure = tls.connect({ socket: client.stream, servername: 'api.pass.test', ca: CertificateAuthority.loadOrCreate(dir).certPem });
    await within(new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    }), 'TLS with the upstream through the tunnel');
    assert.equal(secure.authorized, true, 'trusting only the upstream\'s CA, the client accepts the certificate it sees');
    assert.equal(secure.getPeerCertificate().fingerprint256, upstreamFingerprint, 'the upstream\'s own leaf, not one from wspeek\'s CA');
    const payload = crypto.randomBytes(50_000);
    const echoed: Buffer[] = [];
    secure.on('data', (d: Buffer) => echoed.push(d));
    secure.write(payload);
    await waitUntil('the echo', () => Buffer.concat(echoed).length >= payload.length);
    assert.deepEqual(Buffer.concat(echoed), payload);
    secure.end();
    await within(new Promise((r) => secure.once('close', r)), 'the tunnel closes');

    const tunnel = await records.waitFor('tunnel record', isType('tunnel'));
    const conn = tunnel.conn;
    assert.deepEqual({ ...tunnel, ts: 0 }, {
      type: 'tunnel', conn, ts: 0, via: 'connect', host: HOST, port: upstreamPort, tls: 'passthrough', sni: 'api.pass.test', alpn: null, version: null, alert: null,
    });
    const end = await records.waitFor('end record', isType('end', conn));
    // Both ways, every byte on the client's wire is the byte on the upstream's wire.
    const [server] = wires;
    assert.ok(server);
    await waitUntil('the upstream got all the client sent', () => Buffer.concat(server.got).length === Buffer.concat(client.sent).length);
    assert.ok(Buffer.concat(client.sent).equals(Buffer.concat(server.got)), 'client → upstream unchanged');
    assert.ok(Buffer.concat(server.sent).equals(Buffer.concat(client.got)), 'upstream → client unchanged');
    // The end record counts the connection's bytes: the CONNECT exchange, then the tunnel's.
    assert.ok(end.bytes.client > Buffer.concat(client.sent).length);
    assert.equal(end.bytes.server, 'HTTP/1.1 200 Connection Established\r\n\r\n'.length + Buffer.concat(server.sent).length);
    assert.equal(records.all.filter(isType('handshake')).length, 0, 'nothing inside was decoded');
  } finally {
    await proxy.close();
    await new Promise((r) => upstream.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** A real ClientHello for `servername`, as Node's TLS client writes it first. */
async function clientHello(servername: string): Promise<Buffer> {
  let first: Buffer | null = null;
  const wire = new Duplex({
    write(chunk: Buffer, _encoding, cb) {
      first ??= chunk;
      cb();
    },
    read() {},
  });
  const t = tls.connect({ socket: wire, servername });
  t.on('error', () => {});
  await waitUntil('the ClientHello', () => first !== null);
  t.destroy();
  return first!;
}

test('an SNI that arrives split over several reads is still matched; an unreachable passed-through upstream ends the tunnel with why', async () => {
  const records = new Records();
  const proxy = await startProxy({
    host: HOST, port: 0, target: null, maxPayload: 1 << 20, ca: testCa(), insecure: false, emit: records.emit,
    pass: new PassHosts([parsePassPattern('split.test') as RegExp], false),
  });
  const got: Buffer[] = [];
  const upstream = net.createServer((s) => s.on('data', (d: Buffer) => got.push(d)));
  await new Promise<void>((r) => upstream.listen(0, HOST, r));
  const upstreamPort = (upstream.address() as net.AddressInfo).port;
  try {
    const hello = await clientHello('split.test');
    const raw = await connectTunnel(proxy.port, `${HOST}:${upstreamPort}`);
    // The record header and a few bytes, then the rest: the pause makes two reads likely (one read passes too).
    raw.write(hello.subarray(0, 20));
    await new Promise((r) => setTimeout(r, 50));
    raw.write(hello.subarray(20));
    await waitUntil('the ClientHello at the upstream', () => Buffer.concat(got).length === hello.length);
    assert.ok(Buffer.concat(got).equals(hello), 'relayed as sent');
    const tunnel = await records.waitFor('tunnel record', isType('tunnel'));
    assert.equal(tunnel.tls, 'passthrough');
    assert.equal(tunnel.sni, 'split.test');
    raw.destroy();

    const dead = await closedPort();
    const raw2 = await connectTunnel(proxy.port, `${HOST}:${dead}`);
    raw2.write(hello);
    await within(new Promise((r) => raw2.once('close', r)), 'the tunnel ends');
    const connect = records.all.filter(isType('connect')).at(-1)!;
    const end = await records.waitFor('end of the failed tunnel', isType('end', connect.conn));
    assert.match(end.reason ?? '', new RegExp(`passing the tunnel through to ${HOST}:${dead} failed: connect ECONNREFUSED`));
    assert.equal(records.of(connect.conn).filter(isType('tunnel')).length, 0, 'no tunnel was made');
  } finally {
    await proxy.close();
    await new Promise((r) => upstream.close(r));
  }
});
