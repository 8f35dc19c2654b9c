// Records the packet-capture fixtures in test/fixtures/ (run as root, with tcpdump and tshark installed):
//   node dist/test/support/record-pcap-fixtures.js       the plain ws fixtures below
//   node dist/test/support/record-pcap-fixtures.js tls   wss-lo.pcap and wss-lo.keylog (see recordTls)
// One conversation of real `ws` peers on 127.0.0.1, captured twice at once: on `lo` (Ethernet
// link type, classic pcap, µs) and on `any` (Linux cooked v2); the `lo` capture is also written
// by tcpdump with ns timestamps, and converted to pcapng by tshark.

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { WebSocket, WebSocketServer, type ClientOptions } from 'ws';
import { testCa } from './test-ca.js';
import { TLS_FIXTURE_SNI, TLS_FIXTURES, tlsFixtureMessages } from './wss-fixture.js';
import { sleep, within } from './wait.js';

const DIR = path.resolve('test/fixtures');

/** The conversation's ports: plain ws, ws with permessage-deflate, and a TLS listener. */
export const FIXTURE_PORTS = { plain: 47011, deflate: 47012, tls: 47013 } as const;

async function conversation(port: number, perMessageDeflate: boolean): Promise<void> {
  const server = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: perMessageDeflate && { threshold: 0 } });
  server.on('connection', (s) => s.on('message', (data, isBinary) => s.send(data, { binary: isBinary })));
  const ws = new WebSocket(`ws://127.0.0.1:${port}/fixture?compressed=${perMessageDeflate}`, { perMessageDeflate: perMessageDeflate && { threshold: 0 } });
  const replies: unknown[] = [];
  ws.on('message', (d) => replies.push(d));
  await within(new Promise((r) => ws.once('open', r)), 'open');
  ws.send('hello, capture');
  ws.send(Buffer.from([0, 1, 2, 3, 254, 255]));
  // One message in three frames.
  ws.send('first part, ', { fin: false });
  ws.send('second part, ', { fin: false });
  ws.send('last part', { fin: true });
  ws.send('x'.repeat(3000));
  ws.ping(Buffer.from('are you there'));
  await within((async () => { while (replies.length < 4) await sleep(10); })(), 'replies');
  ws.close(1000, 'done');
  await within(new Promise((r) => ws.once('close', r)), 'close');
  await new Promise((r) => server.close(r));
}

async function tlsHello(port: number): Promise<void> {
  const server = net.createServer((s) => s.once('data', () => s.destroy()));
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const socket = tls.connect({ host: '127.0.0.1', port, servername: 'wss.fixture.test', rejectUnauthorized: false });
  await within(new Promise((r) => socket.once('error', r).once('close', r)), 'tls close');
  await new Promise((r) => server.close(r));
}

/**
 * One wss conversation: an https server with `ws` and a `ws` client on 127.0.0.1, pinned to one TLS
 * version and cipher; every secret the server's `keylog` event gives is appended to `keyLog`.
 */
async function wssConversation(fixture: (typeof TLS_FIXTURES)[number], keyLog: string[]): Promise<void> {
  const leaf = testCa().leafFor(TLS_FIXTURE_SNI);
  const server = https.createServer({
    key: leaf.key, cert: leaf.cert, minVersion: fixture.version, maxVersion: fixture.version,
    ...(fixture.ciphersuites ? { ciphersuites: fixture.ciphersuites } : {}), ...(fixture.ciphers ? { ciphers: fixture.ciphers } : {}),
  });
  server.on('keylog', (line: Buffer) => keyLog.push(line.toString('latin1')));
  const wss = new WebSocketServer({ server });
  wss.on('connection', (s) => s.on('message', (data, isBinary) => s.send(data, { binary: isBinary })));
  await new Promise<void>((r) => server.listen(fixture.port, '127.0.0.1', r));
  // ws hands its options to tls.connect, servername included (its typings leave it out).
  const options = { servername: TLS_FIXTURE_SNI, rejectUnauthorized: false } as ClientOptions;
  const ws = new WebSocket(`wss://127.0.0.1:${fixture.port}/fixture-tls?v=${fixture.version}`, options);
  const sent = tlsFixtureMessages(fixture.port);
  const replies: unknown[] = [];
  ws.on('message', (d) => replies.push(d));
  await within(new Promise((r) => ws.once('open', r)), 'wss open');
  for (const m of sent) ws.send(m);
  await within((async () => { while (replies.length < sent.length) await sleep(10); })(), 'wss replies');
  ws.close(1000, 'done');
  await within(new Promise((r) => ws.once('close', r)), 'wss close');
  wss.close();
  await new Promise((r) => server.close(r));
}

/** Records wss-lo.pcap (on `lo`) with one wss conversation per TLS_FIXTURES entry, and their secrets in wss-lo.keylog. */
async function recordTls(): Promise<void> {
  const filter = TLS_FIXTURES.map((f) => `tcp port ${f.port}`).join(' or ');
  const dump = spawn('tcpdump', ['-U', '-s', '0', '-i', 'lo', '-w', path.join(DIR, 'wss-lo.pcap'), filter], { stdio: ['ignore', 'ignore', 'pipe'] });
  await sleep(1500);
  const keyLog: string[] = [];
  for (const f of TLS_FIXTURES) await wssConversation(f, keyLog);
  await sleep(1000);
  dump.kill('SIGINT');
  await new Promise((r) => dump.once('exit', r));
  fs.writeFileSync(path.join(DIR, 'wss-lo.keylog'), keyLog.join(''));
}

function tcpdump(args: string[]): ChildProcess {
  const filter = Object.values(FIXTURE_PORTS).map((p) => `tcp port ${p}`).join(' or ');
  return spawn('tcpdump', ['-U', '-s', '0', ...args, filter], { stdio: ['ignore', 'ignore', 'pipe'] });
}

async function main(): Promise<void> {
  const lo = path.join(DIR, 'ws-lo.pcap');
  const any = path.join(DIR, 'ws-any.pcap');
  const nano = path.join(DIR, 'ws-lo-ns.pcap');
  const dumps = [tcpdump(['-i', 'lo', '-w', lo]), tcpdump(['-i', 'any', '-w', any]), tcpdump(['-i', 'lo', '--time-stamp-precision=nano', '-w', nano])];
  await sleep(1500);
  await conversation(FIXTURE_PORTS.plain, false);
  await conversation(FIXTURE_PORTS.deflate, true);
  await tlsHello(FIXTURE_PORTS.tls);
  await sleep(1000);
  for (const d of dumps) d.kill('SIGINT');
  await Promise.all(dumps.map((d) => new Promise((r) => d.once('exit', r))));
  execFileSync('tshark', ['-r', lo, '-F', 'pcapng', '-w', path.join(DIR, 'ws-lo.pcapng')]);
}

await (process.argv[2] === 'tls' ? recordTls() : main());
