import { otherSide, type EventSink, type Extension, type HttpRequestHead, type HttpResponseHead, type MessageEvent, type Side, type WsEvent } from './events.js';
import { analyzeHandshake } from './handshake.js';
import { HeadReader, MAX_HEAD_BYTES, parseRequestHead, parseResponseHead } from './http-head.js';
import { MessageDecoder } from './message-decoder.js';
import { deflateParams } from './permessage-deflate.js';
import { VIOLATION_RULES } from './violation-rules.js';

export const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

export interface DecoderOptions {
  /** The caller's clock when the connection began (ms); `end.durationMs` counts from here. */
  startTs: number;
  /** Payload bytes kept per message (default 1 MiB); lengths stay exact. */
  maxPayload?: number;
  /** Start with frames: the handshake happened elsewhere and agreed to these extensions. */
  framesOnly?: { extensions: Extension[] };
}

const enum Phase {
  /** Reading this side's HTTP head. */
  Head,
  /** Head read; holding later bytes until the other side's head says how to decode them. */
  Waiting,
  Frames,
  /** Not WebSocket (a refused upgrade, a broken head): bytes are counted, not decoded. */
  Ignore,
}

/** Bytes a side may send past its head before the handshake completes; more are not held. */
const MAX_EARLY_BYTES = 1024 * 1024;

class SideState {
  phase = Phase.Head;
  readonly reader = new HeadReader();
  /** `seq` numbers held chunks across both sides, so they are decoded in arrival order. */
  early: Array<{ data: Buffer; ts: number; seq: number }> = [];
  earlyBytes = 0;
  bytes = 0;
  firstTs: number | null = null;
  ended = false;
  decoder: MessageDecoder | null = null;
}

/**
 * Decodes one TCP connection that carries (or may carry) a WebSocket: the HTTP
 * upgrade in both directions, then frames and messages in both directions.
 *
 * Sans-IO: feed it bytes with `receive` and timestamps from your own clock; it
 * delivers events to the sink synchronously, in order. It never throws on any
 * input and never modifies the buffers it is given.
 */
export class ConnectionDecoder {
  private readonly client = new SideState();
  private readonly server = new SideState();
  private readonly maxPayload: number;
  private request: { head: HttpRequestHead; ts: number } | null = null;
  private response: HttpResponseHead | null = null;
  private firstClose: { from: Side; code: number | null } | null = null;
  private readonly closed = { client: false, server: false };
  private firstEnded: Side | null = null;
  private readonly endReasons: string[] = [];
  /** Outstanding pings per sender, keyed by payload, for round-trip times. */
  private readonly pings = { client: new Map<string, number>(), server: new Map<string, number>() };
  private finished = false;
  /** Arrival order of held (early) chunks across both sides. */
  private earlySeq = 0;
  /** The last message's `seq`. */
  private messageSeq = 0;

  constructor(private readonly options: DecoderOptions, private readonly sink: EventSink) {
    this.maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    if (options.framesOnly) this.startFrames(options.framesOnly.extensions);
  }

  /** Bytes that `from` sent, exactly as they were on the wire, and when they arrived. */
  receive(from: Side, data: Buffer, ts: number): void {
    const s = this.state(from);
    s.bytes += data.length;
    if (s.firstTs === null) s.firstTs = ts;
    switch (s.phase) {
      case Phase.Frames:
        s.decoder!.push(data, ts);
        return;
      case Phase.Head:
        this.readHead(from, s, data, ts);
        return;
      case Phase.Waiting:
        this.holdEarly(from, s, data, ts);
        return;
      case Phase.Ignore:
        return;
    }
  }

  /** Where `side`'s frames stand (see MessageDecoder.framing), once its frames are being decoded; else null. */
  framing(side: Side): MessageDecoder['framing'] | null {
    const s = this.state(side);
    return s.phase === Phase.Frames && s.decoder ? s.decoder.framing : null;
  }

  /** `from` will send nothing more (its TCP stream ended, cleanly or by reset). */
  endOfStream(from: Side, ts: number, reason?: string): void {
    const s = this.state(from);
    if (s.ended) return;
    s.ended = true;
    this.firstEnded ??= from;
    if (reason) this.endReasons.push(reason);
    if (s.decoder) {
      const abrupt = s.decoder.end(ts);
      if (abrupt) this.endReasons.push(abrupt);
    } else if (s.phase === Phase.Head && s.bytes > 0) {
      this.endReasons.push(`${from} stream ended inside the HTTP head`);
    }
  }

  /** The connection is over: emits the `end` event once. `proxyReason` says the caller ended it. */
  finish(ts: number, proxyReason?: string): void {
    if (this.finished) return;
    if (proxyReason) this.endReasons.push(proxyReason);
    this.endOfStream('client', ts);
    this.endOfStream('server', ts);
    this.finished = true;
    const by: Side | 'proxy' = proxyReason ? 'proxy' : this.firstClose?.from ?? this.firstEnded ?? 'proxy';
    this.sink({
      type: 'end', ts, by, code: this.firstClose?.code ?? null,
      clean: this.closed.client && this.closed.server,
      bytes: { client: this.client.bytes, server: this.server.bytes },
      frames: { client: this.client.decoder?.frames ?? 0, server: this.server.decoder?.frames ?? 0 },
      durationMs: ts - this.options.startTs,
      reason: this.endReasons.length > 0 ? this.endReasons.join('; ') : null,
    });
  }

  private state(side: Side): SideState {
    return side === 'client' ? this.client : this.server;
  }

