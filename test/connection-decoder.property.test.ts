/**
 * Property-based tests of ConnectionDecoder (fast-check).
 *
 *  1. Round trip through real traffic: a `ws` client talks to a `ws` server through a TCP relay
 *     that records every chunk; the recording, re-chunked at random, decodes to exactly the
 *     messages the script sent, with no violation.
 *  2. Chunking invariance: the events (timestamps aside) don't depend on how the bytes are cut.
 *  3. Never throws: random bytes, random frames and mutated recordings, in every decoder setup.
 *  4. A reference frame encoder: every header field and every payload comes back exactly.
 *
 * Runs are seeded at random; a failure prints fast-check's seed and counterexample.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { deflateRawSync, constants as zlibConstants } from 'node:zlib';
import fc from 'fast-check';
import WebSocket, { WebSocketServer } from 'ws';
import { ConnectionDecoder, DEFAULT_MAX_PAYLOAD } from '../core/websocket/connection-decoder.js';
import type { EndEvent, Extension, FrameEvent, HandshakeEvent, MessageEvent, MessageKind, Side, ViolationEvent, WsEvent } from '../core/websocket/events.js';
import { VIOLATION_RULES } from '../core/websocket/violation-rules.js';
import { prng } from './support/prng.js';

/** Every wait on the network is bounded: a bug fails the test instead of hanging it. */
const WAIT_MS = 10_000;
const SIDES: Side[] = ['client', 'server'];

// ───────────────────────────── small helpers ─────────────────────────────

function other(side: Side): Side {
  return side === 'client' ? 'server' : 'client';
}

type ByteStyle = 'random' | 'runs' | 'zeros';

/** `n` bytes from a seed: incompressible, compressible (repeated snippets) or all zero. */
function seededBytes(n: number, seed: number, style: ByteStyle): Buffer {
  const rnd = prng(seed);
  const out = Buffer.alloc(n);
  if (style === 'zeros') return out;
  if (style === 'random') {
    for (let i = 0; i < n; i++) out[i] = (rnd() * 256) | 0;
    return out;
  }
  const snippet = Buffer.alloc(1 + ((rnd() * 40) | 0));
  for (let i = 0; i < snippet.length; i++) snippet[i] = (rnd() * 256) | 0;
  for (let i = 0; i < n; i++) out[i] = rnd() < 0.02 ? (rnd() * 256) | 0 : snippet[i % snippet.length]!;
  return out;
}

/** Valid UTF-8 of exactly `n` bytes, mixing 1- to 4-byte characters. */
function utf8OfLength(n: number, seed: number): Buffer {
  const rnd = prng(seed);
  const out = Buffer.alloc(n);
  let i = 0;
  while (i < n) {
    const r = rnd();
    const width = Math.min(n - i, r < 0.55 ? 1 : r < 0.7 ? 2 : r < 0.88 ? 3 : 4);
    let cp: number;
    if (width === 1) cp = (rnd() * 0x80) | 0;
    else if (width === 2) cp = 0x80 + ((rnd() * (0x800 - 0x80)) | 0);
    else if (width === 3) {
      cp = 0x800 + ((rnd() * (0x10000 - 0x800)) | 0);
      if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xe000 + (cp - 0xd800);
    } else cp = 0x10000 + ((rnd() * (0x110000 - 0x10000)) | 0);
    i += out.write(String.fromCodePoint(cp), i, 'utf8');
  }
  return out;
}

/** A short, readable stand-in for a payload in assertion messages. */
function fingerprint(b: Buffer): string {
  const hash = createHash('sha256').update(b).digest('hex').slice(0, 16);
  return `${b.length}B ${b.subarray(0, 16).toString('hex')}${b.length > 16 ? '…' : ''} #${hash}`;
}

function textFingerprint(s: string | null): string | null {
  if (s === null || s.length <= 120) return s;
  return `${JSON.stringify(s.slice(0, 40))}… (${s.length} UTF-16 units) #${createHash('sha256').update(s).digest('hex').slice(0, 16)}`;
}

function withTimeout<T>(p: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function eventOnce(emitter: NodeJS.EventEmitter, event: string): Promise<unknown[]> {
  return new Promise((resolve) => emitter.once(event, (...args: unknown[]) => resolve(args)));
}

/** Counts arrivals; `waitFor(n)` resolves once `n` have come. */
class Counter {
  count = 0;
  private waiters: Array<{ n: number; resolve: () => void }> = [];
  add(): void {
    this.count++;
    this.waiters = this.waiters.filter((w) => (w.n <= this.count ? (w.resolve(), false) : true));
  }
  waitFor(n: number, what: string): Promise<void> {
    if (this.count >= n) return Promise.resolve();
    return withTimeout(new Promise<void>((resolve) => this.waiters.push({ n, resolve })), `${what} (${this.count} of ${n} so far)`);
  }
}

// ───────────────────────────── feeding the decoder ─────────────────────────────

interface Chunk { side: Side; data: Buffer }

interface Decoded {
  events: WsEvent[];
  /** What was fed, per side. */
  bytes: { client: number; server: number };
}

function decode(pieces: Chunk[], options: { maxPayload?: number; framesOnly?: { extensions: Extension[] } } = {}): Decoded {
  const events: WsEvent[] = [];
  const dec = new ConnectionDecoder({ startTs: 0, ...options }, (e) => events.push(e));
  const bytes = { client: 0, server: 0 };
  let ts = 0;
  for (const p of pieces) {
    bytes[p.side] += p.data.length;
    dec.receive(p.side, p.data, ++ts);
  }
  dec.finish(++ts);
  dec.finish(++ts); // a second finish must not emit a second end
  return { events, bytes };
}

/**
 * Re-cuts a recording: each run of same-side chunks is joined and cut again by cycling
 * through `plan` (chunk sizes), so pieces cross the recorded chunk boundaries but never the
 * points where the other side spoke: the order across sides stays as recorded.
 * `plan === null` feeds every run whole.
 */
function rechunk(chunks: Chunk[], plan: number[] | null): Chunk[] {
  const runs: Array<{ side: Side; parts: Buffer[] }> = [];
  for (const c of chunks) {
    const last = runs[runs.length - 1];
    if (last && last.side === c.side) last.parts.push(c.data);
    else runs.push({ side: c.side, parts: [c.data] });
  }
  const out: Chunk[] = [];
  const next = { client: 0, server: 0 };
  for (const run of runs) {
    const data = Buffer.concat(run.parts);
    if (plan === null) {
      out.push({ side: run.side, data });
      continue;
    }
    for (let off = 0; off < data.length;) {
      const size = plan[next[run.side]++ % plan.length]!;
      out.push({ side: run.side, data: data.subarray(off, off + size) });
      off += size;
    }
  }
  return out;
}

/** Cuts each side's stream by cycling `plan`, then interleaves the pieces by cycling `order` (true: client next). */
function interleave(client: Buffer, server: Buffer, plan: number[], order: boolean[]): Chunk[] {
  const cut = (side: Side, data: Buffer): Chunk[] => {
    const out: Chunk[] = [];
    let k = side === 'client' ? 0 : 7;
    for (let off = 0; off < data.length;) {
      const size = plan[k++ % plan.length]!;
      out.push({ side, data: data.subarray(off, off + size) });
      off += size;
    }
    return out;
  };
  const c = cut('client', client);
  const s = cut('server', server);
  const out: Chunk[] = [];
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < c.length || j < s.length) {
    const pickClient = j >= s.length || (i < c.length && order[k++ % order.length]!);
    out.push(pickClient ? c[i++]! : s[j++]!);
  }
  return out;
}

