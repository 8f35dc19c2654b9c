import { test, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RecordLineEncoder } from '../core/log/record-line.js';
import type { FrameRecord, LogRecord, MessageRecord } from '../core/log/records.js';
import { ARENA_BYTES } from '../proxy/log/log-file.js';
import { NotASessionLog, openSessionLog, SessionLogWriter, writeViewLog } from '../proxy/log/session-log.js';

const encoder = new RecordLineEncoder();

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wspeek-session-log-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const freshPath = () => path.join(dir, `log-${++fileNo}.jsonl`);

function frameRec(i: number): FrameRecord {
  return { type: 'frame', conn: 1 + (i % 7), ts: 1795290133410.306 + i / 1000, from: i % 2 ? 'client' : 'server', fin: true, rsv: [false, false, false], opcode: 1, masked: i % 2 === 1, mask: i % 2 ? 'deadbeef' : null, length: i };
}
function textRec(i: number, text: string): MessageRecord {
  return { type: 'message', conn: 1, seq: 1, ts: i, from: 'client', kind: 'text', length: Buffer.byteLength(text), wireLength: Buffer.byteLength(text), frames: 1, compressed: false, text, truncated: false };
}
const linesOf = (records: LogRecord[]) => records.map((r) => `${encoder.line(r)}\n`).join('');
const openFds = () => (fs.existsSync('/proc/self/fd') ? fs.readdirSync('/proc/self/fd').length : null);

const SESSION: LogRecord = { type: 'session', version: 1, tool: 'wspeek', ts: 1, mode: 'reverse', listen: '127.0.0.1:8080', target: 'ws://127.0.0.1:3000/' };

/** Writes a log file: the session record's line, then `rest` as it is. */
function writeLog(p: string, rest: string): void {
  fs.writeFileSync(p, `${JSON.stringify(SESSION)}\n${rest}`);
}

/** The records read back, less the session record (checked to come first), and what the reader reported. */
async function readAll(p: string) {
  const list: LogRecord[] = [];
  const result = await (await openSessionLog(p)).read((r) => list.push(r));
  assert.equal(result.records, list.length, 'the count is the number of records delivered');
  assert.deepEqual(list.shift(), SESSION, 'the session record comes first');
  return { list, problems: result.problems, tornLastLine: result.tornLastLine };
}

/**
 * Occupies every libuv thread-pool thread with an open() of a FIFO that has no writer, so the
 * writer's asynchronous writes stay queued until `release()`. Null when FIFOs aren't available.
 */
function blockThreadPool(): { release: () => Promise<void> } | null {
  const fifo = path.join(dir, `fifo-${++fileNo}`);
  try {
    execFileSync('mkfifo', [fifo], { stdio: 'ignore' });
  } catch {
    return null;
  }
  const size = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  const opened = Array.from({ length: size }, () => fs.promises.open(fifo, 'r'));
  return {
    async release() {
      const w = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
      for (const fh of await Promise.all(opened)) await fh.close();
      fs.closeSync(w);
    },
  };
}

test('never overwrites an existing file; the error names the file', () => {
  const p = freshPath();
  fs.writeFileSync(p, 'precious\n');
  assert.throws(() => SessionLogWriter.create(p, () => assert.fail('no onError')), (err: Error) => {
    assert.ok(err instanceof Error);
    assert.ok(err.message.includes(p), err.message);
    assert.match(err.message, /already exists/);
    assert.equal(err.message.includes('\n'), false, 'one line');
    return true;
  });
  assert.equal(fs.readFileSync(p, 'utf8'), 'precious\n');
});

test('an unwritable path (a directory that does not exist) is a clear Error at create', () => {
  const p = path.join(dir, 'no-such-dir', 'log.jsonl');
  assert.throws(() => SessionLogWriter.create(p, () => assert.fail('no onError')), (err: Error) => {
    assert.ok(err instanceof Error);
    assert.match(err.message, /^cannot create session log /);
    assert.ok(err.message.includes(p), err.message);
    assert.match(err.message, /ENOENT/);
    return true;
  });
  assert.equal(fs.existsSync(path.dirname(p)), false);
});

