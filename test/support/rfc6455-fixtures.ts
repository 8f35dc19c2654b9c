// Fixed bytes and tables from RFC 6455 (and RFC 7692) for the decoder, handshake and record tests.

import type { ViolationRule } from '../../core/websocket/violation-rules.js';

/** Bytes from hex digits; white space between them is ignored. */
export const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** The request headers of the RFC 6455 §1.3 opening handshake, in order. */
export const RFC_REQUEST_HEADERS: ReadonlyArray<[string, string]> = [
  ['Host', 'server.example.com'],
  ['Upgrade', 'websocket'],
  ['Connection', 'Upgrade'],
  ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
  ['Origin', 'http://example.com'],
  ['Sec-WebSocket-Protocol', 'chat, superchat'],
  ['Sec-WebSocket-Version', '13'],
];

/** The response headers of the RFC 6455 §1.3 opening handshake (a 101), in order. */
export const RFC_RESPONSE_HEADERS: ReadonlyArray<[string, string]> = [
  ['Upgrade', 'websocket'],
  ['Connection', 'Upgrade'],
  ['Sec-WebSocket-Accept', 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='],
  ['Sec-WebSocket-Protocol', 'chat'],
];

/** Headers other than Origin and Sec-WebSocket-Protocol: the handshake without origin or subprotocol. */
const minimal = (headers: ReadonlyArray<[string, string]>) => headers.filter(([name]) => name !== 'Origin' && name !== 'Sec-WebSocket-Protocol');

const head = (startLine: string, headers: ReadonlyArray<[string, string]>): string =>
  `${startLine}\r\n${headers.map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`;

/** The RFC 6455 §1.3 opening request, as text. */
export const RFC_REQUEST = head('GET /chat HTTP/1.1', RFC_REQUEST_HEADERS);
/** The RFC 6455 §1.3 101 response, as text. */
export const RFC_RESPONSE = head('HTTP/1.1 101 Switching Protocols', RFC_RESPONSE_HEADERS);
/** The RFC 6455 §1.3 request without Origin and Sec-WebSocket-Protocol. */
export const RFC_REQUEST_MINIMAL = head('GET /chat HTTP/1.1', minimal(RFC_REQUEST_HEADERS));
/** The RFC 6455 §1.3 response without Sec-WebSocket-Protocol. */
export const RFC_RESPONSE_MINIMAL = head('HTTP/1.1 101 Switching Protocols', minimal(RFC_RESPONSE_HEADERS));

/** RFC 6455 §5.7: "Hello" masked with key 37fa213d, as a client sends it (hex). */
export const CLIENT_HELLO_HEX = '81 85 37 fa 21 3d 7f 9f 4d 51 58';
/** RFC 6455 §5.7: "Hello" unmasked, as a server sends it (hex). */
export const SERVER_HELLO_HEX = '81 05 48 65 6c 6c 6f';

/**
 * The RFC number and section each violation rule cites, as README's table states them; written out
 * here, not read from the code, so a changed table in the code fails the tests.
 */
export const RULE_RFC_SECTIONS: Readonly<Record<ViolationRule, string>> = {
  'malformed-handshake': '6455 4.1',
  'bad-accept': '6455 4.1',
  'client-frame-unmasked': '6455 5.1',
  'server-frame-masked': '6455 5.1',
  'rsv-bit-without-extension': '6455 5.2',
  'unknown-opcode': '6455 5.2',
  'non-minimal-length': '6455 5.2',
  'invalid-length': '6455 5.2',
  'unexpected-continuation': '6455 5.4',
  'interleaved-data-frame': '6455 5.4',
  'control-frame-too-long': '6455 5.5',
  'control-frame-fragmented': '6455 5.5',
  'close-payload-too-short': '6455 5.5.1',
  'data-after-close': '6455 5.5.1',
  'invalid-close-code': '6455 7.4',
  'invalid-utf8': '6455 8.1',
  'compressed-control-frame': '7692 6.1',
  'inflate-failed': '7692 7.2.2',
};
