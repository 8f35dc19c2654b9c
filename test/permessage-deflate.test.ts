import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { once } from 'node:events';
import { Inflate, Z_NO_FLUSH, Z_SYNC_FLUSH } from 'pako';
import fc from 'fast-check';
import WebSocket, { type RawData } from 'ws';
import { ConnectionDecoder } from '../core/websocket/connection-decoder.js';
import type { Extension, MessageEvent, WsEvent } from '../core/websocket/events.js';
import { parseExtensionHeader } from '../core/websocket/extension-header.js';
import { encodeFrame } from '../core/websocket/frame-encoder.js';
import { deflateParams, MessageDeflater, MessageInflater } from '../core/websocket/permessage-deflate.js';
import { prng } from './support/prng.js';
import { HOST } from './support/raw-peers.js';
import { rawWebSocketClient, rawWebSocketServer, wsServer, type RawWebSocket } from './support/raw-websocket.js';
import { within, waitUntil } from './support/wait.js';

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const ALL_WINDOW_BITS = [8, 9, 10, 11, 12, 13, 14, 15];

const paramsOf = (header: string) => deflateParams(parseExtensionHeader([header]).extensions);

/**
 * 50 chat messages of about 1.5 KB drawn from 300 sentences: each sentence comes back many times, at
 * distances from a few bytes to the whole history, so both the window and its size matter.
 */
function chat(seed: number, count = 50): string[] {
  const rnd = prng(seed);
  const words = ['wspeek', 'frame', 'window', 'deflate', 'socket', 'message', 'proxy', 'context', 'takeover', 'relay', 'ünïcödé', '✓', '𝄞'];
  const sentences = Array.from({ length: 300 }, (_, i) => `${i}: ${Array.from({ length: 6 + (i % 9) }, () => words[(rnd() * words.length) | 0]).join(' ')}.`);
  return Array.from({ length: count }, (_, m) => {
    const lines = Array.from({ length: 16 }, () => sentences[(rnd() * sentences.length) | 0]);
    return JSON.stringify({ seq: m, room: 'general', lines });
  });
}

/** Each message deflated in turn by one deflater. */
function deflateAll(deflater: MessageDeflater, messages: Buffer[]): Buffer[] {
  return messages.map((m) => deflater.deflate(m));
}

/** Our own inflater, as the decoder uses it: the tail put back, the context reset after each message if asked. */
function inflateAll(compressed: Buffer[], resetContext: boolean): Buffer[] {
  const inflater = new MessageInflater(Number.MAX_SAFE_INTEGER);
  return compressed.map((c, i) => {
    inflater.write(c);
    const m = inflater.finish(resetContext);
    assert.equal(m.error, null, `message ${i} inflates`);
    return m.payload;
  });
}

/**
 * Inflates with a window of exactly 2^bits bytes and an output buffer of one byte, so zlib refuses
 * anything further back than the window ("invalid distance too far back") instead of finding it
 * still in its output buffer. Returns zlib's message on the first failure.
 */
function strictInflate(bits: number, compressed: Buffer[], resetContext: boolean): Buffer[] | string {
  const out: Buffer[] = [];
  let inflate: Inflate | null = null;
  for (const c of compressed) {
    const pieces: Buffer[] = [];
    inflate ??= new Inflate({ raw: true, windowBits: bits, chunkSize: 1 });
    inflate.onData = (chunk) => pieces.push(Buffer.from(chunk));
    inflate.push(c, Z_NO_FLUSH);
    inflate.push(TAIL, Z_SYNC_FLUSH);
    if (inflate.err !== 0) return inflate.msg;
    out.push(Buffer.concat(pieces));
    if (resetContext) inflate = null;
  }
  return out;
}

const messagesOf = (events: WsEvent[]) => events.filter((e): e is MessageEvent => e.type === 'message');

