import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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
