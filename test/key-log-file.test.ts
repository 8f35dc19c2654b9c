import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { WebSocket, WebSocketServer, type ClientOptions } from 'ws';
import { openCapture, StartError, type Capture } from '../proxy/capture.js';
import { KeyLogFile, KeyLogFileError, readKeyLogFile } from '../proxy/log/key-log-file.js';
import { finished, listeningPort, startCli, useCliSandbox } from './support/cli-process.js';
import { captureOptions, echoOnce } from './support/live-capture.js';
import { closeServer, connectTunnel, HOST, listen } from './support/raw-peers.js';
import { testCa } from './support/test-ca.js';
import { within } from './support/wait.js';

const sandbox = useCliSandbox('keylog');

const tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'wspeek-keylog-'));
after(() => fs.rmSync(tempRoot, { recursive: true, force: true }));

/** A path in a folder of its own, that exists and is empty. */
function tempFile(name: string): string {
  return path.join(fs.mkdtempSync(path.join(tempRoot, 'f-')), name);
}

const modeOf = (file: string) => fs.statSync(file).mode & 0o777;
const linesOf = (file: string) => fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');

test('a new key log is created with mode 0600, and an existing 0600 one is appended to', () => {
  const file = tempFile('keys.log');
  const first = KeyLogFile.open(file, assert.fail);
  first.write(Buffer.from('CLIENT_RANDOM aa bb\n'));
  first.close();
  assert.equal(modeOf(file), 0o600);
  const second = KeyLogFile.open(file, assert.fail);
  second.write(Buffer.from('CLIENT_RANDOM cc dd\n'));
  second.close();
  assert.deepEqual(linesOf(file), ['CLIENT_RANDOM aa bb', 'CLIENT_RANDOM cc dd']);
});

test('an existing key log that its group or others may read is refused, naming its mode, and left as it was', () => {
  for (const mode of [0o644, 0o640, 0o606]) {
    const file = tempFile('loose.log');
    fs.writeFileSync(file, 'kept\n');
    fs.chmodSync(file, mode);
    assert.throws(() => KeyLogFile.open(file, assert.fail), (err: unknown) => err instanceof KeyLogFileError && err.message.includes(`mode 0${mode.toString(8)}`));
    assert.equal(fs.readFileSync(file, 'utf8'), 'kept\n');
  }
});

test('a key log in a folder that does not exist is a KeyLogFileError naming the file', () => {
  const file = path.join(tempFile('x'), 'missing', 'keys.log');
  assert.throws(() => KeyLogFile.open(file, assert.fail), (err: unknown) => err instanceof KeyLogFileError && err.message.includes(file));
});

test('a closed key log takes no more lines', () => {
  const file = tempFile('closed.log');
  const log = KeyLogFile.open(file, assert.fail);
  log.close();
  log.write(Buffer.from('CLIENT_RANDOM aa bb\n'));
  assert.equal(fs.readFileSync(file, 'utf8'), '');
});

/** A TLS `ws` echo server on 127.0.0.1 (that also answers plain HTTPS GETs), and the key log lines it saw. */
async function tlsEcho(maxVersion: tls.SecureVersion) {
  const server = https.createServer({ ...testCa().leafFor(HOST), maxVersion }, (_req, res) => res.end('plain https'));
  const lines: string[] = [];
  server.on('keylog', (line: Buffer) => lines.push(line.toString().trimEnd()));
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (ws) => ws.on('message', (d, binary) => ws.send(d, { binary })));
  const port = await listen(server);
  return { server, port, lines };
}


const randomsOf = (lines: string[]) => new Set(lines.map((l) => l.split(' ')[1]));
const labelsOf = (lines: string[]) => new Set(lines.map((l) => l.split(' ')[0]));

for (const [version, labels] of [
  ['TLSv1.3', ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_TRAFFIC_SECRET_0', 'EXPORTER_SECRET']],
  ['TLSv1.2', ['CLIENT_RANDOM']],
] as const) {
  test(`reverse mode to a ${version} wss:// server: --keylog holds the upstream sessions' lines, the very ones the server logged`, async () => {
    const upstream = await tlsEcho(version);
    const file = tempFile('reverse.log');
    let capture: Capture | undefined;
    try {
      capture = await openCapture(captureOptions(tempFile('ca'), { target: new URL(`wss://${HOST}:${upstream.port}`), keyLog: file }));
      capture.start([]);
      assert.equal(await echoOnce(new WebSocket(`ws://${capture.proxy.address}/chat`), 'over wss'), 'over wss');
      const body = await within(fetch(`http://${capture.proxy.address}/page`).then((r) => r.text()), 'https GET');
      assert.equal(body, 'plain https');
      await capture.stop();
      capture = undefined;
      const written = linesOf(file);
      assert.equal(modeOf(file), 0o600);
      assert.deepEqual(labelsOf(written), new Set(labels));
      assert.equal(randomsOf(written).size, 2, 'two TLS sessions: the WebSocket and the plain GET');
      assert.deepEqual(new Set(written), new Set(upstream.lines));
      for (const line of written) assert.match(line, /^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]{64,96}$/);
    } finally {
      await capture?.stop();
      await closeServer(upstream.server);
    }
  });
}

