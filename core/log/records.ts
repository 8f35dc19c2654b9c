import type { AppEntry } from '../app/app-entry.js';
import type {
  EndEvent, Extension, FrameEvent, HandshakeEvent, HeaderList, HttpRequestHead, HttpResponseHead, MessageEvent, Side, ViolationEvent, WsEvent,
} from '../websocket/events.js';

/**
 * The session log: one JSON record per line, in order of observation (format version 1).
 * `--save` files and `--json` stdout carry the same records. `ts` is Unix epoch ms (float, µs precision);
 * durations (`ms`, `durationMs`, `rtt`) are ms rounded to the µs.
 * Readers ignore record types and fields they don't know.
 *
 * Every record is made by one of the builders below: the decoder's events become records here, and
 * the proxy's own records (connect, http, tunnel, error, end) are built here too, so rounding and
 * field order are the same wherever a record comes from.
 */
export const SESSION_LOG_VERSION = 1;

/** The first line of a log: which wspeek wrote it, and how it was listening. */
export interface SessionRecord {
  type: 'session';
  version: number;
  tool: 'wspeek';
  ts: number;
  /** How wspeek listened; `har` and `pcap` for a session read from another tool's capture file; `replay` for `wspeek replay --save`. */
  mode: 'reverse' | 'forward' | 'demo' | 'har' | 'pcap' | 'replay';
  /** The address actually bound (port 0 resolved); for a capture file, null. */
  listen: string | null;
  /** The reverse target as given, or null in forward mode. */
  target: string | null;
  /** For a session read from a capture file (`har`, `pcap`), or replayed from one (`replay`): the file's name. */
  source?: string;
}

/** A TCP connection was accepted. */
export interface ConnectRecord {
  type: 'connect';
  conn: number;
  ts: number;
  /** The client's address, `host:port`. */
  client: string;
  /** Where its traffic goes, when known at accept time (reverse mode), else null: a tunnel's destination is in its `tunnel` record. */
  server: string | null;
  /** The connection itself was TLS: false for every connection the proxy accepts (a TLS tunnel says so in its `tunnel` record); true for a TLS connection read from a packet capture, or a `wss://` replay. */
  tls: boolean;
}

/** How a tunnel's bytes were carried: TLS intercepted with wspeek's CA, plain, passed through untouched, or refused. */
export type TunnelTls = 'intercepted' | 'none' | 'passthrough' | 'rejected';

/**
 * What a tunnel (a CONNECT, or later a SOCKS connection) became, on the same `conn`: written once
 * its first bytes are classified, and for TLS once the handshake with the client completed or failed;
 * an intercepted tunnel the client closes before sending any application data gets a second, `rejected`.
 */
export interface TunnelRecord {
  type: 'tunnel';
  conn: number;
  ts: number;
  /** How the client asked for the tunnel. */
  via: 'connect' | 'socks';
  /** The host and port the client asked for. */
  host: string;
  port: number;
  /**
   * `intercepted`: TLS terminated with a certificate from wspeek's CA; `none`: plain bytes (HTTP read directly); `passthrough`:
   * relayed untouched (TLS to a host `--pass` names, `sni` set when the ClientHello had one; or bytes that are neither TLS nor
   * HTTP, `sni` null); `rejected`: the client refused wspeek's certificate: the handshake failed, or the client closed
   * or reset the connection after it without sending any application data (then after an `intercepted` record).
   */
  tls: TunnelTls;
  /** The server name the client's ClientHello asked for (SNI), or null. */
  sni: string | null;
  /** The application protocol agreed by ALPN, or null. */
  alpn: string | null;
  /** The TLS version agreed with the client (`TLSv1.3`), or null. */
  version: string | null;
  /** Why the TLS handshake with the client failed (the alert or error), or null. */
  alert: string | null;
}

/** A plain HTTP exchange (or CONNECT) on a connection. */
export interface HttpRecord {
  type: 'http';
  conn: number;
  /** When the request arrived. */
  ts: number;
  method: string;
  url: string;
  /** Response status, or null when none came (upstream unreachable is 502, answered by wspeek). */
  status: number | null;
  /** Request → response complete. */
  ms: number;
  /** Why wspeek answered itself or gave up, when it did. */
  error?: string;
}

/** The opening handshake of a WebSocket connection, as both sides sent it. */
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

