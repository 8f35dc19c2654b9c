import type { AppProtocol } from './app-decoder.js';
import { CBOR, MSGPACK, PROTOBUF } from './payload-formats.js';
import { SIGNALR } from './signalr.js';

/** Every application protocol wspeek reads, in the order the layer sniffs them. */
export const APP_PROTOCOLS: readonly AppProtocol[] = [
  SIGNALR,
  // Binary formats last: they sniff binary messages only, after every protocol whose messages
  // name themselves; MessagePack before CBOR when both read a message. Protobuf never sniffs.
  MSGPACK,
  CBOR,
  PROTOBUF,
];
