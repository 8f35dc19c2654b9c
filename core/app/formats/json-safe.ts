import { base64Value } from '../binary-value.js';

/** Nesting a decoded payload may have; a deeper one is reported as unreadable (JSON writers and readers recurse). */
export const MAX_DEPTH = 100;

/** A payload that does not decode as its format says (thrown by the format modules, caught by the protocols). */
export class FormatError extends Error {}

/**
 * A decoded MessagePack / CBOR value made writable as JSON, the way every payload format shows
 * its values in an entry's `value`:
 * - integers beyond ±2^53 (bigint) as decimal strings; NaN, Infinity, -Infinity as those strings;
 * - binary (Uint8Array) as `{"base64":…}`; `undefined` as null;
 * - maps as objects; a key that is not a string is written as text: a number in decimal, any
 *   other key as its JSON (so `{1:"a"}` reads `{"1":"a"}`); when two keys write alike, the later wins.
 * Plain objects pass through with their values converted (the formats build `{"ext":…}` and
 * `{"tag":…}` as such). Deeper than MAX_DEPTH: FormatError.
 */
export function toJsonSafe(value: unknown, depth = 0): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return safeInteger(value);
    case 'undefined':
      return null;
    case 'object':
      break;
    default:
      return String(value);
  }
  if (value === null) return null;
  if (depth >= MAX_DEPTH) throw new FormatError(`nested deeper than ${MAX_DEPTH} levels`);
  if (value instanceof Uint8Array) return base64Value(value);
  if (Array.isArray(value)) return value.map((v) => toJsonSafe(v, depth + 1));
  const out: Record<string, unknown> = {};
  const entries = value instanceof Map ? value.entries() : Object.entries(value);
  for (const [k, v] of entries) put(out, keyText(k, depth + 1), toJsonSafe(v, depth + 1));
  return out;
}

/** A map key as an object key: strings as they are, numbers in decimal, anything else as its JSON. */
export function keyText(key: unknown, depth = 0): string {
  if (typeof key === 'string') return key;
  const safe = toJsonSafe(key, depth);
  return typeof safe === 'string' || typeof safe === 'number' ? String(safe) : JSON.stringify(safe);
}

/** A bigint as a number when it is one exactly, else as its decimal string. */
export function safeInteger(n: bigint): number | string {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
}

/** Sets an own property, `__proto__` included (a plain assignment would set the prototype). */
function put(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}
