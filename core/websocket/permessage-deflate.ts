import { Deflate, Inflate, Z_NO_FLUSH, Z_SYNC_FLUSH } from 'pako';
import type { Extension } from './events.js';

/** The agreed permessage-deflate parameters of both directions (RFC 7692 §7.1). */
export interface DeflateParams {
  /** The server starts each message with an empty LZ77 window (server_no_context_takeover). */
  serverNoContextTakeover: boolean;
  /** The client starts each message with an empty LZ77 window (client_no_context_takeover). */
  clientNoContextTakeover: boolean;
  /** The server compresses with a window of at most 2^bits bytes (server_max_window_bits, 8..15); null: not limited, 15. */
  serverMaxWindowBits: number | null;
  /** The client compresses with a window of at most 2^bits bytes (client_max_window_bits, 8..15); null: not limited, 15. */
  clientMaxWindowBits: number | null;
}

/** The agreed permessage-deflate parameters, or null when the server did not agree to it. */
export function deflateParams(extensions: Extension[]): DeflateParams | null {
  const ext = extensions.find((e) => e.name === 'permessage-deflate');
  if (!ext) return null;
  // Inflating needs no window bits: the largest window (15) decodes anything a smaller one produced.
  // A compressor needs them, to stay within the window its peer inflates with.
  return {
    serverNoContextTakeover: 'server_no_context_takeover' in ext.params,
    clientNoContextTakeover: 'client_no_context_takeover' in ext.params,
    serverMaxWindowBits: windowBits(ext.params['server_max_window_bits']),
    clientMaxWindowBits: windowBits(ext.params['client_max_window_bits']),
  };
}

/**
 * A *_max_window_bits value (RFC 7692 §7.1.2: a decimal 8 to 15), or null when there is none, or
 * none a peer may accept (it then fails the connection). Leading zeros are read, as `ws` reads them.
 */
function windowBits(value: string | true | undefined): number | null {
  if (typeof value !== 'string' || !/^[0-9]+$/.test(value)) return null;
  const bits = Number(value);
  return bits >= 8 && bits <= 15 ? bits : null;
}

/** RFC 7692 §7.2.1: a sender removes this end of an empty stored block from each message; §7.2.2: a receiver puts it back. */
const MESSAGE_TAIL = Uint8Array.of(0x00, 0x00, 0xff, 0xff);
const NO_BYTES = new Uint8Array(0);
/** Output arrives in pieces of at most this size, so a "deflate bomb" never grows memory. */
const OUTPUT_CHUNK = 16 * 1024;

export interface DeflaterOptions {
  /** The sender's agreed *_max_window_bits, 8..15 (15 when none was agreed). */
  windowBits: number;
  /** The sender's agreed *_no_context_takeover: every message starts with an empty window. */
  noContextTakeover: boolean;
}

/**
 * Compresses one direction's messages for permessage-deflate (RFC 7692 §7.2.1) with one raw
 * DEFLATE context, whose window carries over from message to message unless `noContextTakeover`.
 * For the client's messages: `{ windowBits: p.clientMaxWindowBits ?? 15, noContextTakeover:
 * p.clientNoContextTakeover }` from `deflateParams`; the server's likewise.
 */
export class MessageDeflater {
  private stream: Deflate | null = null;
  private output: Uint8Array[] = [];

  constructor(private readonly options: DeflaterOptions) {
    const bits = options.windowBits;
    if (!Number.isInteger(bits) || bits < 8 || bits > 15) throw new RangeError(`window bits ${bits} are not 8..15`);
  }

  /** One message's compressed payload, without the 00 00 ff ff that ends it (RFC 7692 §7.2.1). */
  deflate(payload: Uint8Array): Buffer {
    const stream = this.stream ?? this.createDeflate();
    stream.push(payload, Z_SYNC_FLUSH);
    this.stream = this.options.noContextTakeover ? null : stream;
    const out = Buffer.concat(this.output);
    this.output = [];
    // Z_SYNC_FLUSH ends the output with an empty stored block, whose last 4 bytes are 00 00 ff ff.
    // With nothing to flush (an empty message after another) zlib writes nothing, but the receiver's
    // 00 00 ff ff still needs its block's header: the byte 00 (RFC 7692 §7.2.3.6).
    return out.length === 0 ? Buffer.of(0) : out.subarray(0, out.length - MESSAGE_TAIL.length);
  }

  private createDeflate(): Deflate {
    // zlib refuses window bits 8 for raw deflate (pako, its port, too), and Node's DeflateRaw, which
    // `ws` uses, turns 8 into 9. 9 suits a peer that agreed to 8, with context takeover or without:
    // zlib reaches back at most its window less 262 bytes (MAX_DIST), 250 bytes with 9, within a
    // message or across messages, so all it refers to lies inside the peer's 256-byte window.
    const deflate = new Deflate({ raw: true, windowBits: Math.max(this.options.windowBits, 9) });
    deflate.onData = (chunk) => this.output.push(chunk);
    return deflate;
  }
}

export interface InflatedMessage {
  /** Full inflated length, exact even where the bytes were not kept. */
  length: number;
  /** The first `maxKeep` inflated bytes. */
  payload: Buffer;
  /** zlib's message when the data could not be inflated, else null. */
  error: string | null;
}

/**
 * Inflates one direction's compressed messages with one raw DEFLATE context,
 * kept across messages (context takeover) unless reset.
 *
 * Node's zlib has no synchronous streaming API (its one sync entry point closes the
 * stream after a single call), so a sans-IO decoder uses pako, a faithful port of zlib.
 */
export class MessageInflater {
  private inflate = this.createInflate();
  private length = 0;
  private kept: Buffer[] = [];
  private keptLength = 0;

  constructor(private readonly maxKeep: number) {}

  /** Feeds compressed payload bytes (unmasked) of the current message. */
  write(data: Uint8Array): void {
    this.inflate.push(data, Z_NO_FLUSH);
  }

  /**
   * Ends the current message; `resetContext` starts the next one with an empty window.
   * `cut`: the message never finished, so its data does not end where the tail belongs:
   * only what was inflated so far is flushed (the tail would decode as garbage).
   */
  finish(resetContext: boolean, cut = false): InflatedMessage {
    this.inflate.push(cut ? NO_BYTES : MESSAGE_TAIL, Z_SYNC_FLUSH);
    const inflate = this.inflate;
    const error = inflate.err !== 0 ? inflate.msg || `zlib error ${inflate.err}` : null;
    // A stream that ended (a block with BFINAL=1, RFC 7692 §7.2.3.4) or failed can take no
    // more input: the next message starts a fresh one.
    if (resetContext || inflate.ended) this.inflate = this.createInflate();
    const payload = this.kept.length === 1 ? this.kept[0]! : Buffer.concat(this.kept, this.keptLength);
    const result: InflatedMessage = { length: this.length, payload, error };
    this.length = 0;
    this.kept = [];
    this.keptLength = 0;
    return result;
  }

  private createInflate(): Inflate {
    const inflate = new Inflate({ raw: true, windowBits: 15, chunkSize: OUTPUT_CHUNK });
    inflate.onData = (chunk) => this.take(chunk);
    inflate.onEnd = () => {};
    return inflate;
  }

  private take(chunk: Uint8Array): void {
    this.length += chunk.length;
    const room = this.maxKeep - this.keptLength;
    if (room <= 0) return;
    // Copy: pako's output buffer is larger than the piece we keep.
    const piece = Buffer.from(chunk.subarray(0, Math.min(room, chunk.length)));
    this.kept.push(piece);
    this.keptLength += piece.length;
  }
}
