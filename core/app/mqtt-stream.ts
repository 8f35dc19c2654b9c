/** The largest packet a stream keeps while it arrives (MQTT allows 256 MiB); a larger one loses the stream. */
export const MAX_PACKET_BYTES = 16 * 1024 * 1024;

/** What one piece of a direction's byte stream gave. */
export interface StreamChunk {
  /** The packets these bytes completed, each whole (fixed header included), in order. */
  packets: Buffer[];
  /** True when the bytes end inside a packet that a later piece completes. */
  partial: boolean;
  /** Set when these bytes broke the framing: the stream is lost from here on, and every later push gives this again. */
  error: string | null;
}

/** A packet's fixed header: its own length, and the whole packet's. */
export interface FixedHeader {
  headerLength: number;
  size: number;
}

/** The fixed header that starts `bytes`, null while it is incomplete, or what breaks it. */
export function fixedHeader(bytes: Buffer): FixedHeader | null | { error: string } {
  // 3.1.1 §2.2.3, v5 §1.5.5: the Remaining Length is at most four bytes, seven bits each, least significant first.
  let remaining = 0;
  for (let i = 0; i < 4; i++) {
    const b = bytes[1 + i];
    if (b === undefined) return null;
    remaining += (b & 0x7f) * 128 ** i;
    if ((b & 0x80) === 0) return { headerLength: 2 + i, size: 2 + i + remaining };
  }
  return { error: 'malformed Remaining Length (a fifth byte)' };
}

/**
 * One direction of an MQTT connection's byte stream (MQTT over WebSocket: 3.1.1 §6, v5 §6.0),
 * cut into whole packets by their fixed headers whatever the WebSocket messages' boundaries: a
 * packet may span messages, a message may hold several. Sans-IO: bytes in, packets out. Once the
 * framing breaks (a Remaining Length of five bytes, an oversized packet, bytes known to be
 * missing) nothing tells where the next packet starts: the stream is lost for good.
 */
export class MqttStream {
  /** The unfinished packet's bytes so far. */
  private chunks: Buffer[] = [];
  private have = 0;
  /** Its whole size, or 0 while its fixed header is incomplete. */
  private need = 0;
  private lostTo: string | null = null;

  /** Why the stream was lost, or null while it is followed. */
  get lost(): string | null {
    return this.lostTo;
  }

  /** Bytes of an unfinished packet held, and its whole size (0 while its fixed header is incomplete). */
  get pending(): { have: number; need: number } {
    return { have: this.have, need: this.need };
  }

  /** The first `n` bytes of the unfinished packet (fewer when fewer have come). */
  head(n: number): Buffer {
    const parts: Buffer[] = [];
    let got = 0;
    for (const c of this.chunks) {
      if (got >= n) break;
      parts.push(c.subarray(0, n - got));
      got += parts[parts.length - 1]!.length;
    }
    return Buffer.concat(parts);
  }

  /** Stops following the stream (bytes went missing): later pushes give `reason` as their error. */
  lose(reason: string): void {
    this.lostTo ??= reason;
    this.chunks = [];
    this.have = 0;
    this.need = 0;
  }

  /** The next bytes of the stream. `data` is only read, never changed (the packets may be views of it). */
  push(data: Buffer): StreamChunk {
    const packets: Buffer[] = [];
    let off = 0;
    while (this.lostTo === null && off < data.length) {
      if (this.have === 0) {
        const h = fixedHeader(data.subarray(off, off + 5));
        if (h !== null && 'error' in h) this.lose(h.error);
        else if (h !== null && h.size <= data.length - off) {
          packets.push(data.subarray(off, off + h.size));
          off += h.size;
        } else {
          this.begin(data.subarray(off), h?.size ?? 0);
          off = data.length;
        }
        continue;
      }
      if (this.need === 0) {
        // The fixed header began in an earlier piece: at most four bytes are held.
        const h = fixedHeader(Buffer.concat([...this.chunks, data.subarray(off, off + 5)]));
        if (h === null) {
          this.chunks.push(data.subarray(off));
          this.have += data.length - off;
          off = data.length;
          continue;
        }
        if ('error' in h) {
          this.lose(h.error);
          continue;
        }
        if (!this.fits(h.size)) continue;
        this.need = h.size;
      }
      const take = Math.min(this.need - this.have, data.length - off);
      this.chunks.push(data.subarray(off, off + take));
      this.have += take;
      off += take;
      if (this.have === this.need) {
        packets.push(Buffer.concat(this.chunks, this.need));
        this.chunks = [];
        this.have = 0;
        this.need = 0;
      }
    }
    return { packets, partial: this.have > 0, error: this.lostTo };
  }

  private begin(bytes: Buffer, size: number): void {
    if (size > 0 && !this.fits(size)) return;
    this.chunks = [bytes];
    this.have = bytes.length;
    this.need = size;
  }

  private fits(size: number): boolean {
    if (size <= MAX_PACKET_BYTES) return true;
    this.lose(`a packet of ${size} bytes, more than the ${MAX_PACKET_BYTES} wspeek follows`);
    return false;
  }
}
