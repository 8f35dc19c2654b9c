import { MESSAGE_KINDS } from '../websocket/events.js';
import type { AppEntry } from '../app/app-entry.js';
import type { FrameRecord, LogRecord, MessageRecord } from './records.js';
import { MAYBE_UNSAFE_CHARS, UNSAFE_CHARS } from './unsafe-chars.js';

/*
 * A record as one line of the session log: JSON with nothing a terminal acts on, which parses
 * back to the same record. `--save` files and `--json` stdout both come from RecordLineEncoder,
 * so they match byte for byte.
 *
 * Frames and messages, nearly all of a log, are written directly into the caller's buffer: their
 * fields are numbers, booleans and known tokens (checked by `parseLogLine` for records read from a
 * file), so only text and close reasons need JSON.stringify. A line is copied together from
 * constant byte strings and written numbers rather than built as a template string: V8 builds a
 * template as a tree of joined strings, and flattening it to write it out cost more than building
 * and copying together (a frame line took 380 ns that way, 140 ns this way). The parts that depend
 * only on a frame's flags, or on a message's side and kind, are made once. A large base64 payload
 * is written a piece at a time, with no line string around it. Other records (a few per
 * connection) are JSON.stringify'd whole.
 */

/** Bytes `RecordLineEncoder.encode` may need for `r` (no newline): an upper bound. */
export function recordLineCapacity(r: LogRecord): number {
  if (r.type === 'frame') return 256;
  if (r.type === 'message') {
    // \uXXXX is 6 bytes for one UTF-16 unit; other units take at most 3 bytes of UTF-8.
    const base64 = r.bytes ? 4 * Math.ceil(r.bytes.length / 3) : r.base64?.length ?? 0;
    return 512 + 6 * (r.text?.length ?? 0) + base64 + (r.close ? 6 * r.close.reason.length : 0) + (r.app ? 6 * appJson(r.app).length : 0);
  }
  return 6 * JSON.stringify(r).length;
}

/** An ASCII constant as the bytes a line copies. */
const ascii = (s: string): Uint8Array => Buffer.from(s, 'latin1');

const FRAME_START = ascii('{"type":"frame","conn":');
const MESSAGE_START = ascii('{"type":"message","conn":');
const SEQ = ascii(',"seq":');
const TS = ascii(',"ts":');
const MASK_END = ascii('","length":');
const WIRE_LENGTH = ascii(',"wireLength":');
const FRAMES = ascii(',"frames":');
const TEXT = ascii(',"text":');
const BASE64 = ascii(',"base64":"');
const INCOMPLETE = ascii(',"incomplete":true');
const RTT = ascii(',"rtt":');
const APP = ascii(',"app":');
/** `,"compressed":…,"truncated":…` for each pair: index compressed (false 0, true 2, null 4: unknown) + truncated. */
const MESSAGE_FLAGS = [[false, false], [false, true], [true, false], [true, true], [null, false], [null, true]]
  .map(([c, t]) => ascii(`,"compressed":${c},"truncated":${t}`));

/** The fields of a frame line between `ts` and the mask as a number: from, fin, rsv, opcode, masked, and whether there is a mask. */
function shapeKey(f: FrameRecord): number {
  return (f.from === 'client' ? 1024 : 0) | (f.fin ? 512 : 0) | (f.rsv[0] ? 256 : 0) | (f.rsv[1] ? 128 : 0) | (f.rsv[2] ? 64 : 0)
    | (f.masked ? 32 : 0) | (f.mask === null ? 16 : 0) | f.opcode; // opcode is 0–15 (parseLogLine checks a file's)
}


/** Each side and kind's `,"from":…,"kind":…,"length":` part: client kinds, then server kinds, in MESSAGE_KINDS order. */
const MESSAGE_MIDDLES = (['client', 'server'] as const).flatMap((from) => MESSAGE_KINDS.map((kind) => ascii(`,"from":"${from}","kind":"${kind}","length":`)));


/**
 * Encodes records as session-log lines. It keeps what it has made of earlier lines (each frame
 * shape's constant middle, the current millisecond's digits, a scratch buffer) for the next ones,
 * so a writer keeps one encoder for its whole log.
 */
