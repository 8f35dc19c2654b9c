import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeNewFile } from '../proxy/log/new-file.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wspeek-new-file-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('writes the bytes exactly and returns the path', () => {
  const bytes = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256)); // every byte value, twice
  const file = path.join(dir, 'payload.bin');
  assert.equal(writeNewFile(file, bytes), file);
  assert.deepEqual(fs.readFileSync(file), bytes);
  const text = path.join(dir, 'text.txt');
  writeNewFile(text, 'é\r\n\x00');
  assert.deepEqual(fs.readFileSync(text), Buffer.from([0xc3, 0xa9, 0x0d, 0x0a, 0x00]));
});

test('never overwrites: an existing file is refused and left as it was', () => {
  const file = path.join(dir, 'taken.bin');
  fs.writeFileSync(file, 'mine');
  assert.throws(() => writeNewFile(file, Buffer.from('theirs')), { message: `${file} already exists; wspeek never overwrites a file` });
  assert.equal(fs.readFileSync(file, 'utf8'), 'mine');
});

test('other failures: one line naming the file', () => {
  const file = path.join(dir, 'no-such-dir', 'x.bin');
  assert.throws(() => writeNewFile(file, 'x'), { message: `cannot write ${file}: no such file or directory` });
});
