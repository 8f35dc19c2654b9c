import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HeadReader, MAX_HEAD_BYTES, headerHasToken, headerValues, parseRequestHead, parseResponseHead, type HeadReadResult,
} from '../core/websocket/http-head.js';
import { RFC_REQUEST as REQUEST, RFC_REQUEST_HEADERS } from './support/rfc6455-fixtures.js';

function headOf(r: HeadReadResult): { head: Buffer; rest: Buffer } {
  assert.equal(r.kind, 'head');
  return r as { kind: 'head'; head: Buffer; rest: Buffer };
}

test('HeadReader finds the end of a head fed one byte at a time, and returns the bytes after it', () => {
  const bytes = Buffer.concat([Buffer.from(REQUEST), Buffer.from('818537fa213d7f9f4d5158', 'hex')]);
  const reader = new HeadReader();
  let result: HeadReadResult | null = null;
  let at = -1;
  for (let i = 0; i < bytes.length; i++) {
    const r = reader.push(bytes.subarray(i, i + 1));
    if (r.kind !== 'need-more') { result = r; at = i; break; }
  }
  assert.ok(result);
  assert.equal(at, REQUEST.length - 1, 'the head ends at its last LF');
  const { head, rest } = headOf(result);
  assert.equal(head.toString('latin1'), REQUEST);
  assert.equal(rest.length, 0);
});

test('HeadReader returns the bytes after the head in the same chunk as rest', () => {
  const frame = Buffer.from('818537fa213d7f9f4d5158', 'hex');
  const reader = new HeadReader();
  assert.equal(reader.push(Buffer.from(REQUEST.slice(0, 40))).kind, 'need-more');
  const { head, rest } = headOf(reader.push(Buffer.concat([Buffer.from(REQUEST.slice(40)), frame])));
  assert.equal(head.toString('latin1'), REQUEST);
  assert.deepEqual(rest, frame);
});

test('HeadReader finds CRLF CRLF split across chunks at every position', () => {
  for (let cut = 1; cut < REQUEST.length; cut++) {
    const reader = new HeadReader();
    assert.equal(reader.push(Buffer.from(REQUEST.slice(0, cut))).kind, 'need-more', `cut ${cut}`);
    const { head, rest } = headOf(reader.push(Buffer.from(REQUEST.slice(cut) + 'XY')));
    assert.equal(head.toString('latin1'), REQUEST);
    assert.equal(rest.toString('latin1'), 'XY');
  }
});

test('HeadReader accepts bare-LF line ends, and a mix of LF and CRLF', () => {
  const bare = 'GET / HTTP/1.1\nHost: a\n\nrest';
  const r1 = headOf(new HeadReader().push(Buffer.from(bare)));
  assert.equal(r1.head.toString(), 'GET / HTTP/1.1\nHost: a\n\n');
  assert.equal(r1.rest.toString(), 'rest');
  const mixed1 = 'GET / HTTP/1.1\r\nHost: a\n\r\nrest';
  assert.equal(headOf(new HeadReader().push(Buffer.from(mixed1))).rest.toString(), 'rest');
  const mixed2 = 'GET / HTTP/1.1\nHost: a\r\n\nrest';
  assert.equal(headOf(new HeadReader().push(Buffer.from(mixed2))).rest.toString(), 'rest');
});

