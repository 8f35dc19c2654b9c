import { FrameParser, type FrameHeader, type FrameParserHandler } from '../websocket/frame-parser.js';
import { encodeFrame } from '../websocket/frame-encoder.js';
import { HeadReader, parseResponseHead } from '../websocket/http-head.js';
import { MessageDeflater, MessageInflater } from '../websocket/permessage-deflate.js';
import { unmaskInto } from '../websocket/unmask.js';

/** What becomes of a complete data message. */
export type Decision =
  /** Its frames as they were received, byte for byte. */
  | { kind: 'forward' }
  /** Nothing of it (control frames that came between its fragments still go). */
  | { kind: 'drop' }
  /** Instead of it, one frame that wspeek writes: FIN set, uncompressed. */
  | { kind: 'replace'; opcode: 1 | 2; payload: Uint8Array };

/** A data message the gate has put together, for its owner to decide on. */
export interface GateMessage {
  /** This direction's data messages, counted from 1 in arrival order. */
  readonly index: number;
  /** The compressed bit was set on its first frame, under permessage-deflate. */
  readonly compressed: boolean;
  /** The owner's own number for it (wspeek: its message record's seq), set when it arrives. */
  tag: number;
}

/** The permessage-deflate parameters of this direction's sender (RFC 7692 §7.1). */
export interface GateDeflate {
  /** The sender starts each message with an empty window: dropping one leaves the receiver's context right. */
  noContextTakeover: boolean;
  /** The window the sender may use, and the receiver accepts (8–15). */
  windowBits: number;
}

export interface GateOptions {
  /** Frames that wspeek writes are masked: toward the server (RFC 6455 §5.3). */
  maskFrames: boolean;
  /** A fresh masking key for each frame wspeek writes (RFC 6455 §5.3: unpredictable). */
  maskKey: () => Uint8Array;
  /** Bytes for the receiver, in order. */
  write: (parts: Buffer[]) => void;
  /** A data message is complete: forward it now, or hold it until `resolve`. */
  arrived: (m: GateMessage) => 'forward' | 'hold';
  /**
   * A data message goes on without being asked about: it was partly forwarded before the gate
   * took the stream over. Its decoder still reports it, before any message the gate asks about.
   */
  passed: () => void;
  /** This direction is re-encoded from message `m` on (see MessageGate). */
  reencoding: (m: GateMessage) => void;
}

/** Where the gate starts: at the start of a stream, or taking over one that another parser has read so far. */
export type GateStart =
  /** `head`: the stream begins with an HTTP response head (server to client), passed on as it is; frames follow a 101. */
  | { head: boolean }
  /** `inMessage`: that reader is inside a fragmented data message. */
  | { parser: FrameParser; inMessage: boolean };

const enum Kind {
  /** Bytes passed on as they come: a response head, a message partly forwarded before, a stream whose framing was lost. */
  Raw,
  /** A control frame between messages (or a frame that belongs to no message): complete, then passed on. */
  Control,
  Data,
  /** A frame wspeek injected while a partly forwarded message was going by. */
  Own,
}

interface Unit {
  kind: Kind;
  /** Stream offsets of its bytes, [start, end); end is Infinity while a raw unit is still open. */
  start: number;
  end: number;
  complete: boolean;
  /** Data: its index, its first frame's opcode, whether compressed, the control frames among its fragments, its fate. */
  index: number;
  opcode: number;
  compressed: boolean;
  controls: Array<[number, number]>;
  decision: Decision | null;
  /** Data under re-encoding: its inflated payload (null when it did not inflate). Own: the frame. */
  bytes: Buffer | null;
  /** Data: what the owner was told. */
  message: GateMessage | null;
}

const EMPTY = Buffer.alloc(0);

