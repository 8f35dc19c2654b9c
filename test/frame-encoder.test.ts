import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { once } from 'node:events';
import fc from 'fast-check';
import WebSocket, { type RawData } from 'ws';
import { ConnectionDecoder } from '../core/websocket/connection-decoder.js';
import type { Extension, FrameEvent, MessageEvent, Side, WsEvent } from '../core/websocket/events.js';
import { closePayload, encodeFrame, MAX_CLOSE_REASON_BYTES, type FrameToEncode } from '../core/websocket/frame-encoder.js';
import { useNativeMask } from '../core/websocket/unmask.js';
import { loadNativeMask } from '../proxy/native-mask.js';
import { prng } from './support/prng.js';
import { HOST } from './support/raw-peers.js';
import { rawWebSocketClient, rawWebSocketServer, wsServer, type RawWebSocket } from './support/raw-websocket.js';
import { CLIENT_HELLO_HEX, hex, SERVER_HELLO_HEX } from './support/rfc6455-fixtures.js';
import { within } from './support/wait.js';
import { frame } from './support/ws-frames.js';

const HELLO = Buffer.from('Hello');
const RFC_KEY = hex('37fa213d');
/** Payload lengths on both sides of each length form's limits (RFC 6455 §5.2). */
const BOUNDARIES = [0, 1, 125, 126, 127, 65535, 65536, 65537];

/** `n` bytes from a seed. */
function bytes(n: number, seed: number): Buffer {
  const rnd = prng(seed);
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = (rnd() * 256) | 0;
  return out;
}

function payloadOf(r: Buffer | { error: string }): Buffer {
  assert.ok(Buffer.isBuffer(r), `a payload, not ${JSON.stringify(r)}`);
  return r;
}

/** Decodes each side's bytes as frames (no handshake), in the given chunks; `extensions` as if agreed. */
function decode(chunks: Array<{ side: Side; data: Buffer }>, extensions: Extension[] = []): WsEvent[] {
  const events: WsEvent[] = [];
  const decoder = new ConnectionDecoder({ startTs: 0, framesOnly: { extensions } }, (e) => events.push(e));
  let ts = 0;
  for (const c of chunks) decoder.receive(c.side, c.data, ++ts);
  decoder.finish(++ts);
  return events;
}

const framesOf = (events: WsEvent[], side: Side) => events.filter((e): e is FrameEvent => e.type === 'frame' && e.from === side);
const messagesOf = (events: WsEvent[], side: Side) => events.filter((e): e is MessageEvent => e.type === 'message' && e.from === side);
const violationsOf = (events: WsEvent[]) => events.filter((e) => e.type === 'violation').map((e) => JSON.stringify(e));

test('encodeFrame writes the examples of RFC 6455 §5.7 byte for byte', () => {
  assert.deepEqual(encodeFrame({ fin: true, opcode: 1, payload: HELLO, maskKey: null }), hex(SERVER_HELLO_HEX), 'unmasked text "Hello"');
  assert.deepEqual(encodeFrame({ fin: true, opcode: 1, payload: HELLO, maskKey: RFC_KEY }), hex(CLIENT_HELLO_HEX), 'masked text "Hello"');
  assert.deepEqual(encodeFrame({ fin: false, opcode: 1, payload: Buffer.from('Hel'), maskKey: null }), hex('01 03 48 65 6c'), 'first fragment');
  assert.deepEqual(encodeFrame({ fin: true, opcode: 0, payload: Buffer.from('lo'), maskKey: null }), hex('80 02 6c 6f'), 'last fragment');
  assert.deepEqual(encodeFrame({ fin: true, opcode: 9, payload: HELLO, maskKey: null }), hex('89 05 48 65 6c 6c 6f'), 'unmasked ping');
  assert.deepEqual(encodeFrame({ fin: true, opcode: 10, payload: HELLO, maskKey: RFC_KEY }), hex('8a 85 37 fa 21 3d 7f 9f 4d 51 58'), 'masked pong');
  const bytes256 = bytes(256, 1);
  assert.deepEqual(encodeFrame({ fin: true, opcode: 2, payload: bytes256, maskKey: null }), Buffer.concat([hex('82 7e 01 00'), bytes256]), '256 bytes of binary');
  const kib64 = bytes(65536, 2);
  assert.deepEqual(encodeFrame({ fin: true, opcode: 2, payload: kib64, maskKey: null }), Buffer.concat([hex('82 7f 00 00 00 00 00 01 00 00'), kib64]), '64 KiB of binary');
});

