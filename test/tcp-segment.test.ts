import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tcpSegment } from '../core/capture/tcp-segment.js';
import { tcp } from './support/pcap-writer.js';

test('reads ports, sequence number, flags and payload', () => {
  const s = tcpSegment(tcp({ src: '', dst: '', srcPort: 51000, dstPort: 443, seq: 0xfffffff0, flags: { syn: true, ack: true }, payload: Buffer.from('hi') }));
  assert.deepEqual(s, { srcPort: 51000, dstPort: 443, seq: 0xfffffff0, syn: true, ack: true, fin: false, rst: false, payload: Buffer.from('hi') });
  const f = tcpSegment(tcp({ src: '', dst: '', srcPort: 1, dstPort: 2, seq: 5, flags: { fin: true, rst: true } }))!;
  assert.deepEqual([f.fin, f.rst, f.syn, f.ack], [true, true, false, false]);
});

test('the payload starts after the options the data offset counts', () => {
  const seg = tcp({ src: '', dst: '', srcPort: 1, dstPort: 2, seq: 5, payload: Buffer.from('12345678data') });
  seg[12] = 7 << 4; // 8 bytes of options
  assert.equal(tcpSegment(seg)!.payload.toString(), 'data');
});

test('too short, or a data offset past the end: null', () => {
  assert.equal(tcpSegment(Buffer.alloc(19)), null);
  const seg = tcp({ src: '', dst: '', srcPort: 1, dstPort: 2, seq: 5 });
  seg[12] = 15 << 4;
  assert.equal(tcpSegment(seg), null);
});