test('forward mode with interception: --keylog holds both the session with the client and the one with the upstream', async () => {
  const upstream = await tlsEcho('TLSv1.3');
  const file = tempFile('forward.log');
  let capture: Capture | undefined;
  try {
    capture = await openCapture(captureOptions(tempFile('ca'), { mode: 'forward', keyLog: file }));
    capture.start([]);
    const raw = await connectTunnel(capture.proxy.port, `${HOST}:${upstream.port}`);
    const clientLines: string[] = [];
    const ws = new WebSocket(`wss://${HOST}:${upstream.port}/x`, {
      perMessageDeflate: false,
      createConnection: () => {
        const s = tls.connect({ socket: raw, host: HOST, rejectUnauthorized: false });
        s.on('keylog', (line: Buffer) => clientLines.push(line.toString().trimEnd()));
        return s;
      },
    } as ClientOptions);
    assert.equal(await echoOnce(ws, 'through the tunnel'), 'through the tunnel');
    await capture.stop();
    capture = undefined;
    const written = linesOf(file);
    assert.equal(clientLines.length, 5);
    assert.equal(upstream.lines.length, 5);
    assert.deepEqual(new Set(written), new Set([...clientLines, ...upstream.lines]));
    assert.equal(randomsOf(written).size, 2, 'the client\'s session and the upstream\'s have their own randoms');
  } finally {
    await capture?.stop();
    await closeServer(upstream.server);
  }
});

test('openCapture refuses a loose key log before it listens, with a StartError', async () => {
  const file = tempFile('loose.log');
  fs.writeFileSync(file, '', { mode: 0o644 });
  fs.chmodSync(file, 0o644);
  await assert.rejects(openCapture(captureOptions(tempFile('ca'), { target: new URL(`wss://${HOST}:9`), keyLog: file })), (err: unknown) => err instanceof StartError && /mode 0644/.test((err as Error).message));
});

test('wspeek --keylog: a loose existing file is a usage error (exit 2); a new one is created 0600 at startup', async () => {
  const loose = path.join(sandbox.work, 'loose.log');
  fs.writeFileSync(loose, '');
  fs.chmodSync(loose, 0o644);
  const refused = await finished(startCli(sandbox.home, ['--no-tui', '-l', `${HOST}:0`, '-t', `wss://${HOST}:9`, '--keylog', loose]));
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /^wspeek: the key log .*loose\.log has mode 0644/m);

  const fresh = path.join(sandbox.work, 'fresh.log');
  const proc = startCli(sandbox.home, ['--no-tui', '-l', `${HOST}:0`, '-t', `wss://${HOST}:9`, '--keylog', fresh]);
  assert.ok((await listeningPort(proc)) > 0);
  assert.equal(modeOf(fresh), 0o600);
  proc.child.kill('SIGTERM');
  assert.equal((await finished(proc)).code, 0);
});

test('readKeyLogFile: the secrets by client_random and the lines it could not read; a missing file is a KeyLogFileError', () => {
  const file = tempFile('read.log');
  const random = 'ab'.repeat(32);
  fs.writeFileSync(file, `# written by a test\nCLIENT_RANDOM ${random} ${'11'.repeat(48)}\nGARBAGE\n`);
  const log = readKeyLogFile(file);
  assert.deepEqual([...log.sessions.keys()], [random]);
  assert.equal(log.sessions.get(random)!.masterSecret!.toString('hex'), '11'.repeat(48));
  assert.deepEqual(log.problems, [{ line: 3, error: 'unknown label GARBAGE' }]);
  assert.throws(() => readKeyLogFile(path.join(tempRoot, 'no-such.log')), (err: Error) =>
    err instanceof KeyLogFileError && /^cannot read the key log .*no-such\.log: no such file or directory$/.test(err.message));
});
