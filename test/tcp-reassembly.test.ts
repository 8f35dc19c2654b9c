import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_HELD_BYTES, TcpReassembly, type TcpStreamSink } from '../core/capture/tcp-reassembly.js';
import type { TcpSegment } from '../core/capture/tcp-segment.js';

type Event = ['data', string, number] | ['gap', number, number] | ['conflict', number, number] | ['end', string];

function stream(): { r: TcpReassembly; events: Event[]; text: () => string } {
  const events: Event[] = [];
  const sink: TcpStreamSink = {
    data: (b, ts) => events.push(['data', b.toString('latin1'), ts]),
    gap: (offset, missing) => events.push(['gap', offset, missing]),
    conflict: (offset, length) => events.push(['conflict', offset, length]),
    end: (how) => events.push(['end', how]),
  };
  const r = new TcpReassembly(sink);
  const text = () => events.filter((e) => e[0] === 'data').map((e) => e[1]).join('');
  return { r, events, text };
}

function seg(seq: number, payload = '', flags: Partial<Pick<TcpSegment, 'syn' | 'fin' | 'rst'>> = {}): TcpSegment {
  return { srcPort: 50000, dstPort: 80, seq: seq >>> 0, syn: false, ack: true, fin: false, rst: false, ...flags, payload: Buffer.from(payload, 'latin1') };
}

test('in-order segments after the SYN are delivered as they come, with their times', () => {
  const { r, events } = stream();
  r.segment(seg(1000, '', { syn: true }), 1);
  r.segment(seg(1001, 'hello '), 2);
  r.segment(seg(1007, 'world'), 3);
  assert.deepEqual(events, [['data', 'hello ', 2], ['data', 'world', 3]]);
  assert.equal(r.midStream, false);
});

test('sequence numbers wrap around 2^32 without a hiccup', () => {
  const { r, text, events } = stream();
  r.segment(seg(0xfffffffa, '', { syn: true }), 1);
  r.segment(seg(0xfffffffb, 'abcd'), 2);
  r.segment(seg(3, 'ijkl'), 3); // past 2^32, ahead of the segment that crosses it
  r.segment(seg(0xffffffff, 'efgh'), 4); // crosses 2^32
  r.segment(seg(0xfffffffb, 'abcd'), 5); // a retransmission from before the wrap
  r.segment(seg(7, 'mn'), 6);
  assert.equal(text(), 'abcdefghijklmn');
  assert.ok(events.every((e) => e[0] === 'data'));
  assert.equal(r.delivered, 14);
});

test('out-of-order segments are held until the hole before them fills', () => {
  const { r, events } = stream();
  r.segment(seg(0, '', { syn: true }), 1);
  r.segment(seg(7, 'world'), 2);
  r.segment(seg(12, '!'), 3);
  assert.deepEqual(events, []);
  r.segment(seg(1, 'hello '), 4);
  assert.deepEqual(events, [['data', 'hello ', 4], ['data', 'world', 2], ['data', '!', 3]]);
});

test('a retransmission of delivered bytes is dropped; the same bytes again are no conflict', () => {
  const { r, text, events } = stream();
  r.segment(seg(0, '', { syn: true }), 1);
  r.segment(seg(1, 'abcdef'), 2);
  r.segment(seg(1, 'abcdef'), 3);
  r.segment(seg(4, 'defghi'), 4);
  assert.equal(text(), 'abcdefghi');
  assert.ok(!events.some((e) => e[0] === 'conflict'));
});

test('an overlap with different bytes is reported and the first copy wins (delivered and held bytes alike)', () => {
  const { r, text, events } = stream();
  r.segment(seg(0, '', { syn: true }), 1);
  r.segment(seg(1, 'abcd'), 2);
  r.segment(seg(3, 'XXef'), 3); // overlaps delivered "cd" with "XX"
  r.segment(seg(11, 'klmn'), 4); // held
  r.segment(seg(9, 'ijYYmnop'), 5); // overlaps held "kl" with "YY", "mn" alike
  r.segment(seg(7, 'gh'), 6);
  assert.equal(text(), 'abcdefghijklmnop');
  assert.deepEqual(events.filter((e) => e[0] === 'conflict'), [['conflict', 2, 2], ['conflict', 10, 4]]);
});

test('a hole never filled is a gap at flush, and the bytes after it are delivered, not guessed over', () => {
  const { r, events } = stream();
  r.segment(seg(0, '', { syn: true }), 1);
  r.segment(seg(1, 'abc'), 2);
  r.segment(seg(10, 'xyz'), 3);
  r.flush(4);
  assert.deepEqual(events, [['data', 'abc', 2], ['gap', 3, 6], ['data', 'xyz', 3]]);
});

test('more than MAX_HELD_BYTES behind a hole: the hole is declared a gap at once', () => {
  const { r, events } = stream();
  r.segment(seg(0, '', { syn: true }), 1);
  const big = 'z'.repeat(64 * 1024);
  let seq = 101;
  while (!events.some((e) => e[0] === 'gap')) {
    r.segment(seg(seq, big), 2);
    seq += big.length;
    assert.ok(seq < 101 + MAX_HELD_BYTES + 2 * big.length, 'the gap came once the limit was passed');
  }
  assert.deepEqual(events[0], ['gap', 0, 100]);
});

test('FIN ends the stream after the bytes before it, even when they arrive after the FIN', () => {
  const { r, events } = stream();
  r.segment(seg(0, '', { syn: true }), 1);
  r.segment(seg(4, 'def', { fin: true }), 2);
  assert.deepEqual(events, []);
  r.segment(seg(1, 'abc'), 3);
  assert.deepEqual(events, [['data', 'abc', 3], ['data', 'def', 2], ['end', 'fin']]);
  assert.equal(r.ended, true);
});

test('a FIN whose bytes before it never came: a gap, then the end, at flush', () => {
  const { r, events } = stream();
  r.segment(seg(0, '', { syn: true }), 1);
  r.segment(seg(5, '', { fin: true }), 2);
  r.flush(3);
  assert.deepEqual(events, [['gap', 0, 4], ['end', 'fin']]);
});

test('RST ends the stream at once; held bytes after a hole are a gap first', () => {
  const { r, events } = stream();
  r.segment(seg(0, '', { syn: true }), 1);
  r.segment(seg(3, 'cd'), 2);
  r.segment(seg(1, '', { rst: true }), 3);
  assert.deepEqual(events, [['gap', 0, 2], ['data', 'cd', 2], ['end', 'rst']]);
  r.segment(seg(5, 'late'), 4);
  assert.equal(events.length, 3);
});

test('joined mid-stream: the first segment seen is offset 0, and midStream says so', () => {
  const { r, text } = stream();
  r.segment(seg(123456, ''), 1); // a bare ACK says nothing about where bytes start
  r.segment(seg(777, 'middle'), 2);
  r.segment(seg(783, ' end'), 3);
  assert.equal(r.midStream, true);
  assert.equal(text(), 'middle end');
});

test('a SYN with another initial sequence number starts anew; the same SYN again does not', () => {
  const { r } = stream();
  r.segment(seg(1000, '', { syn: true }), 1);
  r.segment(seg(1001, 'abc'), 2);
  assert.equal(r.startsAnew(seg(1000, '', { syn: true })), false);
  assert.equal(r.startsAnew(seg(99999, '', { syn: true })), true);
  assert.equal(r.startsAnew(seg(99999, 'data')), false);
});
