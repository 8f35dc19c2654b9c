import { createRequire } from 'node:module';
import type * as ProtobufMinimal from 'protobufjs/minimal.js';
import { base64Value, type Base64Value } from '../binary-value.js';
import { FormatError } from './json-safe.js';

// Loaded on first use: importing protobufjs costs 25-35 ms and 1.3 MB of heap (its minimal build,
// which has the Reader, 15-22 ms and 0.65 MB; Node 20, a shared 2-core machine), which a run that
// never reads Protobuf should not pay. protobufjs is CommonJS.
const require = createRequire(import.meta.url);
let minimal: typeof ProtobufMinimal | null = null;

/** Loads protobufjs's minimal build (the wire Reader) once. */
export function protobufMinimal(): typeof ProtobufMinimal {
  return (minimal ??= require('protobufjs/minimal.js') as typeof ProtobufMinimal);
}

/** The wire types (protobuf.dev "Encoding": VARINT, I64, LEN, SGROUP, EGROUP, I32), as entries name them. */
export type WireType = 'varint' | 'i64' | 'len' | 'group' | 'i32';

/**
 * One field of a message read without its schema, as `protoc --decode_raw` does:
 * - `varint`: the unsigned value (an int32, int64, uint, bool or enum; sint* are zigzagged);
 * - `i64` / `i32`: the unsigned value, and the same bits read as `double` / `float`;
 * - `len`: printable UTF-8 as a string; else, when the bytes parse completely as a message, its
 *   fields with `guessed: "message"` (a guess: bytes or a string may parse as one too); else a
 *   UTF-8 string; else `{"base64":…}`;
 * - `group` (the deprecated SGROUP … EGROUP): its fields.
 * Integers beyond ±2^53 are decimal strings, NaN and ±Infinity strings.
 */
export interface WireField {
  field: number;
  wire: WireType;
  value: number | string | WireField[] | Base64Value;
  double?: number | string;
  float?: number | string;
  guessed?: 'message';
}

/** Nested messages read inside one another; deeper length-delimited fields are left as bytes or text. */
export const MAX_NESTING = 32;

/** The fields of one whole Protobuf message, read without its schema. Throws FormatError on bytes that are not one. */
export function decodeProtobufWire(bytes: Uint8Array): WireField[] {
  try {
    return readMessage(bytes, 0);
  } catch (err) {
    if (err instanceof FormatError) throw err;
    throw new FormatError(`not Protobuf: ${(err as Error).message}`);
  }
}

type Reader = ProtobufMinimal.Reader;

function readMessage(bytes: Uint8Array, depth: number): WireField[] {
  return readFields(protobufMinimal().Reader.create(bytes), depth, null);
}

/** Fields up to the end of the reader, or up to the EGROUP of `group` (its field number). */
function readFields(reader: Reader, depth: number, group: number | null): WireField[] {
  const fields: WireField[] = [];
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 0) throw new FormatError('not Protobuf: field number 0');
    switch (wire) {
      case 0:
        fields.push({ field, wire: 'varint', value: unsigned(reader.uint64()) });
        break;
      case 1: {
        const start = reader.pos;
        const value = unsigned(reader.fixed64());
        reader.pos = start;
        fields.push({ field, wire: 'i64', value, double: finite(reader.double()) });
        break;
      }
      case 2:
        fields.push({ field, wire: 'len', ...lengthDelimited(reader.bytes(), depth) });
        break;
      case 3:
        if (depth >= MAX_NESTING) throw new FormatError(`not Protobuf: groups nested deeper than ${MAX_NESTING} levels`);
        fields.push({ field, wire: 'group', value: readFields(reader, depth + 1, field) });
        break;
      case 4:
        if (group !== field) throw new FormatError(`not Protobuf: end of group ${field} where none is open`);
        return fields;
      case 5: {
        const start = reader.pos;
        const value = reader.fixed32();
        reader.pos = start;
        fields.push({ field, wire: 'i32', value, float: finite(reader.float()) });
        break;
      }
      default:
        throw new FormatError(`not Protobuf: wire type ${wire} (field ${field})`);
    }
  }
  if (group !== null) throw new FormatError(`not Protobuf: group ${group} never ends`);
  return fields;
}

function lengthDelimited(bytes: Uint8Array, depth: number): Pick<WireField, 'value' | 'guessed'> {
  const text = utf8(bytes);
  if (text !== null && isPrintable(text)) return { value: text };
  if (depth + 1 < MAX_NESTING && bytes.length > 0) {
    try {
      return { value: readMessage(bytes, depth + 1), guessed: 'message' };
    } catch {
      // not a message: text or bytes
    }
  }
  return { value: text ?? base64Value(bytes) };
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * `bytes` as text when they are valid UTF-8, else null. Through TextDecoder, not decodeUtf8:
 * TextDecoder drops a leading byte-order mark, which decodeUtf8 keeps, and a string field has
 * always been shown without it.
 */
function utf8(bytes: Uint8Array): string | null {
  try {
    return decoder.decode(bytes);
  } catch {
    return null;
  }
}

/** Text a person wrote: no control characters but tab, line feed and carriage return, and no DEL (MQTT's `bytesValue` lets DEL through: not the same rule). */
function isPrintable(text: string): boolean {
  return !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text);
}

/** A Long (protobufjs reads 64-bit values as long.js Longs) or number as a number when exact, else a decimal string. */
function unsigned(v: { toString(): string } | number): number | string {
  if (typeof v === 'number') return v;
  const s = v.toString();
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : s;
}

function finite(n: number): number | string {
  return Number.isFinite(n) ? n : String(n);
}
