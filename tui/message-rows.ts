import { isRequest, type AppEntry } from '../core/app/app-entry.js';
import { MESSAGE_KINDS, RSV } from '../core/websocket/events.js';
import { maskKeyValue } from '../core/log/parse-line.js';
import { appJson } from '../core/log/record-line.js';
import { MESSAGE_REQUIRED_FIELDS, type ActionRecord, type ErrorRecord, type FrameRecord, type MessageRecord, type ViolationRecord } from '../core/log/records.js';
import type { ConnectionSummary, StoredRecord } from '../core/store/session-store.js';
import { count } from './format.js';
import { PayloadStore } from './payload-store.js';

/** What the message list lists: messages, wspeek's own errors where they happened, and the messages wspeek sent itself (`injected`, `resent`). */
export type ListedRecord = MessageRecord | ErrorRecord | ActionRecord;

/** Whether an action record is a message wspeek sent itself, which the list shows as a row of its own. */
export function isOwnMessage(a: ActionRecord): boolean {
  return a.action === 'injected' || a.action === 'resent';
}

/** One message (or error) in the list, with what the store linked to it. */
export interface MessageRow<R extends ListedRecord = ListedRecord> {
  /** Arrival order, from 1; never reused. */
  seq: number;
  /** A `bytes` payload is a view into the message list's memory, valid until the next row is added: copy it to keep it. */
  record: R;
  frames: FrameRecord[];
  violations: ViolationRecord[];
  stored: StoredRecord;
  /** The payload (text, base64 or bytes) was dropped from memory to stay within the payload budget. */
  payloadDropped: boolean;
  /**
   * Set when the list keeps only the start of this message's payload (it was over LARGE_PAYLOAD):
   * the bytes kept (for text, of its UTF-8), and the record says `truncated: true`; the session
   * log (--save) has the payload as captured. Unset when the payload is kept whole.
   */
  payloadKept?: number;
}

/** Why a row's payload can't be taken whole (copied, written, edited, sent again) when the list keeps only its start; null when it keeps it whole. */
export function keptOnlyInPart(row: MessageRow): string | null {
  if (row.payloadKept === undefined) return null;
  return `the UI keeps only the first ${count(row.payloadKept)} B of payloads over ${count(LARGE_PAYLOAD)} B; the session log (--save) has it`;
}

/** A peer's message with a payload over this many bytes (characters, for text) keeps only its first PREFIX_BYTES in the list, once a newer row came. */
export const LARGE_PAYLOAD = 64 * 1024;
/** What the list keeps of a large payload: its first this many bytes (characters, for text), as many as the detail pane's hex dump shows. */
export const PREFIX_BYTES = 4 * 1024;
/** The prefixes of large payloads have a budget of their own, this fraction of the payload budget (2 MiB of 32: about the last 500 large messages). */
const PREFIX_BUDGET_SHARE = 1 / 16;

const KIND_INDEX: Record<string, number> = Object.fromEntries(MESSAGE_KINDS.map((kind, i) => [kind, i]));
/**
 * Which field holds the payload, and where it is: text, base64 and bytes in the payload store
 * (text as UTF-8, or as UTF-16 when it has lone surrogates, which UTF-8 can't carry), a close
 * reason in `closeReason`, a payload larger than the whole budget in `newestPayload`.
 */
const enum Payload { None, Text, Text16, Base64, Bytes, Close, Oversize }
/** Bits of `flags`; CompressedUnknown stands for `compressed: null` (a message read from HAR). */
const enum Flag { Server = 1, Compressed = 2, Truncated = 4, Incomplete = 8, Rtt = 16, CompressedUnknown = 32 }
/** Bits of `frameBits`; the RSV pattern (an index into RSV) sits above them. */
const enum FrameBit { Fin = 1, Masked = 2, HasMask = 4, RsvShift = 3 }
const NONE: never[] = [];
/** Decoded payloads kept for rows put together again: about two screens of rows, and at most this many characters. */
const DECODED_ROWS = 128;
const DECODED_CHARS = 4 * 1024 * 1024;

/** A row kept as the objects it came in, for shapes the columns don't hold; its payload field (if one) is in the payload store. */
interface Whole {
  record: ListedRecord;
  frames: FrameRecord[];
  violations: ViolationRecord[];
}

