import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FormatError, keyText, MAX_DEPTH, safeInteger, toJsonSafe } from '../core/app/formats/json-safe.js';

test('big integers become decimal strings, exact ones stay numbers', () => {
  assert.equal(safeInteger(2n ** 53n - 1n), Number.MAX_SAFE_INTEGER);
  assert.equal(safeInteger(2n ** 53n), '9007199254740992');
  assert.equal(safeInteger(-(2n ** 63n)), '-9223372036854775808');
  assert.deepEqual(toJsonSafe([1n, 2n ** 64n]), [1, '18446744073709551616']);
});

test('NaN and infinities become strings, undefined null, binary base64', () => {
  assert.deepEqual(toJsonSafe([NaN, Infinity, -Infinity, undefined, new Uint8Array([255, 0])]), ['NaN', 'Infinity', '-Infinity', null, { base64: '/wA=' }]);
});

test('a Map\'s keys are written as text: numbers in decimal, other keys as their JSON', () => {
  const m = new Map<unknown, unknown>([[1, 'a'], [2n ** 64n, 'b'], [[1, 2], 'c'], [true, 'd'], [new Uint8Array([1]), 'e'], ['s', new Map([['x', 1n]])]]);
  assert.deepEqual(toJsonSafe(m), { 1: 'a', '18446744073709551616': 'b', '[1,2]': 'c', true: 'd', '{"base64":"AQ=="}': 'e', s: { x: 1 } });
  assert.equal(keyText(NaN), 'NaN');
});

test('a __proto__ key is an own property, not the prototype', () => {
  const v = toJsonSafe(new Map([['__proto__', { polluted: true }]])) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  assert.equal(JSON.stringify(v), '{"__proto__":{"polluted":true}}');
});

test('nesting deeper than MAX_DEPTH is a FormatError, not a stack overflow', () => {
  let deep: unknown = 1;
  for (let i = 0; i < MAX_DEPTH; i++) deep = [deep];
  assert.doesNotThrow(() => toJsonSafe(deep));
  assert.throws(() => toJsonSafe([deep]), FormatError);
});
