import crypto from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { errorRecord, eventRecord, httpRecord, undecodedEndRecord, type MessageRecord } from '../core/log/records.js';
import { MessageGate, type GateMessage, type GateStart } from '../core/relay/message-gate.js';
import { ConnectionDecoder } from '../core/websocket/connection-decoder.js';
import { otherSide, type Extension, type HeaderList, type Side, type WsEvent } from '../core/websocket/events.js';
import { deflateParams } from '../core/websocket/permessage-deflate.js';
import { now } from './clock.js';
import type { Carrier } from './connection-registry.js';
import type { DecodeQueue } from './decode-queue.js';
import { webSocketUrl, type Destination } from './destination.js';
import type { Interception, TapControl } from './interception.js';
import { clientCertificateRefusal, type ClientCertificate, type ClientCertificates } from './tls/client-certificates.js';

export interface TapOptions {
  conn: number;
  maxPayload: number;
  /** Verify the upstream's certificate (wss). */
  verify: boolean;
  /** The proxy's records: chunks are queued there for decoding, and the tap's own records go through it in order. */
  records: DecodeQueue;
  /** What may act on the connection: until something does, it is carried passively. */
  interception: Interception;
  /** Takes the upstream TLS session's key log lines (wss), or null. */
  keyLog: ((line: Buffer) => void) | null;
  /** --client-cert: the certificates offered to wss upstreams that ask for one, or null. */
  clientCertificates: ClientCertificates | null;
}

const NOT_ACTIVE = 'the connection is not carried actively';

/** Hop-by-hop headers meant for the proxy itself, not forwarded upstream. */
const PROXY_HEADERS = new Set(['proxy-connection', 'proxy-authorization', 'keep-alive']);

/**
 * Joins a client's upgrade request to the upstream and watches the bytes both ways.
 *
 * Passively, as long as nothing acts on the connection: every byte is forwarded unchanged and in
 * order (only the request head's Host differs, and what a script's onHandshake changed), then the
 * same chunk is queued for the decoder (see DecodeQueue), which only reads it: decoding can't
 * stall or alter forwarding.
 *
 * Actively, once the interception needs it (from the first byte, or switched over mid-stream):
 * each chunk is decoded at once, and goes on through a MessageGate per direction, which releases
 * data messages whole as they are decided and lets wspeek drop, replace and inject.
 *
 * Backpressure passes through: a side that can't keep up pauses the other.
 */
