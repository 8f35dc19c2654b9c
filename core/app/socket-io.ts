import { recordPayload, type MessageRecord } from '../log/records.js';
import { otherSide, type Side } from '../websocket/events.js';
import type { AppContext, AppDecoder, AppProtocol } from './app-decoder.js';
import type { AppEntry } from './app-entry.js';
import { Exchanges } from './exchanges.js';
import { parseJson } from './json-message.js';
import { fillPlaceholders, parseSocketIoPacket, type SocketIoPacket } from './socket-io-packet.js';

/** Engine.IO packet types by their digit (engine.io-protocol, "Packet encoding"); `message` (4) carries a Socket.IO packet. */
const ENGINE_IO_TYPES = ['open', 'close', 'ping', 'pong', 'message', 'upgrade', 'noop'] as const;
const OPEN = 0;
const PING = 2;
const PONG = 3;
const MESSAGE = 4;
/** The payload of the ping and pong that test a WebSocket before an upgrade (engine.io-protocol, "Upgrade"). */
const PROBE = 'probe';
const ZERO = 48;
const BRACE = 123;

/**
 * Engine.IO and Socket.IO, v4 and v3 (EIO=4 and EIO=3, socket.io-protocol v5 and v4): chosen by
 * an `EIO` query parameter in the URL (apps move `/socket.io/`), or sniffed from the server's
 * open packet. Bare Engine.IO packets are `engine.io` entries, the Socket.IO packets inside
 * `message`s `socket.io` ones.
 */
export const SOCKET_IO: AppProtocol = {
  name: 'socket.io',
  subprotocols: [],
  matchesUrl: (url) => url.searchParams.has('EIO'),
  sniff: (m) => m.from === 'server' && m.text !== undefined && m.text.charCodeAt(0) === ZERO + OPEN && m.text.charCodeAt(1) === BRACE
    && isOpenPayload(parseJson(m.text.slice(1))),
  create: (context) => new SocketIoDecoder(context),
};

/** The handshake data of an open packet: `{"sid":…,"upgrades":[…],"pingInterval":…,…}`. */
function isOpenPayload(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.sid === 'string' && Array.isArray(o.upgrades) && typeof o.pingInterval === 'number';
}

/** A binary packet whose attachments are still arriving, from one side. */
interface Awaiting {
  packet: SocketIoPacket;
  /** The attachments so far, as base64. */
  parts: string[];
  /** The entry each piece of it carries until the last. */
  partial: AppEntry;
}

/**
 * Reads one Socket.IO connection. Over WebSocket every message is one Engine.IO packet (the
 * polling transport's batching does not apply), except a binary packet's attachments, one binary
 * message each.
 */
class SocketIoDecoder implements AppDecoder {
  /** Engine.IO protocol version: from the URL, else from who sends the first ping (v3: the client), else taken as 4. */
  private version: 3 | 4 | null;
  private readonly exchanges = new Exchanges();
  private readonly awaiting: Record<Side, Awaiting | null> = { client: null, server: null };

  constructor(context: AppContext) {
    this.version = versionOf(context.url);
  }

  decode(m: MessageRecord): AppEntry[] | null {
    if (m.kind === 'text') return [this.text(m)];
    if (m.kind === 'binary') return [this.binary(m)];
    return null;
  }

  private text(m: MessageRecord): AppEntry {
    // A text message while attachments are awaited ends that packet: its sender moved on without them.
    this.awaiting[m.from] = null;
    const t = m.text;
    if (t === undefined) return unreadable('engine.io', 'text that is not UTF-8');
    const digit = t.charCodeAt(0) - ZERO;
    const type = ENGINE_IO_TYPES[digit];
    if (type === undefined) return unreadable('engine.io', `no Engine.IO packet type: ${JSON.stringify(t.slice(0, 1))}`);
    switch (digit) {
      case MESSAGE: return this.socketIo(m, t);
      case PING: return this.ping(m, t);
      case PONG: return this.pong(m, t);
      case OPEN: {
        const value = parseJson(t.slice(1));
        return isOpenPayload(value) ? { protocol: 'engine.io', type, value } : unreadable('engine.io', 'an open packet without its handshake data');
      }
      default:
        return t.length === 1 ? { protocol: 'engine.io', type } : { protocol: 'engine.io', type, value: t.slice(1) };
    }
  }

  /** Engine.IO v4 servers ping and clients answer; v3 the other way round. A probe is the upgrade's check, no heartbeat. */
  private ping(m: MessageRecord, t: string): AppEntry {
    const e: AppEntry = { protocol: 'engine.io', type: 'ping' };
    if (t.length > 1) e.value = t.slice(1);
    if (e.value !== PROBE) {
      e.heartbeat = true;
      this.version ??= m.from === 'client' ? 3 : 4;
    }
    this.exchanges.request(`ping:${m.from}`, m, e);
    return e;
  }

