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
    const base64 = r.bytes ? 4 * Math.ceil(r.bytes.length / 3) : r.base64?.length ?? 0;
    return 512 + 6 * (r.text?.length ?? 0) + base64 + (r.close ? 6 * r.close.reason.length : 0);
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

// A frame line is ASCII (numbers, booleans, known tokens, hex): latin1 writes it as it is.
function encodeFrame(f: FrameRecord, buf: Buffer, at: number): number {
  return at + buf.write(`{"type":"frame","conn":${f.conn},"ts":${timestampText(f.ts)},"from":"${f.from}","fin":${f.fin},"rsv":[${f.rsv[0]},${f.rsv[1]},${f.rsv[2]}],"opcode":${f.opcode},"masked":${f.masked},"mask":${f.mask === null ? 'null' : `"${f.mask}"`},"length":${f.length}}`, at, 'latin1');
}

function encodeMessage(m: MessageRecord, buf: Buffer, at: number): number {
  let head = `{"type":"message","conn":${m.conn},"ts":${timestampText(m.ts)},"from":"${m.from}","kind":"${m.kind}","length":${m.length},"wireLength":${m.wireLength},"frames":${m.frames},"compressed":${m.compressed},"truncated":${m.truncated}`;
  if (m.text !== undefined) head += ',"text":';
  // Only a close reason can bring non-ASCII into the head; otherwise latin1 copies it as it is, without a UTF-8 pass.
  if (m.close !== undefined) at += buf.write(`${head},"close":${escapeUnsafe(JSON.stringify(m.close))}`, at, 'utf8');
  else at += buf.write(head, at, 'latin1');
  if (m.text !== undefined) at = writeJsonString(m.text, buf, at);
  if (m.bytes !== undefined || m.base64 !== undefined) {
    // Base64 is [A-Za-z0-9+/=]: nothing in it needs escaping, and latin1 copies it as it is, with no line string built around it.
    at += buf.write(',"base64":"', at, 'latin1');
    at = m.bytes !== undefined ? writeBase64(m.bytes, buf, at) : at + buf.write(m.base64!, at, 'latin1');
    buf[at++] = 0x22;
  }
  if (m.incomplete || m.rtt !== undefined) {
    let tail = m.incomplete ? ',"incomplete":true' : '';
    if (m.rtt !== undefined) tail += `,"rtt":${m.rtt}`;
    at += buf.write(tail, at, 'latin1');
  }
  buf[at] = 0x7d; // }
  return at + 1;
}

/** Bytes base64-encoded per piece: a multiple of 3, so the pieces join without padding, and small enough to be short-lived strings. */
const BASE64_PIECE = 48 * 1024;

/** Writes `bytes` as base64 at `at`, a piece at a time; returns the position after it. */
function writeBase64(bytes: Buffer, buf: Buffer, at: number): number {
  for (let i = 0; i < bytes.length; i += BASE64_PIECE) {
    at += buf.write(bytes.toString('base64', i, Math.min(i + BASE64_PIECE, bytes.length)), at, 'latin1');
  }
  return at;
}

/** `'.001'` … `'.999'` without trailing zeros, and `''` for 0: the fraction of a µs-precise millisecond count. */
const MS_FRACTIONS = Array.from({ length: 1000 }, (_, us) => (us === 0 ? '' : `.${String(us).padStart(3, '0').replace(/0+$/, '')}`));
/** Below 2^42 ms (year 2109) doubles are finer than 0.5 µs, so each µs-precise value has its own double. */
const FAST_TIMESTAMP_LIMIT = 2 ** 42;
let lastMs = -1;
let lastMsText = '';

/**
 * String(ts), built cheaply for what the clock gives: ms since the epoch, µs-precise. Such a
 * number's shortest round-trip form is its whole ms and up to three decimals; lines written in
 * the same ms share the whole part. Any other number goes through String.
 */
function timestampText(ts: number): string {
  const us = Math.round(ts * 1000);
  if (us / 1000 !== ts || !(ts >= 0 && ts < FAST_TIMESTAMP_LIMIT)) return String(ts);
  const ms = Math.floor(ts);
  if (ms !== lastMs) {
    lastMs = ms;
    lastMsText = String(ms);
  }
  return lastMsText + MS_FRACTIONS[us - ms * 1000]!;
}

/**
 * Writes `escapeUnsafe(JSON.stringify(s))` as UTF-8 at `at`; returns the position after it.
 * Printable ASCII (most text: JSON, plain words) is copied byte by byte, with `"` and `\` escaped;
 * anything else (controls, DEL, non-ASCII) sends the whole string the general way.
 */
function writeJsonString(s: string, buf: Buffer, at: number): number {
  const start = at;
  buf[at++] = 0x22;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return start + buf.write(escapeUnsafe(JSON.stringify(s)), start, 'utf8');
    if (c === 0x22 || c === 0x5c) buf[at++] = 0x5c;
    buf[at++] = c;
  }
  buf[at++] = 0x22;
  return at;
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
