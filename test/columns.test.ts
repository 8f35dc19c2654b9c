import { test } from 'node:test';
import assert from 'node:assert/strict';
import { columnHeader, columnLine, columnWidths, type Column } from '../tui/columns.js';
import { lineText, seg } from '../tui/styled-text.js';

const cells = (...texts: string[]) => texts.map((t) => seg(t));

test('each column is as wide as its widest cell or its label; empty columns take no room', () => {
  const columns: Column[] = [{ label: 'id' }, { label: 'size', align: 'right' }, { label: 'flags' }, { label: 'text', flex: true }];
  const rows = [cells('#1', '12 B', '', 'hello'), cells('#12', '5.0 MiB', '', 'a longer text')];
  const widths = columnWidths(columns, rows, 80);
  assert.deepEqual(widths, [3, 7, 0, 13]);
  assert.equal(lineText(columnHeader(columns, widths)), 'id     size text         ');
  assert.equal(lineText(columnLine(columns, widths, rows[0]!)), '#1     12 B hello        ');
  assert.equal(lineText(columnLine(columns, widths, rows[1]!)), '#12 5.0 MiB a longer text');
});

test('the flexible column takes the room left, cut with …; too little room leaves it out', () => {
  const columns: Column[] = [{}, { flex: true, min: 5 }, {}];
  const rows = [cells('abc', 'ws://host.example/a/long/path', 'open')];
  let widths = columnWidths(columns, rows, 20);
  assert.deepEqual(widths, [3, 11, 4]);
  assert.equal(lineText(columnLine(columns, widths, rows[0]!)), 'abc ws://host.… open');
  widths = columnWidths(columns, rows, 12);
  assert.deepEqual(widths, [3, 0, 4], 'less than its minimum: left out');
  const short = [cells('abc', 'hi', 'open')];
  assert.deepEqual(columnWidths([{}, { flex: true, min: 20 }, {}], short, 12), [3, 2, 4], 'content shorter than its minimum shows when it fits whole');
  assert.deepEqual(columnWidths([{}, { flex: true, min: 20 }, {}], short, 10), [3, 0, 4]);
});

test('too narrow: columns give way in their order, cut to their minimum or left out; others stay whole', () => {
  const columns: Column[] = [
    { label: 'time' }, { label: 'Δ', shrink: 1 }, { label: 'ext', shrink: 2, min: 6 }, { label: 'state' }, { label: 'preview', flex: true, min: 8 },
  ];
  const rows = [cells('14:02:03.123', '+1.25s', 'graphql-transport-ws deflate', 'closed 1000', 'the payload preview')];
  const at = (w: number) => columnWidths(columns, rows, w);
  assert.deepEqual(at(200), [12, 6, 28, 11, 19]);
  assert.deepEqual(at(69), [12, 6, 28, 11, 8], 'everything fits, the preview at its minimum');
  assert.deepEqual(at(66), [12, 0, 28, 11, 12], 'Δ goes first');
  assert.deepEqual(at(50), [12, 0, 16, 11, 8], 'then ext is cut, as little as needed');
  assert.deepEqual(at(42), [12, 0, 8, 11, 8]);
  assert.deepEqual(at(40), [12, 0, 6, 11, 8], 'but not below its minimum');
  assert.deepEqual(at(38), [12, 0, 6, 11, 0], 'then the preview has no room');
  for (const w of [38, 40, 42, 50, 66, 69, 200]) {
    const widths = at(w);
    const line = lineText(columnLine(columns, widths, rows[0]!));
    assert.ok(line.length <= w, `${w}: ${line}`);
    assert.ok(line.includes('14:02:03.123') && line.includes('closed 1000'), 'whole-only columns stay whole');
  }
});

test('columns of the same rank give way together; a flexible column with a rank is shown whole before the columns ranked below it', () => {
  const columns: Column[] = [{}, { flex: true, shrink: 3, min: 6 }, { shrink: 2 }, { shrink: 2 }, { shrink: 1 }, { shrink: 4 }];
  const rows = [cells('#1', 'ws://h/a/long/path', '(27 B)', '(69 B)', '90ms', '127.0.0.1:5000')];
  assert.deepEqual(columnWidths(columns, rows, 80), [2, 18, 6, 6, 4, 14]);
  assert.deepEqual(columnWidths(columns, rows, 50), [2, 18, 6, 6, 0, 14], 'the age gives way for the whole URL');
  assert.deepEqual(columnWidths(columns, rows, 45), [2, 18, 0, 0, 0, 14], 'then both byte columns');
  assert.deepEqual(columnWidths(columns, rows, 30), [2, 12, 0, 0, 0, 14], 'not the columns ranked above it');
});
