/** Splits one direction of a TLS connection into records (RFC 8446 §5.1, RFC 5246 §6.2). Sans-IO. */

/** One TLS record as it was on the wire. */
export interface TlsRecord {
  /** ContentType: 20 change_cipher_spec, 21 alert, 22 handshake, 23 application_data. */
  type: number;
  /** legacy_record_version, e.g. 0x0303. */
  version: number;
  /** The record's 5-byte header (the TLS 1.3 AEAD's additional data). */
  header: Buffer;
  /** The fragment (ciphertext once protection is on). */
  fragment: Buffer;
}

/** The largest fragment any version allows: 2^14 + 2048 (TLS 1.2 ciphertext, RFC 5246 §6.2.3). */
export const MAX_FRAGMENT = 16384 + 2048;

/**
 * Accumulates bytes and returns whole records. A header that is not TLS (unknown content type,
 * a major version other than 3, a fragment above `MAX_FRAGMENT`) is returned as an error string.
 */
export class TlsRecordReader {
  private pending: Buffer = Buffer.alloc(0);

  /** Adds bytes; returns the records now complete, or why the stream is not TLS. */
  push(bytes: Buffer): TlsRecord[] | string {
    this.pending = this.pending.length === 0 ? bytes : Buffer.concat([this.pending, bytes]);
    const records: TlsRecord[] = [];
    let at = 0;
    while (this.pending.length - at >= 5) {
      const type = this.pending[at]!;
      const version = this.pending.readUInt16BE(at + 1);
      const length = this.pending.readUInt16BE(at + 3);
      if (type < 20 || type > 24 || version >> 8 !== 3) return `not a TLS record header: ${this.pending.subarray(at, at + 5).toString('hex')}`;
      if (length > MAX_FRAGMENT) return `a TLS record of ${length} bytes, above the limit of ${MAX_FRAGMENT}`;
      if (this.pending.length - at < 5 + length) break;
      records.push({ type, version, header: this.pending.subarray(at, at + 5), fragment: this.pending.subarray(at + 5, at + 5 + length) });
      at += 5 + length;
    }
    this.pending = this.pending.subarray(at);
    return records;
  }
}