/** A complete message: the core's event (whose fields say what each means) with the connection id, its payload as text or base64. */
export interface MessageRecord
  extends Pick<MessageEvent, 'seq' | 'ts' | 'from' | 'kind' | 'length' | 'truncated' | 'close' | 'rtt'> {
  type: 'message';
  conn: number;
  /** Payload bytes on the wire, summed over the message's frames; null when unknown (a message read from HAR, which keeps no frames). */
  wireLength: number | null;
  /** How many frames carried the message; null when unknown (read from HAR). */
  frames: number | null;
  /** True when RSV1 marked the message as compressed (RFC 7692 §6); null when unknown (read from HAR). */
  compressed: boolean | null;
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
  /** Present (true) only when the message never finished. */
  incomplete?: true;
  /** The application messages this message carries, as the connection's protocol reads them (Socket.IO, GraphQL, MQTT…); absent when none does. */
  app?: AppEntry[];
}

/** The fields every message record has, in the order records and lines give them. */
export const MESSAGE_REQUIRED_FIELDS = ['type', 'conn', 'seq', 'ts', 'from', 'kind', 'length', 'wireLength', 'frames', 'compressed', 'truncated'] as const;
/** The fields a message record may have: at most one payload field (`text`, `base64`, `bytes`, or `close`), then the flags. */
export const MESSAGE_OPTIONAL_FIELDS = ['close', 'text', 'base64', 'bytes', 'incomplete', 'rtt', 'app'] as const;

/**
 * Compiles only while every key of MessageRecord is in one of the two lists above, required keys in
 * the first and optional ones in the second: a field added to the interface and not to the lists
 * (which a test walks through every module that reads or writes a record) is a type error here.
 */
export type MessageFieldListsMatch = AssertNever<
  | Exclude<keyof MessageRecord, (typeof MESSAGE_REQUIRED_FIELDS)[number] | (typeof MESSAGE_OPTIONAL_FIELDS)[number]>
  | Exclude<(typeof MESSAGE_REQUIRED_FIELDS)[number], RequiredKeys<MessageRecord>>
  | Exclude<(typeof MESSAGE_OPTIONAL_FIELDS)[number], Exclude<keyof MessageRecord, RequiredKeys<MessageRecord>>>
>;
type RequiredKeys<T> = { [K in keyof T]-?: undefined extends T[K] ? never : K }[keyof T];
type AssertNever<T extends never> = T;

/** A protocol violation on a connection: the core's event with the connection id. */
export type ViolationRecord = ViolationEvent & { conn: number };

/** What wspeek did to a message or a connection, on the user's, a script's or its own decision. */
export const ACTION_KINDS = ['held', 'forwarded', 'dropped', 'edited', 'injected', 'resent', 'reencode', 'closed', 'reset'] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

/**
 * Something wspeek did to the traffic, beside the records of what each peer sent (the acted-on
 * message keeps its own `message` and `frame` records, as received).
 */
export interface ActionRecord {
  type: 'action';
  conn: number;
  ts: number;
  /** The direction the message travels: an injected message toward the client is from the server, to the client. */
  from: Side;
  to: Side;
  action: ActionKind;
  /** Who decided: the user in the UI, a script's hook, or wspeek itself (held messages released at shutdown, a hook's timeout). */
  by: 'user' | 'script' | 'proxy';
  /** The acted-on message's `seq` (the original's, for `resent`; for `reencode`, the first message re-encoded); absent for `injected`, `closed`, `reset`. */
  seq?: number;
  /** `handshake` when the upgrade request was changed (with `headers`, as sent upstream). */
  target?: 'handshake';
  headers?: HeaderList;
  /** What wspeek sent, on `edited`, `injected` and `resent`: the text, or the bytes as base64. */
  text?: string;
  base64?: string;
  length?: number;
  /** The close frame wspeek sent, on `closed`. */
  code?: number;
  reason?: string;
  /** Why wspeek fell back (a hook that threw or timed out: `timeout`), when it did. */
  error?: string;
}

/** Where wspeek itself failed on a connection (the traffic goes on; what failed is what the record says). */
export type ErrorSource = 'decoder' | 'capture' | 'tls';

/** wspeek could not do its own work on a connection: decoding stopped (forwarding never does). */
export interface ErrorRecord {
  type: 'error';
  conn: number;
  ts: number;
  /**
   * Which part of wspeek failed: `decoder` (decoding of the connection stopped; its bytes are still
   * forwarded); reading a capture file: `capture` (segments the capture lacks, a connection joined
   * mid-stream), `tls` (TLS that could not be decrypted: no key for it).
   */
  where: ErrorSource;
  /** What happened, for a person. */
  detail: string;
}

/** The connection is over: the core's event with the connection id. */
export type EndRecord = EndEvent & { conn: number };

export type LogRecord =
  | SessionRecord | ConnectRecord | TunnelRecord | HttpRecord | HandshakeRecord | FrameRecord | MessageRecord | ViolationRecord
  | ErrorRecord | ActionRecord | EndRecord;

