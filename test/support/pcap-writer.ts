// A small pcap/pcapng writer for tests: packets built layer by layer (Ethernet with VLAN tags, IPv4
// with fragments, IPv6, TCP), and the hard cases real loopback captures don't have.

/** One TCP segment to put on the wire. */
export interface SegmentSpec {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  seq: number;
  flags?: { syn?: boolean; ack?: boolean; fin?: boolean; rst?: boolean };
  payload?: Buffer;
}

/** A TCP header (20 bytes, no options) and payload. */
export function tcp(s: SegmentSpec): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(s.srcPort, 0);
  h.writeUInt16BE(s.dstPort, 2);
  h.writeUInt32BE(s.seq >>> 0, 4);
  h[12] = 5 << 4;
  const f = s.flags ?? { ack: true };
  h[13] = (f.fin ? 1 : 0) | (f.syn ? 2 : 0) | (f.rst ? 4 : 0) | (f.ack ? 0x10 : 0);
  h.writeUInt16BE(65535, 14);
  return Buffer.concat([h, s.payload ?? Buffer.alloc(0)]);
}

function v4(address: string): Buffer {
  return Buffer.from(address.split('.').map(Number));
}

function v6(address: string): Buffer {
  const [head, tail] = address.includes('::') ? address.split('::') : [address, ''];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}

/** An IPv4 packet (protocol TCP unless said), optionally one fragment of a larger datagram (`offset` in bytes, a multiple of 8). */
export function ipv4(src: string, dst: string, payload: Buffer, fragment?: { id: number; offset: number; more: boolean }, protocol = 6): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + payload.length, 2);
  h.writeUInt16BE(fragment?.id ?? 0, 4);
  h.writeUInt16BE(fragment ? (fragment.more ? 0x2000 : 0) | (fragment.offset / 8) : 0x4000, 6);
  h[8] = 64;
  h[9] = protocol;
  v4(src).copy(h, 12);
  v4(dst).copy(h, 16);
  return Buffer.concat([h, payload]);
}

/** An IPv6 packet carrying TCP, with a destination-options extension header when `withExtension`. */
export function ipv6(src: string, dst: string, payload: Buffer, withExtension = false): Buffer {
  const ext = withExtension ? Buffer.from([6, 0, 1, 4, 0, 0, 0, 0]) : Buffer.alloc(0);
  const h = Buffer.alloc(40);
  h[0] = 0x60;
  h.writeUInt16BE(ext.length + payload.length, 4);
  h[6] = withExtension ? 60 : 6;
  h[7] = 64;
  v6(src).copy(h, 8);
  v6(dst).copy(h, 24);
  return Buffer.concat([h, ext, payload]);
}

/** An Ethernet frame around an IP packet, with 802.1Q tags for `vlans`. */
export function ethernet(ip: Buffer, vlans: number[] = []): Buffer {
  const macs = Buffer.alloc(12, 0x02);
  const tags = vlans.map((id) => Buffer.from([0x81, 0x00, id >> 8, id & 0xff]));
  const type = Buffer.from(ip[0]! >> 4 === 6 ? [0x86, 0xdd] : [0x08, 0x00]);
  return Buffer.concat([macs, ...tags, type, ip]);
}

/** A whole frame for a segment: Ethernet, IPv4 or IPv6 by the address, TCP. */
export function segmentFrame(s: SegmentSpec, vlans: number[] = []): Buffer {
  const t = tcp(s);
  return ethernet(s.src.includes(':') ? ipv6(s.src, s.dst, t) : ipv4(s.src, s.dst, t), vlans);
}

export interface PacketSpec {
  /** Unix epoch ms. */
  ts: number;
  data: Buffer;
  /** pcapng: the interface's index. */
  iface?: number;
}

/** A classic pcap file: `littleEndian` or not, µs or ns timestamps. */
export function pcapFile(packets: PacketSpec[], options: { linkType?: number; littleEndian?: boolean; nano?: boolean } = {}): Buffer {
  const le = options.littleEndian ?? true;
  const u32 = (b: Buffer, v: number, at: number) => (le ? b.writeUInt32LE(v, at) : b.writeUInt32BE(v, at));
  const header = Buffer.alloc(24);
  u32(header, options.nano ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  (le ? header.writeUInt16LE.bind(header) : header.writeUInt16BE.bind(header))(2, 4);
  (le ? header.writeUInt16LE.bind(header) : header.writeUInt16BE.bind(header))(4, 6);
  u32(header, 262144, 16);
  u32(header, options.linkType ?? 1, 20);
  const records = packets.map((p) => {
    const r = Buffer.alloc(16);
    const seconds = Math.floor(p.ts / 1000);
    u32(r, seconds, 0);
    u32(r, Math.round((p.ts - seconds * 1000) * (options.nano ? 1e6 : 1e3)), 4);
    u32(r, p.data.length, 8);
    u32(r, p.data.length, 12);
    return Buffer.concat([r, p.data]);
  });
  return Buffer.concat([header, ...records]);
}

/** A little-endian pcapng file: one section, interfaces with their link types and `if_tsresol` bytes, Enhanced Packet Blocks. */
export function pcapngFile(interfaces: Array<{ linkType: number; tsresol?: number }>, packets: PacketSpec[]): Buffer {
  const block = (type: number, body: Buffer) => {
    const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
    const b = Buffer.alloc(12 + padded.length);
    b.writeUInt32LE(type, 0);
    b.writeUInt32LE(b.length, 4);
    padded.copy(b, 8);
    b.writeUInt32LE(b.length, b.length - 4);
    return b;
  };
  const shb = Buffer.alloc(16);
  shb.writeUInt32LE(0x1a2b3c4d, 0);
  shb.writeUInt16LE(1, 4);
  shb.writeBigInt64LE(-1n, 8);
  const idbs = interfaces.map((i) => {
    const body = Buffer.alloc(8);
    body.writeUInt16LE(i.linkType, 0);
    body.writeUInt32LE(262144, 4);
    if (i.tsresol === undefined) return block(1, body);
    const option = Buffer.from([9, 0, 1, 0, i.tsresol, 0, 0, 0, 0, 0, 0, 0]);
    return block(1, Buffer.concat([body, option]));
  });
  const epbs = packets.map((p) => {
    const iface = interfaces[p.iface ?? 0]!;
    const r = iface.tsresol ?? 6;
    const units = r & 0x80 ? 2n ** BigInt(r & 0x7f) : 10n ** BigInt(r);
    // Exact for whole microseconds, whatever the resolution.
    const t = (BigInt(Math.round(p.ts * 1000)) * units) / 1_000_000n;
    const body = Buffer.alloc(20);
    body.writeUInt32LE(p.iface ?? 0, 0);
    body.writeUInt32LE(Number(t >> 32n), 4);
    body.writeUInt32LE(Number(t & 0xffffffffn), 8);
    body.writeUInt32LE(p.data.length, 12);
    body.writeUInt32LE(p.data.length, 16);
    return block(6, Buffer.concat([body, p.data]));
  });
  return Buffer.concat([block(0x0a0d0d0a, shb), ...idbs, ...epbs]);
}