/** Chunk sizes from 1 byte up to more than a whole large message. */
const chunkSizeArb = fc.oneof(
  fc.constant(1),
  fc.integer({ min: 1, max: 16 }),
  fc.integer({ min: 1, max: 2_000 }),
  fc.integer({ min: 1, max: 200_000 }),
);
const chunkPlanArb = fc.array(chunkSizeArb, { minLength: 1, maxLength: 24 });
const orderArb = fc.array(fc.boolean(), { minLength: 1, maxLength: 16 });

function ofType<T extends WsEvent['type']>(events: WsEvent[], type: T): Array<Extract<WsEvent, { type: T }>> {
  return events.filter((e): e is Extract<WsEvent, { type: T }> => e.type === type);
}

function describeViolations(events: WsEvent[]): string {
  return ofType(events, 'violation').map((v) => `${v.from} ${v.rule}: ${v.detail}`).join('\n');
}

// ───────────────────────────── handshake bytes ─────────────────────────────

const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

type DeflateSetup = 'none' | 'deflate' | 'deflate-nct';

function deflateExtensions(setup: DeflateSetup): Extension[] {
  if (setup === 'none') return [];
  if (setup === 'deflate') return [{ name: 'permessage-deflate', params: {} }];
  return [{ name: 'permessage-deflate', params: { server_no_context_takeover: true, client_no_context_takeover: true } }];
}

