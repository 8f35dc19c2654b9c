import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import https from 'node:https';
import type net from 'node:net';
import path from 'node:path';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { sessionRecord } from '../core/log/records.js';
import { writeViewLog } from '../proxy/log/session-log.js';
import type { RunningProxy } from '../proxy/proxy-server.js';
import { finished, startCli, useCliSandbox, type CliRun } from './support/cli-process.js';
import { isType, Records, reverseProxy } from './support/proxy-records.js';
import { HOST } from './support/raw-peers.js';
import { testCa } from './support/test-ca.js';
import { waitUntil, within } from './support/wait.js';

const sandbox = useCliSandbox('replay');

function run(args: string[]): Promise<CliRun> {
  return finished(startCli(sandbox.home, args), 20_000, `wspeek ${args.join(' ')} exits`);
}

interface Server {
  port: number;
  /** The request targets of the upgrades it accepted. */
  urls: string[];
  close(): Promise<void>;
}

/** A ws server that greets with its URL and echoes every message, with `prefix` before the echo's bytes; or refuses every upgrade (403). */
async function server(prefix: string, refuse = false): Promise<Server> {
  const wss = new WebSocketServer({ host: HOST, port: 0, ...(refuse ? { verifyClient: (_i: unknown, done: (ok: boolean, code: number) => void) => done(false, 403) } : {}) });
  await within(once(wss, 'listening'), 'a ws server listening');
  const urls: string[] = [];
  wss.on('connection', (ws, req) => {
    urls.push(req.url ?? '');
    ws.send(`hello ${req.url}`);
    ws.on('message', (d: RawData, binary) => ws.send(Buffer.concat([Buffer.from(prefix), d as Buffer]), { binary }));
  });
  return { port: (wss.address() as net.AddressInfo).port, urls, close: () => new Promise<void>((r) => wss.close(() => r())) };
}

let same: Server;
let other: Server;
let refusing: Server;
let recording: string;

/** A client through the proxy: text, binary, then a close with 1000 once both echoes came. */
async function converse(proxy: RunningProxy, pathAndQuery: string, text: string): Promise<void> {
  const ws = new WebSocket(`ws://${proxy.address}${pathAndQuery}`, { headers: { Origin: 'http://app.test' } });
  let answers = 0;
  ws.on('message', () => {
    if (++answers === 3) ws.close(1000, 'done');
  });
  ws.on('open', () => {
    ws.send(text);
    ws.send(Buffer.from([1, 2, 3]));
  });
  await within(once(ws, 'close'), `the conversation on ${pathAndQuery} ends`);
}

before(async () => {
  same = await server('');
  other = await server('X');
  refusing = await server('', true);
  // The recording: two connections through the real proxy, in front of the echoing server.
  const records = new Records();
  const proxy = await reverseProxy(records, same.port);
  await converse(proxy, '/chat?room=1', 'one');
  await converse(proxy, '/other', 'two');
  await waitUntil('both connections end', () => records.all.filter(isType('end')).length === 2);
  await proxy.close();
  recording = writeViewLog([sessionRecord(Date.now(), 'reverse', proxy.address, `ws://${HOST}:${same.port}/`), ...records.all], path.join(sandbox.work, 'recording.jsonl'));
  same.urls.length = 0;
});

after(async () => {
  await Promise.all([same.close(), other.close(), refusing.close()]);
});

