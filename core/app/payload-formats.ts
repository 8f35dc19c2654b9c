import { recordPayload, type MessageRecord } from '../log/records.js';
import type { AppDecoder, AppProtocol } from './app-decoder.js';
import type { AppEntry, AppProtocolName } from './app-entry.js';
import { decodeCbor, isCborDocument } from './formats/cbor-value.js';
import { FormatError } from './formats/json-safe.js';
import { decodeMsgpack, isMsgpackDocument } from './formats/msgpack-value.js';
import { decodeProtobufWire } from './formats/protobuf-wire.js';
import { ProtobufSchema, type ProtobufSchemaOptions } from './formats/protobuf-schema.js';
import type { Side } from '../websocket/events.js';

/**
 * A connection whose binary messages are each one document of a serialisation format: every
 * binary message gets one entry `{protocol, type: "message", value}`, or `{protocol, error}` when
 * it does not decode as one. Text messages carry no entry (the format is binary); neither does a
 * truncated message that does not decode (wspeek kept only its first bytes: not the peer's fault).
 */
function payloadFormat(
  name: AppProtocolName,
  subprotocols: readonly string[],
  decode: (bytes: Uint8Array, from: Side) => unknown,
  sniff?: (bytes: Uint8Array) => boolean,
): AppProtocol {
  const decoder: AppDecoder = {
    decode(m: MessageRecord): AppEntry[] | null {
      if (m.kind !== 'binary') return null;
      try {
        return [{ protocol: name, type: 'message', value: decode(recordPayload(m), m.from) }];
      } catch (err) {
        if (m.truncated) return null;
        return [{ protocol: name, error: err instanceof FormatError ? err.message : `unreadable: ${(err as Error).message}` }];
      }
    },
  };
  const protocol: AppProtocol = { name, subprotocols, create: () => decoder };
  // Binary formats are sniffed on whole binary messages only, of two bytes or more, and only as a
  // map or array: any single byte is a complete MessagePack or CBOR document.
  if (sniff) protocol.sniff = (m) => m.kind === 'binary' && !m.truncated && m.length >= 2 && sniff(recordPayload(m));
  return protocol;
}

/**
 * MessagePack payloads (`--protocol msgpack`): chosen by a `msgpack` subprotocol, or WAMP's
 * `wamp.2.msgpack` (its messages are MessagePack arrays; the entries show them as values, not
 * as WAMP), or sniffed when a connection's binary message decodes completely as one map or array.
 */
export const MSGPACK: AppProtocol = payloadFormat('msgpack', ['msgpack', 'wamp.2.msgpack'], decodeMsgpack, isMsgpackDocument);

/** CBOR payloads (`--protocol cbor`): a `cbor` or `wamp.2.cbor` subprotocol, or sniffed as for MSGPACK (which goes first). */
export const CBOR: AppProtocol = payloadFormat('cbor', ['cbor', 'wamp.2.cbor'], decodeCbor, isCborDocument);

/**
 * Protobuf payloads read without a schema (`--protocol protobuf`): field numbers, wire types and
 * nested messages guessed as such (see `WireField`). Never sniffed, no subprotocol: Protobuf
 * bytes do not say what they are.
 */
export const PROTOBUF: AppProtocol = payloadFormat('protobuf', [], decodeProtobufWire);

/**
 * The `protobuf` protocol read with a schema (`--proto FILE` and its message types): values by
 * field name, as Protobuf's JSON mapping writes them. It replaces PROTOBUF in the layer's list.
 * Throws at construction when a type name is not one of the file's (the message lists them).
 */
export function protobufProtocol(options: ProtobufSchemaOptions): AppProtocol {
  const schema = new ProtobufSchema(options);
  return payloadFormat('protobuf', [], (bytes, from) => schema.decode(from, bytes));
}