test('encodeFrame sets FIN, RSV1 and the opcode as asked, and never RSV2 or RSV3', () => {
  for (let opcode = 0; opcode < 16; opcode++) {
    for (const fin of [false, true]) {
      for (const rsv1 of [false, true, undefined]) {
        const first = encodeFrame({ fin, rsv1, opcode, payload: HELLO, maskKey: null })[0];
        assert.equal(first, (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode, `opcode ${opcode} fin ${fin} rsv1 ${rsv1}`);
      }
    }
  }
});

test('encodeFrame picks the minimal length form at every boundary; our decoder reads each frame back with its payload and no violation', () => {
  // The second byte on: MASK clear and the payload length, 7 bits, 126 then 16, or 127 then 64.
  const lengthFields: Record<number, string> = {
    0: '00', 1: '01', 125: '7d', 126: '7e 00 7e', 127: '7e 00 7f', 65535: '7e ff ff',
    65536: '7f 00 00 00 00 00 01 00 00', 65537: '7f 00 00 00 00 00 01 00 01',
  };
  const key = hex('a1b2c3d4');
  const chunks: Array<{ side: Side; data: Buffer }> = [];
  for (const n of BOUNDARIES) {
    const field = hex(lengthFields[n]!);
    const payload = bytes(n, n);
    const server = encodeFrame({ fin: true, opcode: 2, payload, maskKey: null });
    const client = encodeFrame({ fin: true, opcode: 2, payload, maskKey: key });
    assert.deepEqual(server.subarray(0, 1 + field.length), Buffer.concat([hex('82'), field]), `${n} bytes unmasked: the header`);
    assert.deepEqual(client.subarray(0, 1 + field.length + 4), Buffer.concat([hex('82'), Buffer.of(field[0]! | 0x80), field.subarray(1), key]), `${n} bytes masked: the header`);
    assert.equal(server.length, 1 + field.length + n);
    assert.equal(client.length, 1 + field.length + 4 + n);
    chunks.push({ side: 'client', data: client }, { side: 'server', data: server });
  }
  const events = decode(chunks);
  assert.deepEqual(violationsOf(events), [], 'no violation, non-minimal-length included');
  for (const side of ['client', 'server'] as const) {
    const frames = framesOf(events, side);
    const messages = messagesOf(events, side);
    assert.equal(frames.length, BOUNDARIES.length);
    BOUNDARIES.forEach((n, i) => {
      const f = frames[i]!;
      assert.deepEqual(
        { fin: f.fin, opcode: f.opcode, length: f.length, masked: f.masked, mask: f.mask, headerLength: f.headerLength },
        { fin: true, opcode: 2, length: n, masked: side === 'client', mask: side === 'client' ? 'a1b2c3d4' : null, headerLength: 1 + hex(lengthFields[n]!).length + (side === 'client' ? 4 : 0) },
        `${side} frame of ${n} bytes`,
      );
      assert.ok(messages[i]!.payload.equals(bytes(n, n)), `${side} payload of ${n} bytes`);
    });
  }
});

test('encodeFrame masks the same with the native mask as with the JavaScript loop, at every length to 600 and every boundary', { skip: loadNativeMask() ? undefined : 'no bufferutil binary loads here' }, () => {
  const key = hex('0f1e2d3c');
  for (const n of [...Array.from({ length: 601 }, (_, i) => i), ...BOUNDARIES]) {
    const payload = bytes(n, 7 * n);
    const spec: FrameToEncode = { fin: true, opcode: 2, payload, maskKey: key };
    useNativeMask(loadNativeMask());
    let native: Buffer;
    try {
      native = encodeFrame(spec);
    } finally {
      useNativeMask(null);
    }
    assert.ok(native.equals(encodeFrame(spec)), `${n} bytes`);
    assert.ok(native.equals(frame({ opcode: 2, payload, mask: true, maskKey: key })), `${n} bytes: as the hand-built frame`);
  }
});

test('encodeFrame refuses an opcode outside 0..15 and a masking key that is not 4 bytes', () => {
  for (const opcode of [-1, 16, 1.5, Number.NaN]) {
    assert.throws(() => encodeFrame({ fin: true, opcode, payload: HELLO, maskKey: null }), RangeError, `opcode ${opcode}`);
  }
  for (const length of [0, 3, 5]) {
    assert.throws(() => encodeFrame({ fin: true, opcode: 1, payload: HELLO, maskKey: new Uint8Array(length) }), RangeError, `a key of ${length} bytes`);
  }
});

test('closePayload is the code in 2 bytes then the UTF-8 reason, up to 123 bytes of it; our decoder reads it back', () => {
  assert.deepEqual(payloadOf(closePayload(1000, '')), hex('03 e8'));
  assert.deepEqual(payloadOf(closePayload(4000, 'bye')), hex('0f a0 62 79 65'));
  assert.deepEqual(payloadOf(closePayload(0xffff, 'é')), hex('ff ff c3 a9'));
  const longest = ['a'.repeat(MAX_CLOSE_REASON_BYTES), '€'.repeat(41), '𝄞'.repeat(30) + 'abc'];
  for (const reason of longest) assert.equal(payloadOf(closePayload(1001, reason)).length, 125, `${reason.length} UTF-16 units`);
  assert.equal(MAX_CLOSE_REASON_BYTES, 123);

  for (const reason of longest) {
    const events = decode([{ side: 'server', data: encodeFrame({ fin: true, opcode: 8, payload: payloadOf(closePayload(4999, reason)), maskKey: null }) }]);
    assert.deepEqual(violationsOf(events), []);
    assert.deepEqual(messagesOf(events, 'server').map((m) => m.close), [{ code: 4999, reason }]);
  }
});

test('closePayload returns an error for a reason over 123 bytes, a lone surrogate, or a code that does not fit in 2 bytes', () => {
  const cases: Array<[number, string, RegExp]> = [
    [1000, 'a'.repeat(124), /124 bytes/],
    [1000, `${'€'.repeat(41)}a`, /124 bytes/],
    [1000, '𝄞'.repeat(31), /124 bytes/],
    [1000, 'half \ud83d of a pair', /lone surrogate/],
    [1000, '\udc00', /lone surrogate/],
    [-1, '', /-1 does not fit/],
    [65536, '', /65536 does not fit/],
    [1000.5, '', /does not fit/],
    [Number.NaN, '', /does not fit/],
  ];
  for (const [code, reason, error] of cases) {
    const r = closePayload(code, reason);
    assert.ok(!Buffer.isBuffer(r), `code ${code}, reason of ${reason.length} units: refused`);
    assert.match(r.error, error);
  }
});

/** Frames that exercise a peer: every boundary length, a text message in three fragments with a ping between, a ping, then a close. */
function script(maskKey: () => Uint8Array | null): { frames: Buffer[]; binaries: Buffer[]; text: string; ping: Buffer; close: { code: number; reason: string } } {
  const binaries = BOUNDARIES.map((n) => bytes(n, 100 + n));
  const text = 'fragments of text: ünïcödé ✓ 𝄞';
  const utf8 = Buffer.from(text);
  const ping = Buffer.from('are you there?');
  const close = { code: 4001, reason: 'done ✓' };
  const frames = [
    ...binaries.map((payload) => encodeFrame({ fin: true, opcode: 2, payload, maskKey: maskKey() })),
    // Fragment boundaries inside a multi-byte character are fine: only the whole message must be UTF-8.
    encodeFrame({ fin: false, opcode: 1, payload: utf8.subarray(0, 15), maskKey: maskKey() }),
    encodeFrame({ fin: true, opcode: 9, payload: Buffer.from('between'), maskKey: maskKey() }),
    encodeFrame({ fin: false, opcode: 0, payload: utf8.subarray(15, 22), maskKey: maskKey() }),
    encodeFrame({ fin: true, opcode: 0, payload: utf8.subarray(22), maskKey: maskKey() }),
    encodeFrame({ fin: true, opcode: 9, payload: ping, maskKey: maskKey() }),
    encodeFrame({ fin: true, opcode: 8, payload: payloadOf(closePayload(close.code, close.reason)), maskKey: maskKey() }),
  ];
  return { frames, binaries, text, ping, close };
}

/** What a `ws` peer saw: messages, pings, errors and the close. */
function watch(ws: WebSocket) {
  const seen = { messages: [] as Array<{ data: Buffer; binary: boolean }>, pings: [] as string[], errors: [] as string[], close: null as { code: number; reason: string } | null };
  ws.on('message', (data: RawData, binary) => seen.messages.push({ data: data as Buffer, binary }));
  ws.on('ping', (data) => seen.pings.push(data.toString()));
  ws.on('error', (err) => seen.errors.push(err.message));
  ws.on('close', (code, reason) => (seen.close = { code, reason: reason.toString() }));
  return seen;
}

/** A reply's kind and its payload, or its code for a close. */
function reply(m: MessageEvent): [string, string | number | null | undefined] {
  return [m.kind, m.kind === 'close' ? m.close?.code : m.payload.toString()];
}

function assertSaw(seen: ReturnType<typeof watch>, s: ReturnType<typeof script>): void {
  assert.deepEqual(seen.errors, []);
  assert.deepEqual(seen.messages.map((m) => m.binary), [...s.binaries.map(() => true), false]);
  s.binaries.forEach((b, i) => assert.ok(seen.messages[i]!.data.equals(b), `binary message of ${b.length} bytes`));
  assert.equal(seen.messages[s.binaries.length]!.data.toString(), s.text);
  assert.deepEqual(seen.pings, ['between', s.ping.toString()]);
  assert.deepEqual(seen.close, s.close);
}

test('a ws server receives what a raw client sends in encoded frames: every boundary length, fragments around a ping, a ping, the close code and reason', async () => {
  const { wss, port } = await wsServer(false);
  let raw: RawWebSocket | undefined;
  try {
    const connection = within(once(wss, 'connection'), 'the ws server accepts');
    raw = await rawWebSocketClient(port, null);
    const [ws] = (await connection) as [WebSocket];
    const seen = watch(ws);
    const closed = once(ws, 'close');
    const s = script(() => crypto.randomBytes(4));
    for (const f of s.frames) raw.socket.write(f);
    await within(closed, 'the ws server closes');
    assertSaw(seen, s);
    // The server answered the pings and the close, unmasked.
    const replies = messagesOf(decode([{ side: 'server', data: Buffer.concat(raw.received) }]), 'server');
    assert.deepEqual(replies.map(reply), [['pong', 'between'], ['pong', s.ping.toString()], ['close', 4001]]);
  } finally {
    raw?.socket.destroy();
    await within(new Promise<void>((r) => wss.close(() => r())), 'the ws server closed');
  }
});

test('a ws client receives what a raw server sends in encoded frames: every boundary length, fragments around a ping, a ping, the close code and reason', async () => {
  const raw = await rawWebSocketServer(null);
  let ws: WebSocket | undefined;
  try {
    ws = new WebSocket(`ws://${HOST}:${raw.port}/`, { perMessageDeflate: false });
    const seen = watch(ws);
    await within(once(ws, 'open'), 'the ws client opens');
    const peer = await raw.accepted;
    const closed = once(ws, 'close');
    const s = script(() => null);
    for (const f of s.frames) peer.socket.write(f);
    // The client answers the close with its own and ends the connection.
    await within(closed, 'the ws client closes');
    assertSaw(seen, s);
    // It answered the pings and the close, masked.
    const replies = messagesOf(decode([{ side: 'client', data: Buffer.concat(peer.received) }]), 'client');
    assert.deepEqual(replies.map(reply), [['pong', 'between'], ['pong', s.ping.toString()], ['close', 4001]]);
  } finally {
    ws?.terminate();
    await raw.close();
  }
});

// ───────────────────────────── property ─────────────────────────────

/** A payload: mostly short, sometimes at a length form's limit. */
const payloadArb = fc.oneof(
  { weight: 5, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) },
  { weight: 1, arbitrary: fc.record({ n: fc.constantFrom(...BOUNDARIES), seed: fc.integer() }).map(({ n, seed }) => bytes(n, seed)) },
);
const keyArb = fc.uint8Array({ minLength: 4, maxLength: 4 });

