/**
 * Every protocol violation wspeek reports, keyed by a stable rule id.
 * The ids are part of the session-log format: never rename one.
 */
export const VIOLATION_RULES = {
  // RFC 6455 §4: the opening handshake
  'malformed-handshake': { rfc: '6455 4.1', summary: 'the opening handshake is not a valid HTTP/1.1 upgrade' },
  'bad-accept': { rfc: '6455 4.1', summary: 'Sec-WebSocket-Accept does not match Sec-WebSocket-Key' },
  // RFC 6455 §5.1: masking
  'client-frame-unmasked': { rfc: '6455 5.1', summary: 'a client sent an unmasked frame' },
  'server-frame-masked': { rfc: '6455 5.1', summary: 'a server sent a masked frame' },
  // RFC 6455 §5.2: base framing
  'rsv-bit-without-extension': { rfc: '6455 5.2', summary: 'an RSV bit is set that no negotiated extension defines' },
  'unknown-opcode': { rfc: '6455 5.2', summary: 'a reserved opcode was used' },
  'non-minimal-length': { rfc: '6455 5.2', summary: 'the payload length was not encoded in the minimal number of bytes' },
  'invalid-length': { rfc: '6455 5.2', summary: 'a 64-bit payload length has its most significant bit set' },
  // RFC 6455 §5.4: fragmentation
  'unexpected-continuation': { rfc: '6455 5.4', summary: 'a continuation frame arrived with no fragmented message in progress' },
  'interleaved-data-frame': { rfc: '6455 5.4', summary: 'a new data message started before the fragmented one finished' },
  // RFC 6455 §5.5: control frames
  'control-frame-too-long': { rfc: '6455 5.5', summary: 'a control frame payload is longer than 125 bytes' },
  'control-frame-fragmented': { rfc: '6455 5.5', summary: 'a control frame has FIN clear' },
  'close-payload-too-short': { rfc: '6455 5.5.1', summary: 'a close payload of 1 byte cannot hold a status code' },
  'data-after-close': { rfc: '6455 5.5.1', summary: 'a frame was sent after this side sent a close frame' },
  // RFC 6455 §7.4: status codes
  'invalid-close-code': { rfc: '6455 7.4', summary: 'the close status code may not be sent on the wire' },
  // RFC 6455 §8.1: text must be UTF-8
  'invalid-utf8': { rfc: '6455 8.1', summary: 'text is not valid UTF-8' },
  // RFC 7692: permessage-deflate
  'compressed-control-frame': { rfc: '7692 6.1', summary: 'a control frame has RSV1 (compressed) set' },
  'inflate-failed': { rfc: '7692 7.2.2', summary: 'a compressed message could not be inflated' },
} as const;

export type ViolationRule = keyof typeof VIOLATION_RULES;
