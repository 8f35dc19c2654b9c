import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DrawPacer, INPUT_FRAME_MS, TRAFFIC_FRAME_MS } from '../tui/draw-pacer.js';

test('a key press is drawn within one input frame, even right after a frame', () => {
  const p = new DrawPacer();
  p.drawing(1000);
  assert.equal(p.request('input', 1001), INPUT_FRAME_MS);
  assert.equal(p.pending, true);
});

test('a record after a quiet spell is drawn as soon as a key press would be', () => {
  const p = new DrawPacer();
  p.drawing(1000);
  assert.equal(p.request('traffic', 5000), INPUT_FRAME_MS);
});

test('under steady traffic, frames start TRAFFIC_FRAME_MS apart', () => {
  const p = new DrawPacer();
  p.drawing(1000);
  assert.equal(p.request('traffic', 1010), TRAFFIC_FRAME_MS - 10);
  assert.equal(p.request('traffic', 1050), null, 'the pending frame stands');
  p.drawing(1000 + TRAFFIC_FRAME_MS);
  assert.equal(p.pending, false);
  assert.equal(p.request('traffic', 1000 + TRAFFIC_FRAME_MS + 1), TRAFFIC_FRAME_MS - 1);
});

test('input brings a pending traffic frame forward, and nothing pushes a frame back', () => {
  const p = new DrawPacer();
  p.drawing(1000);
  assert.equal(p.request('traffic', 1001), TRAFFIC_FRAME_MS - 1);
  assert.equal(p.request('input', 1002), INPUT_FRAME_MS, 'rescheduled sooner');
  assert.equal(p.request('traffic', 1003), null, 'traffic does not delay it');
  assert.equal(p.request('input', 1004), null, 'a second key press does not delay it either');
});
