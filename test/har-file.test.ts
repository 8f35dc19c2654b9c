import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LogRecord } from '../core/log/records.js';
import { httpRecord, sessionRecord } from '../core/log/records.js';
import { HarFileWriter, NotAHarFile, openHarFile, writeHarFile } from '../proxy/log/har-file.js';
import type { LogReadResult } from '../proxy/log/session-log.js';
import { ROOT } from './support/cli-process.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wspeek-har-file-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const freshPath = () => path.join(dir, `file-${++fileNo}.har`);
const CREATOR = { name: 'wspeek', version: '9.9.9' };
const T0 = 1_715_678_467_000;

async function recordsOf(file: string): Promise<{ records: LogRecord[]; problems: LogReadResult['problems'] }> {
  const records: LogRecord[] = [];
  const result = await (await openHarFile(file)).read((r) => records.push(r));
  assert.equal(result.records, records.length, 'the count read is the count delivered');
  return { records, problems: result.problems };
}

test('openHarFile reads a HAR file as records, its problems without a line, saying which entry', async () => {
  const { records, problems } = await recordsOf(path.join(ROOT, 'test', 'fixtures', 'mitmproxy-savehar.har'));
  assert.equal(records[0]!.type, 'session');
  assert.equal(records[0]!.type === 'session' && records[0]!.source, 'mitmproxy-savehar.har', 'the file\'s name, not its path');
  assert.ok(records.some((r) => r.type === 'message'));
  assert.equal(problems.length, 1);
  assert.equal(problems[0]!.line, undefined);
  assert.match(problems[0]!.error, /^entry 1 /);
});

test('openHarFile accepts a byte order mark; refuses what is not JSON or not HAR, saying why', async () => {
  const bom = freshPath();
  fs.writeFileSync(bom, `\uFEFF${JSON.stringify({ log: { entries: [] } })}`);
  assert.deepEqual((await recordsOf(bom)).records.map((r) => r.type), ['session']);
  const notJson = freshPath();
  fs.writeFileSync(notJson, '{"log": ');
  await assert.rejects(openHarFile(notJson), (err: unknown) => err instanceof NotAHarFile && /^it is not JSON/.test(err.why));
  await assert.rejects(openHarFile(path.join(ROOT, 'package.json')), (err: unknown) => err instanceof NotAHarFile && err.why === 'it has no log.entries (a HAR file has)');
});

test('writeHarFile writes the records as HAR, read back by openHarFile; it never overwrites a file', async () => {
  const file = freshPath();
  const records = [sessionRecord(T0, 'reverse', '127.0.0.1:1', null), httpRecord(1, T0, T0 + 3, 'GET', 'http://h.test/a', 204)];
  assert.equal(writeHarFile(records, file, CREATOR), file);
  const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as { log: { creator: unknown; entries: unknown[] } };
  assert.deepEqual(doc.log.creator, CREATOR);
  assert.equal(doc.log.entries.length, 1);
  const back = (await recordsOf(file)).records;
  assert.deepEqual(back.filter((r) => r.type === 'http').map((r) => r.type === 'http' && [r.method, r.url, r.status, r.ms]), [['GET', 'http://h.test/a', 204, 3]]);
  assert.throws(() => writeHarFile(records, file, CREATOR), /already exists; wspeek never overwrites a file/);
  assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).log.entries.length, 1, 'the first file is untouched');
});

test('HarFileWriter takes the name when created (refusing one in use) and writes the document once, at closeSync', () => {
  const file = freshPath();
  const writer = HarFileWriter.create(file, CREATOR);
  assert.equal(fs.statSync(file).size, 0, 'created empty at once');
  assert.throws(() => HarFileWriter.create(file, CREATOR), /already exists; wspeek never overwrites a file/);
  writer.add(sessionRecord(T0, 'reverse', '127.0.0.1:1', null));
  writer.add(httpRecord(1, T0, T0 + 1, 'GET', 'http://h.test/', 200));
  const bytes = writer.closeSync();
  assert.equal(fs.statSync(file).size, bytes);
  assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).log.entries.length, 1);
  writer.add(httpRecord(2, T0, T0 + 1, 'GET', 'http://h.test/late', 200));
  assert.equal(writer.closeSync(), 0, 'a second close writes nothing');
  assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).log.entries.length, 1, 'records after the close are not written');
  assert.throws(() => HarFileWriter.create(path.join(dir, 'no-such-dir', 'x.har'), CREATOR), /^Error: cannot create .*no-such-dir\/x\.har: no such file or directory$/);
});
