import { isSendableCloseCode } from './close-codes.js';
import { OPCODE_NAMES, RSV, type EventSink, type MessageKind, type Side } from './events.js';
import { FrameParser, type FrameHeader, type FrameParserHandler } from './frame-parser.js';
import { MessageInflater } from './permessage-deflate.js';
import { unmaskInto, unmaskShort, WORD_MIN } from './unmask.js';
import { completeUtf8Length, decodeUtf8 } from './utf8.js';
import { VIOLATION_RULES, type ViolationRule } from './violation-rules.js';

/** What the handshake agreed, as it bears on one direction's frames. */
export interface DirectionConfig {
  /** permessage-deflate was agreed; `noContextTakeover` is this sender's *_no_context_takeover. */
  deflate: { noContextTakeover: boolean } | null;
  /** An extension wspeek doesn't know was agreed: it may define RSV bits, so they are not reported. */
  unknownExtension: boolean;
  /** Payload bytes kept per message. */
  maxPayload: number;
}

const enum Mode {
  /** The payload is not part of any message (reserved opcode, stray continuation). */
  Skip,
  Control,
  Data,
}

/** A data message whose frames are still arriving (RFC 6455 §5.4). */
interface PartialMessage {
  opcode: number;
  startTs: number;
  compressed: boolean;
  frames: number;
  wireLength: number;
  /** The kept payload of each frame; null until there is one (most messages have one part, and an array literal of one is the cheapest). */
  parts: Buffer[] | null;
  keptLength: number;
  /** Every kept byte ORed together as it was copied, or UNSCANNED (some were not seen, or the payload is inflated): below 0x80, it is ASCII. */
  byteOr: number;
}

/** A `byteOr` for a payload some of whose bytes were copied without being looked at. */
const UNSCANNED = 0x100;
/** XOR with it copies: unmasked payloads take the same short path as masked ones. */
const ZERO_KEY = new Uint8Array(4);

const EMPTY = Buffer.alloc(0);
/** Control payloads are at most 125 bytes (RFC 6455 §5.5); they are always kept whole up to that. */
const CONTROL_KEEP = 125;
const CONTROL_KINDS: Record<number, MessageKind> = { 8: 'close', 9: 'ping', 10: 'pong' };

/**
 * Decodes one direction of a WebSocket connection: frames → messages, with every
 * rule of RFC 6455 §5 and RFC 7692 checked. It never throws on bad input and never
 * changes the bytes it is given; it keeps at most `maxPayload` bytes per message.
 */
export class MessageDecoder implements FrameParserHandler {
  /** Frames seen so far. */
  frames = 0;
  /** This side has sent a close frame. */
  closeSent = false;

  private readonly parser = new FrameParser(this);
  private readonly inflater: MessageInflater | null;
  private mode = Mode.Skip;
  private header!: FrameHeader;
  private frameTs = 0;
  /** Where the current frame's kept payload goes (null when none of it is kept). */
  private keep: Buffer | null = null;
  private message: PartialMessage | null = null;
  /** Unmasked compressed bytes on their way to the inflater. */
  private scratch = EMPTY;
  /** The message's wireLength before the current frame: a cut frame then adds only what arrived (exact even for a declared length past 2^53). */
  private wireBeforeFrame = 0;

  constructor(
    private readonly side: Side,
    private readonly config: DirectionConfig,
    private readonly emit: EventSink,
  ) {
    this.inflater = config.deflate ? new MessageInflater(config.maxPayload) : null;
  }

  push(chunk: Buffer, ts: number): void {
    this.parser.push(chunk, ts);
  }

  /** Where this direction's reading stands: its frame parser (for another reader to take over from), and whether a fragmented data message is in progress. */
  get framing(): { parser: FrameParser; inMessage: boolean } {
    return { parser: this.parser, inMessage: this.message !== null };
  }

