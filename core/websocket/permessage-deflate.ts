import { Inflate, Z_NO_FLUSH, Z_SYNC_FLUSH } from 'pako';
import type { Extension } from './events.js';

/** The permessage-deflate parameters that matter to a reader of both directions (RFC 7692 §7.1). */
export interface DeflateParams {
  /** The server starts each message with an empty LZ77 window (server_no_context_takeover). */
  serverNoContextTakeover: boolean;
  /** The client starts each message with an empty LZ77 window (client_no_context_takeover). */
  clientNoContextTakeover: boolean;
}

/** The agreed permessage-deflate parameters, or null when the server did not agree to it. */
export function deflateParams(extensions: Extension[]): DeflateParams | null {
  const ext = extensions.find((e) => e.name === 'permessage-deflate');
  if (!ext) return null;
  // *_max_window_bits need no setting here: inflating with the largest window (15)
  // decodes anything a compressor with a smaller window produced.
  return {
    serverNoContextTakeover: 'server_no_context_takeover' in ext.params,
    clientNoContextTakeover: 'client_no_context_takeover' in ext.params,
  };
}

export interface InflatedMessage {
  /** Full inflated length, exact even where the bytes were not kept. */
  length: number;
  /** The first `maxKeep` inflated bytes. */
  payload: Buffer;
  /** zlib's message when the data could not be inflated, else null. */
  error: string | null;
}

/** RFC 7692 §7.2.2: the sender removed this empty stored block from the end of each message. */
const MESSAGE_TAIL = Uint8Array.of(0x00, 0x00, 0xff, 0xff);
const NO_BYTES = new Uint8Array(0);
/** Output arrives in pieces of at most this size, so a "deflate bomb" never grows memory. */
const OUTPUT_CHUNK = 16 * 1024;

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
