import type { Side } from '../core/websocket/events.js';

const BUCKET_MS = 100;
const BUCKETS = 10;

export interface Rate {
  messages: number;
  bytes: number;
}

/** Messages and bytes per second in each direction, over the last second (ten 100 ms buckets). */
export class RateMeter {
  private readonly buckets = {
    client: Array.from({ length: BUCKETS }, () => ({ slot: -1, messages: 0, bytes: 0 })),
    server: Array.from({ length: BUCKETS }, () => ({ slot: -1, messages: 0, bytes: 0 })),
  };

  record(from: Side, bytes: number, ts: number): void {
    const slot = Math.floor(ts / BUCKET_MS);
    const b = this.buckets[from][slot % BUCKETS]!;
    if (b.slot !== slot) {
      b.slot = slot;
      b.messages = 0;
      b.bytes = 0;
    }
    b.messages++;
    b.bytes += bytes;
  }

  /** Per-second rates for the second before `now`. */
  rate(from: Side, now: number): Rate {
    const newest = Math.floor(now / BUCKET_MS);
    let messages = 0;
    let bytes = 0;
    for (const b of this.buckets[from]) {
      if (b.slot > newest - BUCKETS && b.slot <= newest) {
        messages += b.messages;
        bytes += b.bytes;
      }
    }
    return { messages, bytes };
  }
}
