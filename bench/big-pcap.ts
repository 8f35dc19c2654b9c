// Writes a large generated packet capture for measuring `wspeek open FILE.pcap`:
//   node dist/bench/big-pcap.js OUT.pcap [MB]
// 64 WebSocket connections at once over Ethernet/IPv4/TCP, their segments interleaved, each
// carrying client text messages of 100 to 4000 bytes (masked) and the server's echoes, cut into
// segments of at most 1448 bytes, as a capture off a real link would have them.

import fs from 'node:fs';
import { pcapFile, segmentFrame, type SegmentSpec } from '../test/support/pcap-writer.js';
import { frame } from '../test/support/ws-frames.js';

const out = process.argv[2];
const megabytes = Number(process.argv[3] ?? 200);
if (!out) throw new Error('usage: big-pcap OUT.pcap [MB]');

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
/** RFC 6455 §1.3's example: the accept value for KEY. */
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';
const CONNECTIONS = 64;
const MSS = 1448;

interface Conn { port: number; seq: { c: number; s: number } }
const conns: Conn[] = Array.from({ length: CONNECTIONS }, (_, i) => ({ port: 40000 + i, seq: { c: i * 1000, s: i * 7000 } }));

const fd = fs.openSync(out, 'wx');
fs.writeSync(fd, pcapFile([]));
let ts = 1_700_000_000_000;
let written = 24;
let pending: Buffer[] = [];

function emit(c: Conn, side: 'c' | 's', flags: SegmentSpec['flags'], payload?: Buffer): void {
  const [src, dst, sp, dp] = side === 'c' ? ['10.0.0.1', '10.0.0.2', c.port, 443] : ['10.0.0.2', '10.0.0.1', 443, c.port];
  const record = pcapFile([{ ts: (ts += 0.01), data: segmentFrame({ src, dst, srcPort: sp, dstPort: dp, seq: c.seq[side] >>> 0, flags, ...(payload ? { payload } : {}) }) }]).subarray(24);
  pending.push(record);
  written += record.length;
  if (pending.length >= 4096) {
    fs.writeSync(fd, Buffer.concat(pending));
    pending = [];
  }
}

function send(c: Conn, side: 'c' | 's', bytes: Buffer): void {
  for (let at = 0; at < bytes.length; at += MSS) {
    const piece = bytes.subarray(at, at + MSS);
    emit(c, side, { ack: true }, piece);
    c.seq[side] += piece.length;
  }
}

for (const c of conns) {
  emit(c, 'c', { syn: true });
  c.seq.c++;
  emit(c, 's', { syn: true, ack: true });
  c.seq.s++;
  send(c, 'c', Buffer.from(`GET /feed HTTP/1.1\r\nHost: bench.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`));
  send(c, 's', Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${ACCEPT}\r\n\r\n`));
}
let n = 0;
while (written < megabytes * 1024 * 1024) {
  const c = conns[n % CONNECTIONS]!;
  const text = `{"n":${n},"data":"${'abcdefghij'.repeat(10 + ((n * 37) % 390))}"}`;
  send(c, 'c', frame({ opcode: 1, payload: text, mask: true }));
  send(c, 's', frame({ opcode: 1, payload: text }));
  n++;
}
for (const c of conns) {
  emit(c, 'c', { fin: true, ack: true });
  emit(c, 's', { fin: true, ack: true });
}
fs.writeSync(fd, Buffer.concat(pending));
fs.closeSync(fd);
console.log(`${out}: ${(written / 1024 / 1024).toFixed(1)} MB, ${n * 2} messages on ${CONNECTIONS} connections`);
