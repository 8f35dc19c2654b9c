import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PayloadStore } from '../tui/payload-store.js';

const MiB = 1024 * 1024;

test('text, lone surrogates, base64, bytes and empty payloads come back as they were stored', () => {
  const store = new PayloadStore(8 * MiB);
  const text = store.writeString('héllo ✓ 😀', 'utf8');
  const textBytes = store.written;
  const odd = store.writeString('lone \ud800 surrogate', 'utf16le');
  const oddBytes = store.written;
  const b64 = store.writeString('AAEC/w==', 'latin1');
  const bytes = store.writeBytes(Uint8Array.of(0, 1, 255));
  const empty = store.writeString('', 'utf8');
  assert.equal(textBytes, Buffer.byteLength('héllo ✓ 😀'));
  assert.equal(store.readString(text, textBytes, 'utf8'), 'héllo ✓ 😀');
  assert.equal(store.readString(odd, oddBytes, 'utf16le'), 'lone \ud800 surrogate');
  assert.equal(store.readString(b64, 8, 'latin1'), 'AAEC/w==');
  assert.deepEqual([...store.viewBytes(bytes, 3)], [0, 1, 255]);
  assert.equal(store.readString(empty, 0, 'utf8'), '');
  assert.equal(store.heldBytes, MiB, 'small payloads share one block');
});

test('past the budget the oldest block goes, with its payloads; the others stay intact', () => {
  const store = new PayloadStore(100); // blocks of 12 bytes; larger payloads get a block of their own
  const a = store.writeBytes(Buffer.alloc(40, 1));
  const b = store.writeBytes(Buffer.alloc(40, 2));
  assert.equal(store.heldBytes, 80);
  const c = store.writeBytes(Buffer.alloc(30, 3)); // 110 > 100: a's block goes
  assert.equal(store.heldBytes, 70);
  assert.deepEqual([store.holds(a), store.holds(b), store.holds(c)], [false, true, true]);
  assert.ok(store.viewBytes(b, 40).equals(Buffer.alloc(40, 2)));
  assert.ok(store.viewBytes(c, 30).equals(Buffer.alloc(30, 3)));
});

test('released payloads give their block back once everything in it is released, never the newest block', () => {
  const store = new PayloadStore(80 * MiB); // blocks of 1 MiB
  const first = store.writeBytes(Buffer.alloc(600 * 1024, 1));
  const second = store.writeBytes(Buffer.alloc(600 * 1024, 2)); // does not fit after the first: a second block
  const third = store.writeBytes(Buffer.alloc(100, 3)); // fits after the second
  assert.equal(store.heldBytes, 2 * MiB);
  store.release(first + 600 * 1024);
  assert.equal(store.heldBytes, MiB, 'the first block is free');
  assert.equal(store.holds(first), false);
  assert.equal(store.holds(second), true);
  store.release(third + 100);
  assert.equal(store.heldBytes, MiB, 'the block still being filled stays');
  assert.ok(store.viewBytes(third, 100).equals(Buffer.alloc(100, 3)));
});

test('a payload larger than the budget is refused and changes nothing', () => {
  const store = new PayloadStore(10);
  const a = store.writeBytes(Buffer.alloc(6, 1));
  assert.equal(store.writeBytes(Buffer.alloc(11)), -1);
  assert.equal(store.writeString('x'.repeat(11), 'latin1'), -1);
  assert.equal(store.holds(a), true);
  assert.ok(store.viewBytes(a, 6).equals(Buffer.alloc(6, 1)));
});

test('UTF-8 text takes its exact length when three bytes a character would not fit', () => {
  const store = new PayloadStore(64 * 1024); // blocks of 8 KiB
  store.writeBytes(Buffer.alloc(8000));
  const at = store.writeString('x'.repeat(100), 'utf8'); // 300 bytes would not fit in the last 192; 100 do
  assert.equal(store.heldBytes, 8192, 'no new block');
  assert.equal(store.readString(at, store.written, 'utf8'), 'x'.repeat(100));
});

test('whatever the sizes and releases: the newest payload is held, memory stays within the budget, and what is held reads back intact', () => {
  const step = fc.record({ size: fc.nat({ max: 90 }), release: fc.nat({ max: 3 }) });
  fc.assert(fc.property(fc.integer({ min: 1, max: 120 }), fc.array(step, { maxLength: 60 }), (budget, steps) => {
    const store = new PayloadStore(budget);
    const stored: Array<{ at: number; bytes: Buffer }> = [];
    let released = 0;
    steps.forEach(({ size, release }, n) => {
      const bytes = Buffer.alloc(size, n & 0xff);
      const at = store.writeBytes(bytes);
      if (size > budget) assert.equal(at, -1);
      else {
        assert.equal(store.holds(at), true, 'the newest payload is held');
        stored.push({ at, bytes });
      }
      // Rows leave oldest first, a few at a time.
      for (let k = 0; k < release && released < stored.length - 1; k++, released++) {
        const s = stored[released]!;
        store.release(s.at + s.bytes.length);
      }
      assert.ok(store.heldBytes <= budget);
      for (const s of stored.slice(released)) {
        if (store.holds(s.at)) assert.ok(store.viewBytes(s.at, s.bytes.length).equals(s.bytes));
      }
    });
  }), { numRuns: 300 });
});
