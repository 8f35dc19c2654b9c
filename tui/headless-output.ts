import type { CompiledFilter, FilterPredicate } from '../core/filter/filter.js';
import { subjectOf } from '../core/filter/subject.js';
import { RecordLineEncoder } from '../core/log/record-line.js';
import type { RecordListener, StoredRecord } from '../core/store/session-store.js';
import { formatRecordLine } from './line-printer.js';
import { visible } from './sanitize.js';

export interface HeadlessOptions {
  /** JSONL records instead of human-readable lines. */
  json: boolean;
  /** The view filter, or null to show everything. */
  filter: CompiledFilter | null;
  write: (text: string) => void;
}

/**
 * Whether a filtered session log keeps a record (`--json --filter`, `open --save-har --filter`): the
 * messages and errors the filter matches, and the records that make a log readable (session,
 * connections, handshakes, ends…), not frames, violations or http records.
 */
export function keptByFilter(stored: StoredRecord, filter: FilterPredicate): boolean {
  const r = stored.record;
  if (r.type === 'message' || r.type === 'error') return filter(subjectOf(stored, r));
  return r.type !== 'frame' && r.type !== 'violation' && r.type !== 'http';
}

/**
 * The consumer behind `--no-tui` and `--json`. Without a filter it shows every record (lines
 * skip frame records). With a filter, lines show only the matching messages and errors; JSON
 * keeps the records that frame a connection (session, connect, tunnel, handshake, end) so the
 * output stays a session log that `wspeek open` reads, and drops frames, violations, http records
 * and unmatched messages and errors.
 */
export function headlessOutput(options: HeadlessOptions): RecordListener {
  const { json, write } = options;
  const filter = options.filter?.predicate ?? null;
  const encoder = new RecordLineEncoder();
  return (stored) => {
    const r = stored.record;
    // Human lines show only the messages and errors the filter keeps.
    if (filter && !(keptByFilter(stored, filter) && (json || r.type === 'message' || r.type === 'error'))) return;
    if (json) return write(`${encoder.line(r)}\n`);
    const line = formatRecordLine(r);
    if (line === null) return;
    // A message line holds validated fields and an escaped preview; the other records' strings
    // (from a log file, say) are made visible here as a whole.
    write(`${r.type === 'message' ? line : visible(line)}\n`);
  };
}
