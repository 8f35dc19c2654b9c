import { test } from 'node:test';
import assert from 'node:assert/strict';
import { completeUtf8Length, decodeUtf8 } from '../core/websocket/utf8.js';

test('decodeUtf8 decodes valid UTF-8 of every sequence length', () => {
  // "a", "é" (2 bytes), "€" (3 bytes), "😀" (4 bytes)
  assert.equal(decodeUtf8(Buffer.from('61c3a9e282acf09f9880', 'hex')), 'a\u00e9\u20ac\u{1f600}');
  assert.equal(decodeUtf8(Buffer.alloc(0)), '');
});

test('decodeUtf8 returns null for invalid UTF-8 instead of replacing characters', () => {
  assert.equal(decodeUtf8(Buffer.from('c328', 'hex')), null); // bad continuation
  assert.equal(decodeUtf8(Buffer.from('ff', 'hex')), null); // never a valid byte
  assert.equal(decodeUtf8(Buffer.from('c0af', 'hex')), null); // overlong "/"
  assert.equal(decodeUtf8(Buffer.from('eda080', 'hex')), null); // UTF-16 surrogate U+D800
  assert.equal(decodeUtf8(Buffer.from('f4908080', 'hex')), null); // above U+10FFFF
  assert.equal(decodeUtf8(Buffer.from('e282', 'hex')), null); // truncated sequence
});

test('completeUtf8Length leaves complete text whole', () => {
  for (const hex of ['', '61', '61c3a9', 'e282ac', 'f09f9880', '61f09f9880']) {
    const b = Buffer.from(hex, 'hex');
    assert.equal(completeUtf8Length(b), b.length, hex);
  }
});

test('completeUtf8Length cuts a sequence that the end of the buffer splits', () => {
  assert.equal(completeUtf8Length(Buffer.from('61c3', 'hex')), 1);
  assert.equal(completeUtf8Length(Buffer.from('61e2', 'hex')), 1);
  assert.equal(completeUtf8Length(Buffer.from('61e282', 'hex')), 1);
  assert.equal(completeUtf8Length(Buffer.from('61f0', 'hex')), 1);
  assert.equal(completeUtf8Length(Buffer.from('61f09f', 'hex')), 1);
  assert.equal(completeUtf8Length(Buffer.from('61f09f98', 'hex')), 1);
  assert.equal(completeUtf8Length(Buffer.from('f09f98', 'hex')), 0);
});

test('completeUtf8Length does not hide an invalid sequence in the middle', () => {
  // Stray continuation bytes after a complete character: nothing to cut, so the validity check still sees them.
  const b = Buffer.from('c3a9a9', 'hex');
  assert.equal(completeUtf8Length(b), 3);
  assert.equal(decodeUtf8(b.subarray(0, completeUtf8Length(b))), null);
});

test('completeUtf8Length keeps a trailing 0xF8–0xFF byte, which leads no sequence, so it is reported as invalid', () => {
  for (const b of [0xf8, 0xfb, 0xff]) {
    const bytes = Buffer.from([0x61, b]);
    assert.equal(completeUtf8Length(bytes), 2);
    assert.equal(decodeUtf8(bytes.subarray(0, completeUtf8Length(bytes))), null);
  }
});
