/**
 * One application message read out of a WebSocket message: a Socket.IO event, a GraphQL
 * operation, an MQTT packet… A message record's `app` array holds one per application message
 * the WebSocket message carries (several for SignalR records, MQTT packets sharing a frame, a
 * JSON-RPC batch). Fields that don't apply are absent. Written to the session log as they are.
 */
export interface AppEntry {
  protocol: AppProtocolName;
  /**
   * The protocol's own name for the message, lower case with underscores: `event`, `ack`,
   * `binary_event`; `open`, `ping`; GraphQL's `type` as sent; `publish`, `puback`; STOMP's command
   * (`send`, `message`); `invocation`, `completion`; `request`, `notification`, `response`, `error`.
   * Absent on an entry that only says the message could not be read (`error`).
   */
  type?: string;
  /**
   * Socket.IO event name, GraphQL operation name, JSON-RPC method, SignalR target, MQTT topic (a
   * SUBSCRIBE's filters joined by `, `), STOMP destination. Replies carry their request's name.
   */
  name?: string;
  /** Socket.IO ack id, GraphQL id, MQTT packet id, JSON-RPC id, SignalR invocationId, STOMP subscription id or receipt. */
  id?: string | number;
  /** Socket.IO namespace. */
  namespace?: string;
  /** On a reply: the `seq` of the message that carried its request. */
  pair?: number;
  /** On a reply: ms from the request's message to this one (rounded to the µs). */
  latencyMs?: number;
  /** A keep-alive: Engine.IO, GraphQL, SignalR ping/pong, MQTT PINGREQ/PINGRESP, SockJS `h`, STOMP heart-beats. */
  heartbeat?: true;
  /** Socket.IO event and ack arguments, binary attachments in place as `{"base64":…}`. */
  args?: unknown[];
  /** The message's content, JSON-safe: a JSON value, or a decoded MessagePack / CBOR / Protobuf payload (big integers as strings, binary as `{"base64":…}`). */
  value?: unknown;
  /** GraphQL: `query`, `mutation` or `subscription`, read from the document. */
  operation?: 'query' | 'mutation' | 'subscription';
  /** On the reply that ends a multi-reply exchange (`complete`, `UNSUBSCRIBE`): how many replies came before it. */
  count?: number;
  /** On that closing reply: ms from the request to it. */
  durationMs?: number;
  /** This WebSocket message is a piece of a unit that a later message completes (binary attachments, an MQTT packet across frames). */
  partial?: true;
  /** What could not be read, for a person: the message keeps its raw payload. */
  error?: string;
}

/** Every value of `AppEntry.protocol`. */
export const APP_PROTOCOL_NAMES = [
  'engine.io', 'socket.io', 'graphql-transport-ws', 'graphql-ws', 'signalr', 'stomp', 'sockjs', 'mqtt', 'json-rpc', 'msgpack', 'cbor', 'protobuf',
] as const;
export type AppProtocolName = (typeof APP_PROTOCOL_NAMES)[number];

/**
 * In memory only (a symbol: JSON never writes it): set on a request's entry once a reply has
 * pointed at it, for the `unanswered` filter. The log itself is append-only; a reader finds the
 * pair from the reply's `pair`.
 */
export const ANSWERED: unique symbol = Symbol('answered');

/** An entry as the layer keeps it in memory: with, once answered, the mark above. */
export type KeptAppEntry = AppEntry & { [ANSWERED]?: true };

/** A request: an entry that has an `id` and is no reply itself. Replies point at it with `pair`. */
export function isRequest(e: AppEntry): boolean {
  return e.id !== undefined && e.pair === undefined;
}