export function tapUpgrade(req: IncomingMessage, client: net.Socket, head: Buffer, upstream: Destination, options: TapOptions): Carrier {
  const startTs = now();
  const { conn, records, interception } = options;
  const url = webSocketUrl(upstream);
  /** Actively carried: a gate per sender. */
  let gates: Record<Side, MessageGate> | null = null;
  let extensions: Extension[] | null = null;
  /** Active: each sender's decoded data messages, waiting for their gate to complete them; and how many to skip (passed on before the gate). */
  const arrivals: Record<Side, MessageRecord[]> = { client: [], server: [] };
  const passed = { client: 0, server: 0 };
  /** A side that ended while its gate still held messages: its end goes on once they have gone. */
  const endPending = { client: false, server: false };
  /** Sides whose stream has ended (FIN received, or the socket closed). */
  const ended = { client: false, server: false };
  /** Active: data messages a gate completed before the decoder reported them (a client's frames sent before the 101 are decoded once it comes). */
  const unpaired: Record<Side, GateMessage[]> = { client: [], server: [] };
  const sink = (e: WsEvent) => {
    const r = eventRecord(conn, e, url);
    records.decoded(r);
    if (e.type === 'handshake') {
      extensions = e.extensions;
      if (gates) setDeflate(gates);
      if (!e.upgraded) releaseUnpaired(); // nothing more will be decoded
    } else if (gates && r.type === 'message' && (r.kind === 'text' || r.kind === 'binary')) {
      arrivals[r.from].push(r);
      if (unpaired[r.from].length > 0) pairLate(r.from);
    }
  };
  let decoder: ConnectionDecoder | null = new ConnectionDecoder({ startTs, maxPayload: options.maxPayload }, sink);
  let responded = false;
  let finished = false;
  const closed = { client: false, server: false };
  let bothClosed!: () => void;
  const carried = new Promise<void>((r) => (bothClosed = r));

  /** Feeds the decoder; a decoder fault would stop decoding, never forwarding. */
  const decode = (from: Side, data: Buffer, ts: number) => {
    if (!decoder) return;
    try {
      decoder.receive(from, data, ts);
    } catch (err) {
      decoder = null;
      records.decoded(errorRecord(conn, ts, 'decoder', `decoding stopped (the connection is still forwarded): ${(err as Error).message}`));
      releaseUnpaired();
    }
  };
  const observe = (from: Side, data: Buffer) => {
    if (decoder) records.later(decode, from, data, now());
  };

  const sent = requestHead(req, requestFor(req, null));
  const asSent = upstream.hostHeader === null && upstream.path === req.url;
  observe('client', sent);

  const clientCertificate = upstream.tls ? options.clientCertificates?.forHost(upstream.host) ?? null : null;
  const server = upstream.tls
    ? tls.connect({
      host: upstream.host, port: upstream.port, rejectUnauthorized: options.verify, ALPNProtocols: ['http/1.1'],
      ...(clientCertificate ? { cert: clientCertificate.cert, key: clientCertificate.key } : {}),
      ...(net.isIP(upstream.host) ? {} : { servername: upstream.host }),
      // tls.connect passes allowHalfOpen on to its socket; @types/node leaves it out.
      ...({ allowHalfOpen: true } as tls.ConnectionOptions),
    })
    : net.connect({ host: upstream.host, port: upstream.port, allowHalfOpen: true });
  if (server instanceof tls.TLSSocket && options.keyLog) server.on('keylog', options.keyLog);
  server.setNoDelay(true);
  client.setNoDelay(true);
  /** While a script's onHandshake decides the head the upstream gets, the client's bytes after its own head wait here. */
  let waiting: Buffer[] | null = null;
  if (interception.editsHandshakes) {
    waiting = [];
    const upstreamRequest = requestFor(req, asSent ? null : upstream);
    void interception.handshake({ conn, method: req.method ?? 'GET', url, ...upstreamRequest }).then((headers) => {
      const queued = waiting!;
      waiting = null;
      if (!server.writable) return;
      server.write(requestHead(req, { target: upstreamRequest.target, headers }));
      for (const chunk of queued) carry('client', chunk);
      if (!server.writableNeedDrain) client.resume();
    });
  } else server.write(asSent ? sent : requestHead(req, requestFor(req, upstream)));

  const control: TapControl = {
    conn,
    url,
    activate,
    resolve: (side, index, decision) => {
      if (!gates) return NOT_ACTIVE;
      const why = gates[side].resolve(index, decision);
      if (endPending[side]) endAfterHeld(side);
      return why;
    },
    rewritable: (side, index) => (gates ? gates[side].rewritable(index) : NOT_ACTIVE),
    inject: (to, opcode, payload) => gates !== null && gates[otherSide(to)].inject(opcode, payload),
    held: () => {
      const c = gates?.client.held;
      const s = gates?.server.held;
      return { messages: (c?.messages ?? 0) + (s?.messages ?? 0), waitingFrames: (c?.waitingFrames ?? 0) + (s?.waitingFrames ?? 0), waitingBytes: (c?.waitingBytes ?? 0) + (s?.waitingBytes ?? 0) };
    },
    closeAfter: (ms, reason) => {
      setTimeout(() => {
        if (finished) return;
        finish(reason);
        client.destroy();
        server.destroy();
      }, ms).unref();
    },
    reset: (reason) => {
      finish(reason);
      reset(client);
      reset(server);
    },
    together: (release) => {
      client.cork();
      server.cork();
      try {
        release();
      } finally {
        client.uncork();
        server.uncork();
      }
    },
  };
  interception.register(control);
  if (head.length > 0) carry('client', head);

  pipe(client, server, 'client');
  pipe(server, client, 'server');

  /** Bytes from `side`: forwarded at once and decoded later (passive), or decoded now and released by its gate (active). */
  function carry(side: Side, chunk: Buffer): void {
    if (waiting && side === 'client') {
      waiting.push(chunk);
      client.pause();
      return;
    }
    const gate = gates?.[side];
    if (!gate) {
      const to = side === 'client' ? server : client;
      if (!to.write(chunk)) (side === 'client' ? client : server).pause();
      observe(side, chunk);
      return;
    }
    const ts = now();
    records.after(() => decode(side, chunk, ts));
    gate.push(chunk);
  }

  /**
   * Passes `side`'s end on to the other side (closing with end() rather than destroy() lets what
   * is still queued drain first): at once, or, while its gate still holds messages and the receiver
   * is still there to read them, once the gate has let them go, so a message held when its sender
   * closed can still be forwarded. A receiver that has ended too gets the end at once; what is
   * still held is then dropped by wspeek when the connection finishes.
   */
  function endAfterHeld(side: Side): void {
    const to = side === 'client' ? server : client;
    const receiverGone = ended[otherSide(side)] || to.destroyed;
    endPending[side] = gates !== null && gates[side].pending && !receiverGone;
    if (!endPending[side] && !to.destroyed) to.end();
  }

  /** `side`'s stream has ended: its end goes on, and an end the other side held back for it may go too. */
  function sideEnded(side: Side): void {
    ended[side] = true;
    endAfterHeld(side);
    const other = otherSide(side);
    if (endPending[other]) endAfterHeld(other);
  }

  /** Switches to the active way: at once when both directions can be taken over here, else from the handshake's end. */
  function activate(): void {
    if (gates || finished) return;
    records.drain();
    const start = (side: Side): GateStart | null => {
      if (!decoder) return null;
      const framing = decoder.framing(side);
      if (framing) return { parser: framing.parser, inMessage: framing.inMessage };
      // Before frames: the client's bytes after its head are frames; the server's begin with its response head, if none of it has come yet.
      if (side === 'client') return { head: false };
      return server.bytesRead === 0 && !responded ? { head: true } : null;
    };
    const c = start('client');
    const s = start('server');
    if (!c || !s) return; // mid-response head, or decoding stopped: this connection stays passive
    gates = { client: gate('client', c), server: gate('server', s) };
    setDeflate(gates);
  }

  function gate(side: Side, start: GateStart): MessageGate {
    const from = side === 'client' ? client : server;
    const to = side === 'client' ? server : client;
    return new MessageGate({
      maskFrames: side === 'client',
      maskKey: () => crypto.randomBytes(4),
      write: (parts) => {
        if (to.destroyed) return;
        to.cork();
        let ok = true;
        for (const p of parts) ok = to.write(p);
        to.uncork();
        if (!ok) from.pause();
      },
      arrived: (m) => {
        const r = unpaired[side].length === 0 ? nextRecord(side) : undefined;
        if (r) return ask(side, m, r);
        if (!decoder) return 'forward'; // decoding stopped: it goes on
        unpaired[side].push(m);
        return 'hold';
      },
      passed: () => passed[side]++,
      reencoding: (m) => interception.reencoding(conn, side, m.tag),
    }, start);
  }

  /** The record of `side`'s next data message the gate asks about, once decoded. */
  function nextRecord(side: Side): MessageRecord | undefined {
    const queue = arrivals[side];
    for (; passed[side] > 0 && queue.length > 0; passed[side]--) queue.shift();
    return queue.shift();
  }

  function ask(side: Side, m: GateMessage, r: MessageRecord): 'forward' | 'hold' {
    m.tag = r.seq;
    return interception.arrived(control, side, m.index, r);
  }

  /** Messages a gate completed before their records came: asked about now, in order. */
  function pairLate(side: Side): void {
    while (unpaired[side].length > 0) {
      const r = nextRecord(side);
      if (!r) return;
      const m = unpaired[side].shift()!;
      if (ask(side, m, r) === 'forward') gates?.[side].resolve(m.index, { kind: 'forward' });
    }
  }

  /** Decoding stopped: the messages waiting for their records go on. */
  function releaseUnpaired(): void {
    for (const side of ['client', 'server'] as const) {
      for (const m of unpaired[side].splice(0)) gates?.[side].resolve(m.index, { kind: 'forward' });
    }
  }

  /** Each gate learns its sender's permessage-deflate parameters, once the handshake agreed them. */
  function setDeflate(g: Record<Side, MessageGate>): void {
    if (!extensions) return;
    const d = deflateParams(extensions);
    g.client.setDeflate(d && { noContextTakeover: d.clientNoContextTakeover, windowBits: d.clientMaxWindowBits ?? 15 });
    g.server.setDeflate(d && { noContextTakeover: d.serverNoContextTakeover, windowBits: d.serverMaxWindowBits ?? 15 });
  }

  function pipe(from: net.Socket, to: net.Socket, side: Side): void {
    from.on('data', (chunk: Buffer) => {
      if (side === 'server') responded = true;
      carry(side, chunk);
    });
    to.on('drain', () => from.resume());
    // Half-close: a FIN from one side is passed on as a FIN to the other.
    from.on('end', () => {
      records.after(() => decoder?.endOfStream(side, now()));
      gates?.[side].end();
      sideEnded(side);
    });
    from.on('error', (err: NodeJS.ErrnoException) => {
      const reason = describeError(side, err, upstream, responded, clientCertificate);
      records.after(() => decoder?.endOfStream(side, now(), reason));
      if (side === 'server' && !responded && !client.destroyed) {
        // Nothing came back: answer the client ourselves, as a gateway would.
        badGateway(client, reason);
        records.emit(httpRecord(conn, startTs, now(), req.method ?? 'GET', url, 502, reason));
        return;
      }
      // A reset on one side is passed on as a reset.
      reset(to);
    });
    from.on('close', () => {
      closed[side] = true;
      sideEnded(side);
      if (closed.client && closed.server) {
        finish();
        interception.unregister(conn);
        bothClosed();
      }
    });
  }

  function finish(reason?: string): void {
    if (finished) return;
    finished = true;
    records.after(() => {
      if (decoder) decoder.finish(now(), reason);
      else records.decoded(undecodedEndRecord(conn, now(), startTs, reason ? 'proxy' : 'client', { client: client.bytesRead, server: server.bytesRead }, reason ?? 'decoding had stopped'));
    });
  }

  return {
    abort(reason: string) {
      finish(reason);
      client.destroy();
      server.destroy();
    },
    closed: carried,
  };
}

