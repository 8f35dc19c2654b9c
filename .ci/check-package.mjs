#!/usr/bin/env node
// wspeek as a user gets it (`npm install -g wspeek`, `npx wspeek`): packed from this repository
// (its lifecycle scripts run, as for a release), installed without devDependencies into an empty
// folder outside it (so nothing of the development tree's node_modules can be found), and run from
// there: --help, the demo, and a short live capture between a real `ws` echo server and client.
// Every wait is bounded; everything listens on 127.0.0.1. The folder is removed on exit.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// The peers use the development tree's `ws`: they run here, in another process than wspeek.
import { WebSocket, WebSocketServer } from 'ws';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const HOST = '127.0.0.1';
const NPM_MS = 5 * 60_000;
const RUN_MS = 30_000;
const STEP_MS = 10_000;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wspeek-package-'));
const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

const say = (line) => process.stdout.write(`check-package: ${line}\n`);
const kB = (bytes) => `${(bytes / 1000).toFixed(1)} kB`;

// -- pack -----------------------------------------------------------------------------------------

say('npm pack');
const packOutput = execFileSync('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: NPM_MS });
const [packed] = JSON.parse(packOutput);
const files = packed.files.map((f) => f.path);
say(`${packed.filename}: ${kB(packed.size)} packed, ${kB(packed.unpackedSize)} unpacked, ${files.length} files`);
assert.deepEqual(files.filter((f) => f.startsWith('dist/test/') || f.startsWith('dist/bench/')), [], 'the package carries no tests and no bench');
assert.deepEqual(files.filter((f) => f.endsWith('.map')), [], 'the package carries no source maps (they would point at sources it does not ship)');
for (const f of ['dist/cli/main.js', 'dist/demo/demo-server.js', 'dist/demo/demo-client.js', 'dist/proxy/native-mask.js']) assert.ok(files.includes(f), `the package has ${f}`);

// -- install --------------------------------------------------------------------------------------

const app = path.join(tmp, 'app');
const home = path.join(tmp, 'home');
fs.mkdirSync(app);
fs.mkdirSync(home);
// A package.json of its own, so npm installs here and not into a project it finds further up.
fs.writeFileSync(path.join(app, 'package.json'), '{ "name": "wspeek-package-check", "private": true }\n');
say(`npm install --omit=dev ${packed.filename} (its output is what a user sees)`);
execFileSync('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', path.join(tmp, packed.filename)], { cwd: app, stdio: ['ignore', 'inherit', 'inherit'], timeout: NPM_MS });
const bin = path.join(app, 'node_modules', '.bin', 'wspeek');
assert.ok(fs.existsSync(bin), 'npm linked the wspeek command');
const bufferutil = execFileSync(process.execPath, ['-e', "const b = require('bufferutil'); process.stdout.write(b.mask === require('bufferutil/fallback').mask ? 'its JavaScript fallback only' : 'its native binary loads')"], { cwd: app, encoding: 'utf8', timeout: STEP_MS });
say(`bufferutil in the install: ${bufferutil}`);

// -- run ------------------------------------------------------------------------------------------

