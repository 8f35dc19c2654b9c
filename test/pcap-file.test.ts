import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import zlib from 'node:zlib';
import { recordPayload, type ConnectRecord, type LogRecord, type MessageRecord } from '../core/log/records.js';
import { parseKeyLog } from '../core/capture/key-log.js';
import { openPcapFile } from '../proxy/log/pcap-file.js';
import { ROOT } from './support/cli-process.js';
import { pcapFile, segmentFrame } from './support/pcap-writer.js';
import { TLS_FIXTURE_SNI, TLS_FIXTURES, tlsFixtureMessages } from './support/wss-fixture.js';

// Real captures of `ws` peers on 127.0.0.1, written by tcpdump 4.99.3 / libpcap 1.10.3 (and converted
// by tshark/mergecap 4.0.17): see test/support/record-pcap-fixtures.ts.
const FIXTURES = path.join(ROOT, 'test', 'fixtures');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wspeek-pcap-file-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The messages of the fixture conversation, as the client sent them (the server echoes each data message). */
const SENT = ['hello, capture', Buffer.from([0, 1, 2, 3, 254, 255]), 'first part, second part, last part', 'x'.repeat(3000)];

async function records(file: string, gzip = false, keyLogText: string | null = null): Promise<{ records: LogRecord[]; problems: string[] }> {
  const got: LogRecord[] = [];
  const keyLog = keyLogText === null ? null : { file: 'keys.log', log: parseKeyLog(keyLogText) };
  const result = await openPcapFile(file, { gzip, keyLog }).read((r) => got.push(r));
  assert.equal(result.records, got.length);
  return { records: got, problems: result.problems.map((p) => p.error) };
}

function messages(rs: LogRecord[]): MessageRecord[] {
  return rs.filter((r): r is MessageRecord => r.type === 'message');
}

function assertFixtureConversation(rs: LogRecord[], source: string): void {
  assert.deepEqual(rs[0], { ...rs[0], type: 'session', mode: 'pcap', source });
  const connects = rs.filter((r): r is ConnectRecord => r.type === 'connect');
  assert.deepEqual(connects.map((c) => [c.server, c.tls]), [['127.0.0.1:47011', false], ['127.0.0.1:47012', false], ['127.0.0.1:47013', true]]);
  const ms = messages(rs);
  for (const [i, conn] of connects.slice(0, 2).entries()) {
    const mine = ms.filter((m) => m.conn === conn.conn);
    const data = (from: string) => mine.filter((m) => m.from === from && (m.kind === 'text' || m.kind === 'binary')).map((m) => m.text ?? recordPayload(m));
    assert.deepEqual(data('client'), SENT);
    assert.deepEqual(data('server'), SENT);
    assert.deepEqual(mine.filter((m) => m.kind === 'close').map((m) => [m.from, m.close]), [['client', { code: 1000, reason: 'done' }], ['server', { code: 1000, reason: 'done' }]]);
    assert.equal(mine.find((m) => m.kind === 'text' && m.frames === 3)?.text, 'first part, second part, last part');
    assert.equal(mine.some((m) => m.compressed), i === 1, 'the second connection is the one with permessage-deflate');
  }
  const ends = rs.filter((r) => r.type === 'end');
  assert.deepEqual(ends.map((e) => e.type === 'end' && e.clean), [true, true, false]);
  const tls = rs.filter((r) => r.type === 'error');
  assert.deepEqual(tls.map((e) => e.type === 'error' && [e.conn, e.where, e.detail]), [[connects[2]!.conn, 'tls', 'TLS to wss.fixture.test: not decrypted without a key log (--keylog FILE); its bytes are counted, not decoded']]);
}

for (const name of ['ws-lo.pcap', 'ws-lo-ns.pcap', 'ws-any.pcap', 'ws-lo.pcapng', 'ws-two-interfaces.pcapng']) {
  test(`${name}: both WebSocket connections decoded (plain and permessage-deflate, a fragmented message), TLS listed with its SNI`, async () => {
    const { records: rs, problems } = await records(path.join(FIXTURES, name));
    assert.deepEqual(problems, []);
    assertFixtureConversation(rs, name);
  });
}

test('the same records from every fixture: link types, byte orders, time resolutions and pcapng agree to the µs', async () => {
  const strip = (rs: LogRecord[]) => rs.slice(1).map((r) => JSON.stringify({ ...r, ts: Math.round(r.ts * 1000) }));
  const lo = strip((await records(path.join(FIXTURES, 'ws-lo.pcap'))).records);
  assert.deepEqual(strip((await records(path.join(FIXTURES, 'ws-lo.pcapng'))).records), lo);
  assert.deepEqual(strip((await records(path.join(FIXTURES, 'ws-lo-ns.pcap'))).records).length, lo.length);
});

