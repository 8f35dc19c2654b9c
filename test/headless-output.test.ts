import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFilter, type CompiledFilter } from '../core/filter/filter.js';
import { actionRecord, type ActionRecord, type LogRecord, type MessageRecord } from '../core/log/records.js';
import { parseLogLine } from '../core/log/parse-line.js';
import { SessionStore } from '../core/store/session-store.js';
import { headlessOutput } from '../tui/headless-output.js';
import { formatRecordLine, messageSummary } from '../tui/line-printer.js';

const T0 = new Date(2024, 0, 15, 14, 2, 3, 0).getTime();
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;

function msg(over: Partial<MessageRecord> & { text?: string }): MessageRecord {
  const length = over.text !== undefined ? Buffer.byteLength(over.text) : 0;
  return { type: 'message', conn: 1, seq: 1, ts: T0 + 40, from: 'client', kind: 'text', length, wireLength: length, frames: 1, compressed: false, truncated: false, ...over };
}

/** A short session: every record type, in the order the proxy emits them. */
function sessionRecords(): LogRecord[] {
  return [
    { type: 'session', version: 1, tool: 'wspeek', ts: T0, mode: 'reverse', listen: '127.0.0.1:8080', target: 'ws://127.0.0.1:3000/' },
    { type: 'connect', conn: 1, ts: T0 + 1, client: '127.0.0.1:50000', server: '127.0.0.1:3000', tls: false },
    { type: 'http', conn: 2, ts: T0 + 2, method: 'GET', url: 'http://127.0.0.1:3000/', status: 200, ms: 4.5 },
    {
      type: 'handshake', conn: 1, ts: T0 + 3, url: 'ws://127.0.0.1:3000/chat', ms: 12.4, accept: 'valid', protocol: 'chat',
      extensions: [{ name: 'permessage-deflate', params: {} }], upgraded: true,
      request: { method: 'GET', target: '/chat', version: 'HTTP/1.1', headers: [] },
      response: { version: 'HTTP/1.1', status: 101, reason: 'Switching Protocols', headers: [] },
    },
    { type: 'frame', conn: 1, ts: T0 + 10, from: 'server', fin: true, rsv: [true, false, false], opcode: 1, masked: false, mask: null, length: 14 },
    msg({ ts: T0 + 10, from: 'server', text: 'Hello, world', wireLength: 14, compressed: true }),
    { type: 'frame', conn: 1, ts: T0 + 20, from: 'client', fin: true, rsv: [false, false, false], opcode: 2, masked: true, mask: '01020304', length: 4 },
    msg({ ts: T0 + 20, kind: 'binary', base64: Buffer.from([0xde, 0xad, 0xbe, 0xef]).toString('base64'), length: 4, wireLength: 4 }),
    { type: 'violation', conn: 1, ts: T0 + 30, from: 'client', rule: 'invalid-close-code', rfc: '6455 7.4', detail: 'close code 999 may not be sent' },
    { type: 'frame', conn: 1, ts: T0 + 30, from: 'client', fin: true, rsv: [false, false, false], opcode: 8, masked: true, mask: '01020304', length: 2 },
    msg({ ts: T0 + 30, kind: 'close', close: { code: 999, reason: '' }, length: 2, wireLength: 2 }),
    { type: 'end', conn: 1, ts: T0 + 50, by: 'client', code: 999, clean: false, bytes: { client: 300, server: 250 }, frames: { client: 2, server: 1 }, durationMs: 49, reason: null },
  ];
}

function run(records: LogRecord[], json: boolean, filter: string | null = null): string[] {
  let out = '';
  let compiled: CompiledFilter | null = null;
  if (filter !== null) {
    const parsed = parseFilter(filter);
    assert.ok(parsed.ok);
    compiled = parsed;
  }
  const store = new SessionStore();
  store.subscribe(headlessOutput({ json, filter: compiled, write: (t) => (out += t) }));
  for (const r of records) store.add(r);
  assert.ok(out === '' || out.endsWith('\n'));
  return out === '' ? [] : out.slice(0, -1).split('\n');
}

