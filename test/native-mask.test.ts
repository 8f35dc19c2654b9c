import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { unmaskImplementation, useNativeMask } from '../core/websocket/unmask.js';
import { loadNativeMask, type RequireModule } from '../proxy/native-mask.js';
import { finished, listeningPort, ROOT, startCli, useCliSandbox } from './support/cli-process.js';
import { HOST } from './support/raw-peers.js';
import { waitUntil, within } from './support/wait.js';

const sandbox = useCliSandbox('native-mask');
const realRequire = createRequire(import.meta.url);

/** Preloads for the CLI: one makes resolving bufferutil fail, one prints which unmasking ran on exit. */
const WITHOUT_BUFFERUTIL = pathToFileURL(path.join(ROOT, 'dist', 'test', 'support', 'without-bufferutil.js')).href;
const REPORT_UNMASK = pathToFileURL(path.join(ROOT, 'dist', 'test', 'support', 'report-unmask.js')).href;

// bufferutil ships prebuilt binaries for these; elsewhere only a build by its install script gives one.
const PREBUILT = ['linux-x64', 'darwin-x64', 'darwin-arm64', 'win32-x64', 'win32-ia32'];
const prebuilt = PREBUILT.includes(`${process.platform}-${process.arch}`);

test('loadNativeMask gives bufferutil\'s native mask where it has a prebuilt binary, and it XORs with the key', { skip: !prebuilt && 'no bufferutil prebuild for this platform' }, () => {
  const mask = loadNativeMask();
  assert.ok(mask, 'the native mask loads');
  assert.notEqual(mask, (realRequire('bufferutil/fallback') as { mask: unknown }).mask, 'not bufferutil\'s JavaScript fallback');
  const source = Buffer.from('7f9f4d5158', 'hex'); // RFC 6455 §5.7: "Hello" masked with 37 fa 21 3d
  const out = Buffer.alloc(7, 0xee);
  mask(source, Buffer.from('37fa213d', 'hex'), out, 1, 5);
  assert.equal(out.subarray(1, 6).toString(), 'Hello');
  assert.deepEqual([out[0], out[6]], [0xee, 0xee]);
});

test('loadNativeMask gives null when bufferutil can\'t be required, and the core then unmasks in JavaScript', () => {
  const seen: string[] = [];
  const missing: RequireModule = (id) => {
    seen.push(id);
    throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
  };
  const mask = loadNativeMask(missing);
  assert.equal(mask, null);
  assert.deepEqual(seen, ['bufferutil']);
  useNativeMask(() => {});
  useNativeMask(mask);
  assert.equal(unmaskImplementation(), 'javascript');
});

test('loadNativeMask gives null when bufferutil hands out its own JavaScript fallback (no binary loads)', () => {
  const fallback = realRequire('bufferutil/fallback') as unknown;
  const withoutBinary: RequireModule = (id) => {
    assert.ok(id === 'bufferutil' || id === 'bufferutil/fallback', id);
    return fallback;
  };
  assert.equal(loadNativeMask(withoutBinary), null);
});

/**
 * Runs `wspeek --target ws://…` headless (`--json`) with the given node preloads in front of a
 * `ws` echo server, sends `payload` as one masked binary message from a `ws` client, stops the
 * CLI with SIGINT and returns what it decoded of the client's message, and its stderr.
 */
async function captureThroughCli(preloads: string[], payload: Buffer): Promise<{ decoded: Buffer; stderr: string }> {
  const wss = new WebSocketServer({ host: HOST, port: 0, perMessageDeflate: false });
  wss.on('connection', (ws) => ws.on('message', (data: RawData, isBinary) => ws.send(data, { binary: isBinary })));
  await within(new Promise<void>((r) => wss.once('listening', () => r())), 'echo server listening');
  const nodeArgs = preloads.flatMap((p) => ['--import', p]);
  const proc = startCli(sandbox.home, ['--target', `ws://${HOST}:${(wss.address() as { port: number }).port}`, '--listen', `${HOST}:0`, '--json'], nodeArgs);
  let client: WebSocket | undefined;
  try {
    const port = await listeningPort(proc);
    assert.ok(port > 0, `wspeek listens: ${proc.output.stderr}`);
    client = new WebSocket(`ws://${HOST}:${port}/`, { perMessageDeflate: false });
    client.on('error', () => {});
    const echo = new Promise<Buffer>((r) => client!.once('message', (d: RawData) => r(d as Buffer)));
    await within(new Promise<void>((r, reject) => {
      client!.once('open', () => r());
      client!.once('close', () => reject(new Error('the client connection closed before it opened')));
    }), 'client open');
    client.send(payload);
    assert.ok((await within(echo, 'the echo')).equals(payload), 'the echo is the message sent');
    await waitUntil('the echo decoded', () => (proc.output.stdout.match(/"type":"message"/g) ?? []).length === 2);
    proc.child.kill('SIGINT');
    const run = await finished(proc, 5000, 'wspeek exits after SIGINT');
    assert.equal(run.code, 0, run.stderr);
    const records = run.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; from?: string; base64?: string; length?: number });
    const sent = records.filter((r) => r.type === 'message' && r.from === 'client');
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.length, payload.length);
    return { decoded: Buffer.from(sent[0]!.base64 ?? '', 'base64'), stderr: run.stderr };
  } finally {
    client?.terminate();
    for (const ws of wss.clients) ws.terminate();
    await within(new Promise<void>((r) => wss.close(() => r())), 'echo server close').catch(() => {});
  }
}

test('the CLI unmasks in JavaScript where bufferutil can\'t be resolved: a masked 64 KiB client message decodes exactly', async () => {
  const payload = crypto.randomBytes(64 * 1024);
  const { decoded, stderr } = await captureThroughCli([WITHOUT_BUFFERUTIL, REPORT_UNMASK], payload);
  assert.match(stderr, /^unmask: javascript$/m);
  assert.ok(decoded.equals(payload), 'the decoded payload is the one sent');
});

test('the CLI unmasks with bufferutil where its prebuilt binary loads: the same message decodes exactly', { skip: !prebuilt && 'no bufferutil prebuild for this platform' }, async () => {
  const payload = crypto.randomBytes(64 * 1024);
  const { decoded, stderr } = await captureThroughCli([REPORT_UNMASK], payload);
  assert.match(stderr, /^unmask: native$/m);
  assert.ok(decoded.equals(payload), 'the decoded payload is the one sent');
});
