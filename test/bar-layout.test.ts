import { test } from 'node:test';
import assert from 'node:assert/strict';
import { barLine, clip, type BarItem } from '../tui/bar-layout.js';
import { lineText, seg } from '../tui/styled-text.js';

const item = (text: string, keep: number, cut?: (w: number) => string, min?: number): BarItem =>
  ({ line: [seg(text)], keep, ...(cut ? { cut: (w: number) => [seg(cut(w))], min } : {}) });
const SEP = [seg(' │ ')];

test('left items with separators, right items at the right edge; all of them when they fit', () => {
  const line = barLine([item('one', 1), item('two', 2)], [item('FOLLOW', 3), item('? help', Infinity)], 40, SEP);
  assert.equal(lineText(line), 'one │ two                 FOLLOW  ? help');
});

test('too narrow: the lowest keep gives way first, cut by its own rule if that is enough, else left out whole', () => {
  const left = () => [item('mode 127.0.0.1:8080', 3), item('/a/long/path/to/live.jsonl', 1, (w) => `…${'/a/long/path/to/live.jsonl'.slice(-(w - 1))}`, 10), item('conns 2/2', 5)];
  const right = () => [item('FOLLOW', 4), item('? help', Infinity)];
  assert.equal(lineText(barLine(left(), right(), 76, SEP)), 'mode 127.0.0.1:8080 │ /a/long/path/to/live.jsonl │ conns 2/2  FOLLOW  ? help');
  assert.equal(lineText(barLine(left(), right(), 70, SEP)), 'mode 127.0.0.1:8080 │ …/path/to/live.jsonl │ conns 2/2  FOLLOW  ? help', 'cut as little as needed');
  assert.equal(lineText(barLine(left(), right(), 60, SEP)), 'mode 127.0.0.1:8080 │ …ive.jsonl │ conns 2/2  FOLLOW  ? help', 'down to its minimum');
  assert.equal(lineText(barLine(left(), right(), 50, SEP)), 'mode 127.0.0.1:8080 │ conns 2/2     FOLLOW  ? help', 'cut below its minimum: left out');
  assert.equal(lineText(barLine(left(), right(), 30, SEP)), 'conns 2/2       FOLLOW  ? help');
  assert.equal(lineText(barLine(left(), right(), 16, SEP)), '          ? help', '"? help" never gives way');
  for (let w = 8; w <= 90; w++) {
    const text = lineText(barLine(left(), right(), w, SEP));
    assert.equal(text.length, w);
    assert.ok(text.endsWith('? help') || text.endsWith('? help '), `${w}: ${text}`);
    assert.doesNotMatch(text, /\S(FOLLOW|\? help)|jsonl\S|8080\S/, `${w}: nothing runs together: ${text}`);
  }
});

test('clip: the last resort cuts at the width with …', () => {
  assert.equal(lineText(clip([seg('abc'), seg('defgh')], 6)), 'abcde…');
  assert.equal(lineText(clip([seg('abc')], 6)), 'abc');
});
