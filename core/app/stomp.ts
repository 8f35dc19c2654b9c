import { recordPayload, type MessageRecord } from '../log/records.js';
import { decodeUtf8 } from '../websocket/utf8.js';
import { base64Value } from './binary-value.js';
import type { Side } from '../websocket/events.js';
import type { AppDecoder, AppProtocol } from './app-decoder.js';
import type { AppEntry } from './app-entry.js';
import { Exchanges } from './exchanges.js';
import { parseJson } from './json-message.js';
import { opensStomp, scanStompFrame, type StompHead } from './stomp-frame.js';

/** Bytes of an unfinished frame kept waiting for the messages that finish it; past this, the frame is given up. */
export const MAX_STOMP_CARRY = 4 * 1024 * 1024;

const JSON_CONTENT_TYPE = /^application\/(?:[\w.+-]*\+)?json\b/i;

/**
 * Reads STOMP 1.0–1.2 frames out of one connection's messages, both directions: several frames
 * per message, heart-beats, a frame spread over several messages (stompjs' `splitLargeFrames`).
 * Each frame is an entry: `type` its command lower-cased, `name` its `destination`, `value` its
 * headers and body. Pairs SUBSCRIBE ← MESSAGEs (by subscription id) ← UNSUBSCRIBE, a frame with a
 * `receipt` header ← its RECEIPT (or an ERROR with that `receipt-id`), CONNECT ← CONNECTED.
 * Used on its own and for the messages inside SockJS frames.
 */
export class StompReader {
  private readonly exchanges = new Exchanges();
  private readonly carry: Record<Side, Buffer | null> = { client: null, server: null };
  /** Header escapes apply: STOMP 1.1 and later (until CONNECTED says which, the subprotocol's version, else 1.2). */
  private escapes: boolean;

  constructor(subprotocol: string | null) {
    this.escapes = subprotocol?.toLowerCase() !== 'v10.stomp';
  }

  /**
   * The entries for `bytes`, the payload (or one SockJS message) that `m` carries; `cut` when the
   * bytes stop short of what the peer sent (a truncated or unfinished message). Null for no bytes.
   */
  read(m: MessageRecord, bytes: Buffer, cut: boolean): AppEntry[] | null {
    const carried = this.carry[m.from];
    this.carry[m.from] = null;
    const buf = carried ? Buffer.concat([carried, bytes]) : bytes;
    if (buf.length === 0) return null;
    const entries: AppEntry[] = [];
    for (let pos = 0; ;) {
      const scan = scanStompFrame(buf, pos, this.escapes);
      if (scan.kind === 'frame') {
        entries.push(this.entry(m, scan.head, scan.body));
        pos = scan.end;
        continue;
      }
      if (scan.kind === 'eols') {
        // STOMP 1.2 "Heart-beating": a message of nothing but EOLs.
        if (entries.length === 0) entries.push({ protocol: 'stomp', type: 'heartbeat', heartbeat: true });
      } else if (scan.kind === 'error') {
        entries.push({ protocol: 'stomp', error: scan.error });
      } else if (cut) {
        const error = `the message was cut short inside this ${scan.command ?? 'frame'}`;
        entries.push(scan.head ? { ...this.entry(m, scan.head, null), error } : { protocol: 'stomp', error });
      } else if (buf.length - pos > MAX_STOMP_CARRY) {
        entries.push({ protocol: 'stomp', error: `a frame longer than ${MAX_STOMP_CARRY} bytes: given up` });
      } else {
        this.carry[m.from] = Buffer.from(buf.subarray(pos));
        entries.push(partialEntry(scan.command, scan.head));
      }
      return entries;
    }
  }

