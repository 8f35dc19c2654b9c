/** Payloads are stored in blocks of this size (or a block of their own, when larger). */
const BLOCK_BYTES = 1024 * 1024;
/** A block at most this fraction of the budget, so the budget is used in small steps. */
const BLOCKS_PER_BUDGET = 8;
/**
 * Released blocks kept for reuse. A block lives long enough to reach the old generation, so one
 * let go waits for a major collection before its memory is freed: with a new block for every
 * megabyte of traffic, dead blocks piled up to tens of MB.
 */
const SPARE_BLOCKS = 4;

interface Block {
  /** The stream position of its first byte. */
  start: number;
  buf: Buffer;
}

/**
 * The message list's payloads, outside the JavaScript heap, at most `budget` bytes of them.
 * Kept as strings, the payloads of 100,000 rows lived long enough to be promoted to the old
 * generation and died there: with 64-byte messages the UI peaked 13–20 MB higher that way.
 *
 * Payloads are appended to blocks; a payload is addressed by its position in the stream of all
 * bytes ever stored (a double, exact to 2^53), so whether it is still held is one comparison.
 * When the blocks would exceed the budget, the oldest block goes, and its payloads with it. The
 * rows tell the store which payloads they no longer need (`release`), so blocks go as soon as
 * the rows that used them leave the list: memory follows what the list shows.
 */
export class PayloadStore {
  private readonly blocks: Block[] = [];
  private readonly spare: Buffer[] = [];
  private readonly blockBytes: number;
  /** Bytes of all blocks held. */
  private total = 0;
  /** Stream position just after the newest payload. */
  private end = 0;
  /** Payloads before this position are gone. */
  private heldFrom = 0;
  /** Payloads before this position are no longer needed by any row. */
  private releasedTo = 0;
  /** Bytes the last `write…` call stored. */
  written = 0;

  /** Bytes of memory the blocks take (at most the budget). */
  get heldBytes(): number {
    return this.total;
  }

  constructor(readonly budget: number) {
    this.blockBytes = Math.max(1, Math.min(BLOCK_BYTES, Math.floor(budget / BLOCKS_PER_BUDGET)));
  }

  /**
   * Stores `s` in `encoding` ('utf8' round-trips well-formed text, 'utf16le' any string,
   * 'latin1' base64); returns its position, or -1 when it is larger than the whole budget.
   */
  writeString(s: string, encoding: 'utf8' | 'utf16le' | 'latin1'): number {
    // An upper bound, exact for latin1 and utf16le; the exact UTF-8 length only when the bound doesn't fit.
    let bound = s.length * (encoding === 'utf8' ? 3 : encoding === 'utf16le' ? 2 : 1);
    if (bound > this.room()) bound = Buffer.byteLength(s, encoding);
    const at = this.place(bound);
    if (at < 0) return -1;
    this.written = bound === 0 ? 0 : this.newest().buf.write(s, at - this.newest().start, encoding);
    this.end = at + this.written;
    return at;
  }

  /** Stores a copy of `bytes`; returns its position, or -1 when it is larger than the whole budget. */
  writeBytes(bytes: Uint8Array): number {
    const at = this.place(bytes.length);
    if (at < 0) return -1;
    if (bytes.length > 0) this.newest().buf.set(bytes, at - this.newest().start);
    this.written = bytes.length;
    this.end = at + bytes.length;
    return at;
  }

  /** The payload stored at `position` is still held. */
  holds(position: number): boolean {
    return position >= this.heldFrom;
  }

  /** No row needs the payloads before `position` any more (rows release in the order they stored). */
  release(position: number): void {
    if (position <= this.releasedTo) return;
    this.releasedTo = position;
    // A block goes once everything stored in it is released: its payloads end where the next block starts.
    while (this.blocks.length > 1 && this.blocks[1]!.start <= this.releasedTo) this.dropOldest();
  }

  /** The `length` bytes at `position` (which it holds) decoded as `encoding`. */
  readString(position: number, length: number, encoding: 'utf8' | 'utf16le' | 'latin1'): string {
    if (length === 0) return '';
    const block = this.blockAt(position);
    return block.buf.toString(encoding, position - block.start, position - block.start + length);
  }

  /**
   * The `length` bytes at `position` (which it holds), as a view into the store, not a copy (a
   * 1 MiB payload per row drawn would be copied ten times a second): valid until more payloads
   * are stored, since a block let go is reused.
   */
  viewBytes(position: number, length: number): Buffer {
    if (length === 0) return Buffer.alloc(0);
    const block = this.blockAt(position);
    return block.buf.subarray(position - block.start, position - block.start + length);
  }

  private newest(): Block {
    return this.blocks[this.blocks.length - 1]!;
  }

  /** Bytes left in the newest block. */
  private room(): number {
    return this.blocks.length === 0 ? 0 : this.newest().start + this.newest().buf.length - this.end;
  }

  /** Where `length` bytes go: after the newest payload, or at the start of a new block. */
  private place(length: number): number {
    if (length > this.budget) return -1;
    if (length === 0 || length <= this.room()) return this.end;
    const size = Math.max(this.blockBytes, length);
    const buf = size === this.blockBytes ? this.spare.pop() ?? Buffer.allocUnsafeSlow(size) : Buffer.allocUnsafeSlow(size);
    this.blocks.push({ start: this.end, buf });
    this.total += size;
    while (this.total > this.budget) this.dropOldest();
    return this.end;
  }

  private dropOldest(): void {
    const gone = this.blocks.shift()!;
    this.total -= gone.buf.length;
    if (gone.buf.length === this.blockBytes && this.spare.length < SPARE_BLOCKS) this.spare.push(gone.buf);
    this.heldFrom = this.blocks[0]?.start ?? this.end;
  }

  /** The block holding `position`: the last one starting at or before it. */
  private blockAt(position: number): Block {
    let lo = 0;
    let hi = this.blocks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.blocks[mid]!.start <= position) lo = mid;
      else hi = mid - 1;
    }
    return this.blocks[lo]!;
  }
}