test('deflateParams reads both directions\' no-context-takeover and max window bits (RFC 7692 §7.1)', () => {
  assert.equal(paramsOf('x-webkit-deflate-frame'), null);
  assert.deepEqual(paramsOf('permessage-deflate'), { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: null, clientMaxWindowBits: null });
  assert.deepEqual(
    paramsOf('permessage-deflate; client_max_window_bits=10; server_max_window_bits=12; client_no_context_takeover'),
    { serverNoContextTakeover: false, clientNoContextTakeover: true, serverMaxWindowBits: 12, clientMaxWindowBits: 10 },
  );
  assert.deepEqual(
    paramsOf('permessage-deflate; server_no_context_takeover; server_max_window_bits="8"; client_max_window_bits=15'),
    { serverNoContextTakeover: true, clientNoContextTakeover: false, serverMaxWindowBits: 8, clientMaxWindowBits: 15 },
  );
  // A parameter without a value, or with one outside 8..15 or not a number, limits nothing.
  for (const value of ['', '=7', '=16', '=abc', '=1e1', '=-9', '=9.0', '=" 9"']) {
    const p = paramsOf(`permessage-deflate; server_max_window_bits${value}; client_max_window_bits${value}`);
    assert.deepEqual([p?.serverMaxWindowBits, p?.clientMaxWindowBits], [null, null], `window bits${value}`);
  }
  // ws reads leading zeros: so does wspeek, to compress as the peer will inflate.
  assert.equal(paramsOf('permessage-deflate; client_max_window_bits=09')?.clientMaxWindowBits, 9);
});

test('MessageDeflater refuses window bits outside 8..15', () => {
  for (const windowBits of [7, 16, 9.5, Number.NaN]) {
    assert.throws(() => new MessageDeflater({ windowBits, noContextTakeover: false }), RangeError, `${windowBits}`);
  }
});

test('an empty message deflates to the single byte 00 (RFC 7692 §7.2.3.6), first, after another message, and without context takeover', () => {
  for (const noContextTakeover of [false, true]) {
    const deflater = new MessageDeflater({ windowBits: 15, noContextTakeover });
    const payloads = ['', 'Hello', '', '', 'Hello', ''].map((s) => Buffer.from(s));
    const compressed = deflateAll(deflater, payloads);
    compressed.forEach((c, i) => {
      if (payloads[i]!.length === 0) assert.deepEqual(c, Buffer.of(0), `message ${i}, noContextTakeover ${noContextTakeover}`);
    });
    assert.deepEqual(inflateAll(compressed, noContextTakeover), payloads);
  }
});

test('the examples of RFC 7692 §7.2.3.1 and §7.2.3.2: "Hello" is f2 48 cd c9 c9 07 00, and again, sharing the window, f2 00 11 00 00', () => {
  // The RFC's bytes are zlib's: for so short a message it picks a fixed Huffman block, as they show.
  const hello = Buffer.from('Hello');
  const shared = new MessageDeflater({ windowBits: 15, noContextTakeover: false });
  assert.deepEqual(shared.deflate(hello), Buffer.from('f248cdc9c90700', 'hex'));
  assert.deepEqual(shared.deflate(hello), Buffer.from('f200110000', 'hex'));
  const alone = new MessageDeflater({ windowBits: 15, noContextTakeover: true });
  assert.deepEqual(alone.deflate(hello), Buffer.from('f248cdc9c90700', 'hex'));
  assert.deepEqual(alone.deflate(hello), Buffer.from('f248cdc9c90700', 'hex'));
});

test('with context takeover, later messages refer to earlier ones: smaller, and not inflatable alone; without, each message stands alone', () => {
  const messages = chat(1).map((s) => Buffer.from(s));
  const kept = deflateAll(new MessageDeflater({ windowBits: 15, noContextTakeover: false }), messages);
  const reset = deflateAll(new MessageDeflater({ windowBits: 15, noContextTakeover: true }), messages);
  assert.deepEqual(inflateAll(kept, false), messages);
  assert.deepEqual(inflateAll(reset, true), messages);
  const size = (list: Buffer[]) => list.reduce((n, b) => n + b.length, 0);
  assert.ok(size(kept) < size(reset) * 0.6, `the window saves bytes: ${size(kept)} with takeover, ${size(reset)} without`);
  // Each message without takeover inflates by itself, and is what a fresh deflater makes of it.
  reset.forEach((c, i) => {
    assert.deepEqual(inflateAll([c], true), [messages[i]]);
    assert.deepEqual(c, new MessageDeflater({ windowBits: 15, noContextTakeover: false }).deflate(messages[i]!), `message ${i}`);
  });
  // With takeover, later messages need the earlier ones.
  const alone = kept.slice(1).filter((c, i) => {
    const inflater = new MessageInflater(Number.MAX_SAFE_INTEGER);
    inflater.write(c);
    const m = inflater.finish(true);
    return m.error !== null || !m.payload.equals(messages[i + 1]!);
  });
  assert.ok(alone.length >= 45, `${alone.length} of 49 later messages can't be inflated alone`);
});

