/** One packet from a capture file: its link type, when it was captured, and the bytes captured of it. */
export interface CapturedPacket {
  /** The link-layer header type (LINKTYPE_* of tcpdump.org's list) of the interface it came from. */
  linkType: number;
  /** Unix epoch ms (float). */
  ts: number;
  /** The captured bytes (at most the snapshot length). */
  data: Buffer;
  /** The packet's length on the wire. */
  wireLength: number;
}

/** The magic numbers a capture file starts with, as the first four bytes read big-endian. */
export const PCAP_MAGICS = {
  /** Classic pcap, µs timestamps, written big-endian (`a1b2c3d4`) or little-endian (`d4c3b2a1`). */
  micro: [0xa1b2c3d4, 0xd4c3b2a1],
  /** Classic pcap, ns timestamps. */
  nano: [0xa1b23c4d, 0x4d3cb2a1],
  /** pcapng's Section Header Block type. */
  pcapng: 0x0a0d0d0a,
} as const;

/** Whether `head` (a file's first bytes) is a classic pcap or a pcapng file. */
export function isPacketCapture(head: Buffer): boolean {
  if (head.length < 4) return false;
  const m = head.readUInt32BE(0);
  return m === PCAP_MAGICS.pcapng || (PCAP_MAGICS.micro as readonly number[]).includes(m) || (PCAP_MAGICS.nano as readonly number[]).includes(m);
}

/** A block or record larger than this is taken as damage, not buffered. */
const MAX_RECORD_BYTES = 64 * 1024 * 1024;

interface Interface {
  linkType: number;
  /** Timestamp units per second (pcapng `if_tsresol`, default 10^6). */
  unitsPerSecond: bigint;
  snapLength: number;
}

/**
 * Reads a classic pcap or pcapng capture as a stream: fed the file's bytes in chunks of any size
 * with `push`, it calls `onPacket` for every packet, in file order. Classic pcap in either byte
 * order with µs or ns timestamps; pcapng sections in either byte order with any number of
 * interfaces, each with its own link type and `if_tsresol` (pcapng draft §4.2), from Enhanced and
 * Simple Packet Blocks (§4.3, §4.4; a Simple Packet Block has no timestamp: it takes the previous
 * packet's). Other blocks are skipped. Only the bytes of one incomplete record are held.
 *
 * Never throws: a file it can't read sets `error` and the rest is ignored.
 */
export class PcapReader {
  /** Why reading stopped, once it did (not a capture, a damaged record). */
  error: string | null = null;
  /** Packets read so far. */
  packets = 0;
  private pending: Buffer = Buffer.alloc(0);
  private format: 'pcap' | 'pcapng' | null = null;
  private littleEndian = true;
  /** Classic pcap: its one interface. pcapng: the current section's interfaces, by id. */
  private interfaces: Interface[] = [];
  private lastTs = 0;

  constructor(private readonly onPacket: (p: CapturedPacket) => void) {}

  /** The file's next bytes. */
  push(chunk: Buffer): void {
    if (this.error) return;
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let at = 0;
    for (;;) {
      const used = this.format === null ? this.fileHeader(at) : this.format === 'pcap' ? this.pcapRecord(at) : this.pcapngBlock(at);
      if (used === 0 || this.error) break;
      at += used;
    }
    this.pending = this.error ? Buffer.alloc(0) : this.pending.subarray(at);
  }

  /** The file has ended: returns why its last bytes were not a whole packet, or null when they were. */
  end(): string | null {
    if (this.error) return this.error;
    if (this.format === null) return this.pending.length === 0 ? 'the file is empty' : 'the file ends inside its header';
    if (this.pending.length > 0) return `the file ends inside a packet record (${this.pending.length} bytes after packet ${this.packets}): the capture was cut short`;
    return null;
  }

  private fail(why: string): number {
    this.error = why;
    return 0;
  }

  private fileHeader(at: number): number {
    const b = this.pending;
    if (b.length - at < 4) return 0;
    const magic = b.readUInt32BE(at);
    if (magic === PCAP_MAGICS.pcapng) {
      this.format = 'pcapng';
      return this.pcapngBlock(at);
    }
    const nano = (PCAP_MAGICS.nano as readonly number[]).indexOf(magic);
    const micro = (PCAP_MAGICS.micro as readonly number[]).indexOf(magic);
    if (nano < 0 && micro < 0) return this.fail('not a pcap or pcapng file');
    if (b.length - at < 24) return 0;
    // The magic is written in the writer's byte order: read as big-endian, the second form means little-endian.
    this.littleEndian = (nano < 0 ? micro : nano) === 1;
    const snapLength = this.u32(b, at + 16);
    const linkType = this.u32(b, at + 20) & 0x0fffffff;
    this.interfaces = [{ linkType, unitsPerSecond: nano >= 0 ? 1_000_000_000n : 1_000_000n, snapLength }];
    this.format = 'pcap';
    return 24;
  }

