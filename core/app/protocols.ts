import type { AppProtocol } from './app-decoder.js';
import { SOCKET_IO } from './socket-io.js';

/** Every application protocol wspeek reads, in the order the layer sniffs them. */
export const APP_PROTOCOLS: readonly AppProtocol[] = [
  SOCKET_IO,
];