test('replayed against the server that answered the recording: exit 0, each connection in turn the same', async () => {
  const r = await run(['replay', recording]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^conn 1 ws://127\\.0\\.0\\.1:${same.port}/chat\\?room=1: same: 3 server messages \\(recorded 3\\), close 1000 \\(recorded 1000\\)$`, 'm'));
  assert.match(r.stdout, /^conn 2 .*\/other: same: /m);
  assert.deepEqual(same.urls.splice(0), ['/chat?room=1', '/other']);
});

test('a recording converted to HAR replays the same way', async () => {
  const har = path.join(sandbox.work, 'recording.har');
  const converted = await run(['open', recording, '--har', har]);
  assert.equal(converted.code, 0, converted.stderr);
  const r = await run(['replay', har, '--speed', 'max']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /^conn 1 ws:\/\/127\.0\.0\.1:\d+\/chat\?room=1: same: 3 server messages \(recorded 3\), close 1000 \(recorded 1000\)$/m);
  assert.deepEqual(same.urls.splice(0), ['/chat?room=1', '/other']);
});

test('a server that answers differently: exit 1, the first differing message with both payloads; --target keeps the recorded path', async () => {
  const r = await run(['replay', recording, '--conn', '1', '--target', `ws://${HOST}:${other.port}`, '--speed', 'max']);
  assert.equal(r.code, 1, r.stderr);
  assert.deepEqual(other.urls.splice(0), ['/chat?room=1']);
  assert.match(r.stdout, /conn 1 .*: differed: 3 server messages \(recorded 3\)/);
  assert.match(r.stdout, /first difference: server message 2 \(bytes\)\n {4}recorded: text 3 bytes "one"\n {4}replayed: text 4 bytes "Xone"\n/);
  assert.doesNotMatch(r.stdout, /conn 2/);
});

test('--json: one JSON object with each connection\'s comparison', async () => {
  const r = await run(['replay', recording, '--target', `ws://${HOST}:${other.port}/`, '--json', '--parallel']);
  assert.equal(r.code, 1, r.stderr);
  const out = JSON.parse(r.stdout) as { exit: number; connections: Array<{ conn: number; url: string; result: string; difference: { index: number; recorded: { text: string }; replayed: { text: string } } }> };
  assert.equal(out.exit, 1);
  assert.deepEqual(out.connections.map((c) => [c.conn, c.result, c.difference.index, c.difference.recorded.text, c.difference.replayed.text]), [
    [1, 'differed', 1, 'hello /chat?room=1', 'hello /'],
    [2, 'differed', 1, 'hello /other', 'hello /'],
  ]);
  assert.deepEqual(other.urls.splice(0).sort(), ['/', '/']);
});

test('a refused handshake: exit 3, and says so', async () => {
  const r = await run(['replay', recording, '--conn', '2', '--target', `ws://${HOST}:${refusing.port}`]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stdout, /^conn 2 .*: failed: the server refused the handshake: 403/m);
});

test('--save writes the new session, which wspeek open reads; an existing file is refused before anything connects', async () => {
  const saved = path.join(sandbox.work, 'replayed.jsonl');
  const r = await run(['replay', recording, '--conn', '2', '--save', saved]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(same.urls.splice(0), ['/other']);
  const opened = await run(['open', saved, '--json']);
  assert.equal(opened.code, 0, opened.stderr);
  const recs = opened.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; mode?: string; source?: string; conn?: number; url?: string; text?: string; from?: string });
  assert.deepEqual([recs[0]!.type, recs[0]!.mode, recs[0]!.source], ['session', 'replay', 'recording.jsonl']);
  assert.equal(recs.find((x) => x.type === 'handshake')?.url, `ws://${HOST}:${same.port}/other`);
  // Each side's messages in order: in the recording the client sent 'two' as the connection opened, the
  // server 'hello' then too, so which came first (and so how the replay interleaves them) depends on timing.
  const side = (from: string) => recs.filter((x) => x.type === 'message' && x.from === from && x.text !== undefined).map((x) => x.text);
  assert.deepEqual(side('client'), ['two']);
  assert.deepEqual(side('server'), ['hello /other', 'two']);
  assert.ok(recs.filter((x) => x.type !== 'session').every((x) => x.conn === 2));

  const before = fs.readFileSync(saved, 'utf8');
  const again = await run(['replay', recording, '--save', saved]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already exists; wspeek never overwrites/);
  assert.equal(fs.readFileSync(saved, 'utf8'), before);
  assert.deepEqual(same.urls, [], 'nothing connected');
});

test('--conn picks the recording\'s connection numbers; an unknown one and a bad --speed are usage errors', async () => {
  const unknown = await run(['replay', recording, '--conn', '9']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /--conn 9: no WebSocket connection 9 in .*; it has 1, 2/);
  const speed = await run(['replay', recording, '--speed', 'fast']);
  assert.equal(speed.code, 2);
  assert.match(speed.stderr, /--speed wants 1, 2 \(any positive factor\) or max; got "fast"/);
  assert.deepEqual(same.urls, [], 'nothing connected');
});

