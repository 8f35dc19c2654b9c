import {
  MESSAGE_KINDS,
  type EndEvent, type Extension, type FrameEvent, type HandshakeEvent, type HttpRequestHead, type HttpResponseHead, type MessageEvent,
  type MessageKind, type Side, type ViolationEvent,
} from '../websocket/events.js';

/**
 * The session log: one JSON record per line, in order of observation (format version 1).
 * `--save` files and `--json` stdout carry the same records. `ts` is Unix epoch ms (float, µs precision).
 * Readers ignore record types and fields they don't know.
 */
export const SESSION_LOG_VERSION = 1;

export interface SessionRecord {
  type: 'session';
  version: number;
  tool: 'wspeek';
  ts: number;
  mode: 'reverse' | 'forward' | 'demo';
  /** The address actually bound (port 0 resolved). */
  listen: string;
  target: string | null;
}

/** A TCP connection was accepted. */
export interface ConnectRecord {
  type: 'connect';
  conn: number;
  ts: number;
  /** The client's address, `host:port`. */
  client: string;
  /** Where its traffic goes, when known at accept time (reverse mode), else null. */
  server: string | null;
  /** The client spoke TLS to wspeek. */
  tls: boolean;
}

/** A plain HTTP exchange (or CONNECT) on a connection. */
export interface HttpRecord {
  type: 'http';
  conn: number;
  ts: number;
  method: string;
  url: string;
  /** Response status, or null when none came (upstream unreachable is 502, answered by wspeek). */
  status: number | null;
  ms: number;
  /** Why wspeek answered itself or gave up, when it did. */
  error?: string;
}

export interface HandshakeRecord {
  type: 'handshake';
  conn: number;
  ts: number;
  /** The WebSocket URL as the upstream sees it, e.g. `ws://127.0.0.1:3000/chat`. */
  url: string;
  request: HttpRequestHead;
  response: HttpResponseHead;
  ms: number;
  accept: 'valid' | 'invalid' | 'missing';
  protocol: string | null;
  extensions: Extension[];
  /** False when the server refused the upgrade (any status but 101): no frames follow. */
  upgraded: boolean;
}

/** A frame's header: the core's event without the header size, with the connection id. */
export type FrameRecord = Omit<FrameEvent, 'headerLength'> & { conn: number };

export interface MessageRecord {
  type: 'message';
  conn: number;
  ts: number;
  from: Side;
  kind: MessageKind;
  length: number;
  wireLength: number;
  frames: number;
  compressed: boolean;
  /** Text messages whose (kept) bytes are valid UTF-8. */
  text?: string;
  /** Binary, ping, pong, and text that is not valid UTF-8. */
  base64?: string;
  /**
   * In memory only, never read from a file: instead of `base64`, a live message's kept payload
   * when it is larger than BYTES_OVER, as the bytes themselves. Encoders write it out as `base64`;
   * `recordPayload` reads either. A 1 MiB message then costs no 1.4 MB string on its way to the log.
   */
  bytes?: Buffer;
  truncated: boolean;
  /** Present (true) only when the message never finished. */
  incomplete?: true;
  close?: { code: number | null; reason: string };
  /** On a pong answering an earlier ping: ms between them. */
  rtt?: number;
}

/** A protocol violation on a connection: the core's event with the connection id. */
export type ViolationRecord = ViolationEvent & { conn: number };

/** The connection is over: the core's event with the connection id. */
export type EndRecord = EndEvent & { conn: number };

export type LogRecord =
  | SessionRecord | ConnectRecord | HttpRecord | HandshakeRecord | FrameRecord | MessageRecord | ViolationRecord | EndRecord;

/** Records that belong to one connection. */
export type ConnectionRecord = Exclude<LogRecord, SessionRecord>;

export function handshakeRecord(conn: number, e: HandshakeEvent, url: string): HandshakeRecord {
  return {
    type: 'handshake', conn, ts: e.ts, url, request: e.request, response: e.response, ms: round3(e.ms),
    accept: e.accept, protocol: e.protocol, extensions: e.extensions, upgraded: e.upgraded,
  };
}

export function frameRecord(conn: number, e: FrameEvent): FrameRecord {
  return { type: 'frame', conn, ts: e.ts, from: e.from, fin: e.fin, rsv: e.rsv, opcode: e.opcode, masked: e.masked, mask: e.mask, length: e.length };
}

