import type { MessageRecord } from '../log/records.js';
import type { AppEntry } from './app-entry.js';

/** What a decoder knows of its connection when it is made. */
export interface AppContext {
  /** The WebSocket URL as the upstream sees it, or null (a log that starts mid-connection). */
  url: string | null;
  /** The subprotocol the server chose (Sec-WebSocket-Protocol), or null. */
  subprotocol: string | null;
}

/**
 * One protocol's reading of one connection. It is fed every message record of the connection,
 * both directions, in order (control messages too: a close code may mean something in the
 * protocol), and keeps what it needs across them: binary attachments waiting, an MQTT packet's
 * first bytes, requests waiting for replies (see `Exchanges`).
 *
 * Sans-IO and synchronous. It must not throw on any payload: what it cannot read is an entry
 * with `protocol` and `error` (and no `type`). The layer still catches a throw, records it as such
 * an entry and reads the connection's later messages as raw.
 */
export interface AppDecoder {
  /**
   * The application messages `m` carries, in order; null when it carries none this protocol
   * speaks of (a WebSocket ping, a close without a meaning here). The text is `m.text`; other
   * payloads are read with `recordPayload(m)`. A truncated message (`m.truncated`) holds only the
   * first bytes of its payload.
   */
  decode(m: MessageRecord): AppEntry[] | null;
}

/** How sure the layer is of a connection's protocol: a sniffed guess that reads a message it can't falls back to raw. */
export type ChoiceReason = 'forced' | 'subprotocol' | 'url' | 'sniffed';

/** A protocol the layer can choose for a connection, and how it recognises one. */
export interface AppProtocol {
  /** The name `--protocol` takes (the entries' `protocol` may be finer: `socket.io` connections have `engine.io` entries too). */
  name: string;
  /** Subprotocol tokens (Sec-WebSocket-Protocol, lower case) that select it. */
  subprotocols: readonly string[];
  /** True when the connection's URL says it speaks this protocol (`/socket.io/?EIO=4`). */
  matchesUrl?(url: URL): boolean;
  /**
   * True when a data message among a connection's first ones shows this protocol for certain
   * enough to read the connection with it from this message on (`m` is then decoded).
   * Only protocols whose messages say so themselves sniff; binary formats are sniffed by the layer.
   */
  sniff?(m: MessageRecord): boolean;
  create(context: AppContext): AppDecoder;
}
