import type { ViolationRule } from './violation-rules.js';

/** Which peer sent the bytes: the client opened the connection, the server accepted it. */
export type Side = 'client' | 'server';

/** The peer at the other end from `side`: where what `side` sends goes. */
export function otherSide(side: Side): Side {
  return side === 'client' ? 'server' : 'client';
}

/** Header fields in the order they were sent, names in their original case, values without surrounding whitespace. */
export type HeaderList = Array<[name: string, value: string]>;

export interface HttpRequestHead {
  /** Request method as sent, e.g. `GET`. */
  method: string;
  /** Request target as sent: `/chat`, or an absolute URI when talking to a proxy. */
  target: string;
  /** Protocol version as sent, e.g. `HTTP/1.1`. */
  version: string;
  headers: HeaderList;
}

export interface HttpResponseHead {
  /** Protocol version as sent, e.g. `HTTP/1.1`. */
  version: string;
  /** Status code, e.g. 101. */
  status: number;
  /** Reason phrase as sent (may be empty). */
  reason: string;
  headers: HeaderList;
}

/** One extension from a Sec-WebSocket-Extensions header (RFC 6455 §9.1). */
export interface Extension {
  /** Extension token, e.g. `permessage-deflate`. */
  name: string;
  /** Parameters: a value (quotes removed), or `true` for a parameter given without one. */
  params: Record<string, string | true>;
}

/** The opening handshake: emitted once both the request and the response head have been read. */
export interface HandshakeEvent {
  type: 'handshake';
  /** When the response head was complete (caller's clock, ms). */
  ts: number;
  /** When the request's first byte arrived. */
  requestTs: number;
  /** Handshake duration: request's first byte → response head complete, in ms. */
  ms: number;
  request: HttpRequestHead;
  response: HttpResponseHead;
  /** True when the server switched to WebSocket (101 with `Upgrade: websocket`) and frames follow. */
  upgraded: boolean;
  /** Result of checking Sec-WebSocket-Accept against the request's Sec-WebSocket-Key (RFC 6455 §4.2.2). */
  accept: 'valid' | 'invalid' | 'missing';
  /** The subprotocol the server chose (Sec-WebSocket-Protocol), or null. */
  protocol: string | null;
  /** Extensions the server agreed to, in order, with their parameters. */
  extensions: Extension[];
}

/** RSV1, RSV2, RSV3 of a frame header (RFC 6455 §5.2). */
export type Rsv = readonly [boolean, boolean, boolean];

/** The eight RSV bit patterns, shared and frozen rather than an array per frame: index (RSV1 ? 4 : 0) | (RSV2 ? 2 : 0) | (RSV3 ? 1 : 0). */
export const RSV: readonly Rsv[] = Array.from({ length: 8 }, (_, b) => Object.freeze([(b & 4) !== 0, (b & 2) !== 0, (b & 1) !== 0] as const));

/** One frame, emitted when its last payload byte has arrived (RFC 6455 §5.2). */
export interface FrameEvent {
  type: 'frame';
  /** Arrival time of the frame's first byte. */
  ts: number;
  from: Side;
  fin: boolean;
  /** RSV1, RSV2, RSV3. RSV1 marks a compressed message under permessage-deflate. */
  rsv: Rsv;
  /** 0 continuation, 1 text, 2 binary, 8 close, 9 ping, 10 pong; others are reserved. */
  opcode: number;
  masked: boolean;
  /** The 4-byte masking key as hex, or null when MASK is clear. */
  mask: string | null;
  /** Payload length as declared in the header (exact below 2^53). */
  length: number;
  /** Header size on the wire: 2 to 14 bytes. */
  headerLength: number;
}

export type MessageKind = 'text' | 'binary' | 'ping' | 'pong' | 'close';
/** Every MessageKind, in a fixed order (an index into it is a compact kind). */
export const MESSAGE_KINDS: readonly MessageKind[] = ['text', 'binary', 'ping', 'pong', 'close'];
/** Each MessageKind's opcode (RFC 6455 §5.2; a message's first frame carries it). */
export const KIND_OPCODES: Readonly<Record<MessageKind, number>> = { text: 1, binary: 2, close: 8, ping: 9, pong: 10 };

/** The names of the opcodes RFC 6455 defines (§5.2); the others are reserved. */
export const OPCODE_NAMES: Readonly<Record<number, string>> = { 0: 'continuation', 1: 'text', 2: 'binary', 8: 'close', 9: 'ping', 10: 'pong' };

/** A complete message: data frames reassembled and inflated, or one control frame. */
export interface MessageEvent {
  type: 'message';
  /** Per connection, from 1, in the order the connection's messages are emitted (both directions share one count). */
  seq: number;
  /** When the message's last byte arrived. */
  ts: number;
  /** Arrival time of the message's first byte (its first frame). */
  startTs: number;
  from: Side;
  kind: MessageKind;
  /** Application payload length after reassembly and inflation; for close, the whole payload, code included. */
  length: number;
  /** Payload bytes on the wire, summed over the message's frames. */
  wireLength: number;
  /** How many frames carried the message. */
  frames: number;
  /** True when RSV1 marked the message as compressed (RFC 7692). */
  compressed: boolean;
  /** The first `maxPayload` bytes of the unmasked, inflated payload. */
  payload: Buffer;
  /** True when `payload` holds fewer bytes than `length`. */
  truncated: boolean;
  /** True when the message never finished: another data message or the end of the stream cut it off. */
  incomplete: boolean;
  /** For text messages whose kept bytes are valid UTF-8: the decoded text (of the kept prefix when truncated). */
  text: string | null;
  /** For close messages: the status code (null for an empty payload) and the reason. */
  close?: { code: number | null; reason: string };
  /** For a pong that answers an earlier ping with the same payload: ms from the ping to this pong. */
  rtt?: number;
}

/** A protocol violation: a rule of RFC 6455 / 7692 broken by one side. Decoding goes on where the stream allows. */
export interface ViolationEvent {
  type: 'violation';
  ts: number;
  from: Side;
  rule: ViolationRule;
  /** The RFC and section that states the rule, e.g. `6455 5.1`. */
  rfc: string;
  /** What exactly was seen. */
  detail: string;
}

/** The connection is over: emitted once, by `ConnectionDecoder.finish`. */
export interface EndEvent {
  type: 'end';
  ts: number;
  /** The sender of the first close frame; without one, the side whose stream ended first; `proxy` when the caller ended it. */
  by: Side | 'proxy';
  /** Status code of the first close frame, or null. */
  code: number | null;
  /** Close frames went both ways before the streams ended. */
  clean: boolean;
  /** Every byte received from each side, handshake included. */
  bytes: { client: number; server: number };
  /** Frames received from each side. */
  frames: { client: number; server: number };
  durationMs: number;
  /** Why it ended, when there is more to say than the close frames: a reset, a stream cut mid-frame, a proxy error. */
  reason: string | null;
}

export type WsEvent = HandshakeEvent | FrameEvent | MessageEvent | ViolationEvent | EndEvent;

/** Where a decoder delivers its events, synchronously and in order. */
export type EventSink = (event: WsEvent) => void;