/**
 * One direction of a connection carried actively: the sender's bytes go through here to the
 * receiver. Data messages are released whole, each when it is complete and its owner has decided
 * (at once for most; later for one that is held); everything behind a held message waits, in
 * order, control frames included. Frames go on as received, byte for byte, except what the owner
 * drops or replaces, and frames wspeek injects, which never land inside a fragmented message.
 *
 * Under permessage-deflate with context takeover (RFC 7692 §7.1.1), the receiver's inflate window
 * holds every compressed message it got: dropping or replacing one would make every later
 * compressed message inflate wrong there. From the first such drop or edit, the gate re-encodes
 * the direction's compressed messages: it inflates each (with an inflater kept in step with the
 * sender from the start) and deflates it again with its own compressor, whose window is the one
 * the receiver has from then on. Before that message, bytes stay exact.
 *
 * Sans-IO: bytes in with `push`, bytes out through `write`.
 */
export class MessageGate implements FrameParserHandler {
  private readonly parser: FrameParser;
  private head: HeadReader | null;
  private chunks: Buffer[] = [];
  /** Stream offset of chunks[0]'s first byte, and of the byte after the last one pushed. */
  private base = 0;
  private streamEnd = 0;
  private readonly units: Unit[] = [];
  /** The data message whose fragments are arriving, or null. */
  private partial: Unit | null = null;
  /** The unit the current frame belongs to, its header, and where the frame starts and ends. */
  private unit: Unit | null = null;
  private header: FrameHeader | null = null;
  private frameStart = 0;
  private frameEnd = 0;
  /** Inside a message that was partly forwarded before the gate took over: its frames go on as they come. */
  private passing = false;
  private dataCount = 0;
  private deflate: GateDeflate | null = null;
  /** Inflates the sender's compressed messages all along, so the gate can re-encode when it must. */
  private inflater: MessageInflater | null = null;
  /** The receiver's compressor, from the first compressed message dropped or replaced. */
  private deflater: MessageDeflater | null = null;
  private reencodeReported = false;
  /** Taken over mid-stream under context takeover: the sender's window before the takeover is unknown, so compressed messages can't be rewritten. */
  private untracked = false;
  private readonly taken: boolean;
  /** Frames injected while a partly forwarded frame or message goes by: sent right after it. */
  private readonly deferred: Unit[] = [];
  private scratch = EMPTY;
  private lost = false;

  constructor(private readonly options: GateOptions, start: GateStart) {
    this.taken = !('head' in start);
    if ('head' in start) {
      this.parser = new FrameParser(this);
      this.head = start.head ? new HeadReader() : null;
      return;
    }
    // The frame the other reader is inside was partly forwarded: the rest of it (and of its
    // message) goes on as it comes.
    this.parser = start.parser.fork(this);
    this.head = null;
    this.passing = start.inMessage;
    this.frameStart = -start.parser.frameBytesRead;
    const current = start.parser.payloadHeader;
    if (current) {
      this.header = { ...current, maskKey: Buffer.from(current.maskKey) };
      this.frameEnd = this.frameStart + current.headerLength + current.length;
      this.unit = this.openRaw(0);
      this.passPartial(current.opcode, current.fin, start.inMessage, false);
    } else if (start.inMessage && !start.parser.midFrame) this.options.passed();
  }

  /** permessage-deflate as agreed for this direction's sender (null: not agreed); set before its first frame. */
  setDeflate(deflate: GateDeflate | null): void {
    this.deflate = deflate;
    const takeover = deflate !== null && !deflate.noContextTakeover;
    this.untracked = takeover && this.taken;
    this.inflater = takeover && !this.taken ? new MessageInflater(Number.MAX_SAFE_INTEGER) : null;
  }

  /** Data messages held, and how many frames and bytes wait behind the first of them. */
  get held(): { messages: number; waitingFrames: number; waitingBytes: number } {
    let messages = 0;
    let waitingFrames = 0;
    let waitingBytes = 0;
    for (const u of this.units) {
      if (u.kind === Kind.Data && u.complete && u.decision === null) messages++;
      else if (messages > 0) {
        waitingFrames += u.kind === Kind.Data ? 1 + u.controls.length : 1;
        waitingBytes += Math.min(u.end, this.streamEnd) - u.start;
      }
    }
    return { messages, waitingFrames, waitingBytes };
  }

  /** Something received is still to go on: held, or waiting behind a held message or for the end of its message. */
  get pending(): boolean {
    return this.units.some((u) => !(u.kind === Kind.Raw && u.start >= this.streamEnd));
  }