  /** A classic pcap record: ts_sec, ts_frac, incl_len, orig_len, then the bytes. */
  private pcapRecord(at: number): number {
    const b = this.pending;
    if (b.length - at < 16) return 0;
    const captured = this.u32(b, at + 8);
    if (captured > MAX_RECORD_BYTES) return this.fail(`packet ${this.packets + 1} claims ${captured} captured bytes: the file is damaged`);
    if (b.length - at < 16 + captured) return 0;
    const iface = this.interfaces[0]!;
    const seconds = this.u32(b, at);
    const fraction = this.u32(b, at + 4);
    const ts = seconds * 1000 + (fraction * 1000) / Number(iface.unitsPerSecond);
    this.emit(iface, ts, b.subarray(at + 16, at + 16 + captured), this.u32(b, at + 12));
    return 16 + captured;
  }

  private pcapngBlock(at: number): number {
    const b = this.pending;
    if (b.length - at < 12) return 0;
    const type = b.readUInt32BE(at) === PCAP_MAGICS.pcapng ? PCAP_MAGICS.pcapng : this.u32(b, at);
    if (type === PCAP_MAGICS.pcapng) {
      // A new section: its byte-order magic says how everything in it is written.
      const bom = b.readUInt32BE(at + 8);
      if (bom === 0x1a2b3c4d) this.littleEndian = false;
      else if (bom === 0x4d3c2b1a) this.littleEndian = true;
      else return this.fail('a pcapng section header with an unknown byte-order magic');
      this.interfaces = [];
    }
    const length = this.u32(b, at + 4);
    if (length < 12 || length % 4 !== 0 || length > MAX_RECORD_BYTES) return this.fail(`a pcapng block of ${length} bytes: the file is damaged`);
    if (b.length - at < length) return 0;
    const body = b.subarray(at + 8, at + length - 4);
    switch (type) {
      case 1: this.interfaceBlock(body); break;
      case 6: this.enhancedPacket(body); break;
      case 3: this.simplePacket(body); break;
    }
    return length;
  }

  /** Interface Description Block (§4.2): link type, snap length, options (if_tsresol is code 9). */
  private interfaceBlock(body: Buffer): void {
    if (body.length < 8) return void this.fail('a pcapng interface description block too short to read');
    const iface: Interface = { linkType: this.u16(body, 0), unitsPerSecond: 1_000_000n, snapLength: this.u32(body, 4) };
    for (let at = 8; at + 4 <= body.length;) {
      const code = this.u16(body, at);
      const len = this.u16(body, at + 2);
      if (code === 0) break;
      if (code === 9 && len >= 1) {
        const v = body[at + 4]!;
        // The high bit says a power of two; otherwise a power of ten.
        iface.unitsPerSecond = v & 0x80 ? 1n << BigInt(v & 0x7f) : 10n ** BigInt(v);
      }
      at += 4 + Math.ceil(len / 4) * 4;
    }
    this.interfaces.push(iface);
  }

  /** Enhanced Packet Block (§4.3): interface id, 64-bit timestamp, captured and original lengths, bytes. */
  private enhancedPacket(body: Buffer): void {
    if (body.length < 20) return void this.fail('a pcapng enhanced packet block too short to read');
    const iface = this.interfaces[this.u32(body, 0)];
    if (!iface) return void this.fail(`a pcapng packet on interface ${this.u32(body, 0)}, which no interface block described`);
    const units = (BigInt(this.u32(body, 4)) << 32n) | BigInt(this.u32(body, 8));
    const captured = this.u32(body, 12);
    if (20 + captured > body.length) return void this.fail('a pcapng packet longer than its block');
    const seconds = units / iface.unitsPerSecond;
    const fraction = units % iface.unitsPerSecond;
    const ts = Number(seconds) * 1000 + (Number(fraction) * 1000) / Number(iface.unitsPerSecond);
    this.emit(iface, ts, body.subarray(20, 20 + captured), this.u32(body, 16));
  }

  /** Simple Packet Block (§4.4): interface 0, no timestamp, the bytes up to the snap length. */
  private simplePacket(body: Buffer): void {
    const iface = this.interfaces[0];
    if (!iface || body.length < 4) return void this.fail('a pcapng simple packet block without an interface');
    const wireLength = this.u32(body, 0);
    const captured = Math.min(wireLength, body.length - 4, iface.snapLength || Infinity);
    this.emit(iface, this.lastTs, body.subarray(4, 4 + captured), wireLength);
  }

  private emit(iface: Interface, ts: number, data: Buffer, wireLength: number): void {
    this.packets++;
    this.lastTs = ts;
    this.onPacket({ linkType: iface.linkType, ts, data, wireLength });
  }

  private u32(b: Buffer, at: number): number {
    return this.littleEndian ? b.readUInt32LE(at) : b.readUInt32BE(at);
  }

  private u16(b: Buffer, at: number): number {
    return this.littleEndian ? b.readUInt16LE(at) : b.readUInt16BE(at);
  }
}
