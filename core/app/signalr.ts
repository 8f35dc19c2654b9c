import { recordPayload, type MessageRecord } from '../log/records.js';
import { otherSide } from '../websocket/events.js';
import type { AppDecoder, AppProtocol } from './app-decoder.js';
import type { AppEntry } from './app-entry.js';
import { Exchanges } from './exchanges.js';
import { isObject } from './json-message.js';
import { decodeMsgpack } from './formats/msgpack-value.js';
import { splitJsonRecords, splitLengthPrefixed } from './signalr-framing.js';

/** The hub protocol's message types by number (HubProtocol.md; the entries' `type`). */
const TYPES = new Map([
  [1, 'invocation'], [2, 'stream_item'], [3, 'completion'], [4, 'stream_invocation'], [5, 'cancel_invocation'], [6, 'ping'], [7, 'close'], [8, 'ack'], [9, 'sequence'],
]);

/** The handshake's `protocol` names and how their messages are encoded ("blazorpack" is Blazor's MessagePack hub protocol). */
const ENCODINGS: Record<string, Encoding> = { json: 'json', messagepack: 'messagepack', blazorpack: 'messagepack' };
type Encoding = 'json' | 'messagepack';

/** A hub message read from either encoding, before it becomes an entry. */
interface HubMessage {
  type: number;
  invocationId?: string;
  target?: string;
  args?: unknown[];
  streamIds?: string[];
  /** A stream item, a completion's result, a close's error and allowReconnect, ack/sequence's id. */
  value?: unknown;
}

/** One record the decoder could not read: the reason, for the entry's `error`. */
class Unreadable extends Error {}

// Strict UTF-8 through TextDecoder, not decodeUtf8: TextDecoder drops a leading byte-order mark (which
// a JSON reader may ignore, RFC 8259 §8.1), and an unreadable record's error quotes its message.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A JSON hub record's value; throws Unreadable with the reason when it is not UTF-8 JSON. */
function parseJsonRecord(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(utf8.decode(bytes));
  } catch (err) {
    throw new Unreadable(`not a JSON record: ${(err as Error).message}`);
  }
}

/** The handshake request (HubProtocol.md, "HandshakeRequest"): `{"protocol":"json","version":1}`, a protocol wspeek knows. */
function handshakeRequest(v: unknown): { protocol: string; version: unknown } | null {
  return isObject(v) && typeof v.protocol === 'string' && v.type === undefined && typeof v.version === 'number' ? { protocol: v.protocol, version: v.version } : null;
}

function optionalString(v: unknown, what: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new Unreadable(`${what} is not a string`);
  return v;
}

function requiredString(v: unknown, what: string): string {
  const s = optionalString(v, what);
  if (s === undefined) throw new Unreadable(`${what} is missing`);
  return s;
}

function stringArray(v: unknown, what: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw new Unreadable(`${what} is not an array of strings`);
  return v;
}

function argumentsArray(v: unknown): unknown[] {
  if (!Array.isArray(v)) throw new Unreadable('arguments is not an array');
  return v;
}

/** A JSON hub message (HubProtocol.md, "JSON Encoding"). */
function jsonMessage(v: unknown): HubMessage {
  if (!isObject(v) || typeof v.type !== 'number') throw new Unreadable('not a hub message: no numeric "type"');
  const m: HubMessage = { type: v.type };
  switch (v.type) {
    case 1:
    case 4:
      m.invocationId = v.type === 1 ? optionalString(v.invocationId, 'invocationId') : requiredString(v.invocationId, 'invocationId');
      m.target = requiredString(v.target, 'target');
      m.args = argumentsArray(v.arguments);
      m.streamIds = stringArray(v.streamIds, 'streamIds');
      break;
    case 2:
      m.invocationId = requiredString(v.invocationId, 'invocationId');
      m.value = v.item;
      break;
    case 3:
      m.invocationId = requiredString(v.invocationId, 'invocationId');
      m.value = v.error !== undefined ? { error: v.error } : v.result;
      break;
    case 5:
      m.invocationId = requiredString(v.invocationId, 'invocationId');
      break;
    case 7:
      m.value = closeValue(v.error, v.allowReconnect);
      break;
    case 8:
    case 9:
      m.value = v.sequenceId;
      break;
    case 6:
      break;
    default:
      m.value = v;
  }
  return m;
}