/** The payload fields the payload store holds. */
type PayloadField = 'text' | 'base64' | 'bytes';
/** A record with a payload field: a message, or a message wspeek sent. */
type WithPayload = Pick<MessageRecord, PayloadField>;

/**
 * The rows the message list keeps, `capacity` of them by slot, stored as columns rather than
 * objects. A row kept as objects (a record, its frame, the arrays and the stored-record wrapper)
 * lives long enough to be promoted to the old generation and dies there when the ring drops it:
 * with 100,000 rows that filled the heap with garbage between major collections (peak RSS 371 MB for
 * 64-byte messages). In columns, with the payloads in a PayloadStore of `payloadBudget` bytes, a
 * row keeps nothing on the heap; it is put together again, equal to what was added, when it is
 * drawn, filtered or saved. Once the store has let a row's payload go (the oldest go first) the
 * row comes back without it (`payloadDropped`); a payload larger than the whole budget stays
 * until the next row. A peer's payload over LARGE_PAYLOAD is whole while its row is the newest
 * (the view filters it then), then only its first PREFIX_BYTES, in a store of its own so that
 * large payloads never push small ones out (`payloadKept`): kept whole, 1 MiB messages filled the
 * 32 MiB budget and took the UI's peak RSS past 150 MB (bench/README.md, record 23). Application
 * entries are kept as JSON outside the heap too, the way the session log writes them.
 * Rows of unusual shape (several frames, violations, fields the log format doesn't define) keep
 * their objects, all but the payload.
 */
export class MessageRows {
  private readonly seq: Float64Array;
  /** The message record's own `seq` (per connection), not the row's. */
  private readonly recordSeq: Float64Array;
  private readonly ts: Float64Array;
  private readonly conn: Float64Array;
  private readonly length: Float64Array;
  /** NaN for null (unknown), as the record's own numbers are finite. */
  private readonly wireLength: Float64Array;
  /** NaN for null (unknown). */
  private readonly frameCount: Float64Array;
  private readonly rtt: Float64Array;
  private readonly closeCode: Int32Array;
  private readonly kind: Uint8Array;
  private readonly payloadKind: Uint8Array;
  private readonly flags: Uint8Array;
  /** Where the payload is in the payload store, and its bytes there. */
  private readonly payloadAt: Float64Array;
  private readonly payloadLength: Float64Array;
  private readonly closeReason: Array<string | undefined>;
  /**
   * What the application protocol read: the entries themselves when one is a request (the layer
   * marks it answered later, and the view must see that), else none here: they are in `apps`.
   */
  private readonly app: Array<AppEntry[] | undefined>;
  /** Where a row's application entries are in `apps`, as JSON, and its bytes there (-1: none there). */
  private readonly appAt: Float64Array;
  private readonly appLength: Float64Array;
  /**
   * Application entries as JSON (what the session log writes), outside the heap: kept as objects,
   * 100,000 rows of Socket.IO events held 30–40 MB of heap, promoted and dropped in turn.
   */
  private readonly apps: PayloadStore;
  private readonly connection: Array<ConnectionSummary | null>;
  /** The one frame of a single-frame row without violations. */
  private readonly frameTs: Float64Array;
  private readonly frameLength: Float64Array;
  private readonly frameMask: Uint32Array;
  private readonly frameOpcode: Uint8Array;
  private readonly frameBits: Uint8Array;
  private readonly whole: Array<Whole | undefined>;
  private readonly payloads: PayloadStore;
  /** The first PREFIX_BYTES of large payloads, within a budget of their own. */
  private readonly prefixes: PayloadStore;
  /** 1 where the slot's payload is a large payload's prefix, in `prefixes`. */
  private readonly prefixed: Uint8Array;
  /** Payload strings decoded lately, by seq, oldest first (see `decoded`). */
  private readonly recentlyDecoded = new Map<number, string>();
  private recentlyDecodedChars = 0;
  /**
   * The newest row's seq, and what it keeps as it came until the next row (the view tests a row as
   * it comes): its payload when larger than the whole budget or kept only in part, and its
   * application entries as objects (no parsing back what was just stored).
   */
  private newestSeq = -1;
  private newestPayload: { field: PayloadField; value: string | Buffer } | null = null;
  private newestApp: AppEntry[] | null = null;