/**
 * The request's target and headers, from the parser's raw header list (names' case, order and
 * duplicates as the client sent them). With `upstream`, rewritten for it: its path, its Host,
 * and no proxy-only headers.
 */
function requestFor(req: IncomingMessage, upstream: Destination | null): { target: string; headers: HeaderList } {
  const headers: HeaderList = [];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (upstream && PROXY_HEADERS.has(lower)) continue;
    headers.push([name, upstream?.hostHeader && lower === 'host' ? upstream.hostHeader : raw[i + 1]!]);
  }
  return { target: upstream ? upstream.path : req.url ?? '/', headers };
}

/** The request head as bytes, with `target` and `headers`. */
function requestHead(req: IncomingMessage, { target, headers }: { target: string; headers: HeaderList }): Buffer {
  const lines = [`${req.method} ${target} HTTP/${req.httpVersion}`];
  for (const [name, value] of headers) lines.push(`${name}: ${value}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

/** Passes a reset on: RST for a TCP socket; a TLS socket can only be destroyed. */
function reset(socket: net.Socket): void {
  if (socket.destroyed) return;
  if (socket instanceof tls.TLSSocket) socket.destroy();
  else socket.resetAndDestroy();
}

function badGateway(client: net.Socket, reason: string): void {
  const body = `wspeek: ${reason}\n`;
  client.end(`HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

function describeError(side: Side, err: NodeJS.ErrnoException, upstream: Destination, responded: boolean, offered: ClientCertificate | null): string {
  if (side === 'server' && !responded) {
    const where = `${upstream.host}:${upstream.port}`;
    const refusal = upstream.tls ? clientCertificateRefusal(err, offered) : null;
    if (refusal) return `upstream ${where} ${refusal}`;
    if (err.code === 'ECONNREFUSED') return `upstream ${where} refused the connection`;
    if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return `upstream host ${upstream.host} not found`;
    if (err.code === 'ETIMEDOUT') return `upstream ${where} timed out`;
    if (upstream.tls && (err.code?.startsWith('ERR_TLS') || /certificate|self.signed|SSL/i.test(err.message))) {
      return `TLS to upstream ${where} failed: ${err.message} (use --insecure to skip verification)`;
    }
    return `upstream ${where}: ${err.message}`;
  }
  return err.code === 'ECONNRESET' ? `${side} reset the connection` : `${side} socket error: ${err.message}`;
}
