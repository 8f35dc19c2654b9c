import type { AppProtocol } from './app-decoder.js';
import { GRAPHQL_TRANSPORT_WS } from './graphql-transport-ws.js';
import { GRAPHQL_WS } from './graphql-ws.js';
import { JSON_RPC } from './json-rpc.js';
import { MQTT } from './mqtt.js';
import { CBOR, MSGPACK, PROTOBUF } from './payload-formats.js';
import { SIGNALR } from './signalr.js';
import { SOCKET_IO } from './socket-io.js';
import { SOCKJS } from './sockjs.js';
import { STOMP } from './stomp.js';

/** Every application protocol wspeek reads, in the order the layer sniffs them. */
export const APP_PROTOCOLS: readonly AppProtocol[] = [
  SOCKET_IO,
  SOCKJS,
  STOMP,
  SIGNALR,
  GRAPHQL_TRANSPORT_WS,
  GRAPHQL_WS,
  JSON_RPC,
  MQTT,
  // Binary formats last: they sniff binary messages only, after every protocol whose messages
  // name themselves; MessagePack before CBOR when both read a message. Protobuf never sniffs.
  MSGPACK,
  CBOR,
  PROTOBUF,
];
