import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IpReader, ipv6Text } from '../core/capture/ip-packet.js';
import { ipv4, ipv6 } from './support/pcap-writer.js';

test('an unfragmented IPv4 packet: addresses, protocol and payload (trailing link padding cut by the total length)', () => {
  const p = Buffer.concat([ipv4('192.0.2.1', '198.51.100.7', Buffer.from('payload')), Buffer.alloc(6)]);
  assert.deepEqual(new IpReader().read(4, p), { version: 4, src: '192.0.2.1', dst: '198.51.100.7', protocol: 6, payload: Buffer.from('payload') });
});

test('IPv4 fragments arriving out of order are reassembled once all are there', () => {
  const whole = Buffer.from(Array.from({ length: 40 }, (_, i) => i));
  const r = new IpReader();
  const frag = (offset: number, end: number, more: boolean) => ipv4('10.0.0.1', '10.0.0.2', whole.subarray(offset, end), { id: 7, offset, more });
  assert.equal(r.read(4, frag(32, 40, false)), null);
  assert.equal(r.read(4, frag(0, 16, true)), null);
  const d = r.read(4, frag(16, 32, true));
  assert.deepEqual(d?.payload, whole);
  assert.equal(d?.src, '10.0.0.1');
});

test('overlapping IPv4 fragments: the first copy of a byte wins', () => {
  const r = new IpReader();
  assert.equal(r.read(4, ipv4('10.0.0.1', '10.0.0.2', Buffer.from('AAAAAAAA'), { id: 1, offset: 0, more: true })), null);
  assert.equal(r.read(4, ipv4('10.0.0.1', '10.0.0.2', Buffer.from('BBBBBBBBCCCCCCCC'), { id: 1, offset: 0, more: true })), null);
  const d = r.read(4, ipv4('10.0.0.1', '10.0.0.2', Buffer.from('DDDD'), { id: 1, offset: 16, more: false }));
  assert.equal(d?.payload.toString(), 'AAAAAAAACCCCCCCCDDDD');
});

test('fragments of different datagrams (ids) are kept apart', () => {
  const r = new IpReader();
  assert.equal(r.read(4, ipv4('10.0.0.1', '10.0.0.2', Buffer.from('11111111'), { id: 1, offset: 0, more: true })), null);
  assert.equal(r.read(4, ipv4('10.0.0.1', '10.0.0.2', Buffer.from('2222'), { id: 2, offset: 8, more: false })), null);
  assert.equal(r.read(4, ipv4('10.0.0.1', '10.0.0.2', Buffer.from('1111'), { id: 1, offset: 8, more: false }))?.payload.toString(), '111111111111');
});

test('IPv6: addresses as RFC 5952 text, extension headers skipped to TCP', () => {
  const d = new IpReader().read(6, ipv6('2001:db8::1', '::1', Buffer.from('seg'), true));
  assert.deepEqual(d, { version: 6, src: '2001:db8::1', dst: '::1', protocol: 6, payload: Buffer.from('seg') });
});

test('IPv6 text: the longest zero run becomes ::, a single zero group does not', () => {
  const b = (groups: number[]) => Buffer.from(groups.flatMap((g) => [g >> 8, g & 0xff]));
  assert.equal(ipv6Text(b([0x2001, 0xdb8, 0, 0, 1, 0, 0, 0])), '2001:db8:0:0:1::');
  assert.equal(ipv6Text(b([0x2001, 0xdb8, 0, 1, 1, 1, 1, 1])), '2001:db8:0:1:1:1:1:1');
  assert.equal(ipv6Text(b([0, 0, 0, 0, 0, 0, 0, 0])), '::');
});

test('a packet too short for its header, or of the wrong version, gives null', () => {
  assert.equal(new IpReader().read(4, Buffer.alloc(10)), null);
  assert.equal(new IpReader().read(6, ipv4('10.0.0.1', '10.0.0.2', Buffer.alloc(30))), null);
});

test('IPv6 fragments (Fragment header, RFC 8200 §4.5) are reassembled in any order', () => {
  const whole = Buffer.from('0123456789abcdefWXYZ');
  const fragment = (offset: number, end: number, more: boolean) => {
    const header = Buffer.from([6, 0, 0, 0, 0, 0, 0, 9]);
    header.writeUInt16BE(offset | (more ? 1 : 0), 2);
    const p = ipv6('fe80::1', 'fe80::2', Buffer.concat([header, whole.subarray(offset, end)]));
    p[6] = 44; // the next header is the Fragment header
    return p;
  };
  const r = new IpReader();
  assert.equal(r.read(6, fragment(16, 20, false)), null);
  const d = r.read(6, fragment(0, 16, true));
  assert.deepEqual(d, { version: 6, src: 'fe80::1', dst: 'fe80::2', protocol: 6, payload: whole });
});