test('a gzip-compressed capture reads as the capture itself', async () => {
  const gz = path.join(dir, 'ws-lo.pcap.gz');
  fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(path.join(FIXTURES, 'ws-lo.pcap'))));
  const { records: rs } = await records(gz, true);
  assertFixtureConversation(rs, 'ws-lo.pcap.gz');
});

test('a capture cut short: the records before the cut, and a problem that says where', async () => {
  const cut = path.join(dir, 'cut.pcap');
  const whole = fs.readFileSync(path.join(FIXTURES, 'ws-lo.pcap'));
  fs.writeFileSync(cut, whole.subarray(0, whole.length - 30));
  const { records: rs, problems } = await records(cut);
  assert.equal(messages(rs).filter((m) => m.conn === 1).length, 12);
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /^packet \d+: the file ends inside a packet record/);
});

test('a generated capture with many connections reads in full through the stream (more than one read chunk)', async () => {
  const packets = [];
  for (let i = 0; i < 3000; i++) {
    const port = 40000 + (i % 500);
    packets.push({ ts: 1_700_000_000_000 + i, data: segmentFrame({ src: '10.1.0.1', dst: '10.1.0.2', srcPort: port, dstPort: 80, seq: 1 + Math.floor(i / 500) * 700, payload: Buffer.alloc(700, 0x61) }) });
  }
  const file = path.join(dir, 'many.pcap');
  fs.writeFileSync(file, pcapFile(packets));
  assert.ok(fs.statSync(file).size > 1024 * 1024);
  const { records: rs } = await records(file);
  const ends = rs.filter((r) => r.type === 'end');
  assert.equal(ends.length, 500);
  assert.ok(ends.every((e) => e.type === 'end' && e.bytes.client === 6 * 700));
});

