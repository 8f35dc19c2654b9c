// The SOCKS5 listener, live on 127.0.0.1: a raw SOCKS5 client written here (RFC 1928 §3-§6,
// RFC 1929 §2), curl's own SOCKS5 client, and wss:// through it to a real TLS WebSocket server.

import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import WebSocket, { WebSocketServer } from 'ws';
import type { LogRecord, TunnelRecord } from '../core/log/records.js';
import type { Socks5Credentials } from '../core/socks/socks5-handshake.js';
import { parseAllowList, type AllowList } from '../proxy/client-allowlist.js';
import { startProxy, type RunningProxy } from '../proxy/proxy-server.js';
import { CertificateAuthority } from '../proxy/tls/certificate-authority.js';
import { isType, Records } from './support/proxy-records.js';
import { closeServer, HOST } from './support/raw-peers.js';
import { testCa } from './support/test-ca.js';
import { openWssThrough } from './support/wss-through.js';
import { waitUntil, within } from './support/wait.js';

async function socksProxy(records: Records, credentials: Socks5Credentials | null = null, allow: AllowList | null = null): Promise<RunningProxy> {
  return startProxy({
    host: HOST, port: 0, target: null, maxPayload: 1024 * 1024, ca: testCa(), insecure: true, emit: records.emit, allow,
    socks: { host: HOST, port: 0, credentials },
  });
}


/** A raw SOCKS5 client: a socket and what it has read so far. */
class RawSocks {
  readonly received: Buffer[] = [];
  closed = false;
  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => this.received.push(d));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => {});
  }

  static async connect(port: number): Promise<RawSocks> {
    const socket = net.connect(port, HOST);
    await within(once(socket, 'connect'), 'connect to the SOCKS listener');
    return new RawSocks(socket);
  }

  /** Sends `bytes`, then takes the next `n` bytes of the answer (bounded). */
  async exchange(bytes: number[], n: number): Promise<number[]> {
    this.socket.write(Buffer.from(bytes));
    await waitUntil(`${n} bytes from the SOCKS listener`, () => Buffer.concat(this.received).length >= n || this.closed);
    const all = Buffer.concat(this.received);
    this.received.length = 0;
    if (all.length > n) this.received.push(all.subarray(n));
    return [...all.subarray(0, n)];
  }
}

const ascii = (s: string) => [...Buffer.from(s, 'latin1')];
const port16 = (port: number) => [port >> 8, port & 0xff];
const SUCCESS = [5, 0, 0, 1, 0, 0, 0, 0, 0, 0];

/** A plain HTTP server answering `hello from PATH`. */
async function helloServer(host = HOST): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => res.end(`hello from ${req.url}`));
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  return { server, port: (server.address() as net.AddressInfo).port };
}

/** Reads an HTTP/1.1 response to `GET path` (Connection: close) off a tunnel's socket. */
async function getOver(client: RawSocks, hostHeader: string, pathname: string): Promise<string> {
  client.socket.write(`GET ${pathname} HTTP/1.1\r\nHost: ${hostHeader}\r\nConnection: close\r\n\r\n`);
  await waitUntil('the HTTP response through the tunnel', () => client.closed);
  return Buffer.concat(client.received).toString('latin1');
}

function ipv6Loopback(): boolean {
  return Object.values(os.networkInterfaces()).flat().some((a) => a?.internal && a.family === 'IPv6' && a.address === '::1');
}

