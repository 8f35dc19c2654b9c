import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameParser, type FrameHeader, type FrameParserHandler } from '../core/websocket/frame-parser.js';

type Ev =
  | { e: 'header'; h: Omit<FrameHeader, 'maskKey'> & { maskKey: string }; ts: number }
  | { e: 'payload'; bytes: string; offset: number }
  | { e: 'end'; ts: number }
  | { e: 'invalid'; ts: number; detail: string };

function recorder(): { parser: FrameParser; events: Ev[] } {
  const events: Ev[] = [];
  const handler: FrameParserHandler = {
    onFrameHeader(h, ts) {
      events.push({ e: 'header', h: { ...h, maskKey: Buffer.from(h.maskKey).toString('hex') }, ts });
    },
    onFramePayload(chunk, start, end, offset) {
      events.push({ e: 'payload', bytes: chunk.subarray(start, end).toString('hex'), offset });
    },
    onFrameEnd(ts) {
      events.push({ e: 'end', ts });
    },
    onInvalidLength(ts, detail) {
      events.push({ e: 'invalid', ts, detail });
    },
  };
  return { parser: new FrameParser(handler), events };
}

const headers = (events: Ev[]) => events.flatMap((ev) => (ev.e === 'header' ? [ev.h] : []));
const payloadOf = (events: Ev[]) => events.flatMap((ev) => (ev.e === 'payload' ? [ev.bytes] : [])).join('');

test('a 7-bit length frame: header fields, payload and end', () => {
  const { parser, events } = recorder();
  parser.push(Buffer.from('810548656c6c6f', 'hex'), 5);
  assert.deepEqual(events.map((ev) => ev.e), ['header', 'payload', 'end']);
  const { maskKey: _unused, ...h } = headers(events)[0]!;
  assert.deepEqual(h, { fin: true, rsv1: false, rsv2: false, rsv3: false, opcode: 1, masked: false, length: 5, headerLength: 2, nonMinimalLength: false });
  assert.equal((events[0] as { ts: number }).ts, 5);
  assert.deepEqual(events.slice(1), [{ e: 'payload', bytes: '48656c6c6f', offset: 0 }, { e: 'end', ts: 5 }]);
});

test('FIN, RSV bits and opcode are read from the first byte', () => {
  const { parser, events } = recorder();
  parser.push(Buffer.from('7a00', 'hex'), 0); // FIN 0, RSV1 1, RSV2 1, RSV3 1, opcode 0xa
  parser.push(Buffer.from('c300', 'hex'), 0); // FIN 1, RSV1 1, opcode 3
  const [a, b] = headers(events);
  assert.deepEqual([a!.fin, a!.rsv1, a!.rsv2, a!.rsv3, a!.opcode], [false, true, true, true, 10]);
  assert.deepEqual([b!.fin, b!.rsv1, b!.rsv2, b!.rsv3, b!.opcode], [true, true, false, false, 3]);
});

test('a 16-bit length frame (256 bytes)', () => {
  const payload = Buffer.alloc(256, 0xab);
  const { parser, events } = recorder();
  parser.push(Buffer.concat([Buffer.from('827e0100', 'hex'), payload]), 0);
  const [h] = headers(events);
  assert.equal(h!.length, 256);
  assert.equal(h!.headerLength, 4);
  assert.equal(h!.nonMinimalLength, false);
  assert.equal(payloadOf(events), payload.toString('hex'));
  assert.equal(events.at(-1)!.e, 'end');
});

test('a 64-bit length frame (65536 bytes)', () => {
  const payload = Buffer.alloc(65536, 0x5a);
  const { parser, events } = recorder();
  parser.push(Buffer.concat([Buffer.from('827f0000000000010000', 'hex'), payload]), 0);
  const [h] = headers(events);
  assert.equal(h!.length, 65536);
  assert.equal(h!.headerLength, 10);
  assert.equal(h!.nonMinimalLength, false);
  assert.equal(payloadOf(events), payload.toString('hex'));
});

test('a 64-bit length up to 2^53 is exact', () => {
  const { parser, events } = recorder();
  parser.push(Buffer.from('827f001fffffffffffff', 'hex'), 0);
  assert.equal(headers(events)[0]!.length, Number.MAX_SAFE_INTEGER);
  const { parser: p2, events: e2 } = recorder();
  p2.push(Buffer.from('827f0000000100000001', 'hex'), 0);
  assert.equal(headers(e2)[0]!.length, 2 ** 32 + 1);
});

test('the masking key is read and counted in the header length; payload is passed still masked', () => {
  const { parser, events } = recorder();
  parser.push(Buffer.from('818537fa213d7f9f4d5158', 'hex'), 0);
  const [h] = headers(events);
  assert.equal(h!.masked, true);
  assert.equal(h!.maskKey, '37fa213d');
  assert.equal(h!.headerLength, 6);
  assert.equal(payloadOf(events), '7f9f4d5158');
  const { parser: p2, events: e2 } = recorder();
  p2.push(Buffer.from('82fe0100a1b2c3d4', 'hex'), 0);
  assert.equal(headers(e2)[0]!.headerLength, 8);
  const { parser: p3, events: e3 } = recorder();
  p3.push(Buffer.from('82ff0000000000010000a1b2c3d4', 'hex'), 0);
  assert.equal(headers(e3)[0]!.headerLength, 14);
});

