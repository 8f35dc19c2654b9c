import { test } from 'node:test';
import assert from 'node:assert/strict';
import { helpRow, wrapText } from '../tui/help.js';
import { lineText } from '../tui/styled-text.js';

test('wrapText: greedy by words, the spaces inside a line kept, a word longer than a line cut', () => {
  assert.deepEqual(wrapText('one two three four', 9), ['one two', 'three', 'four']);
  assert.deepEqual(wrapText('a  b  c', 4), ['a  b', 'c']);
  assert.deepEqual(wrapText('abcdefghij xy', 4), ['abcd', 'efgh', 'ij', 'xy']);
  assert.deepEqual(wrapText('fits exactly', 12), ['fits exactly']);
  assert.deepEqual(wrapText('', 10), []);
  assert.deepEqual(wrapText('ab', 0), ['a', 'b'], 'a width under one is one');
});

test('helpRow: the text wraps beside the key, each line at the column; a long key gets a line of its own', () => {
  const row = (key: string, text: string, column: number, width: number) => helpRow(key, text, column, width).map(lineText);
  assert.deepEqual(row('q', 'quit now', 4, 20), ['q   quit now']);
  assert.deepEqual(row('g  G', 'first / last row (G turns follow on)', 6, 24), [
    'g  G  first / last row',
    '      (G turns follow',
    '      on)',
  ]);
  assert.deepEqual(row('a long key', 'text', 6, 20), ['a long key', '      text']);
  const [first] = helpRow('q', 'quit', 4, 20);
  assert.deepEqual(first!.map((s) => s.style), ['key', 'plain']);
});