// ---------------------------------------------------------------------------------------------
// Line printer

test('lines: one per record but frames, in order', () => {
  assert.deepEqual(run(sessionRecords(), false), [
    '14:02:03.000  wspeek reverse mode on 127.0.0.1:8080 → ws://127.0.0.1:3000/',
    '14:02:03.001  #1 connect from 127.0.0.1:50000',
    '14:02:03.002  #2 GET http://127.0.0.1:3000/ → 200 4.50ms',
    '14:02:03.003  #1 handshake ws://127.0.0.1:3000/chat → 101 Switching Protocols 12ms  (protocol chat, deflate, accept valid)',
    '14:02:03.010  #1 s→c text   12 B (14 B on wire) [deflate]  "Hello, world"',
    '14:02:03.020  #1 c→s binary 4 B  de ad be ef',
    '14:02:03.030  #1 ! client violated invalid-close-code (RFC 6455 7.4): close code 999 may not be sent',
    '14:02:03.030  #1 c→s close  2 B  999 Invalid',
    '14:02:03.050  #1 end by client code 999 after 49ms, 300 B c→s, 250 B s→c',
  ]);
});

test('lines: http errors, tls, clean ends with reasons, refused handshakes', () => {
  assert.equal(formatRecordLine({ type: 'http', conn: 3, ts: T0, method: 'CONNECT', url: 'example.test:443', status: null, ms: 0, error: 'TLS with the client failed' }),
    '14:02:03.000  #3 CONNECT example.test:443 → — 0.00ms  (TLS with the client failed)');
  assert.equal(formatRecordLine({ type: 'connect', conn: 4, ts: T0, client: '[::1]:5000', server: null, tls: true }), '14:02:03.000  #4 connect from [::1]:5000 (tls)');
  assert.equal(formatRecordLine({ type: 'end', conn: 4, ts: T0, by: 'proxy', code: 1000, clean: true, bytes: { client: 1, server: 2 }, frames: { client: 1, server: 1 }, durationMs: 5, reason: 'wspeek quit' }),
    '14:02:03.000  #4 end by proxy code 1000 clean after 5.00ms, 1 B c→s, 2 B s→c  (wspeek quit)');
  assert.equal(formatRecordLine({
    type: 'handshake', conn: 5, ts: T0, url: 'ws://h/x', ms: 1, accept: 'missing', protocol: null, extensions: [], upgraded: false,
    request: { method: 'GET', target: '/x', version: 'HTTP/1.1', headers: [] }, response: { version: 'HTTP/1.1', status: 403, reason: 'Forbidden', headers: [] },
  }), '14:02:03.000  #5 handshake ws://h/x → 403 Forbidden 1.00ms');
  assert.equal(formatRecordLine({ type: 'session', version: 1, tool: 'wspeek', ts: T0, mode: 'forward', listen: '0.0.0.0:8080', target: null }), '14:02:03.000  wspeek forward mode on 0.0.0.0:8080');
  assert.equal(formatRecordLine({ type: 'session', version: 1, tool: 'wspeek', ts: T0, mode: 'replay', listen: null, target: 'ws://h:4000/', source: 'a.jsonl' }),
    '14:02:03.000  wspeek replaying a.jsonl against ws://h:4000/');
  assert.equal(formatRecordLine({ type: 'frame', conn: 1, ts: T0, from: 'client', fin: true, rsv: [false, false, false], opcode: 1, masked: true, mask: '00000000', length: 0 }), null);
});