  constructor(capacity: number, payloadBudget: number) {
    const n = Math.max(1, capacity);
    this.seq = new Float64Array(n);
    this.recordSeq = new Float64Array(n);
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
    this.payloadAt = new Float64Array(n);
    this.payloadLength = new Float64Array(n);
    this.closeReason = new Array(n).fill(undefined);
    this.app = new Array(n).fill(undefined);
    this.appAt = new Float64Array(n).fill(-1);
    this.appLength = new Float64Array(n);
    this.connection = new Array(n).fill(null);
    this.frameTs = new Float64Array(n);
    this.frameLength = new Float64Array(n);
    this.frameMask = new Uint32Array(n);
    this.frameOpcode = new Uint8Array(n);
    this.frameBits = new Uint8Array(n);
    this.whole = new Array(n).fill(undefined);
    this.payloads = new PayloadStore(payloadBudget);
    this.apps = new PayloadStore(payloadBudget);
    this.prefixes = new PayloadStore(Math.max(1, Math.floor(payloadBudget * PREFIX_BUDGET_SHARE)));
    this.prefixed = new Uint8Array(n);
  }

  /** Puts row `seq` (a message record from the store) in its slot, replacing what was there. */
  set(seq: number, stored: StoredRecord): void {
    const r = stored.record as ListedRecord;
    const i = seq % this.seq.length;
    this.seq[i] = seq;
    this.connection[i] = stored.connection;
    this.newestSeq = seq;
    this.newestPayload = null;
    this.newestApp = null;
    this.prefixed[i] = 0;
    this.closeReason[i] = undefined;
    this.app[i] = undefined;
    this.appAt[i] = -1;
    if (r.type === 'error') {
      this.whole[i] = { record: r, frames: NONE, violations: NONE };
      this.payloadKind[i] = Payload.None;
      return;
    }
    if (r.type === 'action') {
      const field = payloadField(r);
      let record: ActionRecord = r;
      if (field === 'text' || field === 'base64') {
        const { [field]: _payload, ...rest } = r;
        record = rest;
      }
      this.whole[i] = { record, frames: NONE, violations: NONE };
      this.storePayload(i, r, field);
      return;
    }
    const frame = stored.frames.length === 1 ? stored.frames[0]! : null;
    const mask = frame === null || frame.mask === null ? 0 : maskKeyValue(frame.mask);
    if (!frame || mask < 0 || stored.violations.length > 0 || !isPlainMessage(r) || !isPlainFrame(frame, r)) {
      const field = payloadField(r);
      let record = r;
      if (field) {
        const { [field]: _payload, ...rest } = r;
        record = rest;
      }
      this.whole[i] = { record, frames: stored.frames, violations: stored.violations };
      this.storePayload(i, r, field);
      return;
    }
    this.whole[i] = undefined;
    this.recordSeq[i] = r.seq;
    this.ts[i] = r.ts;
    this.conn[i] = r.conn;
    this.length[i] = r.length;
    this.wireLength[i] = r.wireLength ?? NaN;
    this.frameCount[i] = r.frames ?? NaN;
    this.kind[i] = KIND_INDEX[r.kind]!;
    this.flags[i] = (r.from === 'server' ? Flag.Server : 0) | (r.compressed === null ? Flag.CompressedUnknown : r.compressed ? Flag.Compressed : 0) | (r.truncated ? Flag.Truncated : 0)
      | (r.incomplete ? Flag.Incomplete : 0) | (r.rtt !== undefined ? Flag.Rtt : 0);
    this.rtt[i] = r.rtt ?? 0;
    if (r.app !== undefined) this.storeApp(i, r.app);
    if (r.close !== undefined) {
      this.payloadKind[i] = Payload.Close;
      this.closeCode[i] = r.close.code ?? -1;
      this.closeReason[i] = r.close.reason;
    } else this.storePayload(i, r, payloadField(r));
    this.frameTs[i] = frame.ts;
    this.frameLength[i] = frame.length;
    this.frameOpcode[i] = frame.opcode;
    this.frameMask[i] = mask;
    const rsv = (frame.rsv[0] ? 4 : 0) | (frame.rsv[1] ? 2 : 0) | (frame.rsv[2] ? 1 : 0);
    this.frameBits[i] = (frame.fin ? FrameBit.Fin : 0) | (frame.masked ? FrameBit.Masked : 0) | (frame.mask !== null ? FrameBit.HasMask : 0) | (rsv << FrameBit.RsvShift);
  }

