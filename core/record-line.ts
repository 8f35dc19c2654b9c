import type { FrameRecord, LogRecord, MessageRecord } from './session-record.js';
import { MAYBE_UNSAFE_CHARS, UNSAFE_CHARS } from './unsafe-chars.js';

/*
 * A record as one line of the session log: JSON with nothing a terminal acts on, which parses
 * back to the same record. `--save` files and `--json` stdout both come from `encodeRecordLine`,
 * so they match byte for byte.
 *
 * Frames and messages, nearly all of a log, are built directly: their fields are numbers, booleans
 * and known tokens (checked by `parseLogLine` for records read from a file), so only text and close
 * reasons need JSON.stringify. Lines are encoded straight into the caller's buffer, a large base64
 * payload without first building a line string around it. Other records (a few per connection)
 * are JSON.stringify'd whole.
 */

/** Bytes `encodeRecordLine` may need for `r` (no newline): an upper bound. */
export function recordLineCapacity(r: LogRecord): number {
  if (r.type === 'frame') return 256;
  if (r.type === 'message') {
    // \uXXXX is 6 bytes for one UTF-16 unit; other units take at most 3 bytes of UTF-8.
    return 512 + 6 * (r.text?.length ?? 0) + (r.base64?.length ?? 0) + (r.close ? 6 * r.close.reason.length : 0);
  }
  return 6 * JSON.stringify(r).length;
}

/**
 * Writes `r`'s line (no newline) into `buf` at `at`, which has `recordLineCapacity(r)` bytes of
 * room; returns the position after it.
 */
export function encodeRecordLine(r: LogRecord, buf: Buffer, at: number): number {
  if (r.type === 'frame') return encodeFrame(r, buf, at);
  if (r.type === 'message') return encodeMessage(r, buf, at);
  return at + buf.write(escapeUnsafe(JSON.stringify(r)), at, 'utf8');
}

let scratch = Buffer.allocUnsafe(64 * 1024);

/** The line as a string (no newline): for `--json` output and tests. */
export function recordLine(r: LogRecord): string {
  const need = recordLineCapacity(r);
  if (need > scratch.length) scratch = Buffer.allocUnsafe(need);
  return scratch.toString('utf8', 0, encodeRecordLine(r, scratch, 0));
}

function encodeFrame(f: FrameRecord, buf: Buffer, at: number): number {
  return at + buf.write(`{"type":"frame","conn":${f.conn},"ts":${f.ts},"from":"${f.from}","fin":${f.fin},"rsv":[${f.rsv[0]},${f.rsv[1]},${f.rsv[2]}],"opcode":${f.opcode},"masked":${f.masked},"mask":${f.mask === null ? 'null' : `"${f.mask}"`},"length":${f.length}}`, at, 'utf8');
}

function encodeMessage(m: MessageRecord, buf: Buffer, at: number): number {
  let head = `{"type":"message","conn":${m.conn},"ts":${m.ts},"from":"${m.from}","kind":"${m.kind}","length":${m.length},"wireLength":${m.wireLength},"frames":${m.frames},"compressed":${m.compressed},"truncated":${m.truncated}`;
  if (m.close !== undefined) head += `,"close":${escapeUnsafe(JSON.stringify(m.close))}`;
  if (m.text !== undefined) head += `,"text":${escapeUnsafe(JSON.stringify(m.text))}`;
  let tail = m.incomplete ? ',"incomplete":true' : '';
  if (m.rtt !== undefined) tail += `,"rtt":${m.rtt}`;
  if (m.base64 === undefined) return at + buf.write(`${head}${tail}}`, at, 'utf8');
  // Base64 is [A-Za-z0-9+/=]: nothing in it needs escaping, and latin1 copies it as it is, with no line string built around it.
  at += buf.write(`${head},"base64":"`, at, 'utf8');
  at += buf.write(m.base64, at, 'latin1');
  return at + buf.write(`"${tail}}`, at, 'latin1');
}

/**
 * JSON.stringify escapes C0 controls but leaves DEL, C1, format characters and line separators
 * raw, and a terminal may act on them when someone `cat`s a log: those become \\uXXXX.
 */
export function escapeUnsafe(json: string): string {
  if (!MAYBE_UNSAFE_CHARS.test(json)) return json;
  return json.replace(UNSAFE_CHARS, (c) => {
    let out = '';
    for (let i = 0; i < c.length; i++) out += `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`;
    return out;
  });
}
