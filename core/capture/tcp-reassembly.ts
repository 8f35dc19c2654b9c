import type { TcpSegment } from './tcp-segment.js';

/**
 * What one direction of a TCP connection delivers, in stream order. A consumer of reassembled
 * bytes (the connection table, or a TLS decryptor in front of it) implements this.
 */
export interface TcpStreamSink {
  /** The next bytes of the stream, and the capture time of the segment that carried them. */
  data(bytes: Buffer, ts: number): void;
  /** `missing` bytes at stream offset `offset` never appeared in the capture: the stream goes on after them. */
  gap(offset: number, missing: number, ts: number): void;
  /** A segment resent the `length` bytes at `offset` (an overlap with bytes already received) and some differ; the first copy was kept. */
  conflict(offset: number, length: number, ts: number): void;
  /** The stream ended: by FIN (all bytes before it delivered) or RST. */
  end(how: 'fin' | 'rst', ts: number): void;
}

/** Out-of-order bytes held per direction; past this the hole before them is declared a gap. */
export const MAX_HELD_BYTES = 4 * 1024 * 1024;
/** Bytes of the delivered stream kept to compare retransmissions with. */
const KEPT_TAIL = 64 * 1024;

interface Held {
  /** Stream offset of the first byte. */
  at: number;
  data: Buffer;
  ts: number;
}

/**
 * Reassembles one direction of a TCP connection from its segments in capture order: sequence
 * numbers modulo 2^32 (RFC 9293 §3.4, so a stream may wrap around), segments out of order held
 * until the hole before them fills, retransmissions and overlaps trimmed so the first copy of every
 * byte wins (a copy that differs is reported, never substituted), FIN delivered after the bytes
 * before it, RST at once. A hole the capture never fills (dropped segments) is reported as a gap:
 * when more than MAX_HELD_BYTES wait behind it, when the stream ends, or at `flush`.
 *
 * Offsets count from the first byte after the SYN, or, when the capture started mid-connection
 * (no SYN seen), from the first segment's first byte: `midStream` says which.
 */
export class TcpReassembly {
  /** The capture began after this direction's SYN. */
  midStream = false;
  /** Bytes delivered so far (the next expected stream offset). */
  delivered = 0;
  ended = false;
  /** The sequence number of stream offset 0, once known. */
  private base: number | null = null;
  private held: Held[] = [];
  private heldBytes = 0;
  private finAt: number | null = null;
  /** The last KEPT_TAIL delivered bytes, stream offset `o` at `o % KEPT_TAIL`, from `keptFrom` on. */
  private ring: Buffer | null = null;
  private keptFrom = 0;

  constructor(private readonly sink: TcpStreamSink) {}

  /** Whether `s` is a SYN with another initial sequence number than this stream's: a new connection on the same addresses. */
  startsAnew(s: TcpSegment): boolean {
    return s.syn && this.base !== null && !this.midStream && ((s.seq + 1) >>> 0) !== this.base;
  }

  /** The next segment this direction sent, as captured at `ts`. */
  segment(s: TcpSegment, ts: number): void {
    if (this.ended) return;
    if (this.base === null) {
      if (s.syn) this.base = (s.seq + 1) >>> 0;
      else if (s.payload.length > 0 || s.fin || s.rst) {
        this.base = s.seq;
        this.midStream = true;
      } else return;
    }
    const at = this.offsetOf(s.syn ? (s.seq + 1) >>> 0 : s.seq);
    if (s.rst) {
      while (this.held.length > 0) this.skipHole(ts);
      this.ended = true;
      this.sink.end('rst', ts);
      return;
    }
    if (s.payload.length > 0) this.add(at, s.payload, ts);
    if (s.fin) this.finAt ??= at + s.payload.length;
    this.deliver();
    if (this.heldBytes > MAX_HELD_BYTES) this.skipHole(ts);
    this.checkFin(ts);
  }

  /** The capture ended: every hole still open is a gap; what was held after it is delivered. */
  flush(ts: number): void {
    if (this.ended) return;
    while (this.held.length > 0) this.skipHole(ts);
    if (this.finAt !== null && this.delivered < this.finAt) {
      this.sink.gap(this.delivered, this.finAt - this.delivered, ts);
      this.delivered = this.finAt;
    }
    this.checkFin(ts);
  }

