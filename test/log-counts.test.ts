import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { countLog } from '../bench/log-counts.js';
import { RecordLineEncoder } from '../core/log/record-line.js';
import type { LogRecord } from '../core/log/records.js';

const encoder = new RecordLineEncoder();

/** A soak-like log: `n` text frames and messages each way, a payload that spells the patterns, a close each way. */
function writeLog(file: string, n: number): void {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    for (const from of ['client', 'server'] as const) {
      const masked = from === 'client';
      lines.push(encoder.line({ type: 'frame', conn: 1, ts: 1795290133410 + i, from, fin: true, rsv: [false, false, false], opcode: 1, masked, mask: masked ? '37fa213d' : null, length: 40 }));
      // The text holds both patterns; inside a JSON string they are escaped, so they must not count.
      lines.push(encoder.line({ type: 'message', conn: 1, seq: 1, ts: 1795290133410 + i, from, kind: 'text', length: 40, wireLength: 40, frames: 1, compressed: false, truncated: false, text: `{"kind":"text","opcode":1,"seq":${i}}` }));
    }
  }
  const closes: LogRecord[] = [
    { type: 'frame', conn: 1, ts: 1, from: 'client', fin: true, rsv: [false, false, false], opcode: 8, masked: true, mask: '00000000', length: 2 },
    { type: 'message', conn: 1, seq: 1, ts: 1, from: 'client', kind: 'close', length: 2, wireLength: 2, frames: 1, compressed: false, truncated: false, close: { code: 1000, reason: '' } },
  ];
  for (const r of closes) lines.push(encoder.line(r));
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}

test('countLog counts text messages, text frames and lines exactly, however the file is cut into chunks', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wspeek-log-counts-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'soak.jsonl');
  writeLog(file, 500);
  const size = fs.statSync(file).size;
  // Chunk sizes below, at and around the patterns' lengths put a pattern across a boundary many times over.
  for (const chunk of [1, 7, 11, 12, 13, 64, 4096, 4 * 1024 * 1024]) {
    assert.deepEqual(await countLog(file, chunk), { bytes: size, lines: 2002, textMessages: 1000, textFrames: 1000, endsWithNewline: true }, `chunks of ${chunk}`);
  }
});

test('countLog reports a log whose last line was cut off', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wspeek-log-counts-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'torn.jsonl');
  writeLog(file, 3);
  fs.truncateSync(file, fs.statSync(file).size - 5);
  const counts = await countLog(file, 16);
  assert.equal(counts.endsWithNewline, false);
  assert.equal(counts.lines, 13);
});