test('a frame fed one byte at a time gives the same frame, with payload offsets into the frame', () => {
  const frame = Buffer.from('82fe0006a1b2c3d4000102030405', 'hex');
  const { parser, events } = recorder();
  for (let i = 0; i < frame.length; i++) parser.push(frame.subarray(i, i + 1), i);
  const [h] = headers(events);
  assert.equal(h!.length, 6);
  assert.equal(h!.maskKey, 'a1b2c3d4');
  // The header event carries the arrival time of the frame's first byte; the end, of its last.
  assert.equal(events[0]!.e === 'header' && events[0]!.ts, 0);
  const payloads = events.filter((ev) => ev.e === 'payload');
  assert.deepEqual(payloads.map((p) => p.offset), [0, 1, 2, 3, 4, 5]);
  assert.equal(payloadOf(events), '000102030405');
  assert.deepEqual(events.at(-1), { e: 'end', ts: frame.length - 1 });
});

test('payload split across chunks at arbitrary points reports each piece at its offset', () => {
  const payload = Buffer.from(Array.from({ length: 300 }, (_, i) => i & 0xff));
  const frame = Buffer.concat([Buffer.from('027e012c', 'hex'), payload, Buffer.from('800548656c6c6f', 'hex')]);
  const { parser, events } = recorder();
  const cuts = [0, 1, 3, 4, 5, 100, 299, 303, 304, 306, frame.length];
  for (let c = 0; c + 1 < cuts.length; c++) parser.push(frame.subarray(cuts[c], cuts[c + 1]), c);
  const pieces = events.filter((ev): ev is Extract<Ev, { e: 'payload' }> => ev.e === 'payload');
  let expect = 0;
  for (const p of pieces.slice(0, -1)) {
    assert.equal(p.offset, expect);
    expect += p.bytes.length / 2;
  }
  assert.equal(expect, 300);
  assert.equal(pieces.slice(0, -1).map((p) => p.bytes).join(''), payload.toString('hex'));
  const hs = headers(events);
  assert.equal(hs.length, 2);
  assert.equal(hs[1]!.length, 5);
  assert.equal(pieces.at(-1)!.bytes, '48656c6c6f');
  assert.equal(pieces.at(-1)!.offset, 0);
});

test('several frames in one chunk are all parsed', () => {
  const { parser, events } = recorder();
  parser.push(Buffer.from('8900' + '810548656c6c6f' + '8a00' + '8880', 'hex'), 0);
  parser.push(Buffer.from('00000000', 'hex'), 1);
  assert.deepEqual(headers(events).map((h) => h.opcode), [9, 1, 10, 8]);
  assert.equal(events.filter((ev) => ev.e === 'end').length, 4);
});

test('zero-length frames end at once, masked or not, with no payload callback', () => {
  const { parser, events } = recorder();
  parser.push(Buffer.from('8900', 'hex'), 1);
  parser.push(Buffer.from('8a80', 'hex'), 2);
  assert.equal(parser.midFrame, true, 'the masking key is still to come');
  parser.push(Buffer.from('01020304', 'hex'), 3);
  parser.push(Buffer.from('817e0000', 'hex'), 4);
  assert.deepEqual(events.map((ev) => ev.e), ['header', 'end', 'header', 'end', 'header', 'end']);
  assert.equal(headers(events)[1]!.maskKey, '01020304');
  assert.deepEqual(events.filter((ev) => ev.e === 'end').map((ev) => (ev as { ts: number }).ts), [1, 3, 4]);
  assert.equal(parser.midFrame, false);
});

test('lengths not in their minimal form are flagged', () => {
  const cases: Array<[string, boolean]> = [
    ['817e007d', true], // 125 in 16 bits
    ['817e0000', true], // 0 in 16 bits
    ['817e007e', false], // 126 in 16 bits: minimal
    ['817f000000000000ffff', true], // 65535 in 64 bits
    ['817f0000000000000001', true],
    ['817f0000000000010000', false], // 65536 in 64 bits: minimal
    ['817d', false],
  ];
  for (const [hex, nonMinimal] of cases) {
    const { parser, events } = recorder();
    parser.push(Buffer.from(hex, 'hex'), 0);
    assert.equal(headers(events)[0]!.nonMinimalLength, nonMinimal, hex);
  }
  // The flag does not stick to the next frame.
  const { parser, events } = recorder();
  parser.push(Buffer.from('817e0000' + '8100', 'hex'), 0);
  assert.deepEqual(headers(events).map((h) => h.nonMinimalLength), [true, false]);
});

test('a 64-bit length with its top bit set is reported once and later bytes are not parsed', () => {
  const { parser, events } = recorder();
  parser.push(Buffer.from('8100' + '827f80000000', 'hex'), 7);
  parser.push(Buffer.from('00000000' + '810548656c6c6f', 'hex'), 8);
  parser.push(Buffer.from('810548656c6c6f', 'hex'), 9);
  assert.deepEqual(events.map((ev) => ev.e), ['header', 'end', 'invalid']);
  const inv = events[2] as Extract<Ev, { e: 'invalid' }>;
  assert.equal(inv.ts, 7, 'the time of the bad frame\'s first byte');
  assert.match(inv.detail, /0x8000000000000000/);
  assert.equal(parser.lost, true);
  assert.equal(parser.midFrame, false);
});

test('midFrame and progress follow a frame in progress', () => {
  const { parser } = recorder();
  assert.equal(parser.midFrame, false);
  parser.push(Buffer.from('81', 'hex'), 0);
  assert.equal(parser.midFrame, true);
  parser.push(Buffer.from('0548656c', 'hex'), 0);
  assert.equal(parser.midFrame, true);
  assert.deepEqual(parser.progress, { received: 3, length: 5 });
  parser.push(Buffer.from('6c6f', 'hex'), 0);
  assert.equal(parser.midFrame, false);
  assert.equal(parser.lost, false);
});