  /**
   * The stream ended: a message still in progress is emitted as incomplete.
   * Returns why the ending was abrupt (mid-frame, framing lost), or null.
   */
  end(ts: number): string | null {
    let reason: string | null = null;
    if (this.parser.lost) reason = `${this.side} framing was lost after an invalid length`;
    else if (this.parser.midFrame && !this.parser.inPayload) reason = `${this.side} stream ended inside a frame header`;
    else if (this.parser.midFrame) {
      const { received, length } = this.parser.progress;
      reason = `${this.side} stream ended mid-frame (${received} of ${length} payload bytes)`;
      if (this.mode === Mode.Data && this.message) {
        this.message.wireLength = this.wireBeforeFrame + received;
        if (this.keep) this.addPart(this.keep.subarray(0, Math.min(received, this.keep.length)));
      }
    }
    if (this.message) this.finishMessage(ts, true);
    return reason;
  }

  onFrameHeader(h: FrameHeader, ts: number): void {
    this.frames++;
    this.header = h;
    this.frameTs = ts;
    this.keep = null;
    const op = h.opcode;
    // A new data message cuts off an unfinished one: that one goes out first, with what it had,
    // so the violations that follow belong to the new message (RFC 6455 §5.4).
    const cutOff = (op === 1 || op === 2) && this.message ? this.message.opcode : null;
    if (cutOff !== null) this.finishMessage(ts, true);
    this.checkHeader(h);

    if (op >= 8) {
      if (!CONTROL_KINDS[op]) return this.skip('unknown-opcode', `reserved control opcode 0x${op.toString(16)}`);
      this.mode = Mode.Control;
      this.keep = Buffer.allocUnsafe(Math.min(h.length, Math.max(this.config.maxPayload, CONTROL_KEEP)));
      return;
    }
    if (op === 1 || op === 2) {
      if (cutOff !== null) this.violation('interleaved-data-frame', `a ${OPCODE_NAMES[op]} frame started a new message while a fragmented ${OPCODE_NAMES[cutOff]} message was unfinished`);
      const compressed = h.rsv1 && this.inflater !== null;
      // An inflated payload is never scanned on its way in.
      this.message = {
        opcode: op, startTs: ts, compressed, frames: 0, wireLength: 0, parts: null, keptLength: 0, byteOr: compressed ? UNSCANNED : 0,
      };
    } else if (op === 0) {
      if (!this.message) return this.skip('unexpected-continuation', 'continuation frame with no fragmented message in progress');
    } else {
      return this.skip('unknown-opcode', `reserved data opcode 0x${op.toString(16)}`);
    }
    const m = this.message;
    this.mode = Mode.Data;
    m.frames++;
    this.wireBeforeFrame = m.wireLength;
    m.wireLength += h.length;
    if (!m.compressed) {
      const room = Math.min(h.length, this.config.maxPayload - m.keptLength);
      if (room > 0) this.keep = Buffer.allocUnsafe(room);
    }
  }

  onFramePayload(chunk: Buffer, start: number, end: number, offset: number): void {
    const h = this.header;
    if (this.mode === Mode.Skip) return;
    if (this.mode === Mode.Data && this.message!.compressed) {
      // Inflation needs every byte, so compressed payload is unmasked whole.
      if (!h.masked) return this.inflater!.write(chunk.subarray(start, end));
      if (this.scratch.length < end - start) this.scratch = Buffer.allocUnsafe(Math.max(end - start, 16 * 1024));
      unmaskInto(chunk, start, end, h.maskKey, offset, this.scratch, 0);
      return this.inflater!.write(this.scratch.subarray(0, end - start));
    }
    const keep = this.keep;
    if (!keep || offset >= keep.length) return; // past the keep limit: not copied, not unmasked
    const stop = Math.min(end, start + keep.length - offset);
    if (stop - start < WORD_MIN) {
      const or = unmaskShort(chunk, start, stop, h.masked ? h.maskKey : ZERO_KEY, offset, keep, offset);
      if (this.mode === Mode.Data) this.message!.byteOr |= or;
      return;
    }
    if (this.mode === Mode.Data) this.message!.byteOr = UNSCANNED;
    if (h.masked) unmaskInto(chunk, start, stop, h.maskKey, offset, keep, offset);
    else chunk.copy(keep, offset, start, stop);
  }