test('10,000 records then closeSync: exactly 10,000 whole lines, in order, even with writes still in flight', async () => {
  const fdsBefore = openFds();
  const p = freshPath();
  const errors: Error[] = [];
  const records = Array.from({ length: 10_000 }, (_, i) => frameRec(i));
  const blocker = blockThreadPool();
  let text: string;
  try {
    const w = SessionLogWriter.create(p, (e) => errors.push(e));
    for (const r of records) w.write(r); // > 256 KiB: asynchronous flushes are issued on the way
    w.closeSync();
    // Read synchronously, while those writes are still queued: at exit, nothing after closeSync would run.
    text = fs.readFileSync(p, 'utf8');
  } finally {
    await blocker?.release();
  }
  assert.equal(text.length, linesOf(records).length);
  assert.equal(text.indexOf('\0'), -1, 'no hole where an unfinished write should be');
  const lines = text.split('\n');
  assert.equal(lines.pop(), '', 'ends with a newline');
  assert.equal(lines.length, 10_000);
  lines.forEach((line, i) => { if (line !== encoder.line(records[i]!)) assert.fail(`line ${i + 1}: ${line}`); });

  // The queued writes complete (same bytes, same offsets), then the file is closed.
  for (let i = 0; i < 200 && openFds() !== fdsBefore; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(errors, []);
  assert.equal(fs.readFileSync(p, 'utf8'), linesOf(records));
  assert.equal(openFds(), fdsBefore, 'the file is closed once no write uses it');
});

test('closeSync in the same tick as the writes lands every line; writes after it are ignored', () => {
  const p = freshPath();
  const errors: Error[] = [];
  const w = SessionLogWriter.create(p, (e) => errors.push(e));
  const records = [frameRec(1), frameRec(2), textRec(3, 'last')];
  for (const r of records) w.write(r);
  assert.equal(fs.readFileSync(p, 'utf8'), '', 'batched: nothing written yet');
  w.closeSync();
  assert.equal(fs.readFileSync(p, 'utf8'), linesOf(records));
  w.write(frameRec(4));
  w.closeSync();
  assert.equal(fs.readFileSync(p, 'utf8'), linesOf(records));
  assert.deepEqual(errors, []);
});

test('lines written over several event-loop turns land in order', async () => {
  const p = freshPath();
  const errors: Error[] = [];
  const w = SessionLogWriter.create(p, (e) => errors.push(e));
  const records: LogRecord[] = [];
  for (let turn = 0; turn < 5; turn++) {
    for (let i = 0; i < 3; i++) {
      const r = frameRec(turn * 3 + i);
      records.push(r);
      w.write(r);
    }
    // Written asynchronously, without closeSync: wait for the lines to land (a deadline, not a fixed delay).
    const want = linesOf(records);
    for (let i = 0; i < 400 && fs.readFileSync(p, 'utf8') !== want; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(fs.readFileSync(p, 'utf8'), want, `after turn ${turn}`);
  }
  w.closeSync();
  assert.equal(fs.readFileSync(p, 'utf8'), linesOf(records));
  assert.deepEqual(errors, []);
});

test('strings with newlines, separators and any unicode stay one line each and read back equal', async () => {
  const p = freshPath();
  const w = SessionLogWriter.create(p, (e) => assert.fail(e.message));
  const strings = ['a\nb', 'c\r\nd', 'e\rf', 'line\u2028sep\u2029para', 'emoji 🦊 ünïcödé 中文', 'lone \ud800 surrogate', 'nul\0tab\t', '"quoted" \\ back', ''];
  const records = strings.map((s, i) => textRec(i, s));
  w.write(SESSION);
  for (const r of records) w.write(r);
  w.closeSync();
  const text = fs.readFileSync(p, 'utf8');
  const lines = text.split('\n');
  assert.equal(lines.pop(), '');
  assert.equal(lines.length, records.length + 1);
  for (const line of lines) assert.equal(line.includes('\r'), false, 'no raw CR (a line break to readers) in a line');
  const back = await readAll(p);
  assert.deepEqual(back.problems, []);
  assert.equal(back.tornLastLine, false);
  assert.equal(back.list.length, records.length);
  assert.deepEqual(back.list, records);
});

test('openSessionLog reads back what the writer wrote', async () => {
  const p = freshPath();
  const w = SessionLogWriter.create(p, (e) => assert.fail(e.message));
  w.write(SESSION);
  const records: LogRecord[] = [
    { type: 'connect', conn: 1, ts: 2, client: '127.0.0.1:51234', server: '127.0.0.1:3000', tls: false },
    frameRec(3),
    textRec(4, 'Good bye.'),
  ];
  for (const r of records) w.write(r);
  w.closeSync();
  const back = await readAll(p);
  assert.deepEqual(back, { list: records, problems: [], tornLastLine: false });
});

test('an invalid line in the middle is a problem with its line number; reading goes on; unknown types are skipped', async () => {
  const p = freshPath();
  const a = frameRec(1);
  const b = frameRec(2);
  const c = textRec(3, 'three');
  writeLog(p, [
    JSON.stringify(a),
    'this is not json',
    JSON.stringify(b),
    '',
    '{"type":"annotation","conn":1,"ts":5,"note":"from a later version"}',
    '[1,2,3]',
    JSON.stringify(c),
    '',
  ].join('\n'));
  const back = await readAll(p);
  assert.deepEqual(back.list, [a, b, c]);
  assert.equal(back.tornLastLine, false);
  assert.deepEqual(back.problems.map((x) => x.line), [3, 7]);
  for (const x of back.problems) assert.ok(x.error.length > 0);
  assert.equal(back.problems[1]!.error, 'not a JSON object');
});

test('a torn last line (no trailing newline): tornLastLine, and the records before it are delivered', async () => {
  const p = freshPath();
  const a = frameRec(1);
  const b = textRec(2, 'two');
  const whole = JSON.stringify(textRec(3, 'three'));
  writeLog(p, `${JSON.stringify(a)}\n${JSON.stringify(b)}\n${whole.slice(0, whole.length - 7)}`);
  const back = await readAll(p);
  assert.deepEqual(back.list, [a, b]);
  assert.equal(back.tornLastLine, true);
  assert.equal(back.problems.length, 1);
  assert.equal(back.problems[0]!.line, 4);
});

test('damage in the middle and a torn last line are told apart', async () => {
  const p = freshPath();
  const a = frameRec(1);
  writeLog(p, `${JSON.stringify(a)}\n{broken\n${JSON.stringify(a)}\n{"type":"frame","co`);
  const back = await readAll(p);
  assert.deepEqual(back.list, [a, a]);
  assert.equal(back.tornLastLine, true);
  assert.deepEqual(back.problems.map((x) => x.line), [3, 5], 'the torn line is the last problem');
});

test('a last line that is invalid but ends with a newline is a problem, not a torn line', async () => {
  const p = freshPath();
  const a = frameRec(1);
  writeLog(p, `${JSON.stringify(a)}\n{"type":"frame","conn":1}\n`);
  const back = await readAll(p);
  assert.deepEqual(back.list, [a]);
  assert.equal(back.tornLastLine, false);
  assert.equal(back.problems.length, 1);
  assert.equal(back.problems[0]!.line, 3);
  assert.match(back.problems[0]!.error, /ts/);
});

test('a complete file without a trailing newline is not torn', async () => {
  const p = freshPath();
  const a = frameRec(1);
  writeLog(p, JSON.stringify(a));
  assert.deepEqual(await readAll(p), { list: [a], problems: [], tornLastLine: false });
});

test('a file that does not exist rejects', async () => {
  await assert.rejects(openSessionLog(path.join(dir, 'missing.jsonl')), /ENOENT/);
});

test('a file that does not start with wspeek\'s session record is refused before any record is read, saying why', async () => {
  const refused = async (content: string, why: RegExp) => {
    const p = freshPath();
    fs.writeFileSync(p, content);
    await assert.rejects(openSessionLog(p), (err: unknown) => {
      assert.ok(err instanceof NotASessionLog);
      assert.ok(err.message.startsWith(`${p} is not a wspeek session log: `), err.message);
      assert.match(err.message, why);
      assert.ok(!err.message.includes('\n'), 'one line');
      return true;
    });
  };
  await refused('', /it is empty$/);
  await refused('\n\n  \n', /it is empty$/);
  await refused('# wspeek\n\nSee every frame\n', /its first line is not JSON: "# wspeek"$/);
  await refused('{\n  "name": "wspeek"\n}\n', /its first line is not JSON: "\{"$/);
  await refused(`${JSON.stringify(frameRec(1))}\n`, /not wspeek's session record.*"\{\\"type\\":\\"frame\\"/);
  await refused('{"type":"session","tool":"other-tool","ts":1}\n', /not wspeek's session record/);
  await refused('{"level":"info","msg":"another tool\'s JSON lines"}\n', /not wspeek's session record/);
  await refused('\u001b]0;pwned\u0007\n', /not JSON: "\\u001b\]0;pwned\\u0007"$/);
  // Blank lines before the session record are fine.
  const p = freshPath();
  fs.writeFileSync(p, `\n${JSON.stringify(SESSION)}\n${JSON.stringify(frameRec(1))}\n`);
  assert.deepEqual(await readAll(p), { list: [frameRec(1)], problems: [], tornLastLine: false });
});

/** Runs in a child process, in its own mount namespace, with `argv[2]` a 64 KiB tmpfs. */
const FULL_DISK_CHILD = `
import fs from 'node:fs';
import { SessionLogWriter } from ${JSON.stringify(new URL('../proxy/log/session-log.js', import.meta.url).href)};

const dir = process.argv[2];
const pad = 'x'.repeat(1000);
const out = {};

// Asynchronous path: lines written over many event-loop turns, more than the disk holds.
{
  const errors = [];
  const w = SessionLogWriter.create(dir + '/async.jsonl', (e) => errors.push(e.message));
  for (let turn = 0; turn < 20; turn++) {
    for (let i = 0; i < 10; i++) w.write({ type: 'http', conn: 1, ts: turn * 10 + i, method: 'GET', url: pad, status: 200, ms: 0 });
    await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => setTimeout(r, 100));
  out.asyncBeforeClose = errors.length;
  w.write({ type: 'http', conn: 1, ts: 1000, method: 'GET', url: pad, status: 200, ms: 0 });
  w.closeSync();
  await new Promise((r) => setTimeout(r, 50));
  out.async = errors;
  fs.unlinkSync(dir + '/async.jsonl');
}

// Synchronous path: everything pending at closeSync, more than the disk holds.
{
  const errors = [];
  const w = SessionLogWriter.create(dir + '/sync.jsonl', (e) => errors.push(e.message));
  for (let i = 0; i < 100; i++) w.write({ type: 'http', conn: 1, ts: i, method: 'GET', url: pad, status: 200, ms: 0 });
  w.closeSync();
  await new Promise((r) => setTimeout(r, 50));
  out.sync = errors;
  out.syncSize = fs.statSync(dir + '/sync.jsonl').size;
}
process.stdout.write(JSON.stringify(out));
`;

test('a write failure after create (a full disk) calls onError once, saying capture goes on', (t) => {
  if (process.platform !== 'linux') return t.skip('needs Linux (a private tmpfs mount via unshare)');
  const script = path.join(dir, 'full-disk-child.mjs');
  fs.writeFileSync(script, FULL_DISK_CHILD);
  const mnt = fs.mkdtempSync(path.join(dir, 'mnt-'));
  const unshareArgs = process.getuid?.() === 0 ? ['-m'] : ['-r', '-m'];
  const r = spawnSync('unshare', [...unshareArgs, 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs "$1" || exit 77; echo MOUNTED >&2; exec "$2" "$3" "$1"', 'sh', mnt, process.execPath, script], { encoding: 'utf8', timeout: 8000 });
  if (r.error || !r.stderr.includes('MOUNTED')) {
    return t.skip(`cannot mount a small tmpfs in a private mount namespace (${r.error?.message ?? r.stderr.trim().split('\n').pop()}): no real full disk to write to`);
  }
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { asyncBeforeClose: number; async: string[]; sync: string[]; syncSize: number };
  for (const [which, errors, file] of [['async', out.async, 'async.jsonl'], ['sync', out.sync, 'sync.jsonl']] as const) {
    assert.equal(errors.length, 1, `${which}: onError once: ${JSON.stringify(errors)}`);
    assert.match(errors[0]!, /capture goes on/, which);
    assert.match(errors[0]!, /ENOSPC/, which);
    assert.ok(errors[0]!.includes(path.join(mnt, file)), `${which}: names the file: ${errors[0]}`);
  }
  assert.equal(out.asyncBeforeClose, 1, 'the asynchronous failure is reported when it happens, not at close');
  assert.ok(out.syncSize <= 64 * 1024);
});

test('a large binary payload (its base64 copied in as latin1) lands as one line equal to recordLine', () => {
  const p = freshPath();
  const errors: Error[] = [];
  const w = SessionLogWriter.create(p, (e) => errors.push(e));
  const payload = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) & 0xff));
  const big: MessageRecord = { type: 'message', conn: 2, seq: 1, ts: 5, from: 'server', kind: 'binary', length: payload.length, wireLength: payload.length, frames: 1, compressed: false, truncated: false, base64: payload.toString('base64'), rtt: 1.5 };
  const records: LogRecord[] = [frameRec(1), big, textRec(6, 'after')];
  for (const r of records) w.write(r);
  w.closeSync();
  assert.equal(fs.readFileSync(p, 'utf8'), linesOf(records));
  assert.deepEqual(JSON.parse(fs.readFileSync(p, 'utf8').split('\n')[1]!), big);
  assert.deepEqual(errors, []);
});

function binaryRec(i: number, bytes: number): MessageRecord {
  const payload = Buffer.alloc(bytes, i & 0xff);
  return { type: 'message', conn: 1, seq: 1, ts: i, from: 'server', kind: 'binary', length: bytes, wireLength: bytes, frames: 1, compressed: false, truncated: false, base64: payload.toString('base64') };
}

test('a line larger than a write buffer (3 MiB of base64) lands whole between its neighbours', async () => {
  const p = freshPath();
  const w = SessionLogWriter.create(p, (e) => assert.fail(e));
  const records: LogRecord[] = [frameRec(1), binaryRec(2, 3 * 1024 * 1024), textRec(3, 'after'), binaryRec(4, 700_000), frameRec(5)];
  for (const r of records) w.write(r);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(fs.readFileSync(p, 'utf8'), linesOf(records), 'written by the asynchronous path, before closeSync');
  w.closeSync();
  assert.equal(fs.readFileSync(p, 'utf8'), linesOf(records));
});

test('write buffers reused over many batches never overwrite a line before it is written', async () => {
  const p = freshPath();
  const w = SessionLogWriter.create(p, (e) => assert.fail(e));
  const records: LogRecord[] = [];
  for (let turn = 0; turn < 20; turn++) {
    // Each turn fills more than one buffer, so buffers go out, come back and are filled again.
    for (let i = 0; i < 5; i++) records.push(binaryRec(turn * 10 + i, 300_000), textRec(turn * 10 + i, `turn ${turn} line ${i}`));
    for (const r of records.slice(-10)) w.write(r);
    await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(fs.readFileSync(p, 'utf8'), linesOf(records));
  w.closeSync();
});

/**
 * Writes `records` while libuv's thread pool is blocked (a stalled disk), so nothing asynchronous
 * completes; `whileStalled` gets the file as it is then, the whole file expected, and the bytes of
 * buffers the writes added; once the pool is free, the file must be exactly the records' lines.
 */
async function writeStalled(t: TestContext, records: LogRecord[], whileStalled: (now: Buffer, expected: Buffer, added: number) => void): Promise<void> {
  const blocked = blockThreadPool();
  if (!blocked) return t.skip('needs mkfifo to hold the thread pool');
  const p = freshPath();
  const w = SessionLogWriter.create(p, (e) => assert.fail(e));
  const expected = Buffer.from(linesOf(records));
  const buffersBefore = process.memoryUsage().arrayBuffers;
  try {
    for (const r of records) w.write(r);
    const added = process.memoryUsage().arrayBuffers - buffersBefore;
    whileStalled(fs.readFileSync(p), expected, added);
  } finally {
    await blocked.release();
  }
  for (let i = 0; i < 500 && !fs.readFileSync(p).equals(expected); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(fs.readFileSync(p).equals(expected), 'what waited was written once the pool was free');
  w.closeSync();
}

test('with every write buffer in flight (a stalled disk), later batches are written synchronously in a buffer already used, and every line lands in order', async (t) => {
  // Lines of about 1 MB: each is a batch of its own while buffers are free.
  await writeStalled(t, Array.from({ length: 40 }, (_, i) => binaryRec(i, 750_000)), (now, expected, added) => {
    // 40 MB of lines went through the writer's own buffers: none were added (one would be ARENA_BYTES).
    assert.ok(added < ARENA_BYTES, `${added} bytes of buffers added`);
    // The first seven batches wait for the pool; after them the lines are written synchronously, two to a buffer, all but the last ones, still filling theirs.
    assert.ok(now.subarray(0, 1000).every((b) => b === 0), 'the first batch is still waiting in the thread pool');
    const thirtiethAt = linesOfCount(expected, 29);
    assert.ok(now.subarray(thirtiethAt, thirtiethAt + 1_000_000).equals(expected.subarray(thirtiethAt, thirtiethAt + 1_000_000)), 'the 30th line was written synchronously');
  });
});

test('past 32 MiB in writes not yet completed, lines larger than a write buffer are written synchronously and every line still lands in order', async (t) => {
  // 3.2 MB payloads: 4.3 MB of base64, more than a write buffer holds, so each line has a buffer of its own:
  // the 32 MiB bound is what stops memory growing.
  await writeStalled(t, Array.from({ length: 10 }, (_, i) => binaryRec(i, 3_200_000)), (now, expected) => {
    // The last lines are already on disk at their offsets; the first ones still wait for the pool (a hole of zeros).
    assert.equal(now.length, expected.length, 'the last line was written synchronously');
    assert.ok(now.subarray(now.length - 1_000_000).equals(expected.subarray(expected.length - 1_000_000)), 'the last line is on disk');
    const ninthAt = linesOfCount(expected, 8);
    assert.ok(now.subarray(ninthAt, ninthAt + 1_000_000).equals(expected.subarray(ninthAt, ninthAt + 1_000_000)), 'the 9th line was written synchronously');
    assert.ok(now.subarray(0, 1000).every((b) => b === 0), 'the first batch is still waiting in the thread pool');
  });
});

test('a synchronous write that fails while the disk is stalled ends the log there: the line that asked for room is not written after the gap', async (t) => {
  const blocked = blockThreadPool();
  if (!blocked) return t.skip('needs mkfifo to hold the thread pool');
  const p = freshPath();
  const errors: Error[] = [];
  const w = SessionLogWriter.create(p, (e) => errors.push(e));
  const { write, writeSync } = fs;
  let writesAfterFailure = 0;
  Object.assign(fs, {
    writeSync: () => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    },
    write: (...args: unknown[]) => {
      if (errors.length > 0) writesAfterFailure++;
      return (write as (...a: unknown[]) => void)(...args);
    },
  });
  let released = false;
  const release = async () => {
    if (!released) await blocked.release();
    released = true;
  };
  try {
    // Seven lines wait for the pool, two more fill the last buffer, the tenth needs room: a synchronous write, which fails.
    for (let i = 0; i < 12; i++) w.write(binaryRec(i, 750_000));
    assert.equal(errors.length, 1, 'the failure is said once');
    assert.match(errors[0]!.message, /ENOSPC/);
    Object.assign(fs, { writeSync });
    await release();
    // The writes that waited for the pool complete; a batch left waiting for one of them would go now.
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    Object.assign(fs, { write, writeSync });
    await release();
  }
  assert.equal(writesAfterFailure, 0, 'nothing was written after the failure');
  w.closeSync();
});

/** Where line `n + 1` starts in `file` (after its first `n` lines). */
function linesOfCount(file: Buffer, n: number): number {
  let at = 0;
  for (let i = 0; i < n; i++) at = file.indexOf(0x0a, at) + 1;
  return at;
}

test('with direct I/O and without, the same records make the same file', async () => {
  const records: LogRecord[] = [];
  for (let i = 0; i < 400; i++) records.push(frameRec(i), i % 50 === 0 ? binaryRec(i, 100_000 + i * 997) : textRec(i, `line ${i}`));
  const files = [];
  for (const direct of [true, false]) {
    const p = freshPath();
    const w = SessionLogWriter.create(p, (e) => assert.fail(e), { direct });
    for (const [i, r] of records.entries()) {
      w.write(r);
      if (i % 97 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    w.closeSync();
    files.push(fs.readFileSync(p));
  }
  assert.ok(files[0]!.equals(Buffer.from(linesOf(records))));
  assert.ok(files[1]!.equals(files[0]!));
});

test('writeViewLog: a saved view is a session log at the path given, read back record for record; an existing file is refused', async () => {
  const records: LogRecord[] = [SESSION, frameRec(1), textRec(2, 'héllo "view"\n'), frameRec(3)];
  const file = freshPath();
  assert.equal(writeViewLog(records, file), file);
  assert.equal(fs.readFileSync(file, 'utf8'), linesOf(records));
  assert.deepEqual((await readAll(file)).list, records.slice(1));
  assert.throws(() => writeViewLog([frameRec(9)], file), { message: `${file} already exists; wspeek never overwrites a file` });
  assert.equal(fs.readFileSync(file, 'utf8'), linesOf(records), 'left as it was');
});

test('read waits for pace before reading on: a log is read no faster than its output drains', async () => {
  const p = path.join(dir, 'paced.jsonl');
  const lines = [JSON.stringify({ type: 'session', version: 1, tool: 'wspeek', ts: 1, mode: 'reverse', listen: '127.0.0.1:1', target: null })];
  for (let i = 1; i <= 3000; i++) lines.push(JSON.stringify({ type: 'connect', conn: i, ts: i, client: 'c', server: null, tls: false }));
  fs.writeFileSync(p, `${lines.join('\n')}\n`);
  let release!: () => void;
  let paced = 0;
  const seen: LogRecord[] = [];
  const reading = (await openSessionLog(p)).read((r) => seen.push(r), () => {
    paced++;
    return paced === 1 ? new Promise<void>((r) => (release = r)) : null;
  });
  await new Promise((r) => setTimeout(r, 50));
  const held = seen.length;
  assert.ok(held > 0 && held < 3001, `reading stopped while the output was behind: ${held} records`);
  release();
  const result = await reading;
  assert.equal(result.records, 3001);
  assert.equal(seen.length, 3001);
});
