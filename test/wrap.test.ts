import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lineText, seg } from '../tui/styled-text.js';
import { wrapLine } from '../tui/wrap.js';

const wrap = (text: string, width: number) => wrapLine([seg(text)], width).map((w) => lineText(w.line));

test('text wraps at word boundaries, not in the middle of a word', () => {
  assert.deepEqual(wrap('the quick brown fox jumps over the lazy dog', 12), ['the quick', 'brown fox', 'jumps over', 'the lazy dog']);
  assert.deepEqual(wrap('short', 12), ['short']);
  assert.deepEqual(wrap('exactly twelve', 14), ['exactly twelve']);
  assert.deepEqual(wrap('two  spaces between', 5), ['two', 'space', 's', 'betwe', 'en'], 'a word longer than the width is cut');
});

test('a word longer than the width is cut at the width; the words around it still wrap whole', () => {
  assert.deepEqual(wrap('a supercalifragilistic word', 10), ['a', 'supercalif', 'ragilistic', 'word']);
});

test('indentation is kept, never taken for a break, and continued on the lines that follow', () => {
  assert.deepEqual(wrap('    "key": "a long value here"', 16), ['    "key": "a', '    long value', '    here"']);
  assert.deepEqual(wrap('            x', 8), ['        ', '    x'], 'indentation wider than half the width is not continued');
  const pieces = wrapLine([seg('  "payload": "xxxxxxxxxxxxxxxxxxxx"')], 14);
  assert.deepEqual(pieces.map((p) => lineText(p.line)), ['  "payload":', '  "xxxxxxxxxxx', '  xxxxxxxxx"']);
  assert.deepEqual(pieces.map((p) => p.start), [0, 13, 25], 'where each piece starts in the line, indentation left out');
});

test('styles are kept across breaks, and each piece says where it starts', () => {
  const pieces = wrapLine([seg('#3 ', 'dim'), seg('client → server', 'client'), seg('  text  12:00:00.000', 'plain')], 16);
  assert.deepEqual(pieces.map((p) => lineText(p.line)), ['#3 client →', 'server  text', '12:00:00.000']);
  assert.deepEqual(pieces.map((p) => p.start), [0, 12, 26]);
  assert.deepEqual(pieces[1]!.line.map((s) => s.style), ['client', 'plain']);
});

test('nothing is lost but the blanks at the breaks, and no piece is wider than the width', () => {
  const text = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore';
  for (let width = 1; width <= text.length + 1; width++) {
    const pieces = wrap(text, width);
    assert.ok(pieces.every((p) => p.length <= width), `width ${width}`);
    assert.equal(pieces.join('').replace(/ /g, ''), text.replace(/ /g, ''));
    if (width >= 'consectetur'.length) {
      for (const word of text.split(' ')) assert.ok(pieces.some((p) => p.split(' ').includes(word)), `${width}: ${word} is whole`);
    }
  }
});
