import { KIND_OPCODES, type HeaderList } from '../websocket/events.js';
import { recordPayload, round3, type EndRecord, type HandshakeRecord, type HttpRecord, type LogRecord, type MessageRecord } from '../log/records.js';

/**
 * HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/) with the WebSocket extensions the
 * tools that exchange WebSocket traffic share: Chrome DevTools' `_resourceType: "websocket"` and
 * `_webSocketMessages` (written by its HAR writer, front_end/models/har/Log.ts, and read back by
 * its importer), and HTTP Toolkit's `_webSocketClose`.
 */
export interface HarDocument {
  log: {
    version: '1.2';
    creator: { name: string; version: string };
    pages: [];
    entries: HarEntry[];
  };
}

export interface HarHeader {
  name: string;
  value: string;
}

export interface HarEntry {
  startedDateTime: string;
  /** Whole duration in ms: for a WebSocket, from its upgrade request to its end. */
  time: number;
  request: {
    method: string;
    url: string;
    httpVersion: string;
    cookies: [];
    headers: HarHeader[];
    queryString: HarHeader[];
    headersSize: -1;
    bodySize: number;
  };
  response: {
    status: number;
    statusText: string;
    httpVersion: string;
    cookies: [];
    headers: HarHeader[];
    content: { size: number; mimeType: string };
    redirectURL: string;
    headersSize: -1;
    bodySize: number;
  };
  cache: Record<string, never>;
  timings: { blocked: -1; dns: -1; connect: -1; ssl: -1; send: number; wait: number; receive: number };
  _resourceType?: 'websocket';
  _webSocketMessages?: HarWebSocketMessage[];
  /** HTTP Toolkit's: the first close frame (no `code` when its payload was empty), or `aborted` when the connection ended without one. */
  _webSocketClose?: { code?: number; reason: string; timestamp: number } | 'aborted';
}

/**
 * One message in Chrome's shape: `send` is client → server; `time` in epoch seconds (a float);
 * `data` is the text for opcode 1 and base64 for every other opcode. Chrome's own `error` items
 * carry opcode −1 and the error's text. The `_` fields are wspeek's, for what Chrome's shape
 * can't say: the exact bytes of a text message that is not UTF-8, and a payload cut short.
 */
export interface HarWebSocketMessage {
  type: 'send' | 'receive' | 'error';
  time: number;
  opcode: number;
  data: string;
  _base64?: string;
  _truncated?: true;
  _length?: number;
}

/** What the export keeps of one WebSocket connection until the document is made. */
interface Connection {
  handshake: HandshakeRecord;
  messages: HarWebSocketMessage[];
  close: { code: number | null; reason: string; ts: number } | null;
  end: EndRecord | null;
  /** The latest record's time, for the duration of a connection that has not ended. */
  lastTs: number;
}

/**
 * Turns records into one HAR document: an entry per WebSocket handshake (request, response,
 * every message of either side, pings, pongs and closes included) and per plain HTTP exchange,
 * in the order they began. Fed records as they come (`add`), it keeps only what the document
 * needs; `document` may be asked for at any time.
 */
export class HarExport {
  /** Entries in order: a WebSocket connection, or a finished HTTP exchange. */
  private readonly items: Array<Connection | HttpRecord> = [];
  private readonly connections = new Map<number, Connection>();

  constructor(private readonly creator: { name: string; version: string }) {}

  add(r: LogRecord): void {
    if (r.type === 'http') {
      this.items.push(r);
      return;
    }
    if (r.type === 'handshake') {
      const c: Connection = { handshake: r, messages: [], close: null, end: null, lastTs: r.ts };
      this.connections.set(r.conn, c);
      this.items.push(c);
      return;
    }
    if (r.type === 'session') return;
    const c = this.connections.get(r.conn);
    if (!c) return;
    c.lastTs = Math.max(c.lastTs, r.ts);
    if (r.type === 'message') {
      c.messages.push(harMessage(r));
      if (r.kind === 'close' && c.close === null) c.close = { code: r.close?.code ?? null, reason: r.close?.reason ?? '', ts: r.ts };
    } else if (r.type === 'error') {
      c.messages.push({ type: 'error', time: seconds(r.ts), opcode: -1, data: r.detail });
    } else if (r.type === 'end') {
      c.end = r;
    }
  }