  /** The entry of one frame (`body` null when cut off), paired with what it answers. */
  private entry(m: MessageRecord, head: StompHead, body: Buffer | null): AppEntry {
    const h = head.headers;
    const e: AppEntry = { protocol: 'stomp', type: head.command.toLowerCase() };
    if (h.destination !== undefined) e.name = h.destination;
    e.value = body === null || body.length === 0 ? { headers: h } : { headers: h, body: bodyValue(h['content-type'], body) };
    const x = this.exchanges;
    switch (head.command) {
      case 'CONNECT':
      case 'STOMP':
        x.request('connect', m, e);
        break;
      case 'CONNECTED':
        // STOMP 1.2 "Protocol Negotiation": no version header means 1.0, which has no escapes.
        this.escapes = h.version !== undefined && h.version !== '1.0';
        x.answer('connect', m, e);
        break;
      case 'SUBSCRIBE': {
        // STOMP 1.0 has no subscription id: its subscriptions are known by destination.
        const key = subscriptionKey(h.id, h.destination);
        if (h.id !== undefined) e.id = h.id;
        if (key !== null) x.request(key, m, e);
        break;
      }
      case 'MESSAGE':
        if (replyTo(x, m, e, h.subscription, h.destination) && h.subscription !== undefined) e.id = h.subscription;
        break;
      case 'UNSUBSCRIBE': {
        const key = subscriptionKey(h.id, h.destination);
        if (key !== null && x.end(key, m, e) && h.id !== undefined) e.id = h.id;
        break;
      }
      case 'RECEIPT':
        if (h['receipt-id'] !== undefined && x.answer(`r:${h['receipt-id']}`, m, e)) e.id = h['receipt-id'];
        break;
      case 'ERROR':
        // STOMP 1.2 "ERROR": `receipt-id` when the error is about a frame that asked for a receipt.
        if (h['receipt-id'] !== undefined && x.answer(`r:${h['receipt-id']}`, m, e)) e.id = h['receipt-id'];
        else if (h['receipt-id'] === undefined) x.answer('connect', m, e);
        break;
    }
    // A frame that asks for a receipt; its id is the receipt unless it names a subscription.
    if (h.receipt !== undefined && STOMP_RECEIPTED.has(head.command)) {
      x.request(`r:${h.receipt}`, m, e);
      e.id ??= h.receipt;
    }
    return e;
  }
}

/** Client frames that may carry a `receipt` header (STOMP 1.2 "Header receipt": any but CONNECT). */
const STOMP_RECEIPTED: ReadonlySet<string> = new Set(['SEND', 'SUBSCRIBE', 'UNSUBSCRIBE', 'ACK', 'NACK', 'BEGIN', 'COMMIT', 'ABORT', 'DISCONNECT']);

function subscriptionKey(id: string | undefined, destination: string | undefined): string | null {
  if (id !== undefined) return `s:${id}`;
  return destination === undefined ? null : `d:${destination}`;
}

/** Pairs a MESSAGE with its SUBSCRIBE: by subscription id, else (STOMP 1.0) by destination. */
function replyTo(x: Exchanges, m: MessageRecord, e: AppEntry, subscription: string | undefined, destination: string | undefined): boolean {
  if (subscription !== undefined && x.reply(`s:${subscription}`, m, e)) return true;
  return destination !== undefined && x.reply(`d:${destination}`, m, e) !== null;
}

/**
 * A body as its `content-type` says: parsed JSON for JSON types that parse, else text (any valid
 * UTF-8: a STOMP body is text unless its type says otherwise), else `{"base64"}`.
 */
function bodyValue(contentType: string | undefined, body: Buffer): unknown {
  const text = decodeUtf8(body);
  if (text === null) return base64Value(body);
  if (contentType === undefined || !JSON_CONTENT_TYPE.test(contentType)) return text;
  const value = parseJson(text);
  return value === undefined ? text : value;
}

function partialEntry(command: string | null, head: StompHead | null): AppEntry {
  const e: AppEntry = { protocol: 'stomp' };
  if (command !== null) e.type = command.toLowerCase();
  if (head?.headers.destination !== undefined) e.name = head.headers.destination;
  e.partial = true;
  return e;
}

/** STOMP over WebSocket: every text or binary message is read as STOMP frames. */
class StompDecoder implements AppDecoder {
  private readonly reader: StompReader;

  constructor(subprotocol: string | null) {
    this.reader = new StompReader(subprotocol);
  }

  decode(m: MessageRecord): AppEntry[] | null {
    if (m.kind !== 'text' && m.kind !== 'binary') return null;
    return this.reader.read(m, recordPayload(m), m.truncated || m.incomplete === true);
  }
}

/**
 * STOMP 1.0–1.2 (stomp.github.io): chosen by the subprotocols `v10.stomp`, `v11.stomp`,
 * `v12.stomp`, or sniffed on a client's text message opening a session (CONNECT or STOMP and a header).
 */
export const STOMP: AppProtocol = {
  name: 'stomp',
  subprotocols: ['v10.stomp', 'v11.stomp', 'v12.stomp'],
  sniff: (m) => m.from === 'client' && m.kind === 'text' && m.text !== undefined && opensStomp(m.text),
  create: (context) => new StompDecoder(context.subprotocol),
};