/** A valid upgrade request and its 101 response (accept computed here, not by the code under test). */
function handshakeBytes(setup: DeflateSetup): { request: Buffer; response: Buffer } {
  const key = Buffer.from('wspeek-property!').toString('base64');
  const accept = createHash('sha1').update(key + WEBSOCKET_GUID).digest('base64');
  const offer = setup === 'none' ? '' : 'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n';
  const agreed = setup === 'none' ? '' : setup === 'deflate'
    ? 'Sec-WebSocket-Extensions: permessage-deflate\r\n'
    : 'Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n';
  const request = `GET /chat HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${offer}\r\n`;
  const response = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n${agreed}\r\n`;
  return { request: Buffer.from(request, 'latin1'), response: Buffer.from(response, 'latin1') };
}

// ───────────────────────────── 1. capture of real traffic ─────────────────────────────

interface Mode {
  name: string;
  pmd: false | WebSocket.PerMessageDeflateOptions;
  extensions: Extension[];
}

const MODES: Mode[] = [
  { name: 'no extension', pmd: false, extensions: deflateExtensions('none') },
  { name: 'permessage-deflate', pmd: { threshold: 0 }, extensions: deflateExtensions('deflate') },
  {
    name: 'permessage-deflate, no context takeover',
    pmd: { threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true },
    extensions: deflateExtensions('deflate-nct'),
  },
];

type SendOp =
  | { op: 'send'; from: Side; kind: 'text'; parts: string[] }
  | { op: 'send'; from: Side; kind: 'binary'; parts: Uint8Array[] };
type PingOp = { op: 'ping'; from: Side; payload: Uint8Array };
type Op = SendOp | PingOp;
interface Script { ops: Op[]; close: { from: Side; code: number; reason: string } }

const sideArb = fc.constantFrom<Side>('client', 'server');
const byteStyleArb = fc.constantFrom<ByteStyle>('random', 'runs', 'zeros');

const textArb = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40, size: 'medium' }) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 100, size: 'medium' }) },
  { weight: 2, arbitrary: fc.string({ maxLength: 200, size: 'max' }) },
  {
    // Long, compressible text: 16- and 64-bit lengths, back-references across the window.
    weight: 1,
    arbitrary: fc.tuple(fc.string({ unit: 'grapheme-composite', minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 20_000 }))
      .map(([s, n]) => s.repeat(Math.max(1, Math.min(n, Math.floor(70_000 / Buffer.byteLength(s)))))),
  },
);

const bytesArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 6, arbitrary: fc.uint8Array({ maxLength: 300, size: 'medium' }) },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.constantFrom(125, 126, 127, 65535, 65536, 65537), fc.integer(), byteStyleArb)
      .map(([n, seed, style]) => seededBytes(n, seed, style)),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.integer({ min: 0, max: 70_000 }), fc.integer(), byteStyleArb)
      .map(([n, seed, style]) => seededBytes(n, seed, style)),
  },
);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('send' as const), from: sideArb, kind: fc.constant('text' as const), parts: fc.tuple(textArb).map((t) => [...t]) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('send' as const), from: sideArb, kind: fc.constant('binary' as const), parts: fc.tuple(bytesArb).map((t) => [...t]) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('send' as const), from: sideArb, kind: fc.constant('text' as const), parts: fc.array(textArb, { minLength: 2, maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('send' as const), from: sideArb, kind: fc.constant('binary' as const), parts: fc.array(bytesArb, { minLength: 2, maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('ping' as const), from: sideArb, payload: fc.uint8Array({ maxLength: 125, size: 'max' }) }) },
);

const closeCodeArb = fc.oneof(
  fc.constantFrom(1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014),
  fc.integer({ min: 3000, max: 4999 }),
);
const closeReasonArb = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 30, size: 'medium' }), fc.string({ unit: 'binary', maxLength: 30, size: 'medium' }), fc.string({ maxLength: 123, size: 'max' }))
  .filter((r) => Buffer.byteLength(r) <= 123);

const scriptArb: fc.Arbitrary<Script> = fc.limitShrink(fc.record({
  ops: fc.array(opArb, { minLength: 1, maxLength: 30, size: 'max' }),
  close: fc.record({ from: sideArb, code: closeCodeArb, reason: closeReasonArb }),
}), 40);

function describeScript(s: Script): string {
  const op = (o: Op): string => o.op === 'ping'
    ? `${o.from} ping ${o.payload.length}B`
    : `${o.from} ${o.kind} [${o.parts.map((p) => (typeof p === 'string' ? Buffer.byteLength(p) : p.length)).join('+')}B]`;
  return `${s.ops.map(op).join(', ')}; ${s.close.from} closes ${s.close.code} ${JSON.stringify(s.close.reason)}`;
}

/** One TCP connection through the relay, as recorded. */
interface RelayConnection { chunks: Chunk[]; closed: Promise<void> }

/** A `ws` server and a recording TCP relay in front of it, both on 127.0.0.1, reused across runs. */
class CaptureRig {
  private onConnection: ((c: RelayConnection) => void) | null = null;
  private readonly sockets = new Set<net.Socket>();

  private constructor(readonly mode: Mode, private readonly wss: WebSocketServer, private readonly relay: net.Server, private readonly relayPort: number) {
    relay.on('connection', (c) => this.relayConnection(c));
  }

  static async start(mode: Mode): Promise<CaptureRig> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: mode.pmd });
    await withTimeout(eventOnce(wss, 'listening'), 'the ws server to listen');
    const wsPort = (wss.address() as net.AddressInfo).port;
    const relay = net.createServer({ allowHalfOpen: true });
    relay.listen(0, '127.0.0.1');
    await withTimeout(eventOnce(relay, 'listening'), 'the relay to listen');
    const rig = new CaptureRig(mode, wss, relay, (relay.address() as net.AddressInfo).port);
    rig.wsPort = wsPort;
    return rig;
  }

  private wsPort = 0;

  private relayConnection(c: net.Socket): void {
    const u = net.connect({ host: '127.0.0.1', port: this.wsPort, allowHalfOpen: true });
    const chunks: Chunk[] = [];
    for (const s of [c, u]) {
      this.sockets.add(s);
      s.on('error', () => { c.destroy(); u.destroy(); });
    }
    c.on('data', (d: Buffer) => { chunks.push({ side: 'client', data: Buffer.from(d) }); u.write(d); });
    u.on('data', (d: Buffer) => { chunks.push({ side: 'server', data: Buffer.from(d) }); c.write(d); });
    c.on('end', () => u.end());
    u.on('end', () => c.end());
    const closed = Promise.all([eventOnce(c, 'close'), eventOnce(u, 'close')]).then(() => {
      this.sockets.delete(c);
      this.sockets.delete(u);
    });
    const cb = this.onConnection;
    this.onConnection = null;
    cb?.({ chunks, closed });
  }

  /** Plays the script over a new client connection; resolves with the recording once both TCP streams closed. */
  async run(script: Script): Promise<Chunk[]> {
    const relayConnection = new Promise<RelayConnection>((resolve) => { this.onConnection = resolve; });
    const serverSocket = new Promise<WebSocket>((resolve) => this.wss.once('connection', (ws: WebSocket) => resolve(ws)));
    const errors: string[] = [];
    const received = { client: new Counter(), server: new Counter() };
    const pongs = { client: new Counter(), server: new Counter() };
    const client = new WebSocket(`ws://127.0.0.1:${this.relayPort}/chat`, { perMessageDeflate: this.mode.pmd });
    const ws: Record<Side, WebSocket> = { client, server: null as unknown as WebSocket };
    const wire = (side: Side, sock: WebSocket) => {
      sock.on('error', (e) => errors.push(`${side}: ${e.message}`));
      sock.on('message', () => received[side].add());
      sock.on('pong', () => pongs[side].add());
    };
    wire('client', client);
    const closed = { client: eventOnce(client, 'close'), server: null as unknown as Promise<unknown> };
    try {
      await withTimeout(eventOnce(client, 'open'), 'the client to open');
      ws.server = await withTimeout(serverSocket, 'the server connection');
      wire('server', ws.server);
      closed.server = eventOnce(ws.server, 'close');
      const conn = await withTimeout(relayConnection, 'the relay connection');

      const expected = { client: 0, server: 0 };
      const pings = { client: 0, server: 0 };
      for (const op of script.ops) {
        const sender = ws[op.from];
        if (op.op === 'ping') {
          sender.ping(Buffer.from(op.payload));
          // Wait for the automatic pong: it then sits at a known place in the peer's stream.
          await pongs[op.from].waitFor(++pings[op.from], `the pong to ${op.from} ping #${pings[op.from]}`);
          continue;
        }
        op.parts.forEach((p: string | Uint8Array, i: number) => {
          sender.send(typeof p === 'string' ? p : Buffer.from(p), { binary: op.kind === 'binary', fin: i === op.parts.length - 1 });
        });
        expected[other(op.from)]++;
      }
      await received.client.waitFor(expected.client, 'the client to receive every message');
      await received.server.waitFor(expected.server, 'the server to receive every message');
      ws[script.close.from].close(script.close.code, script.close.reason);
      await withTimeout(Promise.all([closed.client, closed.server, conn.closed]), 'the close handshake and both TCP streams to end');
      assert.deepEqual(errors, [], 'ws reported errors');
      return conn.chunks;
    } catch (e) {
      client.terminate();
      ws.server?.terminate();
      throw new Error(`capture failed (${errors.join('; ') || 'no ws error'}): ${(e as Error).message}`);
    }
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    for (const c of this.wss.clients) c.terminate();
    await Promise.all([
      new Promise<void>((resolve) => this.wss.close(() => resolve())),
      new Promise<void>((resolve) => this.relay.close(() => resolve())),
    ]);
  }
}

const rigs: CaptureRig[] = [];
after(async () => {
  await Promise.all(rigs.map((r) => r.close()));
});

interface ExpectedMessage {
  kind: MessageKind;
  payload: Buffer;
  frames: number;
  compressed: boolean;
  text: string | null;
  close?: { code: number | null; reason: string };
}

