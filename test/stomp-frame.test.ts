import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FrameImpl } from '@stomp/stompjs';
import { opensStomp, scanStompFrame, STOMP_CLIENT_COMMANDS, STOMP_SERVER_COMMANDS } from '../core/app/stomp-frame.js';

const bytes = (s: string | ArrayBuffer) => (typeof s === 'string' ? Buffer.from(s, 'utf8') : Buffer.from(s));
/** stompjs' own serialisation of a frame. */
const marshall = (p: Parameters<typeof FrameImpl.marshall>[0]) => bytes(FrameImpl.marshall(p));

test('a frame stompjs marshalls reads back as its command, headers and body, and ends after its NUL', () => {
  const b = marshall({ command: 'SEND', headers: { destination: '/queue/a', receipt: 'r-1' }, body: 'héllo', escapeHeaderValues: true });
  const scan = scanStompFrame(b, 0, true);
  assert.equal(scan.kind, 'frame');
  if (scan.kind !== 'frame') return;
  assert.deepEqual(scan.head, { command: 'SEND', headers: { destination: '/queue/a', receipt: 'r-1', 'content-length': '6' } });
  assert.equal(scan.body.toString('utf8'), 'héllo');
  assert.equal(scan.end, b.length);
});

test('content-length reads exactly that many octets, NULs inside the body included', () => {
  const b = marshall({ command: 'MESSAGE', headers: { destination: '/t' }, binaryBody: new Uint8Array([1, 0, 2, 0]) });
  const scan = scanStompFrame(b, 0, true);
  assert.equal(scan.kind, 'frame');
  if (scan.kind === 'frame') assert.deepEqual([...scan.body], [1, 0, 2, 0]);
});

test('without content-length the body ends at the first NUL, and the next frame starts after it and any EOLs', () => {
  const b = bytes('SEND\ndestination:/a\n\none\0\r\n\nSEND\ndestination:/b\n\ntwo\0');
  const first = scanStompFrame(b, 0, true);
  assert.equal(first.kind, 'frame');
  if (first.kind !== 'frame') return;
  assert.equal(first.body.toString(), 'one');
  const second = scanStompFrame(b, first.end, true);
  assert.equal(second.kind, 'frame');
  if (second.kind === 'frame') assert.deepEqual([second.head.headers.destination, second.body.toString()], ['/b', 'two']);
});

test('CRLF line ends are read like LF (EOL = [CR] LF)', () => {
  const scan = scanStompFrame(bytes('CONNECTED\r\nversion:1.2\r\n\r\n\0'), 0, true);
  assert.equal(scan.kind, 'frame');
  if (scan.kind === 'frame') assert.deepEqual(scan.head, { command: 'CONNECTED', headers: { version: '1.2' } });
});

test('header escapes are undone in STOMP 1.1+ frames but not in CONNECT, CONNECTED, nor in STOMP 1.0', () => {
  const raw = 'SEND\ndestination:a\\cb\\nc\\\\d\\re\n\n\0';
  const h = (s: string, escapes: boolean) => {
    const scan = scanStompFrame(bytes(s), 0, escapes);
    return scan.kind === 'frame' ? scan.head.headers.destination : scan.kind;
  };
  assert.equal(h(raw, true), 'a:b\nc\\d\re');
  assert.equal(h(raw, false), 'a\\cb\\nc\\\\d\\re');
  assert.equal(h('CONNECT\ndestination:a\\cb\n\n\0', true), 'a\\cb');
});

test('stompjs escapes a header value with every special character, and it reads back the same', () => {
  const value = 'a:b\\c\nd\re';
  const scan = scanStompFrame(marshall({ command: 'SUBSCRIBE', headers: { id: value, destination: '/x' }, escapeHeaderValues: true }), 0, true);
  assert.equal(scan.kind, 'frame');
  if (scan.kind === 'frame') assert.equal(scan.head.headers.id, value);
});

test('an undefined escape sequence is an error (STOMP 1.2: fatal)', () => {
  const scan = scanStompFrame(bytes('SEND\ndestination:a\\tb\n\n\0'), 0, true);
  assert.equal(scan.kind, 'error');
});

test('a repeated header: the first value wins', () => {
  const scan = scanStompFrame(bytes('MESSAGE\nfoo:1\nfoo:2\n\n\0'), 0, true);
  assert.equal(scan.kind, 'frame');
  if (scan.kind === 'frame') assert.deepEqual(scan.head.headers, { foo: '1' });
});