test('MessageDeflater stays within the window it was given, 2^8 to 2^15 bytes, with context takeover and without (an inflater with that window reads every message)', () => {
  const messages = chat(2).map((s) => Buffer.from(s));
  for (const bits of ALL_WINDOW_BITS) {
    for (const noContextTakeover of [false, true]) {
      const compressed = deflateAll(new MessageDeflater({ windowBits: bits, noContextTakeover }), messages);
      assert.deepEqual(strictInflate(bits, compressed, noContextTakeover), messages, `window bits ${bits}, noContextTakeover ${noContextTakeover}`);
    }
  }
});

test('the window check is strict: a deflater one window size up is refused by it, except 9 for 8, which zlib keeps within 250 bytes', () => {
  const messages = chat(3).map((s) => Buffer.from(s));
  for (const bits of ALL_WINDOW_BITS.slice(0, -1)) {
    const compressed = deflateAll(new MessageDeflater({ windowBits: bits + 1, noContextTakeover: false }), messages);
    const result = strictInflate(bits, compressed, false);
    if (bits === 8) assert.deepEqual(result, messages, 'window bits 9 read by a 256-byte window');
    else assert.equal(result, 'invalid distance too far back', `window bits ${bits + 1} read by a ${2 ** bits}-byte window`);
  }
});

/** Sends `compressed` as masked (client) or unmasked (server) messages, every third one in two frames (RSV1 on the first only). */
function sendCompressed(raw: RawWebSocket, compressed: Buffer[], masked: boolean): void {
  const key = () => (masked ? crypto.randomBytes(4) : null);
  compressed.forEach((c, i) => {
    if (i % 3 !== 2) {
      raw.socket.write(encodeFrame({ fin: true, rsv1: true, opcode: 1, payload: c, maskKey: key() }));
      return;
    }
    const half = c.length >> 1;
    raw.socket.write(encodeFrame({ fin: false, rsv1: true, opcode: 1, payload: c.subarray(0, half), maskKey: key() }));
    raw.socket.write(encodeFrame({ fin: true, opcode: 0, payload: c.subarray(half), maskKey: key() }));
  });
}

/** What a `ws` peer received, and any error it hit. */
function collect(ws: WebSocket): { texts: string[]; errors: string[] } {
  const seen = { texts: [] as string[], errors: [] as string[] };
  ws.on('message', (data: RawData) => seen.texts.push((data as Buffer).toString()));
  ws.on('error', (err) => seen.errors.push(err.message));
  return seen;
}

/** The 50 chat messages with an empty one in every tenth place. */
function script(seed: number): string[] {
  return chat(seed).map((s, i) => (i % 10 === 9 ? '' : s));
}

test('a ws server inflates 50 messages a raw client deflated, for every client_max_window_bits 8..15, with and without client_no_context_takeover', async () => {
  for (const bits of ALL_WINDOW_BITS) {
    for (const takeover of [true, false]) {
      const what = `client_max_window_bits=${bits}${takeover ? '' : ', client_no_context_takeover'}`;
      const { wss, port } = await wsServer({ clientMaxWindowBits: bits, clientNoContextTakeover: !takeover });
      let raw: RawWebSocket | undefined;
      try {
        const connection = within(once(wss, 'connection'), 'the ws server accepts');
        raw = await rawWebSocketClient(port, 'permessage-deflate; client_max_window_bits');
        const [ws] = (await connection) as [WebSocket];
        const seen = collect(ws);
        const p = deflateParams(raw.extensions);
        assert.deepEqual([p?.clientMaxWindowBits, p?.clientNoContextTakeover], [bits, !takeover], `${what}: agreed`);
        const texts = script(bits);
        const deflater = new MessageDeflater({ windowBits: p!.clientMaxWindowBits ?? 15, noContextTakeover: p!.clientNoContextTakeover });
        sendCompressed(raw, deflateAll(deflater, texts.map((t) => Buffer.from(t))), true);
        await waitUntil(`${what}: 50 messages or an error`, () => seen.texts.length === texts.length || seen.errors.length > 0);
        assert.deepEqual(seen.errors, [], what);
        assert.deepEqual(seen.texts, texts, what);
      } finally {
        raw?.socket.destroy();
        await within(new Promise<void>((r) => wss.close(() => r())), 'the ws server closed');
      }
    }
  }
});

