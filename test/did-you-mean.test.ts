import { test } from 'node:test';
import assert from 'node:assert/strict';
import { didYouMean } from '../core/filter/did-you-mean.js';

const NAMES = ['from', 'kind', 'host', 'len', 'length', 'code', 'close'];

test('suggests the closest candidate within two edits (one for words of three letters or fewer)', () => {
  assert.equal(didYouMean('hots', NAMES), " (did you mean 'host'?)", 'a transposition is one edit');
  assert.equal(didYouMean('FRM', NAMES), " (did you mean 'from'?)", 'case is ignored');
  assert.equal(didYouMean('lenght', NAMES), " (did you mean 'length'?)");
  assert.equal(didYouMean('ln', NAMES), " (did you mean 'len'?)");
  assert.equal(didYouMean('lx', NAMES), '', 'two edits are too many for a short word');
  assert.equal(didYouMean('zebra', NAMES), '');
  assert.equal(didYouMean('x'.repeat(25), ['x'.repeat(25)]), '', 'long words get no suggestion');
});

test('of equally close candidates the first wins', () => {
  assert.equal(didYouMean('cose', NAMES), " (did you mean 'code'?)");
  assert.equal(didYouMean('cose', ['close', 'code']), " (did you mean 'close'?)");
});
