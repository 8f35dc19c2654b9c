/** The decoding core: sans-IO, fed bytes and timestamps, emits events. */
export { ConnectionDecoder, DEFAULT_MAX_PAYLOAD, type DecoderOptions } from './connection-decoder.js';
export type * from './events.js';
export { VIOLATION_RULES, type ViolationRule } from './violation-rules.js';
export { computeAccept } from './handshake.js';
export { closeCodeName, isSendableCloseCode } from './close-codes.js';
