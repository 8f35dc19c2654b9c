/** Reads what decryption needs from the ClientHello and ServerHello (RFC 8446 §4.1.2–4.1.3, RFC 5246 §7.4.1). Sans-IO. */

/** What the ClientHello says. */
export interface ClientHello {
  random: Buffer;
  /** The server_name extension's host_name (RFC 6066 §3), if any. */
  sni: string | null;
}

/** What the ServerHello says. */
export interface ServerHello {
  random: Buffer;
  /** The negotiated version: supported_versions' selected_version (RFC 8446 §4.2.1) if present, else legacy_version. */
  version: number;
  cipherSuite: number;
  /** A HelloRetryRequest (RFC 8446 §4.1.3): a ServerHello whose random is SHA-256("HelloRetryRequest"). */
  retry: boolean;
}

const HELLO_RETRY_RANDOM = 'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c';

/** A bounds-checked reader: every read past the end throws, and the parsers turn that into null. */
class Reader {
  at = 0;
  constructor(private readonly b: Buffer) {}
  bytes(n: number): Buffer {
    if (this.at + n > this.b.length) throw new RangeError('short');
    const out = this.b.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
  u8(): number { return this.bytes(1)[0]!; }
  u16(): number { return this.bytes(2).readUInt16BE(0); }
  vec8(): Buffer { return this.bytes(this.u8()); }
  vec16(): Buffer { return this.bytes(this.u16()); }
  get done(): boolean { return this.at >= this.b.length; }
}

/** Extensions as (type, data) pairs; an absent extensions block is none. */
function extensions(r: Reader): Array<[number, Buffer]> {
  if (r.done) return [];
  const block = new Reader(r.vec16());
  const out: Array<[number, Buffer]> = [];
  while (!block.done) out.push([block.u16(), block.vec16()]);
  return out;
}

/** Parses a ClientHello's body (after the 4-byte handshake header); null if it is malformed. */
export function parseClientHello(body: Buffer): ClientHello | null {
  try {
    const r = new Reader(body);
    r.u16();
    const random = Buffer.from(r.bytes(32));
    r.vec8();
    r.vec16();
    r.vec8();
    let sni: string | null = null;
    for (const [type, data] of extensions(r)) {
      if (type !== 0) continue;
      const list = new Reader(new Reader(data).vec16());
      while (!list.done) {
        const nameType = list.u8();
        const name = list.vec16();
        if (nameType === 0) sni = name.toString('latin1');
      }
    }
    return { random, sni };
  } catch {
    return null;
  }
}

/** Parses a ServerHello's body (after the 4-byte handshake header); null if it is malformed. */
export function parseServerHello(body: Buffer): ServerHello | null {
  try {
    const r = new Reader(body);
    let version = r.u16();
    const random = Buffer.from(r.bytes(32));
    r.vec8();
    const cipherSuite = r.u16();
    r.u8();
    for (const [type, data] of extensions(r)) if (type === 43 && data.length === 2) version = data.readUInt16BE(0);
    return { random, version, cipherSuite, retry: random.toString('hex') === HELLO_RETRY_RANDOM };
  } catch {
    return null;
  }
}
