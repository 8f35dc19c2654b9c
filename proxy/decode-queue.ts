import type { LogRecord } from '../core/log/records.js';
import type { Side } from '../core/websocket/events.js';

/**
 * Decoding waits until the proxy has nothing to forward. Bytes are forwarded the moment they
 * arrive; the same chunks are decoded about DECODE_DELAY_MS later, in one batch for every
 * connection, in arrival order. The proxy goes back to waiting for traffic first, so the peer it
 * just woke up (often on the same core) runs at once instead of after the decoding. Timestamps
 * are taken on arrival, so records' times are exact. (Measured against decoding each chunk at
 * once and at the end of each event-loop turn: see bench/README.md.)
 */
const DECODE_DELAY_MS = 1;

export type Decode = (from: Side, data: Buffer, ts: number) => void;

interface Queued {
  decode: Decode;
  from: Side;
  data: Buffer;
  ts: number;
}

/**
 * One proxy's queue of chunks waiting to be decoded, and the one way its records reach the
 * session: a record of the proxy's own (`emit`) goes out only after everything queued before it
 * has been decoded, so the log stays in order of observation without any caller having to
 * remember it. Records made while decoding (`decoded`) go straight out: they are already in order.
 */
export class DecodeQueue {
  private queue: Queued[] = [];
  private next = 0;
  private timer: NodeJS.Timeout | null = null;

  /** `sink` takes every record, in order. */
  constructor(private readonly sink: (record: LogRecord) => void) {}

  /** Queues bytes that arrived at `ts` for `decode` (which only reads them). */
  later(decode: Decode, from: Side, data: Buffer, ts: number): void {
    this.queue.push({ decode, from, data, ts });
    this.timer ??= setTimeout(() => this.drain(), DECODE_DELAY_MS);
  }

  /** A record of the proxy's own (a connection, an exchange, an end): written after what is queued has been decoded. */
  emit(record: LogRecord): void {
    this.drain();
    this.sink(record);
  }

  /** Runs a decoder step that emits records (a stream's end, the connection's finish) after what is queued has been decoded. */
  after(step: () => void): void {
    this.drain();
    step();
  }

  /** A record made while decoding a queued chunk: in order already. */
  readonly decoded = (record: LogRecord): void => this.sink(record);

  /** Decodes everything queued, now (also when the proxy closes, so nothing queued is lost). */
  drain(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    // `next` is shared: a call from inside a decode goes on with the same queue, never repeats an entry.
    while (this.next < this.queue.length) {
      const q = this.queue[this.next++]!;
      q.decode(q.from, q.data, q.ts);
    }
    this.queue = [];
    this.next = 0;
  }
}
