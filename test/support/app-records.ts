// Records read by the application-protocol layer, as the session store does before its consumers see them.

import { AppLayer, type AppLayerOptions } from '../../core/app/app-layer.js';
import { APP_PROTOCOLS } from '../../core/app/protocols.js';
import type { HandshakeRecord, LogRecord, MessageRecord } from '../../core/log/records.js';
import type { Side } from '../../core/websocket/events.js';

/** Runs `records` (e.g. a live proxy's, in order) through a fresh AppLayer; returns the message records, now with `app` where read. */
export function readApp(records: readonly LogRecord[], options: Partial<AppLayerOptions> = {}): MessageRecord[] {
  const layer = new AppLayer({ protocols: APP_PROTOCOLS, ...options });
  const messages: MessageRecord[] = [];
  for (const r of records) {
    layer.see(r);
    if (r.type === 'message') messages.push(r);
  }
  return messages;
}

/** How `conversation` numbers its records. */
export interface ConversationOptions {
  /** The connection every record belongs to; 1 unless given. */
  conn?: number;
  /** The `ts` of the record numbered `seq` (the first is 1); `seq * 10` unless given, so records are 10 ms apart. */
  ts?: (seq: number) => number;
}

/** Builds the message records of one connection in the order they are called for, `seq` counting up from 1. */
export interface Conversation {
  /**
   * A data message from `from`: a string is a text message (`text`), bytes a binary one (`base64`);
   * `length` and `wireLength` are the payload's bytes, one frame, uncompressed, whole. `extra`
   * is laid over the result last, so it may set any field (`kind: 'ping'`, `truncated`, a given `ts`…).
   */
  (from: Side, payload: string | Uint8Array, extra?: Partial<MessageRecord>): MessageRecord;
  /** A close message from `from` with `code` and `reason` in `close` and no payload field; its length is the close frame's payload's. */
  close(from: Side, code: number, reason: string): MessageRecord;
}

/** A fresh `Conversation`: each one keeps its own `seq` counter, and `ts` follows it as `options.ts` says. */
export function conversation(options: ConversationOptions = {}): Conversation {
  const { conn = 1, ts = (seq: number) => seq * 10 } = options;
  let seq = 0;
  const base = (from: Side, kind: MessageRecord['kind'], length: number): MessageRecord => {
    seq++;
    return { type: 'message', conn, seq, ts: ts(seq), from, kind, length, wireLength: length, frames: 1, compressed: false, truncated: false };
  };
  const message = (from: Side, payload: string | Uint8Array, extra: Partial<MessageRecord> = {}): MessageRecord => {
    const r = typeof payload === 'string'
      ? { ...base(from, 'text', Buffer.byteLength(payload)), text: payload }
      : { ...base(from, 'binary', payload.length), base64: Buffer.from(payload.buffer, payload.byteOffset, payload.length).toString('base64') };
    return { ...r, ...extra };
  };
  return Object.assign(message, {
    close: (from: Side, code: number, reason: string): MessageRecord => ({ ...base(from, 'close', 2 + Buffer.byteLength(reason)), close: { code, reason } }),
  });
}

/**
 * The handshake record of connection `conn` (1 unless given) to `url`, upgraded, that chose the
 * subprotocol `protocol` (none unless given); `ts` 0. The layer reads only its `url` and `protocol`;
 * the request and response are a bare `GET /` and its 101.
 */
export function handshakeRecord(url: string, protocol: string | null = null, conn = 1): HandshakeRecord {
  return {
    type: 'handshake', conn, ts: 0, url,
    request: { method: 'GET', target: '/', version: 'HTTP/1.1', headers: [] },
    response: { version: 'HTTP/1.1', status: 101, reason: 'Switching Protocols', headers: [] },
    ms: 1, accept: 'valid', protocol, extensions: [], upgraded: true,
  };
}