test('no-auth CONNECT by IPv4 address and by domain name reaches a plain HTTP server; each tunnel record says via socks', async () => {
  const records = new Records();
  const upstream = await helloServer();
  const proxy = await socksProxy(records);
  try {
    assert.ok(proxy.socksAddress, 'the SOCKS listener has an address');
    const socksPort = proxy.socksPort!;
    assert.notEqual(socksPort, proxy.port);

    const byIp = await RawSocks.connect(socksPort);
    assert.deepEqual(await byIp.exchange([5, 1, 0], 2), [5, 0]);
    assert.deepEqual(await byIp.exchange([5, 1, 0, 1, 127, 0, 0, 1, ...port16(upstream.port)], 10), SUCCESS);
    assert.match(await getOver(byIp, `${HOST}:${upstream.port}`, '/by-ip'), /^HTTP\/1\.1 200 OK[\s\S]*hello from \/by-ip$/);

    const byName = await RawSocks.connect(socksPort);
    const name = 'localhost';
    // Greeting and request in one write, as optimistic clients send them.
    assert.deepEqual(await byName.exchange([5, 1, 0, 5, 1, 0, 3, name.length, ...ascii(name), ...port16(upstream.port)], 12), [5, 0, ...SUCCESS]);
    assert.match(await getOver(byName, `${name}:${upstream.port}`, '/by-name'), /hello from \/by-name$/);

    const tunnels = await waitForTunnels(records, 2);
    assert.deepEqual(tunnels.map((t) => ({ ...t, ts: 0 })), [
      { type: 'tunnel', conn: 1, ts: 0, via: 'socks', host: HOST, port: upstream.port, tls: 'none', sni: null, alpn: null, version: null, alert: null },
      { type: 'tunnel', conn: 2, ts: 0, via: 'socks', host: name, port: upstream.port, tls: 'none', sni: null, alpn: null, version: null, alert: null },
    ]);
    const gets = await waitForRecords(records, 'http', 2);
    assert.deepEqual(gets.map((g) => [g.conn, g.method, g.url, g.status]), [
      [1, 'GET', `http://${HOST}:${upstream.port}/by-ip`, 200],
      [2, 'GET', `http://${name}:${upstream.port}/by-name`, 200],
    ]);
    assert.equal(records.all.filter(isType('connect')).length, 2, 'each SOCKS connection is registered once');
  } finally {
    await proxy.close();
    await closeServer(upstream.server);
  }
});

test('CONNECT to an IPv6 address reaches a server on ::1', { skip: ipv6Loopback() ? false : 'no IPv6 loopback (::1) here' }, async () => {
  const records = new Records();
  const upstream = await helloServer('::1');
  const proxy = await socksProxy(records);
  try {
    const client = await RawSocks.connect(proxy.socksPort!);
    await client.exchange([5, 1, 0], 2);
    const loopback6 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    assert.deepEqual(await client.exchange([5, 1, 0, 4, ...loopback6, ...port16(upstream.port)], 10), SUCCESS);
    assert.match(await getOver(client, `[::1]:${upstream.port}`, '/v6'), /hello from \/v6$/);
    const [tunnel] = await waitForTunnels(records, 1);
    assert.equal(tunnel!.host, '::1');
    const [get] = await waitForRecords(records, 'http', 1);
    assert.equal(get!.url, `http://[::1]:${upstream.port}/v6`);
  } finally {
    await proxy.close();
    await closeServer(upstream.server);
  }
});

test('--socks-auth: the right user and password open the tunnel; a wrong one gets status 1, the connection ends and its end record says why', async () => {
  const records = new Records();
  const upstream = await helloServer();
  const proxy = await socksProxy(records, { user: 'phone', pass: 'pa:ss' });
  try {
    const socksPort = proxy.socksPort!;
    const right = await RawSocks.connect(socksPort);
    assert.deepEqual(await right.exchange([5, 2, 0, 2], 2), [5, 2], 'username/password selected');
    assert.deepEqual(await right.exchange([1, 5, ...ascii('phone'), 5, ...ascii('pa:ss')], 2), [1, 0]);
    assert.deepEqual(await right.exchange([5, 1, 0, 1, 127, 0, 0, 1, ...port16(upstream.port)], 10), SUCCESS);
    assert.match(await getOver(right, `${HOST}:${upstream.port}`, '/authed'), /hello from \/authed$/);

    const wrong = await RawSocks.connect(socksPort);
    await wrong.exchange([5, 1, 2], 2);
    assert.deepEqual(await wrong.exchange([1, 5, ...ascii('phone'), 5, ...ascii('guess')], 2), [1, 1]);
    await waitUntil('the listener closes the refused connection', () => wrong.closed);
    const end = await records.waitFor('end #2', isType('end', 2));
    assert.equal(end.reason, 'SOCKS: wrong SOCKS username or password (--socks-auth)');
    assert.equal(end.by, 'proxy');

    const noAuth = await RawSocks.connect(socksPort);
    assert.deepEqual(await noAuth.exchange([5, 1, 0], 2), [5, 0xff], 'no acceptable method without username/password');
    await waitUntil('closed', () => noAuth.closed);
    assert.equal(records.all.filter(isType('tunnel')).length, 1, 'only the authenticated connection became a tunnel');
  } finally {
    await proxy.close();
    await closeServer(upstream.server);
  }
});