/** A MessagePack hub message (HubProtocol.md, "MessagePack (MsgPack) encoding"): an array, its type first, headers second. */
function msgpackMessage(v: unknown): HubMessage {
  if (!Array.isArray(v) || typeof v[0] !== 'number') throw new Unreadable('not a hub message: no array with a numeric type');
  const m: HubMessage = { type: v[0] };
  switch (v[0]) {
    case 1:
    case 4:
      // [type, Headers, InvocationId, Target, [Arguments], [StreamIds]?]
      m.invocationId = v[0] === 1 ? optionalString(v[2], 'InvocationId') : requiredString(v[2], 'InvocationId');
      m.target = requiredString(v[3], 'Target');
      m.args = argumentsArray(v[4]);
      m.streamIds = stringArray(v[5], 'StreamIds');
      break;
    case 2:
      // [2, Headers, InvocationId, Item]
      m.invocationId = requiredString(v[2], 'InvocationId');
      m.value = v[3];
      break;
    case 3:
      // [3, Headers, InvocationId, ResultKind, Result?]: ResultKind 1 error, 2 void, 3 result
      m.invocationId = requiredString(v[2], 'InvocationId');
      if (v[3] === 1) m.value = { error: v[4] };
      else if (v[3] === 3) m.value = v[4];
      else if (v[3] !== 2) throw new Unreadable(`completion with ResultKind ${JSON.stringify(v[3])}`);
      break;
    case 5:
      m.invocationId = requiredString(v[2], 'InvocationId');
      break;
    case 7:
      // [7, Error, AllowReconnect?]
      m.value = closeValue(v[1], v[2]);
      break;
    case 8:
    case 9:
      m.value = v[1];
      break;
    case 6:
      break;
    default:
      m.value = v;
  }
  return m;
}

function closeValue(error: unknown, allowReconnect: unknown): { error?: unknown; allowReconnect?: unknown } | undefined {
  const v: { error?: unknown; allowReconnect?: unknown } = {};
  if (error !== undefined && error !== null) v.error = error;
  if (allowReconnect !== undefined && allowReconnect !== null) v.allowReconnect = allowReconnect;
  return Object.keys(v).length === 0 ? undefined : v;
}

/** One connection's SignalR: the handshake, then the hub messages, invocations paired with what answers them. */
class SignalRDecoder implements AppDecoder {
  private readonly exchanges = new Exchanges();
  /** The hub protocol's encoding as the handshake named it; null: by frame (text JSON, binary MessagePack). */
  private encoding: Encoding | null = null;
  /** The client's first data message may be the handshake request; the server's next one after it, the response. */
  private requestLeft = true;
  private responseDue = false;

  decode(m: MessageRecord): AppEntry[] | null {
    if (m.kind !== 'text' && m.kind !== 'binary') return null;
    let bytes: Uint8Array = recordPayload(m);
    const entries: AppEntry[] = [];
    const handshake = this.handshake(m, bytes);
    if (handshake !== null) {
      entries.push(handshake.entry);
      bytes = handshake.rest;
    }
    const encoding = this.encoding ?? (m.kind === 'text' ? 'json' : 'messagepack');
    const split = encoding === 'json' ? splitJsonRecords(bytes) : splitLengthPrefixed(bytes);
    for (const record of split.records) entries.push(this.record(m, encoding, record));
    if ('invalid' in split && split.invalid) entries.push({ protocol: 'signalr', error: 'a length prefix longer than 5 bytes or above 2^31 - 1' });
    // A message ends on a record boundary (the JS client refuses one that does not); a truncated one was cut by wspeek.
    else if (split.rest.length > 0 && !m.truncated) {
      entries.push({ protocol: 'signalr', error: encoding === 'json' ? 'a JSON record without its 0x1E separator' : 'an incomplete length-prefixed MessagePack message' });
    }
    return entries.length === 0 ? null : entries;
  }

