/**
 * OpenSSL's `subject_hash_old` of a certificate: the name Android's system CA store gives a
 * certificate's file (`<hash>.0` in /system/etc/security/cacerts).
 */
import crypto from 'node:crypto';

/** A DER element's extent: where its content starts and where the element ends. */
interface Element {
  tag: number;
  start: number;
  contentStart: number;
  end: number;
}

/** Reads the DER element at `at` (X.690 §8.1: identifier, definite length, content); null when it runs past `end`. */
function element(der: Buffer, at: number, end: number): Element | null {
  if (at + 2 > end) return null;
  const tag = der[at]!;
  let length = der[at + 1]!;
  let contentStart = at + 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0 || octets > 4 || contentStart + octets > end) return null;
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + der[contentStart + i]!;
    contentStart += octets;
  }
  return contentStart + length > end ? null : { tag, start: at, contentStart, end: contentStart + length };
}

/**
 * The subject name's DER bytes as they stand in the certificate: the sixth field of the
 * TBSCertificate (RFC 5280 §4.1), or the fifth when the optional `[0]` version is absent.
 * Null when the bytes are not a certificate.
 */
export function subjectDer(certDer: Buffer): Buffer | null {
  const cert = element(certDer, 0, certDer.length);
  if (!cert || cert.tag !== 0x30) return null;
  const tbs = element(certDer, cert.contentStart, cert.end);
  if (!tbs || tbs.tag !== 0x30) return null;
  let at = tbs.contentStart;
  const first = element(certDer, at, tbs.end);
  // [0] EXPLICIT version, then serialNumber, signature, issuer, validity, subject.
  let skip = first?.tag === 0xa0 ? 5 : 4;
  for (; skip > 0; skip--) {
    const field = element(certDer, at, tbs.end);
    if (!field) return null;
    at = field.end;
  }
  const subject = element(certDer, at, tbs.end);
  return subject && subject.tag === 0x30 ? certDer.subarray(subject.start, subject.end) : null;
}

/**
 * `openssl x509 -subject_hash_old`: the first four bytes of the MD5 of the DER-encoded subject,
 * read little-endian, as 8 lowercase hex digits (OpenSSL's X509_NAME_hash_old). Null when the
 * bytes are not a certificate.
 */
export function subjectHashOld(certDer: Buffer): string | null {
  const subject = subjectDer(certDer);
  if (!subject) return null;
  return crypto.createHash('md5').update(subject).digest().readUInt32LE(0).toString(16).padStart(8, '0');
}
