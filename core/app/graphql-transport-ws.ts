import type { AppProtocol } from './app-decoder.js';
import { GraphqlDecoder, type MessageRole } from './graphql-over-websocket.js';

/** The message types of graphql-ws's protocol (PROTOCOL.md, "Message types") and what each does. */
const ROLES: ReadonlyMap<string, MessageRole> = new Map<string, MessageRole>([
  ['connection_init', 'init'],
  ['connection_ack', 'init_reply'],
  ['ping', 'ping'],
  ['pong', 'pong'],
  ['subscribe', 'operation'],
  ['next', 'result'],
  // `error` ends the operation: no `complete` follows it. `complete` ends it from either side.
  ['error', 'end'],
  ['complete', 'end'],
]);

/**
 * GraphQL over WebSocket as graphql-ws speaks it (subprotocol `graphql-transport-ws`):
 * `subscribe` pairs with its `next`s and its `error` or `complete`; `pong` with the other side's
 * `ping`; `connection_ack` with `connection_init`.
 */
export const GRAPHQL_TRANSPORT_WS: AppProtocol = {
  name: 'graphql-transport-ws',
  subprotocols: ['graphql-transport-ws'],
  create: () => new GraphqlDecoder('graphql-transport-ws', ROLES),
};
