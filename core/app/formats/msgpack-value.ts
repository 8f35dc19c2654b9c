import { createRequire } from 'node:module';
import type * as Msgpack from '@msgpack/msgpack';
import { base64Of } from '../binary-value.js';
import { FormatError, keyText, toJsonSafe } from './json-safe.js';

// Loaded on first use: importing @msgpack/msgpack costs 11-17 ms and 0.75 MB of heap (Node 20, a
// shared 2-core machine), which a run that never meets MessagePack should not pay.
const require = createRequire(import.meta.url);
let library: typeof Msgpack | null = null;
let decoder: Msgpack.Decoder | null = null;

/** MessagePack's timestamp extension type (spec: "Timestamp extension type"). */
const TIMESTAMP = -1;

/**
 * Extension types (spec: "ext format family") as `{"ext":type,"base64":data}`; a timestamp (type
 * -1) also as `"timestamp"`, an ISO 8601 string, when a Date holds it exactly (whole milliseconds).
 */
const extensions: Msgpack.ExtensionCodecType<undefined> = {
  tryToEncode: () => null,
  decode(data, type) {
    const ext: { ext: number; base64: string; timestamp?: string } = { ext: type, base64: base64Of(data) };
    if (type === TIMESTAMP) {
      const iso = timestamp(data);
      if (iso !== null) ext.timestamp = iso;
    }
    return ext;
  },
};

function timestamp(data: Uint8Array): string | null {
  try {
    const { sec, nsec } = library!.decodeTimestampToTimeSpec(data);
    if (nsec % 1e6 !== 0) return null;
    const date = new Date(sec * 1000 + nsec / 1e6);
    return Number.isNaN(date.getTime()) ? null : date.toISOString();
  } catch {
    return null;
  }
}

function msgpackDecoder(): Msgpack.Decoder {
  if (decoder === null) {
    library = require('@msgpack/msgpack') as typeof Msgpack;
    decoder = new library.Decoder({
      extensionCodec: extensions,
      useBigInt64: true,
      // Keys that are not strings (numbers, binary, arrays…) become text, as toJsonSafe writes them.
      mapKeyConverter: (key) => keyText(key),
    });
  }
  return decoder;
}

/**
 * One whole MessagePack document as a JSON-safe value (see `toJsonSafe`; extension types as
 * `{"ext":type,"base64":…}`). Throws FormatError when the bytes are not exactly one document.
 */
export function decodeMsgpack(bytes: Uint8Array): unknown {
  let decoded: unknown;
  try {
    decoded = msgpackDecoder().decode(bytes);
  } catch (err) {
    throw new FormatError(`not MessagePack: ${(err as Error).message}`);
  }
  return toJsonSafe(decoded);
}

/** True when `bytes` decode completely as one MessagePack map or array: what a connection's binary messages are sniffed by. */
export function isMsgpackDocument(bytes: Uint8Array): boolean {
  if (!startsContainer(bytes[0])) return false;
  try {
    decodeMsgpack(bytes);
    return true;
  } catch {
    return false;
  }
}

/** fixmap, fixarray, array 16/32, map 16/32 (spec: "Formats"). */
function startsContainer(b: number | undefined): boolean {
  return b !== undefined && ((b >= 0x80 && b <= 0x9f) || (b >= 0xdc && b <= 0xdf));
}