  /**
   * Copies `r`'s payload `field` into the payload store (or, larger than the budget, keeps it as the
   * newest row's). A peer's message over LARGE_PAYLOAD keeps its first PREFIX_BYTES in the prefix
   * store, and its whole payload as the newest row's until the next row.
   */
  private storePayload(i: number, r: WithPayload & { type?: string }, field: PayloadField | null): void {
    if (field === null) {
      this.payloadKind[i] = Payload.None;
      return;
    }
    const large = r.type === 'message' && payloadSize(r, field) > LARGE_PAYLOAD;
    if (large) this.prefixed[i] = 1;
    const store = large ? this.prefixes : this.payloads;
    let kind: Payload;
    let at: number;
    if (field === 'text') {
      const text = large ? textPrefix(r.text!) : r.text!;
      const wellFormed = isWellFormed(text);
      kind = wellFormed ? Payload.Text : Payload.Text16;
      at = store.writeString(text, wellFormed ? 'utf8' : 'utf16le');
    } else if (field === 'base64') {
      kind = Payload.Base64;
      at = store.writeString(large ? r.base64!.slice(0, BASE64_PREFIX_CHARS) : r.base64!, 'latin1');
    } else {
      kind = Payload.Bytes;
      at = store.writeBytes(large ? r.bytes!.subarray(0, PREFIX_BYTES) : r.bytes!);
    }
    // Whole as the newest row's until the next row: a large payload, or one that didn't fit the store.
    if (large || at < 0) this.newestPayload = { field, value: r[field]! };
    this.payloadKind[i] = at < 0 ? Payload.Oversize : kind;
    this.payloadAt[i] = at;
    this.payloadLength[i] = store.written;
  }

  /** Keeps a row's application entries: as JSON in `apps`, unless one is a request (see `app`) or they don't fit. */
  private storeApp(i: number, app: AppEntry[]): void {
    this.newestApp = app;
    if (!app.some(isRequest)) {
      const at = this.apps.writeString(appJson(app), 'utf8');
      if (at >= 0) {
        this.appAt[i] = at;
        this.appLength[i] = this.apps.written;
        return;
      }
    }
    this.app[i] = app;
  }

  /** Empties the slot of row `seq` (if it still holds it). Rows are cleared oldest first, so the store can let their payloads go. */
  clear(seq: number): void {
    const i = seq % this.seq.length;
    if (this.seq[i] !== seq) return;
    const kind = this.payloadKind[i];
    if (kind === Payload.Text || kind === Payload.Text16 || kind === Payload.Base64 || kind === Payload.Bytes) {
      (this.prefixed[i] ? this.prefixes : this.payloads).release(this.payloadAt[i]! + this.payloadLength[i]!);
    }
    if (this.appAt[i]! >= 0) this.apps.release(this.appAt[i]! + this.appLength[i]!);
    this.seq[i] = 0;
    this.closeReason[i] = undefined;
    this.app[i] = undefined;
    this.appAt[i] = -1;
    this.connection[i] = null;
    this.whole[i] = undefined;
  }

  /**
   * The connection and the message record's seq of row `seq` (-1 and -1 for a row that is not a
   * peer's message, or no longer kept), without putting the row together.
   */
  messageKey(seq: number, out: { conn: number; seq: number }): void {
    out.conn = out.seq = -1;
    const i = seq % this.seq.length;
    if (this.seq[i] !== seq) return;
    const whole = this.whole[i];
    if (!whole) {
      out.conn = this.conn[i]!;
      out.seq = this.recordSeq[i]!;
    } else if (whole.record.type === 'message') {
      out.conn = whole.record.conn;
      out.seq = whole.record.seq;
    }
  }

  /** Row `seq`'s application entries (none for a row no longer kept), without putting the row together. */
  appOf(seq: number): AppEntry[] | undefined {
    const i = seq % this.seq.length;
    if (this.seq[i] !== seq) return undefined;
    const whole = this.whole[i];
    return whole ? (whole.record.type === 'message' ? whole.record.app : undefined) : this.appIn(i);
  }