  private pong(m: MessageRecord, t: string): AppEntry {
    const e: AppEntry = { protocol: 'engine.io', type: 'pong' };
    if (t.length > 1) e.value = t.slice(1);
    if (e.value !== PROBE) e.heartbeat = true;
    this.exchanges.answer(`ping:${otherSide(m.from)}`, m, e);
    return e;
  }

  private socketIo(m: MessageRecord, t: string): AppEntry {
    const p = parseSocketIoPacket(t, 1);
    if (typeof p === 'string') return unreadable('socket.io', m.truncated ? `${p} (the message was cut short)` : p);
    if (p.attachments === 0) return this.whole(m, p);
    const partial: AppEntry = { protocol: 'socket.io', type: p.type };
    const name = p.type === 'binary_event' ? eventName(p.data) : this.exchanges.peek(ackKey(otherSide(m.from), p))?.name;
    if (name !== undefined) partial.name = name;
    partial.namespace = p.namespace;
    partial.partial = true;
    this.awaiting[m.from] = { packet: p, parts: [], partial };
    return partial;
  }

  /** An attachment of the binary packet its sender is sending; Engine.IO v3 puts its `message` type (a 4 byte) first. */
  private binary(m: MessageRecord): AppEntry {
    const a = this.awaiting[m.from];
    if (a === null) return unreadable('socket.io', 'a binary message with no binary packet awaiting attachments');
    let part: string;
    if (this.version === 3) {
      const bytes = recordPayload(m);
      if (bytes[0] !== MESSAGE) {
        this.awaiting[m.from] = null;
        return unreadable('engine.io', 'an Engine.IO v3 binary message without its message type');
      }
      part = bytes.subarray(1).toString('base64');
    } else {
      part = m.base64 ?? recordPayload(m).toString('base64');
    }
    a.parts.push(part);
    if (a.parts.length < a.packet.attachments) return { ...a.partial };
    this.awaiting[m.from] = null;
    if (!fillPlaceholders(a.packet.data, a.parts)) return unreadable('socket.io', 'a placeholder with no attachment');
    return this.whole(m, a.packet);
  }

  /** The entry of a whole Socket.IO packet, carried by `m`, paired where it answers. */
  private whole(m: MessageRecord, p: SocketIoPacket): AppEntry {
    const e: AppEntry = { protocol: 'socket.io', type: p.type };
    switch (p.type) {
      case 'event':
      case 'binary_event': {
        const data = p.data as unknown[] | undefined;
        const name = eventName(data);
        if (name !== undefined) e.name = name;
        if (p.id !== undefined) e.id = p.id;
        e.namespace = p.namespace;
        if (data !== undefined) e.args = data.slice(1);
        if (p.id !== undefined) this.exchanges.request(ackKey(m.from, p), m, e);
        return e;
      }
      case 'ack':
      case 'binary_ack':
        if (p.id !== undefined) e.id = p.id;
        e.namespace = p.namespace;
        if (p.data !== undefined) e.args = p.data as unknown[];
        // An ack goes the other way from its event.
        if (p.id !== undefined) this.exchanges.answer(ackKey(otherSide(m.from), p), m, e);
        return e;
      case 'connect':
      case 'connect_error':
        e.namespace = p.namespace;
        if (p.data !== undefined) e.value = p.data;
        // The client asks to join a namespace; the server's connect (with the sid) or connect_error answers.
        if (m.from === 'client') this.exchanges.request(`connect:${p.namespace}`, m, e);
        else this.exchanges.answer(`connect:${p.namespace}`, m, e);
        return e;
      case 'disconnect':
        e.namespace = p.namespace;
        return e;
    }
  }
}

function ackKey(from: Side, p: SocketIoPacket): string {
  return `${from}${p.namespace}#${p.id}`;
}

function eventName(data: unknown): string | undefined {
  const first = Array.isArray(data) ? data[0] : undefined;
  return first === undefined ? undefined : String(first);
}

function unreadable(protocol: 'engine.io' | 'socket.io', error: string): AppEntry {
  return { protocol, error };
}

/** The Engine.IO version an `EIO` query parameter names (v3's binary framing for anything older than 4), or null. */
function versionOf(url: string | null): 3 | 4 | null {
  if (url === null) return null;
  const q = url.indexOf('?');
  if (q === -1) return null;
  const eio = new URLSearchParams(url.slice(q + 1)).get('EIO');
  if (eio === null || !/^\d+$/.test(eio)) return null;
  return Number(eio) >= 4 ? 4 : 3;
}