test('a ws client inflates 50 messages a raw server deflated, for every server_max_window_bits 8..15, with and without server_no_context_takeover', async () => {
  for (const bits of ALL_WINDOW_BITS) {
    for (const takeover of [true, false]) {
      const agree = `permessage-deflate; server_max_window_bits=${bits}${takeover ? '' : '; server_no_context_takeover'}`;
      const raw = await rawWebSocketServer(agree);
      let ws: WebSocket | undefined;
      try {
        ws = new WebSocket(`ws://${HOST}:${raw.port}/`, { perMessageDeflate: true });
        const seen = collect(ws);
        await within(once(ws, 'open'), `${agree}: the ws client opens`);
        const peer = await raw.accepted;
        const p = deflateParams(peer.extensions);
        assert.deepEqual([p?.serverMaxWindowBits, p?.serverNoContextTakeover], [bits, !takeover], `${agree}: agreed`);
        const texts = script(100 + bits);
        const deflater = new MessageDeflater({ windowBits: p!.serverMaxWindowBits ?? 15, noContextTakeover: p!.serverNoContextTakeover });
        sendCompressed(peer, deflateAll(deflater, texts.map((t) => Buffer.from(t))), false);
        await waitUntil(`${agree}: 50 messages or an error`, () => seen.texts.length === texts.length || seen.errors.length > 0);
        assert.deepEqual(seen.errors, [], agree);
        assert.deepEqual(seen.texts, texts, agree);
        peer.socket.destroy();
      } finally {
        ws?.terminate();
        await raw.close();
      }
    }
  }
});

test('property: random messages deflate and inflate back, by our inflater, by one with just the agreed window, and through encoded frames and ConnectionDecoder', () => {
  const payloadArb = fc.oneof(
    fc.uint8Array({ maxLength: 600 }),
    // Compressible: runs of a short random snippet.
    fc.record({ snippet: fc.uint8Array({ minLength: 1, maxLength: 12 }), n: fc.nat({ max: 3000 }) }).map(({ snippet, n }) => Uint8Array.from({ length: n }, (_, i) => snippet[i % snippet.length]!)),
  );
  fc.assert(
    fc.property(
      fc.array(payloadArb, { minLength: 1, maxLength: 8 }), fc.constantFrom(...ALL_WINDOW_BITS), fc.boolean(),
      fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 6 }),
      (arrays, bits, noContextTakeover, cuts, plan) => {
        const payloads = arrays.map((a) => Buffer.from(a));
        const compressed = deflateAll(new MessageDeflater({ windowBits: bits, noContextTakeover }), payloads);
        assert.deepEqual(inflateAll(compressed, noContextTakeover), payloads);
        assert.deepEqual(strictInflate(bits, compressed, noContextTakeover), payloads);

        // As a client sends them: masked, each compressed payload cut into two frames at a drawn point.
        const frames = compressed.map((c, i) => {
          const at = cuts[i % cuts.length]! % (c.length + 1);
          const key = crypto.randomBytes(4);
          return Buffer.concat([
            encodeFrame({ fin: false, rsv1: true, opcode: 2, payload: c.subarray(0, at), maskKey: key }),
            encodeFrame({ fin: true, opcode: 0, payload: c.subarray(at), maskKey: key }),
          ]);
        });
        const stream = Buffer.concat(frames);
        const extensions: Extension[] = [{ name: 'permessage-deflate', params: noContextTakeover ? { client_no_context_takeover: true } : {} }];
        const events: WsEvent[] = [];
        const decoder = new ConnectionDecoder({ startTs: 0, framesOnly: { extensions } }, (e) => events.push(e));
        for (let off = 0, k = 0; off < stream.length; k++) {
          const size = plan[k % plan.length]!;
          decoder.receive('client', stream.subarray(off, off + size), k);
          off += size;
        }
        decoder.finish(plan.length + stream.length);
        assert.deepEqual(events.filter((e) => e.type === 'violation'), []);
        const messages = messagesOf(events);
        assert.deepEqual(messages.map((m) => m.compressed), payloads.map(() => true));
        assert.deepEqual(messages.map((m) => m.payload), payloads);
      },
    ),
    { numRuns: 150 },
  );
});