/** What each side's stream must decode to, given the script (and ws's automatic pongs). */
function expectedMessages(script: Script, deflate: boolean): Record<Side, ExpectedMessage[]> {
  const out: Record<Side, ExpectedMessage[]> = { client: [], server: [] };
  for (const op of script.ops) {
    if (op.op === 'ping') {
      const payload = Buffer.from(op.payload);
      out[op.from].push({ kind: 'ping', payload, frames: 1, compressed: false, text: null });
      out[other(op.from)].push({ kind: 'pong', payload, frames: 1, compressed: false, text: null });
      continue;
    }
    const payload = Buffer.concat(op.parts.map((p: string | Uint8Array) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));
    out[op.from].push({
      kind: op.kind, payload, frames: op.parts.length, compressed: deflate,
      text: op.kind === 'text' ? payload.toString('utf8') : null,
    });
  }
  const { from, code, reason } = script.close;
  const payload = Buffer.concat([Buffer.from([code >> 8, code & 0xff]), Buffer.from(reason, 'utf8')]);
  const close = { code, reason: Buffer.from(reason, 'utf8').toString('utf8') };
  // The closer's frame first; ws echoes code and reason.
  out[from].push({ kind: 'close', payload, frames: 1, compressed: false, text: null, close });
  out[other(from)].push({ kind: 'close', payload, frames: 1, compressed: false, text: null, close });
  return out;
}

function summarizeExpected(m: ExpectedMessage) {
  return {
    kind: m.kind, length: m.payload.length, payload: fingerprint(m.payload), frames: m.frames, compressed: m.compressed,
    truncated: false, incomplete: false, text: textFingerprint(m.text), close: m.close,
  };
}

function summarizeDecoded(m: MessageEvent) {
  return {
    kind: m.kind, length: m.length, payload: fingerprint(m.payload), frames: m.frames, compressed: m.compressed,
    truncated: m.truncated, incomplete: m.incomplete, text: textFingerprint(m.text), close: m.close,
  };
}

function sideBytes(chunks: Chunk[]): { client: number; server: number } {
  const n = { client: 0, server: 0 };
  for (const c of chunks) n[c.side] += c.data.length;
  return n;
}

function digestChunks(chunks: Chunk[]): string {
  const h = createHash('sha256');
  for (const c of chunks) h.update(c.side).update(c.data);
  return h.digest('hex');
}

/** Recordings kept for the chunking-invariance and mutation properties. */
const recordings: Array<{ mode: Mode; chunks: Chunk[] }> = [];

function checkRoundTrip(mode: Mode, script: Script, chunks: Chunk[], plan: number[] | null): void {
  const before = digestChunks(chunks);
  const { events } = decode(rechunk(chunks, plan));
  assert.equal(digestChunks(chunks), before, 'the decoder modified the buffers it was given');

  assert.equal(describeViolations(events), '', 'no violation in traffic between two ws peers');
  const handshakes = ofType(events, 'handshake');
  assert.equal(handshakes.length, 1, 'one handshake event');
  const hs = handshakes[0]!;
  assert.equal(hs.upgraded, true);
  assert.equal(hs.accept, 'valid');
  assert.equal(hs.request.method, 'GET');
  assert.equal(hs.request.target, '/chat');
  assert.equal(hs.response.status, 101);
  assert.deepEqual(hs.extensions, mode.extensions);
  assert.equal(events[0], hs, 'the handshake comes first');

  const deflate = mode.pmd !== false;
  const expected = expectedMessages(script, deflate);
  const messages = ofType(events, 'message');
  const frames = ofType(events, 'frame');
  for (const side of SIDES) {
    const mine = messages.filter((m) => m.from === side);
    assert.deepEqual(mine.map(summarizeDecoded), expected[side].map(summarizeExpected), `${side} messages`);
    // Exact payloads (the summaries above compare hashes, to keep failure output readable).
    mine.forEach((m, i) => assert.ok(m.payload.equals(expected[side][i]!.payload), `${side} message #${i} payload`));
    for (const m of mine) {
      if (!m.compressed) assert.equal(m.wireLength, m.length, `${side} ${m.kind}: wireLength of an uncompressed message`);
    }
    const myFrames = frames.filter((f) => f.from === side);
    assert.equal(myFrames.length, expected[side].reduce((n, m) => n + m.frames, 0), `${side} frame count`);
    for (const f of myFrames) {
      assert.equal(f.masked, side === 'client', `${side} frame MASK bit`);
      assert.deepEqual(f.rsv, [f.opcode === 1 || f.opcode === 2 ? deflate : false, false, false], `${side} frame RSV bits (opcode ${f.opcode})`);
    }
  }

  const ends = ofType(events, 'end');
  assert.equal(ends.length, 1, 'exactly one end event');
  const end = ends[0]!;
  assert.equal(events[events.length - 1], end, 'end is the last event');
  assert.deepEqual(end.bytes, sideBytes(chunks), 'end.bytes counts every recorded byte');
  assert.deepEqual(end.frames, { client: frames.filter((f) => f.from === 'client').length, server: frames.filter((f) => f.from === 'server').length });
  assert.equal(end.by, script.close.from);
  assert.equal(end.code, script.close.code);
  assert.equal(end.clean, true);
  assert.equal(end.reason, null);
}

for (const [i, mode] of MODES.entries()) {
  const numRuns = [25, 25, 20][i]!;
  test(`property 1 (${mode.name}): ws traffic recorded by a relay decodes to exactly the messages sent, however it is chunked`, async () => {
    const rig = await CaptureRig.start(mode);
    rigs.push(rig);
    await fc.assert(
      fc.asyncProperty(scriptArb, chunkPlanArb, async (script, plan) => {
        const chunks = await rig.run(script);
        if (recordings.filter((r) => r.mode === mode).length < 6) recordings.push({ mode, chunks });
        try {
          checkRoundTrip(mode, script, chunks, plan);
          checkRoundTrip(mode, script, chunks, null);
        } catch (e) {
          (e as Error).message += `\n  script: ${describeScript(script)}\n  chunk plan: ${JSON.stringify(plan)}`;
          throw e;
        }
      }),
      { numRuns, includeErrorInReport: true },
    );
  });
}

// ───────────────────────────── 2. chunking invariance ─────────────────────────────