  /**
   * The sender has ended its stream: what it sent of an unfinished message or frame goes on as it
   * is (there is no whole message to decide about); held messages stay held.
   */
  end(): void {
    for (const u of this.units) {
      if (u.complete) continue;
      u.end = Math.min(u.end, this.streamEnd);
      u.complete = true;
      if (u.kind === Kind.Data) u.decision = { kind: 'forward' };
    }
    this.partial = null;
    this.unit = null;
    this.flush();
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    const at = this.streamEnd;
    this.chunks.push(chunk);
    this.streamEnd += chunk.length;
    if (this.head) this.readHead(chunk, at);
    else if (!this.lost) this.parser.push(chunk, 0);
    this.flush();
  }

  /**
   * The fate of held data message `index` (as `arrived` reported it); null when it is done, else
   * why it can't be: the message is not held, or it is compressed and the gate can't keep the
   * receiver's window right without it.
   */
  resolve(index: number, decision: Decision): string | null {
    const why = decision.kind === 'forward' ? this.heldUnit(index) ? null : `message ${index} is not held` : this.rewritable(index);
    if (why !== null) return why;
    this.decide(this.heldUnit(index)!, decision);
    this.flush();
    return null;
  }

  /** Null when held message `index` may be dropped or replaced; else why not. */
  rewritable(index: number): string | null {
    const u = this.heldUnit(index);
    if (!u) return `message ${index} is not held`;
    if (!u.compressed || this.deflater !== null) return null;
    if (this.untracked) {
      return 'it is compressed, and its connection was open before interception began: wspeek does not know the compression context it was sent in, so it could not re-compress what follows (reconnect the client to rewrite its compressed messages)';
    }
    if (this.inflater && u.bytes === null) return 'it is compressed and does not inflate, so what follows could not be re-compressed';
    return null;
  }

  private heldUnit(index: number): Unit | undefined {
    return this.units.find((x) => x.kind === Kind.Data && x.index === index && x.complete && x.decision === null);
  }

  /**
   * Sends a frame of wspeek's own to the receiver (FIN set, uncompressed): at once, or right after
   * the last frame of a message that is going by. False when the stream can't take one: still in
   * its HTTP head, or its framing lost.
   */
  inject(opcode: number, payload: Uint8Array): boolean {
    if (this.head || this.lost) return false;
    const frame = this.frame(opcode, payload, false);
    if (!this.passing && this.unit?.kind !== Kind.Raw) {
      this.options.write([frame]);
      return true;
    }
    this.deferred.push({ kind: Kind.Own, start: this.frameEnd, end: this.frameEnd, complete: true, index: 0, opcode, compressed: false, controls: [], decision: null, bytes: frame, message: null });
    return true;
  }

  // --- FrameParserHandler ----------------------------------------------------------------------

  onFrameHeader(h: FrameHeader): void {
    this.header = h;
    this.frameEnd = this.frameStart + h.headerLength + h.length;
    const op = h.opcode;
    if (this.frameStart < 0) {
      // The rest of a frame whose header was partly forwarded before the gate took over.
      this.unit = this.openRaw(0);
      this.passPartial(op, h.fin, this.passing, true);
      return;
    }
    // A new data message ends the one going by (RFC 6455 §5.4: it was cut off), and is asked about as any.
    if (this.passing && (op === 1 || op === 2)) this.passing = false;
    if (this.passing) {
      this.unit = this.openRaw(this.frameStart);
      if (op === 0 && h.fin) this.passing = false;
      return;
    }
    if (op >= 8) {
      if (this.partial) this.partial.controls.push([this.frameStart, this.frameEnd]);
      this.unit = this.partial ?? this.add(Kind.Control, this.frameStart, op);
      return;
    }
    if (op === 1 || op === 2) {
      // A new data message cuts off an unfinished one (RFC 6455 §5.4): that one is complete as it was.
      if (this.partial) this.complete(this.partial, this.frameStart, true);
      const u = this.add(Kind.Data, this.frameStart, op);
      u.index = ++this.dataCount;
      u.compressed = h.rsv1 && this.deflate !== null;
      this.partial = u;
      this.unit = u;
      return;
    }
    // A continuation of the message in progress; or a stray one, or a reserved opcode, which belong
    // to no message and go on as they are.
    this.unit = op === 0 && this.partial ? this.partial : this.add(Kind.Control, this.frameStart, op);
  }

