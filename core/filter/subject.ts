import type { FilterSubject } from './filter.js';
import { recordPayload, type ErrorRecord, type MessageRecord } from '../log/records.js';
import type { StoredRecord } from '../store/session-store.js';

const OPCODES = { text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

/** What the view filter sees of a stored message record. */
export function messageSubject(stored: StoredRecord, m: MessageRecord): FilterSubject {
  return {
    type: 'message',
    conn: m.conn,
    from: m.from,
    kind: m.kind,
    opcode: OPCODES[m.kind],
    length: m.length,
    compressed: m.compressed,
    truncated: m.truncated,
    violations: stored.violations.length,
    closeCode: m.close?.code ?? null,
    url: stored.connection?.url ?? null,
    payloadText: () => m.text ?? (m.close ? m.close.reason : recordPayload(m).toString('utf8')),
  };
}

/** What the view filter sees of an error record: no sender, kind or length; its detail is its text. */
export function errorSubject(stored: StoredRecord, e: ErrorRecord): FilterSubject {
  return {
    type: 'error',
    conn: e.conn,
    from: null,
    kind: null,
    opcode: NaN,
    length: NaN,
    compressed: false,
    truncated: false,
    violations: 0,
    closeCode: null,
    url: stored.connection?.url ?? null,
    payloadText: () => e.detail,
  };
}

/** What the view filter sees of a stored message or error record. */
export function subjectOf(stored: StoredRecord, r: MessageRecord | ErrorRecord): FilterSubject {
  return r.type === 'message' ? messageSubject(stored, r) : errorSubject(stored, r);
}
