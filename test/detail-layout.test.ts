import { test } from 'node:test';
import assert from 'node:assert/strict';
import { layoutDetail } from '../tui/detail-layout.js';
import { lineText, seg, type Line } from '../tui/styled-text.js';

const styled = (line: Line) => line.map((s) => `${s.style}:${s.text}`);

test('without a search: the lines wrapped at words, no matches', () => {
  const { lines, matches } = layoutDetail([[seg('Payload', 'heading')], [seg('one two three four')]], 9, '', 0);
  assert.deepEqual(lines.map(lineText), ['Payload', 'one two', 'three', 'four']);
  assert.deepEqual(matches, []);
});

test('every match marked in any case, the current one apart; where each starts after wrapping', () => {
  const content: Line[] = [[seg('#1 ', 'dim'), seg('Needle in a haystack')], [], [seg('no match here')], [seg('a needle, another NEEDLE')]];
  const { lines, matches } = layoutDetail(content, 12, 'needle', 2);
  assert.deepEqual(lines.map(lineText), ['#1 Needle in', 'a haystack', '', 'no match', 'here', 'a needle,', 'another', 'NEEDLE']);
  assert.deepEqual(matches, [0, 5, 7]);
  assert.deepEqual(styled(lines[0]!), ['dim:#1 ', 'match:Needle', 'plain: in']);
  assert.deepEqual(styled(lines[7]!), ['selected:NEEDLE'], 'the current match');
});

test('a match across a style boundary keeps the text and marks all of it', () => {
  const { lines } = layoutDetail([[seg('ab', 'key'), seg('cd', 'plain')]], 80, 'bc', 0);
  assert.deepEqual(styled(lines[0]!), ['key:a', 'selected:b', 'selected:c', 'plain:d']);
});

test('the search is plain text: regular expression characters match themselves', () => {
  const { matches } = layoutDetail([[seg('a.b a+b (x)')]], 80, '(x)', 0);
  assert.deepEqual(matches, [0]);
  assert.deepEqual(layoutDetail([[seg('axb')]], 80, 'a.b', 0).matches, []);
});
