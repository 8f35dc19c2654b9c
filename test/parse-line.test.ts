import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskKeyValue, parseLogLine, SessionLogReader } from '../core/log/parse-line.js';
import { recordPayload, type MessageRecord, type SessionRecord } from '../core/log/records.js';
import { hex } from './support/rfc6455-fixtures.js';

test('parseLogLine: blank, invalid, unknown, record', () => {
  assert.deepEqual(parseLogLine(''), { kind: 'blank' });
  assert.deepEqual(parseLogLine('   \t'), { kind: 'blank' });

  const bad = parseLogLine('{"type":"frame",');
  assert.equal(bad.kind, 'invalid');
  assert.ok(bad.kind === 'invalid' && bad.error.length > 0);
  for (const line of ['[1,2]', '42', 'null', '"frame"', 'true']) {
    assert.deepEqual(parseLogLine(line), { kind: 'invalid', error: 'not a JSON object' }, line);
  }

  assert.deepEqual(parseLogLine('{"type":"future-thing","conn":1,"ts":1}'), { kind: 'unknown' });
  assert.deepEqual(parseLogLine('{"conn":1,"ts":1}'), { kind: 'unknown' });
  assert.deepEqual(parseLogLine('{"type":7,"conn":1,"ts":1}'), { kind: 'unknown' });

  const noConn = parseLogLine('{"type":"frame","ts":1}');
  assert.equal(noConn.kind, 'invalid');
  assert.match((noConn as { error: string }).error, /conn/);
  assert.equal(parseLogLine('{"type":"message","conn":"1","ts":1}').kind, 'invalid');
  const noTs = parseLogLine('{"type":"end","conn":1}');
  assert.equal(noTs.kind, 'invalid');
  assert.match((noTs as { error: string }).error, /ts/);
  assert.equal(parseLogLine('{"type":"session","version":1}').kind, 'invalid');

  const session: SessionRecord = { type: 'session', version: 1, tool: 'wspeek', ts: 1795290133410.306, mode: 'reverse', listen: '127.0.0.1:8080', target: 'ws://127.0.0.1:3000/' };
  assert.deepEqual(parseLogLine(JSON.stringify(session)), { kind: 'record', record: session });
  // Fields this version does not know are kept, not refused.
  // Fields a later version adds are kept; a record missing the fields this version needs is not a record.
  const future = { type: 'frame', conn: 2, ts: 3, from: 'client', fin: true, rsv: [false, false, false], opcode: 1, masked: true, mask: '01020304', length: 5, future: true };
  assert.deepEqual(parseLogLine(JSON.stringify(future)), { kind: 'record', record: future });
  assert.deepEqual(parseLogLine('{"type":"frame","conn":2,"ts":3,"future":true}'), { kind: 'invalid', error: 'frame record: from is not client or server' });
});


test('parseLogLine refuses frame and message records whose fields could not be written safely again', () => {
  const ok = { type: 'message', conn: 1, seq: 1, ts: 1, from: 'client', kind: 'binary', length: 1, wireLength: 1, frames: 1, compressed: false, truncated: false, base64: 'AA==' };
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ ...ok, from: 'client\x1b[2J' }, /from/],
    [{ ...ok, kind: 'text","evil":"1' }, /kind/],
    [{ ...ok, base64: 'AA"}\n{"type":"session' }, /base64/],
    [{ ...ok, length: 'NaN' }, /numbers/],
    [{ ...ok, compressed: 'yes' }, /compressed must be a boolean or null/],
    [{ ...ok, wireLength: -1 }, /wireLength and frames must be numbers or null/],
    [{ ...ok, truncated: null }, /truncated must be a boolean/],
    [{ ...ok, close: { code: 'x', reason: 'r' } }, /close/],
    [{ type: 'frame', conn: 1, ts: 1, from: 'server', fin: true, rsv: [false, false, false], opcode: 1, masked: false, mask: '"><', length: 1 }, /mask/],
    [{ type: 'frame', conn: 1, ts: 1, from: 'server', fin: true, rsv: [false, false], opcode: 1, masked: false, mask: null, length: 1 }, /rsv/],
    [{ type: 'frame', conn: 1, ts: 1, from: 'server', fin: true, rsv: [false, false, false], opcode: 99, masked: false, mask: null, length: 1 }, /opcode/],
  ];
  assert.equal(parseLogLine(JSON.stringify(ok)).kind, 'record');
  for (const [record, why] of bad) {
    const parsed = parseLogLine(JSON.stringify(record));
    assert.equal(parsed.kind, 'invalid', JSON.stringify(record));
    assert.match((parsed as { error: string }).error, why);
  }
});