export class RecordLineEncoder {
  /** Each frame shape's `,"from":…,"mask":` part, by shapeKey (2^11 shapes; sized up front so the array stays a plain one, not a dictionary). */
  private readonly frameMiddles = new Array<Uint8Array | undefined>(2048);
  /** The last whole millisecond written, and its digits. */
  private lastMs = -1;
  private lastMsDigits = ascii('');
  private scratch = Buffer.allocUnsafe(64 * 1024);

  /**
   * Writes `r`'s line (no newline) into `buf` at `at`, which has `recordLineCapacity(r)` bytes of
   * room; returns the position after it.
   */
  encode(r: LogRecord, buf: Buffer, at: number): number {
    if (r.type === 'frame') return this.encodeFrame(r, buf, at);
    if (r.type === 'message') return this.encodeMessage(r, buf, at);
    return at + buf.write(escapeUnsafe(JSON.stringify(r)), at, 'utf8');
  }

  /** The line as a string (no newline): for `--json` output and tests. */
  line(r: LogRecord): string {
    const need = recordLineCapacity(r);
    if (need > this.scratch.length) this.scratch = Buffer.allocUnsafe(need);
    return this.scratch.toString('utf8', 0, this.encode(r, this.scratch, 0));
  }

  private encodeFrame(f: FrameRecord, buf: Buffer, at: number): number {
    const key = shapeKey(f);
    const middle = this.frameMiddles[key] ??= ascii(`,"from":"${f.from}","fin":${f.fin},"rsv":[${f.rsv[0]},${f.rsv[1]},${f.rsv[2]}],"opcode":${f.opcode},"masked":${f.masked},"mask":${f.mask === null ? 'null,"length":' : '"'}`);
    at = writeBytes(FRAME_START, buf, at);
    at = writeNumber(f.conn, buf, at);
    at = writeBytes(TS, buf, at);
    at = this.writeTimestamp(f.ts, buf, at);
    at = writeBytes(middle, buf, at);
    if (f.mask !== null) {
      at = writeAscii(f.mask, buf, at); // 8 hex digits (parseLogLine checks a file's)
      at = writeBytes(MASK_END, buf, at);
    }
    at = writeNumber(f.length, buf, at);
    buf[at] = 0x7d; // }
    return at + 1;
  }

  private encodeMessage(m: MessageRecord, buf: Buffer, at: number): number {
    // kind is one of MESSAGE_KINDS (parseLogLine checks a file's).
    const middle = MESSAGE_MIDDLES[(m.from === 'client' ? 0 : MESSAGE_KINDS.length) + MESSAGE_KINDS.indexOf(m.kind)]!;
    at = writeBytes(MESSAGE_START, buf, at);
    at = writeNumber(m.conn, buf, at);
    at = writeBytes(SEQ, buf, at);
    at = writeNumber(m.seq, buf, at);
    at = writeBytes(TS, buf, at);
    at = this.writeTimestamp(m.ts, buf, at);
    at = writeBytes(middle, buf, at);
    at = writeNumber(m.length, buf, at);
    // wireLength, frames and compressed are null when unknown (a message read from HAR).
    at = writeBytes(WIRE_LENGTH, buf, at);
    at = writeNumber(m.wireLength, buf, at);
    at = writeBytes(FRAMES, buf, at);
    at = writeNumber(m.frames, buf, at);
    at = writeBytes(MESSAGE_FLAGS[(m.compressed === null ? 4 : m.compressed ? 2 : 0) + (m.truncated ? 1 : 0)]!, buf, at);
    // A close reason is the one part of a message's head that can hold any character.
    if (m.close !== undefined) at += buf.write(`,"close":${escapeUnsafe(JSON.stringify(m.close))}`, at, 'utf8');
    if (m.text !== undefined) {
      at = writeBytes(TEXT, buf, at);
      at = writeJsonString(m.text, buf, at);
    }
    if (m.bytes !== undefined || m.base64 !== undefined) {
      // Base64 is [A-Za-z0-9+/=]: nothing in it needs escaping, and latin1 copies it as it is, with no line string built around it.
      at = writeBytes(BASE64, buf, at);
      at = m.bytes !== undefined ? writeBase64(m.bytes, buf, at) : at + buf.write(m.base64!, at, 'latin1');
      buf[at++] = 0x22;
    }
    if (m.incomplete) at = writeBytes(INCOMPLETE, buf, at);
    if (m.rtt !== undefined) {
      at = writeBytes(RTT, buf, at);
      at = writeNumber(m.rtt, buf, at);
    }
    if (m.app !== undefined) {
      at = writeBytes(APP, buf, at);
      at += buf.write(escapeUnsafe(appJson(m.app)), at, 'utf8');
    }
    buf[at] = 0x7d; // }
    return at + 1;
  }

