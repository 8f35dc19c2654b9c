import { KIND_OPCODES, MESSAGE_KINDS, type HeaderList, type HttpRequestHead, type HttpResponseHead, type MessageKind, type Side } from '../websocket/events.js';
import { analyzeHandshake } from '../websocket/handshake.js';
import { decodeUtf8 } from '../websocket/utf8.js';
import {
  connectRecord, endRecord, errorRecord, handshakeRecord, httpRecord, messageRecord, round3, sessionRecord, type LogRecord,
} from '../log/records.js';
import { isObject } from '../app/json-message.js';

/** A HAR message `time` above this is epoch milliseconds, not seconds (10^11 s is the year 5138). */
const MS_ABOVE = 1e11;

/** The records a HAR document holds, and what in it could not be read (one line each, for the user). */
export interface HarImport {
  records: LogRecord[];
  problems: string[];
}

/** A HAR that can't be read at all: not a HAR document. */
export interface NotHar {
  notHar: string;
}

/** A HAR item's opcode as a message kind. */
const OPCODE_KINDS = new Map<number, MessageKind>(MESSAGE_KINDS.map((kind) => [KIND_OPCODES[kind], kind]));

/**
 * Reads a parsed HAR document (HAR 1.2, http://www.softwareishard.com/blog/har-12-spec/) as a
 * session: a `session` record (`mode: "har"`, `source`), then per entry with `_webSocketMessages`
 * (Chrome DevTools, mitmproxy's savehar, HTTP Toolkit, wspeek) a connection: `connect`,
 * `handshake`, a `message` per item (`send` is the client's), an `error` per Chrome `error` item,
 * and `end` (from HTTP Toolkit's `_webSocketClose` when there is one); every other entry is an
 * `http` record. Records of different connections interleave by time, as a live log's do.
 * Items missing a field are left out and counted in `problems`.
 */
export function importHar(doc: unknown, source: string): HarImport | NotHar {
  const log = isObject(doc) ? doc['log'] : undefined;
  if (!isObject(log) || !Array.isArray(log['entries'])) return { notHar: 'it has no log.entries (a HAR file has)' };
  const problems: string[] = [];
  const perEntry: LogRecord[][] = [];
  log['entries'].forEach((entry: unknown, i) => {
    const n = i + 1;
    const read = readEntry(entry, n, problems);
    if (typeof read === 'string') problems.push(`entry ${n}: skipped: ${read}`);
    else perEntry.push(read);
  });
  const records = interleave(perEntry);
  const first = records.length > 0 ? records[0]!.ts : 0;
  return { records: [sessionRecord(first, 'har', null, null, source), ...records], problems };
}

/** One entry's records, or why it can't be read. */
function readEntry(entry: unknown, conn: number, problems: string[]): LogRecord[] | string {
  if (!isObject(entry)) return 'not an object';
  const started = typeof entry['startedDateTime'] === 'string' ? Date.parse(entry['startedDateTime']) : NaN;
  if (!Number.isFinite(started)) return 'startedDateTime is not an ISO 8601 date';
  const request = entry['request'];
  const response = entry['response'];
  if (!isObject(request) || typeof request['url'] !== 'string' || typeof request['method'] !== 'string') return 'request has no method and url';
  const status = isObject(response) && typeof response['status'] === 'number' ? response['status'] : 0;
  const time = typeof entry['time'] === 'number' && entry['time'] >= 0 ? entry['time'] : null;
  const items = entry['_webSocketMessages'];
  if (!Array.isArray(items)) {
    return [httpRecord(conn, started, started + (time ?? 0), request['method'], request['url'], status === 0 ? null : status)];
  }

  const url = webSocketUrl(request['url']);
  const requestHead: HttpRequestHead = {
    method: request['method'], target: targetOf(request['url']), version: stringOr(request['httpVersion'], 'HTTP/1.1'), headers: headerList(request['headers']),
  };
  const responseHead: HttpResponseHead = {
    version: stringOr(isObject(response) ? response['httpVersion'] : undefined, 'HTTP/1.1'), status,
    reason: stringOr(isObject(response) ? response['statusText'] : undefined, ''), headers: headerList(isObject(response) ? response['headers'] : undefined),
  };
  const waitMs = handshakeMs(entry['timings']);
  const analysis = analyzeHandshake(requestHead, responseHead);
  const records: LogRecord[] = [
    connectRecord(conn, started, '?', serverOf(entry, url)),
    handshakeRecord(conn, {
      type: 'handshake', ts: started + waitMs, requestTs: started, ms: waitMs, request: requestHead, response: responseHead, upgraded: status === 101,
      accept: analysis.accept, protocol: analysis.protocol, extensions: analysis.extensions,
    }, url),
  ];

  let seq = 0;
  let missing = 0;
  let unknownOpcodes = 0;
  let lastTs = started + waitMs;
  const closes: Array<{ from: Side; code: number | null }> = [];
  const payloadBytes = { client: 0, server: 0 };
  for (const item of items) {
    const m = readItem(item);
    if (m === 'missing') {
      missing++;
      continue;
    }
    lastTs = Math.max(lastTs, m.ts);
    if (m.type === 'error') {
      records.push(errorRecord(conn, m.ts, 'capture', m.data));
      continue;
    }
    const kind = OPCODE_KINDS.get(m.opcode);
    if (kind === undefined) {
      unknownOpcodes++;
      continue;
    }
    const from: Side = m.type === 'send' ? 'client' : 'server';
    const payload = m.opcode === 1 ? m.textBytes : Buffer.from(m.data, 'base64');
    const close = kind === 'close' ? closeOf(payload) : undefined;
    if (close) closes.push({ from, code: close.code });
    payloadBytes[from] += payload.length;
    records.push(messageRecord(conn, {
      type: 'message', seq: ++seq, ts: m.ts, startTs: m.ts, from, kind, length: m.length ?? payload.length,
      // HAR keeps each message whole: its frames, their payload size on the wire and their RSV1 are not in the file.
      wireLength: null, frames: null, compressed: null, payload, truncated: m.length !== null && m.length > payload.length, incomplete: false,
      text: kind === 'text' ? decodeUtf8(payload) : null, ...(close ? { close } : {}),
    }));
  }
  if (missing > 0) problems.push(`entry ${conn} (${url}): ${missing} of ${items.length} WebSocket messages lack type, time, opcode or data; the others are shown`);
  if (unknownOpcodes > 0) problems.push(`entry ${conn} (${url}): ${unknownOpcodes} WebSocket messages have an opcode that is not 1, 2, 8, 9 or 10; the others are shown`);

  const closeInfo = entry['_webSocketClose'];
  const aborted = closeInfo === 'aborted';
  const endTs = Math.max(lastTs, time !== null ? started + time : lastTs);
  const firstClose = closes[0];
  const fileCode = isObject(closeInfo) && typeof closeInfo['code'] === 'number' ? closeInfo['code'] : null;
  records.push(endRecord(conn, {
    type: 'end', ts: endTs, by: firstClose?.from ?? 'proxy', code: firstClose?.code ?? fileCode,
    clean: !aborted && closes.some((c) => c.from === 'client') && closes.some((c) => c.from === 'server'),
    bytes: payloadBytes, frames: { client: 0, server: 0 }, durationMs: endTs - started,
    reason: aborted ? 'aborted (the HAR file\'s _webSocketClose)' : firstClose || fileCode !== null ? null : 'the HAR file records no close frame',
  }));
  return records;
}