  private readHead(from: Side, s: SideState, data: Buffer, ts: number): void {
    const r = s.reader.push(data);
    if (r.kind === 'need-more') return;
    if (r.kind === 'too-large') return this.abandon(from, ts, `HTTP head larger than ${MAX_HEAD_BYTES} bytes`);
    if (from === 'client') {
      const parsed = parseRequestHead(r.head);
      if (!parsed.ok) return this.abandon(from, ts, parsed.error);
      this.request = { head: parsed.head, ts: s.firstTs! };
      for (const p of parsed.problems) this.handshakeViolation(from, ts, p);
    } else {
      const parsed = parseResponseHead(r.head);
      if (!parsed.ok) return this.abandon(from, ts, parsed.error);
      this.response = parsed.head;
      for (const p of parsed.problems) this.handshakeViolation(from, ts, p);
    }
    s.phase = Phase.Waiting;
    if (r.rest.length > 0) this.holdEarly(from, s, r.rest, ts);
    if (this.request && this.response) this.completeHandshake(ts);
  }

  private holdEarly(from: Side, s: SideState, data: Buffer, ts: number): void {
    s.earlyBytes += data.length;
    if (s.earlyBytes > MAX_EARLY_BYTES) {
      s.early = [];
      s.phase = Phase.Ignore;
      this.handshakeViolation(from, ts, `${from} sent over ${MAX_EARLY_BYTES} bytes before the handshake completed; they are forwarded, not decoded`);
      return;
    }
    // Copied: the caller may reuse its buffer once `receive` returns.
    s.early.push({ data: Buffer.from(data), ts, seq: this.earlySeq++ });
  }

  private completeHandshake(ts: number): void {
    const request = this.request!;
    const response = this.response!;
    const a = analyzeHandshake(request.head, response);
    for (const p of a.problems) {
      this.sink({ type: 'violation', ts, from: p.from, rule: p.rule, rfc: VIOLATION_RULES[p.rule].rfc, detail: p.detail });
    }
    this.sink({
      type: 'handshake', ts, requestTs: request.ts, ms: ts - request.ts, request: request.head, response,
      upgraded: a.upgraded, accept: a.accept, protocol: a.protocol, extensions: a.extensions,
    });
    if (!a.upgraded) {
      this.client.phase = this.server.phase = Phase.Ignore;
      this.client.early = this.server.early = [];
      return;
    }
    this.startFrames(a.extensions);
    // Held bytes are decoded in the order they arrived across both sides, so events stay in
    // arrival order whatever the chunking (a side's bytes that came with its head's last chunk
    // are not decoded before the other side's earlier bytes).
    const held = [this.client, this.server].flatMap((s) => s.early.map((e) => ({ ...e, s })));
    held.sort((x, y) => x.seq - y.seq);
    for (const { s, data, ts: at } of held) s.decoder?.push(data, at);
    for (const s of [this.client, this.server]) {
      s.early = [];
      if (!s.decoder) continue;
      // The stream already ended while its bytes were held: end the decoder now.
      if (s.ended) {
        const abrupt = s.decoder.end(ts);
        if (abrupt) this.endReasons.push(abrupt);
      }
    }
  }

  /**
   * Both sides switch to frames, except one already given up on (it overflowed while held):
   * its stream was dropped mid-way and can't be framed any more.
   */
  private startFrames(extensions: Extension[]): void {
    const deflate = deflateParams(extensions);
    const unknownExtension = extensions.some((e) => e.name !== 'permessage-deflate');
    const sink = (e: WsEvent) => this.observe(e);
    for (const side of ['client', 'server'] as const) {
      const s = this.state(side);
      if (s.phase === Phase.Ignore) continue;
      const noContextTakeover = side === 'client' ? deflate?.clientNoContextTakeover : deflate?.serverNoContextTakeover;
      s.decoder = new MessageDecoder(side, {
        deflate: deflate && { noContextTakeover: noContextTakeover! }, unknownExtension, maxPayload: this.maxPayload,
      }, sink);
      s.phase = Phase.Frames;
    }
  }

  /** Connection-level bookkeeping on the way to the sink: close frames, ping → pong round trips. */
  private observe(e: WsEvent): void {
    if (e.type === 'message') this.observeMessage(e);
    this.sink(e);
  }

  private observeMessage(m: MessageEvent): void {
    m.seq = ++this.messageSeq;
    if (m.kind === 'close') {
      this.closed[m.from] = true;
      this.firstClose ??= { from: m.from, code: m.close?.code ?? null };
    } else if (m.kind === 'ping') {
      const pings = this.pings[m.from];
      if (pings.size >= 64) pings.delete(pings.keys().next().value!);
      pings.set(m.payload.toString('latin1'), m.ts);
    } else if (m.kind === 'pong') {
      // RFC 6455 §5.5.3: a pong echoes the ping's payload; the ping came from the other side.
      const pings = this.pings[otherSide(m.from)];
      const key = m.payload.toString('latin1');
      const sent = pings.get(key);
      if (sent !== undefined) {
        m.rtt = m.ts - sent;
        pings.delete(key);
      }
    }
  }

  /** The head can't be read: report it and stop decoding the connection (bytes still count). */
  private abandon(from: Side, ts: number, detail: string): void {
    this.handshakeViolation(from, ts, `${detail}; the connection is forwarded but not decoded`);
    this.client.phase = this.server.phase = Phase.Ignore;
    this.client.early = this.server.early = [];
  }

  private handshakeViolation(from: Side, ts: number, detail: string): void {
    this.sink({ type: 'violation', ts, from, rule: 'malformed-handshake', rfc: VIOLATION_RULES['malformed-handshake'].rfc, detail });
  }
}