/** One message: text (valid UTF-8, cut anywhere) or binary in 1 to 3 frames, or a ping or pong; RSV1 and the key drawn per frame. */
const messageArb = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constantFrom('text' as const, 'binary' as const),
      binary: payloadArb,
      text: fc.string({ unit: 'binary', maxLength: 80 }),
      cuts: fc.array(fc.nat(), { maxLength: 2 }),
      rsv1: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
      keys: fc.array(keyArb, { minLength: 3, maxLength: 3 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constantFrom('ping' as const, 'pong' as const),
      binary: fc.uint8Array({ maxLength: 125 }).map((b) => Buffer.from(b)),
      text: fc.constant(''),
      cuts: fc.constant([]),
      rsv1: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
      keys: fc.array(keyArb, { minLength: 3, maxLength: 3 }),
    }),
  },
);
type MessageSpec = typeof messageArb extends fc.Arbitrary<infer T> ? T : never;

const OPCODES = { text: 1, binary: 2, ping: 9, pong: 10 } as const;

/** The frames of one side's messages: client frames masked with their drawn keys, server frames unmasked. */
function framesFor(side: Side, messages: MessageSpec[]): Array<{ spec: FrameToEncode; message: number }> {
  const out: Array<{ spec: FrameToEncode; message: number }> = [];
  messages.forEach((m, i) => {
    const payload = m.kind === 'text' ? Buffer.from(m.text) : m.binary;
    const cuts = [...new Set(m.cuts.map((c) => c % (payload.length + 1)))].sort((a, b) => a - b);
    const bounds = [0, ...cuts, payload.length];
    for (let f = 0; f + 1 < bounds.length; f++) {
      out.push({
        message: i,
        spec: {
          fin: f + 2 === bounds.length, rsv1: m.rsv1[f]!, opcode: f === 0 ? OPCODES[m.kind] : 0,
          payload: payload.subarray(bounds[f], bounds[f + 1]), maskKey: side === 'client' ? m.keys[f]! : null,
        },
      });
    }
  });
  return out;
}

