import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { WebSocket, WebSocketServer, type ClientOptions } from 'ws';
import { parseKeyLog } from '../core/capture/key-log.js';
import { TlsDecryptor, type TlsFailure, type TlsPlaintext } from '../core/capture/tls-decrypt.js';
import { TlsRecordReader, type TlsRecord } from '../core/capture/tls-record-reader.js';
import { ConnectionDecoder } from '../core/websocket/connection-decoder.js';
import type { MessageEvent, Side, WsEvent } from '../core/websocket/events.js';
import { closedPort as freePort, closeServer, HOST, listen } from './support/raw-peers.js';
import { testCa } from './support/test-ca.js';
import { STEP_MS, waitUntil, within } from './support/wait.js';

interface Chunk { from: Side; bytes: Buffer; ts: number }

/**
 * A plain TCP relay to `serverPort` that keeps a copy of every chunk it passes on, numbered in
 * arrival order (`ts`), as a capture would see them; a half-close goes on to the other side.
 */
function recordingRelay(serverPort: number): { relay: net.Server; chunks: Chunk[] } {
  const chunks: Chunk[] = [];
  let clock = 0;
  const relay = net.createServer((c) => {
    const u = net.connect(serverPort, HOST);
    c.on('data', (d: Buffer) => { chunks.push({ from: 'client', bytes: Buffer.from(d), ts: ++clock }); u.write(d); });
    u.on('data', (d: Buffer) => { chunks.push({ from: 'server', bytes: Buffer.from(d), ts: ++clock }); c.write(d); });
    c.on('end', () => u.end());
    u.on('end', () => c.end());
    c.on('error', () => u.destroy());
    u.on('error', () => c.destroy());
  });
  return { relay, chunks };
}

/** One wss:// conversation through a plain TCP relay: the relay's chunks, the client's key log, and the plaintext each peer read. */
interface Recorded {
  chunks: Chunk[];
  keyLog: string;
  /** What the server's TLS socket read: the client's plaintext. */
  serverRead: Buffer;
  /** What the client's TLS socket read: the server's plaintext. */
  clientRead: Buffer;
  protocol: string;
  cipher: string;
}

const BIG = Buffer.alloc(40_000, 'x');
const SENT = ['hello over TLS', Buffer.from([0, 1, 2, 254, 255]), BIG.toString()];

type Options = { maxVersion?: tls.SecureVersion; ciphers?: string; ecdhCurve?: string };

/** Records one conversation; `serverOptions` default to the client's `tlsOptions`. */
async function record(tlsOptions: Options, serverOptions: Options = tlsOptions): Promise<Recorded> {
  const leaf = testCa().leafFor('localhost');
  const server = https.createServer({ ...leaf, ...serverOptions });
  const serverReads: Buffer[] = [];
  server.on('secureConnection', (s: tls.TLSSocket) => s.on('data', (d: Buffer) => serverReads.push(Buffer.from(d))));
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  const serverPort = await listen(server);

  const { relay, chunks } = recordingRelay(serverPort);
  const relayPort = await listen(relay);

  const keyLines: string[] = [];
  const clientReads: Buffer[] = [];
  let socket: tls.TLSSocket | undefined;
  const ws = new WebSocket(`wss://${HOST}:${relayPort}/chat?room=1`, {
    ca: testCa().certPem,
    servername: 'localhost',
    perMessageDeflate: false,
    ...tlsOptions,
    createConnection: (opts: tls.ConnectionOptions) => {
      socket = tls.connect(opts);
      socket.on('keylog', (line: Buffer) => keyLines.push(line.toString()));
      socket.on('data', (d: Buffer) => clientReads.push(Buffer.from(d)));
      return socket;
    },
  } as ClientOptions);
  const echoes: unknown[] = [];
  ws.on('message', (d) => echoes.push(d));
  await within(new Promise((r, j) => { ws.once('open', r); ws.once('error', j); }), 'client open');
  const protocol = socket!.getProtocol() ?? '';
  const cipher = socket!.getCipher().standardName;
  for (const m of SENT) ws.send(m);
  await waitUntil('the echoes', () => echoes.length === SENT.length);
  const closed = new Promise((r) => ws.once('close', r));
  ws.close(1000, 'done');
  await within(closed, 'close');
  await within(Promise.all([closeServer(relay), closeServer(server)]), 'servers closed');
  return { chunks, keyLog: keyLines.join(''), serverRead: Buffer.concat(serverReads), clientRead: Buffer.concat(clientReads), protocol, cipher };
}

