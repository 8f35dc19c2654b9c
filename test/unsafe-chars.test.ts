import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAYBE_UNSAFE_CHARS, UNSAFE_CHARS } from '../core/log/unsafe-chars.js';

test('the cheap pre-check lets through every character the full test catches, over the whole BMP', () => {
  const full = new RegExp(UNSAFE_CHARS.source, 'u'); // no g: no lastIndex state between tests
  const missed: string[] = [];
  for (let cp = 0; cp <= 0xffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue; // lone surrogates: covered by the next test
    const c = String.fromCharCode(cp);
    if (full.test(c) && !MAYBE_UNSAFE_CHARS.test(c)) missed.push(cp.toString(16));
  }
  assert.deepEqual(missed, []);
});

test('format characters beyond the BMP are caught by the pre-check through their surrogates', () => {
  for (const cp of [0x110bd, 0x1bca0, 0x1d173, 0xe0001, 0xe0041]) {
    const c = String.fromCodePoint(cp);
    assert.match(c, new RegExp(UNSAFE_CHARS.source, 'u'), cp.toString(16));
    assert.match(c, MAYBE_UNSAFE_CHARS, cp.toString(16));
  }
});

test('ordinary text, arrows, box drawing and CJK skip the full scan', () => {
  for (const s of ['hello, world', 'c→s ← … │ ┌─┐', 'こんにちは、世界', 'Grüße', '{"a":[1,2]}']) assert.equal(MAYBE_UNSAFE_CHARS.test(s), false, s);
});