test('lines: what each tunnel became, and wspeek\'s own errors', () => {
  const t = { type: 'tunnel', conn: 6, ts: T0, via: 'connect', host: 'example.test', port: 443, sni: null, alpn: null, version: null, alert: null } as const;
  assert.equal(formatRecordLine({ ...t, tls: 'intercepted', sni: 'example.test', alpn: 'http/1.1', version: 'TLSv1.3' }),
    '14:02:03.000  #6 tunnel to example.test:443 via connect: TLS intercepted (SNI example.test, http/1.1, TLSv1.3)');
  assert.equal(formatRecordLine({ ...t, tls: 'none' }), '14:02:03.000  #6 tunnel to example.test:443 via connect: plain (no TLS)');
  assert.equal(formatRecordLine({ ...t, tls: 'rejected', alert: 'tlsv1 alert unknown ca' }),
    "14:02:03.000  #6 tunnel to example.test:443 via connect: TLS with the client failed: tlsv1 alert unknown ca (does the client trust wspeek's CA? `wspeek ca` prints it)");
  assert.equal(formatRecordLine({ type: 'error', conn: 6, ts: T0, where: 'decoder', detail: 'decoding stopped (the connection is still forwarded): boom\x1b[2J' }),
    '14:02:03.000  #6 ! wspeek decoder error: decoding stopped (the connection is still forwarded): boom\\x1b[2J');
});

test('a message read from HAR (wire length, frames and compression null): its size and payload, nothing said of frames or compression', () => {
  assert.equal(messageSummary(msg({ text: 'hi', length: 2, wireLength: null, frames: null, compressed: null })), 'text   2 B  "hi"');
  assert.equal(messageSummary(msg({ text: 'hi', length: 2, wireLength: null, compressed: true })), 'text   2 B (? on wire) [deflate]  "hi"');
});

test('message summaries: flags, close codes, previews cut at 120 characters', () => {
  assert.equal(messageSummary(msg({ text: 'x'.repeat(500), length: 5000, truncated: true, frames: 3, incomplete: true })),
    `text   4.9 KiB [truncated incomplete 3 frames]  "${'x'.repeat(119)}…"`);
  assert.equal(messageSummary(msg({ kind: 'binary', base64: '', length: 5 * 1024 * 1024, wireLength: 5 * 1024 * 1024 - 1000, compressed: true })),
    'binary 5.0 MiB (5.0 MiB on wire) [deflate]   …', 'sizes as every pane shows them');
  assert.match(formatRecordLine({ type: 'end', conn: 4, ts: T0, by: 'server', code: 1000, clean: true, bytes: { client: 6 * 1024 * 1024, server: 4200 }, frames: { client: 1, server: 1 }, durationMs: 5, reason: null })!,
    /, 6\.0 MiB c→s, 4\.1 KiB s→c$/);
  assert.equal(messageSummary(msg({ kind: 'pong', base64: Buffer.from('hb').toString('base64'), length: 2, rtt: 1.5 })), 'pong   2 B [rtt 1.50ms]  68 62');
  assert.equal(messageSummary(msg({ kind: 'close', close: { code: 1000, reason: 'bye' }, length: 5 })), 'close  5 B  1000 Normal Closure "bye"');
  assert.equal(messageSummary(msg({ kind: 'close', close: { code: null, reason: '' } })), 'close  0 B  (no status code)');
  const big = Buffer.alloc(40, 0xab);
  assert.equal(messageSummary(msg({ kind: 'binary', base64: big.toString('base64'), length: 40 })), `binary 40 B  ${Array(32).fill('ab').join(' ')} …`);
});

// ---------------------------------------------------------------------------------------------
// Filters

test('lines with a filter: only the matching messages', () => {
  assert.deepEqual(run(sessionRecords(), false, 'server'), ['14:02:03.010  #1 s→c text   12 B (14 B on wire) [deflate]  "Hello, world"']);
  assert.deepEqual(run(sessionRecords(), false, 'bad'), ['14:02:03.030  #1 c→s close  2 B  999 Invalid'], 'the violation is linked to its message');
  assert.deepEqual(run(sessionRecords(), false, 'url:/nothing'), []);
});

test('JSON with a filter: the records that frame a connection, and the matching messages', () => {
  const lines = run(sessionRecords(), true, 'binary');
  const types = lines.map((l) => (JSON.parse(l) as LogRecord).type);
  assert.deepEqual(types, ['session', 'connect', 'handshake', 'message', 'end']);
  assert.equal((JSON.parse(lines[3]!) as MessageRecord).kind, 'binary');
});

