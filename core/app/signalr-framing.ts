/** The record separator that ends every JSON record of SignalR: the handshake, and the JSON hub protocol's messages (HubProtocol.md, "JSON Encoding"). */
export const RECORD_SEPARATOR = 0x1e;

/** Records read from the start of a WebSocket message, and the bytes after the last whole one. */
export interface Split<T> {
  records: T[];
  /** Bytes that no whole record holds: empty when the message ends on a record boundary. */
  rest: Uint8Array;
}

/** The JSON records (each without its 0x1E) at the start of `bytes`. */
export function splitJsonRecords(bytes: Uint8Array): Split<Uint8Array> {
  const records: Uint8Array[] = [];
  let start = 0;
  for (let end = bytes.indexOf(RECORD_SEPARATOR); end !== -1; end = bytes.indexOf(RECORD_SEPARATOR, start)) {
    records.push(bytes.subarray(start, end));
    start = end + 1;
  }
  return { records, rest: bytes.subarray(start) };
}

/** A length prefix longer than this many bytes is not one: it encodes at most 2^31 - 1 (HubProtocol.md, "VarInt"). */
const MAX_PREFIX_BYTES = 5;
const MAX_LENGTH = 0x7fffffff;

/**
 * The MessagePack hub protocol's messages (HubProtocol.md, "Binary encoding": each body after its
 * length as a VarInt, 7 bits a byte, least significant first) at the start of `bytes`. A prefix
 * that no length can have ends the reading: `invalid` says so, and `rest` starts at it.
 */
export function splitLengthPrefixed(bytes: Uint8Array): Split<Uint8Array> & { invalid: boolean } {
  const records: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    let length = 0;
    let i = 0;
    let done = false;
    while (!done && i < MAX_PREFIX_BYTES && at + i < bytes.length) {
      const b = bytes[at + i]!;
      length += (b & 0x7f) * 2 ** (7 * i);
      done = b < 0x80;
      i++;
    }
    if (!done) return { records, rest: bytes.subarray(at), invalid: i === MAX_PREFIX_BYTES };
    if (length > MAX_LENGTH) return { records, rest: bytes.subarray(at), invalid: true };
    if (at + i + length > bytes.length) break;
    records.push(bytes.subarray(at + i, at + i + length));
    at += i + length;
  }
  return { records, rest: bytes.subarray(at), invalid: false };
}
