import { parseClientHello } from './tls-hello.js';

/** Whether a stream's first bytes are a TLS handshake record (content type 22, version 3.x: RFC 8446 §5.1). */
export function startsWithTlsHandshake(b: Buffer): boolean {
  return b.length >= 2 && b[0] === 0x16 && b[1] === 0x03;
}

/**
 * The server name (SNI, RFC 6066 §3) a client's ClientHello asks for, read from the first bytes of
 * its stream: the name, null when the ClientHello has none (or is not one), or undefined while the
 * first TLS record is incomplete. Only a ClientHello that fits its first record is read.
 */
export function tlsServerName(b: Buffer): string | null | undefined {
  if (b.length < 5) return undefined;
  if (!startsWithTlsHandshake(b)) return null;
  const recordEnd = 5 + b.readUInt16BE(3);
  if (b.length < recordEnd) return undefined;
  const r = b.subarray(5, recordEnd);
  // Handshake header: type 1 (ClientHello), then a 3-byte length (RFC 8446 §4).
  if (r.length < 4 || r[0] !== 1) return null;
  return parseClientHello(r.subarray(4, 4 + r.readUIntBE(1, 3)))?.sni ?? null;
}
