import type {
  EndEvent, Extension, FrameEvent, HandshakeEvent, HttpRequestHead, HttpResponseHead, MessageEvent, MessageKind, Side, ViolationEvent,
} from './events.js';

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

export function messageRecord(conn: number, e: MessageEvent): MessageRecord {
  const r: MessageRecord = {
    type: 'message', conn, ts: e.ts, from: e.from, kind: e.kind, length: e.length, wireLength: e.wireLength,
    frames: e.frames, compressed: e.compressed, truncated: e.truncated,
  };
  if (e.kind === 'close') r.close = e.close!;
  else if (e.text !== null) r.text = e.text;
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

/** The payload bytes a message record kept (text or base64), for hex views and filters. */
export function recordPayload(r: MessageRecord): Buffer {
  if (r.text !== undefined) return Buffer.from(r.text, 'utf8');
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
  return { kind: 'record', record: value as LogRecord };
}

/** Milliseconds with µs precision: enough for timings, and short lines. */
function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