  /** A columnar slot's application entries: the objects, or parsed again from `apps` (undefined once `apps` let them go). */
  private appIn(i: number): AppEntry[] | undefined {
    const at = this.appAt[i]!;
    if (at < 0) return this.app[i];
    if (this.newestApp !== null && this.newestSeq === this.seq[i]) return this.newestApp;
    return this.apps.holds(at) ? (JSON.parse(this.apps.readString(at, this.appLength[i]!, 'utf8')) as AppEntry[]) : undefined;
  }

  /** Row `seq`, put together again; undefined when its slot no longer holds it. */
  get(seq: number): MessageRow | undefined {
    const i = seq % this.seq.length;
    if (this.seq[i] !== seq) return undefined;
    const whole = this.whole[i];
    let record: ListedRecord;
    let frames: FrameRecord[];
    let violations: ViolationRecord[];
    if (whole) {
      record = this.payloadKind[i] === Payload.None ? whole.record : { ...whole.record };
      ({ frames, violations } = whole);
    } else {
      record = this.record(i);
      frames = [this.frame(i, record)];
      violations = NONE;
    }
    const payloadDropped = record.type !== 'error' && !this.addPayload(i, seq, record);
    const stored: StoredRecord = { record, connection: this.connection[i]!, frames, violations };
    const row: MessageRow = { seq, record, frames, violations, stored, payloadDropped };
    if (this.prefixed[i] && !payloadDropped && this.newestPayloadOf(seq) === null && record.type === 'message') {
      record.truncated = true;
      row.payloadKept = keptBytes(record);
    }
    return row;
  }

  /** Row `seq`'s payload as it came, if it is the newest row and kept one (see `newestSeq`). */
  private newestPayloadOf(seq: number): { field: PayloadField; value: string | Buffer } | null {
    return seq === this.newestSeq ? this.newestPayload : null;
  }

  /** Puts slot `i`'s payload (text, base64 or bytes) back into `r`; false when the store no longer holds it. */
  private addPayload(i: number, seq: number, r: WithPayload): boolean {
    const kind = this.payloadKind[i]!;
    if (kind === Payload.None || kind === Payload.Close) return true;
    const o = this.newestPayloadOf(seq);
    if (kind === Payload.Oversize || o !== null) {
      if (o === null) return false;
      if (o.field === 'bytes') r.bytes = o.value as Buffer;
      else r[o.field] = o.value as string;
      return true;
    }
    const store = this.prefixed[i] ? this.prefixes : this.payloads;
    const at = this.payloadAt[i]!;
    const n = this.payloadLength[i]!;
    if (n > 0 && !store.holds(at)) return false;
    switch (kind) {
      case Payload.Text: r.text = this.decoded(store, seq, at, n, 'utf8'); break;
      case Payload.Text16: r.text = this.decoded(store, seq, at, n, 'utf16le'); break;
      case Payload.Base64: r.base64 = this.decoded(store, seq, at, n, 'latin1'); break;
      case Payload.Bytes: r.bytes = store.viewBytes(at, n); break;
    }
    return true;
  }

  /**
   * Row `seq`'s payload as a string, from the last few decoded or decoded now: the rows on screen
   * are put together again every frame, and a large text decoded each time would cost more than
   * everything else the UI does.
   */
  private decoded(store: PayloadStore, seq: number, at: number, length: number, encoding: 'utf8' | 'utf16le' | 'latin1'): string {
    const cache = this.recentlyDecoded;
    let text = cache.get(seq);
    if (text !== undefined) {
      cache.delete(seq); // most recent last
    } else {
      text = store.readString(at, length, encoding);
      this.recentlyDecodedChars += text.length;
    }
    cache.set(seq, text);
    for (const [oldest, old] of cache) {
      if (cache.size <= DECODED_ROWS && this.recentlyDecodedChars <= DECODED_CHARS) break;
      cache.delete(oldest);
      this.recentlyDecodedChars -= old.length;
    }
    return text;
  }

