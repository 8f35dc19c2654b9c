import { MESSAGE_KINDS } from '../websocket/events.js';
import { escapeUnsafe } from './record-line.js';
import { ACTION_KINDS, RECORD_TYPES, type ActionRecord, type FrameRecord, type LogRecord, type MessageRecord } from './records.js';

export type ParsedLine =
  | { kind: 'record'; record: LogRecord }
  /** A record type or shape this version does not know: skipped, as the format asks. */
  | { kind: 'unknown' }
  | { kind: 'blank' }
  | { kind: 'invalid'; error: string }
  /** The first line of a file that is not a wspeek session log, and why. */
  | { kind: 'not-a-log'; why: string };

/**
 * Parses one line of a session log. A message record without `seq` (written before the field
 * existed) is returned without one: `SessionLogReader` numbers it.
 */
export function parseLogLine(line: string): ParsedLine {
  if (line.trim() === '') return { kind: 'blank' };
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return { kind: 'invalid', error: (err as Error).message };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { kind: 'invalid', error: 'not a JSON object' };
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string' || !RECORD_TYPES.has(type as LogRecord['type'])) return { kind: 'unknown' };
  if (type !== 'session' && typeof (value as { conn?: unknown }).conn !== 'number') return { kind: 'invalid', error: `${type} record without a conn number` };
  if (typeof (value as { ts?: unknown }).ts !== 'number') return { kind: 'invalid', error: `${type} record without a ts number` };
  // `bytes` is an in-memory field: whatever a file calls by that name is not a record's payload.
  if (type === 'message') delete (value as { bytes?: unknown }).bytes;
  const problem = type === 'frame' ? frameProblem(value as FrameRecord)
    : type === 'message' ? messageProblem(value as MessageRecord)
      : type === 'action' ? actionProblem(value as ActionRecord) : null;
  if (problem) return { kind: 'invalid', error: `${type} record: ${problem}` };
  return { kind: 'record', record: value as LogRecord };
}

const SIDES = new Set(['client', 'server']);
const KINDS: ReadonlySet<string> = new Set(MESSAGE_KINDS);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const isCount = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/**
 * A masking key as records write it, 8 lowercase hex digits, as a number; -1 for anything else.
 * One pass: the UI's rows call it for every message, where a regular expression and parseInt
 * cost several times more.
 */
