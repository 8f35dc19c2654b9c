import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageGate, type Decision, type GateMessage, type GateStart } from '../core/relay/message-gate.js';
import { FrameParser } from '../core/websocket/frame-parser.js';
import { MessageDeflater, MessageInflater } from '../core/websocket/permessage-deflate.js';
import { prng } from './support/prng.js';
import { frame } from './support/ws-frames.js';

/** A gate whose decisions come from `decide` (default: forward everything), recording what it writes and reports. */
function gate(options: { decide?: (m: GateMessage) => 'forward' | 'hold'; maskFrames?: boolean; start?: GateStart } = {}) {
  const writes: Buffer[][] = [];
  const arrived: number[] = [];
  const reencoded: number[] = [];
  let passed = 0;
  const g = new MessageGate({
    maskFrames: options.maskFrames ?? false,
    maskKey: () => Buffer.from([1, 2, 3, 4]),
    write: (parts) => writes.push(parts),
    arrived: (m) => {
      arrived.push(m.index);
      m.tag = 100 + m.index;
      return options.decide?.(m) ?? 'forward';
    },
    passed: () => passed++,
    reencoding: (m) => reencoded.push(m.tag),
  }, options.start ?? { head: false });
  const out = () => Buffer.concat(writes.flat());
  return { g, writes, arrived, reencoded, out, passed: () => passed };
}

