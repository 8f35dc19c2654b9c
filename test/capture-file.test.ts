import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import zlib from 'node:zlib';
import { sessionRecord, type LogRecord } from '../core/log/records.js';
import { openCaptureFile } from '../proxy/log/capture-file.js';
import { NotASessionLog, writeViewLog } from '../proxy/log/session-log.js';
import { MAIN, ROOT } from './support/cli-process.js';

const FIXTURES = path.join(ROOT, 'test', 'fixtures');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wspeek-capture-file-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function readAll(file: string): Promise<LogRecord[]> {
  const got: LogRecord[] = [];
  await (await openCaptureFile(file)).read((r) => got.push(r));
  return got;
}

/** A copy of `fixture` under a name that says nothing of its format. */
function anonymous(fixture: string, transform: (b: Buffer) => Buffer = (b) => b): string {
  const file = path.join(dir, `${fixture}.bin`);
  fs.writeFileSync(file, transform(fs.readFileSync(path.join(FIXTURES, fixture))));
  return file;
}

for (const fixture of ['ws-lo.pcap', 'ws-lo-ns.pcap', 'ws-lo.pcapng']) {
  test(`${fixture} under another name is told by its magic number and read as a packet capture`, async () => {
    const rs = await readAll(anonymous(fixture));
    assert.equal(rs[0]!.type === 'session' && rs[0]!.mode, 'pcap');
    assert.equal(rs.filter((r) => r.type === 'message').length, 24);
  });
}

test('a gzip-compressed pcap is looked inside and read as a packet capture', async () => {
  const rs = await readAll(anonymous('ws-lo.pcap', (b) => zlib.gzipSync(b)));
  assert.equal(rs[0]!.type === 'session' && rs[0]!.mode, 'pcap');
  assert.equal(rs.filter((r) => r.type === 'message').length, 24);
});

test('a session log is still read as one, and a gzip of anything else is not a capture', async () => {
  const log = path.join(dir, 'session.jsonl');
  writeViewLog([sessionRecord(1, 'reverse', '127.0.0.1:1', 'http://x')], log);
  const rs = await readAll(log);
  assert.equal(rs[0]!.type === 'session' && rs[0]!.mode, 'reverse');
  const gz = path.join(dir, 'text.gz');
  fs.writeFileSync(gz, zlib.gzipSync(Buffer.from('not a capture\n')));
  await assert.rejects(openCaptureFile(gz), NotASessionLog);
});

test('wspeek open FILE.pcap --json prints the decoded records', () => {
  const r = spawnSync(process.execPath, [MAIN, 'open', path.join(FIXTURES, 'ws-lo.pcap'), '--json'], {
    encoding: 'utf8', timeout: 15_000, env: { ...process.env, HOME: dir },
  });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as LogRecord);
  assert.equal(lines[0]!.type === 'session' && lines[0]!.source, 'ws-lo.pcap');
  assert.deepEqual(lines.filter((l) => l.type === 'message' && l.conn === 1 && l.from === 'client').map((l) => l.type === 'message' && l.kind),
    ['text', 'binary', 'text', 'text', 'ping', 'close']);
});

test('--keylog with a file that is not a packet capture is refused, saying so', async () => {
  const log = path.join(dir, 'a-session.jsonl');
  writeViewLog([sessionRecord(1_700_000_000_000, 'demo', null, null)], log);
  await assert.rejects(openCaptureFile(log, { keylog: path.join(FIXTURES, 'wss-lo.keylog') }),
    (err: Error) => err instanceof NotASessionLog && err.message === `--keylog decrypts TLS in packet captures (pcap, pcapng); ${log} is not one`);
});

function wspeek(args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 15_000, env: { ...process.env, HOME: dir } });
}

test('wspeek open CAPTURE --keylog FILE --json: the wss messages decrypted, key log problems on stderr, exit 0', () => {
  const keys = path.join(dir, 'with-a-bad-line.keylog');
  fs.writeFileSync(keys, `${fs.readFileSync(path.join(FIXTURES, 'wss-lo.keylog'), 'latin1')}NOT_A_LABEL 00 11\n`);
  const r = wspeek(['open', path.join(FIXTURES, 'wss-lo.pcap'), '--keylog', keys, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as LogRecord);
  assert.deepEqual(lines.filter((l) => l.type === 'handshake').map((l) => l.type === 'handshake' && l.url.split('?')[0]),
    ['wss://127.0.0.1:47014/fixture-tls', 'wss://127.0.0.1:47015/fixture-tls', 'wss://127.0.0.1:47016/fixture-tls', 'wss://127.0.0.1:47017/fixture-tls']);
  assert.equal(lines.filter((l) => l.type === 'message' && l.kind === 'text' && l.text === 'y'.repeat(20_000)).length, 8);
  assert.equal(r.stderr, `${keys}:13: skipped: unknown label NOT_A_LABEL\n`);
});

test('wspeek open CAPTURE without --keylog: each TLS connection named by its SNI, exit 0', () => {
  const r = wspeek(['open', path.join(FIXTURES, 'wss-lo.pcap'), '--no-tui']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.match(/tls error: TLS to wss\.fixture\.test: not decrypted without a key log \(--keylog FILE\)/g)?.length, 4);
});

test('wspeek open --keylog: a session log, or a key log that cannot be read, is a usage error (exit 2)', () => {
  const log = path.join(dir, 'b-session.jsonl');
  writeViewLog([sessionRecord(1_700_000_000_000, 'demo', null, null)], log);
  const notCapture = wspeek(['open', log, '--keylog', path.join(FIXTURES, 'wss-lo.keylog'), '--json']);
  assert.equal(notCapture.status, 2);
  assert.equal(notCapture.stderr, `wspeek: --keylog decrypts TLS in packet captures (pcap, pcapng); ${log} is not one\n`);
  const missing = wspeek(['open', path.join(FIXTURES, 'wss-lo.pcap'), '--keylog', path.join(dir, 'none.keylog'), '--json']);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /^wspeek: cannot read the key log .*none\.keylog: no such file or directory\n$/);
});
