// The CLI's HAR flags, run as a user runs them: --save-har while capturing, open FILE.har, open --har.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { finished, ROOT, RUN_MS, startCli, useCliSandbox, type CliRun as Run } from './support/cli-process.js';

const sandbox = useCliSandbox('cli-har');

/** Runs the CLI to completion; kills it and fails if it takes longer than `ms`. */
function run(args: string[], ms = RUN_MS): Promise<Run> {
  return finished(startCli(sandbox.home, args), ms, `wspeek ${args.join(' ')} exits`);
}

/** Asserts a usage error: exit code 2 and exactly one line on stderr, matching `pattern`. */
function assertUsageError(r: Run, pattern: RegExp): void {
  assert.equal(r.code, 2, `exit code 2 (stderr: ${r.stderr})`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${JSON.stringify(r.stderr)}`);
  assert.match(lines[0]!, pattern);
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

type Rec = { type: string; conn?: number; [k: string]: unknown };

test('--save-har to an existing file exits 2 before listening and leaves the file alone', async () => {
  const file = path.join(sandbox.work, 'existing.har');
  fs.writeFileSync(file, '{"log":"precious"}');
  const r = await run(['--listen', '127.0.0.1:0', '--target', 'ws://127.0.0.1:1', '--save-har', file, '--no-tui']);
  assertUsageError(r, /existing\.har already exists; wspeek never overwrites a file/);
  assert.equal(fs.readFileSync(file, 'utf8'), '{"log":"precious"}');
});

/** A message record as a HAR keeps it: connection, direction, kind, payload, time. */
function messageEssence(m: Rec): string {
  const payload = m.text !== undefined ? Buffer.from(String(m.text)) : m.base64 !== undefined ? Buffer.from(String(m.base64), 'base64') : Buffer.alloc(0);
  const close = m.close as { code: number | null; reason: string } | undefined;
  const closeBytes = close && close.code !== null ? Buffer.concat([Buffer.from([close.code >> 8, close.code & 0xff]), Buffer.from(close.reason)]) : null;
  return `#${String(m.conn)} ${String(m.from)} ${String(m.kind)} ${(closeBytes ?? payload).toString('hex')} ${String(m.ts)}`;
}

test('round trip: demo --save and --save-har, and open --har from the log: each HAR opened again gives the log\'s messages to the microsecond', async () => {
  const log = path.join(sandbox.work, 'trip.jsonl');
  const live = path.join(sandbox.work, 'trip-live.har');
  const converted = path.join(sandbox.work, 'trip-converted.har');
  const demo = await run(['demo', '--no-tui', '--save', log, '--save-har', live]);
  assert.equal(demo.code, 0, demo.stderr);
  const conversion = await run(['open', log, '--har', converted]);
  assert.equal(conversion.code, 0, conversion.stderr);
  assert.equal(conversion.stdout, '', 'a conversion prints nothing');
  assert.equal(conversion.stderr, '');
  const expected = lines(fs.readFileSync(log, 'utf8')).map((l) => JSON.parse(l) as Rec).filter((r) => r.type === 'message');
  // HAR numbers its entries: connection numbers are the entries' (the page's GET is entry 1 here as in the log).
  for (const har of [live, converted]) {
    const opened = await run(['open', har, '--json']);
    assert.equal(opened.code, 0, opened.stderr);
    const records = lines(opened.stdout).map((l) => JSON.parse(l) as Rec);
    assert.equal(records[0]!.mode, 'har');
    assert.equal(records[0]!.source, path.basename(har));
    const messages = records.filter((r) => r.type === 'message');
    assert.equal(messages.length, expected.length);
    assert.deepEqual(messages.map(messageEssence).map((e) => e.replace(/^#\d+ /, '')), expected.map(messageEssence).map((e) => e.replace(/^#\d+ /, '')));
    for (const type of ['connect', 'handshake', 'end', 'http']) assert.ok(records.some((r) => r.type === type), `${path.basename(har)}: a ${type} record`);
    assert.ok(!records.some((r) => r.type === 'frame'), 'HAR has no frames');
  }
  const again = await run(['open', log, '--har', converted]);
  assertUsageError(again, /trip-converted\.har already exists; wspeek never overwrites a file/);
});

test('open FILE.har --har --filter keeps the matching messages of the connections and what frames them', async () => {
  const file = path.join(ROOT, 'test', 'fixtures', 'chrome-websocket.har');
  const out = path.join(sandbox.work, 'server-text.har');
  const r = await run(['open', file, '--har', out, '--filter', 'server text']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout + r.stderr, '');
  const har = JSON.parse(fs.readFileSync(out, 'utf8')) as { log: { entries: Array<{ request: { url: string }; _webSocketMessages?: Array<{ type: string; opcode: number }> }> } };
  const messages = har.log.entries.flatMap((e) => e._webSocketMessages ?? []);
  assert.ok(messages.length > 0);
  assert.deepEqual(messages.map((m) => [m.type, m.opcode]), [['receive', 1]], 'only the server\'s text');
  assert.ok(har.log.entries.every((e) => e._webSocketMessages), 'no plain HTTP entries, as --json --filter drops http records');
});

test('open reads HAR from Chrome DevTools, mitmproxy and HTTP Toolkit: lines, JSON, and what could not be read on stderr with exit 0', async () => {
  const fixture = (name: string) => path.join(ROOT, 'test', 'fixtures', name);
  const chrome = await run(['open', fixture('chrome-websocket.har'), '--no-tui']);
  assert.equal(chrome.code, 0, chrome.stderr);
  assert.equal(chrome.stderr, '');
  assert.match(chrome.stdout, /handshake ws:\/\/127\.0\.0\.1:8000\/chat\?room=1 → 101/);
  assert.match(chrome.stdout, /c→s text .*"héllo ✓"/);
  assert.match(chrome.stdout, /WebSocket protocol error: Invalid frame header/);
  const mitm = await run(['open', fixture('mitmproxy-savehar.har'), '--json']);
  assert.equal(mitm.code, 0);
  assert.equal(mitm.stderr, `${fixture('mitmproxy-savehar.har')}: entry 1 (wss://echo.example.test/socket): 1 of 5 WebSocket messages lack type, time, opcode or data; the others are shown\n`);
  assert.equal(lines(mitm.stdout).map((l) => JSON.parse(l) as Rec).filter((r) => r.type === 'message').length, 4);
  const toolkit = await run(['open', fixture('httptoolkit.har'), '--json', '--filter', 'binary']);
  assert.equal(toolkit.code, 0, toolkit.stderr);
  const records = lines(toolkit.stdout).map((l) => JSON.parse(l) as Rec);
  assert.deepEqual(records.filter((r) => r.type === 'message').map((r) => r.base64), ['AQID']);
  assert.deepEqual(records.filter((r) => r.type === 'end').map((r) => r.code), [1000, null]);
});