test('JSON: every record, one a line, parsing back to the same record', () => {
  const records = sessionRecords();
  const lines = run(records, true);
  assert.equal(lines.length, records.length);
  lines.forEach((l, i) => {
    const parsed = parseLogLine(l);
    assert.equal(parsed.kind, 'record');
    if (parsed.kind === 'record') assert.deepEqual(parsed.record, records[i]);
  });
});

// ---------------------------------------------------------------------------------------------
// Terminal safety

const EVIL = '\x1b[2J\x1b]0;title\x07\x07\x9b31m\x7f\u202eevil\u200b\u200d\u2066\ufeff\u2028{red-fg}x{/red-fg}\r\n\t';

/** Records whose peer- (or file-) controlled text carries every kind of terminal trick. */
function hostileRecords(): LogRecord[] {
  return [
    { type: 'session', version: 1, tool: 'wspeek', ts: T0, mode: 'reverse', listen: `127.0.0.1:8080${EVIL}`, target: `ws://t/${EVIL}` },
    { type: 'connect', conn: 1, ts: T0, client: `1.2.3.4:5${EVIL}`, server: null, tls: false },
    { type: 'http', conn: 2, ts: T0, method: `GET${EVIL}`, url: `http://h/${EVIL}`, status: 400, ms: 1, error: `bad request: ${EVIL}` },
    {
      type: 'handshake', conn: 1, ts: T0, url: `ws://h/${EVIL}`, ms: 1, accept: 'invalid', protocol: EVIL,
      extensions: [{ name: EVIL, params: { [EVIL]: EVIL } }], upgraded: true,
      request: { method: 'GET', target: `/${EVIL}`, version: 'HTTP/1.1', headers: [[`X-${EVIL}`, EVIL]] },
      response: { version: 'HTTP/1.1', status: 101, reason: EVIL, headers: [['Server', EVIL]] },
    },
    msg({ from: 'server', text: EVIL }),
    msg({ from: 'server', text: `{"k":${JSON.stringify(EVIL)}}` }),
    msg({ kind: 'binary', base64: Buffer.from(EVIL).toString('base64'), length: Buffer.byteLength(EVIL) }),
    { type: 'violation', conn: 1, ts: T0, from: 'client', rule: 'invalid-utf8', rfc: '6455 8.1', detail: `saw ${EVIL}` },
    msg({ kind: 'close', close: { code: 4000, reason: EVIL } }),
    { type: 'end', conn: 1, ts: T0, by: 'server', code: 4000, clean: true, bytes: { client: 1, server: 1 }, frames: { client: 1, server: 1 }, durationMs: 1, reason: `reset: ${EVIL}` },
  ];
}

test('terminal safety: human-readable lines carry no control, C1 or bidi characters', () => {
  const lines = run(hostileRecords(), false);
  assert.equal(lines.length, 10);
  for (const l of lines) assert.doesNotMatch(l, UNSAFE, JSON.stringify(l));
  assert.ok(lines[4]!.includes('"\\x1b[2J\\x1b]0;title\\x07\\x07\\x9b31m\\x7f\\u{202e}evil'), lines[4]);
  assert.ok(lines[4]!.includes('{red-fg}x{/red-fg}'));
});

test('terminal safety: JSON lines escape control, C1 and bidi characters, and still parse back to the same records', () => {
  const records = hostileRecords();
  const lines = run(records, true);
  assert.equal(lines.length, records.length);
  lines.forEach((l, i) => {
    assert.doesNotMatch(l, UNSAFE, JSON.stringify(l));
    assert.deepEqual(JSON.parse(l), records[i]);
  });
  assert.ok(lines[4]!.includes('\\u001b[2J'));
});

test('with the `error` filter, lines and JSON keep wspeek\'s own errors and drop messages', () => {
  const error: LogRecord = { type: 'error', conn: 1, ts: T0 + 45, where: 'decoder', detail: 'decoding stopped: boom' };
  const records = [...sessionRecords().slice(0, -1), error, sessionRecords().at(-1)!];
  assert.deepEqual(run(records, false, 'error'), ['14:02:03.045  #1 ! wspeek decoder error: decoding stopped: boom']);
  const json = run(records, true, 'error').map((l) => (JSON.parse(l) as LogRecord).type);
  assert.deepEqual(json, ['session', 'connect', 'handshake', 'error', 'end']);
});

