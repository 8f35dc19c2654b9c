import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { FILTER_HELP } from '../core/filter/filter-help.js';
import { CA_PAGE_URL, setupCodeLines } from '../tui/setup-codes.js';
import { problemLines } from '../cli/commands.js';
import { finished, listeningPort, ROOT, RUN_MS, startCli, useCliSandbox, type CliProcess, type CliRun as Run } from './support/cli-process.js';
import { waitUntil } from './support/wait.js';

const sandbox = useCliSandbox('cli');

function start(args: string[]): CliProcess {
  return startCli(sandbox.home, args);
}

/** Runs the CLI to completion; kills it and fails if it takes longer than `ms`. */
function run(args: string[], ms = RUN_MS): Promise<Run> {
  return finished(start(args), ms, `wspeek ${args.join(' ')} exits`);
}

/** Asserts a usage error: exit code 2 and exactly one line on stderr, matching `pattern`. */
function assertUsageError(r: Run, pattern: RegExp): void {
  assert.equal(r.code, 2, `exit code 2 (stderr: ${r.stderr})`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${JSON.stringify(r.stderr)}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

type Rec = { type: string; conn?: number; [k: string]: unknown };

// -- one demo session, shared by the tests that read it ---------------------------------------

let demoFile: string | undefined;
let demoRun: Run | undefined;

async function demoSession(): Promise<{ file: string; run: Run }> {
  if (!demoFile) {
    demoFile = path.join(sandbox.work, 'demo.jsonl');
    demoRun = await run(['demo', '--json', '--save', demoFile]);
  }
  return { file: demoFile, run: demoRun! };
}

// ---------------------------------------------------------------------------------------------

test('--help exits 0 and lists the commands', async () => {
  const r = await run(['--help']);
  assert.equal(r.code, 0, r.stderr);
  for (const command of ['proxy', 'open <file>', 'demo', 'ca']) assert.ok(r.stdout.includes(`wspeek ${command}`), `--help lists ${command}`);
  for (const option of ['--listen', '--target', '--save', '--json', '--filter', '--insecure', '--ca-dir', '--max-payload']) {
    assert.ok(r.stdout.includes(option), `--help lists ${option}`);
  }
});

test('usage errors: unknown flag, bad --target, bad --listen, bad --max-payload exit 2 with one line', async () => {
  assertUsageError(await run(['--bogus', '--listen', '127.0.0.1:0']), /Unknown argument: bogus$/);
  assertUsageError(await run(['--target', 'ftp://x', '--listen', '127.0.0.1:0']), /--target.*(ws:\/\/|wss:\/\/).*ftp:/);
  assertUsageError(await run(['--target', 'not a url', '--listen', '127.0.0.1:0']), /--target/);
  assertUsageError(await run(['--listen', 'nowhere:99999']), /--listen/);
  assertUsageError(await run(['--listen', '127.0.0.1:0', '--max-payload', '-5', '--target', 'ws://127.0.0.1:1']), /--max-payload/);
  assertUsageError(await run(['open']), /file|argument/i);
  assertUsageError(await run(['open', path.join(sandbox.work, 'no-such-file.jsonl')]), /cannot read/);
});

test('--listen on a port in use exits 2 with "already in use"', async () => {
  const blocker = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      blocker.once('error', reject);
      blocker.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = blocker.address() as net.AddressInfo;
    const r = await run(['--listen', `127.0.0.1:${port}`, '--target', 'ws://127.0.0.1:1', '--no-tui']);
    assertUsageError(r, /already in use/);
    assert.ok(r.stderr.includes(String(port)));
  } finally {
    await new Promise<void>((r) => blocker.close(() => r()));
  }
});

test('--save to an existing file exits 2 and leaves the file alone', async () => {
  const file = path.join(sandbox.work, 'existing.jsonl');
  const content = '{"type":"session","note":"precious"}\n';
  fs.writeFileSync(file, content);
  const before = fs.statSync(file);
  const r = await run(['--listen', '127.0.0.1:0', '--target', 'ws://127.0.0.1:1', '--save', file, '--no-tui']);
  assertUsageError(r, /already exists/);
  assert.equal(fs.readFileSync(file, 'utf8'), content);
  assert.equal(fs.statSync(file).mtimeMs, before.mtimeMs);
  assert.equal(r.stdout, '');
});

test('demo --json --save: stdout is the saved log, line for line, and it is a whole session', async () => {
  const { file, run: r } = await demoSession();
  assert.equal(r.code, 0, r.stderr);
  const saved = fs.readFileSync(file, 'utf8');
  assert.ok(saved.endsWith('\n'));
  assert.deepEqual(lines(r.stdout), lines(saved), 'stdout JSONL equals the file');
  const records = lines(saved).map((l) => JSON.parse(l) as Rec);
  const session = records[0]!;
  assert.equal(session.type, 'session');
  assert.equal(session.mode, 'demo');
  assert.equal(session.tool, 'wspeek');
  const listen = /^127\.0\.0\.1:(\d+)$/.exec(String(session.listen));
  assert.ok(listen && Number(listen[1]) > 0, `listen port resolved: ${String(session.listen)}`);
  assert.match(r.stderr, new RegExp(`listening on ${String(session.listen).replace(/\./g, '\\.')}`));
  assert.equal(records.filter((x) => x.type === 'session').length, 1);
  for (const type of ['connect', 'handshake', 'message', 'end']) assert.ok(records.some((x) => x.type === type), `a ${type} record`);
  // Every WebSocket connection that was opened also ended, cleanly, in the demo.
  const handshakes = records.filter((x) => x.type === 'handshake');
  assert.equal(handshakes.length, 3);
  for (const h of handshakes) {
    const end = records.find((x) => x.type === 'end' && x.conn === h.conn);
    assert.ok(end, `end record for #${h.conn}`);
    assert.equal(end.clean, true);
  }
  const texts = records.filter((x) => x.type === 'message').map((x) => x.text);
  assert.ok(texts.includes('fragmented into three frames'));
  assert.ok(texts.includes('Hello, world'));
  // The JSON-RPC connection's messages carry what the protocol says, written by --save and --json alike.
  const rpc = records.filter((x) => x.type === 'message' && Array.isArray(x.app) && (x.app as Array<{ protocol: string }>)[0]!.protocol === 'json-rpc');
  assert.equal(rpc.length, 5, 'a call and its reply, a notification, a batch and its reply');
  // Records are in order of observation.
  const ts = records.map((x) => x.ts as number);
  assert.ok(ts.every((t) => typeof t === 'number' && Number.isFinite(t)));
});

test('open FILE --json reproduces the saved records exactly; --no-tui prints lines', async () => {
  const { file } = await demoSession();
  const saved = fs.readFileSync(file, 'utf8');
  const json = await run(['open', file, '--json']);
  assert.equal(json.code, 0, json.stderr);
  assert.equal(json.stdout, saved);
  assert.equal(json.stderr, '');

  const text = await run(['open', file, '--no-tui']);
  assert.equal(text.code, 0, text.stderr);
  const out = lines(text.stdout);
  assert.ok(out.length >= 10, `lines printed: ${out.length}`);
  assert.ok(out.every((l) => !l.startsWith('{')), 'human-readable lines, not JSON');
  assert.match(text.stdout, /handshake/);
  assert.match(text.stdout, /Hello, world/);
  assert.equal(fs.readFileSync(file, 'utf8'), saved, 'open never writes the file');
});

test('open FILE --filter: the parsed filter decides the messages shown; a blank one shows everything', async () => {
  const { file } = await demoSession();
  const saved = fs.readFileSync(file, 'utf8');
  const messages = lines(saved).map((l) => JSON.parse(l) as Rec).filter((x) => x.type === 'message');
  const filtered = await run(['open', file, '--json', '--filter', 'server text']);
  assert.equal(filtered.code, 0, filtered.stderr);
  const shown = lines(filtered.stdout).map((l) => JSON.parse(l) as Rec).filter((x) => x.type === 'message');
  assert.deepEqual(shown, messages.filter((m) => m.from === 'server' && m.kind === 'text'));
  assert.ok(shown.length > 0 && shown.length < messages.length);
  const blank = await run(['open', file, '--json', '--filter', ' ']);
  assert.equal(blank.stdout, saved);
});

test('open on a log whose last line is torn: the earlier records, and the torn line reported on stderr', async () => {
  const { file } = await demoSession();
  const saved = fs.readFileSync(file, 'utf8');
  const torn = path.join(sandbox.work, 'torn.jsonl');
  const half = '{"type":"message","conn":2,"ts":1700000000000.5,"from":"client","kind":"te';
  fs.writeFileSync(torn, saved + half);
  const n = lines(saved).length;
  const r = await run(['open', torn, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, saved, 'every whole record is shown');
  assert.match(r.stderr, new RegExp(`:${n + 1}:`), 'names the torn line');
  assert.match(r.stderr, /incomplete|torn|interrupted/i);
});

test('SIGINT: the live proxy ends its connections, writes their end records, closes the log whole, exits 0', async () => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  let client: WebSocket | undefined;
  let proc: ReturnType<typeof start> | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', () => resolve());
      wss.once('error', reject);
    });
    wss.on('connection', (ws) => {
      ws.on('error', () => {});
      ws.on('message', (d: RawData, isBinary: boolean) => ws.send(d, { binary: isBinary }));
    });
    const upstreamPort = (wss.address() as net.AddressInfo).port;
    const file = path.join(sandbox.work, 'sigint.jsonl');
    const harFile = path.join(sandbox.work, 'sigint.har');
    proc = start(['--target', `ws://127.0.0.1:${upstreamPort}`, '--listen', '127.0.0.1:0', '--save', file, '--save-har', harFile, '--no-tui']);
    const output = proc.output;
    const port = await listeningPort(proc);
    assert.ok(port > 0, `port from stderr: ${output.stderr}`);

    client = new WebSocket(`ws://127.0.0.1:${port}/live`, { perMessageDeflate: false });
    const c = client;
    c.on('error', () => {});
    const received: string[] = [];
    c.on('message', (d: RawData) => received.push(d.toString()));
    await waitUntil('client open', () => c.readyState === WebSocket.OPEN || c.readyState === WebSocket.CLOSED, RUN_MS);
    assert.equal(c.readyState, WebSocket.OPEN);
    for (const m of ['one', 'two', 'three']) c.send(m);
    await waitUntil('echoes', () => received.length === 3, RUN_MS);
    await waitUntil('the echoes printed', () => (output.stdout.match(/"three"/g) ?? []).length === 2, 5000);
    const clientClosed = new Promise<number>((r) => c.once('close', (code) => r(code)));

    assert.ok(proc.child.kill('SIGINT'));
    const r = await Promise.race([
      proc.done,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('wspeek did not exit within 5 s of SIGINT')), 5000)),
    ]);
    assert.equal(r.signal, null);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`^point your client at ws://127\\.0\\.0\\.1:${port}/ instead of ws://127\\.0\\.0\\.1:${upstreamPort}/$`, 'm'), 'where to point the client');
    assert.match(r.stderr, /\ncaptured 1 connection \(1 WebSocket\), 6 messages; session log \S*sigint\.jsonl \(\d[^)]*\)\n$/, 'what was captured, said last');
    await Promise.race([clientClosed, new Promise((r2) => setTimeout(r2, 3000))]);
    assert.equal(c.readyState, WebSocket.CLOSED, 'the client connection was ended');

    const text = fs.readFileSync(file, 'utf8');
    assert.ok(text.endsWith('\n'), 'the log ends with a whole line');
    const records = lines(text).map((l, i) => {
      try {
        return JSON.parse(l) as Rec;
      } catch (err) {
        throw new Error(`line ${i + 1} of the log is not JSON: ${(err as Error).message}`);
      }
    });
    assert.equal(records[0]!.type, 'session');
    assert.equal(records[0]!.mode, 'reverse');
    const hs = records.find((x) => x.type === 'handshake');
    assert.ok(hs);
    const msgs = records.filter((x) => x.type === 'message' && x.conn === hs.conn).map((x) => `${String(x.from)}:${String(x.text)}`);
    assert.deepEqual(msgs.filter((m) => m.startsWith('client:')), ['client:one', 'client:two', 'client:three']);
    assert.deepEqual(msgs.filter((m) => m.startsWith('server:')), ['server:one', 'server:two', 'server:three']);
    assert.equal(msgs.length, 6);
    const ends = records.filter((x) => x.type === 'end' && x.conn === hs.conn);
    assert.equal(ends.length, 1, 'one end record for the connection');
    assert.equal(ends[0]!.by, 'proxy');
    assert.match(String(ends[0]!.reason), /SIGINT/);
    assert.equal(records.at(-1)!.type, 'end');

    // --save-har: written when the capture ended, the same messages, the connection ended without a close frame.
    const har = JSON.parse(fs.readFileSync(harFile, 'utf8')) as { log: { entries: Array<{ _webSocketMessages: Array<{ type: string; data: string }>; _webSocketClose: unknown }> } };
    assert.equal(har.log.entries.length, 1);
    const harMessages = har.log.entries[0]!._webSocketMessages.map((m) => `${m.type}:${m.data}`);
    assert.deepEqual(harMessages.filter((m) => m.startsWith('send:')), ['send:one', 'send:two', 'send:three']);
    assert.deepEqual(harMessages.filter((m) => m.startsWith('receive:')), ['receive:one', 'receive:two', 'receive:three']);
    assert.equal(har.log.entries[0]!._webSocketClose, 'aborted');
  } finally {
    client?.terminate();
    if (proc && proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
  }
});

