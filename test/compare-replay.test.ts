import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MessageRecord } from '../core/log/records.js';
import { compareReplay } from '../core/replay/compare-replay.js';

let seq = 0;

function text(t: string, over: Partial<MessageRecord> = {}): MessageRecord {
  return { type: 'message', conn: 1, seq: ++seq, ts: 0, from: 'server', kind: 'text', length: Buffer.byteLength(t), wireLength: 0, frames: 1, compressed: false, truncated: false, text: t, ...over };
}

function binary(b: Buffer, kind: MessageRecord['kind'] = 'binary'): MessageRecord {
  return { type: 'message', conn: 1, seq: ++seq, ts: 0, from: 'server', kind, length: b.length, wireLength: 0, frames: 1, compressed: false, truncated: false, base64: b.toString('base64') };
}

function close(code: number | null): MessageRecord {
  return { type: 'message', conn: 1, seq: ++seq, ts: 0, from: 'server', kind: 'close', length: code === null ? 0 : 2, wireLength: 0, frames: 1, compressed: false, truncated: false, close: { code, reason: '' } };
}

test('the same data messages and close code: same, pings and pongs left aside', () => {
  const r = compareReplay(
    [text('a'), binary(Buffer.from([1, 2])), binary(Buffer.from('hb'), 'ping'), close(1000)],
    [text('a'), binary(Buffer.from('x'), 'pong'), binary(Buffer.from([1, 2])), close(1000)],
  );
  assert.deepEqual({ ...r }, { same: true, recordedMessages: 2, replayedMessages: 2, difference: null, recordedClose: 1000, replayedClose: 1000 });
});

test('the first message whose bytes differ is the difference, with both messages', () => {
  const recorded = [text('a'), text('b'), text('c')];
  const replayed = [text('a'), text('B'), text('C')];
  const r = compareReplay(recorded, replayed);
  assert.equal(r.same, false);
  assert.equal(r.difference?.index, 2);
  assert.equal(r.difference?.what, 'bytes');
  assert.equal(r.difference?.recorded, recorded[1]);
  assert.equal(r.difference?.replayed, replayed[1]);
});

test('the same bytes as text and as binary differ in kind', () => {
  const r = compareReplay([text('ab')], [binary(Buffer.from('ab'))]);
  assert.equal(r.difference?.what, 'kind');
});

test('fewer messages in the replay is missing, more is extra', () => {
  assert.deepEqual(
    (({ index, what, replayed }) => ({ index, what, replayed }))(compareReplay([text('a'), text('b')], [text('a')]).difference!),
    { index: 2, what: 'missing', replayed: null },
  );
  const extra = compareReplay([text('a')], [text('a'), text('b')]);
  assert.equal(extra.difference?.what, 'extra');
  assert.equal(extra.difference?.recorded, null);
  assert.equal(extra.replayedMessages, 2);
});

test('a different close code (or none) differs, though every message matched', () => {
  const r = compareReplay([text('a'), close(1000)], [text('a'), close(1011)]);
  assert.equal(r.difference, null);
  assert.equal(r.same, false);
  assert.deepEqual([r.recordedClose, r.replayedClose], [1000, 1011]);
  assert.equal(compareReplay([close(1000)], []).same, false);
});

test('a message the recording kept in part matches one of the same length that starts with the kept bytes', () => {
  const whole = 'x'.repeat(10) + 'tail';
  const kept = text('x'.repeat(10), { length: whole.length, truncated: true });
  assert.equal(compareReplay([kept], [text(whole)]).same, true);
  assert.equal(compareReplay([kept], [text('y' + whole.slice(1))]).difference?.what, 'bytes');
  assert.equal(compareReplay([kept], [text(whole + '!')]).difference?.what, 'bytes');
});
