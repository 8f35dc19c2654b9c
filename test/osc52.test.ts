import { test } from 'node:test';
import assert from 'node:assert/strict';
import { osc52 } from '../tui/osc52.js';

test('OSC 52: ESC ] 52 ; c ; the text as base64, ended by BEL', () => {
  assert.equal(osc52('hello'), '\x1b]52;c;aGVsbG8=\x07');
  assert.equal(osc52(''), '\x1b]52;c;\x07');
  // UTF-8 first, then base64: "é" is c3 a9, "€" e2 82 ac.
  assert.equal(osc52('é€'), '\x1b]52;c;w6nigqw=\x07');
  assert.deepEqual(Buffer.from(osc52('é€'), 'latin1'), Buffer.from([0x1b, 0x5d, 0x35, 0x32, 0x3b, 0x63, 0x3b, ...Buffer.from('w6nigqw='), 0x07]));
});

test('OSC 52: nothing in the text reaches the terminal but base64', () => {
  const hostile = '\x1b]52;c;ZXZpbA==\x07\x1b\\\x1b[2J\x9b31m\x07\u202e\n';
  const sequence = osc52(hostile);
  const m = /^\x1b\]52;c;([A-Za-z0-9+/]*={0,2})\x07$/.exec(sequence);
  assert.ok(m, JSON.stringify(sequence));
  assert.equal(Buffer.from(m[1]!, 'base64').toString('utf8'), hostile, 'and the clipboard gets the text back exactly');
});

test('OSC 52 is not wrapped for tmux: the plain sequence is what tmux with set-clipboard on reads', () => {
  const tmux = process.env.TMUX;
  process.env.TMUX = '/tmp/tmux-1000/default,1234,0';
  try {
    assert.equal(osc52('hello'), '\x1b]52;c;aGVsbG8=\x07');
    assert.ok(!osc52('hello').includes('\x1bPtmux;'), 'no DCS passthrough');
  } finally {
    if (tmux === undefined) delete process.env.TMUX;
    else process.env.TMUX = tmux;
  }
});