  /** The stream offset of sequence number `seq`: the nearest one to what is expected (sequence space wraps). */
  private offsetOf(seq: number): number {
    const expected = (this.base! + this.delivered) >>> 0;
    return this.delivered + ((seq - expected) | 0);
  }

  /** Files the parts of [at, at + data.length) not yet received; compares the parts that were. */
  private add(at: number, data: Buffer, ts: number): void {
    const end = at + data.length;
    // Already delivered: compare with what was kept of it.
    if (at < this.delivered) {
      const from = Math.max(at, this.keptFrom, this.delivered - KEPT_TAIL);
      const to = Math.min(end, this.delivered);
      if (to > from && !this.keptEquals(from, data.subarray(from - at, to - at))) this.sink.conflict(from, to - from, ts);
    }
    let cursor = Math.max(at, this.delivered);
    const pieces: Held[] = [];
    for (const h of this.held) {
      if (cursor >= end) break;
      const hEnd = h.at + h.data.length;
      if (hEnd <= cursor) continue;
      if (h.at >= end) break;
      if (h.at > cursor) pieces.push({ at: cursor, data: data.subarray(cursor - at, h.at - at), ts });
      const from = Math.max(cursor, h.at);
      const to = Math.min(end, hEnd);
      if (!data.subarray(from - at, to - at).equals(h.data.subarray(from - h.at, to - h.at))) this.sink.conflict(from, to - from, ts);
      cursor = Math.max(cursor, hEnd);
    }
    if (cursor < end) pieces.push({ at: cursor, data: data.subarray(cursor - at), ts });
    for (const p of pieces) {
      // Held bytes are copied: the capture's buffer is not the reassembly's to keep.
      const copy = { at: p.at, data: p.at === this.delivered ? p.data : Buffer.from(p.data), ts: p.ts };
      const i = this.held.findIndex((h) => h.at > p.at);
      this.held.splice(i < 0 ? this.held.length : i, 0, copy);
      this.heldBytes += copy.data.length;
    }
  }

  /** Delivers held bytes that continue the stream. */
  private deliver(): void {
    while (this.held.length > 0 && this.held[0]!.at <= this.delivered) {
      const h = this.held.shift()!;
      this.heldBytes -= h.data.length;
      const bytes = h.data.subarray(this.delivered - h.at);
      if (bytes.length === 0) continue;
      this.delivered += bytes.length;
      this.keep(bytes);
      this.sink.data(bytes, h.ts);
    }
  }

  /** Copies delivered bytes (just added to `delivered`) into the ring. */
  private keep(bytes: Buffer): void {
    this.ring ??= Buffer.alloc(KEPT_TAIL);
    const last = bytes.length > KEPT_TAIL ? bytes.subarray(bytes.length - KEPT_TAIL) : bytes;
    const start = (this.delivered - last.length) % KEPT_TAIL;
    const first = Math.min(last.length, KEPT_TAIL - start);
    last.copy(this.ring, start, 0, first);
    if (first < last.length) last.copy(this.ring, 0, first);
  }

  /** Whether `bytes` equal the kept delivered bytes from stream offset `from`. */
  private keptEquals(from: number, bytes: Buffer): boolean {
    const ring = this.ring!;
    for (let i = 0; i < bytes.length; i++) if (ring[(from + i) % KEPT_TAIL] !== bytes[i]) return false;
    return true;
  }

  /** Declares the hole before the first held segment a gap and delivers what follows it. */
  private skipHole(ts: number): void {
    const next = this.held[0];
    if (!next) return;
    if (next.at > this.delivered) {
      this.sink.gap(this.delivered, next.at - this.delivered, ts);
      this.delivered = this.keptFrom = next.at;
    }
    this.deliver();
  }

  /** Ends the stream once every byte before its FIN was delivered (or given up as a gap). */
  private checkFin(ts: number): void {
    if (this.finAt === null || this.ended || this.delivered < this.finAt) return;
    this.ended = true;
    this.sink.end('fin', ts);
  }
}