/** Events without their timestamps (and rtt, which is a difference of timestamps). */
function timeless(events: WsEvent[]): unknown[] {
  return events.map((e) => {
    const { ts: _ts, ...rest } = e as WsEvent & Record<string, unknown>;
    delete rest['startTs'];
    delete rest['requestTs'];
    delete rest['ms'];
    delete rest['rtt'];
    delete rest['durationMs'];
    return rest;
  });
}

/** A fixed script for when property 1 did not run (e.g. filtered by --test-name-pattern). */
const FALLBACK_SCRIPT: Script = {
  ops: [
    { op: 'send', from: 'client', kind: 'text', parts: ['héllo wörld ✓ 𝄞'] },
    { op: 'send', from: 'server', kind: 'binary', parts: [seededBytes(70_000, 1, 'runs')] },
    { op: 'ping', from: 'client', payload: Buffer.from('ping!') },
    { op: 'send', from: 'client', kind: 'text', parts: ['frag', 'mented ', 'x'.repeat(300)] },
    { op: 'send', from: 'server', kind: 'text', parts: ['héllo wörld ✓ 𝄞'] },
  ],
  close: { from: 'server', code: 4001, reason: 'bye ✓' },
};

async function ensureRecordings(): Promise<void> {
  for (const mode of MODES) {
    if (recordings.some((r) => r.mode === mode)) continue;
    const rig = await CaptureRig.start(mode);
    rigs.push(rig);
    recordings.push({ mode, chunks: await rig.run(FALLBACK_SCRIPT) });
  }
}

/** XORs bytes of a recording at positions (mod each side's length); the chunk structure is kept. */
function mutate(chunks: Chunk[], flips: Array<{ side: Side; pos: number; xor: number }>): Chunk[] {
  const copy = chunks.map((c) => ({ side: c.side, data: Buffer.from(c.data) }));
  const total = sideBytes(copy);
  for (const f of flips) {
    if (total[f.side] === 0) continue;
    let pos = f.pos % total[f.side];
    for (const c of copy) {
      if (c.side !== f.side) continue;
      if (pos < c.data.length) {
        c.data[pos]! ^= f.xor;
        break;
      }
      pos -= c.data.length;
    }
  }
  return copy;
}

/** Mostly flips past the handshake (where frames are), some anywhere. */
const flipArb = fc.record({
  side: sideArb,
  pos: fc.oneof(fc.integer({ min: 0, max: 400 }), fc.nat()),
  xor: fc.integer({ min: 1, max: 255 }),
});

test('property 2: the events of a recording, timestamps aside, do not depend on the chunking', async () => {
  await ensureRecordings();
  await fc.assert(
    fc.property(
      fc.integer({ min: 0, max: recordings.length - 1 }),
      fc.array(flipArb, { maxLength: 6 }),
      chunkPlanArb,
      fc.option(fc.integer({ min: 0, max: 300 }), { nil: undefined }),
      (index, flips, plan, maxPayload) => {
        const chunks = flips.length > 0 ? mutate(recordings[index]!.chunks, flips) : recordings[index]!.chunks;
        const options = maxPayload === undefined ? {} : { maxPayload };
        const whole = decode(rechunk(chunks, null), options).events;
        const cut = decode(rechunk(chunks, plan), options).events;
        assert.deepEqual(timeless(cut), timeless(whole));
      },
    ),
    { numRuns: 300, includeErrorInReport: true },
  );
});

// ───────────────────────────── 3. never throws ─────────────────────────────

const KINDS: Record<number, MessageKind> = { 1: 'text', 2: 'binary', 8: 'close', 9: 'ping', 10: 'pong' };

/** What must hold for any input: one end event, last; known rules; self-consistent messages and frames. */
function checkInvariants(d: Decoded, maxPayload: number): void {
  const { events } = d;
  const ends = ofType(events, 'end');
  assert.equal(ends.length, 1, 'exactly one end event');
  assert.equal(events[events.length - 1], ends[0], 'end is the last event');
  assert.deepEqual(ends[0]!.bytes, d.bytes, 'end.bytes counts every byte fed');
  assert.ok(ofType(events, 'handshake').length <= 1, 'at most one handshake');
  for (const e of events) {
    switch (e.type) {
      case 'violation': {
        const v: ViolationEvent = e;
        assert.ok(Object.hasOwn(VIOLATION_RULES, v.rule), `unknown rule ${v.rule}`);
        assert.equal(v.rfc, VIOLATION_RULES[v.rule].rfc, `rfc of ${v.rule}`);
        assert.ok(v.from === 'client' || v.from === 'server');
        assert.equal(typeof v.detail, 'string');
        break;
      }
      case 'frame': {
        const f: FrameEvent = e;
        assert.ok(f.opcode >= 0 && f.opcode <= 15);
        assert.equal(f.mask === null, !f.masked);
        if (f.mask !== null) assert.match(f.mask, /^[0-9a-f]{8}$/);
        assert.ok(Number.isSafeInteger(f.length) && f.length >= 0, `frame length ${f.length}`);
        const base = f.headerLength - (f.masked ? 4 : 0);
        assert.ok([2, 4, 10].includes(base), `headerLength ${f.headerLength} (masked ${f.masked})`);
        // A non-minimal length form is allowed (and reported), a too-short one can't exist.
        assert.ok(base >= (f.length < 126 ? 2 : f.length < 65536 ? 4 : 10), `headerLength ${f.headerLength} for length ${f.length}`);
        if (base === 2) assert.ok(f.length <= 125);
        if (base === 4) assert.ok(f.length <= 65535);
        break;
      }
      case 'message': {
        const m: MessageEvent = e;
        const what = `${m.from} ${m.kind} message (length ${m.length}, wire ${m.wireLength}, kept ${m.payload.length})`;
        assert.ok(Number.isSafeInteger(m.length) && m.length >= 0, `${what}: length`);
        assert.ok(Number.isSafeInteger(m.wireLength) && m.wireLength >= 0, `${what}: wireLength`);
        assert.ok(m.frames >= 1, `${what}: frames`);
        assert.ok(m.payload.length <= m.length, `${what}: more kept than its length`);
        assert.equal(m.truncated, m.payload.length < m.length, `${what}: truncated flag`);
        const control = m.kind === 'close' || m.kind === 'ping' || m.kind === 'pong';
        if (control) {
          assert.equal(m.frames, 1, `${what}: control frames`);
          assert.equal(m.compressed, false);
          assert.equal(m.incomplete, false);
          assert.equal(m.length, m.wireLength);
          assert.equal(m.payload.length, Math.min(m.length, Math.max(maxPayload, 125)), `${what}: control payload kept`);
        } else {
          assert.ok(m.payload.length <= maxPayload, `${what}: kept more than maxPayload ${maxPayload}`);
          if (!m.compressed) {
            assert.equal(m.length, m.wireLength, `${what}: uncompressed length`);
            assert.equal(m.payload.length, Math.min(m.length, maxPayload), `${what}: uncompressed payload kept`);
          }
        }
        if (m.kind !== 'text') assert.equal(m.text, null, `${what}: text`);
        else if (m.text !== null) assert.equal(Buffer.from(m.text, 'utf8').length <= m.payload.length, true);
        assert.equal(m.close !== undefined, m.kind === 'close', `${what}: close field`);
        assert.ok(Object.values(KINDS).includes(m.kind));
        break;
      }
      case 'handshake': {
        const h: HandshakeEvent = e;
        assert.ok(typeof h.upgraded === 'boolean');
        break;
      }
      case 'end': {
        const end: EndEvent = e;
        assert.ok(end.frames.client >= 0 && end.frames.server >= 0);
        // Frames counted: every frame event, an invalid length, and a frame cut off mid-payload.
        for (const side of SIDES) {
          const seen = ofType(events, 'frame').filter((f) => f.from === side).length
            + ofType(events, 'violation').filter((v) => v.from === side && v.rule === 'invalid-length').length;
          assert.ok(end.frames[side] === seen || end.frames[side] === seen + 1, `end.frames.${side} ${end.frames[side]}, ${seen} frames seen`);
        }
        break;
      }
    }
  }
}

