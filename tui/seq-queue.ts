/**
 * An ascending queue of row numbers (seqs): pushed at the back, dropped from the front, read by
 * index. It lives in one typed array used as a ring, allocated once for the list's capacity. An
 * array that grows by `push` and is compacted by `slice` left a discarded backing store of
 * hundreds of KB behind every few thousand rows; those sit in V8's large-object space until a
 * major collection, and they made up 6–15 MB of the UI's heap under steady traffic.
 */
export class SeqQueue {
  private ring: Float64Array;
  /** Ring index of the front. */
  private head = 0;
  private size = 0;

  constructor(capacity: number) {
    this.ring = new Float64Array(Math.max(1, capacity));
  }

  get length(): number {
    return this.size;
  }

  /** The seq at `index` from the front, or undefined past either end. */
  at(index: number): number | undefined {
    if (index < 0 || index >= this.size) return undefined;
    return this.ring[(this.head + index) % this.ring.length];
  }

  /** Appends `seq` (larger than every seq held); the ring doubles if it is full. */
  push(seq: number): void {
    if (this.size === this.ring.length) this.grow();
    this.ring[(this.head + this.size) % this.ring.length] = seq;
    this.size++;
  }

  /** Drops the front seq. */
  shift(): void {
    if (this.size === 0) return;
    this.head = (this.head + 1) % this.ring.length;
    this.size--;
  }

  /** Puts `seq` in its place (when it is not held yet); true when it was added. Moves the seqs after it: for the odd row a filter lets in again. */
  insert(seq: number): boolean {
    const at = this.lowerBound(seq);
    if (this.at(at) === seq) return false;
    if (this.size === this.ring.length) this.grow();
    const n = this.ring.length;
    for (let i = this.size; i > at; i--) this.ring[(this.head + i) % n] = this.ring[(this.head + i - 1) % n]!;
    this.ring[(this.head + at) % n] = seq;
    this.size++;
    return true;
  }

  /** Takes `seq` out, when it is held; true when it was. */
  remove(seq: number): boolean {
    const at = this.lowerBound(seq);
    if (this.at(at) !== seq) return false;
    const n = this.ring.length;
    for (let i = at; i < this.size - 1; i++) this.ring[(this.head + i) % n] = this.ring[(this.head + i + 1) % n]!;
    this.size--;
    return true;
  }

  clear(): void {
    this.head = 0;
    this.size = 0;
  }

  /** Index of the first seq ≥ `seq` (the length when there is none). */
  lowerBound(seq: number): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid)! < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private grow(): void {
    const bigger = new Float64Array(this.ring.length * 2);
    for (let i = 0; i < this.size; i++) bigger[i] = this.at(i)!;
    this.ring = bigger;
    this.head = 0;
  }
}