test('BIND gets reply 7 (command not supported) and the connection ends', async () => {
  const records = new Records();
  const proxy = await socksProxy(records);
  try {
    const client = await RawSocks.connect(proxy.socksPort!);
    await client.exchange([5, 1, 0], 2);
    assert.deepEqual(await client.exchange([5, 2, 0, 1, 127, 0, 0, 1, 0, 80], 10), [5, 7, 0, 1, 0, 0, 0, 0, 0, 0]);
    await waitUntil('closed', () => client.closed);
    const end = await records.waitFor('end #1', isType('end', 1));
    assert.match(end.reason ?? '', /BIND is not supported/);
  } finally {
    await proxy.close();
  }
});

test('--allow applies to the SOCKS listener: a client outside it gets no answer at all', async () => {
  const records = new Records();
  const proxy = await socksProxy(records, null, parseAllowList(['10.0.0.0/8']));
  try {
    const client = await RawSocks.connect(proxy.socksPort!);
    client.socket.write(Buffer.from([5, 1, 0]));
    await waitUntil('closed', () => client.closed);
    assert.equal(Buffer.concat(client.received).length, 0);
    const end = await records.waitFor('end #1', isType('end', 1));
    assert.match(end.reason ?? '', /is not in --allow \(10\.0\.0\.0\/8\)/);
  } finally {
    await proxy.close();
  }
});

test('curl --socks5-hostname (and socks5h:// with credentials) fetches a plain HTTP server through the SOCKS listener by name', async (t) => {
  if (!(await hasCurl())) return t.skip('curl is not installed');
  const upstream = await helloServer();
  for (const credentials of [null, { user: 'curl', pass: 'x:y' }]) {
    const records = new Records();
    const proxy = await socksProxy(records, credentials);
    try {
      const via = credentials
        ? ['--proxy', `socks5h://${credentials.user}:${encodeURIComponent(credentials.pass)}@${proxy.socksAddress}`]
        : ['--socks5-hostname', proxy.socksAddress!];
      const out = await curl([...via, `http://localhost:${upstream.port}/curl`]);
      assert.equal(out, 'hello from /curl');
      const [tunnel] = await waitForTunnels(records, 1);
      // curl sends the name, not an address it resolved.
      assert.deepEqual([tunnel!.via, tunnel!.host, tunnel!.port, tunnel!.tls], ['socks', 'localhost', upstream.port, 'none']);
      const [get] = await waitForRecords(records, 'http', 1);
      assert.deepEqual([get!.url, get!.status], [`http://localhost:${upstream.port}/curl`, 200]);
    } finally {
      await proxy.close();
    }
  }
  await closeServer(upstream.server);
});

test('Chromium with --proxy-server=socks5:// loads a page through the SOCKS listener', async (t) => {
  const chromium = await chromiumCommand();
  if (chromium === null) return t.skip('Chromium is not installed (chromium or chromium-browser on PATH)');
  const upstream = await helloServer();
  const records = new Records();
  const proxy = await socksProxy(records);
  try {
    const dom = await new Promise<string>((resolve, reject) => execFile(chromium, [
      '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', `--user-data-dir=${fs.mkdtempSync(path.join(os.tmpdir(), 'wspeek-chromium-'))}`,
      // Chromium sends loopback addresses around any proxy unless told not to.
      `--proxy-server=socks5://${proxy.socksAddress}`, '--proxy-bypass-list=<-loopback>',
      '--dump-dom', `http://${HOST}:${upstream.port}/chromium`,
    ], { timeout: 30_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout))));
    assert.match(dom, /hello from \/chromium/);
    // Chromium's own background requests may take the proxy too: the page's tunnel is the one to the upstream.
    const tunnel = await records.waitFor('the page\'s tunnel', (r): r is TunnelRecord => r.type === 'tunnel' && r.port === upstream.port);
    assert.deepEqual([tunnel.via, tunnel.host, tunnel.tls], ['socks', HOST, 'none']);
  } finally {
    await proxy.close();
    await closeServer(upstream.server);
  }
});