export function maskKeyValue(mask: unknown): number {
  if (typeof mask !== 'string' || mask.length !== 8) return -1;
  let value = 0;
  for (let i = 0; i < 8; i++) {
    const c = mask.charCodeAt(i);
    const digit = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

/** What makes a frame record from a file unfit to show or write again, or null. */
function frameProblem(f: FrameRecord): string | null {
  if (!SIDES.has(f.from)) return 'from is not client or server';
  if (typeof f.fin !== 'boolean' || typeof f.masked !== 'boolean') return 'fin and masked must be booleans';
  if (!Array.isArray(f.rsv) || f.rsv.length !== 3 || f.rsv.some((b) => typeof b !== 'boolean')) return 'rsv must be three booleans';
  if (!Number.isInteger(f.opcode) || f.opcode < 0 || f.opcode > 15) return 'opcode must be 0 to 15';
  if (f.mask !== null && maskKeyValue(f.mask) < 0) return 'mask must be null or 8 hex digits';
  if (!isCount(f.length) || !isCount(f.conn)) return 'length and conn must be numbers';
  return null;
}

/** What makes a message record from a file unfit to show or write again, or null. */
function messageProblem(m: MessageRecord): string | null {
  if (!SIDES.has(m.from)) return 'from is not client or server';
  if (!KINDS.has(m.kind)) return 'kind is not text, binary, ping, pong or close';
  if (!isCount(m.length) || !isCount(m.conn)) return 'length and conn must be numbers';
  // Null: unknown, as for a message read from HAR.
  if ((m.wireLength !== null && !isCount(m.wireLength)) || (m.frames !== null && !isCount(m.frames))) return 'wireLength and frames must be numbers or null';
  if (m.compressed !== null && typeof m.compressed !== 'boolean') return 'compressed must be a boolean or null';
  if (typeof m.truncated !== 'boolean') return 'truncated must be a boolean';
  if (m.seq !== undefined && !(Number.isSafeInteger(m.seq) && m.seq >= 1)) return 'seq must be a whole number from 1';
  if (m.text !== undefined && typeof m.text !== 'string') return 'text must be a string';
  if (m.base64 !== undefined && (typeof m.base64 !== 'string' || !BASE64.test(m.base64))) return 'base64 must be base64';
  if (m.close !== undefined && (typeof m.close !== 'object' || m.close === null || (m.close.code !== null && !isCount(m.close.code)) || typeof m.close.reason !== 'string')) return 'close must be {code, reason}';
  if (m.incomplete !== undefined && m.incomplete !== true) return 'incomplete must be true when present';
  if (m.rtt !== undefined && !isCount(m.rtt)) return 'rtt must be a number';
  if (m.app !== undefined && !(Array.isArray(m.app) && m.app.every(isAppEntry))) return 'app must be an array of objects with a protocol';
  return null;
}

const isAppEntry = (e: unknown) => typeof e === 'object' && e !== null && typeof (e as { protocol?: unknown }).protocol === 'string';

const ACTIONS: ReadonlySet<string> = new Set(ACTION_KINDS);
const DECIDERS = new Set(['user', 'script', 'proxy']);
const isHeader = (h: unknown) => Array.isArray(h) && h.length === 2 && typeof h[0] === 'string' && typeof h[1] === 'string';

/** What makes an action record from a file unfit to show or write again, or null. */
function actionProblem(a: ActionRecord): string | null {
  if (!SIDES.has(a.from) || !SIDES.has(a.to)) return 'from and to must be client or server';
  if (!ACTIONS.has(a.action)) return `action must be one of ${ACTION_KINDS.join(', ')}`;
  if (!DECIDERS.has(a.by)) return 'by must be user, script or proxy';
  if (a.seq !== undefined && !(Number.isSafeInteger(a.seq) && a.seq >= 1)) return 'seq must be a whole number from 1';
  if (a.target !== undefined && a.target !== 'handshake') return 'target must be handshake when present';
  if (a.headers !== undefined && !(Array.isArray(a.headers) && a.headers.every(isHeader))) return 'headers must be [name, value] pairs of strings';
  if (a.text !== undefined && typeof a.text !== 'string') return 'text must be a string';
  if (a.base64 !== undefined && (typeof a.base64 !== 'string' || !BASE64.test(a.base64))) return 'base64 must be base64';
  if ((a.length !== undefined && !isCount(a.length)) || (a.code !== undefined && !isCount(a.code)) || !isCount(a.conn)) return 'length, code and conn must be numbers';
  if ((a.reason !== undefined && typeof a.reason !== 'string') || (a.error !== undefined && typeof a.error !== 'string')) return 'reason and error must be strings';
  return null;
}


/**
 * Reads a session log line by line, in order: its first line must be wspeek's `session` record
 * (else the file is some other file, and `read` says so with `not-a-log`); then it parses each
 * line and gives every message record its `seq`, numbering those a file wrote without one as the
 * writer would have (per connection, from 1).
 */
export class SessionLogReader {
  private readonly lastSeq = new Map<number, number>();
  private started = false;

  read(line: string): ParsedLine {
    const parsed = parseLogLine(line);
    if (!this.started && parsed.kind !== 'blank') {
      const why = notASessionRecord(parsed, line);
      if (why !== null) return { kind: 'not-a-log', why };
      this.started = true;
    }
    if (parsed.kind !== 'record' || parsed.record.type !== 'message') return parsed;
    const m = parsed.record;
    const seq = m.seq ?? (this.lastSeq.get(m.conn) ?? 0) + 1;
    this.lastSeq.set(m.conn, Math.max(seq, this.lastSeq.get(m.conn) ?? 0));
    if (m.seq === undefined) parsed.record = { ...m, seq };
    return parsed;
  }
}

/** Why the first line of a file is not a wspeek session record, or null when it is one. */
function notASessionRecord(parsed: ParsedLine, line: string): string | null {
  if (parsed.kind === 'record' && parsed.record.type === 'session' && parsed.record.tool === 'wspeek') return null;
  const start = escapeUnsafe(JSON.stringify(line.length > 40 ? `${line.slice(0, 40)}…` : line));
  try {
    JSON.parse(line);
  } catch {
    return `its first line is not JSON: ${start}`;
  }
  return `its first line is not wspeek's session record (a session log starts with {"type":"session",…,"tool":"wspeek"}): ${start}`;
}