type Item =
  | { type: 'send' | 'receive'; ts: number; opcode: number; data: string; textBytes: Buffer; length: number | null }
  | { type: 'error'; ts: number; opcode: number; data: string };

/** One `_webSocketMessages` item, or `missing` when a field it needs is absent or of the wrong type. */
function readItem(item: unknown): Item | 'missing' {
  if (!isObject(item)) return 'missing';
  const { type, time, opcode, data } = item;
  if ((type !== 'send' && type !== 'receive' && type !== 'error') || typeof time !== 'number' || !Number.isFinite(time)) return 'missing';
  if (typeof opcode !== 'number' || typeof data !== 'string') return 'missing';
  const ts = round3(time > MS_ABOVE ? time : time * 1000);
  if (type === 'error') return { type, ts, opcode, data };
  // wspeek's own fields: a text message's exact bytes when they are not UTF-8, a payload's whole length when cut short.
  const textBytes = typeof item['_base64'] === 'string' ? Buffer.from(item['_base64'], 'base64') : Buffer.from(data, 'utf8');
  const length = item['_truncated'] === true && typeof item['_length'] === 'number' ? item['_length'] : null;
  return { type, ts, opcode, data, textBytes, length };
}

/** A close payload's status code and reason (RFC 6455 §5.5.1). */
function closeOf(payload: Buffer): { code: number | null; reason: string } {
  if (payload.length < 2) return { code: null, reason: '' };
  return { code: payload.readUInt16BE(0), reason: payload.subarray(2).toString('utf8') };
}

/**
 * The handshake's duration: HAR's timings before the response (blocked, dns, connect, send,
 * wait; −1 is "does not apply", and ssl is inside connect, HAR 1.2 §timings).
 */
function handshakeMs(timings: unknown): number {
  if (!isObject(timings)) return 0;
  let ms = 0;
  for (const k of ['blocked', 'dns', 'connect', 'send', 'wait']) {
    const v = timings[k];
    if (typeof v === 'number' && v > 0) ms += v;
  }
  return round3(ms);
}

/** The WebSocket URL of an upgrade request: mitmproxy writes its http(s):// URL, Chrome ws(s)://. */
function webSocketUrl(url: string): string {
  return url.replace(/^http(s?):\/\//i, (_m, s: string) => `ws${s}://`);
}

/** The request target as sent: the URL's path and query. */
function targetOf(url: string): string {
  if (!URL.canParse(url)) return url;
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
}

/** The server's address: the entry's `serverIPAddress` (Chrome, mitmproxy) with the URL's port, else the URL's host and port. */
function serverOf(entry: Record<string, unknown>, url: string): string | null {
  if (!URL.canParse(url)) return null;
  const u = new URL(url);
  const port = u.port || (u.protocol === 'wss:' ? '443' : '80');
  const ip = entry['serverIPAddress'];
  if (typeof ip === 'string' && ip !== '') return `${ip.includes(':') && !ip.startsWith('[') ? `[${ip}]` : ip}:${port}`;
  return `${u.hostname}:${port}`;
}

function headerList(headers: unknown): HeaderList {
  if (!Array.isArray(headers)) return [];
  const list: HeaderList = [];
  for (const h of headers) if (isObject(h) && typeof h['name'] === 'string' && typeof h['value'] === 'string') list.push([h['name'], h['value']]);
  return list;
}

/**
 * The entries' records in one timeline: ordered by time, each connection's own records staying in
 * their order (a record never sorts before the one it follows in its entry).
 */
function interleave(perEntry: LogRecord[][]): LogRecord[] {
  const keyed: Array<{ key: number; at: number; record: LogRecord }> = [];
  for (const records of perEntry) {
    let key = -Infinity;
    for (const record of records) {
      key = Math.max(key, record.ts);
      keyed.push({ key, at: keyed.length, record });
    }
  }
  keyed.sort((a, b) => a.key - b.key || a.at - b.at);
  return keyed.map((k) => k.record);
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' && value !== '' ? value : fallback;
}
