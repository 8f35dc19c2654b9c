/** The fixed part of a frame (RFC 6455 §5.2), read before its payload. */
export interface FrameHeader {
  fin: boolean;
  rsv1: boolean;
  rsv2: boolean;
  rsv3: boolean;
  opcode: number;
  masked: boolean;
  /** The 4-byte masking key; only valid until the next frame's header is read. */
  maskKey: Uint8Array;
  /** Payload length (exact below 2^53). */
  length: number;
  /** Header bytes on the wire: 2, 4 or 10, plus 4 when masked. */
  headerLength: number;
  /** The length used the 16- or 64-bit form for a value the shorter form could hold. */
  nonMinimalLength: boolean;
}

/** What the parser reports, in stream order. */
export interface FrameParserHandler {
  onFrameHeader(header: FrameHeader, ts: number): void;
  /** Payload bytes as on the wire (still masked): `chunk[start, end)`, which begin at `payloadOffset` of the frame's payload. */
  onFramePayload(chunk: Buffer, start: number, end: number, payloadOffset: number): void;
  onFrameEnd(ts: number): void;
  /** The length is undefined (64-bit form with its top bit set): the stream can't be framed any further. */
  onInvalidLength(ts: number, detail: string): void;
}

const enum State {
  Header,
  Length16,
  Length64,
  MaskKey,
  Payload,
  /** Framing was lost (invalid length): later bytes are counted by the caller, not parsed. */
  Lost,
}

/**
 * Splits one direction's byte stream into frames, whatever the chunking.
 * "Need more bytes" is the normal way out of `push`: state carries over to the next call.
 * It never copies payload; the handler decides what to unmask and keep.
 */
export class FrameParser {
  private state = State.Header;
  private readonly scratch = Buffer.alloc(8);
  private have = 0;
  private header: FrameHeader = {
    fin: false, rsv1: false, rsv2: false, rsv3: false, opcode: 0, masked: false,
    maskKey: Buffer.alloc(4), length: 0, headerLength: 2, nonMinimalLength: false,
  };
  private remaining = 0;
  private payloadOffset = 0;
  private frameTs = 0;
  /** Arrival time of the chunk being parsed. */
  private chunkTs = 0;

  constructor(private readonly handler: FrameParserHandler) {}

  /** True while a frame has started but not ended. */
  get midFrame(): boolean {
    return this.state !== State.Lost && !(this.state === State.Header && this.have === 0);
  }

  /** Payload bytes received of the current frame, and its declared length. */
  get progress(): { received: number; length: number } {
    return { received: this.payloadOffset, length: this.header.length };
  }

  /** True between a frame's header and its last payload byte. */
  get inPayload(): boolean {
    return this.state === State.Payload;
  }

  get lost(): boolean {
    return this.state === State.Lost;
  }

  /** Bytes of the current frame already read (its header so far, then its payload); 0 between frames. */
  get frameBytesRead(): number {
    switch (this.state) {
      case State.Header: return this.have;
      case State.Length16:
      case State.Length64: return 2 + this.have;
      // headerLength already counts the 4 key bytes being read.
      case State.MaskKey: return this.header.headerLength - 4 + this.have;
      case State.Payload: return this.header.headerLength + this.payloadOffset;
      case State.Lost: return 0;
    }
  }

  /** The current frame's header once it is whole (its payload is being read), else null. */
  get payloadHeader(): Readonly<FrameHeader> | null {
    return this.state === State.Payload ? this.header : null;
  }

  /**
   * A parser that goes on from exactly where this one is (mid-header or mid-payload included),
   * reporting to `handler`: for a second reader to take over a stream this one has read so far.
   */
  fork(handler: FrameParserHandler): FrameParser {
    const p = new FrameParser(handler);
    p.state = this.state;
    this.scratch.copy(p.scratch);
    p.have = this.have;
    p.header = { ...this.header, maskKey: Buffer.from(this.header.maskKey) };
    p.remaining = this.remaining;
    p.payloadOffset = this.payloadOffset;
    p.frameTs = this.frameTs;
    return p;
  }

