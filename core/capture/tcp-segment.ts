/** A TCP segment's header fields wspeek uses, and its payload (RFC 9293 §3.1). */
export interface TcpSegment {
  srcPort: number;
  dstPort: number;
  /** Sequence number of the first payload byte (or of the SYN/FIN), unsigned 32-bit. */
  seq: number;
  syn: boolean;
  ack: boolean;
  fin: boolean;
  rst: boolean;
  payload: Buffer;
}

/** The TCP segment in an IP payload, or null when it is too short or its data offset is impossible. */
export function tcpSegment(b: Buffer): TcpSegment | null {
  if (b.length < 20) return null;
  const dataOffset = (b[12]! >> 4) * 4;
  if (dataOffset < 20 || dataOffset > b.length) return null;
  const flags = b[13]!;
  return {
    srcPort: b.readUInt16BE(0), dstPort: b.readUInt16BE(2), seq: b.readUInt32BE(4),
    fin: (flags & 0x01) !== 0, syn: (flags & 0x02) !== 0, rst: (flags & 0x04) !== 0, ack: (flags & 0x10) !== 0,
    payload: b.subarray(dataOffset),
  };
}