test('HeadReader does not end the head at a single line end', () => {
  const reader = new HeadReader();
  assert.equal(reader.push(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n')).kind, 'need-more');
  assert.equal(reader.push(Buffer.from('X: \r\n')).kind, 'need-more');
});

test('HeadReader ignores empty lines before the start line, even across chunks', () => {
  const reader = new HeadReader();
  assert.equal(reader.push(Buffer.from('\r\n\r')).kind, 'need-more');
  assert.equal(reader.push(Buffer.from('\n\n')).kind, 'need-more');
  const { head, rest } = headOf(reader.push(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n!')));
  assert.equal(head.toString(), 'GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  assert.equal(rest.toString(), '!');
  const parsed = parseRequestHead(head);
  assert.ok(parsed.ok);
});

test('HeadReader reports too-large once a head passes 64 KiB without ending, and buffers nothing more', () => {
  assert.equal(MAX_HEAD_BYTES, 65536);
  const reader = new HeadReader();
  const line = Buffer.from(`X-Filler: ${'a'.repeat(1000)}\r\n`);
  let result: HeadReadResult = reader.push(Buffer.from('GET / HTTP/1.1\r\n'));
  let fed = 16;
  while (result.kind === 'need-more') {
    result = reader.push(line);
    fed += line.length;
  }
  assert.equal(result.kind, 'too-large');
  assert.ok(fed > MAX_HEAD_BYTES && fed <= MAX_HEAD_BYTES + line.length, `too-large after ${fed} bytes`);
  // Nothing is held: the reader's buffered chunks were dropped.
  assert.deepEqual((reader as unknown as { chunks: Buffer[] }).chunks, []);
  // More bytes, even the end of the head, never make it a head again.
  assert.equal(reader.push(line).kind, 'too-large');
  assert.equal(reader.push(Buffer.from('\r\n')).kind, 'too-large');
  assert.deepEqual((reader as unknown as { chunks: Buffer[] }).chunks, []);
});

test('HeadReader reports too-large for a head over 64 KiB that ends inside one chunk', () => {
  const big = `GET / HTTP/1.1\r\nX: ${'a'.repeat(MAX_HEAD_BYTES)}\r\n\r\n`;
  assert.equal(new HeadReader().push(Buffer.from(big)).kind, 'too-large');
});

test('HeadReader accepts a head of exactly 64 KiB', () => {
  const start = 'GET / HTTP/1.1\r\nX: ';
  const end = '\r\n\r\n';
  const head = start + 'a'.repeat(MAX_HEAD_BYTES - start.length - end.length) + end;
  assert.equal(head.length, MAX_HEAD_BYTES);
  const r = headOf(new HeadReader().push(Buffer.from(head)));
  assert.equal(r.head.length, MAX_HEAD_BYTES);
});

test('parseRequestHead reads the request line and keeps header order and original case', () => {
  const parsed = parseRequestHead(Buffer.from(REQUEST));
  assert.ok(parsed.ok);
  assert.equal(parsed.head.method, 'GET');
  assert.equal(parsed.head.target, '/chat');
  assert.equal(parsed.head.version, 'HTTP/1.1');
  assert.deepEqual(parsed.head.headers, RFC_REQUEST_HEADERS);
  assert.deepEqual(parsed.problems, []);
});

test('header values lose surrounding spaces and tabs but keep inner whitespace; repeated names stay separate', () => {
  const parsed = parseRequestHead(Buffer.from('GET http://example.com/x?y HTTP/1.1\r\nX-A:\t  one  two \t\r\nx-a:three\r\nEmpty:\r\nX-A: four\r\n\r\n'));
  assert.ok(parsed.ok);
  assert.equal(parsed.head.target, 'http://example.com/x?y');
  assert.deepEqual(parsed.head.headers, [['X-A', 'one  two'], ['x-a', 'three'], ['Empty', ''], ['X-A', 'four']]);
  assert.deepEqual(headerValues(parsed.head.headers, 'X-A'), ['one  two', 'three', 'four']);
});

test('parseResponseHead reads status, reason (possibly empty) and headers', () => {
  const parsed = parseResponseHead(Buffer.from(
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n',
  ));
  assert.ok(parsed.ok);
  assert.equal(parsed.head.version, 'HTTP/1.1');
  assert.equal(parsed.head.status, 101);
  assert.equal(parsed.head.reason, 'Switching Protocols');
  assert.deepEqual(parsed.head.headers.map(([n]) => n), ['Upgrade', 'Connection', 'Sec-WebSocket-Accept', 'Sec-WebSocket-Protocol']);
  const noReason = parseResponseHead(Buffer.from('HTTP/1.0 401\nWWW-Authenticate: Basic\n\n'));
  assert.ok(noReason.ok);
  assert.equal(noReason.head.status, 401);
  assert.equal(noReason.head.reason, '');
  assert.equal(noReason.head.version, 'HTTP/1.0');
  assert.deepEqual(noReason.head.headers, [['WWW-Authenticate', 'Basic']]);
});

test('a bad start line is an error, not a head', () => {
  for (const line of ['GET /chat', 'GET  /chat HTTP/1.1', 'GET /chat HTTP/2', 'G(T / HTTP/1.1', 'get / http/1.1', '']) {
    const r = parseRequestHead(Buffer.from(`${line}\r\nHost: a\r\n\r\n`));
    assert.equal(r.ok, false, JSON.stringify(line));
    if (!r.ok) assert.match(r.error, /^bad request line/);
  }
  for (const line of ['HTTP/1.1 1O1 Switching', 'HTTP/1.1', 'HTTP/1.1 1011 x', 'ICY 200 OK']) {
    const r = parseResponseHead(Buffer.from(`${line}\r\n\r\n`));
    assert.equal(r.ok, false, JSON.stringify(line));
    if (!r.ok) assert.match(r.error, /^bad status line/);
  }
});

test('obsolete line folding joins the continuation to the previous value with one space and is reported', () => {
  const parsed = parseRequestHead(Buffer.from('GET / HTTP/1.1\r\nX-Long: first\r\n   second\r\n\tthird \r\nHost: a\r\n\r\n'));
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.head.headers, [['X-Long', 'first second third'], ['Host', 'a']]);
  assert.equal(parsed.problems.length, 2);
  assert.match(parsed.problems[0]!, /obsolete line folding in X-Long/);
});

test('a header line that is not name: value is skipped and reported as a problem', () => {
  const parsed = parseRequestHead(Buffer.from('GET / HTTP/1.1\r\nHost : a\r\nno colon here\r\n folded-first\r\nOk: yes\r\n\r\n'));
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.head.headers, [['Ok', 'yes']]);
  assert.equal(parsed.problems.length, 3);
  for (const p of parsed.problems) assert.match(p, /^bad header line/);
});

test('headerHasToken finds a token in a comma-separated list, case-insensitively, across fields', () => {
  const headers: Array<[string, string]> = [['Connection', 'keep-alive, Upgrade'], ['UPGRADE', 'h2c'], ['upgrade', 'WebSocket']];
  assert.equal(headerHasToken(headers, 'connection', 'upgrade'), true);
  assert.equal(headerHasToken(headers, 'Upgrade', 'websocket'), true);
  assert.equal(headerHasToken(headers, 'Connection', 'close'), false);
  assert.equal(headerHasToken([['Upgrade', 'websocketx']], 'Upgrade', 'websocket'), false);
});
