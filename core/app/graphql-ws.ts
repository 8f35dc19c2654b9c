import type { AppProtocol } from './app-decoder.js';
import { GraphqlDecoder, type MessageRole } from './graphql-over-websocket.js';

/** The message types of subscriptions-transport-ws's protocol (its PROTOCOL.md) and what each does. */
const ROLES: ReadonlyMap<string, MessageRole> = new Map<string, MessageRole>([
  ['connection_init', 'init'],
  ['connection_ack', 'init_reply'],
  ['connection_error', 'init_reply'],
  ['ka', 'keep_alive'],
  ['start', 'operation'],
  ['data', 'result'],
  ['error', 'end'],
  ['complete', 'end'],
  ['stop', 'end'],
]);

/**
 * The legacy GraphQL over WebSocket of subscriptions-transport-ws (subprotocol `graphql-ws`):
 * `start` pairs with its `data`s and its `error`, `complete` or the client's `stop`;
 * `connection_ack` or `connection_error` with `connection_init`; `ka` is a heartbeat.
 */
export const GRAPHQL_WS: AppProtocol = {
  name: 'graphql-ws',
  subprotocols: ['graphql-ws'],
  create: () => new GraphqlDecoder('graphql-ws', ROLES),
};