test('action lines: what wspeek did, which way, by whom, what it sent', () => {
  const line = (fields: Omit<ActionRecord, 'type' | 'conn' | 'ts'>) => formatRecordLine(actionRecord(3, T0, fields))!.replace(/^\S+ {2}/, '');
  const c2s = { from: 'client', to: 'server' } as const;
  const s2c = { from: 'server', to: 'client' } as const;
  assert.equal(line({ ...c2s, action: 'held', by: 'user', seq: 4 }), '#3 * held message 4 c→s by the user');
  assert.equal(line({ ...c2s, action: 'edited', by: 'user', seq: 4, text: 'hi "you"', length: 8 }), '#3 * edited message 4 c→s by the user: "hi "you""');
  assert.equal(line({ ...c2s, action: 'forwarded', by: 'user', seq: 4, text: 'hi', length: 2 }), '#3 * forwarded message 4 c→s as edited by the user: "hi"');
  assert.equal(line({ ...c2s, action: 'forwarded', by: 'proxy', seq: 5 }), '#3 * forwarded message 5 c→s by wspeek');
  assert.equal(line({ ...s2c, action: 'dropped', by: 'proxy', seq: 6, error: 'the connection closed while the message was held' }),
    '#3 * dropped message 6 s→c by wspeek (the connection closed while the message was held)');
  assert.equal(line({ ...s2c, action: 'injected', by: 'script', base64: 'AAEC', length: 3 }), '#3 * injected a message s→c by a script: 3 B of binary');
  assert.equal(line({ ...c2s, action: 'resent', by: 'user', seq: 2, text: 'again', length: 5 }), '#3 * sent message 2 again c→s by the user: "again"');
  assert.equal(line({ ...s2c, action: 'reencode', by: 'proxy', seq: 10 }), '#3 * re-encoding s→c from message 10 on by wspeek');
  assert.equal(line({ ...c2s, action: 'closed', by: 'user', code: 4001, reason: 'bye' }), '#3 * sent a close frame c→s by the user: 4001 "bye"');
  assert.equal(line({ ...s2c, action: 'reset', by: 'user' }), '#3 * reset the connection to the client by the user');
  assert.equal(line({ ...c2s, action: 'edited', by: 'script', target: 'handshake', headers: [['Host', 'a'], ['X', 'y']] }), '#3 * edited the handshake c→s by a script: 2 headers');
  assert.equal(line({ ...c2s, action: 'forwarded', by: 'script', seq: 7, error: 'timeout' }), '#3 * forwarded message 7 c→s by a script (timeout)');
  const hostile = line({ ...c2s, action: 'edited', by: 'user', seq: 1, text: '\x1b]0;t\x07\u202e', length: 6, error: '\x9b2J' });
  assert.doesNotMatch(hostile, UNSAFE);
});

test('a headless line says what a message says in its protocol instead of the raw payload', () => {
  const m: MessageRecord = {
    type: 'message', conn: 5, seq: 4, ts: T0, from: 'server', kind: 'text', length: 9, wireLength: 9, frames: 1, compressed: false, truncated: false,
    text: '431["ok"]', app: [{ protocol: 'socket.io', type: 'ack', id: 1, namespace: '/', name: 'chat', pair: 2, latencyMs: 3.2, args: ['ok'] }],
  };
  assert.equal(formatRecordLine(m), '14:02:03.000  #5 s→c text   9 B  socket.io ack "chat" #1 ↩2 +3.20ms ["ok"]');
  const long = { ...m, app: [{ protocol: 'socket.io' as const, type: 'event', name: 'x', args: ['y'.repeat(180)] }, { protocol: 'socket.io' as const, type: 'event', name: 'z', args: ['w'.repeat(180)] }] };
  assert.ok(formatRecordLine(long)!.length < 300, 'cut to a line');
});