/** Cuts `data` into pieces whose sizes cycle through `plan`. */
function cut(side: Side, data: Buffer, plan: number[]): Array<{ side: Side; data: Buffer }> {
  const out: Array<{ side: Side; data: Buffer }> = [];
  for (let off = 0, k = 0; off < data.length; k++) {
    const size = plan[k % plan.length]!;
    out.push({ side, data: data.subarray(off, off + size) });
    off += size;
  }
  return out;
}

test('property: encoded frames, cut anywhere, decode to the same FIN, RSV1, opcode, mask and payload, and equal a hand-built frame', () => {
  // An extension wspeek doesn't know may use RSV1, so RSV1 on any frame is no violation.
  const unknown: Extension[] = [{ name: 'x-unknown', params: {} }];
  fc.assert(
    fc.property(
      fc.array(messageArb, { maxLength: 6 }), fc.array(messageArb, { maxLength: 6 }),
      fc.array(fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 100_000 })), { minLength: 1, maxLength: 8 }),
      fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
      (clientMessages, serverMessages, plan, order) => {
        const sides = { client: clientMessages, server: serverMessages };
        const frames = { client: framesFor('client', clientMessages), server: framesFor('server', serverMessages) };
        const pieces = {
          client: cut('client', Buffer.concat(frames.client.map((f) => encodeFrame(f.spec))), plan),
          server: cut('server', Buffer.concat(frames.server.map((f) => encodeFrame(f.spec))), plan),
        };
        const chunks: Array<{ side: Side; data: Buffer }> = [];
        for (let i = 0, j = 0, k = 0; i < pieces.client.length || j < pieces.server.length; k++) {
          const client = j >= pieces.server.length || (i < pieces.client.length && order[k % order.length]!);
          chunks.push(client ? pieces.client[i++]! : pieces.server[j++]!);
        }
        const events = decode(chunks, unknown);
        assert.deepEqual(violationsOf(events), []);
        for (const side of ['client', 'server'] as const) {
          for (const { spec } of frames[side]) {
            const built = frame({ fin: spec.fin, rsv: spec.rsv1 ? 0x40 : 0, opcode: spec.opcode, payload: Buffer.from(spec.payload), mask: spec.maskKey !== null, maskKey: spec.maskKey ? Buffer.from(spec.maskKey) : undefined });
            assert.ok(encodeFrame(spec).equals(built), `${side} frame equals the hand-built one`);
          }
          assert.deepEqual(
            framesOf(events, side).map((f) => ({ fin: f.fin, rsv1: f.rsv[0], rsv23: [f.rsv[1], f.rsv[2]], opcode: f.opcode, mask: f.mask, length: f.length })),
            frames[side].map(({ spec }) => ({
              fin: spec.fin, rsv1: spec.rsv1, rsv23: [false, false], opcode: spec.opcode,
              mask: spec.maskKey ? Buffer.from(spec.maskKey).toString('hex') : null, length: spec.payload.length,
            })),
            `${side} frames`,
          );
          assert.deepEqual(
            messagesOf(events, side).map((m) => ({ kind: m.kind, payload: m.payload.toString('hex'), frames: m.frames })),
            sides[side].map((m, i) => ({
              kind: m.kind, payload: (m.kind === 'text' ? Buffer.from(m.text) : m.binary).toString('hex'), frames: frames[side].filter((f) => f.message === i).length,
            })),
            `${side} messages`,
          );
        }
      },
    ),
    { numRuns: 300 },
  );
});
