/** What an IP packet (or a reassembled datagram) carries: its addresses, upper protocol and payload. */
export interface IpDatagram {
  version: 4 | 6;
  /** Source and destination, as text (`192.0.2.1`, `2001:db8::1`). */
  src: string;
  dst: string;
  /** The upper-layer protocol (6 is TCP). */
  protocol: number;
  payload: Buffer;
}

/** Datagrams whose fragments are awaited at once; the oldest is dropped past this. */
const MAX_PENDING_DATAGRAMS = 256;
/** An IP datagram is at most 65535 bytes (RFC 791 §3.1; IPv6 jumbograms aside). */
const MAX_DATAGRAM = 65535;

interface Fragments {
  pieces: Array<{ offset: number; data: Buffer }>;
  /** The datagram's length, once its last fragment (more-fragments clear) arrived. */
  total: number | null;
  header: Omit<IpDatagram, 'payload'>;
}

/**
 * Reads IPv4 and IPv6 packets into datagrams, reassembling fragments (RFC 791 §3.2 for IPv4,
 * RFC 8200 §4.5 for IPv6's Fragment header) in any order. IPv6 extension headers (hop-by-hop,
 * routing, destination options) are skipped. Never throws: a packet it can't read yields null.
 */
export class IpReader {
  private readonly pending = new Map<string, Fragments>();

  /** The datagram `packet` completes, or null (a fragment awaiting others, or not readable). */
  read(version: 4 | 6, packet: Buffer): IpDatagram | null {
    return version === 4 ? this.ipv4(packet) : this.ipv6(packet);
  }

  private ipv4(p: Buffer): IpDatagram | null {
    if (p.length < 20 || p[0]! >> 4 !== 4) return null;
    const headerLength = (p[0]! & 0x0f) * 4;
    const total = p.readUInt16BE(2);
    // A total length of 0 appears with TCP segmentation offload: the frame's length counts.
    const end = total === 0 ? p.length : Math.min(total, p.length);
    if (headerLength < 20 || end < headerLength) return null;
    const header = { version: 4 as const, src: `${p[12]}.${p[13]}.${p[14]}.${p[15]}`, dst: `${p[16]}.${p[17]}.${p[18]}.${p[19]}`, protocol: p[9]! };
    const flags = p.readUInt16BE(6);
    const offset = (flags & 0x1fff) * 8;
    const more = (flags & 0x2000) !== 0;
    const payload = p.subarray(headerLength, end);
    if (offset === 0 && !more) return { ...header, payload };
    return this.fragment(`4 ${header.src} ${header.dst} ${header.protocol} ${p.readUInt16BE(4)}`, header, offset, more, payload);
  }

  private ipv6(p: Buffer): IpDatagram | null {
    if (p.length < 40 || p[0]! >> 4 !== 6) return null;
    const end = Math.min(40 + p.readUInt16BE(4), p.length);
    let next = p[6]!;
    let at = 40;
    let fragment: { offset: number; more: boolean; id: number } | null = null;
    for (;;) {
      if (next === 0 || next === 43 || next === 60) {
        if (at + 2 > end) return null;
        next = p[at]!;
        at += (p[at + 1]! + 1) * 8;
      } else if (next === 44) {
        if (at + 8 > end) return null;
        const v = p.readUInt16BE(at + 2);
        fragment = { offset: v & 0xfff8, more: (v & 1) !== 0, id: p.readUInt32BE(at + 4) };
        next = p[at]!;
        at += 8;
      } else break;
    }
    if (at > end) return null;
    const header = { version: 6 as const, src: ipv6Text(p.subarray(8, 24)), dst: ipv6Text(p.subarray(24, 40)), protocol: next };
    const payload = p.subarray(at, end);
    if (!fragment || (fragment.offset === 0 && !fragment.more)) return { ...header, payload };
    return this.fragment(`6 ${header.src} ${header.dst} ${fragment.id}`, header, fragment.offset, fragment.more, payload);
  }

  private fragment(key: string, header: Fragments['header'], offset: number, more: boolean, data: Buffer): IpDatagram | null {
    if (offset + data.length > MAX_DATAGRAM) return null;
    let f = this.pending.get(key);
    if (!f) {
      if (this.pending.size >= MAX_PENDING_DATAGRAMS) this.pending.delete(this.pending.keys().next().value!);
      f = { pieces: [], total: null, header };
      this.pending.set(key, f);
    }
    // Copied: the packet's buffer is the reader's, reused once this returns.
    f.pieces.push({ offset, data: Buffer.from(data) });
    if (!more) f.total = offset + data.length;
    if (f.total === null) return null;
    let covered = 0;
    for (const piece of [...f.pieces].sort((a, b) => a.offset - b.offset)) {
      if (piece.offset > covered) return null;
      covered = Math.max(covered, piece.offset + piece.data.length);
    }
    if (covered < f.total) return null;
    this.pending.delete(key);
    const payload = Buffer.alloc(f.total);
    // Overlapping fragments: the first one received wins (RFC 5722 forbids them in IPv6 altogether), so later ones are written first.
    for (const piece of [...f.pieces].reverse()) piece.data.copy(payload, piece.offset, 0, Math.min(piece.data.length, f.total - piece.offset));
    return { ...f.header, payload };
  }
}

/** Sixteen bytes as an IPv6 address as RFC 5952 §4 writes it: lowercase, the longest run of two or more zero groups as `::`. */
export function ipv6Text(b: Uint8Array): string {
  const groups = Array.from({ length: 8 }, (_, i) => (b[i * 2]! << 8) | b[i * 2 + 1]!);
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [best, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLength).join(':')}`;
}