  onFramePayload(chunk: Buffer, start: number, end: number, offset: number): void {
    const h = this.header!;
    const u = this.unit;
    if (!this.inflater || !u || u.kind !== Kind.Data || !u.compressed || h.opcode >= 8) return;
    if (!h.masked) return this.inflater.write(chunk.subarray(start, end));
    if (this.scratch.length < end - start) this.scratch = Buffer.allocUnsafe(Math.max(end - start, 16 * 1024));
    unmaskInto(chunk, start, end, h.maskKey, offset, this.scratch, 0);
    this.inflater.write(this.scratch.subarray(0, end - start));
  }

  onFrameEnd(): void {
    const u = this.unit;
    const h = this.header!;
    this.unit = null;
    this.frameStart = this.frameEnd;
    if (!u) return;
    if (u.kind === Kind.Raw) {
      u.end = this.frameEnd;
      if (!this.passing && this.deferred.length > 0) this.units.push(...this.deferred.splice(0));
    } else if (u.kind === Kind.Control) {
      u.end = this.frameEnd;
      u.complete = true;
    } else if (h.opcode < 8 && h.fin) this.complete(u, this.frameEnd, false);
  }

  onInvalidLength(): void {
    // The stream can't be framed any more: from this frame on, everything goes on as it comes.
    this.loseFraming(this.frameStart);
  }

  // --- internals -------------------------------------------------------------------------------

  /**
   * The frame the gate took over inside, partly forwarded before: which messages its decoder will
   * still report (the gate passes them on without asking), and whether the rest of its message
   * passes too. `headerSeen`: the header was read after the takeover, so the decoder had not yet
   * acted on it (a new data frame inside a message then cuts that one off, RFC 6455 §5.4: two messages).
   */
  private passPartial(op: number, fin: boolean, inMessage: boolean, headerSeen: boolean): void {
    if (headerSeen && inMessage && (op === 1 || op === 2)) this.options.passed();
    if (op === 1 || op === 2 || (inMessage && (op === 0 || op >= 8))) this.options.passed();
    this.passing = op === 1 || op === 2 ? !fin : op === 0 ? inMessage && !fin : inMessage;
  }

  private readHead(chunk: Buffer, at: number): void {
    const r = this.head!.push(chunk);
    if (r.kind === 'need-more') {
      this.openRaw(at).end = this.streamEnd;
      return;
    }
    this.head = null;
    if (r.kind === 'too-large') return this.loseFraming(at);
    const headEnd = this.streamEnd - r.rest.length;
    this.openRaw(at).end = headEnd;
    this.frameStart = headEnd;
    // A refused upgrade, or a head that can't be read: what follows is not frames.
    const parsed = parseResponseHead(r.head);
    if (!parsed.ok || parsed.head.status !== 101) return this.loseFraming(headEnd);
    if (r.rest.length > 0) this.parser.push(r.rest, 0);
  }

  private add(kind: Kind, start: number, opcode: number): Unit {
    const u: Unit = { kind, start, end: Infinity, complete: false, index: 0, opcode, compressed: false, controls: [], decision: null, bytes: null, message: null };
    this.units.push(u);
    return u;
  }

  /** An open raw unit from `start`: the last unit, when it is raw and reaches `start`. */
  private openRaw(start: number): Unit {
    const last = this.units[this.units.length - 1];
    if (last && last.kind === Kind.Raw && last.end >= start) {
      last.end = Infinity;
      return last;
    }
    const u = this.add(Kind.Raw, start, 0);
    u.complete = true;
    return u;
  }

  private loseFraming(from: number): void {
    this.lost = true;
    this.partial = null;
    this.openRaw(from);
  }

