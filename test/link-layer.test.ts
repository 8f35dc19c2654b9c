import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LINK_TYPES, networkPacket } from '../core/capture/link-layer.js';
import { ethernet, ipv4, ipv6 } from './support/pcap-writer.js';

const V4 = ipv4('10.0.0.1', '10.0.0.2', Buffer.from('tcp'));
const V6 = ipv6('2001:db8::1', '2001:db8::2', Buffer.from('tcp'));

test('Ethernet: the IP packet after the EtherType, for IPv4 and IPv6', () => {
  assert.deepEqual(networkPacket(LINK_TYPES.ethernet, ethernet(V4)), { version: 4, data: V4 });
  assert.deepEqual(networkPacket(LINK_TYPES.ethernet, ethernet(V6)), { version: 6, data: V6 });
});

test('Ethernet with one and two VLAN tags: the tags are skipped', () => {
  assert.deepEqual(networkPacket(LINK_TYPES.ethernet, ethernet(V4, [100])), { version: 4, data: V4 });
  assert.deepEqual(networkPacket(LINK_TYPES.ethernet, ethernet(V6, [100, 200])), { version: 6, data: V6 });
});

test('Ethernet carrying ARP is not IP', () => {
  const arp = ethernet(V4);
  arp.writeUInt16BE(0x0806, 12);
  assert.equal(networkPacket(LINK_TYPES.ethernet, arp), null);
});

test('Linux cooked v1: the protocol at byte 14, the packet after 16 bytes', () => {
  const h = Buffer.alloc(16);
  h.writeUInt16BE(0x0800, 14);
  assert.deepEqual(networkPacket(LINK_TYPES.linuxSll, Buffer.concat([h, V4])), { version: 4, data: V4 });
});

test('Linux cooked v2: the protocol first, the packet after 20 bytes', () => {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(0x86dd, 0);
  assert.deepEqual(networkPacket(LINK_TYPES.linuxSll2, Buffer.concat([h, V6])), { version: 6, data: V6 });
});

test('raw IP: the version nibble says which', () => {
  for (const t of [LINK_TYPES.raw, LINK_TYPES.rawOther, LINK_TYPES.rawOpenBsd]) {
    assert.deepEqual(networkPacket(t, V4), { version: 4, data: V4 });
    assert.deepEqual(networkPacket(t, V6), { version: 6, data: V6 });
  }
  assert.deepEqual(networkPacket(LINK_TYPES.ipv4, V4), { version: 4, data: V4 });
  assert.deepEqual(networkPacket(LINK_TYPES.ipv6, V6), { version: 6, data: V6 });
  assert.equal(networkPacket(LINK_TYPES.raw, Buffer.from([0x10, 0])), null);
});

test('BSD loopback: the address family in either byte order; AF_INET6 as macOS (30), FreeBSD (28) and others (24) number it', () => {
  const family = (n: number, le: boolean) => {
    const b = Buffer.alloc(4);
    if (le) b.writeUInt32LE(n);
    else b.writeUInt32BE(n);
    return b;
  };
  assert.deepEqual(networkPacket(LINK_TYPES.null, Buffer.concat([family(2, true), V4])), { version: 4, data: V4 });
  assert.deepEqual(networkPacket(LINK_TYPES.null, Buffer.concat([family(2, false), V4])), { version: 4, data: V4 });
  for (const n of [24, 28, 30]) assert.deepEqual(networkPacket(LINK_TYPES.null, Buffer.concat([family(n, true), V6])), { version: 6, data: V6 });
  assert.deepEqual(networkPacket(LINK_TYPES.loop, Buffer.concat([family(2, false), V4])), { version: 4, data: V4 });
  assert.equal(networkPacket(LINK_TYPES.null, Buffer.concat([family(17, true), V4])), null);
});

test('an unknown link type and a frame too short for its header give null', () => {
  assert.equal(networkPacket(147, V4), null);
  assert.equal(networkPacket(LINK_TYPES.linuxSll2, Buffer.alloc(10)), null);
});
