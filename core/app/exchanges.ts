import { round3, type MessageRecord } from '../log/records.js';
import type { AppEntry } from './app-entry.js';

/** Requests kept waiting for replies per connection and protocol; past this, the oldest is forgotten. */
export const MAX_OPEN_EXCHANGES = 4096;

interface Open {
  seq: number;
  ts: number;
  entry: AppEntry;
  replies: number;
}

/**
 * Request ↔ reply pairing for one connection's decoder. A request is remembered under a key the
 * protocol chooses (an id, with the direction when ids are per side); a reply found under it gets
 * `pair` (the request's message `seq`), `latencyMs`, and the request's `name` when it has none.
 * The request's entry is never changed: the log is append-only.
 */
export class Exchanges {
  private readonly open = new Map<string, Open>();

  /** `entry`, carried by `m`, expects one or more replies under `key` (a later request under the same key replaces it). */
  request(key: string, m: MessageRecord, entry: AppEntry): void {
    this.open.delete(key);
    this.open.set(key, { seq: m.seq, ts: m.ts, entry, replies: 0 });
    if (this.open.size > MAX_OPEN_EXCHANGES) this.open.delete(this.open.keys().next().value!);
  }

  /** The only reply the request under `key` gets (an ack, a response): pairs it and forgets the request. */
  answer(key: string, m: MessageRecord, entry: AppEntry): AppEntry | null {
    const o = this.pair(key, m, entry);
    if (o) this.open.delete(key);
    return o?.entry ?? null;
  }

  /** One of several replies (a subscription's `next`): pairs it, and the request stays open. */
  reply(key: string, m: MessageRecord, entry: AppEntry): AppEntry | null {
    const o = this.pair(key, m, entry);
    if (o) o.replies++;
    return o?.entry ?? null;
  }

  /**
   * The message that ends a multi-reply exchange (`complete`, `UNSUBSCRIBE`, an error), from
   * either side: pairs it, adds `count` (the replies before it) and `durationMs`, forgets the request.
   */
  end(key: string, m: MessageRecord, entry: AppEntry): AppEntry | null {
    const o = this.pair(key, m, entry);
    if (!o) return null;
    entry.count = o.replies;
    entry.durationMs = round3(m.ts - o.ts);
    this.open.delete(key);
    return o.entry;
  }

  /** The request waiting under `key`, if any, without pairing anything. */
  peek(key: string): AppEntry | null {
    return this.open.get(key)?.entry ?? null;
  }

  private pair(key: string, m: MessageRecord, entry: AppEntry): Open | undefined {
    const o = this.open.get(key);
    if (!o) return undefined;
    entry.pair = o.seq;
    entry.latencyMs = round3(m.ts - o.ts);
    if (entry.name === undefined && o.entry.name !== undefined) entry.name = o.entry.name;
    return o;
  }
}