  onFrameEnd(ts: number): void {
    const h = this.header;
    this.emit({
      type: 'frame', ts: this.frameTs, from: this.side, fin: h.fin, rsv: RSV[(h.rsv1 ? 4 : 0) | (h.rsv2 ? 2 : 0) | (h.rsv3 ? 1 : 0)]!,
      opcode: h.opcode, masked: h.masked, mask: h.masked ? maskHex(h.maskKey) : null,
      length: h.length, headerLength: h.headerLength,
    });
    if (this.mode === Mode.Control) this.controlMessage(ts);
    else if (this.mode === Mode.Data) {
      if (this.keep) this.addPart(this.keep);
      this.keep = null;
      if (h.fin) this.finishMessage(ts, false);
    }
  }

  onInvalidLength(ts: number, detail: string): void {
    this.frames++;
    this.frameTs = ts;
    this.violation('invalid-length', `${detail}; later bytes from the ${this.side} are forwarded but not decoded`);
  }

  /** Rules that concern the header alone (RFC 6455 §5.1, §5.2, §5.5; RFC 7692 §6.1). */
  private checkHeader(h: FrameHeader): void {
    const op = h.opcode;
    const control = op >= 8;
    if (this.side === 'client' && !h.masked) this.violation('client-frame-unmasked', `${describe(op)} frame from the client has MASK clear`);
    if (this.side === 'server' && h.masked) this.violation('server-frame-masked', `${describe(op)} frame from the server has MASK set`);
    if (this.closeSent) this.violation('data-after-close', `${describe(op)} frame after this side's close frame`);
    if (h.nonMinimalLength) this.violation('non-minimal-length', `length ${h.length} sent in the ${h.headerLength - (h.masked ? 4 : 0) === 4 ? '16' : '64'}-bit form`);
    if (control) {
      if (!h.fin) this.violation('control-frame-fragmented', `${describe(op)} frame has FIN clear`);
      if (h.length > 125) this.violation('control-frame-too-long', `${describe(op)} payload is ${h.length} bytes`);
    }
    const deflate = this.inflater !== null;
    if (h.rsv1) {
      if (deflate && control) this.violation('compressed-control-frame', `${describe(op)} frame has RSV1 set`);
      else if (deflate && op === 0) this.violation('rsv-bit-without-extension', 'RSV1 set on a continuation frame: permessage-deflate sets it only on the first frame (RFC 7692 §6.1)');
      else if (!deflate && !this.config.unknownExtension) this.violation('rsv-bit-without-extension', `RSV1 set on a ${describe(op)} frame, but no extension was negotiated`);
    }
    if (!this.config.unknownExtension) {
      if (h.rsv2) this.violation('rsv-bit-without-extension', `RSV2 set on a ${describe(op)} frame`);
      if (h.rsv3) this.violation('rsv-bit-without-extension', `RSV3 set on a ${describe(op)} frame`);
    }
  }

  /** The frame's payload belongs to no message: report why and let it pass. */
  private skip(rule: ViolationRule, detail: string): void {
    this.mode = Mode.Skip;
    this.violation(rule, detail);
  }

  private addPart(part: Buffer): void {
    const m = this.message!;
    if (m.parts) m.parts.push(part);
    else m.parts = [part];
    m.keptLength += part.length;
  }

  private controlMessage(ts: number): void {
    const h = this.header;
    const payload = this.keep ?? EMPTY;
    this.keep = null;
    const kind = CONTROL_KINDS[h.opcode]!;
    const event = this.messageEvent(ts, this.frameTs, kind, payload, h.length, h.length, 1, false, false);
    if (kind === 'close') {
      this.closeSent = true;
      event.close = this.decodeClose(payload, h.length);
    }
    this.emit(event);
  }