/** Decodes, checking that it does not throw and does not touch its input. */
function decodeChecked(pieces: Chunk[], options: { maxPayload?: number; framesOnly?: { extensions: Extension[] } }): Decoded {
  const before = digestChunks(pieces);
  let d: Decoded;
  try {
    d = decode(pieces, options);
  } catch (e) {
    throw new Error(`the decoder threw: ${(e as Error).stack}`);
  }
  assert.equal(digestChunks(pieces), before, 'the decoder modified the buffers it was given');
  checkInvariants(d, options.maxPayload ?? DEFAULT_MAX_PAYLOAD);
  return d;
}

const setupArb = fc.record({
  deflate: fc.constantFrom<DeflateSetup>('none', 'deflate', 'deflate-nct'),
  framesOnly: fc.boolean(),
  maxPayload: fc.option(fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 70_000 })), { nil: undefined }),
});
type Setup = { deflate: DeflateSetup; framesOnly: boolean; maxPayload: number | undefined };

function setupStreams(setup: Setup, client: Buffer, server: Buffer) {
  const options = {
    ...(setup.maxPayload === undefined ? {} : { maxPayload: setup.maxPayload }),
    ...(setup.framesOnly ? { framesOnly: { extensions: deflateExtensions(setup.deflate) } } : {}),
  };
  if (setup.framesOnly) return { options, client, server };
  const { request, response } = handshakeBytes(setup.deflate);
  return { options, client: Buffer.concat([request, client]), server: Buffer.concat([response, server]) };
}

function checkHandshake(setup: Setup, events: WsEvent[]): void {
  const hs = ofType(events, 'handshake');
  if (setup.framesOnly) return assert.equal(hs.length, 0);
  assert.equal(hs.length, 1);
  assert.equal(hs[0]!.upgraded, true);
  assert.equal(hs[0]!.accept, 'valid');
  assert.deepEqual(hs[0]!.extensions, deflateExtensions(setup.deflate));
}

/** Random frames: any header bits, honest or lying lengths, raw or deflated payloads. */
const soupFrameArb: fc.Arbitrary<Buffer> = fc.record({
  fin: fc.boolean(),
  rsv1: fc.boolean(),
  rsv2: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  rsv3: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  opcode: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 1, 2, 8, 9, 10) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 15 }) }),
  mask: fc.option(fc.uint8Array({ minLength: 4, maxLength: 4 }), { nil: null }),
  lengthForm: fc.constantFrom('minimal', 'minimal', 'minimal', '16', '64', '64-msb', 'lie'),
  lie: fc.integer({ min: 0, max: 70_000 }),
  payload: fc.oneof(
    fc.uint8Array({ maxLength: 300, size: 'medium' }),
    fc.tuple(fc.uint8Array({ maxLength: 400, size: 'max' }), fc.boolean(), fc.nat()).map(([raw, stripTail, cutAt]) => {
      const deflated = deflateRawSync(raw, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
      const body = stripTail ? deflated.subarray(0, deflated.length - 4) : deflated;
      return cutAt % 3 === 0 ? body.subarray(0, cutAt % (body.length + 1)) : body;
    }),
    fc.tuple(fc.constantFrom(1000, 1005, 1006, 999, 5000, 4999, 1015), fc.uint8Array({ maxLength: 10 })).map(([code, rest]) => Buffer.concat([Buffer.from([code >> 8, code & 0xff]), rest])),
    fc.constantFrom(Buffer.from([0xc3]), Buffer.from([0xe2, 0x82]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xf4, 0x90, 0x80, 0x80])),
  ),
}).map((f) => {
  const payload = Buffer.from(f.payload);
  const length = f.lengthForm === 'lie' ? f.lie : payload.length;
  const head: number[] = [(f.fin ? 0x80 : 0) | (f.rsv1 ? 0x40 : 0) | (f.rsv2 ? 0x20 : 0) | (f.rsv3 ? 0x10 : 0) | f.opcode];
  const m = f.mask ? 0x80 : 0;
  const form = f.lengthForm === 'lie' ? 'minimal' : f.lengthForm;
  if (form === '64-msb') head.push(m | 127, 0x80 | (length & 0x7f), 0, 0, 0, 0, 0, 0, length & 0xff);
  else if (form === '64' || (form === 'minimal' && length > 0xffff)) {
    head.push(m | 127, 0, 0, 0, 0, (length >>> 24) & 0xff, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff);
  } else if (form === '16' || length > 125) head.push(m | 126, (length >> 8) & 0xff, length & 0xff);
  else head.push(m | length);
  if (f.mask) {
    head.push(...f.mask);
    for (let i = 0; i < payload.length; i++) payload[i]! ^= f.mask[i & 3]!;
  }
  return Buffer.concat([Buffer.from(head), payload]);
});
const soupArb = fc.array(soupFrameArb, { maxLength: 12, size: 'medium' }).map((frames) => Buffer.concat(frames));

