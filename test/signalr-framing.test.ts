import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitJsonRecords, splitLengthPrefixed } from '../core/app/signalr-framing.js';

const text = (b: Uint8Array[]) => b.map((r) => Buffer.from(r).toString());

test('JSON records are split on 0x1E, the bytes after the last one kept apart', () => {
  const split = splitJsonRecords(Buffer.from('{"type":6}\x1e{"type":7}\x1e{"ty'));
  assert.deepEqual(text(split.records), ['{"type":6}', '{"type":7}']);
  assert.equal(Buffer.from(split.rest).toString(), '{"ty');
  assert.deepEqual(splitJsonRecords(Buffer.from('')).records, []);
});

test('length-prefixed messages are read by their VarInt lengths (the spec\'s example: 11 then 2 bytes)', () => {
  const bytes = Uint8Array.from([0x0b, ...Buffer.from('Hello\nWorld'), 0x02, 0x01, 0x02]);
  const split = splitLengthPrefixed(bytes);
  assert.deepEqual(split.records.map((r) => [...r]), [[...Buffer.from('Hello\nWorld')], [0x01, 0x02]]);
  assert.equal(split.rest.length, 0);
  assert.equal(split.invalid, false);
});

test('a two-byte VarInt: 0x80 0x29 is 5248', () => {
  const body = new Uint8Array(5248).fill(7);
  const split = splitLengthPrefixed(Uint8Array.from([0x80, 0x29, ...body]));
  assert.equal(split.records[0]?.length, 5248);
});

test('a body cut short is left as rest; a prefix longer than 5 bytes or above 2^31 - 1 is invalid', () => {
  const cut = splitLengthPrefixed(Uint8Array.from([0x02, 0x91, 0x06, 0x05, 0x01]));
  assert.equal(cut.records.length, 1);
  assert.deepEqual([...cut.rest], [0x05, 0x01]);
  assert.equal(cut.invalid, false);
  assert.equal(splitLengthPrefixed(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01])).invalid, true);
  assert.equal(splitLengthPrefixed(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x08])).invalid, true);
  assert.equal(splitLengthPrefixed(Uint8Array.from([0xff, 0xff])).invalid, false);
});