/** `bytes` in pieces of the given sizes (the last piece takes the rest). */
function pieces(bytes: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (const n of sizes) {
    if (at >= bytes.length) break;
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  if (at < bytes.length) out.push(bytes.subarray(at));
  return out;
}

const text = (s: string, o: { fin?: boolean; mask?: boolean; opcode?: number } = {}) => frame({ opcode: o.opcode ?? 1, payload: s, fin: o.fin, mask: o.mask });

test('with everything forwarded, the output is the input byte for byte, whatever the chunking; one write per push', () => {
  const stream = Buffer.concat([
    text('one', { mask: true }), frame({ opcode: 9, payload: 'hb', mask: true }), text('fra', { fin: false, mask: true }),
    frame({ opcode: 10, payload: '', mask: true }), text('gment', { opcode: 0, mask: true }), frame({ opcode: 2, payload: Buffer.alloc(70_000, 7), mask: true }),
    frame({ opcode: 8, payload: Buffer.from([3, 232]), mask: true }),
  ]);
  const rand = prng(7);
  for (let run = 0; run < 50; run++) {
    const t = gate();
    const sizes = Array.from({ length: 40 }, () => 1 + Math.floor(rand() * 9000));
    const chunks = pieces(stream, sizes);
    for (const c of chunks) t.g.push(c);
    assert.ok(t.out().equals(stream), `run ${run}`);
    assert.ok(t.writes.length <= chunks.length, 'at most one write per push');
    assert.deepEqual(t.arrived, [1, 2, 3], 'each data message is asked about once, in order');
  }
});

test('a data message goes out only once it is whole; control frames between messages go at once', () => {
  const t = gate();
  const first = text('hel', { fin: false });
  const ping = frame({ opcode: 9, payload: 'x' });
  const rest = text('lo', { opcode: 0 });
  t.g.push(first);
  assert.equal(t.out().length, 0, 'the first fragment waits for its message');
  t.g.push(ping);
  assert.equal(t.out().length, 0, 'a ping among the fragments waits with the message (order within a direction is kept)');
  t.g.push(rest);
  assert.ok(t.out().equals(Buffer.concat([first, ping, rest])));
  const lone = frame({ opcode: 10, payload: 'y' });
  t.g.push(lone);
  assert.ok(t.out().subarray(-lone.length).equals(lone), 'a control frame between messages is not held back');
});

test('a held message holds up everything behind it, control frames included; forwarded, all goes out in order, byte for byte', () => {
  const t = gate({ decide: (m) => (m.index === 2 ? 'hold' : 'forward') });
  const frames = [text('a'), text('b'), frame({ opcode: 9, payload: 'p' }), text('c')];
  t.g.push(Buffer.concat(frames));
  assert.ok(t.out().equals(frames[0]!));
  assert.deepEqual(t.g.held, { messages: 1, waitingFrames: 2, waitingBytes: frames[2]!.length + frames[3]!.length });
  assert.equal(t.g.resolve(2, { kind: 'forward' }), null);
  assert.ok(t.out().equals(Buffer.concat(frames)));
  assert.deepEqual(t.g.held, { messages: 0, waitingFrames: 0, waitingBytes: 0 });
  assert.equal(t.g.resolve(2, { kind: 'forward' }), 'message 2 is not held');
});

test('a dropped fragmented message leaves its control frames; a replaced one goes as one frame wspeek writes, masked toward the server', () => {
  const f1 = text('dr', { fin: false, mask: true });
  const ping = frame({ opcode: 9, payload: 'keep me', mask: true });
  const f2 = text('op', { opcode: 0, mask: true });
  const after = text('after', { mask: true });
  const dropped = gate({ decide: () => 'hold', maskFrames: true });
  dropped.g.push(Buffer.concat([f1, ping, f2, after]));
  assert.equal(dropped.g.resolve(1, { kind: 'drop' }), null);
  assert.equal(dropped.g.resolve(2, { kind: 'forward' }), null);
  assert.ok(dropped.out().equals(Buffer.concat([ping, after])));

  const replaced = gate({ decide: (m) => (m.index === 1 ? 'hold' : 'forward'), maskFrames: true });
  replaced.g.push(Buffer.concat([f1, ping, f2, after]));
  const decision: Decision = { kind: 'replace', opcode: 2, payload: Buffer.from('new!') };
  assert.equal(replaced.g.resolve(1, decision), null);
  const own = frame({ opcode: 2, payload: 'new!', mask: true, maskKey: Buffer.from([1, 2, 3, 4]) });
  assert.ok(replaced.out().equals(Buffer.concat([ping, own, after])));
});

test('an injected frame goes out at once, ahead of held messages, and never inside a fragmented message being passed on', () => {
  const t = gate({ decide: () => 'hold' });
  t.g.push(text('held'));
  assert.equal(t.g.inject(1, Buffer.from('injected')), true);
  assert.ok(t.out().equals(text('injected')), 'written while the other message waits');

  // Taking over a stream inside a fragmented message: an injection waits for the message's last frame.
  const parser = new FrameParser({ onFrameHeader() {}, onFramePayload() {}, onFrameEnd() {}, onInvalidLength() {} });
  const f1 = text('fragment one ', { fin: false });
  parser.push(f1.subarray(0, 5), 0); // mid-payload of the first fragment
  const taken = gate({ start: { parser, inMessage: true } });
  assert.equal(taken.passed(), 1, 'the message partly forwarded is reported as passed');
  assert.equal(taken.g.inject(9, Buffer.from('ping')), true);
  assert.equal(taken.out().length, 0);
  const f2 = text('two', { opcode: 0 });
  taken.g.push(f1.subarray(5));
  assert.ok(taken.out().equals(f1.subarray(5)), 'the rest of the partly forwarded frame goes on as it comes');
  taken.g.push(f2);
  assert.ok(taken.out().equals(Buffer.concat([f1.subarray(5), f2, frame({ opcode: 9, payload: 'ping' })])));
  taken.g.push(text('next'));
  assert.deepEqual(taken.arrived, [1], 'the next message is asked about as usual');
});

test('a response head goes on as it is; after a 101, frames follow; after any other status, everything goes on as it comes', () => {
  const head = Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
  const t = gate({ start: { head: true }, decide: () => 'hold' });
  const stream = Buffer.concat([head, text('hi')]);
  for (const c of pieces(stream, [10, 30, 50])) t.g.push(c);
  assert.ok(t.out().equals(head), 'the head, not the held message');
  assert.deepEqual(t.arrived, [1]);

  const refused = gate({ start: { head: true }, decide: () => 'hold' });
  const body = Buffer.concat([Buffer.from('HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\n\r\n'), Buffer.from('nope'), text('not a frame here')]);
  refused.g.push(body);
  assert.ok(refused.out().equals(body));
  assert.deepEqual(refused.arrived, []);
  assert.equal(refused.g.inject(1, Buffer.from('x')), false, 'nothing can be injected into a stream that is not frames');
});

test('a frame with an invalid length: the stream can\'t be framed further, and goes on as it comes', () => {
  const t = gate({ decide: () => 'hold' });
  const bad = Buffer.from([0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 1, 0xaa, 0xbb]);
  t.g.push(bad);
  t.g.push(Buffer.from('more bytes'));
  assert.ok(t.out().equals(Buffer.concat([bad, Buffer.from('more bytes')])));
});

test('taking over between two messages: everything after is asked about; inside a message mid-header, the rest of that message passes', () => {
  const quiet = { onFrameHeader() {}, onFramePayload() {}, onFrameEnd() {}, onInvalidLength() {} };
  const between = new FrameParser(quiet);
  between.push(text('done'), 0);
  const t = gate({ start: { parser: between, inMessage: false } });
  assert.equal(t.passed(), 0);
  t.g.push(text('next'));
  assert.deepEqual(t.arrived, [1]);

  const midHeader = new FrameParser(quiet);
  const big = frame({ opcode: 2, payload: Buffer.alloc(300, 1), fin: false, mask: true });
  midHeader.push(big.subarray(0, 3), 0); // inside the 16-bit length
  const m = gate({ start: { parser: midHeader, inMessage: false }, decide: () => 'hold' });
  const last = frame({ opcode: 0, payload: 'end', mask: true });
  m.g.push(Buffer.concat([big.subarray(3), last, text('own', { mask: true })]));
  assert.equal(m.passed(), 1);
  assert.ok(m.out().equals(Buffer.concat([big.subarray(3), last])), 'the partly forwarded message goes on; the next one is held');
  assert.deepEqual(m.arrived, [1]);
});

/** A sender's compressed messages under permessage-deflate with context takeover, as frames. */
function compressedStream(texts: string[], windowBits = 15): Buffer[] {
  const deflater = new MessageDeflater({ windowBits, noContextTakeover: false });
  return texts.map((s) => frame({ opcode: 1, rsv: 0x40, payload: deflater.deflate(Buffer.from(s)) }));
}

/** What a receiver with one inflate context gets out of a stream of single-frame messages, compressed (RSV1) or not. */
function inflateAll(stream: Buffer): string[] {
  const inflater = new MessageInflater(Number.MAX_SAFE_INTEGER);
  const out: string[] = [];
  let compressed = false;
  let plain: Buffer[] = [];
  const parser = new FrameParser({
    onFrameHeader(h) {
      compressed = h.rsv1;
      plain = [];
    },
    onFramePayload(chunk, start, end) {
      if (compressed) inflater.write(chunk.subarray(start, end));
      else plain.push(chunk.subarray(start, end));
    },
    onFrameEnd() {
      if (!compressed) return void out.push(Buffer.concat(plain).toString());
      const r = inflater.finish(false);
      assert.equal(r.error, null);
      out.push(r.payload.toString());
    },
    onInvalidLength() {
      assert.fail('invalid length');
    },
  });
  parser.push(stream, 0);
  return out;
}

test('dropping and editing compressed messages under context takeover: from the first, the direction is re-encoded so the receiver inflates every other message exactly', () => {
  const texts = Array.from({ length: 50 }, (_, i) => `{"type":"tick","channel":"prices","seq":${i + 1},"note":"the same words again and again"}`);
  const frames = compressedStream(texts);
  const t = gate({ decide: (m) => (m.index === 2 || m.index === 10 ? 'hold' : 'forward') });
  t.g.setDeflate({ noContextTakeover: false, windowBits: 15 });
  for (const f of frames) t.g.push(f);
  assert.ok(t.out().equals(frames[0]!), 'before the first rewrite, bytes stay exact');
  assert.equal(t.g.resolve(2, { kind: 'drop' }), null);
  assert.equal(t.g.rewritable(10), null);
  assert.equal(t.g.resolve(10, { kind: 'replace', opcode: 1, payload: Buffer.from('edited') }), null);
  const received = inflateAll(t.out());
  const expected = texts.filter((_, i) => i !== 1);
  expected[8] = 'edited'; // message 10 (index 9 of 50, 8 once message 2 is gone)
  assert.equal(received.length, 49);
  assert.deepEqual(received, expected);
  assert.deepEqual(t.reencoded, [103], 'reported once, at the first message re-encoded (message 3)');
});

test('without context takeover, a dropped compressed message needs no re-encoding: every other message stays byte-exact', () => {
  const deflater = new MessageDeflater({ windowBits: 15, noContextTakeover: true });
  const frames = ['one one one', 'two two two', 'three three'].map((s) => frame({ opcode: 1, rsv: 0x40, payload: deflater.deflate(Buffer.from(s)) }));
  const t = gate({ decide: (m) => (m.index === 2 ? 'hold' : 'forward') });
  t.g.setDeflate({ noContextTakeover: true, windowBits: 15 });
  for (const f of frames) t.g.push(f);
  assert.equal(t.g.resolve(2, { kind: 'drop' }), null);
  assert.ok(t.out().equals(Buffer.concat([frames[0]!, frames[2]!])));
  assert.deepEqual(t.reencoded, []);
});

test('taken over mid-stream under context takeover, a compressed message can be forwarded but not dropped or edited: the sender\'s earlier window is unknown', () => {
  const quiet = { onFrameHeader() {}, onFramePayload() {}, onFrameEnd() {}, onInvalidLength() {} };
  const frames = compressedStream(['alpha alpha', 'beta alpha beta', 'gamma beta alpha']);
  const parser = new FrameParser(quiet);
  parser.push(frames[0]!, 0);
  const t = gate({ start: { parser, inMessage: false }, decide: () => 'hold' });
  t.g.setDeflate({ noContextTakeover: false, windowBits: 15 });
  t.g.push(frames[1]!);
  assert.match(t.g.rewritable(1) ?? '', /compression context/);
  assert.match(t.g.resolve(1, { kind: 'drop' }) ?? '', /compression context/);
  assert.equal(t.g.resolve(1, { kind: 'forward' }), null);
  assert.ok(t.out().equals(frames[1]!));
});

test('when the sender ends, what it sent of an unfinished message goes on as it is; a held message stays held, and pending until decided', () => {
  const t = gate({ decide: (m) => (m.index === 1 ? 'hold' : 'forward') });
  const held = text('held');
  const cut = text('unfinish', { fin: false });
  const cutFrame = frame({ opcode: 0, payload: 'ed and cut', fin: true });
  t.g.push(Buffer.concat([held, cut, cutFrame.subarray(0, 4)]));
  assert.equal(t.g.pending, true);
  t.g.end();
  assert.equal(t.out().length, 0, 'everything still waits behind the held message');
  assert.equal(t.g.pending, true);
  assert.equal(t.g.resolve(1, { kind: 'forward' }), null);
  assert.ok(t.out().equals(Buffer.concat([held, cut, cutFrame.subarray(0, 4)])));
  assert.equal(t.g.pending, false);
});
