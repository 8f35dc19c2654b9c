/**
 * Core-only decoding benchmark: the sans-IO ConnectionDecoder in this process, no sockets.
 * Client → server frames (masked), fed in 64 KiB chunks as TCP would deliver them (frames
 * straddle chunk boundaries). The sink only counts events, so this is the decoder's own cost:
 * what the proxy adds on top (records, JSON, the log, the UI) is measured by the end-to-end paths.
 */
import { randomFillSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import zlib from 'node:zlib';
import { ConnectionDecoder } from '../core/websocket/connection-decoder.js';
import type { Extension, WsEvent } from '../core/websocket/events.js';

const CHUNK = 64 * 1024;
const MiB = 1024 * 1024;

export type CoreScenarioName = 'small' | 'large' | 'overCap' | 'inflate';

export interface CoreScenarioResult {
  name: CoreScenarioName;
  description: string;
  /** Per round: frames (messages) per second and payload bytes per second. */
  framesPerSec: number[];
  bytesPerSec: number[];
  medianFramesPerSec: number;
  medianBytesPerSec: number;
}

export interface CoreOptions {
  rounds: number;
  warmupMs: number;
  measureMs: number;
  onProgress?: (line: string) => void;
}

interface Scenario {
  name: CoreScenarioName;
  description: string;
  /** A whole number of frames: replaying it from the start is a valid continuation. */
  stream: Buffer;
  frames: number;
  payloadBytes: number;
  extensions: Extension[];
  /** Expected length of each decoded message. */
  messageLength: number;
}

/** One frame as a client sends it: FIN, masked with a random key. */
export function clientFrame(opcode: number, payload: Buffer, rsv1 = false): Buffer {
  const len = payload.length;
  const lengthBytes = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const header = Buffer.alloc(2 + lengthBytes + 4);
  header[0] = 0x80 | (rsv1 ? 0x40 : 0) | opcode;
  if (lengthBytes === 0) header[1] = 0x80 | len;
  else if (lengthBytes === 2) {
    header[1] = 0x80 | 126;
    header.writeUInt16BE(len, 2);
  } else {
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(len), 2);
  }
  const key = randomFillSync(Buffer.alloc(4));
  key.copy(header, 2 + lengthBytes);
  const masked = Buffer.allocUnsafe(len);
  for (let i = 0; i < len; i++) masked[i] = payload[i]! ^ key[i & 3]!;
  return Buffer.concat([header, masked]);
}

/** Deterministic 64-byte JSON-ish messages that differ from each other, as real traffic does. */
function textMessages(n: number): Buffer[] {
  let seed = 0x2545f491;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  const kinds = ['tick', 'quote', 'trade', 'ping', 'chat', 'move'];
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    let s = `{"seq":${i},"type":"${kinds[next() % kinds.length]}","v":${(next() % 100000) / 1000},"u":"u${next() % 997}"}`;
    s = s.padEnd(64, ' ').slice(0, 64);
    out.push(Buffer.from(s, 'latin1'));
  }
  return out;
}

/** Compresses messages with one raw DEFLATE context kept across them (context takeover), as a permessage-deflate sender does. */
async function deflateMessages(messages: Buffer[]): Promise<Buffer[]> {
  const deflate = zlib.createDeflateRaw({ windowBits: 15, memLevel: 8, level: zlib.constants.Z_DEFAULT_COMPRESSION });
  const pieces: Buffer[] = [];
  deflate.on('data', (b: Buffer) => pieces.push(b));
  const out: Buffer[] = [];
  for (const m of messages) {
    deflate.write(m);
    await new Promise<void>((resolve) => deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve()));
    const all = Buffer.concat(pieces);
    pieces.length = 0;
    // RFC 7692 §7.2.1: the sender removes the 00 00 ff ff that ends the sync flush.
    if (all.length < 4 || all.readUInt32BE(all.length - 4) !== 0x0000ffff) throw new Error('deflate output does not end with 00 00 ff ff');
    out.push(all.subarray(0, all.length - 4));
  }
  deflate.close();
  return out;
}