  /** The message record of a columnar slot, with its fields in `messageRecord`'s order. */
  private record(i: number): MessageRecord {
    const f = this.flags[i]!;
    const wireLength = this.wireLength[i]!;
    const frames = this.frameCount[i]!;
    const r: MessageRecord = {
      type: 'message', conn: this.conn[i]!, seq: this.recordSeq[i]!, ts: this.ts[i]!, from: f & Flag.Server ? 'server' : 'client', kind: MESSAGE_KINDS[this.kind[i]!]!,
      length: this.length[i]!, wireLength: Number.isNaN(wireLength) ? null : wireLength, frames: Number.isNaN(frames) ? null : frames,
      compressed: f & Flag.CompressedUnknown ? null : (f & Flag.Compressed) !== 0, truncated: (f & Flag.Truncated) !== 0,
    };
    if (this.payloadKind[i] === Payload.Close) r.close = { code: this.closeCode[i] === -1 ? null : this.closeCode[i]!, reason: this.closeReason[i]! };
    if (f & Flag.Incomplete) r.incomplete = true;
    if (f & Flag.Rtt) r.rtt = this.rtt[i]!;
    const app = this.appIn(i);
    if (app !== undefined) r.app = app;
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
  const payloads = payloadFieldCount(r) + (r.close !== undefined ? 1 : 0);
  // The fields every message record has, the payload field, and the optional ones: any other key is one the columns would lose.
  const optional = (r.incomplete !== undefined ? 1 : 0) + (r.rtt !== undefined ? 1 : 0) + (r.app !== undefined ? 1 : 0);
  if (keyCount(r) !== MESSAGE_REQUIRED_FIELDS.length + payloads + optional) return false;
  if (payloads > 1 || KIND_INDEX[r.kind] === undefined || (r.incomplete !== undefined && r.incomplete !== true)) return false;
  return r.close === undefined || r.close.code === null || (Number.isInteger(r.close.code) && r.close.code >= 0 && r.close.code < 2 ** 31);
}

/** A frame record the columns hold exactly (its mask is checked apart, by maskKeyValue): the message's sender and connection. */
function isPlainFrame(f: FrameRecord, r: MessageRecord): boolean {
  return f.conn === r.conn && f.from === r.from && Number.isInteger(f.opcode) && f.opcode >= 0 && f.opcode <= 255 && keyCount(f) === 10;
}

/** The one field of `r` whose payload goes to the payload store, or null (none, a close reason, or several fields, which stay on the record). */
function payloadField(r: WithPayload): PayloadField | null {
  if (payloadFieldCount(r) !== 1) return null;
  return r.text !== undefined ? 'text' : r.base64 !== undefined ? 'base64' : 'bytes';
}

/** How many of `text`, `base64` and `bytes` `r` has (one, for every record the decoder makes). */
function payloadFieldCount(r: WithPayload): number {
  return (r.text !== undefined ? 1 : 0) + (r.base64 !== undefined ? 1 : 0) + (r.bytes !== undefined ? 1 : 0);
}

/** A payload's size in bytes (for text, in characters: at most its UTF-8 bytes). */
function payloadSize(r: WithPayload, field: PayloadField): number {
  return field === 'text' ? r.text!.length : field === 'base64' ? (r.base64!.length / 4) * 3 : r.bytes!.length;
}

/** Base64 characters of a prefix: whole groups of four, for at most PREFIX_BYTES bytes. */
const BASE64_PREFIX_CHARS = Math.floor(PREFIX_BYTES / 3) * 4;

/** The first PREFIX_BYTES characters of `s`, less one rather than split a surrogate pair. */
function textPrefix(s: string): string {
  let n = Math.min(s.length, PREFIX_BYTES);
  const last = s.charCodeAt(n - 1);
  if (n < s.length && last >= 0xd800 && last <= 0xdbff) n--;
  return s.slice(0, n);
}

/** The bytes of a kept prefix: of its text's UTF-8, of what its base64 encodes, or its bytes. */
function keptBytes(r: WithPayload): number {
  if (r.text !== undefined) return Buffer.byteLength(r.text, 'utf8');
  if (r.base64 !== undefined) return Buffer.byteLength(r.base64, 'base64');
  return r.bytes?.length ?? 0;
}

/** String.prototype.isWellFormed (ES2024, in Node 20; not in the ES2022 types): no lone surrogates. */
function isWellFormed(s: string): boolean {
  return (s as unknown as { isWellFormed(): boolean }).isWellFormed();
}

function keyCount(o: object): number {
  let n = 0;
  for (const _ in o) n++;
  return n;
}
