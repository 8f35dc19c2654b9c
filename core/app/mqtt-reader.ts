import { decodeUtf8 } from '../websocket/utf8.js';
import { base64Value, type Base64Value } from './binary-value.js';

/** Thrown by `MqttReader` when a packet's fields run past its end or break a data-type rule; caught where a packet is parsed. */
export class MalformedPacket extends Error {}

/** Binary data as an entry shows it: the text when it reads as text, else `{"base64":…}`. */
export type BytesValue = string | Base64Value;

/** C0 controls other than tab, line feed and carriage return: bytes that text hardly holds and binary formats (Protobuf, …) often do. */
const BINARY_CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/;

/**
 * `bytes` as text when it is valid UTF-8 without binary control characters, else as `{"base64":…}`.
 * Stricter than STOMP's bodies (any valid UTF-8 is text there): an MQTT payload has no content type
 * to say it is text, and binary ones often decode as UTF-8.
 */
export function bytesValue(bytes: Buffer): BytesValue {
  const text = decodeUtf8(bytes);
  return text === null || BINARY_CONTROLS.test(text) ? base64Value(bytes) : text;
}

/**
 * Reads the data types of MQTT's packets (3.1.1 §1.5, v5 §1.5) from one whole packet, in order.
 * Every read checks the packet's end and throws `MalformedPacket` past it.
 */
export class MqttReader {
  private offset: number;

  constructor(private readonly bytes: Buffer, offset = 0) {
    this.offset = offset;
  }

  /** Bytes not read yet. */
  get left(): number {
    return this.bytes.length - this.offset;
  }

  u8(): number {
    this.need(1, 'a byte');
    return this.bytes[this.offset++]!;
  }

  /** Two Byte Integer, big-endian. */
  u16(): number {
    this.need(2, 'a two-byte integer');
    const v = this.bytes.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  /** Four Byte Integer, big-endian. */
  u32(): number {
    this.need(4, 'a four-byte integer');
    const v = this.bytes.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  /** Variable Byte Integer (v5 §1.5.5): at most four bytes, seven bits each, least significant first. */
  varint(): number {
    let value = 0;
    for (let i = 0; i < 4; i++) {
      const b = this.u8();
      value += (b & 0x7f) * 128 ** i;
      if ((b & 0x80) === 0) return value;
    }
    throw new MalformedPacket('a variable byte integer longer than four bytes');
  }

  /** Binary Data: a two-byte length and that many bytes. */
  binary(): Buffer {
    const n = this.u16();
    this.need(n, `${n} bytes of data`);
    const b = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return b;
  }

  /** UTF-8 Encoded String: binary data that must be well-formed UTF-8 (3.1.1 §1.5.3). */
  utf8(what: string): string {
    const s = decodeUtf8(this.binary());
    if (s === null) throw new MalformedPacket(`${what} is not valid UTF-8`);
    return s;
  }

  /** The bytes left, up to the packet's end. */
  rest(): Buffer {
    const b = this.bytes.subarray(this.offset);
    this.offset = this.bytes.length;
    return b;
  }

  private need(n: number, what: string): void {
    if (this.left < n) throw new MalformedPacket(`the packet ends where ${what} was due`);
  }
}
