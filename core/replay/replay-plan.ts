import { recordPayload, type HandshakeRecord, type LogRecord, type MessageRecord } from '../log/records.js';
import type { Extension, HeaderList } from '../websocket/events.js';
import { parseExtensionHeader } from '../websocket/extension-header.js';
import { headerValues } from '../websocket/http-head.js';

/** One message the replay sends, as the client sent it in the recording. */
export interface ReplayStep {
  /** The recorded message's `seq`. */
  seq: number;
  kind: 'text' | 'binary' | 'ping' | 'close';
  /** Milliseconds after the recorded handshake completed. */
  at: number;
  /** Server data messages (text, binary) recorded before it: with `--speed max` it waits for as many. */
  serverBefore: number;
  /** The payload as recorded (for a close, its reason's bytes). */
  payload: Buffer;
  /** For a close: the code sent, or null for a close without one. */
  code: number | null;
}

/** What replaying one recorded connection needs: the handshake to send again and the client's messages. */
export interface ReplayPlan {
  conn: number;
  /** The recorded WebSocket URL. */
  url: string;
  /**
   * The recorded request's headers to send again: all but those a new handshake makes anew
   * (Host, Connection, Upgrade, Sec-WebSocket-Key, -Version, -Extensions, -Protocol, -Accept) and
   * those of a message body (Content-Length, Transfer-Encoding).
   */
  headers: HeaderList;
  /** The subprotocols the recorded request offered, in order. */
  protocols: string[];
  /** The recorded offer of permessage-deflate (its first), or null when none was offered. */
  deflate: Extension | null;
  /** Offered extensions other than permessage-deflate: not offered again. */
  droppedExtensions: string[];
  steps: ReplayStep[];
  /** The server's recorded messages, in order. */
  serverMessages: MessageRecord[];
}

export type PlanResult = { ok: true; plan: ReplayPlan } | { ok: false; error: string };

/** Headers a new opening handshake makes anew (RFC 6455 §4.1), or that belong to a body. */
const MADE_ANEW = new Set([
  'host', 'connection', 'upgrade', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions',
  'sec-websocket-protocol', 'sec-websocket-accept', 'content-length', 'transfer-encoding',
]);

/**
 * The connections of a recording that can be replayed: those whose handshake upgraded to
 * WebSocket, by `conn`, in the order their handshakes were recorded.
 */
export function replayableConnections(records: readonly LogRecord[]): number[] {
  const conns: number[] = [];
  for (const r of records) if (r.type === 'handshake' && r.upgraded && !conns.includes(r.conn)) conns.push(r.conn);
  return conns;
}

/**
 * Plans the replay of connection `conn` from a recording's records (any order of connections,
 * each connection's in order). Fails, saying why, when the connection has no upgraded handshake,
 * or a client message was not recorded whole (cut by `--max-payload`, or never finished) or is a
 * ping too long for a control frame (a violation the recording kept): its bytes can't be sent again
 * as they were.
 */
export function planReplay(records: readonly LogRecord[], conn: number): PlanResult {
  let handshake: HandshakeRecord | null = null;
  const client: MessageRecord[] = [];
  const server: MessageRecord[] = [];
  for (const r of records) {
    if (r.type === 'session' || r.conn !== conn) continue;
    if (r.type === 'handshake') handshake ??= r;
    else if (r.type === 'message') (r.from === 'client' ? client : server).push(r);
  }
  if (!handshake) return { ok: false, error: `connection ${conn} has no WebSocket handshake in the recording` };
  if (!handshake.upgraded) return { ok: false, error: `connection ${conn}'s handshake was refused (status ${handshake.response.status}): nothing to replay` };
  const steps: ReplayStep[] = [];
  let nextServer = 0;
  let serverData = 0;
  for (const m of client) {
    if (m.kind === 'pong') continue; // answers to the server's pings: the new connection answers its own
    if (m.truncated || m.incomplete) {
      return { ok: false, error: `connection ${conn}: the client's message ${m.seq} was not recorded whole (${m.truncated ? 'cut by --max-payload' : 'it never finished'}), so it can't be sent again` };
    }
    // Both lists are in seq order: the server's data messages before this one, counted as we go.
    for (; nextServer < server.length && server[nextServer]!.seq < m.seq; nextServer++) if (isData(server[nextServer]!)) serverData++;
    const serverBefore = serverData;
    const at = Math.max(0, m.ts - handshake.ts);
    if (m.kind === 'close') {
      steps.push({ seq: m.seq, kind: 'close', at, serverBefore, payload: Buffer.from(m.close?.reason ?? '', 'utf8'), code: m.close?.code ?? null });
    } else {
      if (m.kind === 'ping' && m.length > 125) return { ok: false, error: `connection ${conn}: the client's ping ${m.seq} is longer than 125 bytes (RFC 6455 5.5), it can't be sent again` };
      steps.push({ seq: m.seq, kind: m.kind, at, serverBefore, payload: recordPayload(m), code: null });
    }
  }
  const headers: HeaderList = handshake.request.headers.filter(([name]) => !MADE_ANEW.has(name.toLowerCase()));
  const protocols = headerValues(handshake.request.headers, 'sec-websocket-protocol').flatMap((v) => v.split(',')).map((p) => p.trim()).filter(Boolean);
  const offered = parseExtensionHeader(headerValues(handshake.request.headers, 'sec-websocket-extensions')).extensions;
  const deflate = offered.find((e) => e.name === 'permessage-deflate') ?? null;
  const droppedExtensions = [...new Set(offered.filter((e) => e.name !== 'permessage-deflate').map((e) => e.name))];
  return { ok: true, plan: { conn, url: handshake.url, headers, protocols, deflate, droppedExtensions, steps, serverMessages: server } };
}

/**
 * Where the replay connects: `target` (a ws, wss, http or https URL; http and https become ws and
 * wss) with, when it has no path or query of its own, the recorded URL's path and query; else the
 * recorded URL. `targetHasPath` says whether the target as typed had a path (a URL object can't
 * tell `ws://h` from `ws://h/`).
 */
export function replayUrl(recorded: string, target: URL | null, targetHasPath: boolean): string {
  if (!target) return recorded;
  const url = new URL(target.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : url.protocol === 'http:' ? 'ws:' : url.protocol;
  if (!targetHasPath && url.search === '') {
    const from = new URL(recorded);
    url.pathname = from.pathname;
    url.search = from.search;
  }
  return url.href;
}

/** Whether a message counts in the comparison and in `--speed max`'s waiting: data, not control. */
export function isData(m: MessageRecord): boolean {
  return m.kind === 'text' || m.kind === 'binary';
}
