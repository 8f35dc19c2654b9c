/** The link-layer header types wspeek reads (tcpdump.org's LINKTYPE_* values). */
export const LINK_TYPES = {
  /** BSD loopback: a 4-byte address family in the writer's byte order. */
  null: 0,
  ethernet: 1,
  /** Raw IP, as OpenBSD (14) and others (12) number it, and LINKTYPE_RAW (101). */
  rawOpenBsd: 14,
  rawOther: 12,
  raw: 101,
  /** OpenBSD loopback: the address family in network byte order. */
  loop: 108,
  /** Linux cooked capture v1 (`tcpdump -i any` before libpcap 1.10). */
  linuxSll: 113,
  ipv4: 228,
  ipv6: 229,
  /** Linux cooked capture v2 (`tcpdump -i any` since libpcap 1.10). */
  linuxSll2: 276,
} as const;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
/** 802.1Q and 802.1ad (QinQ) tags, and the older QinQ value. */
const VLAN_TAGS = new Set([0x8100, 0x88a8, 0x9100]);

/** The network-layer packet a frame carries, when it is IP. */
export interface NetworkPacket {
  version: 4 | 6;
  data: Buffer;
}

/**
 * The IP packet inside a link-layer frame of type `linkType`, or null when the frame carries
 * something else (ARP, another protocol) or a link type wspeek doesn't read. Ethernet with any
 * number of VLAN tags, Linux cooked v1 and v2, raw IP and BSD/OpenBSD loopback.
 */
export function networkPacket(linkType: number, frame: Buffer): NetworkPacket | null {
  switch (linkType) {
    case LINK_TYPES.ethernet: {
      let at = 12;
      while (at + 2 <= frame.length && VLAN_TAGS.has(frame.readUInt16BE(at))) at += 4;
      return at + 2 <= frame.length ? byEtherType(frame.readUInt16BE(at), frame.subarray(at + 2)) : null;
    }
    case LINK_TYPES.linuxSll:
      return frame.length >= 16 ? byEtherType(frame.readUInt16BE(14), frame.subarray(16)) : null;
    case LINK_TYPES.linuxSll2:
      return frame.length >= 20 ? byEtherType(frame.readUInt16BE(0), frame.subarray(20)) : null;
    case LINK_TYPES.raw:
    case LINK_TYPES.rawOther:
    case LINK_TYPES.rawOpenBsd:
      return byVersionNibble(frame);
    case LINK_TYPES.ipv4:
      return { version: 4, data: frame };
    case LINK_TYPES.ipv6:
      return { version: 6, data: frame };
    case LINK_TYPES.null:
    case LINK_TYPES.loop: {
      if (frame.length < 4) return null;
      // The family is AF_INET (2) everywhere; AF_INET6 differs by OS (24, 28, 30); the byte order by writer.
      const family = linkType === LINK_TYPES.loop ? frame.readUInt32BE(0) : Math.min(frame.readUInt32LE(0), frame.readUInt32BE(0));
      if (family === 2) return { version: 4, data: frame.subarray(4) };
      if (family === 24 || family === 28 || family === 30) return { version: 6, data: frame.subarray(4) };
      return null;
    }
    default:
      return null;
  }
}

function byEtherType(type: number, data: Buffer): NetworkPacket | null {
  if (type === ETHERTYPE_IPV4) return { version: 4, data };
  if (type === ETHERTYPE_IPV6) return { version: 6, data };
  return null;
}

function byVersionNibble(data: Buffer): NetworkPacket | null {
  const v = data.length > 0 ? data[0]! >> 4 : 0;
  return v === 4 || v === 6 ? { version: v, data } : null;
}
