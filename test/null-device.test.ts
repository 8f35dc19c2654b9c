import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { isNullDevice } from '../cli/null-device.js';

test('an fd open on /dev/null is the null device', () => {
  const fd = fs.openSync('/dev/null', 'w');
  try {
    assert.equal(isNullDevice(fd), true);
  } finally {
    fs.closeSync(fd);
  }
});

test('a regular file, another character device and a closed fd are not', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'wspeek-null-')), 'out');
  const fd = fs.openSync(file, 'w');
  const zero = fs.openSync('/dev/zero', 'r');
  try {
    assert.equal(isNullDevice(fd), false);
    assert.equal(isNullDevice(zero), false);
  } finally {
    fs.closeSync(fd);
    fs.closeSync(zero);
    fs.rmSync(path.dirname(file), { recursive: true });
  }
  assert.equal(isNullDevice(fd), false);
});

test("a child's stdout given as 'ignore' is the null device; a pipe is not", () => {
  const probe = `import { isNullDevice } from ${JSON.stringify(new URL('../cli/null-device.js', import.meta.url).href)}; process.stderr.write(String(isNullDevice(1)));`;
  const run = (stdout: 'ignore' | 'pipe') => spawnSync(process.execPath, ['--input-type=module', '-e', probe], { stdio: ['ignore', stdout, 'pipe'], encoding: 'utf8' }).stderr;
  assert.equal(run('ignore'), 'true');
  assert.equal(run('pipe'), 'false');
});