test('ca --ca-dir DIR prints the CA certificate and creates DIR 0700 with a 0600 key', async () => {
  const dir = path.join(sandbox.work, 'ca', 'nested');
  const r = await run(['ca', '--ca-dir', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n$/);
  const cert = new crypto.X509Certificate(r.stdout);
  assert.match(cert.subject, /CN=wspeek CA/);
  assert.equal(cert.ca, true);
  assert.equal(cert.fingerprint256, new crypto.X509Certificate(fs.readFileSync(path.join(dir, 'ca.pem'))).fingerprint256);
  if (process.platform !== 'win32') {
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    assert.equal(fs.statSync(path.join(dir, 'ca-key.pem')).mode & 0o777, 0o600);
  }
  assert.match(r.stderr, /SHA-256 fingerprint/);
  // A second run loads the same CA.
  const again = await run(['ca', '--ca-dir', dir]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout, r.stdout);
});

const hasOpenssl = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;

test("ca --android prints <subject_hash_old>.0, as openssl x509 -subject_hash_old names it, and the adb commands that install it", async (t) => {
  const dir = path.join(sandbox.work, 'ca-android');
  const r = await run(['ca', '--android', '--ca-dir', dir]);
  assert.equal(r.code, 0, r.stderr);
  const [file, ...commands] = lines(r.stdout);
  assert.match(file!, /^[0-9a-f]{8}\.0$/);
  const pem = path.join(dir, 'ca.pem');
  assert.deepEqual(commands, [
    'adb root',
    'adb remount',
    `adb push ${pem} /system/etc/security/cacerts/${file}`,
    `adb shell chmod 644 /system/etc/security/cacerts/${file}`,
    'adb reboot',
  ]);
  assert.match(r.stderr, /Android 14 and later read system CAs from \/apex\/com\.android\.conscrypt\/cacerts/);
  if (!hasOpenssl) return t.skip('openssl is not installed: the hash is not compared with its -subject_hash_old');
  const openssl = spawnSync('openssl', ['x509', '-in', pem, '-subject_hash_old', '-noout'], { encoding: 'utf8' });
  assert.equal(openssl.status, 0, openssl.stderr);
  assert.equal(file, `${openssl.stdout.trim()}.0`);
});

test('a forward proxy on every interface prints QR codes of a LAN address and the CA page after the LAN line; on loopback it prints none', async (t) => {
  const lan = Object.values(os.networkInterfaces()).flat().find((a) => a && !a.internal && a.family === 'IPv4')?.address;
  if (lan === undefined) return t.skip('no non-loopback IPv4 address: nothing for the codes to show');
  const proc = start(['--listen', '0.0.0.0:0', '--no-tui', '--ca-dir', path.join(sandbox.work, 'ca-qr')]);
  try {
    await waitUntil('the forward proxy line', () => /forward proxy: /.test(proc.output.stderr) || proc.child.exitCode !== null);
    const port = /listening on 0\.0\.0\.0:(\d+)/.exec(proc.output.stderr)?.[1];
    assert.ok(port, proc.output.stderr);
    const err = proc.output.stderr;
    const codes = setupCodeLines({ proxy: `${lan}:${port}`, caPage: CA_PAGE_URL }, 80, Infinity);
    assert.ok('lines' in codes);
    const at = err.indexOf(codes.lines.join('\n'));
    assert.ok(at > 0, `the codes on stderr:\n${err}`);
    assert.ok(err.indexOf("point the phone's proxy at one of:") < at, 'after the LAN addresses line');
    assert.match(codes.lines[0]!, new RegExp(`^proxy ${lan.replace(/\./g, '\\.')}:${port} +CA page http://wspeek\\.ca/$`));
  } finally {
    proc.child.kill('SIGINT');
    await finished(proc);
  }
  const loopback = start(['--listen', '127.0.0.1:0', '--no-tui', '--ca-dir', path.join(sandbox.work, 'ca-qr')]);
  try {
    await waitUntil('the forward proxy line', () => /forward proxy: /.test(loopback.output.stderr) || loopback.child.exitCode !== null);
    assert.doesNotMatch(loopback.output.stderr, /[▀▄█]/);
  } finally {
    loopback.child.kill('SIGINT');
    await finished(loopback);
  }
});

test('--filter with a syntax error exits 2 and shows where the error is', async () => {
  const r = await run(['--filter', 'kind:(', '--listen', '127.0.0.1:0', '--target', 'ws://127.0.0.1:1', '--no-tui']);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, '');
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.match(r.stderr, /--filter/);
  const errLines = r.stderr.split('\n');
  const sourceLine = errLines.findIndex((l) => l.includes('kind:('));
  assert.ok(sourceLine >= 0, `the filter is echoed: ${r.stderr}`);
  // A caret line under the source points at the offending position.
  const caretLine = errLines[sourceLine + 1] ?? '';
  const caret = caretLine.indexOf('^');
  assert.ok(caret >= 0, `a caret marks the position: ${r.stderr}`);
  const column = caret - errLines[sourceLine]!.indexOf('kind:(');
  assert.ok(column >= 'kind:'.length && column <= 'kind:('.length, `the caret is at or after "kind:" (column ${column})`);
  // Filters also apply to open.
  const { file } = await demoSession();
  const open = await run(['open', file, '--filter', 'kind:(']);
  assert.equal(open.code, 2);
});

