import { test, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ARENA_BYTES, BLOCK, DIRECT_MIN, LogFile } from '../proxy/log/log-file.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wspeek-log-file-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const freshPath = () => path.join(dir, `file-${++fileNo}.bin`);

/** Whether a descriptor was opened with O_DIRECT (Linux: /proc/self/fdinfo). */
function isDirect(fd: number): boolean {
  try {
    const flags = /flags:\s+([0-7]+)/.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
    return flags !== undefined && (parseInt(flags, 8) & fs.constants.O_DIRECT) !== 0;
  } catch {
    return false;
  }
}

interface Call { direct: boolean; length: number; position: number }

/**
 * Records every fs.write/fs.writeSync (the module calls them on the shared `fs` object) and,
 * with `refuse`, fails those on an O_DIRECT descriptor with EINVAL, as a file system that
 * accepts O_DIRECT at open but not for writes would.
 */
function watchWrites(refuse = false): { calls: Call[]; restore(): void } {
  const calls: Call[] = [];
  const { write, writeSync } = fs;
  const einval = () => Object.assign(new Error('EINVAL: invalid argument, write'), { code: 'EINVAL' });
  (fs as { write: unknown }).write = (fd: number, buf: Buffer, off: number, len: number, pos: number, cb: (err: Error | null, n: number) => void) => {
    const direct = isDirect(fd);
    calls.push({ direct, length: len, position: pos });
    if (refuse && direct) return process.nextTick(cb, einval(), 0);
    return write(fd, buf, off, len, pos, cb);
  };
  (fs as { writeSync: unknown }).writeSync = (fd: number, buf: Buffer, off: number, len: number, pos: number) => {
    const direct = isDirect(fd);
    calls.push({ direct, length: len, position: pos });
    if (refuse && direct) throw einval();
    return writeSync(fd, buf, off, len, pos);
  };
  return { calls, restore: () => Object.assign(fs, { write, writeSync }) };
}

/**
 * Writes `sizes` bytes after one another as the session log does: each piece in an arena, from
 * the arena index `position % BLOCK`, waiting for the writes in flight when no arena is spare.
 */
async function writePieces(file: LogFile, sizes: number[], sync: (i: number) => boolean, from = 0): Promise<Buffer> {
  const expected: Buffer[] = [];
  const pending: Array<Promise<void>> = [];
  let position = from;
  for (const [i, size] of sizes.entries()) {
    const lead = position % BLOCK;
    if (file.spareArenas === 0) await Promise.all(pending);
    const arena = lead + size <= ARENA_BYTES ? file.arena() : Buffer.allocUnsafe(lead + size);
    const data = arena.subarray(lead, lead + size);
    for (let j = 0; j < size; j++) data[j] = (i * 31 + j) & 0xff;
    expected.push(Buffer.from(data));
    if (sync(i)) {
      file.writeSync(data, position);
      file.release(arena);
    } else {
      pending.push(new Promise((resolve, reject) => file.write(data, position, (err) => {
        file.release(arena);
        if (err) reject(err);
        else resolve();
      })));
    }
    position += size;
  }
  await Promise.all(pending);
  return Buffer.concat(expected);
}

/** A new file that takes direct I/O, or null (the test skipped) where the temporary directory's file system doesn't. */
function directFile(t: TestContext, p: string): LogFile | null {
  const file = LogFile.create(p);
  if (file.directIo) return file;
  file.close(assert.fail);
  t.skip(`${os.tmpdir()} does not take O_DIRECT writes`);
  return null;
}

const SIZES = [1, 100, BLOCK - 101, BLOCK, 3 * BLOCK + 7, 5000, 2 * BLOCK, 1, 300_000, DIRECT_MIN + 3 * BLOCK + 5, 17, ARENA_BYTES - 1, 2 * ARENA_BYTES + 3, 64];

test('pieces written at any offset, asynchronously and synchronously, make up the file byte for byte', async () => {
  const p = freshPath();
  const file = LogFile.create(p);
  const expected = await writePieces(file, SIZES, (i) => i % 3 === 2);
  file.close(assert.fail);
  assert.ok(fs.readFileSync(p).equals(expected));
});