  push(chunk: Buffer, ts: number): void {
    this.chunkTs = ts;
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      switch (this.state) {
        case State.Header: {
          if (this.have === 0) {
            this.frameTs = ts;
            // Fast path: the whole header is in this chunk, read it in place.
            if (n - i >= 14) {
              i = this.readHeaderInPlace(chunk, i);
              break;
            }
          }
          i = this.collect(chunk, i, 2);
          if (this.have < 2) return;
          this.readFirstTwo(this.scratch[0]!, this.scratch[1]!);
          break;
        }
        case State.Length16: {
          i = this.collect(chunk, i, 2);
          if (this.have < 2) return;
          this.setLength(this.scratch.readUInt16BE(0), 126);
          break;
        }
        case State.Length64: {
          i = this.collect(chunk, i, 8);
          if (this.have < 8) return;
          this.setLength64(this.scratch.readUInt32BE(0), this.scratch.readUInt32BE(4));
          break;
        }
        case State.MaskKey: {
          i = this.collect(chunk, i, 4);
          if (this.have < 4) return;
          this.scratch.copy(this.header.maskKey, 0, 0, 4);
          this.startPayload();
          break;
        }
        case State.Payload: {
          const take = Math.min(this.remaining, n - i);
          this.handler.onFramePayload(chunk, i, i + take, this.payloadOffset);
          i += take;
          this.payloadOffset += take;
          this.remaining -= take;
          if (this.remaining === 0) this.endFrame();
          break;
        }
        case State.Lost:
          return;
      }
    }
  }

  /**
   * Reads a whole header from `chunk` at `i` (at least 14 bytes are there) and starts the
   * payload; returns the index after the header. Same checks as the byte-at-a-time states.
   */
  private readHeaderInPlace(chunk: Buffer, i: number): number {
    this.readFirstTwo(chunk[i]!, chunk[i + 1]!); // moves to Length16, Length64, MaskKey or Payload
    i += 2;
    if (this.state === State.Length16) {
      this.setLength(chunk.readUInt16BE(i), 126);
      i += 2;
    } else if (this.state === State.Length64) {
      this.setLength64(chunk.readUInt32BE(i), chunk.readUInt32BE(i + 4));
      i += 8;
    }
    if (this.state === State.MaskKey) {
      const key = this.header.maskKey;
      key[0] = chunk[i]!;
      key[1] = chunk[i + 1]!;
      key[2] = chunk[i + 2]!;
      key[3] = chunk[i + 3]!;
      i += 4;
      this.startPayload();
    }
    return i;
  }

  /** RFC 6455 §5.2: the length must use the shortest form; `minimal` is the least value its form is for. */
  private setLength(length: number, minimal: number): void {
    this.header.length = length;
    this.header.nonMinimalLength = length < minimal;
    this.afterLength();
  }

  /** A 64-bit length: its most significant bit must be 0, or the frame can't be delimited. */
  private setLength64(hi: number, lo: number): void {
    if (hi >= 0x80000000) {
      this.state = State.Lost;
      const hex = hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
      this.handler.onInvalidLength(this.frameTs, `64-bit payload length 0x${hex} has its most significant bit set`);
      return;
    }
    this.setLength(hi * 0x100000000 + lo, 0x10000);
  }

  /** Copies header bytes into scratch until `want` are there; returns the new chunk index. */
  private collect(chunk: Buffer, i: number, want: number): number {
    while (this.have < want && i < chunk.length) this.scratch[this.have++] = chunk[i++]!;
    return i;
  }

  private readFirstTwo(b0: number, b1: number): void {
    const h = this.header;
    h.fin = (b0 & 0x80) !== 0;
    h.rsv1 = (b0 & 0x40) !== 0;
    h.rsv2 = (b0 & 0x20) !== 0;
    h.rsv3 = (b0 & 0x10) !== 0;
    h.opcode = b0 & 0x0f;
    h.masked = (b1 & 0x80) !== 0;
    h.nonMinimalLength = false;
    const len7 = b1 & 0x7f;
    this.have = 0;
    if (len7 === 126) {
      h.headerLength = 4;
      this.state = State.Length16;
    } else if (len7 === 127) {
      h.headerLength = 10;
      this.state = State.Length64;
    } else {
      h.headerLength = 2;
      h.length = len7;
      this.afterLength();
    }
  }

  private afterLength(): void {
    this.have = 0;
    if (this.header.masked) {
      this.header.headerLength += 4;
      this.state = State.MaskKey;
    } else {
      this.startPayload();
    }
  }

  private startPayload(): void {
    this.have = 0;
    this.remaining = this.header.length;
    this.payloadOffset = 0;
    this.state = State.Payload;
    this.handler.onFrameHeader(this.header, this.frameTs);
    if (this.remaining === 0) this.endFrame();
  }

  private endFrame(): void {
    this.state = State.Header;
    this.have = 0;
    this.handler.onFrameEnd(this.chunkTs);
  }
}