test('a forward proxy checks its CA before it listens: created on first use, refused with the fix when stored insecurely', { skip: process.platform === 'win32' }, async () => {
  const dir = path.join(sandbox.work, 'forward-ca');
  // First use: the CA exists, 0700 and 0600, by the time the proxy says where it listens.
  const first = start(['--listen', '127.0.0.1:0', '--no-tui', '--ca-dir', dir]);
  const port = await listeningPort(first);
  assert.ok(port > 0, first.output.stderr);
  assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
  assert.equal(fs.statSync(path.join(dir, 'ca-key.pem')).mode & 0o777, 0o600);
  first.child.kill('SIGTERM');
  assert.equal((await finished(first)).code, 0);

  fs.chmodSync(path.join(dir, 'ca-key.pem'), 0o644);
  const key = await run(['--listen', '127.0.0.1:0', '--no-tui', '--ca-dir', dir]);
  assertUsageError(key, new RegExp(`chmod 600 ${path.join(dir, 'ca-key.pem').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`));
  assert.doesNotMatch(key.stderr, /listening on/, 'refused before listening');
  fs.chmodSync(path.join(dir, 'ca-key.pem'), 0o600);

  fs.chmodSync(dir, 0o755);
  const directory = await run(['--listen', '127.0.0.1:0', '--no-tui', '--ca-dir', dir]);
  assertUsageError(directory, /chmod 700 /);
  assert.doesNotMatch(directory.stderr, /listening on/);

  // Reverse mode intercepts no TLS: it neither needs nor checks the CA.
  const reverse = start(['--listen', '127.0.0.1:0', '--no-tui', '--ca-dir', dir, '--target', 'ws://127.0.0.1:1']);
  assert.ok(await listeningPort(reverse) > 0, reverse.output.stderr);
  reverse.child.kill('SIGTERM');
  assert.equal((await finished(reverse)).code, 0);
});

