import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { preview, visible } from '../tui/sanitize.js';

/** What must never reach the terminal raw: C0, DEL, C1, bidi embeddings/overrides/isolates, zero-width and other format characters, line/paragraph separators. */
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;

test('plain text, Unicode letters and emoji pass unchanged', () => {
  for (const s of ['', 'Hello, world', 'ünïcödé ÅÄÖ', '日本語のテキスト', 'emoji 🎉👍🏽', 'tabs→arrows ← │ …', '{"a":[1,2]}', 'back\\slash']) {
    assert.equal(visible(s), s);
  }
});

test('C0 controls become visible escapes; \\n \\r \\t get their short names', () => {
  assert.equal(visible('a\nb\rc\td'), 'a\\nb\\rc\\td');
  assert.equal(visible('\x00\x01\x07\x08\x0b\x0c\x1b\x1f'), '\\x00\\x01\\x07\\x08\\x0b\\x0c\\x1b\\x1f');
});

test('ANSI escape sequences lose their ESC and BEL: no clearing, no retitling', () => {
  assert.equal(visible('\x1b[2J\x1b[H'), '\\x1b[2J\\x1b[H');
  assert.equal(visible('\x1b]0;pwned\x07'), '\\x1b]0;pwned\\x07');
  assert.equal(visible('\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\'), '\\x1b]8;;http://evil\\x1b\\link\\x1b]8;;\\x1b\\');
  assert.equal(visible('\x1bP+q\x1b\\'), '\\x1bP+q\\x1b\\');
});

test('DEL and C1 controls (8-bit CSI, OSC, NEL…) become \\xNN', () => {
  assert.equal(visible('\x7f'), '\\x7f');
  assert.equal(visible('\x9b31mred'), '\\x9b31mred');
  assert.equal(visible('\x9d0;t\x9c'), '\\x9d0;t\\x9c');
  assert.equal(visible('\x80\x85\x9f'), '\\x80\\x85\\x9f');
  assert.equal(visible('\xa0'), '\xa0', 'NBSP (just past C1) is printable');
});

test('bidi controls, zero-width and other format characters become \\u{…}', () => {
  assert.equal(visible('abc\u202edcba'), 'abc\\u{202e}dcba');
  assert.equal(visible('\u202a\u202b\u202c\u202d'), '\\u{202a}\\u{202b}\\u{202c}\\u{202d}');
  assert.equal(visible('\u2066\u2067\u2068\u2069'), '\\u{2066}\\u{2067}\\u{2068}\\u{2069}');
  assert.equal(visible('\u200e\u200f\u061c'), '\\u{200e}\\u{200f}\\u{61c}');
  assert.equal(visible('zero\u200bwidth\u200c\u200d\u2060\ufeff'), 'zero\\u{200b}width\\u{200c}\\u{200d}\\u{2060}\\u{feff}');
  assert.equal(visible('line\u2028para\u2029'), 'line\\u{2028}para\\u{2029}');
  assert.equal(visible('tag\u{e0041}'), 'tag\\u{e0041}', 'astral format characters too');
});

test('blessed markup is not touched here (the screen escapes it)', () => {
  assert.equal(visible('{red-fg}x{/red-fg}{bold}'), '{red-fg}x{/red-fg}{bold}');
});

test('visible is idempotent and never leaves anything unsafe (property)', () => {
  const anyChar = fc.oneof(
    fc.integer({ min: 0, max: 0x3ff }),
    fc.integer({ min: 0x2000, max: 0x206f }),
    fc.constantFrom(0xfeff, 0x061c, 0x180e, 0xe0001, 0x1f600),
  ).map((c) => String.fromCodePoint(c));
  fc.assert(fc.property(fc.array(anyChar, { maxLength: 40 }).map((a) => a.join('')), (s) => {
    const v = visible(s);
    assert.doesNotMatch(v, UNSAFE);
    assert.equal(visible(v), v);
    // Safe characters are kept, in order.
    const safe = [...s].filter((c) => !/[\x00-\x1f\x7f-\x9f\u2028\u2029]|\p{Cf}/u.test(c));
    let at = 0;
    for (const c of safe) {
      at = v.indexOf(c, at);
      assert.ok(at >= 0, `kept ${JSON.stringify(c)}`);
      at += c.length;
    }
  }), { numRuns: 500 });
});

test('preview shortens after making the text visible', () => {
  assert.equal(preview('short', 10), 'short');
  assert.equal(preview('exactly10!', 10), 'exactly10!');
  assert.equal(preview('0123456789ABC', 10), '012345678…');
  assert.equal(preview('\x1b[2J', 10), '\\x1b[2J');
  const p = preview('\x1b[2J\x1b[2J\x1b[2J', 8);
  assert.equal(p.length, 8);
  assert.doesNotMatch(p, UNSAFE);
});
