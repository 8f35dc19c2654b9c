import { recordPayload, type MessageRecord } from '../log/records.js';
import { isData } from './replay-plan.js';

/** The first server message where the replay and the recording part. */
export interface ReplayDifference {
  /** Position among the server's data messages, from 1. */
  index: number;
  /** What differs: `kind`, `bytes`, `missing` (the replay got fewer), `extra` (the replay got more). */
  what: 'kind' | 'bytes' | 'missing' | 'extra';
  /** The recorded message, or null when the replay got more. */
  recorded: MessageRecord | null;
  /** The replay's message, or null when the replay got fewer. */
  replayed: MessageRecord | null;
}

/** How the server answered the replay, against how it answered in the recording. */
export interface ReplayComparison {
  same: boolean;
  /** The server's data messages (text and binary) in each. */
  recordedMessages: number;
  replayedMessages: number;
  /** The first differing message, or null when they all match. */
  difference: ReplayDifference | null;
  /** The code of the server's close frame in each (null: no code, or no close frame). */
  recordedClose: number | null;
  replayedClose: number | null;
}

/**
 * Compares the server's messages in the recording with those it sent to the replay. Pings and
 * pongs are left aside (keep-alives run on their own clocks); the data messages must match in
 * number, kind and bytes, in order, and the server's close frames must carry the same code.
 * A message the recording kept only in part (`--max-payload`) matches one of the same length
 * whose first bytes are the ones kept.
 */
export function compareReplay(recorded: readonly MessageRecord[], replayed: readonly MessageRecord[]): ReplayComparison {
  const a = recorded.filter(isData);
  const b = replayed.filter(isData);
  let difference: ReplayDifference | null = null;
  for (let i = 0; i < Math.max(a.length, b.length) && !difference; i++) {
    const r = a[i] ?? null;
    const n = b[i] ?? null;
    const what = !n ? 'missing' : !r ? 'extra' : r.kind !== n.kind ? 'kind' : !sameBytes(r, n) ? 'bytes' : null;
    if (what) difference = { index: i + 1, what, recorded: r, replayed: n };
  }
  const recordedClose = closeCode(recorded);
  const replayedClose = closeCode(replayed);
  return {
    same: difference === null && recordedClose === replayedClose,
    recordedMessages: a.length, replayedMessages: b.length, difference, recordedClose, replayedClose,
  };
}

function sameBytes(r: MessageRecord, n: MessageRecord): boolean {
  if (r.length !== n.length) return false;
  const x = recordPayload(r);
  const y = recordPayload(n);
  if (!r.truncated && !n.truncated) return x.equals(y);
  const kept = Math.min(x.length, y.length);
  return x.subarray(0, kept).equals(y.subarray(0, kept));
}

function closeCode(messages: readonly MessageRecord[]): number | null {
  return messages.find((m) => m.kind === 'close')?.close?.code ?? null;
}