test('a client rejecting wspeek\'s certificate gets a hint on stderr once per host, with --json too; --pass is forward mode only and checks its patterns', async () => {
  const tls = await import('node:tls');
  const { connectTunnel } = await import('./support/raw-peers.js');
  const dir = path.join(sandbox.work, 'hint-ca');
  const proxy = start(['--listen', '127.0.0.1:0', '--json', '--ca-dir', dir, '--pass', '*.passed.test']);
  const port = await listeningPort(proxy);
  assert.ok(port > 0, proxy.output.stderr);
  // Two clients trusting only the system CAs, to the same host: both rejected, one hint.
  for (let i = 0; i < 2; i++) {
    const raw = await connectTunnel(port, '127.0.0.1:443');
    const client = tls.connect({ socket: raw, servername: 'distrust.test' });
    await new Promise((r) => client.once('error', r));
    client.destroy();
  }
  await waitUntil('two rejected tunnels', () => (proxy.output.stdout.match(/"tls":"rejected"/g) ?? []).length === 2);
  await waitUntil('the hint', () => /distrust\.test rejected wspeek's certificate/.test(proxy.output.stderr));
  proxy.child.kill('SIGTERM');
  const r = await finished(proxy);
  assert.equal(r.code, 0);
  assert.equal(r.stderr.match(/rejected wspeek's certificate/g)?.length, 1, r.stderr);
  assert.match(r.stderr, /^wspeek: distrust\.test rejected wspeek's certificate \(the client closed the connection during the handshake\)\. .*--pass distrust\.test \(or --pass-rejected\)\.$/m);

  assertUsageError(await run(['--listen', '127.0.0.1:0', '--no-tui', '--ca-dir', dir, '--pass', '/(/']), /--pass "\/\(\/" is not a valid regular expression/);
  assertUsageError(await run(['--listen', '127.0.0.1:0', '--no-tui', '--target', 'ws://127.0.0.1:1', '--pass-rejected']), /forward mode only/);
});

test('open refuses what is neither a wspeek session log nor a HAR file, in one line with exit 2: a README, package.json, another tool\'s JSON lines, an empty file', async () => {
  const write = (name: string, content: string) => {
    const p = path.join(sandbox.work, name);
    fs.writeFileSync(p, content);
    return p;
  };
  const cases: Array<[string, RegExp]> = [
    [path.join(ROOT, 'README.md'), /README\.md is not a wspeek session log: its first line is not JSON: "# wspeek"$/],
    [path.join(ROOT, 'package.json'), /package\.json is not a wspeek session log: its first line is not JSON: "\{"; nor a HAR file: it has no log\.entries \(a HAR file has\)$/],
    [write('other.jsonl', '{"level":"info","msg":"started"}\n{"level":"info","msg":"done"}\n'), /other\.jsonl is not a wspeek session log: its first line is not wspeek's session record.*; nor a HAR file: it is not JSON/],
    [write('empty.jsonl', ''), /empty\.jsonl is not a wspeek session log: it is empty$/],
  ];
  for (const [file, why] of cases) {
    for (const view of [['--no-tui'], ['--json']]) {
      const r = await run(['open', file, ...view]);
      assertUsageError(r, why);
      assert.equal(r.stdout, '', 'nothing is shown');
    }
  }
});

test('count flags take the filter\'s units; a bad flag value is echoed as typed, with a hint for a target without a scheme', async () => {
  assertUsageError(await run(['--keep', 'abc', '--listen', '127.0.0.1:0', '--target', 'ws://127.0.0.1:1']), /^wspeek: --keep wants a whole number of at least 1 .*; got "abc"$/);
  assertUsageError(await run(['--max-payload', '1x', '--listen', '127.0.0.1:0', '--target', 'ws://127.0.0.1:1']), /--max-payload .*got "1x"$/);
  assertUsageError(await run(['-t', 'localhost:3000', '--listen', '127.0.0.1:0']), /got "localhost:3000" \(did you mean ws:\/\/localhost:3000\?\)$/);
  // 1k is 1024: the demo's 4,200-byte text message is kept to its first 1,024 bytes.
  const r = await run(['demo', '--json', '--max-payload', '1k']);
  assert.equal(r.code, 0, r.stderr);
  const long = lines(r.stdout).map((l) => JSON.parse(l) as Rec).find((x) => x.type === 'message' && x.length === 4200);
  assert.ok(long, 'the 4,200-byte message');
  assert.equal(long.truncated, true);
  assert.equal(String(long.text).length, 1024);
});

test('--help shows examples and points at the filter syntax, which `help filter` prints row for row', async () => {
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Examples:\n +wspeek -t ws:\/\/localhost:3000 /);
  assert.match(help.stdout, /wspeek help filter/);
  const filter = await run(['help', 'filter']);
  assert.equal(filter.code, 0, filter.stderr);
  for (const [syntax, meaning] of FILTER_HELP) assert.match(filter.stdout, new RegExp(`\\n  ${escape(syntax)} +${escape(meaning)}\\n`), syntax);
  assertUsageError(await run(['help', 'keys']), /no help on "keys"/);
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

test('--intercept without --script where there is no UI (--no-tui, --json, stdout not a terminal), and scripts that cannot be used: exit 2 in one line', async () => {
  const base = ['--listen', '127.0.0.1:0', '--target', 'ws://127.0.0.1:1'];
  for (const view of [['--no-tui'], ['--json'], []]) {
    assertUsageError(await run([...base, ...view, '--intercept', 'client text']), /^wspeek: --intercept without --script holds messages for you to decide on in the terminal UI; .*give a --script that decides$/);
  }
  const hooks = path.join(sandbox.work, 'usage-hooks.mjs');
  fs.writeFileSync(hooks, 'export function onMessage() {}\n');
  assertUsageError(await run([...base, '--no-tui', '--script', hooks, '--script-timeout', '0']), /^wspeek: --script-timeout wants a whole number of at least 1; got "0"$/);
  assertUsageError(await run([...base, '--no-tui', '--script', path.join(sandbox.work, 'missing.mjs')]), /^wspeek: cannot load the script \S*missing\.mjs: /);
  assertUsageError(await run([...base, '--no-tui', '--script', path.join(sandbox.work, 'hooks.ts')]), /is TypeScript: compile it to JavaScript first/);
  const badFilter = await run([...base, '--no-tui', '--script', hooks, '--intercept', 'kind:(']);
  assert.equal(badFilter.code, 2, badFilter.stderr);
  assert.match(badFilter.stderr, /^wspeek: --intercept: /);
  assert.ok(badFilter.stderr.includes('kind:(\n'), 'the filter is echoed');
});

test('--script with --intercept and --script-timeout: the hooks act on what the filter matches, the log records it, ctx.log goes to stderr made visible', async () => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  const upstream: string[] = [];
  let client: WebSocket | undefined;
  let proc: CliProcess | undefined;
  try {
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    wss.on('connection', (ws) => {
      ws.on('error', () => {});
      ws.on('message', (d: RawData) => {
        upstream.push(d.toString());
        ws.send(d.toString());
      });
    });
    const hooks = path.join(sandbox.work, 'cli-hooks.mjs');
    fs.writeFileSync(hooks, [
      'export function onMessage(msg, ctx) {',
      '  ctx.log("saw", msg.text, "\\x1b[2J");',
      '  if (msg.text === "upper") return "UPPER";',
      '  if (msg.text === "slow") return new Promise(() => {});',
      '}',
    ].join('\n'));
    const file = path.join(sandbox.work, 'script.jsonl');
    proc = start(['--target', `ws://127.0.0.1:${(wss.address() as net.AddressInfo).port}`, '--listen', '127.0.0.1:0', '--no-tui', '--save', file,
      '--script', hooks, '--script-timeout', '200', '--intercept', 'client']);
    const port = await listeningPort(proc);
    client = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
    const c = client;
    c.on('error', () => {});
    const received: string[] = [];
    c.on('message', (d: RawData) => received.push(d.toString()));
    await new Promise<void>((resolve, reject) => {
      c.once('open', () => resolve());
      c.once('error', reject);
    });
    for (const m of ['upper', 'slow', 'plain']) c.send(m);
    await waitUntil('three echoes', () => received.length === 3, RUN_MS);
    assert.deepEqual(upstream, ['UPPER', 'slow', 'plain']);
    assert.deepEqual(received, ['UPPER', 'slow', 'plain'], 'the echoes went by untouched: --intercept client');
    proc.child.kill('SIGINT');
    const r = await finished(proc);
    assert.equal(r.code, 0, r.stderr);
    for (const m of ['upper', 'slow', 'plain']) assert.ok(r.stderr.includes(`\nscript: saw ${m} \\x1b[2J\n`), `ctx.log on stderr, made visible: ${r.stderr}`);
    assert.ok(!r.stderr.includes('\x1b'), 'no escape reached the terminal');
    assert.match(r.stdout, /\* edited message \d+ c→s by a script: "UPPER"/);
    assert.match(r.stdout, /\* forwarded message \d+ c→s by wspeek \(timeout\)/);
    const actions = lines(fs.readFileSync(file, 'utf8')).map((l) => JSON.parse(l) as Rec).filter((x) => x.type === 'action');
    assert.deepEqual(actions.map((a) => [a.action, a.by, a.text ?? a.error]), [['edited', 'script', 'UPPER'], ['forwarded', 'script', 'UPPER'], ['forwarded', 'proxy', 'timeout']]);
  } finally {
    client?.terminate();
    if (proc && proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
  }
});

test("a headless capture doesn't load the UI: neither its model nor blessed is reachable from the CLI's static imports", () => {
  // What a process loads stays in its heap, and headless the UI's modules only slow every garbage collection.
  const dist = path.join(ROOT, 'dist');
  const reached = new Set<string>();
  const bare = new Set<string>();
  const visit = (file: string) => {
    if (reached.has(file)) return;
    reached.add(file);
    for (const [, spec] of fs.readFileSync(file, 'utf8').matchAll(/^import\s+(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm)) {
      if (spec!.startsWith('.')) visit(path.resolve(path.dirname(file), spec!));
      else bare.add(spec!);
    }
  };
  visit(path.join(dist, 'cli', 'main.js'));
  const tui = [...reached].map((f) => path.relative(dist, f)).filter((f) => f.startsWith('tui'));
  assert.ok(tui.includes(path.join('tui', 'headless-output.js')), `the walk follows imports: ${tui.join(', ')}`);
  assert.ok(!tui.includes(path.join('tui', 'app-model.js')), 'the UI model is imported only when the UI starts');
  assert.ok(!tui.includes(path.join('tui', 'terminal-ui.js')));
  assert.ok(!bare.has('blessed'));
});

test('open reads a log saved without app entries in its application protocol; --protocol raw and --filter on the entries; an unknown protocol is a usage error', async () => {
  const file = path.join(sandbox.work, 'socket-io.jsonl');
  const T = 1795290133410;
  const msg = (seq: number, from: string, text: string) => ({
    type: 'message', conn: 1, seq, ts: T + seq, from, kind: 'text', length: Buffer.byteLength(text), wireLength: Buffer.byteLength(text), frames: 1, compressed: false, truncated: false, text,
  });
  const records = [
    { type: 'session', version: 1, tool: 'wspeek', ts: T, mode: 'reverse', listen: '127.0.0.1:8080', target: 'http://127.0.0.1:3000/' },
    { type: 'connect', conn: 1, ts: T, client: '127.0.0.1:50000', server: '127.0.0.1:3000', tls: false },
    {
      type: 'handshake', conn: 1, ts: T, url: 'ws://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket',
      request: { method: 'GET', target: '/socket.io/?EIO=4&transport=websocket', version: 'HTTP/1.1', headers: [] },
      response: { version: 'HTTP/1.1', status: 101, reason: 'Switching Protocols', headers: [] }, ms: 1, accept: 'valid', protocol: null, extensions: [], upgraded: true,
    },
    msg(1, 'server', '0{"sid":"s1","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}'),
    msg(2, 'client', '40'),
    msg(3, 'server', '40{"sid":"n1"}'),
    msg(4, 'client', '421["chat",{"room":"a"}]'),
    msg(5, 'server', '431["ok"]'),
  ];
  fs.writeFileSync(file, records.map((r) => `${JSON.stringify(r)}\n`).join(''));

  const json = await run(['open', file, '--json']);
  assert.equal(json.code, 0, json.stderr);
  const messages = lines(json.stdout).map((l) => JSON.parse(l) as Rec).filter((r) => r.type === 'message');
  assert.deepEqual(messages.map((m) => m.app), [
    [{ protocol: 'engine.io', type: 'open', value: { sid: 's1', upgrades: [], pingInterval: 25000, pingTimeout: 20000, maxPayload: 1000000 } }],
    [{ protocol: 'socket.io', type: 'connect', namespace: '/' }],
    [{ protocol: 'socket.io', type: 'connect', namespace: '/', pair: 2, latencyMs: 1, value: { sid: 'n1' } }],
    [{ protocol: 'socket.io', type: 'event', name: 'chat', id: 1, namespace: '/', args: [{ room: 'a' }] }],
    [{ protocol: 'socket.io', type: 'ack', name: 'chat', id: 1, namespace: '/', pair: 4, latencyMs: 1, args: ['ok'] }],
  ]);
  const text = await run(['open', file, '--no-tui']);
  assert.match(text.stdout, /#1 s→c text +9 B +socket\.io ack "chat" #1 ↩4 \+1\.00ms \["ok"\]/);
  const raw = await run(['open', file, '--json', '--protocol', 'raw']);
  assert.ok(lines(raw.stdout).every((l) => !l.includes('"app"')), 'raw: no app entries');
  const replies = await run(['open', file, '--json', '--filter', 'name:chat reply']);
  assert.deepEqual(lines(replies.stdout).map((l) => JSON.parse(l) as Rec).filter((r) => r.type === 'message').map((m) => m.seq), [5]);
  assertUsageError(await run(['open', file, '--protocol', 'socketio']), /^wspeek: --protocol: unknown protocol "socketio"; known: .*socket\.io.*, raw$/);
});

test('--proto with --proto-type reads Protobuf binary messages by field name; a type the file lacks, or --proto-type alone, is a usage error', async () => {
  const proto = path.join(sandbox.work, 'chat.proto');
  fs.writeFileSync(proto, 'syntax = "proto3";\npackage chat;\nmessage Say { string room = 1; int64 at = 2; }\nmessage Ack { bool ok = 1; }\n');
  const file = path.join(sandbox.work, 'protobuf.jsonl');
  const T = 1795290133410;
  // chat.Say{room:"a", at:5} and chat.Ack{ok:true}, as protobufjs encodes them.
  const bin = (seq: number, from: string, bytes: number[]) => ({
    type: 'message', conn: 1, seq, ts: T + seq, from, kind: 'binary', length: bytes.length, wireLength: bytes.length, frames: 1, compressed: false, truncated: false, base64: Buffer.from(bytes).toString('base64'),
  });
  const records = [
    { type: 'session', version: 1, tool: 'wspeek', ts: T, mode: 'reverse', listen: '127.0.0.1:8080', target: 'ws://127.0.0.1:3000/' },
    bin(1, 'client', [0x0a, 0x01, 0x61, 0x10, 0x05]),
    bin(2, 'server', [0x08, 0x01]),
  ];
  fs.writeFileSync(file, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  const r = await run(['open', file, '--json', '--proto', proto, '--proto-type', 'client=chat.Say', '--proto-type', 'server=chat.Ack']);
  assert.equal(r.code, 0, r.stderr);
  const apps = lines(r.stdout).map((l) => JSON.parse(l) as Rec).filter((x) => x.type === 'message').map((m) => m.app);
  assert.deepEqual(apps, [[{ protocol: 'protobuf', type: 'message', value: { room: 'a', at: '5' } }], [{ protocol: 'protobuf', type: 'message', value: { ok: true } }]]);
  const wire = await run(['open', file, '--json', '--protocol', 'protobuf']);
  assert.match(wire.stdout, /"field":1,"wire":"len"/, 'without a schema: field numbers and wire types');
  assertUsageError(await run(['open', file, '--proto', proto, '--proto-type', 'chat.Nope']), /^wspeek: --proto-type: no message type "chat\.Nope" in the \.proto \(it defines chat\.Say, chat\.Ack\)$/);
  assertUsageError(await run(['open', file, '--proto-type', 'chat.Say']), /^wspeek: --proto-type needs --proto FILE/);
  assertUsageError(await run(['open', file, '--proto', path.join(sandbox.work, 'missing.proto'), '--proto-type', 'x']), /^wspeek: --proto .*missing\.proto: /);
});

test('--socks: a SOCKS5 listener beside the forward proxy, said after the HTTP listener\'s line, guarded by --socks-auth; with --target, --socks-auth alone or bad values: usage errors', async () => {
  assertUsageError(await run(['--listen', '127.0.0.1:0', '--socks', '0', '--target', 'ws://127.0.0.1:1']), /--socks is for forward mode/);
  assertUsageError(await run(['--listen', '127.0.0.1:0', '--socks-auth', 'u:p']), /--socks-auth guards the SOCKS listener/);
  assertUsageError(await run(['--listen', '127.0.0.1:0', '--socks', '0', '--socks-auth', 'no-colon']), /--socks-auth wants USER:PASS/);
  assertUsageError(await run(['--listen', '127.0.0.1:0', '--socks', 'nowhere:99999']), /--socks wants \[HOST:\]PORT/);
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  try {
    const taken = (blocker.address() as net.AddressInfo).port;
    const inUse = await run(['--listen', '127.0.0.1:0', '--socks', `127.0.0.1:${taken}`, '--no-tui', '--ca-dir', path.join(sandbox.work, 'socks-ca')]);
    assertUsageError(inUse, new RegExp(`127\\.0\\.0\\.1:${taken} is already in use; choose another with --socks$`));
  } finally {
    await new Promise<void>((r) => blocker.close(() => r()));
  }

  const proc = start(['--listen', '127.0.0.1:0', '--socks', '0', '--socks-auth', 'phone:a:b', '--no-tui', '--ca-dir', path.join(sandbox.work, 'socks-ca')]);
  await waitUntil('"socks listening on" on stderr', () => /socks listening on 127\.0\.0\.1:\d+\n/.test(proc.output.stderr) || proc.child.exitCode !== null, RUN_MS);
  const said = lines(proc.output.stderr);
  const http = said.findIndex((l) => /^listening on 127\.0\.0\.1:\d+$/.test(l));
  const socks = said.findIndex((l) => /^socks listening on 127\.0\.0\.1:\d+$/.test(l));
  assert.ok(http >= 0 && socks === http + 1, `the socks line right after the HTTP listener's: ${JSON.stringify(said)}`);
  const socksPort = Number(/^socks listening on 127\.0\.0\.1:(\d+)$/.exec(said[socks]!)![1]);
  assert.notEqual(socksPort, Number(/(\d+)$/.exec(said[http]!)![1]));

  // The listener wants the credentials given (split at the first colon: user "phone", password "a:b").
  const client = net.connect(socksPort, '127.0.0.1');
  const answer: Buffer[] = [];
  client.on('data', (d: Buffer) => answer.push(d));
  client.write(Buffer.from([5, 2, 0, 2]));
  await waitUntil('method selection', () => Buffer.concat(answer).length >= 2);
  client.write(Buffer.from([1, 5, ...Buffer.from('phone'), 3, ...Buffer.from('a:b')]));
  await waitUntil('authentication status', () => Buffer.concat(answer).length >= 4);
  assert.deepEqual([...Buffer.concat(answer)], [5, 2, 1, 0]);
  client.destroy();
  proc.child.kill('SIGTERM');
  assert.equal((await finished(proc)).code, 0);
});

test('problems reading a file become one line each: by line number, by what the error names itself, or in the key log they came from', () => {
  const lines = problemLines('cap.pcap', {
    records: 9, tornLastLine: false,
    problems: [{ error: 'packet 57: the file ends inside a packet record' }, { line: 13, error: 'unknown label X', source: 'keys.log' }],
  });
  assert.deepEqual(lines, ['cap.pcap: packet 57: the file ends inside a packet record', 'keys.log:13: skipped: unknown label X']);
  assert.deepEqual(problemLines('s.jsonl', { records: 3, tornLastLine: true, problems: [{ line: 2, error: 'x' }, { line: 4, error: 'y' }] }), [
    's.jsonl:2: skipped, not a record: x',
    's.jsonl:4: the last line is incomplete (the capture was interrupted mid-write); the 3 records before it are shown',
  ]);
});