test('parseLogLine refuses action records whose fields the UI could not show or write again', () => {
  const ok = { type: 'action', conn: 1, ts: 1, from: 'client', to: 'server', action: 'edited', by: 'user', seq: 2, text: 'hi', length: 2 };
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ ...ok, from: 'me' }, /from and to/],
    [{ ...ok, action: 'exploded' }, /action must be one of held, /],
    [{ ...ok, by: 'root' }, /by must be/],
    [{ ...ok, seq: 0 }, /seq/],
    [{ ...ok, text: 42 }, /text must be a string/],
    [{ ...ok, text: undefined, base64: 'not base64!' }, /base64/],
    [{ ...ok, length: -1 }, /numbers/],
    [{ ...ok, action: 'closed', code: '1000' }, /numbers/],
    [{ ...ok, action: 'closed', reason: {} }, /strings/],
    [{ ...ok, error: ['x'] }, /strings/],
    [{ ...ok, target: 'body' }, /target/],
    [{ ...ok, target: 'handshake', headers: [['Host']] }, /headers/],
  ];
  assert.equal(parseLogLine(JSON.stringify(ok)).kind, 'record');
  assert.equal(parseLogLine(JSON.stringify({ ...ok, target: 'handshake', headers: [['Host', 'a']] })).kind, 'record');
  for (const [record, why] of bad) {
    const parsed = parseLogLine(JSON.stringify(record));
    assert.equal(parsed.kind, 'invalid', JSON.stringify(record));
    assert.match((parsed as { error: string }).error, why);
  }
});

test('maskKeyValue reads 8 lowercase hex digits and refuses anything else', () => {
  assert.equal(maskKeyValue('00000000'), 0);
  assert.equal(maskKeyValue('0a1b2c3d'), 0x0a1b2c3d);
  assert.equal(maskKeyValue('ffffffff'), 0xffffffff);
  for (const bad of ['0A1B2C3D', '0a1b2c3', '0a1b2c3d4', '0a1b2c3g', '+0a1b2c3', ' a1b2c3d', '', 12345678, null]) {
    assert.equal(maskKeyValue(bad), -1, String(bad));
  }
});


test('parseLogLine refuses a frame whose mask is not null or 8 lowercase hex digits', () => {
  const frame = (mask: unknown) => JSON.stringify({ type: 'frame', conn: 1, ts: 2, from: 'client', fin: true, rsv: [false, false, false], opcode: 1, masked: true, mask, length: 3 });
  assert.equal(parseLogLine(frame('0a1b2c3d')).kind, 'record');
  assert.equal(parseLogLine(frame(null)).kind, 'record');
  for (const bad of ['0A1B2C3D', '0a1b2c3', 'zzzzzzzz', 12345678]) {
    const parsed = parseLogLine(frame(bad));
    assert.equal(parsed.kind, 'invalid', String(bad));
    assert.match((parsed as { error: string }).error, /mask/);
  }
});

test('a "bytes" field in a file is not taken for a payload', () => {
  const parsed = parseLogLine('{"type":"message","conn":1,"ts":1,"from":"client","kind":"binary","length":1,"wireLength":1,"frames":1,"compressed":false,"truncated":false,"base64":"AA==","bytes":"AA=="}');
  assert.equal(parsed.kind, 'record');
  const r = (parsed as { record: MessageRecord }).record;
  assert.equal('bytes' in r, false);
  assert.deepEqual(recordPayload(r), hex('00'));
});


test('SessionLogReader numbers the messages of a log written without seq, per connection, as the writer would have', () => {
  const message = (conn: number, seq?: number) => JSON.stringify({
    type: 'message', conn, ...(seq === undefined ? {} : { seq }), ts: 1, from: 'client', kind: 'text', length: 1, wireLength: 1, frames: 1,
    compressed: false, truncated: false, text: 'x',
  });
  const reader = new SessionLogReader();
  assert.equal(reader.read('{"type":"session","version":1,"tool":"wspeek","ts":1,"mode":"demo","listen":"127.0.0.1:1","target":null}').kind, 'record');
  const seqs = [message(1), message(2), message(1), message(1, 7), message(1), message(2)].map((line) => {
    const parsed = reader.read(line);
    assert.equal(parsed.kind, 'record');
    return parsed.kind === 'record' && parsed.record.type === 'message' ? [parsed.record.conn, parsed.record.seq] : null;
  });
  assert.deepEqual(seqs, [[1, 1], [2, 1], [1, 2], [1, 7], [1, 8], [2, 2]], 'a written seq is kept, and numbering goes on after it');
});

test('parseLogLine refuses a seq that is not a whole number from 1', () => {
  for (const seq of [0, -1, 1.5, '1', null]) {
    const parsed = parseLogLine(JSON.stringify({ type: 'message', conn: 1, seq, ts: 1, from: 'client', kind: 'text', length: 1, wireLength: 1, frames: 1, compressed: false, truncated: false, text: 'x' }));
    assert.equal(parsed.kind, 'invalid', String(seq));
  }
});

test('SessionLogReader takes a file for a session log only when its first line (blank lines aside) is wspeek\'s session record', () => {
  const session = '{"type":"session","version":1,"tool":"wspeek","ts":1,"mode":"demo","listen":"127.0.0.1:1","target":null}';
  const first = (lines: string[]) => {
    const reader = new SessionLogReader();
    return lines.map((l) => reader.read(l).kind);
  };
  assert.deepEqual(first(['', session, '{"type":"frame"}']), ['blank', 'record', 'invalid'], 'after the session record, lines are read as always');
  assert.deepEqual(first(['# a README']), ['not-a-log']);
  assert.deepEqual(first(['{"type":"connect","conn":1,"ts":2,"client":"x","server":null,"tls":false}', session]), ['not-a-log', 'record']);
  assert.deepEqual(first(['{"type":"session","tool":"elsewhere","ts":1}']), ['not-a-log']);
  const why = new SessionLogReader().read('not json at all');
  assert.ok(why.kind === 'not-a-log' && /^its first line is not JSON: "not json at all"$/.test(why.why), JSON.stringify(why));
});