/** The installed command, from the install folder, with its own HOME and nothing inherited that changes how Node resolves or runs. */
function start(args) {
  const env = { ...process.env, HOME: home, USERPROFILE: home, NO_COLOR: '1' };
  delete env.NODE_PATH;
  delete env.NODE_OPTIONS;
  const child = spawn(bin, args, { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const output = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (d) => (output.stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (output.stderr += d));
  const done = new Promise((resolve) => child.on('close', (code, signal) => {
    children.delete(child);
    resolve({ code, signal, ...output });
  }));
  return { child, output, done };
}

function within(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function run(args) {
  return within(start(args).done, RUN_MS, `wspeek ${args.join(' ')}`);
}

say('wspeek --help');
const help = await run(['--help']);
assert.equal(help.code, 0, `--help exits 0: ${help.stderr}`);
for (const line of ['wspeek — see every WebSocket frame', 'wspeek demo', 'wspeek open <file>', 'wspeek ca', '--target']) assert.ok(help.stdout.includes(line), `--help prints "${line}"`);

say('wspeek demo --no-tui');
const demo = await run(['demo', '--no-tui']);
assert.equal(demo.code, 0, `the demo exits 0: ${demo.stderr}`);
assert.match(demo.stderr, /^listening on 127\.0\.0\.1:\d+$/m);
for (const line of [
  /wspeek demo mode on 127\.0\.0\.1:\d+ → http:\/\/127\.0\.0\.1:\d+/,
  /#\d+ GET http:\/\/127\.0\.0\.1:\d+\/ → 200/,
  /s→c text +12 B .*"Hello, world"/,
  /c→s text +33 B .*"Hello from the wspeek demo client"/,
  /s→c pong .*\[rtt /,
  /c→s close +5 B +1000 Normal Closure "bye"/,
  /s→c close +27 B +4001 Private use "kicked by the demo server"/,
]) assert.match(demo.stdout, line);

say('wspeek --target ws://… --no-tui --save LOG: a live capture between a ws echo server and client');
const log = path.join(tmp, 'capture.jsonl');
const sent = ['hello through the installed wspeek', JSON.stringify({ type: 'subscribe', channel: 'prices' }), Buffer.alloc(4096, 0xa5)];
const echoServer = new WebSocketServer({ host: HOST, port: 0 });
echoServer.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
await within(new Promise((r) => echoServer.once('listening', r)), STEP_MS, 'the echo server listens');
try {
  const capture = start(['--target', `ws://${HOST}:${echoServer.address().port}`, '--listen', `${HOST}:0`, '--no-tui', '--save', log]);
  const port = await within(new Promise((resolve, reject) => {
    const look = () => {
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(capture.output.stderr);
      if (m) resolve(Number(m[1]));
    };
    capture.child.stderr.on('data', look);
    capture.done.then((r) => reject(new Error(`wspeek exited (${r.code}) before listening: ${r.stderr}`)));
    look();
  }), STEP_MS, '"listening on 127.0.0.1:PORT" on stderr');

  const client = new WebSocket(`ws://${HOST}:${port}/`);
  const echoes = [];
  client.on('message', (data) => echoes.push(data));
  await within(new Promise((resolve, reject) => {
    client.once('open', resolve);
    client.once('error', reject);
  }), STEP_MS, 'the client connects through wspeek');
  for (const m of sent) client.send(m);
  await within(new Promise((resolve) => client.on('message', () => echoes.length === sent.length && resolve())), STEP_MS, 'the echoes');
  client.close(1000, 'done');
  await within(new Promise((resolve) => client.once('close', resolve)), STEP_MS, 'the close handshake');

  capture.child.kill('SIGINT');
  const stopped = await within(capture.done, STEP_MS, 'wspeek exits after SIGINT');
  assert.equal(stopped.code, 0, `wspeek exits 0 after SIGINT: ${stopped.stderr}`);
} finally {
  for (const ws of echoServer.clients) ws.terminate();
  await within(new Promise((r) => echoServer.close(r)), STEP_MS, 'the echo server closes');
}

say('wspeek open LOG --json');
const opened = await run(['open', log, '--json']);
assert.equal(opened.code, 0, `open exits 0: ${opened.stderr}`);
const records = opened.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line));
assert.equal(records[0].type, 'session');
assert.equal(records[0].mode, 'reverse');
const payload = (r) => (r.text !== undefined ? r.text : Buffer.from(r.base64, 'base64'));
for (const from of ['client', 'server']) {
  const messages = records.filter((r) => r.type === 'message' && r.from === from && (r.kind === 'text' || r.kind === 'binary')).map(payload);
  assert.deepEqual(messages, sent, `the ${from}'s messages, in the saved log`);
}
const closes = records.filter((r) => r.type === 'message' && r.kind === 'close').map((r) => `${r.from} ${r.close.code} ${r.close.reason}`);
assert.deepEqual(closes, ['client 1000 done', 'server 1000 done']);

// -- only `wspeek demo` needs ws ------------------------------------------------------------------

say('without ws in the install: the other commands still run, as they never load the demo');
fs.rmSync(path.join(app, 'node_modules', 'ws'), { recursive: true });
const helpWithoutWs = await run(['--help']);
assert.equal(helpWithoutWs.code, 0, `--help without ws: ${helpWithoutWs.stderr}`);
const openWithoutWs = await run(['open', log, '--json']);
assert.equal(openWithoutWs.code, 0, `open without ws: ${openWithoutWs.stderr}`);
assert.equal(openWithoutWs.stdout, opened.stdout);
const demoWithoutWs = await run(['demo', '--no-tui']);
assert.notEqual(demoWithoutWs.code, 0, 'the demo does need ws');
assert.match(demoWithoutWs.stderr, /Cannot find package 'ws'/);

say('ok');