/** Every record type, for readers. */
export const RECORD_TYPES: ReadonlySet<LogRecord['type']> = new Set<LogRecord['type']>([
  'session', 'connect', 'tunnel', 'http', 'handshake', 'frame', 'message', 'violation', 'error', 'action', 'end',
]);

/** Records that belong to one connection. */
export type ConnectionRecord = Exclude<LogRecord, SessionRecord>;

export function sessionRecord(ts: number, mode: SessionRecord['mode'], listen: string | null, target: string | null, source?: string): SessionRecord {
  const r: SessionRecord = { type: 'session', version: SESSION_LOG_VERSION, tool: 'wspeek', ts, mode, listen, target };
  if (source !== undefined) r.source = source;
  return r;
}

/** A connection accepted (or, read from a packet capture, seen); `tls` when its client spoke TLS from the first byte. */
export function connectRecord(conn: number, ts: number, client: string, server: string | null, tls = false): ConnectRecord {
  return { type: 'connect', conn, ts, client, server, tls };
}

export function tunnelRecord(conn: number, ts: number, t: Omit<TunnelRecord, 'type' | 'conn' | 'ts'>): TunnelRecord {
  return {
    type: 'tunnel', conn, ts, via: t.via, host: t.host, port: t.port, tls: t.tls, sni: t.sni, alpn: t.alpn, version: t.version, alert: t.alert,
  };
}

/** An HTTP exchange that began at `ts` and ended (or was given up) at `endTs`. */
export function httpRecord(conn: number, ts: number, endTs: number, method: string, url: string, status: number | null, error?: string): HttpRecord {
  const r: HttpRecord = { type: 'http', conn, ts, method, url, status, ms: round3(endTs - ts) };
  if (error !== undefined) r.error = error;
  return r;
}

/** An action on connection `conn`; `fields` in any order, written in the documented one. */
export function actionRecord(conn: number, ts: number, fields: Omit<ActionRecord, 'type' | 'conn' | 'ts'>): ActionRecord {
  const r: ActionRecord = { type: 'action', conn, ts, from: fields.from, to: fields.to, action: fields.action, by: fields.by };
  if (fields.seq !== undefined) r.seq = fields.seq;
  if (fields.target !== undefined) r.target = fields.target;
  if (fields.headers !== undefined) r.headers = fields.headers;
  if (fields.text !== undefined) r.text = fields.text;
  if (fields.base64 !== undefined) r.base64 = fields.base64;
  if (fields.length !== undefined) r.length = fields.length;
  if (fields.code !== undefined) r.code = fields.code;
  if (fields.reason !== undefined) r.reason = fields.reason;
  if (fields.error !== undefined) r.error = fields.error;
  return r;
}

export function errorRecord(conn: number, ts: number, where: ErrorSource, detail: string): ErrorRecord {
  return { type: 'error', conn, ts, where, detail };
}

/** The record of a decoder event on connection `conn`, whose WebSocket URL is `url`. */
export function eventRecord(conn: number, e: WsEvent, url: string): ConnectionRecord {
  switch (e.type) {
    case 'handshake': return handshakeRecord(conn, e, url);
    case 'frame': return frameRecord(conn, e);
    case 'message': return messageRecord(conn, e);
    case 'violation': return violationRecord(conn, e);
    case 'end': return endRecord(conn, e);
  }
}

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

/**
 * What `messageRecord` is built from: the core's message event, or a message read from a file that
 * keeps no frames (HAR), whose wire length, frame count and compression are null.
 */
export type MessageFacts = Omit<MessageEvent, 'wireLength' | 'frames' | 'compressed'> & Pick<MessageRecord, 'wireLength' | 'frames' | 'compressed'>;

export function messageRecord(conn: number, e: MessageFacts): MessageRecord {
  const r: MessageRecord = {
    type: 'message', conn, seq: e.seq, ts: e.ts, from: e.from, kind: e.kind, length: e.length, wireLength: e.wireLength,
    frames: e.frames, compressed: e.compressed, truncated: e.truncated,
  };
  if (e.close) r.close = e.close;
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

/**
 * The end of a connection that carried no decoded WebSocket (plain HTTP, a refused client, a
 * tunnel, or one whose decoding stopped): no close frames, no frames counted.
 */
export function undecodedEndRecord(
  conn: number, ts: number, startTs: number, by: EndEvent['by'], bytes: EndEvent['bytes'], reason: string | null,
): EndRecord {
  return endRecord(conn, { type: 'end', ts, by, code: null, clean: false, bytes, frames: { client: 0, server: 0 }, durationMs: ts - startTs, reason });
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

/** Milliseconds with µs precision: enough for timings, and short lines (every duration in a record is rounded so). */
export function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