function decrypt(rec: { chunks: Chunk[] }, keyLog: string) {
  const plaintext: TlsPlaintext[] = [];
  const failures: TlsFailure[] = [];
  const decryptor = new TlsDecryptor(parseKeyLog(keyLog), { plaintext: (p) => plaintext.push(p), failure: (f) => failures.push(f) });
  for (const c of rec.chunks) decryptor.receive(c.from, c.bytes, c.ts);
  const of = (from: Side) => Buffer.concat(plaintext.filter((p) => p.from === from).map((p) => p.bytes));
  return { decryptor, plaintext, failures, client: of('client'), server: of('server') };
}

function messagesOf(plaintext: TlsPlaintext[]): MessageEvent[] {
  const events: WsEvent[] = [];
  const d = new ConnectionDecoder({ startTs: 0 }, (e) => events.push(e));
  for (const p of plaintext) d.receive(p.from, p.bytes, p.ts);
  return events.filter((e): e is MessageEvent => e.type === 'message');
}

const CASES: Array<{ name: string; options: { maxVersion?: tls.SecureVersion; ciphers?: string }; protocol: string; cipher: string }> = [
  { name: 'TLS 1.3 AES-128-GCM', options: { ciphers: 'TLS_AES_128_GCM_SHA256' }, protocol: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256' },
  { name: 'TLS 1.3 AES-256-GCM', options: { ciphers: 'TLS_AES_256_GCM_SHA384' }, protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' },
  { name: 'TLS 1.3 ChaCha20-Poly1305', options: { ciphers: 'TLS_CHACHA20_POLY1305_SHA256' }, protocol: 'TLSv1.3', cipher: 'TLS_CHACHA20_POLY1305_SHA256' },
  { name: 'TLS 1.2 AES-128-GCM', options: { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' }, protocol: 'TLSv1.2', cipher: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256' },
  { name: 'TLS 1.2 AES-256-GCM', options: { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES256-GCM-SHA384' }, protocol: 'TLSv1.2', cipher: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384' },
  { name: 'TLS 1.2 ChaCha20-Poly1305', options: { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-CHACHA20-POLY1305' }, protocol: 'TLSv1.2', cipher: 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256' },
];

for (const c of CASES) {
  test(`${c.name}: the decrypted streams are exactly what each peer read, and decode to the messages sent and echoed`, async () => {
    const rec = await record(c.options);
    assert.equal(rec.protocol, c.protocol);
    assert.equal(rec.cipher, c.cipher);
    const out = decrypt(rec, rec.keyLog);
    assert.deepEqual(out.failures, []);
    assert.deepEqual(out.decryptor.session, { sni: 'localhost', version: c.protocol === 'TLSv1.3' ? 0x0304 : 0x0303, cipherSuite: c.cipher });
    assert.ok(out.client.equals(rec.serverRead), 'client → server plaintext');
    assert.ok(out.server.equals(rec.clientRead), 'server → client plaintext');
    assert.match(out.client.toString('latin1'), /^GET \/chat\?room=1 HTTP\/1\.1\r\n/);
    assert.match(out.server.toString('latin1'), /^HTTP\/1\.1 101 /);
    const messages = messagesOf(out.plaintext);
    const data = (from: Side) => messages.filter((m) => m.from === from && m.kind !== 'close').map((m) => m.payload.toString('hex'));
    const expected = SENT.map((m) => Buffer.from(m).toString('hex'));
    assert.deepEqual(data('client'), expected);
    assert.deepEqual(data('server'), expected);
    assert.equal(messages.find((m) => m.kind === 'close')?.close?.code, 1000);
    const chunkTs = new Set(rec.chunks.map((ch) => ch.ts));
    assert.ok(out.plaintext.every((p) => chunkTs.has(p.ts)), 'every plaintext carries a chunk\'s timestamp');
  });
}

test('a connection whose client_random is not in the key log is a no-key failure naming the SNI, and nothing is decrypted', async () => {
  const rec = await record({});
  const others = rec.keyLog.split('\n').map((l) => l.replace(/^(\S+) [0-9a-f]{64}/i, `$1 ${'ab'.repeat(32)}`)).join('\n');
  const out = decrypt(rec, others);
  assert.deepEqual(out.plaintext, []);
  assert.equal(out.failures.length, 1);
  assert.equal(out.failures[0]!.reason, 'no-key');
  assert.equal(out.failures[0]!.sni, 'localhost');
  assert.match(out.failures[0]!.detail, /client_random [0-9a-f]{64}/);
});

test('a TLS 1.2 connection with only TLS 1.3 secrets in the key log is a no-key failure', async () => {
  const rec = await record({ maxVersion: 'TLSv1.2' });
  const random = /^CLIENT_RANDOM ([0-9a-f]{64})/im.exec(rec.keyLog)![1]!;
  const out = decrypt(rec, `CLIENT_TRAFFIC_SECRET_0 ${random} ${'11'.repeat(32)}\n`);
  assert.deepEqual(out.failures.map((f) => f.reason), ['no-key']);
  assert.match(out.failures[0]!.detail, /no CLIENT_RANDOM line/);
});

for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
  test(`${version}: a tampered application-data record is a bad-record failure after the plaintext before it, never a throw`, async () => {
    const rec = await record({ maxVersion: version });
    const clean = decrypt(rec, rec.keyLog);
    // The last client chunk before the close carries a record; flip one ciphertext byte in it.
    let last = rec.chunks.length - 1;
    while (!(rec.chunks[last]!.from === 'client' && rec.chunks[last]!.bytes.length > 40)) last--;
    const tampered = rec.chunks.map((ch, i) => {
      if (i !== last) return ch;
      const bytes = Buffer.from(ch.bytes);
      bytes[20]! ^= 0x01;
      return { ...ch, bytes };
    });
    const out = decrypt({ chunks: tampered }, rec.keyLog);
    assert.equal(out.failures.length, 1);
    assert.equal(out.failures[0]!.reason, 'bad-record');
    assert.equal(out.failures[0]!.from, 'client');
    assert.equal(out.failures[0]!.ts, tampered[last]!.ts);
    assert.ok(out.plaintext.length > 0 && out.plaintext.length < clean.plaintext.length);
    assert.ok(out.plaintext.every((p) => p.ts < tampered[last]!.ts));
  });
}

test('bytes that are not TLS are a not-tls failure', () => {
  const out = decrypt({ chunks: [{ from: 'client', bytes: Buffer.from('GET / HTTP/1.1\r\n\r\n'), ts: 1 }] }, '');
  assert.deepEqual(out.failures.map((f) => [f.reason, f.sni]), [['not-tls', null]]);
});

test('after a failure the decryptor ignores further bytes and reports nothing more', () => {
  const out = decrypt({ chunks: [
    { from: 'client', bytes: Buffer.from('not tls at all'), ts: 1 },
    { from: 'server', bytes: Buffer.from('neither'), ts: 2 },
  ] }, '');
  assert.equal(out.failures.length, 1);
});

test('a HelloRetryRequest (the client\'s key share refused) is followed to the second ServerHello, and the connection decrypts', async () => {
  // The client offers a P-256 key share first; a server that takes only X25519 asks it to retry (RFC 8446 §4.1.4).
  const rec = await record({ ecdhCurve: 'P-256:X25519' }, { ecdhCurve: 'X25519' });
  const reader = new TlsRecordReader();
  const records = rec.chunks.filter((c) => c.from === 'client').flatMap((c) => reader.push(c.bytes) as TlsRecord[]);
  const hellos = records.filter((r) => r.type === 22 && r.fragment[0] === 1).length;
  assert.equal(hellos, 2, 'the client sent two ClientHellos');
  const out = decrypt(rec, rec.keyLog);
  assert.deepEqual(out.failures, []);
  assert.ok(out.client.equals(rec.serverRead));
  assert.ok(out.server.equals(rec.clientRead));
});

/** Waits (bounded) until `text` has appeared in what `proc` wrote on stdout. */
function printed(out: { text: string }, text: string, what: string): Promise<void> {
  return waitUntil(what, () => out.text.includes(text), STEP_MS * 2);
}

const HAVE_OPENSSL = spawnSync('openssl', ['version']).status === 0;

test('TLS 1.3 KeyUpdate: OpenSSL peers that update their keys mid-connection (K and k) are followed through every update', { skip: HAVE_OPENSSL ? false : 'openssl is not installed' }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wspeek-keyupdate-'));
  const children: ChildProcess[] = [];
  t.after(() => {
    for (const c of children) c.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const leaf = testCa().leafFor('localhost');
  fs.writeFileSync(path.join(dir, 'cert.pem'), leaf.cert);
  fs.writeFileSync(path.join(dir, 'key.pem'), leaf.key);
  const serverPort = await freePort();
  const spawnOpenssl = (args: string[]) => {
    const child = spawn('openssl', args, { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    const out = { text: '' };
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out.text += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (out.text += d));
    return { child, out };
  };
  const server = spawnOpenssl(['s_server', '-accept', `${HOST}:${serverPort}`, '-cert', 'cert.pem', '-key', 'key.pem', '-tls1_3']);
  await printed(server.out, 'ACCEPT', 's_server listening');

  const { relay, chunks } = recordingRelay(serverPort);
  const relayPort = await listen(relay);
  t.after(() => relay.close());
  const client = spawnOpenssl(['s_client', '-connect', `${HOST}:${relayPort}`, '-servername', 'localhost', '-tls1_3', '-keylogfile', 'keys.log']);
  await printed(client.out, 'Verify return code', 's_client handshake');
  client.child.stdin!.write('one\n');
  await printed(server.out, 'one', 'the first client line');
  client.child.stdin!.write('K\n'); // KeyUpdate, update_requested: both sides update
  await printed(client.out, 'KEYUPDATE', 's_client key update');
  client.child.stdin!.write('two\n');
  await printed(server.out, 'two', 'the second client line');
  server.child.stdin!.write('three\n');
  await printed(client.out, 'three', 'the first server line');
  const serverChunks = () => chunks.filter((c) => c.from === 'server').length;
  const before = serverChunks();
  server.child.stdin!.write('k\n'); // KeyUpdate, update_not_requested: the server only
  await waitUntil('the server\'s KeyUpdate record', () => serverChunks() > before);
  server.child.stdin!.write('four\n');
  await printed(client.out, 'four', 'the second server line');

  const keyLog = fs.readFileSync(path.join(dir, 'keys.log'), 'utf8');
  const out = decrypt({ chunks }, keyLog);
  assert.deepEqual(out.failures, []);
  assert.equal(out.decryptor.session?.version, 0x0304);
  assert.equal(out.client.toString(), 'one\ntwo\n');
  assert.equal(out.server.toString(), 'three\nfour\n');
});

test('a capture that starts after the handshake is a no-handshake failure, even with the keys at hand', async () => {
  const rec = await record({});
  const firstData = rec.chunks.findIndex((c, i) => i > 0 && c.from === 'client' && c.bytes[0] === 23);
  const out = decrypt({ chunks: rec.chunks.slice(firstData) }, rec.keyLog);
  assert.deepEqual(out.plaintext, []);
  assert.deepEqual(out.failures.map((f) => [f.reason, f.sni]), [['no-handshake', null]]);
});

test('a TLS 1.2 CBC suite is an unsupported failure that names the suite, with the SNI', async () => {
  const rec = await record({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-SHA256' });
  const out = decrypt(rec, rec.keyLog);
  assert.deepEqual(out.plaintext, []);
  assert.deepEqual(out.failures.map((f) => [f.reason, f.detail, f.sni]), [['unsupported', 'cipher suite 0xc027 is not supported', 'localhost']]);
  assert.deepEqual(out.decryptor.session, { sni: 'localhost', version: 0x0303, cipherSuite: '0xc027' });
});

test('streams flipped at any byte, and cut at any byte, give plaintext or one failure, never a throw', async () => {
  const rec = await record({});
  const all = rec.chunks.length;
  for (let i = 0; i < all; i++) {
    for (const at of [0, 3, 5, 9, rec.chunks[i]!.bytes.length - 1]) {
      const chunks = rec.chunks.map((c, j) => {
        if (j !== i || at >= c.bytes.length) return c;
        const bytes = Buffer.from(c.bytes);
        bytes[at]! ^= 0x80;
        return { ...c, bytes };
      });
      const out = decrypt({ chunks }, rec.keyLog);
      assert.ok(out.failures.length <= 1);
    }
    const cut = decrypt({ chunks: rec.chunks.slice(0, i) }, rec.keyLog);
    assert.deepEqual(cut.failures, []);
  }
});