/** tshark's messages of a capture, per client port and sender, as `kind payload-hex` strings; null where tshark can't show one. */
function tsharkMessages(file: string): Map<string, string[]> | null {
  const r = spawnSync('tshark', ['-r', file, '-d', 'tcp.port==47011,http', '-d', 'tcp.port==47012,http', '-Y', 'websocket', '-T', 'fields',
    '-E', 'occurrence=a', '-E', 'aggregator=|', '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'websocket.opcode', '-e', 'websocket.fin', '-e', 'websocket.pmc',
    '-e', 'websocket.payload.text', '-e', 'data.data', '-e', 'websocket.payload.ping', '-e', 'websocket.payload.pong',
    '-e', 'websocket.payload.close.status_code', '-e', 'websocket.payload.close.reason'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
  const out = new Map<string, string[]>();
  const open = new Map<string, { kind: number; pmc: boolean; frames: number }>();
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const [src, dst, opcodes, fins, pmcs, text, data, ping, pong, code, reason] = line.split('\t');
    // One frame per line (a TCP segment may carry several: tshark aggregates their fields with |).
    const ops = opcodes!.split('|').map(Number);
    if (ops.length !== 1) throw new Error(`fixture segment with ${ops.length} frames: compare by hand`);
    const client = Number(src) > Number(dst);
    const key = `${client ? src : dst} ${client ? 'client' : 'server'}`;
    const op = ops[0]!;
    const started = op === 0 ? open.get(key)! : { kind: op, pmc: pmcs === '1', frames: 0 };
    started.frames++;
    if (fins !== '1') {
      open.set(key, started);
      continue;
    }
    open.delete(key);
    // tshark 4.0 does not inflate a fragmented permessage-deflate message: such a message is left out of the comparison.
    if (started.pmc && started.frames > 1) {
      (out.get(key) ?? out.set(key, []).get(key)!).push('skip');
      continue;
    }
    const hex = started.kind === 1 ? Buffer.from(text!, 'utf8').toString('hex')
      : started.kind === 2 ? data! : started.kind === 9 ? ping! : started.kind === 10 ? pong! : `${code} ${reason}`;
    (out.get(key) ?? out.set(key, []).get(key)!).push(`${started.kind} ${hex}`);
  }
  return out;
}

const OPCODES: Record<MessageRecord['kind'], number> = { text: 1, binary: 2, close: 8, ping: 9, pong: 10 };
const hasTshark = spawnSync('tshark', ['--version']).status === 0;

for (const name of ['ws-lo.pcap', 'ws-any.pcap', 'ws-lo.pcapng']) {
  test(`${name}: every message's payload is the one tshark's websocket dissector shows`, { skip: hasTshark ? false : 'tshark is not installed: the comparison with Wireshark\'s dissector is skipped' }, async () => {
    const file = path.join(FIXTURES, name);
    const theirs = tsharkMessages(file)!;
    const { records: rs } = await records(file);
    const clientPort = new Map(rs.filter((r): r is ConnectRecord => r.type === 'connect').map((c) => [c.conn, c.client.split(':')[1]]));
    const ours = new Map<string, string[]>();
    for (const m of messages(rs)) {
      const key = `${clientPort.get(m.conn)} ${m.from}`;
      const hex = m.kind === 'close' ? `${m.close!.code} ${m.close!.reason}` : recordPayload(m).toString('hex');
      (ours.get(key) ?? ours.set(key, []).get(key)!).push(`${OPCODES[m.kind]} ${hex}`);
    }
    assert.deepEqual([...ours.keys()].sort(), [...theirs.keys()].sort());
    let compared = 0;
    for (const [key, list] of theirs) {
      const mine = ours.get(key)!;
      assert.equal(mine.length, list.length, `${key}: as many messages`);
      list.forEach((t, i) => {
        if (t === 'skip') return;
        assert.equal(mine[i], t, `${key}: message ${i + 1}`);
        compared++;
      });
    }
    // 24 messages in all; the one left out is the fragmented compressed message tshark does not inflate.
    assert.equal(compared, 23);
  });
}

// wss conversations of `ws` peers over TLS 1.3 (AES-256-GCM, ChaCha20-Poly1305) and TLS 1.2 (ECDHE with
// AES-128-GCM, ChaCha20-Poly1305), written by tcpdump on lo, with the server's Node `keylog` lines.
const WSS = path.join(FIXTURES, 'wss-lo.pcap');
const WSS_KEYS = fs.readFileSync(path.join(FIXTURES, 'wss-lo.keylog'), 'latin1');

function dataMessages(rs: LogRecord[], conn: number, from: 'client' | 'server'): Array<string | Buffer> {
  return messages(rs).filter((m) => m.conn === conn && m.from === from && (m.kind === 'text' || m.kind === 'binary')).map((m) => m.text ?? recordPayload(m));
}

test('wss-lo.pcap with its key log: every TLS 1.2 and 1.3 connection decrypted, each message exactly as the peers sent it', async () => {
  const { records: rs, problems } = await records(WSS, false, WSS_KEYS);
  assert.deepEqual(problems, []);
  const connects = rs.filter((r): r is ConnectRecord => r.type === 'connect');
  assert.deepEqual(connects.map((c) => [c.server, c.tls]), TLS_FIXTURES.map((f) => [`127.0.0.1:${f.port}`, true]));
  assert.deepEqual(rs.filter((r) => r.type === 'error'), []);
  for (const [i, f] of TLS_FIXTURES.entries()) {
    const conn = connects[i]!.conn;
    const handshake = rs.find((r) => r.type === 'handshake' && r.conn === conn);
    assert.equal(handshake?.type === 'handshake' && handshake.url, `wss://127.0.0.1:${f.port}/fixture-tls?v=${f.version}`);
    assert.deepEqual(dataMessages(rs, conn, 'client'), tlsFixtureMessages(f.port), `${f.version} ${f.ciphersuites ?? f.ciphers}: the client's messages`);
    assert.deepEqual(dataMessages(rs, conn, 'server'), tlsFixtureMessages(f.port), `${f.version} ${f.ciphersuites ?? f.ciphers}: the server's echoes`);
    const end = rs.find((r) => r.type === 'end' && r.conn === conn);
    assert.equal(end?.type === 'end' && end.clean, true);
  }
});

test('wss-lo.pcap without a key log: each TLS connection is an error record with its SNI, counted, nothing decoded', async () => {
  const { records: rs, problems } = await records(WSS);
  assert.deepEqual(problems, []);
  assert.equal(messages(rs).length, 0);
  const errors = rs.filter((r) => r.type === 'error');
  assert.deepEqual(errors.map((e) => e.type === 'error' && [e.conn, e.where, e.detail]), TLS_FIXTURES.map((_, i) => [i + 1,
    'tls', `TLS to ${TLS_FIXTURE_SNI}: not decrypted without a key log (--keylog FILE); its bytes are counted, not decoded`]));
  assert.ok(rs.filter((r) => r.type === 'end').every((e) => e.type === 'end' && e.bytes.client > 20_000 && e.bytes.server > 20_000));
});

test('a key log without one session\'s secrets: that connection is a no-key error record with its SNI, the others are decrypted', async () => {
  const lines = WSS_KEYS.split('\n').filter(Boolean);
  // The key log holds each session's lines together, in connection order: the third random is the third connection's (TLS 1.2).
  const randoms = [...new Set(lines.map((l) => l.split(' ')[1]))];
  assert.equal(randoms.length, TLS_FIXTURES.length);
  const missing = randoms[2]!;
  const { records: rs } = await records(WSS, false, lines.filter((l) => !l.includes(missing)).join('\n'));
  const errors = rs.filter((r) => r.type === 'error');
  assert.deepEqual(errors.map((e) => e.type === 'error' && [e.conn, e.where, e.detail]), [[3, 'tls',
    `TLS to ${TLS_FIXTURE_SNI}: no CLIENT_RANDOM line for client_random ${missing}; the rest of the connection is counted, not decoded`]]);
  assert.deepEqual([1, 2, 3, 4].map((conn) => dataMessages(rs, conn, 'client').length), [3, 3, 0, 3]);
});

test('a key log\'s unreadable lines are problems named by the key log, and its good lines still decrypt', async () => {
  const got: LogRecord[] = [];
  const result = await openPcapFile(WSS, { gzip: false, keyLog: { file: 'keys.log', log: parseKeyLog(`# a comment\nNOT_A_LABEL 00 11\n${WSS_KEYS}CLIENT_RANDOM abc def\n`) } }).read((r) => got.push(r));
  assert.deepEqual(result.problems, [
    { line: 2, error: 'unknown label NOT_A_LABEL', source: 'keys.log' },
    { line: WSS_KEYS.split('\n').length + 2, error: 'not "CLIENT_RANDOM <64 hex digits> <secret in hex>"', source: 'keys.log' },
  ]);
  assert.equal(messages(got).filter((m) => m.kind === 'text').length, 4 * 4);
});

test('reading a capture tells its progress after each chunk read, ending at the file\'s size', async () => {
  const file = path.join(dir, 'many-progress.pcap');
  const packets = [];
  for (let i = 0; i < 2000; i++) packets.push({ ts: 1_700_000_000_000 + i, data: segmentFrame({ src: '10.1.0.1', dst: '10.1.0.2', srcPort: 40000 + (i % 100), dstPort: 80, seq: 1 + Math.floor(i / 100) * 1000, payload: Buffer.alloc(1000, 0x61) }) });
  fs.writeFileSync(file, pcapFile(packets));
  const total = fs.statSync(file).size;
  const seen: Array<[number, number]> = [];
  await openPcapFile(file, { gzip: false, onProgress: (read, size) => seen.push([read, size]) }).read(() => {});
  assert.ok(seen.length >= 2, `${seen.length} progress calls for ${total} bytes in 1 MiB chunks`);
  assert.ok(seen.every(([, size], i) => size === total && (i === 0 || seen[i - 1]![0] < seen[i]![0])));
  assert.deepEqual(seen.at(-1), [total, total]);
});

/** tshark's data messages of the wss fixture, decrypted with its key log: `client-port side` → `opcode payload-hex` (every frame is whole). */
function tsharkTlsMessages(keyLogFile: string): Map<string, string[]> {
  const r = spawnSync('tshark', ['-r', WSS, '-o', `tls.keylog_file:${keyLogFile}`, '-Y', 'websocket', '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=|',
    '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'websocket.opcode', '-e', 'websocket.payload.text', '-e', 'data.data'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
  const out = new Map<string, string[]>();
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const [src, dst, opcodes, text = '', data = ''] = line.split('\t');
    const texts = text.split('|');
    const datas = data.split('|');
    // The servers listen on the fixture's ports; a client's ephemeral port may be lower.
    const client = !TLS_FIXTURES.some((f) => f.port === Number(src));
    const key = `${client ? src : dst} ${client ? 'client' : 'server'}`;
    for (const op of opcodes!.split('|').map(Number)) {
      const hex = op === 1 ? Buffer.from(texts.shift()!, 'utf8').toString('hex') : op === 2 ? datas.shift()! : null;
      if (hex !== null) (out.get(key) ?? out.set(key, []).get(key)!).push(`${op} ${hex}`);
    }
  }
  return out;
}

test('wss-lo.pcap: every decrypted data message is the one tshark decrypts with the same key log', { skip: hasTshark ? false : 'tshark is not installed: the comparison with Wireshark\'s TLS decryption is skipped' }, async () => {
  const theirs = tsharkTlsMessages(path.join(FIXTURES, 'wss-lo.keylog'));
  const { records: rs } = await records(WSS, false, WSS_KEYS);
  const clientPort = new Map(rs.filter((r): r is ConnectRecord => r.type === 'connect').map((c) => [c.conn, c.client.split(':')[1]]));
  const ours = new Map<string, string[]>();
  for (const m of messages(rs)) {
    if (m.kind !== 'text' && m.kind !== 'binary') continue;
    const key = `${clientPort.get(m.conn)} ${m.from}`;
    (ours.get(key) ?? ours.set(key, []).get(key)!).push(`${OPCODES[m.kind]} ${recordPayload(m).toString('hex')}`);
  }
  assert.equal([...theirs.values()].flat().length, TLS_FIXTURES.length * 2 * 3, 'tshark decrypted every message');
  assert.deepEqual(ours, theirs);
});
