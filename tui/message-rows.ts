import { RSV } from '../core/message-decoder.js';
import type { FrameRecord, MessageRecord, ViolationRecord } from '../core/session-record.js';
import type { ConnectionSummary, StoredRecord } from '../core/session-store.js';

/** One message in the list, with what the store linked to it. */
export interface MessageRow {
  /** Arrival order, from 1; never reused. */
  seq: number;
  record: MessageRecord;
  frames: FrameRecord[];
  violations: ViolationRecord[];
  stored: StoredRecord;
  /** The payload (text, base64 or bytes) was dropped from memory to stay within the payload budget. */
  payloadDropped: boolean;
}

const KINDS = ['text', 'binary', 'ping', 'pong', 'close'] as const;
const KIND_INDEX: Record<string, number> = { text: 0, binary: 1, ping: 2, pong: 3, close: 4 };
/** Which field holds the payload. */
const enum Payload { None, Text, Base64, Bytes, Close }
/** Bits of `flags`. */
const enum Flag { Server = 1, Compressed = 2, Truncated = 4, Incomplete = 8, Dropped = 16, Rtt = 32 }
/** Bits of `frameBits`; the RSV pattern (an index into RSV) sits above them. */
const enum FrameBit { Fin = 1, Masked = 2, HasMask = 4, RsvShift = 3 }
const NONE: never[] = [];

/** A row kept as the objects it came in, for shapes the columns don't hold. */
interface Whole {
  record: MessageRecord;
  frames: FrameRecord[];
  violations: ViolationRecord[];
}

/**
 * The rows the message list keeps, `capacity` of them by slot, stored as columns rather than
 * objects. A row kept as objects (a record, its frames, the arrays and the stored-record wrapper)
 * lives long enough to be promoted to the old generation and dies there when the ring drops it:
 * with 100,000 rows that filled the heap with garbage between major collections (peak RSS 371 MB for
 * 64-byte messages). In columns, only payload strings stay on the heap; a row is put together again,
 * equal to what was added, when it is drawn, filtered or saved. Rows of unusual shape (several
 * frames, violations, fields the log format doesn't define) keep their objects.
 */
export class MessageRows {
  private readonly seq: Float64Array;
  private readonly ts: Float64Array;
  private readonly conn: Float64Array;
  private readonly length: Float64Array;
  private readonly wireLength: Float64Array;
  private readonly frameCount: Float64Array;
  private readonly rtt: Float64Array;
  private readonly closeCode: Int32Array;
  private readonly kind: Uint8Array;
  private readonly payloadKind: Uint8Array;
  private readonly flags: Uint8Array;
  private readonly payload: Array<string | Buffer | undefined>;
  private readonly connection: Array<ConnectionSummary | null>;
  /** The one frame of a single-frame row without violations. */
  private readonly frameTs: Float64Array;
  private readonly frameLength: Float64Array;
  private readonly frameMask: Uint32Array;
  private readonly frameOpcode: Uint8Array;
  private readonly frameBits: Uint8Array;
  private readonly whole: Array<Whole | undefined>;

  constructor(readonly capacity: number) {
    const n = Math.max(1, capacity);
    this.seq = new Float64Array(n);
    this.ts = new Float64Array(n);
    this.conn = new Float64Array(n);
    this.length = new Float64Array(n);
    this.wireLength = new Float64Array(n);
    this.frameCount = new Float64Array(n);
    this.rtt = new Float64Array(n);
    this.closeCode = new Int32Array(n);
    this.kind = new Uint8Array(n);
    this.payloadKind = new Uint8Array(n);
    this.flags = new Uint8Array(n);
    this.payload = new Array(n).fill(undefined);
    this.connection = new Array(n).fill(null);
    this.frameTs = new Float64Array(n);
    this.frameLength = new Float64Array(n);
    this.frameMask = new Uint32Array(n);
    this.frameOpcode = new Uint8Array(n);
    this.frameBits = new Uint8Array(n);
    this.whole = new Array(n).fill(undefined);
  }