/**
 * Payloads past this size stay bytes in live records (`bytes`). Smaller ones become base64 at
 * once: a small Buffer may be a slice of a shared 8 KiB pool, which a kept record would pin.
 */
export const BYTES_OVER = 64 * 1024;

export function messageRecord(conn: number, e: MessageEvent): MessageRecord {
  const r: MessageRecord = {
    type: 'message', conn, ts: e.ts, from: e.from, kind: e.kind, length: e.length, wireLength: e.wireLength,
    frames: e.frames, compressed: e.compressed, truncated: e.truncated,
  };
  if (e.kind === 'close') r.close = e.close!;
  else if (e.text !== null) r.text = e.text;
  else if (e.payload.length > BYTES_OVER) r.bytes = e.payload;
  else r.base64 = e.payload.toString('base64');
  if (e.incomplete) r.incomplete = true;
  if (e.rtt !== undefined) r.rtt = round3(e.rtt);
  return r;
}

export function violationRecord(conn: number, e: ViolationEvent): ViolationRecord {
  return { type: 'violation', conn, ts: e.ts, from: e.from, rule: e.rule, rfc: e.rfc, detail: e.detail };
}

export function endRecord(conn: number, e: EndEvent): EndRecord {
  return {
    type: 'end', conn, ts: e.ts, by: e.by, code: e.code, clean: e.clean, bytes: e.bytes, frames: e.frames,
    durationMs: round3(e.durationMs), reason: e.reason,
  };
}


/** The first `n` payload bytes a message record kept, decoding no more base64 than that needs. */
export function recordPayloadPrefix(r: MessageRecord, n: number): Buffer {
  if (r.base64 !== undefined) return Buffer.from(r.base64.slice(0, Math.ceil(n / 3) * 4), 'base64').subarray(0, n);
  return recordPayload(r).subarray(0, n);
}

/** The payload bytes a message record kept (text or base64), for hex views and filters. */
export function recordPayload(r: MessageRecord): Buffer {
  if (r.text !== undefined) return Buffer.from(r.text, 'utf8');
  if (r.bytes !== undefined) return r.bytes;
  if (r.base64 !== undefined) return Buffer.from(r.base64, 'base64');
  if (r.close && r.close.code !== null) {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(r.close.code);
    return Buffer.concat([b, Buffer.from(r.close.reason, 'utf8')]);
  }
  return Buffer.alloc(0);
}

const KNOWN_TYPES = new Set(['session', 'connect', 'http', 'handshake', 'frame', 'message', 'violation', 'end']);

export type ParsedLine =
  | { kind: 'record'; record: LogRecord }
  /** A record type or shape this version does not know: skipped, as the format asks. */
  | { kind: 'unknown' }
  | { kind: 'blank' }
  | { kind: 'invalid'; error: string };

/** Parses one line of a session log. */
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
  if (typeof type !== 'string' || !KNOWN_TYPES.has(type)) return { kind: 'unknown' };
  if (type !== 'session' && typeof (value as { conn?: unknown }).conn !== 'number') return { kind: 'invalid', error: `${type} record without a conn number` };
  if (typeof (value as { ts?: unknown }).ts !== 'number') return { kind: 'invalid', error: `${type} record without a ts number` };
  // `bytes` is an in-memory field: whatever a file calls by that name is not a record's payload.
  if (type === 'message') delete (value as { bytes?: unknown }).bytes;
  const problem = type === 'frame' ? frameProblem(value as FrameRecord) : type === 'message' ? messageProblem(value as MessageRecord) : null;
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
  if (![m.length, m.wireLength, m.frames, m.conn].every(isCount)) return 'length, wireLength, frames and conn must be numbers';
  if (typeof m.compressed !== 'boolean' || typeof m.truncated !== 'boolean') return 'compressed and truncated must be booleans';
  if (m.text !== undefined && typeof m.text !== 'string') return 'text must be a string';
  if (m.base64 !== undefined && (typeof m.base64 !== 'string' || !BASE64.test(m.base64))) return 'base64 must be base64';
  if (m.close !== undefined && (typeof m.close !== 'object' || m.close === null || (m.close.code !== null && !isCount(m.close.code)) || typeof m.close.reason !== 'string')) return 'close must be {code, reason}';
  if (m.incomplete !== undefined && m.incomplete !== true) return 'incomplete must be true when present';
  if (m.rtt !== undefined && !isCount(m.rtt)) return 'rtt must be a number';
  return null;
}

/** Milliseconds with µs precision: enough for timings, and short lines. */
function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
