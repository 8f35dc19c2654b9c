import type { AppProtocol } from './app-decoder.js';
import { SOCKJS } from './sockjs.js';
import { STOMP } from './stomp.js';

/** Every application protocol wspeek reads, in the order the layer sniffs them. */
export const APP_PROTOCOLS: readonly AppProtocol[] = [STOMP, SOCKJS];