  /** Puts row `seq` (a message record from the store) in its slot, replacing what was there. */
  set(seq: number, stored: StoredRecord): void {
    const r = stored.record as MessageRecord;
    const i = seq % this.seq.length;
    this.seq[i] = seq;
    this.connection[i] = stored.connection;
    const frame = stored.frames.length === 1 ? stored.frames[0]! : null;
    if (!frame || stored.violations.length > 0 || !isPlainMessage(r) || !isPlainFrame(frame, r)) {
      this.whole[i] = { record: r, frames: stored.frames, violations: stored.violations };
      this.payload[i] = undefined;
      return;
    }
    this.whole[i] = undefined;
    this.ts[i] = r.ts;
    this.conn[i] = r.conn;
    this.length[i] = r.length;
    this.wireLength[i] = r.wireLength;
    this.frameCount[i] = r.frames;
    this.kind[i] = KIND_INDEX[r.kind]!;
    this.flags[i] = (r.from === 'server' ? Flag.Server : 0) | (r.compressed ? Flag.Compressed : 0) | (r.truncated ? Flag.Truncated : 0)
      | (r.incomplete ? Flag.Incomplete : 0) | (r.rtt !== undefined ? Flag.Rtt : 0);
    this.rtt[i] = r.rtt ?? 0;
    if (r.close !== undefined) {
      this.payloadKind[i] = Payload.Close;
      this.closeCode[i] = r.close.code ?? -1;
      this.payload[i] = r.close.reason;
    } else if (r.text !== undefined) {
      this.payloadKind[i] = Payload.Text;
      this.payload[i] = r.text;
    } else if (r.base64 !== undefined) {
      this.payloadKind[i] = Payload.Base64;
      this.payload[i] = r.base64;
    } else if (r.bytes !== undefined) {
      this.payloadKind[i] = Payload.Bytes;
      this.payload[i] = r.bytes;
    } else {
      this.payloadKind[i] = Payload.None;
      this.payload[i] = undefined;
    }
    this.frameTs[i] = frame.ts;
    this.frameLength[i] = frame.length;
    this.frameOpcode[i] = frame.opcode;
    this.frameMask[i] = frame.mask === null ? 0 : parseInt(frame.mask, 16);
    const rsv = (frame.rsv[0] ? 4 : 0) | (frame.rsv[1] ? 2 : 0) | (frame.rsv[2] ? 1 : 0);
    this.frameBits[i] = (frame.fin ? FrameBit.Fin : 0) | (frame.masked ? FrameBit.Masked : 0) | (frame.mask !== null ? FrameBit.HasMask : 0) | (rsv << FrameBit.RsvShift);
  }

  /** Empties the slot of row `seq` (if it still holds it). */
  clear(seq: number): void {
    const i = seq % this.seq.length;
    if (this.seq[i] !== seq) return;
    this.seq[i] = 0;
    this.payload[i] = undefined;
    this.connection[i] = null;
    this.whole[i] = undefined;
  }

  /** Row `seq`, put together again; undefined when its slot no longer holds it. */
  get(seq: number): MessageRow | undefined {
    const i = seq % this.seq.length;
    if (this.seq[i] !== seq) return undefined;
    const whole = this.whole[i];
    const dropped = (this.flags[i]! & Flag.Dropped) !== 0;
    if (whole) {
      const stored: StoredRecord = { record: whole.record, connection: this.connection[i]!, frames: whole.frames, violations: whole.violations };
      return { seq, record: whole.record, frames: whole.frames, violations: whole.violations, stored, payloadDropped: dropped };
    }
    const record = this.record(i);
    const frames = [this.frame(i, record)];
    const stored: StoredRecord = { record, connection: this.connection[i]!, frames, violations: NONE };
    return { seq, record, frames, violations: NONE, stored, payloadDropped: dropped };
  }

  /** Characters (or bytes) of payload row `seq` holds in memory. */
  payloadSize(seq: number): number {
    const i = seq % this.seq.length;
    if (this.seq[i] !== seq) return 0;
    const whole = this.whole[i];
    if (whole) {
      const r = whole.record;
      return (r.text?.length ?? 0) + (r.base64?.length ?? 0) + (r.bytes?.length ?? 0);
    }
    const k = this.payloadKind[i];
    return k === Payload.Text || k === Payload.Base64 || k === Payload.Bytes ? this.payload[i]!.length : 0;
  }

