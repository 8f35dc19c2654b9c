import type { CompiledFilter } from '../core/filter/filter.js';
import type { MessageRecord } from '../core/log/records.js';
import type { Side } from '../core/websocket/events.js';

/** A message the user has wspeek send: a text (1) or binary (2) frame's payload. */
export interface OutgoingMessage {
  opcode: 1 | 2;
  payload: Uint8Array;
}

/** What is held over all connections, and what waits behind it. */
export interface HeldSummary {
  messages: number;
  waitingFrames: number;
  waitingBytes: number;
}

/**
 * What the UI asks of the live proxy, on the user's behalf: the CLI hands it an implementation
 * (a saved session has none). Each request returns why it could not be done, or null; what was
 * done comes back as action records, through the session store like every record.
 */
export interface InterceptionControl {
  /** The intercept filter already in force when the UI starts (--intercept without a script); '' when none. */
  readonly initialFilter: string;
  /** Holds the data messages `filter` matches from now on; null: none. */
  setFilter(filter: CompiledFilter | null): string | null;
  /** Sends held message `seq` of `conn` on, as it is or as edited. */
  forward(conn: number, seq: number): string | null;
  /** Sends every held message on. */
  forwardAll(): void;
  drop(conn: number, seq: number): string | null;
  /** Replaces held message `seq`'s content; it stays held until forwarded. */
  edit(conn: number, seq: number, message: OutgoingMessage): string | null;
  /** A new message toward `to`. */
  inject(conn: number, to: Side, message: OutgoingMessage): string | null;
  /** Sends a recorded message again, the same way: with its own payload, or `message` instead. */
  resend(record: MessageRecord, message?: OutgoingMessage): string | null;
  /** A close frame with `code` and `reason` to both sides, then the connection ends. */
  close(conn: number, code: number, reason: string): string | null;
  /** Resets both sides now. */
  reset(conn: number): string | null;
  summary(): HeldSummary;
}