  /** RFC 6455 §5.5.1: an optional 2-byte status code, then a UTF-8 reason. */
  private decodeClose(payload: Buffer, length: number): { code: number | null; reason: string } {
    if (length === 0) return { code: null, reason: '' };
    if (length === 1) {
      this.violation('close-payload-too-short', `close payload is 1 byte (0x${payload.toString('hex')}); a status code needs 2`);
      return { code: null, reason: '' };
    }
    const code = payload.readUInt16BE(0);
    if (!isSendableCloseCode(code)) this.violation('invalid-close-code', `close code ${code} may not be sent`);
    const reasonBytes = payload.subarray(2);
    const reason = decodeUtf8(reasonBytes);
    if (reason === null) this.violation('invalid-utf8', `close reason 0x${reasonBytes.toString('hex')} is not valid UTF-8`);
    return { code, reason: reason ?? reasonBytes.toString('utf8') };
  }

  private finishMessage(ts: number, incomplete: boolean): void {
    const m = this.message!;
    this.message = null;
    let payload: Buffer;
    let length: number;
    let inflateFailed = false;
    if (m.compressed) {
      const inflated = this.inflater!.finish(this.config.deflate!.noContextTakeover || incomplete, incomplete);
      payload = inflated.payload;
      length = inflated.length;
      if (inflated.error) {
        inflateFailed = true;
        this.violation('inflate-failed', `${inflated.error} (after ${length} inflated bytes of a ${m.wireLength}-byte compressed message)`);
      }
    } else {
      payload = m.parts === null ? EMPTY : m.parts.length === 1 ? m.parts[0]! : Buffer.concat(m.parts, m.keptLength);
      length = m.wireLength;
    }
    const kind: MessageKind = m.opcode === 1 ? 'text' : 'binary';
    const truncated = payload.length < length;
    const event = this.messageEvent(ts, m.startTs, kind, payload, length, m.wireLength, m.frames, m.compressed, incomplete);
    if (kind === 'text' && !inflateFailed) {
      if (m.byteOr < 0x80) {
        // ASCII, so valid UTF-8 however it was cut: no need to validate it.
        event.text = payload.toString();
      } else {
        // A cut (keep limit, unfinished message) may split a character: check the whole characters kept.
        const cut = truncated || incomplete;
        const text = decodeUtf8(cut ? payload.subarray(0, completeUtf8Length(payload)) : payload);
        if (text === null) this.violation('invalid-utf8', cut ? `the first ${payload.length} bytes of a ${length}-byte text message are not valid UTF-8` : `text message of ${length} bytes is not valid UTF-8`);
        event.text = text;
      }
    }
    this.emit(event);
  }

  private messageEvent(
    ts: number, startTs: number, kind: MessageKind, payload: Buffer, length: number,
    wireLength: number, frames: number, compressed: boolean, incomplete: boolean,
  ) {
    return {
      type: 'message' as const, seq: 0, ts, startTs, from: this.side, kind, length, wireLength, frames, compressed,
      payload, truncated: payload.length < length, incomplete, text: null as string | null,
      close: undefined as { code: number | null; reason: string } | undefined,
    };
  }

  private violation(rule: ViolationRule, detail: string): void {
    this.emit({ type: 'violation', ts: this.frameTs, from: this.side, rule, rfc: VIOLATION_RULES[rule].rfc, detail });
  }
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** The masking key as hex, without allocating a Buffer per frame. */
function maskHex(key: Uint8Array): string {
  return HEX[key[0]!]! + HEX[key[1]!]! + HEX[key[2]!]! + HEX[key[3]!]!;
}

function describe(opcode: number): string {
  return OPCODE_NAMES[opcode] ?? `opcode 0x${opcode.toString(16)}`;
}