  /** A data message is whole, or cut off: the gate inflates it when it tracks the window, then asks. */
  private complete(u: Unit, end: number, cut: boolean): void {
    u.end = end;
    u.complete = true;
    if (this.partial === u) this.partial = null;
    if (u.compressed && this.inflater) {
      const inflated = this.inflater.finish(false, cut);
      u.bytes = inflated.error ? null : inflated.payload;
    }
    u.message = { index: u.index, compressed: u.compressed, tag: 0 };
    if (this.options.arrived(u.message) === 'forward') this.decide(u, { kind: 'forward' });
  }

  private decide(u: Unit, d: Decision): void {
    u.decision = d;
    // The receiver's window would miss this compressed message: re-encode from here on.
    if (d.kind !== 'forward' && u.compressed && this.inflater && !this.deflater) {
      this.deflater = new MessageDeflater({ windowBits: this.deflate!.windowBits, noContextTakeover: false });
    }
  }

  private frame(opcode: number, payload: Uint8Array, compressed: boolean): Buffer {
    return encodeFrame({ fin: true, rsv1: compressed, opcode, payload, maskKey: this.options.maskFrames ? this.options.maskKey() : null });
  }

  /** Writes every unit from the front that is ready, in order, then lets go of the bytes no unit needs. */
  private flush(): void {
    const out: Buffer[] = [];
    // Received bytes that go on as they are, gathered into runs: one write of a chunk's slice, not one per frame.
    let runStart = 0;
    let runEnd = 0;
    const received = (a: number, b: number) => {
      if (b <= a) return;
      if (a !== runEnd) {
        this.slice(runStart, runEnd, out);
        runStart = a;
      }
      runEnd = b;
    };
    const own = (frame: Buffer) => {
      this.slice(runStart, runEnd, out);
      runStart = runEnd = 0;
      out.push(frame);
    };
    let n = 0;
    for (; n < this.units.length; n++) {
      const u = this.units[n]!;
      if (u.kind === Kind.Raw) {
        const to = Math.min(u.end, this.streamEnd);
        received(u.start, to);
        if (to < u.end) {
          u.start = to; // the rest of it is still to come
          break;
        }
      } else if (u.kind === Kind.Own) own(u.bytes!);
      else if (!u.complete || (u.kind === Kind.Data && u.decision === null)) break;
      else if (u.kind === Kind.Control) received(u.start, u.end);
      else this.writeData(u, received, own);
    }
    this.slice(runStart, runEnd, out);
    this.units.splice(0, n);
    if (out.length > 0) this.options.write(out);
    const needed = this.units[0]?.start ?? this.streamEnd;
    while (this.chunks.length > 0 && this.base + this.chunks[0]!.length <= needed) this.base += this.chunks.shift()!.length;
  }

  /** A decided data message: as received, re-encoded, replaced, or nothing; its control frames go in every case. */
  private writeData(u: Unit, received: (a: number, b: number) => void, own: (frame: Buffer) => void): void {
    const d = u.decision!;
    const reencode = d.kind === 'forward' && u.compressed && this.deflater !== null;
    if (d.kind === 'forward' && !reencode) return received(u.start, u.end);
    for (const [a, b] of u.controls) received(a, b);
    if (d.kind === 'replace') return own(this.frame(d.opcode, d.payload, false));
    if (d.kind === 'drop') return;
    if (!this.reencodeReported) {
      this.reencodeReported = true;
      this.options.reencoding(u.message!);
    }
    // One frame whatever its fragmentation was: RSV1 on it, the opcode of its first frame (RFC 7692 §6.1).
    own(this.frame(u.opcode, this.deflater!.deflate(u.bytes ?? EMPTY), true));
  }

  /** Appends the stream's bytes [a, b) to `out`, as slices of the chunks (whole chunks where they fit). */
  private slice(a: number, b: number, out: Buffer[]): void {
    if (b <= a) return;
    let offset = this.base;
    for (const c of this.chunks) {
      const end = offset + c.length;
      if (end > a) {
        const from = Math.max(a, offset) - offset;
        const to = Math.min(b, end) - offset;
        out.push(from === 0 && to === c.length ? c : c.subarray(from, to));
      }
      if (end >= b) return;
      offset = end;
    }
  }
}
