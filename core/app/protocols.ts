import type { AppProtocol } from './app-decoder.js';
import { MQTT } from './mqtt.js';

/** Every application protocol wspeek reads, in the order the layer sniffs them. */
export const APP_PROTOCOLS: readonly AppProtocol[] = [
  MQTT,
];