test('wss: a TLS target is replayed and recorded decrypted, as the proxy records it', async (t) => {
  const ca = testCa();
  const web = https.createServer(ca.leafFor(HOST));
  const wss = new WebSocketServer({ server: web });
  wss.on('connection', (ws, req) => {
    ws.send(`hello ${req.url}`);
    ws.on('message', (d: RawData, binary) => ws.send(d as Buffer, { binary }));
  });
  web.listen(0, HOST);
  await within(once(web, 'listening'), 'the https server listening');
  t.after(() => new Promise<void>((r) => {
    wss.close();
    web.close(() => r());
  }));
  // The CLI trusts the test CA the way a user would make Node trust one.
  process.env['NODE_EXTRA_CA_CERTS'] = ca.certPath;
  t.after(() => delete process.env['NODE_EXTRA_CA_CERTS']);
  const saved = path.join(sandbox.work, 'replayed-tls.jsonl');
  const r = await run(['replay', recording, '--conn', '1', '--target', `wss://${HOST}:${(web.address() as net.AddressInfo).port}`, '--save', saved]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const records = fs.readFileSync(saved, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; from?: string; text?: string; url?: string; kind?: string });
  assert.equal(records.find((x) => x.type === 'handshake')?.url, `wss://${HOST}:${(web.address() as net.AddressInfo).port}/chat?room=1`);
  // Each side's messages in order (how the two sides interleave depends on timing).
  const side = (from: string) => records.filter((x) => x.type === 'message' && x.from === from).map((x) => x.text ?? x.kind);
  assert.deepEqual(side('client'), ['one', 'binary', 'close']);
  assert.deepEqual(side('server'), ['hello /chat?room=1', 'one', 'binary', 'close']);
  assert.ok(fs.readFileSync(saved, 'utf8').includes('"type":"connect"') && /"type":"connect",[^\n]*"tls":true/.test(fs.readFileSync(saved, 'utf8')), 'the new connect record says it was TLS');
});

test('SIGINT during a replay: exit 130, the new session log closed whole with what was recorded', async () => {
  // A recording whose client speaks only 20 s after the handshake: the replay is still waiting when the signal comes.
  const records = (fs.readFileSync(recording, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; conn?: number; ts: number; from?: string }));
  const handshakeTs = records.find((r) => r.type === 'handshake' && r.conn === 1)!.ts;
  const slow = records.filter((r) => r.type === 'session' || r.conn === 1).map((r) => (r.type === 'message' && r.from === 'client' ? { ...r, ts: handshakeTs + 20_000 } : r));
  const slowFile = path.join(sandbox.work, 'slow.jsonl');
  fs.writeFileSync(slowFile, slow.map((r) => `${JSON.stringify(r)}\n`).join(''));
  const saved = path.join(sandbox.work, 'interrupted.jsonl');
  const proc = startCli(sandbox.home, ['replay', slowFile, '--save', saved]);
  await waitUntil('the replay connected', () => same.urls.length === 1);
  proc.child.kill('SIGINT');
  const r = await finished(proc, 10_000);
  same.urls.length = 0;
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /SIGINT: replay stopped; .*interrupted\.jsonl holds what was recorded until now/);
  const lines = fs.readFileSync(saved, 'utf8');
  assert.ok(lines.endsWith('\n'));
  const types = lines.trim().split('\n').map((l) => (JSON.parse(l) as { type: string }).type);
  assert.deepEqual(types.slice(0, 3), ['session', 'connect', 'handshake']);
});

test('the summary shows what the server sent terminal-safe: escapes and bidi controls made visible', async () => {
  const hostile = await server('\x1b[31m\u202e');
  try {
    const r = await run(['replay', recording, '--conn', '1', '--target', `ws://${HOST}:${hostile.port}`, '--speed', 'max']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /replayed: text 11 bytes "\\u001b\[31m\\u\{202e\}one"/);
    assert.doesNotMatch(r.stdout, /[\x1b\u202e]/);
  } finally {
    await hostile.close();
  }
});