  /** The handshake request or response this message starts with, and the bytes after it. */
  private handshake(m: MessageRecord, bytes: Uint8Array): { entry: AppEntry; rest: Uint8Array } | null {
    const first = bytes.indexOf(0x1e);
    if (m.from === 'client') {
      if (!this.requestLeft) return null;
      this.requestLeft = false;
      const request = first === -1 ? null : handshakeRequest(parseQuietly(bytes.subarray(0, first)));
      if (request === null) return null;
      this.encoding = ENCODINGS[request.protocol] ?? null;
      this.responseDue = true;
      const entry: AppEntry = { protocol: 'signalr', type: 'handshake', value: request };
      this.exchanges.request('handshake', m, entry);
      return { entry, rest: bytes.subarray(first + 1) };
    }
    if (!this.responseDue) return null;
    this.responseDue = false;
    // HandshakeResponse (always JSON, even before MessagePack messages in the same frame): {} or {"error":…}.
    const response = first === -1 ? undefined : parseQuietly(bytes.subarray(0, first));
    if (!isObject(response) || response.type !== undefined) return null;
    const entry: AppEntry = { protocol: 'signalr', type: 'handshake', value: response };
    this.exchanges.answer('handshake', m, entry);
    return { entry, rest: bytes.subarray(first + 1) };
  }

  private record(m: MessageRecord, encoding: Encoding, bytes: Uint8Array): AppEntry {
    let message: HubMessage;
    try {
      message = encoding === 'json' ? jsonMessage(parseJsonRecord(bytes)) : msgpackMessage(decodeMsgpack(bytes));
    } catch (err) {
      return { protocol: 'signalr', error: (err as Error).message };
    }
    return this.entry(m, message);
  }

  private entry(m: MessageRecord, h: HubMessage): AppEntry {
    const e: AppEntry = { protocol: 'signalr', type: TYPES.get(h.type) ?? 'unknown' };
    if (h.target !== undefined) e.name = h.target;
    if (h.invocationId !== undefined) e.id = h.invocationId;
    if (h.type === 6) e.heartbeat = true;
    if (h.args !== undefined) e.args = h.args;
    if (h.value !== undefined) e.value = h.value;
    if (h.invocationId !== undefined) this.pair(m, h, e);
    return e;
  }

  /**
   * Keys are the caller's side and the id: ids are chosen per caller (HubProtocol.md, "Errors").
   * `side:id` is an invocation the other side answers; `side>id` is a stream the caller uploads
   * (an invocation's streamIds: its items and completion come from the caller itself).
   */
  private pair(m: MessageRecord, h: HubMessage, e: AppEntry): void {
    const id = h.invocationId!;
    const asked = `${otherSide(m.from)}:${id}`;
    const uploaded = `${m.from}>${id}`;
    switch (e.type) {
      case 'invocation':
      case 'stream_invocation':
        this.exchanges.request(`${m.from}:${id}`, m, e);
        for (const s of h.streamIds ?? []) this.exchanges.request(`${m.from}>${s}`, m, e);
        break;
      case 'stream_item':
        if (this.exchanges.reply(asked, m, e) === null) this.exchanges.reply(uploaded, m, e);
        break;
      case 'completion': {
        const request = this.exchanges.peek(asked);
        if (request === null) this.exchanges.end(uploaded, m, e);
        else if (request.type === 'stream_invocation') this.exchanges.end(asked, m, e);
        else this.exchanges.answer(asked, m, e);
        break;
      }
      case 'cancel_invocation': {
        // The caller ends its invocation; the callee still sends a completion (HubProtocol.md,
        // "Cancellation"), which then answers this cancel.
        const own = `${m.from}:${id}`;
        if (this.exchanges.end(own, m, e) !== null) this.exchanges.request(own, m, e);
        break;
      }
    }
  }
}

/** A handshake's JSON value, or undefined when it is not UTF-8 JSON. */
function parseQuietly(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(utf8.decode(bytes));
  } catch {
    return undefined;
  }
}

/**
 * SignalR's hub protocols, JSON and MessagePack (`--protocol signalr`). There is no subprotocol:
 * a connection is recognised by the client's handshake request, its first message,
 * `{"protocol":"json"|"messagepack","version":1}` and 0x1E.
 */
export const SIGNALR: AppProtocol = {
  name: 'signalr',
  subprotocols: [],
  sniff(m) {
    if (m.from !== 'client' || (m.kind !== 'text' && m.kind !== 'binary')) return false;
    const bytes = recordPayload(m);
    const end = bytes.indexOf(0x1e);
    if (bytes[0] !== 0x7b || end === -1) return false;
    const request = handshakeRequest(parseQuietly(bytes.subarray(0, end)));
    return request !== null && ENCODINGS[request.protocol] !== undefined;
  },
  create: () => new SignalRDecoder(),
};
