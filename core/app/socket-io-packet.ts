import { isObject } from './json-message.js';

/** Socket.IO packet types by their digit on the wire, as the log names them (`connect_error` was `error` in protocol v4). */
export const SOCKET_IO_TYPES = ['connect', 'disconnect', 'event', 'ack', 'connect_error', 'binary_event', 'binary_ack'] as const;
export type SocketIoType = (typeof SOCKET_IO_TYPES)[number];

/** One Socket.IO packet read from its text encoding. */
export interface SocketIoPacket {
  type: SocketIoType;
  /** `/` unless the packet names one (a v4 client's `?query` after it left out). */
  namespace: string;
  /** The ack id, when the packet asks for or is an ack. */
  id?: number;
  /** How many binary WebSocket messages follow with the packet's attachments (binary packets only; else 0). */
  attachments: number;
  /** The JSON payload, parsed; absent when the packet has none. */
  data?: unknown;
}

const ZERO = 48;
const NINE = 57;
const DASH = 45;
const SLASH = 47;
/** Digits kept of an attachment count or ack id: more than a safe integer holds is not Socket.IO's. */
const MAX_DIGITS = 15;

/**
 * Reads the Socket.IO packet encoded in `text` from `start` (after Engine.IO's `4`):
 * `<type>[<attachments>-][<namespace>,][<id>][<JSON>]` (socket.io-protocol v5 and v4, "Packet
 * encoding"). Returns what is wrong, as a string, when the text is not a packet of that form or
 * its payload is not the one its type carries.
 */
export function parseSocketIoPacket(text: string, start: number): SocketIoPacket | string {
  const digit = text.charCodeAt(start) - ZERO;
  const type = SOCKET_IO_TYPES[digit];
  if (type === undefined) return `no Socket.IO packet type: ${JSON.stringify(text.slice(start, start + 1))}`;
  let i = start + 1;
  let attachments = 0;
  if (type === 'binary_event' || type === 'binary_ack') {
    const from = i;
    i = digitsEnd(text, i);
    if (i === from || i - from > MAX_DIGITS || text.charCodeAt(i) !== DASH) return 'a binary packet without its attachment count';
    attachments = Number(text.slice(from, i));
    i++;
  }
  let namespace = '/';
  if (text.charCodeAt(i) === SLASH) {
    let end = text.indexOf(',', i);
    if (end === -1) end = text.length;
    const query = text.indexOf('?', i);
    namespace = text.slice(i, query !== -1 && query < end ? query : end);
    i = end + 1;
  }
  const packet: SocketIoPacket = { type, namespace, attachments };
  const idStart = i;
  i = digitsEnd(text, i);
  if (i > idStart) {
    if (i - idStart > MAX_DIGITS) return 'an ack id too long';
    packet.id = Number(text.slice(idStart, i));
  }
  if (i >= text.length) return type === 'event' || type === 'binary_event' ? `${type} without its payload` : packet;
  let data: unknown;
  try {
    data = JSON.parse(text.slice(i));
  } catch (err) {
    return `payload is not JSON: ${(err as Error).message}`;
  }
  if (!payloadFits(type, data)) return `not a ${type} payload: ${JSON.stringify(text.slice(i, i + 40))}`;
  packet.data = data;
  return packet;
}

/** The payload each type carries (socket.io-parser's isPayloadValid; v4's error packet carried a string). */
function payloadFits(type: SocketIoType, data: unknown): boolean {
  switch (type) {
    case 'connect': return isObject(data);
    case 'disconnect': return false;
    case 'connect_error': return typeof data === 'string' || isObject(data);
    case 'event':
    case 'binary_event': return Array.isArray(data) && (typeof data[0] === 'string' || typeof data[0] === 'number');
    case 'ack':
    case 'binary_ack': return Array.isArray(data);
  }
}

function digitsEnd(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (!(c >= ZERO && c <= NINE)) return i;
    i++;
  }
}

/**
 * Puts binary attachments back in place of the `{"_placeholder":true,"num":N}` objects that
 * stand for them in `data` (socket.io-protocol, "Packet encoding": binary attachments), as
 * `{"base64":…}`. `data` is changed in place (a value just parsed, nobody else's); returns false
 * when a placeholder points past the attachments.
 */
export function fillPlaceholders(data: unknown, attachments: readonly string[]): boolean {
  return fill(data, attachments, 0);
}

/** Placeholders nested deeper than this are left in place: the walk's stack stays bounded. */
const MAX_DEPTH = 256;

function fill(v: unknown, attachments: readonly string[], depth: number): boolean {
  if (typeof v !== 'object' || v === null || depth > MAX_DEPTH) return true;
  const o = v as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    const x = o[key];
    if (typeof x !== 'object' || x === null) continue;
    const p = x as Record<string, unknown>;
    if (p._placeholder === true && typeof p.num === 'number') {
      const a = attachments[p.num];
      if (a === undefined) return false;
      // defineProperty: a key named __proto__ stays a key.
      Object.defineProperty(o, key, { value: { base64: a }, enumerable: true, writable: true, configurable: true });
    } else if (!fill(x, attachments, depth + 1)) {
      return false;
    }
  }
  return true;
}
