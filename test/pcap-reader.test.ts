import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPacketCapture, PcapReader, type CapturedPacket } from '../core/capture/pcap-reader.js';
import { pcapFile, pcapngFile, type PacketSpec } from './support/pcap-writer.js';

const PACKETS: PacketSpec[] = [
  { ts: 1_700_000_000_123.456, data: Buffer.from('first packet') },
  { ts: 1_700_000_001_000.001, data: Buffer.from('second') },
  { ts: 1_700_000_002_999.999, data: Buffer.alloc(3000, 7) },
];

function read(file: Buffer, chunk = file.length): { packets: CapturedPacket[]; reader: PcapReader } {
  const packets: CapturedPacket[] = [];
  const reader = new PcapReader((p) => packets.push({ ...p, data: Buffer.from(p.data) }));
  for (let at = 0; at < file.length; at += chunk) reader.push(file.subarray(at, at + chunk));
  return { packets, reader };
}

function assertPackets(got: CapturedPacket[], linkType: number): void {
  assert.equal(got.length, PACKETS.length);
  got.forEach((p, i) => {
    assert.equal(p.linkType, linkType);
    assert.ok(Math.abs(p.ts - PACKETS[i]!.ts) < 0.0005, `packet ${i}: ${p.ts} is ${PACKETS[i]!.ts} to the µs`);
    assert.deepEqual(p.data, PACKETS[i]!.data);
    assert.equal(p.wireLength, PACKETS[i]!.data.length);
  });
}

for (const littleEndian of [true, false]) {
  for (const nano of [false, true]) {
    test(`reads a classic pcap written ${littleEndian ? 'little' : 'big'}-endian with ${nano ? 'ns' : 'µs'} timestamps, fed one byte at a time`, () => {
      const file = pcapFile(PACKETS, { littleEndian, nano, linkType: 113 });
      assert.ok(isPacketCapture(file));
      const { packets, reader } = read(file, 1);
      assertPackets(packets, 113);
      assert.equal(reader.end(), null);
    });
  }
}

test('reads pcapng with two interfaces, each with its own link type and time resolution (10^-9, 2^-20, default 10^-6)', () => {
  const interfaces = [{ linkType: 1, tsresol: 9 }, { linkType: 276, tsresol: 0x80 | 20 }, { linkType: 0 }];
  const specs = PACKETS.map((p, i) => ({ ...p, iface: i }));
  const file = pcapngFile(interfaces, specs);
  assert.ok(isPacketCapture(file));
  const { packets, reader } = read(file, 7);
  assert.deepEqual(packets.map((p) => p.linkType), [1, 276, 0]);
  packets.forEach((p, i) => {
    assert.ok(Math.abs(p.ts - PACKETS[i]!.ts) < 0.001, `packet ${i}: ${p.ts}`);
    assert.deepEqual(p.data, PACKETS[i]!.data);
  });
  assert.equal(reader.end(), null);
});

test('a pcapng Simple Packet Block takes interface 0 and the previous packet\'s time', () => {
  const file = pcapngFile([{ linkType: 101 }], [PACKETS[0]!]);
  const spb = Buffer.alloc(12 + 4 + 8);
  spb.writeUInt32LE(3, 0);
  spb.writeUInt32LE(spb.length, 4);
  spb.writeUInt32LE(5, 8);
  Buffer.from('hello').copy(spb, 12);
  spb.writeUInt32LE(spb.length, spb.length - 4);
  const { packets } = read(Buffer.concat([file, spb]));
  assert.equal(packets.length, 2);
  assert.equal(packets[1]!.data.toString(), 'hello');
  assert.equal(packets[1]!.linkType, 101);
  assert.equal(packets[1]!.ts, packets[0]!.ts);
});

test('a file cut inside a packet keeps the packets before it and says where it ends', () => {
  const file = pcapFile(PACKETS);
  const { packets, reader } = read(file.subarray(0, file.length - 10));
  assert.equal(packets.length, 2);
  assert.match(reader.end()!, /ends inside a packet record .*after packet 2/);
});

test('a file that is no capture is refused with a reason, and nothing is read', () => {
  const { packets, reader } = read(Buffer.from('{"type":"session"}\n'));
  assert.equal(packets.length, 0);
  assert.equal(reader.end(), 'not a pcap or pcapng file');
  assert.equal(isPacketCapture(Buffer.from('{"type"')), false);
});

test('a damaged record length stops reading instead of buffering it', () => {
  const file = pcapFile(PACKETS);
  file.writeUInt32LE(0x7fffffff, 24 + 8);
  const { packets, reader } = read(file);
  assert.equal(packets.length, 0);
  assert.match(reader.end()!, /claims 2147483647 captured bytes/);
});

test('random bytes after a valid header, pcap and pcapng alike, never throw: packets or an error, nothing else', () => {
  let seed = 99;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (const header of [pcapFile([]), pcapngFile([{ linkType: 1 }], [])]) {
    for (let round = 0; round < 200; round++) {
      const noise = Buffer.from(Array.from({ length: Math.floor(random() * 400) }, () => Math.floor(random() * 256)));
      const { reader } = read(Buffer.concat([header, noise]), 1 + Math.floor(random() * 50));
      const why = reader.end();
      assert.ok(why === null || typeof why === 'string');
    }
  }
});
