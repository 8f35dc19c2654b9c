import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hexDumpWidth } from '../tui/hex-dump.js';
import { screenLayout, type Rect } from '../tui/screen-layout.js';

const inside = (r: Rect, cols: number, rows: number) => r.left >= 0 && r.top >= 0 && r.left + r.width <= cols && r.top + r.height <= rows;
const overlap = (a: Rect, b: Rect) => a.left < b.left + b.width && b.left < a.left + a.width && a.top < b.top + b.height && b.top < a.top + a.height;

test('every pane fits the screen without overlapping, from 80×24 to 250×60', () => {
  for (const [cols, rows] of [[80, 24], [100, 30], [109, 30], [110, 30], [118, 30], [120, 30], [150, 40], [200, 50], [250, 60]] as const) {
    const at = screenLayout(cols, rows);
    const rects = Object.values(at);
    for (const r of rects) assert.ok(inside(r, cols, rows), `${cols}×${rows}: ${JSON.stringify(r)}`);
    for (let i = 0; i < rects.length; i++) for (let j = i + 1; j < rects.length; j++) assert.ok(!overlap(rects[i]!, rects[j]!), `${cols}×${rows}`);
    assert.equal(at.statusBar.top, rows - 1);
    assert.equal(at.filterBar.top, rows - 2);
    assert.ok(at.messages.height - 2 >= 4, 'a header and some rows');
  }
});

test('narrow screens stack the detail under the messages; wide ones put it beside them, the messages never narrower than 72', () => {
  const narrow = screenLayout(80, 24);
  assert.equal(narrow.messages.width, 80);
  assert.equal(narrow.detail.top, narrow.messages.top + narrow.messages.height);
  for (const cols of [110, 118, 140, 250]) {
    const at = screenLayout(cols, 30);
    assert.equal(at.detail.left, at.messages.width, `${cols}`);
    assert.ok(at.messages.width >= 72);
  }
});

test('from 150 columns the detail beside the messages is wide enough for a 16-byte hex dump', () => {
  for (let cols = 150; cols <= 250; cols++) assert.ok(screenLayout(cols, 40).detail.width - 2 >= hexDumpWidth(16, 4), `${cols}`);
  assert.ok(screenLayout(250, 60).detail.width > 100, 'and grows with the screen');
});