test('wss:// through the SOCKS listener: the client trusting only wspeek\'s CA accepts the interception, and the messages are decoded', async () => {
  const upstreamCaDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wspeek-socks-upstream-ca-'));
  const records = new Records();
  const leaf = CertificateAuthority.loadOrCreate(upstreamCaDir).leafFor(HOST);
  const server = https.createServer({ key: leaf.key, cert: leaf.cert });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => ws.on('message', (d, binary) => ws.send(d, { binary })));
  await new Promise<void>((r) => server.listen(0, HOST, () => r()));
  const upstreamPort = (server.address() as net.AddressInfo).port;
  const proxy = await socksProxy(records);
  let ws: WebSocket | undefined;
  try {
    const raw = await RawSocks.connect(proxy.socksPort!);
    await raw.exchange([5, 1, 0], 2);
    assert.deepEqual(await raw.exchange([5, 1, 0, 1, 127, 0, 0, 1, ...port16(upstreamPort)], 10), SUCCESS);
    raw.socket.removeAllListeners('data');
    const opened = await openWssThrough(raw.socket, `wss://${HOST}:${upstreamPort}/socks`, testCa().certPem, 'wss open through the SOCKS tunnel');
    ws = opened.ws;
    const { secure, messages } = opened;
    assert.equal(secure.authorized, true, 'the client, trusting only wspeek\'s CA, accepted the certificate');
    assert.equal(secure.getPeerCertificate(true).issuerCertificate.fingerprint256, testCa().fingerprint256);
    ws.send('over socks');
    await waitUntil('the echo', () => messages.length === 1);
    assert.deepEqual(messages, ['over socks']);

    const [tunnel] = await waitForTunnels(records, 1);
    assert.deepEqual({ ...tunnel, ts: 0 }, {
      type: 'tunnel', conn: 1, ts: 0, via: 'socks', host: HOST, port: upstreamPort, tls: 'intercepted', sni: null, alpn: null, version: 'TLSv1.3', alert: null,
    });
    const hs = await records.waitFor('handshake', isType('handshake', 1));
    assert.equal(hs.url, `wss://${HOST}:${upstreamPort}/socks`);
    await records.waitFor('the client message decoded', (r): r is Extract<typeof r, { type: 'message' }> => r.type === 'message' && r.from === 'client' && r.text === 'over socks');
    await records.waitFor('the echo decoded', (r): r is Extract<typeof r, { type: 'message' }> => r.type === 'message' && r.from === 'server' && r.text === 'over socks');
  } finally {
    ws?.terminate();
    await proxy.close();
    for (const c of wss.clients) c.terminate();
    wss.close();
    await closeServer(server);
    fs.rmSync(upstreamCaDir, { recursive: true, force: true });
  }
});

test('a SOCKS listener with a reverse target is refused', async () => {
  await assert.rejects(startProxy({
    host: HOST, port: 0, target: new URL('ws://127.0.0.1:9'), maxPayload: 1024, ca: null, insecure: false, emit: () => {},
    socks: { host: HOST, port: 0, credentials: null },
  }), /forward mode only/);
});

async function waitForTunnels(records: Records, n: number) {
  return waitForRecords(records, 'tunnel', n);
}

async function waitForRecords<K extends 'tunnel' | 'http'>(records: Records, type: K, n: number): Promise<Extract<LogRecord, { type: K }>[]> {
  await waitUntil(`${n} ${type} records`, () => records.all.filter(isType(type)).length >= n);
  return records.all.filter(isType(type)).sort((a, b) => (a as { conn: number }).conn - (b as { conn: number }).conn);
}

function hasCurl(): Promise<boolean> {
  return new Promise((resolve) => execFile('curl', ['--version'], (err) => resolve(!err)));
}

function curl(args: string[]): Promise<string> {
  return within(new Promise((resolve, reject) => {
    execFile('curl', ['-sS', '--max-time', '5', ...args], (err, stdout, stderr) => (err ? reject(new Error(`curl failed: ${stderr || err.message}`)) : resolve(stdout)));
  }), 'curl', 8000);
}

/** The Chromium binary on PATH, or null. */
async function chromiumCommand(): Promise<string | null> {
  for (const name of ['chromium', 'chromium-browser']) {
    if (await new Promise<boolean>((resolve) => execFile(name, ['--version'], (err) => resolve(!err)))) return name;
  }
  return null;
}
