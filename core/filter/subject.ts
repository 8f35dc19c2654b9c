import type { ActionMarks, FilterSubject } from './filter.js';
import { recordPayload, type ActionRecord, type ErrorRecord, type MessageRecord } from '../log/records.js';
import type { StoredRecord } from '../store/session-store.js';
import { KIND_OPCODES } from '../websocket/events.js';

/** What the view filter sees of a stored message record; `actions`: what wspeek did to it (the UI links them), if anything. */
export function messageSubject(stored: StoredRecord, m: MessageRecord, actions: ActionMarks | null = null): FilterSubject {
  return {
    type: 'message',
    conn: m.conn,
    from: m.from,
    kind: m.kind,
    opcode: KIND_OPCODES[m.kind],
    length: m.length,
    compressed: m.compressed === true,
    truncated: m.truncated,
    violations: stored.violations.length,
    closeCode: m.close?.code ?? null,
    url: stored.connection?.url ?? null,
    payloadText: () => m.text ?? (m.close ? m.close.reason : recordPayload(m).toString('utf8')),
    actions,
    app: m.app ?? null,
    payloadJson: () => (m.kind === 'text' && m.text !== undefined ? jsonOf(m.text) : undefined),
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
    actions: null,
    app: null,
    payloadJson: () => undefined,
  };
}

/** The kind of a message wspeek sent itself (an `injected` or `resent` action): text when the record carries text, else binary. */
export function ownMessageKind(a: ActionRecord): 'text' | 'binary' {
  return a.text !== undefined ? 'text' : 'binary';
}

/** What the view filter sees of a message wspeek sent itself: a message from `from`, uncompressed, marked injected. */
export function ownMessageSubject(stored: StoredRecord, a: ActionRecord): FilterSubject {
  const kind = ownMessageKind(a);
  return {
    type: 'message',
    conn: a.conn,
    from: a.from,
    kind,
    opcode: KIND_OPCODES[kind],
    length: a.length ?? 0,
    compressed: false,
    truncated: false,
    violations: 0,
    closeCode: null,
    url: stored.connection?.url ?? null,
    payloadText: () => a.text ?? Buffer.from(a.base64 ?? '', 'base64').toString('utf8'),
    actions: { held: false, dropped: false, edited: false, injected: true },
    app: null,
    payloadJson: () => (a.text !== undefined ? jsonOf(a.text) : undefined),
  };
}

/** What the view filter sees of a listed record: a message (with what wspeek did to it), an error, or a message wspeek sent. */
export function subjectOf(stored: StoredRecord, r: MessageRecord | ErrorRecord | ActionRecord, actions: ActionMarks | null = null): FilterSubject {
  if (r.type === 'message') return messageSubject(stored, r, actions);
  return r.type === 'error' ? errorSubject(stored, r) : ownMessageSubject(stored, r);
}

/** `text` parsed as JSON if it is an object or an array (nothing else is parsed: a json path needs one), else undefined. */
export function jsonOf(text: string): unknown {
  let i = 0;
  while (i < text.length && isJsonSpace(text.charCodeAt(i))) i++;
  const c = text.charCodeAt(i);
  if (c !== 123 /* { */ && c !== 91 /* [ */) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isJsonSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}