async function buildScenarios(): Promise<Scenario[]> {
  const small = textMessages(16384);
  const smallStream = Buffer.concat(small.map((m) => clientFrame(1, m)));

  const big = randomFillSync(Buffer.allocUnsafe(MiB));
  const largeStream = Buffer.concat(Array.from({ length: 8 }, () => clientFrame(2, big)));

  const huge = randomFillSync(Buffer.allocUnsafe(16 * MiB));
  const overCapStream = Buffer.concat([clientFrame(2, huge), clientFrame(2, huge)]);

  const compressed = await deflateMessages(textMessages(8192));
  const inflateStream = Buffer.concat(compressed.map((c) => clientFrame(1, c, true)));

  return [
    { name: 'small', description: '64-byte masked text frames', stream: smallStream, frames: small.length, payloadBytes: small.length * 64, extensions: [], messageLength: 64 },
    { name: 'large', description: '1 MiB masked binary frames (maxPayload 1 MiB)', stream: largeStream, frames: 8, payloadBytes: 8 * MiB, extensions: [], messageLength: MiB },
    { name: 'overCap', description: '16 MiB masked binary frames (past the 1 MiB cap: skipped)', stream: overCapStream, frames: 2, payloadBytes: 32 * MiB, extensions: [], messageLength: 16 * MiB },
    {
      name: 'inflate', description: '64-byte text messages, permessage-deflate with context takeover', stream: inflateStream,
      frames: compressed.length, payloadBytes: compressed.length * 64, extensions: [{ name: 'permessage-deflate', params: {} }], messageLength: 64,
    },
  ];
}

/** Feeds the scenario's stream again and again for `ms`; returns frames and payload bytes decoded per second. */
function runFor(s: Scenario, ms: number): { framesPerSec: number; bytesPerSec: number } {
  let frames = 0;
  let messages = 0;
  let problems = 0;
  let firstProblem = '';
  const sink = (e: WsEvent) => {
    if (e.type === 'frame') frames++;
    else if (e.type === 'message') {
      messages++;
      if (e.length !== s.messageLength || e.incomplete) {
        problems++;
        firstProblem ||= `message of ${e.length} bytes${e.incomplete ? ', incomplete' : ''}`;
      }
    } else if (e.type === 'violation') {
      problems++;
      firstProblem ||= `${e.rule}: ${e.detail}`;
    }
  };
  const decoder = new ConnectionDecoder({ startTs: 0, framesOnly: { extensions: s.extensions } }, sink);
  const stream = s.stream;
  let passes = 0;
  const t0 = performance.now();
  let elapsed = 0;
  do {
    for (let at = 0; at < stream.length; at += CHUNK) decoder.receive('client', stream.subarray(at, at + CHUNK), elapsed);
    passes++;
    elapsed = performance.now() - t0;
  } while (elapsed < ms);
  if (problems > 0) throw new Error(`core ${s.name}: ${problems} unexpected events, first: ${firstProblem}`);
  if (frames !== passes * s.frames || messages !== frames) throw new Error(`core ${s.name}: ${frames} frames and ${messages} messages for ${passes * s.frames} sent`);
  const seconds = elapsed / 1000;
  return { framesPerSec: frames / seconds, bytesPerSec: (passes * s.payloadBytes) / seconds };
}

/** One scenario for `ms` after a warm-up, for profiling. */
export async function runCoreScenario(name: CoreScenarioName, warmupMs: number, ms: number, onMeasure?: (phase: 'start' | 'end') => void): Promise<{ framesPerSec: number; bytesPerSec: number }> {
  const s = (await buildScenarios()).find((x) => x.name === name);
  if (!s) throw new Error(`unknown core scenario ${name}`);
  runFor(s, warmupMs);
  onMeasure?.('start');
  const r = runFor(s, ms);
  onMeasure?.('end');
  return r;
}

export const CORE_SCENARIOS: CoreScenarioName[] = ['small', 'large', 'overCap', 'inflate'];

export async function runCoreBench(options: CoreOptions): Promise<CoreScenarioResult[]> {
  const scenarios = await buildScenarios();
  const results = new Map<CoreScenarioName, CoreScenarioResult>(scenarios.map((s) => [s.name, {
    name: s.name, description: s.description, framesPerSec: [], bytesPerSec: [], medianFramesPerSec: 0, medianBytesPerSec: 0,
  }]));
  for (const s of scenarios) runFor(s, options.warmupMs);
  for (let round = 0; round < options.rounds; round++) {
    for (const s of scenarios) {
      const r = runFor(s, options.measureMs);
      const res = results.get(s.name)!;
      res.framesPerSec.push(r.framesPerSec);
      res.bytesPerSec.push(r.bytesPerSec);
    }
    options.onProgress?.(`core round ${round + 1}/${options.rounds} done`);
  }
  for (const res of results.values()) {
    res.medianFramesPerSec = median(res.framesPerSec);
    res.medianBytesPerSec = median(res.bytesPerSec);
  }
  return [...results.values()];
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
