import type { ActionRecord, MessageRecord } from '../core/log/records.js';

/** `YYYYMMDD-HHMMSS` in local time. */
export function localStamp(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** The name a saved view gets unless the user types another: `wspeek-view-20240115-093000.jsonl`. */
export function viewFileName(now: number, extension: string): string {
  return `wspeek-view-${localStamp(now)}${extension}`;
}

/**
 * A written payload's name: its connection, its seq in the connection, when it arrived:
 * `wspeek-conn3-seq42-20240115-093000.bin`; for a message wspeek sent itself, `…-injected-…` or
 * `…-seq42-resent-…`.
 */
export function payloadFileName(m: MessageRecord | ActionRecord, extension: string): string {
  const which = m.type === 'message' ? `seq${m.seq}` : m.action === 'resent' ? `seq${m.seq ?? 0}-resent` : 'injected';
  return `wspeek-conn${m.conn}-${which}-${localStamp(m.ts)}${extension}`;
}