test('a header named __proto__ is an own header like any other', () => {
  const scan = scanStompFrame(bytes('MESSAGE\n__proto__:x\n\n\0'), 0, true);
  assert.equal(scan.kind, 'frame');
  if (scan.kind === 'frame') assert.equal(Object.getOwnPropertyDescriptor(scan.head.headers, '__proto__')?.value, 'x');
});

test('bytes that end inside a frame ask for more, with the command and then the headers once they are whole', () => {
  assert.deepEqual(scanStompFrame(bytes('SUBSCR'), 0, true), { kind: 'more', command: null, head: null });
  assert.deepEqual(scanStompFrame(bytes('SUBSCRIBE\nid:0\ndesti'), 0, true), { kind: 'more', command: 'SUBSCRIBE', head: null });
  assert.deepEqual(scanStompFrame(bytes('SEND\ndestination:/a\n\nbody wit'), 0, true), {
    kind: 'more', command: 'SEND', head: { command: 'SEND', headers: { destination: '/a' } },
  });
  assert.equal(scanStompFrame(bytes('SEND\ncontent-length:10\n\n12345'), 0, true).kind, 'more');
});

test('only EOLs are heart-beats', () => {
  assert.deepEqual(scanStompFrame(bytes('\n'), 0, true), { kind: 'eols' });
  assert.deepEqual(scanStompFrame(bytes('\r\n\n'), 0, true), { kind: 'eols' });
});

test('what is not STOMP is an error: an unknown or lower-case command, a header without a colon, a bad content-length, no NUL after content-length octets', () => {
  for (const s of ['HELLO\n\n\0', 'send\n\n\0', '{"type":"connection_init"}', 'SEND\nnocolon\n\n\0', 'SEND\ncontent-length:x\n\n\0', 'SEND\ncontent-length:1\n\nab\0']) {
    assert.equal(scanStompFrame(bytes(s), 0, true).kind, 'error', JSON.stringify(s));
  }
});

test('a session opens with CONNECT or STOMP and a header; other commands and bare command lines do not', () => {
  assert.ok(opensStomp('CONNECT\naccept-version:1.2\n\n\0'));
  assert.ok(opensStomp('STOMP\r\nhost:x\r\n\r\n\0'));
  assert.ok(!opensStomp('SEND\ndestination:/a\n\n\0'));
  assert.ok(!opensStomp('CONNECT\n\n\0'));
  assert.ok(!opensStomp('CONNECTED\nversion:1.2\n\n\0'));
});

const headerText = fc.string({ maxLength: 12 });
// stompjs escapes header values only: names with the characters escapes are for would not read back (nor would they per the spec).
const headerName = headerText.filter((k) => k.length > 0 && !/[\\:\r\n]/.test(k) && k !== 'content-length' && k !== '__proto__');
const frameArb = fc.record({
  command: fc.constantFrom(...STOMP_CLIENT_COMMANDS.filter((c) => c !== 'CONNECT'), ...STOMP_SERVER_COMMANDS.filter((c) => c !== 'CONNECTED')),
  headers: fc.dictionary(headerName, headerText, { maxKeys: 4 }),
  body: fc.uint8Array({ maxLength: 40 }),
});

test('property: any frame stompjs marshalls (escaped headers, binary body) reads back exactly', () => {
  fc.assert(fc.property(frameArb, ({ command, headers, body }) => {
    const b = marshall({ command, headers, binaryBody: body, escapeHeaderValues: true });
    const scan = scanStompFrame(b, 0, true);
    assert.equal(scan.kind, 'frame');
    if (scan.kind !== 'frame') return;
    assert.deepEqual(scan.head, { command, headers: { ...headers, 'content-length': String(body.length) } });
    assert.deepEqual([...scan.body], [...body]);
    assert.equal(scan.end, b.length);
  }), { numRuns: 200 });
});

test('property: random and cut bytes never throw, and every answer is one of the four kinds', () => {
  const valid = bytes('MESSAGE\nsubscription:0\ndestination:/a\ncontent-length:3\n\nabc\0');
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(valid.length), fc.boolean(), (random, cut, escapes) => {
    for (const b of [Buffer.from(random), valid.subarray(0, cut), Buffer.concat([valid.subarray(0, cut), random])]) {
      assert.ok(['frame', 'eols', 'more', 'error'].includes(scanStompFrame(b, 0, escapes).kind));
    }
  }), { numRuns: 300 });
});