test('only the whole 64 KiB blocks of a large write go with direct I/O; the partial blocks at either end, and small writes, go through the page cache', async (t) => {
  const p = freshPath();
  const file = directFile(t, p);
  if (!file) return;
  const blocks = DIRECT_MIN / BLOCK;
  const watch = watchWrites();
  try {
    // Starts 100 bytes into a block and ends 7 bytes into one: head, DIRECT_MIN in whole blocks, tail.
    await writePieces(file, [100, (blocks + 1) * BLOCK - 93], () => false);
    // Fewer whole blocks than DIRECT_MIN: one write through the page cache.
    await writePieces(file, [DIRECT_MIN], () => false, (blocks + 1) * BLOCK + 7);
  } finally {
    watch.restore();
  }
  file.close(assert.fail);
  assert.deepEqual(watch.calls, [
    { direct: false, length: 100, position: 0 },
    { direct: false, length: BLOCK - 100, position: 100 },
    { direct: true, length: DIRECT_MIN, position: BLOCK },
    { direct: false, length: 7, position: (blocks + 1) * BLOCK },
    { direct: false, length: DIRECT_MIN, position: (blocks + 1) * BLOCK + 7 },
  ]);
  assert.equal(fs.statSync(p).size, (blocks + 1) * BLOCK + 7 + DIRECT_MIN);
});

test('a buffer from outside the pool (a line larger than an arena) is written through the page cache', async (t) => {
  const file = directFile(t, freshPath());
  if (!file) return;
  const watch = watchWrites();
  try {
    await writePieces(file, [ARENA_BYTES + BLOCK], () => false);
  } finally {
    watch.restore();
  }
  file.close(assert.fail);
  assert.deepEqual(watch.calls, [{ direct: false, length: ARENA_BYTES + BLOCK, position: 0 }]);
});

test('{ direct: false } never opens the file for direct I/O', async () => {
  const file = LogFile.create(freshPath(), { direct: false });
  assert.equal(file.directIo, false);
  const watch = watchWrites();
  try {
    await writePieces(file, [3 * BLOCK], (i) => i === 1);
  } finally {
    watch.restore();
  }
  file.close(assert.fail);
  assert.ok(watch.calls.every((c) => !c.direct));
});

test('a refused direct write is written again through the page cache, and every later write goes that way', async (t) => {
  const p = freshPath();
  const file = directFile(t, p);
  if (!file) return;
  const watch = watchWrites(true);
  const expected: Buffer[] = [];
  let afterRefusal: Call[];
  try {
    expected.push(await writePieces(file, SIZES, (i) => i === 4));
    assert.ok(watch.calls.some((c) => c.direct), 'direct writes were tried');
    assert.equal(file.directIo, false);
    const tried = watch.calls.length;
    expected.push(await writePieces(file, SIZES, (i) => i === 4, expected[0]!.length));
    afterRefusal = watch.calls.slice(tried);
  } finally {
    watch.restore();
  }
  assert.ok(afterRefusal.every((c) => !c.direct), 'none once one was refused');
  file.close(assert.fail);
  assert.ok(fs.readFileSync(p).equals(Buffer.concat(expected)));
});

test('close waits for writes in flight before it closes the descriptors', async (t) => {
  if (!fs.existsSync('/proc/self/fd')) return t.skip('needs /proc/self/fd');
  const fds = () => fs.readdirSync('/proc/self/fd').length;
  const before = fds();
  const p = freshPath();
  const file = LogFile.create(p);
  const arena = file.arena();
  arena.fill(0x61, 0, 2 * BLOCK);
  let settled = false;
  file.write(arena.subarray(0, 2 * BLOCK), 0, (err) => {
    assert.equal(err, null);
    settled = true;
  });
  file.close(assert.fail);
  assert.equal(settled, false);
  assert.ok(fds() > before, 'still open while the write is in flight');
  for (let i = 0; i < 200 && !settled; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(settled, true);
  assert.equal(fds(), before, 'every descriptor closed once it settled');
  assert.equal(fs.readFileSync(p, 'latin1'), 'a'.repeat(2 * BLOCK));
});
