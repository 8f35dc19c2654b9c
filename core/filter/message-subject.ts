import type { FilterSubject } from './filter.js';
import { recordPayload, type MessageRecord } from '../log/records.js';
import type { StoredRecord } from '../store/session-store.js';

const OPCODES = { text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

/** What the view filter sees of a stored message record. */
export function messageSubject(stored: StoredRecord, m: MessageRecord): FilterSubject {
  return {
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
