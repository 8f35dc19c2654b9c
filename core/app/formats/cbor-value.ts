// cborg is imported statically: it is an ES module only, and Node 20 before 20.19 cannot require()
// one, so it cannot be loaded on first use from synchronous code. Its import costs 20-30 ms and
// 0.9 MB of heap (Node 20, a shared 2-core machine).
import { decode, type TagDecoder } from 'cborg';
import { FormatError, safeInteger, toJsonSafe } from './json-safe.js';

/** Every tag (RFC 8949 3.4) as `{"tag":n,"value":content}`: none is interpreted, so none is refused. */
const tags = new Proxy({} as Record<number, TagDecoder>, {
  get: (_, n) => (typeof n === 'string' ? (content: Parameters<TagDecoder>[0]) => ({ tag: tagNumber(n), value: content() }) : undefined),
});

function tagNumber(n: string): number | string {
  return safeInteger(BigInt(n));
}

const OPTIONS = {
  useMaps: true, // keys of any type; toJsonSafe writes them as text
  tags,
  allowUndefined: true,
  allowInfinity: true,
  allowNaN: true,
  allowBigInt: true,
  allowIndefinite: true,
  strict: false,
};

/**
 * One whole CBOR data item (RFC 8949) as a JSON-safe value (see `toJsonSafe`; tags as
 * `{"tag":n,"value":…}`, simple values other than false/true/null/undefined refused by cborg).
 * Throws FormatError when the bytes are not exactly one data item.
 */
export function decodeCbor(bytes: Uint8Array): unknown {
  let decoded: unknown;
  try {
    decoded = decode(bytes, OPTIONS);
  } catch (err) {
    // cborg recurses per nesting level: a deep enough item overflows the stack, caught here too.
    throw new FormatError(`not CBOR: ${(err as Error).message}`);
  }
  return toJsonSafe(decoded);
}

/** True when `bytes` decode completely as one CBOR map or array (major types 4 and 5): what a connection's binary messages are sniffed by. */
export function isCborDocument(bytes: Uint8Array): boolean {
  const major = bytes[0] === undefined ? -1 : bytes[0] >> 5;
  if (major !== 4 && major !== 5) return false;
  try {
    decodeCbor(bytes);
    return true;
  } catch {
    return false;
  }
}