test('property 3a: random bytes after a handshake or in frames-only mode never make the decoder throw', () => {
  fc.assert(
    fc.property(setupArb, fc.uint8Array({ maxLength: 4096, size: 'max' }), fc.uint8Array({ maxLength: 4096, size: 'max' }), chunkPlanArb, orderArb, (setup, c, s, plan, order) => {
      const st = setupStreams(setup, Buffer.from(c), Buffer.from(s));
      const d = decodeChecked(interleave(st.client, st.server, plan, order), st.options);
      checkHandshake(setup, d.events);
    }),
    { numRuns: 1000, includeErrorInReport: true },
  );
});

test('property 3b: random frames (any bits, lying lengths, deflated or broken payloads) never make the decoder throw', () => {
  fc.assert(
    fc.property(setupArb, soupArb, soupArb, chunkPlanArb, orderArb, (setup, c, s, plan, order) => {
      const st = setupStreams(setup, c, s);
      const d = decodeChecked(interleave(st.client, st.server, plan, order), st.options);
      checkHandshake(setup, d.events);
    }),
    { numRuns: 800, includeErrorInReport: true },
  );
});

test('property 3c: random byte flips and truncations of recorded traffic never make the decoder throw', async () => {
  await ensureRecordings();
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: recordings.length - 1 }),
      fc.array(flipArb, { minLength: 1, maxLength: 8 }),
      fc.option(fc.record({ side: sideArb, keep: fc.double({ min: 0, max: 1, noNaN: true }) }), { nil: null }),
      chunkPlanArb,
      fc.option(fc.integer({ min: 0, max: 300 }), { nil: undefined }),
      (index, flips, cut, plan, maxPayload) => {
        let chunks = mutate(recordings[index]!.chunks, flips);
        if (cut) {
          // Drop the tail of one side's stream.
          let keep = Math.floor(sideBytes(chunks)[cut.side] * cut.keep);
          chunks = chunks.flatMap((c) => {
            if (c.side !== cut.side) return [c];
            const piece = c.data.subarray(0, Math.max(0, keep));
            keep -= c.data.length;
            return piece.length > 0 ? [{ side: c.side, data: piece }] : [];
          });
        }
        decodeChecked(rechunk(chunks, plan), maxPayload === undefined ? {} : { maxPayload });
      },
    ),
    { numRuns: 500, includeErrorInReport: true },
  );
});

// ───────────────────────────── 4. reference encoder ─────────────────────────────

interface RefFrame { fin: boolean; opcode: number; payload: Buffer; mask: Buffer | null }

/** RFC 6455 §5.2, minimal length form, RSV = 0. */
function encodeFrame(f: RefFrame): Buffer {
  const n = f.payload.length;
  const m = f.mask ? 0x80 : 0;
  const head: number[] = [(f.fin ? 0x80 : 0) | f.opcode];
  if (n < 126) head.push(m | n);
  else if (n < 65536) head.push(m | 126, n >> 8, n & 0xff);
  else head.push(m | 127, 0, 0, 0, 0, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
  const payload = Buffer.from(f.payload);
  if (f.mask) {
    head.push(...f.mask);
    for (let i = 0; i < n; i++) payload[i]! ^= f.mask[i & 3]!;
  }
  return Buffer.concat([Buffer.from(head), payload]);
}

function minimalHeaderLength(n: number, masked: boolean): number {
  return (n < 126 ? 2 : n < 65536 ? 4 : 10) + (masked ? 4 : 0);
}

const dataLengthArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0, 1, 125, 126, 127) },
  { weight: 1, arbitrary: fc.constantFrom(65535, 65536) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 400 }) },
);
const controlLengthArb = fc.oneof(fc.constantFrom(0, 1, 124, 125), fc.integer({ min: 0, max: 125 }));

type Item =
  | { t: 'data'; kind: 'text' | 'binary'; fragments: number[]; seed: number; between: Array<{ kind: 'ping' | 'pong'; length: number } | null> }
  | { t: 'control'; kind: 'ping' | 'pong'; length: number }
  | { t: 'close'; code: number | null; reason: string };

const itemArb: fc.Arbitrary<Item> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('data' as const),
      kind: fc.constantFrom<'text' | 'binary'>('text', 'binary'),
      fragments: fc.array(dataLengthArb, { minLength: 1, maxLength: 3 }),
      seed: fc.integer(),
      between: fc.array(fc.option(fc.record({ kind: fc.constantFrom<'ping' | 'pong'>('ping', 'pong'), length: controlLengthArb }), { nil: null }), { maxLength: 2 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('control' as const), kind: fc.constantFrom<'ping' | 'pong'>('ping', 'pong'), length: controlLengthArb }) },
);
const closeItemArb: fc.Arbitrary<Item> = fc.oneof(
  fc.constant({ t: 'close' as const, code: null, reason: '' }),
  fc.record({ t: fc.constant('close' as const), code: closeCodeArb, reason: closeReasonArb }),
);
const sideScriptArb = fc.record({
  items: fc.array(itemArb, { maxLength: 6, size: 'max' }),
  close: fc.option(closeItemArb, { nil: null }),
  seed: fc.integer(),
});

interface RefExpected { stream: Buffer; frames: Array<Omit<FrameEvent, 'type' | 'ts'>>; messages: Array<{ kind: MessageKind; full: Buffer; frames: number; close?: { code: number | null; reason: string } }> }

