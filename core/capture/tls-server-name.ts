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
  // Handshake: type 1 (ClientHello), 3-byte length, then (RFC 8446 §4.1.2) version, random, session id, cipher suites, compression, extensions.
  if (r.length < 4 || r[0] !== 1) return null;
  let at = 4 + 2 + 32;
  if (at + 1 > r.length) return null;
  at += 1 + r[at]!;
  if (at + 2 > r.length) return null;
  at += 2 + r.readUInt16BE(at);
  if (at + 1 > r.length) return null;
  at += 1 + r[at]!;
  if (at + 2 > r.length) return null;
  const extensionsEnd = Math.min(r.length, at + 2 + r.readUInt16BE(at));
  at += 2;
  while (at + 4 <= extensionsEnd) {
    const type = r.readUInt16BE(at);
    const length = r.readUInt16BE(at + 2);
    const body = r.subarray(at + 4, Math.min(at + 4 + length, extensionsEnd));
    if (type === 0) {
      // server_name_list: 2-byte length, then entries of type (0 = host_name), 2-byte length, name.
      for (let i = 2; i + 3 <= body.length;) {
        const nameLength = body.readUInt16BE(i + 1);
        if (body[i] === 0 && i + 3 + nameLength <= body.length) return body.subarray(i + 3, i + 3 + nameLength).toString('latin1');
        i += 3 + nameLength;
      }
      return null;
    }
    at += 4 + length;
  }
  return null;
}
