import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration, parseNumber } from '../core/filter/parse-number.js';

test('integers in decimal or 0x hex, up to the largest safe integer', () => {
  assert.equal(parseNumber('42', false), 42);
  assert.equal(parseNumber('0x1F', false), 31);
  assert.equal(parseNumber('0XA', false), 10);
  assert.equal(parseNumber(String(Number.MAX_SAFE_INTEGER), false), Number.MAX_SAFE_INTEGER);
  assert.equal(parseNumber('9'.repeat(17), false), null);
  for (const s of ['', '-1', '1.5', '1k', '0x', 'x1', ' 1']) assert.equal(parseNumber(s, false), null, s);
});

test('sizes: decimals with a 1024-based unit, or b', () => {
  assert.equal(parseNumber('1k', true), 1024);
  assert.equal(parseNumber('1.5KiB', true), 1536);
  assert.equal(parseNumber('.5m', true), 512 * 1024);
  assert.equal(parseNumber('2MB', true), 2 * 1024 * 1024);
  assert.equal(parseNumber('7b', true), 7);
  assert.equal(parseNumber('0x10', true), 16);
  for (const s of ['1g', '1kk', 'k', '1.', '1e3']) assert.equal(parseNumber(s, true), null, s);
});

test('durations in milliseconds: us (or µs), ms, s in any case, ms without a unit; microseconds divide exactly', () => {
  assert.equal(parseDuration('100'), 100);
  assert.equal(parseDuration('100ms'), 100);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('.5S'), 500);
  assert.equal(parseDuration('250us'), 0.25);
  assert.equal(parseDuration('250\u00b5s'), 0.25, 'the micro sign');
  assert.equal(parseDuration('250\u03bcs'), 0.25, 'the Greek mu');
  assert.equal(parseDuration('12345US'), 12.345);
  for (let us = 0; us < 100_000; us += 7) assert.equal(parseDuration(`${us}us`), Math.round(us) / 1000, `${us}us`);
  for (const s of ['', 'ms', '1m', '1h', '1 ms', '-1', '1e3', '0x10', '1k', '1msx']) assert.equal(parseDuration(s), null, s);
});