  /**
   * String(ts), written cheaply for what the clock gives: ms since the epoch, µs-precise. Such a
   * number's shortest round-trip form is its whole ms and up to three decimals; lines written in
   * the same ms share the whole part. Any other number goes through String.
   */
  private writeTimestamp(ts: number, buf: Buffer, at: number): number {
    const us = Math.round(ts * 1000);
    if (us / 1000 !== ts || !(ts >= 0 && ts < FAST_TIMESTAMP_LIMIT)) return at + buf.write(String(ts), at, 'latin1');
    const ms = Math.floor(ts);
    if (ms !== this.lastMs) {
      this.lastMs = ms;
      this.lastMsDigits = ascii(String(ms));
    }
    at = writeBytes(this.lastMsDigits, buf, at);
    // The µs as `.001` … `.999` without trailing zeros, and nothing for 0.
    const fraction = us - ms * 1000;
    if (fraction === 0) return at;
    buf[at++] = 0x2e; // .
    buf[at++] = 0x30 + ((fraction / 100) >>> 0);
    if (fraction % 100 === 0) return at;
    buf[at++] = 0x30 + (((fraction / 10) >>> 0) % 10);
    if (fraction % 10 === 0) return at;
    buf[at++] = 0x30 + (fraction % 10);
    return at;
  }
}

/** Copies `bytes` to `at`: a short piece a byte at a time, which costs less than a call to `set`. */
function writeBytes(bytes: Uint8Array, buf: Buffer, at: number): number {
  const n = bytes.length;
  if (n > 16) buf.set(bytes, at);
  else for (let i = 0; i < n; i++) buf[at + i] = bytes[i]!;
  return at + n;
}

/** A short ASCII string, a character at a time (a call into the runtime costs more for a few bytes). */
function writeAscii(s: string, buf: Buffer, at: number): number {
  for (let i = 0; i < s.length; i++) buf[at++] = s.charCodeAt(i);
  return at;
}

/**
 * `String(n)` for a non-negative number or null: the digits of a whole number below 2^32 directly,
 * any other number, and null (`null`: unknown), through String.
 */
function writeNumber(n: number | null, buf: Buffer, at: number): number {
  // `null >>> 0` is 0, so null goes to String too.
  if ((n as number) >>> 0 !== n) return at + buf.write(String(n), at, 'latin1');
  if (n < 10) {
    buf[at] = 0x30 + n;
    return at + 1;
  }
  let end = at + 1;
  for (let rest = n; rest >= 10; rest = (rest / 10) >>> 0) end++;
  for (let i = end, rest = n; rest > 0; rest = (rest / 10) >>> 0) buf[--i] = 0x30 + (rest % 10);
  return end;
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

/**
 * The last `app` array stringified: `recordLineCapacity` and `encode` ask for the same one in turn,
 * and the UI's list (which keeps a row's entries as this JSON) right after them.
 */
let lastApp: AppEntry[] | null = null;
let lastAppJson = '';

export function appJson(app: AppEntry[]): string {
  if (app !== lastApp) {
    lastAppJson = JSON.stringify(app);
    lastApp = app;
  }
  return lastAppJson;
}

/** Below 2^42 ms (year 2109) doubles are finer than 0.5 µs, so each µs-precise value has its own double. */
const FAST_TIMESTAMP_LIMIT = 2 ** 42;


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