function buildSide(side: Side, script: { items: Item[]; close: Item | null; seed: number }): RefExpected {
  const rnd = prng(script.seed);
  const masked = side === 'client';
  const out: Buffer[] = [];
  const frames: RefExpected['frames'] = [];
  const messages: RefExpected['messages'] = [];
  const emit = (fin: boolean, opcode: number, payload: Buffer) => {
    const mask = masked ? Buffer.from([0, 0, 0, 0].map(() => (rnd() * 256) | 0)) : null;
    out.push(encodeFrame({ fin, opcode, payload, mask }));
    frames.push({
      from: side, fin, rsv: [false, false, false], opcode, masked, mask: mask ? mask.toString('hex') : null,
      length: payload.length, headerLength: minimalHeaderLength(payload.length, masked),
    });
  };
  const control = (kind: 'ping' | 'pong', length: number) => {
    const payload = seededBytes(length, (rnd() * 2 ** 31) | 0, 'random');
    emit(true, kind === 'ping' ? 9 : 10, payload);
    messages.push({ kind, full: payload, frames: 1 });
  };
  const items = script.close ? [...script.items, script.close] : script.items;
  for (const item of items) {
    if (item.t === 'control') control(item.kind, item.length);
    else if (item.t === 'close') {
      const payload = item.code === null ? Buffer.alloc(0) : Buffer.concat([Buffer.from([item.code >> 8, item.code & 0xff]), Buffer.from(item.reason, 'utf8')]);
      emit(true, 8, payload);
      messages.push({ kind: 'close', full: payload, frames: 1, close: { code: item.code, reason: item.code === null ? '' : Buffer.from(item.reason, 'utf8').toString('utf8') } });
    } else {
      const total = item.fragments.reduce((a, b) => a + b, 0);
      // Fragment boundaries may fall inside a UTF-8 character: only the whole message must be valid.
      const full = item.kind === 'text' ? utf8OfLength(total, item.seed) : seededBytes(total, item.seed, 'random');
      let off = 0;
      item.fragments.forEach((len, i) => {
        const last = i === item.fragments.length - 1;
        emit(last, i === 0 ? (item.kind === 'text' ? 1 : 2) : 0, full.subarray(off, off + len));
        off += len;
        // RFC 6455 §5.4: control frames may be injected between fragments.
        const inject = last ? null : item.between[i];
        if (inject) control(inject.kind, inject.length);
      });
      messages.push({ kind: item.kind, full, frames: item.fragments.length });
    }
  }
  return { stream: Buffer.concat(out), frames, messages };
}

/** The text a decoder keeps for a text message cut to `kept` bytes: the whole characters. */
function keptText(kept: Buffer): string | null {
  for (let back = 0; back <= 3 && back <= kept.length; back++) {
    const prefix = kept.subarray(0, kept.length - back);
    if (isUtf8(prefix)) return prefix.toString('utf8');
  }
  return null;
}

test('property 4: frames from a reference encoder decode to their exact header fields and unmasked payloads', () => {
  fc.assert(
    fc.property(
      sideScriptArb, sideScriptArb,
      fc.record({ handshake: fc.boolean(), maxPayload: fc.option(fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 70_000 })), { nil: undefined }) }),
      chunkPlanArb, orderArb,
      (clientScript, serverScript, setup, plan, order) => {
        const ref = { client: buildSide('client', clientScript), server: buildSide('server', serverScript) };
        const st = setupStreams({ deflate: 'none', framesOnly: !setup.handshake, maxPayload: setup.maxPayload }, ref.client.stream, ref.server.stream);
        const d = decodeChecked(interleave(st.client, st.server, plan, order), st.options);
        const { events } = d;
        assert.equal(describeViolations(events), '', 'no violation for well-formed frames');
        checkHandshake({ deflate: 'none', framesOnly: !setup.handshake, maxPayload: setup.maxPayload }, events);
        const maxPayload = setup.maxPayload ?? DEFAULT_MAX_PAYLOAD;
        for (const side of SIDES) {
          const frames = ofType(events, 'frame').filter((f) => f.from === side).map(({ type: _t, ts: _ts, ...rest }) => rest);
          assert.deepEqual(frames, ref[side].frames, `${side} frames`);
          const messages = ofType(events, 'message').filter((m) => m.from === side);
          assert.equal(messages.length, ref[side].messages.length, `${side} message count`);
          messages.forEach((m, i) => {
            const want = ref[side].messages[i]!;
            const control = want.kind === 'close' || want.kind === 'ping' || want.kind === 'pong';
            const kept = control ? want.full : want.full.subarray(0, maxPayload);
            const what = `${side} message #${i} (${want.kind}, ${want.full.length} bytes)`;
            assert.deepEqual(
              { kind: m.kind, length: m.length, wireLength: m.wireLength, frames: m.frames, compressed: m.compressed, truncated: m.truncated, incomplete: m.incomplete, close: m.close },
              { kind: want.kind, length: want.full.length, wireLength: want.full.length, frames: want.frames, compressed: false, truncated: kept.length < want.full.length, incomplete: false, close: want.close },
              what,
            );
            assert.ok(m.payload.equals(kept), `${what}: payload ${fingerprint(m.payload)}, expected ${fingerprint(kept)}`);
            assert.equal(m.text, want.kind === 'text' ? keptText(kept) : null, `${what}: text`);
          });
        }
        const end = ofType(events, 'end')[0]!;
        assert.deepEqual(end.frames, { client: ref.client.frames.length, server: ref.server.frames.length });
        assert.equal(end.reason, null);
        assert.equal(end.clean, clientScript.close !== null && serverScript.close !== null);
      },
    ),
    { numRuns: 400, includeErrorInReport: true },
  );
});

// ───────────────────────────── 2b. held bytes, arrival order ─────────────────────────────

test('property 2b: bytes held until the handshake completes decode in arrival order, whatever the chunking', () => {
  fc.assert(
    fc.property(
      sideScriptArb, sideScriptArb, sideArb, fc.integer({ min: 1, max: 40 }), chunkPlanArb,
      (clientScript, serverScript, late, k, plan) => {
        // The `late` side's head ends only after the other side sent its head and frames; the
        // rest of the late side's frames come with its head's last bytes.
        const ref = { client: buildSide('client', clientScript), server: buildSide('server', serverScript) };
        const { request, response } = handshakeBytes('none');
        const head = { client: request, server: response };
        const early = other(late);
        const chunks: Chunk[] = [
          { side: late, data: head[late].subarray(0, head[late].length - k) },
          { side: early, data: Buffer.concat([head[early], ref[early].stream]) },
          { side: late, data: Buffer.concat([head[late].subarray(head[late].length - k), ref[late].stream]) },
        ];
        const whole = decode(rechunk(chunks, null)).events;
        const cut = decode(rechunk(chunks, plan)).events;
        assert.deepEqual(timeless(cut), timeless(whole));
        const frames = ofType(whole, 'frame');
        let lastEarly = -1;
        frames.forEach((f, i) => { if (f.from === early) lastEarly = i; });
        const firstLate = frames.findIndex((f) => f.from === late);
        if (lastEarly >= 0 && firstLate >= 0) assert.ok(lastEarly < firstLate, `the ${early}'s frames arrived first and must be decoded first`);
      },
    ),
    { numRuns: 150, includeErrorInReport: true },
  );
});
