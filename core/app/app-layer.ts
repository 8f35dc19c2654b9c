import type { LogRecord, MessageRecord } from '../log/records.js';
import type { AppContext, AppDecoder, AppProtocol, ChoiceReason } from './app-decoder.js';
import { ANSWERED, isRequest, type AppEntry, type AppProtocolName, type KeptAppEntry } from './app-entry.js';

/** Data messages a connection's protocol may be sniffed from; after them, unclaimed connections stay raw. */
export const SNIFF_MESSAGES = 16;
/** Request entries kept per connection for the `unanswered` mark; past this, the oldest are forgotten. */
const MAX_KEPT_REQUESTS = 4096;
/** The `--protocol` name that reads a connection as bare WebSocket. */
export const RAW = 'raw';

export interface AppLayerOptions {
  /** The protocols to choose from, in sniffing order. */
  protocols: readonly AppProtocol[];
  /** `--protocol`: the name forced on a connection (one of the protocols', or `raw`), or null to choose as usual. */
  forced?: (conn: number, url: string | null) => string | null;
}

interface Connection {
  context: AppContext;
  decoder: AppDecoder | null;
  /** The protocol read (for error entries), and how it was chosen. */
  protocol: AppProtocol | null;
  reason: ChoiceReason | null;
  /** Data messages left to sniff from: 0 once chosen, or once given up. */
  sniffLeft: number;
  /** Request entries by their message's seq, for the `unanswered` mark. */
  requests: Map<number, KeptAppEntry[]>;
}

/**
 * Reads the application protocol a connection speaks (Socket.IO, GraphQL, MQTT…) out of its
 * message records, and adds what it read to each as `app`. The protocol is chosen per connection:
 * the one `--protocol` forces, else the one its subprotocol names, else its URL, else the first
 * of its data messages that shows one; a sniffed guess that meets a message it cannot read
 * leaves the connection raw from there on (what it read stays; nothing of the raw view is lost).
 *
 * Sans-IO: it runs over records, so live traffic and saved logs read alike. A record that comes
 * with `app` (from a file) keeps it. Fed by the session store before its consumers see a record.
 */
export class AppLayer {
  private readonly connections = new Map<number, Connection>();
  private readonly byName: Map<string, AppProtocol>;
  private readonly bySubprotocol = new Map<string, AppProtocol>();
  private readonly sniffers: readonly AppProtocol[];

  constructor(private readonly options: AppLayerOptions) {
    this.byName = new Map(options.protocols.map((p) => [p.name, p]));
    for (const p of options.protocols) for (const s of p.subprotocols) this.bySubprotocol.set(s, p);
    this.sniffers = options.protocols.filter((p) => p.sniff !== undefined);
  }

  /** Sees a record on its way to the store's consumers; a message record may gain `app`. */
  see(record: LogRecord): void {
    switch (record.type) {
      case 'handshake':
        this.connections.set(record.conn, this.choose(record.conn, record.url, record.protocol));
        break;
      case 'message':
        this.read(this.connections.get(record.conn) ?? this.start(record.conn), record);
        break;
      case 'end':
        this.connections.delete(record.conn);
        break;
    }
  }

  /** A connection whose handshake this layer never saw (a log that starts mid-connection). */
  private start(conn: number): Connection {
    const c = this.choose(conn, null, null);
    this.connections.set(conn, c);
    return c;
  }

  private choose(conn: number, url: string | null, subprotocol: string | null): Connection {
    const c: Connection = { context: { url, subprotocol }, decoder: null, protocol: null, reason: null, sniffLeft: 0, requests: new Map() };
    const forced = this.options.forced?.(conn, url) ?? null;
    if (forced !== null) {
      const p = this.byName.get(forced);
      if (p) this.use(c, p, 'forced');
      return c;
    }
    const bySub = subprotocol === null ? undefined : this.bySubprotocol.get(subprotocol.toLowerCase());
    if (bySub) return this.use(c, bySub, 'subprotocol');
    const parsed = url === null ? null : parseUrl(url);
    const byUrl = parsed && this.options.protocols.find((p) => p.matchesUrl?.(parsed));
    if (byUrl) return this.use(c, byUrl, 'url');
    c.sniffLeft = SNIFF_MESSAGES;
    return c;
  }

  private use(c: Connection, p: AppProtocol, reason: ChoiceReason): Connection {
    c.protocol = p;
    c.reason = reason;
    c.decoder = p.create(c.context);
    c.sniffLeft = 0;
    return c;
  }

  private read(c: Connection, m: MessageRecord): void {
    if (m.app !== undefined) {
      this.keep(c, m, m.app);
      return;
    }
    if (c.decoder === null) {
      if (c.sniffLeft === 0 || (m.kind !== 'text' && m.kind !== 'binary')) return;
      c.sniffLeft--;
      const p = this.sniffers.find((s) => sniffs(s, m));
      if (!p) return;
      this.use(c, p, 'sniffed');
    }
    let entries: AppEntry[] | null;
    try {
      entries = c.decoder!.decode(m);
    } catch (err) {
      // A decoder that throws is a bug of wspeek's: say so on this message and read the rest raw.
      entries = [{ protocol: c.protocol!.name as AppProtocolName, error: `decoder failed: ${(err as Error).message}` }];
      c.decoder = null;
    }
    if (entries === null || entries.length === 0) return;
    if (c.reason === 'sniffed' && !m.truncated && entries.some(unreadable)) {
      // The guess was wrong: this message and the rest are read raw. (A message cut short by
      // --max-payload proves nothing about the guess: it keeps its error entry, and the protocol.)
      c.decoder = null;
      return;
    }
    m.app = entries;
    this.keep(c, m, entries);
  }

  /** Marks the requests that `m`'s entries answer, and keeps its requests for later replies. */
  private keep(c: Connection, m: MessageRecord, entries: readonly AppEntry[]): void {
    let requests: KeptAppEntry[] | null = null;
    for (const e of entries) {
      if (e.pair !== undefined) markAnswered(c.requests.get(e.pair), e);
      else if (isRequest(e)) (requests ??= []).push(e);
    }
    if (requests === null) return;
    c.requests.set(m.seq, requests);
    if (c.requests.size > MAX_KEPT_REQUESTS) c.requests.delete(c.requests.keys().next().value!);
  }
}

function sniffs(p: AppProtocol, m: MessageRecord): boolean {
  try {
    return p.sniff!(m);
  } catch {
    return false;
  }
}

function unreadable(e: AppEntry): boolean {
  return e.type === undefined && e.error !== undefined;
}

/** The request entry a reply points at: the one with the reply's id, else the message's first request. */
function markAnswered(requests: KeptAppEntry[] | undefined, reply: AppEntry): void {
  if (!requests) return;
  const r = requests.find((q) => q.id === reply.id) ?? requests[0]!;
  r[ANSWERED] = true;
}

function parseUrl(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}