  /** The HAR document of everything added so far. */
  document(): HarDocument {
    return {
      log: {
        version: '1.2',
        creator: { name: this.creator.name, version: this.creator.version },
        pages: [],
        entries: this.items.map((item) => ('type' in item ? httpEntry(item) : webSocketEntry(item))),
      },
    };
  }
}

/** A message record in Chrome's shape. */
export function harMessage(r: MessageRecord): HarWebSocketMessage {
  const m: HarWebSocketMessage = { type: r.from === 'client' ? 'send' : 'receive', time: seconds(r.ts), opcode: KIND_OPCODES[r.kind], data: '' };
  if (r.kind === 'text' && r.text !== undefined) {
    m.data = r.text;
  } else if (r.kind === 'text') {
    // Not UTF-8: readable with replacement characters, and the exact bytes beside.
    const bytes = recordPayload(r);
    m.data = bytes.toString('utf8');
    m._base64 = bytes.toString('base64');
  } else {
    m.data = recordPayload(r).toString('base64');
  }
  if (r.truncated) {
    m._truncated = true;
    m._length = r.length;
  }
  return m;
}

function webSocketEntry(c: Connection): HarEntry {
  const h = c.handshake;
  const startTs = h.ts - h.ms;
  const endTs = c.end?.ts ?? c.lastTs;
  const entry: HarEntry = {
    startedDateTime: isoTime(startTs),
    time: round3(endTs - startTs),
    request: {
      method: h.request.method, url: h.url, httpVersion: h.request.version, cookies: [], headers: harHeaders(h.request.headers),
      queryString: queryOf(h.url), headersSize: -1, bodySize: 0,
    },
    response: {
      status: h.response.status, statusText: h.response.reason, httpVersion: h.response.version, cookies: [], headers: harHeaders(h.response.headers),
      content: { size: 0, mimeType: 'x-unknown' }, redirectURL: '', headersSize: -1, bodySize: 0,
    },
    cache: {},
    timings: { blocked: -1, dns: -1, connect: -1, ssl: -1, send: 0, wait: round3(h.ms), receive: 0 },
    _resourceType: 'websocket',
    _webSocketMessages: c.messages,
  };
  if (c.close) {
    const { code, reason, ts } = c.close;
    entry._webSocketClose = code === null ? { reason, timestamp: seconds(ts) } : { code, reason, timestamp: seconds(ts) };
  }
  else if (c.end) entry._webSocketClose = 'aborted';
  return entry;
}

/** A plain HTTP exchange: the log keeps its method, URL, status and time, not its headers or bodies. */
function httpEntry(r: HttpRecord): HarEntry {
  return {
    startedDateTime: isoTime(r.ts),
    time: r.ms,
    request: { method: r.method, url: r.url, httpVersion: '', cookies: [], headers: [], queryString: queryOf(r.url), headersSize: -1, bodySize: -1 },
    response: {
      status: r.status ?? 0, statusText: '', httpVersion: '', cookies: [], headers: [], content: { size: -1, mimeType: 'x-unknown' },
      redirectURL: '', headersSize: -1, bodySize: -1,
    },
    cache: {},
    timings: { blocked: -1, dns: -1, connect: -1, ssl: -1, send: 0, wait: r.ms, receive: 0 },
  };
}

function harHeaders(headers: HeaderList): HarHeader[] {
  return headers.map(([name, value]) => ({ name, value }));
}

/** HAR's `queryString`: the URL's parameters, decoded; none for a URL that does not parse (a bare path). */
function queryOf(url: string): HarHeader[] {
  if (!URL.canParse(url)) return [];
  return [...new URL(url).searchParams].map(([name, value]) => ({ name, value }));
}

/** Epoch ms (µs precision) as HAR's float epoch seconds. */
function seconds(ms: number): number {
  return ms / 1000;
}

function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