  /** Lets go of row `seq`'s payload (text, base64 or bytes); the rest of the row stays. */
  dropPayload(seq: number): void {
    const i = seq % this.seq.length;
    if (this.seq[i] !== seq || (this.flags[i]! & Flag.Dropped) !== 0) return;
    this.flags[i]! |= Flag.Dropped;
    const whole = this.whole[i];
    if (whole) {
      const { text: _text, base64: _base64, bytes: _bytes, ...rest } = whole.record;
      whole.record = rest;
    } else if (this.payloadKind[i] !== Payload.Close) {
      this.payloadKind[i] = Payload.None;
      this.payload[i] = undefined;
    }
  }

  /** The message record of a columnar slot, with its fields in `messageRecord`'s order. */
  private record(i: number): MessageRecord {
    const f = this.flags[i]!;
    const r: MessageRecord = {
      type: 'message', conn: this.conn[i]!, ts: this.ts[i]!, from: f & Flag.Server ? 'server' : 'client', kind: KINDS[this.kind[i]!]!,
      length: this.length[i]!, wireLength: this.wireLength[i]!, frames: this.frameCount[i]!,
      compressed: (f & Flag.Compressed) !== 0, truncated: (f & Flag.Truncated) !== 0,
    };
    const payload = this.payload[i];
    switch (this.payloadKind[i]) {
      case Payload.Close: r.close = { code: this.closeCode[i] === -1 ? null : this.closeCode[i]!, reason: payload as string }; break;
      case Payload.Text: r.text = payload as string; break;
      case Payload.Base64: r.base64 = payload as string; break;
      case Payload.Bytes: r.bytes = payload as Buffer; break;
    }
    if (f & Flag.Incomplete) r.incomplete = true;
    if (f & Flag.Rtt) r.rtt = this.rtt[i]!;
    return r;
  }

  private frame(i: number, r: MessageRecord): FrameRecord {
    const b = this.frameBits[i]!;
    return {
      type: 'frame', conn: r.conn, ts: this.frameTs[i]!, from: r.from, fin: (b & FrameBit.Fin) !== 0,
      rsv: RSV[b >> FrameBit.RsvShift]!,
      opcode: this.frameOpcode[i]!, masked: (b & FrameBit.Masked) !== 0,
      mask: b & FrameBit.HasMask ? this.frameMask[i]!.toString(16).padStart(8, '0') : null, length: this.frameLength[i]!,
    };
  }
}

/** A record the columns hold exactly: only the log format's fields, one payload field, a close code that fits. */
function isPlainMessage(r: MessageRecord): boolean {
  const payloads = (r.text !== undefined ? 1 : 0) + (r.base64 !== undefined ? 1 : 0) + (r.bytes !== undefined ? 1 : 0) + (r.close !== undefined ? 1 : 0);
  // Ten fields every message record has, the payload field, and the optional ones: any other key is one the columns would lose.
  if (keyCount(r) !== 10 + payloads + (r.incomplete !== undefined ? 1 : 0) + (r.rtt !== undefined ? 1 : 0)) return false;
  if (payloads > 1 || KIND_INDEX[r.kind] === undefined || (r.incomplete !== undefined && r.incomplete !== true)) return false;
  return r.close === undefined || r.close.code === null || (Number.isInteger(r.close.code) && r.close.code >= 0 && r.close.code < 2 ** 31);
}

/** A frame record the columns hold exactly: the message's sender and connection, a mask of 8 lowercase hex digits or none. */
function isPlainFrame(f: FrameRecord, r: MessageRecord): boolean {
  return f.conn === r.conn && f.from === r.from && Number.isInteger(f.opcode) && f.opcode >= 0 && f.opcode <= 255
    && (f.mask === null || MASK.test(f.mask)) && keyCount(f) === 10;
}

const MASK = /^[0-9a-f]{8}$/;

function keyCount(o: object): number {
  let n = 0;
  for (const _ in o) n++;
  return n;
}
