import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ANSWERED, type KeptAppEntry } from '../core/app/app-entry.js';
import { parseFilter, type FilterPredicate, type FilterSubject } from '../core/filter/filter.js';
import { jsonOf } from '../core/filter/subject.js';

const OPCODES = { text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

/** A message row with sensible defaults; `payload` feeds payloadText() and, for text, payloadJson(), which count their calls. */
function row(over: Partial<Omit<FilterSubject, 'payloadText' | 'payloadJson'>> & { payload?: string } = {}): FilterSubject & { calls: number; jsonCalls: number } {
  const { payload = '', ...rest } = over;
  const kind = rest.kind === undefined ? 'text' : rest.kind;
  const subject = {
    type: 'message' as const,
    conn: 1,
    from: 'client' as const,
    kind,
    opcode: kind === null ? NaN : OPCODES[kind],
    length: payload.length,
    compressed: false,
    truncated: false,
    violations: 0,
    closeCode: null,
    url: 'ws://127.0.0.1:3000/chat',
    actions: null,
    app: null,
    ...rest,
    calls: 0,
    jsonCalls: 0,
    payloadText(): string {
      subject.calls++;
      return payload;
    },
    payloadJson(): unknown {
      subject.jsonCalls++;
      return kind === 'text' ? jsonOf(payload) : undefined;
    },
  };
  return subject;
}

function compile(source: string): FilterPredicate {
  const r = parseFilter(source);
  if (!r.ok) assert.fail(`${JSON.stringify(source)} did not parse: ${r.error} at ${r.position}`);
  return r.predicate;
}

/** Whether `source` matches the row. */
function matches(source: string, subject: FilterSubject): boolean {
  return compile(source)(subject);
}

function assertMatches(source: string, subject: FilterSubject, expected: boolean): void {
  assert.equal(matches(source, subject), expected, `${source} on ${JSON.stringify(subject)}`);
}

/** The error of a source that must not parse. */
function parseError(source: string): { error: string; position: number; length: number } {
  const r = parseFilter(source);
  if (r.ok) assert.fail(`${JSON.stringify(source)} parsed but should not have`);
  assert.ok(r.length >= 1, 'length is at least 1');
  assert.ok(r.position >= 0 && r.position <= source.length, 'position within the source');
  return { error: r.error, position: r.position, length: r.length };
}

const clientText = row({ from: 'client', kind: 'text', payload: 'Hello World' });
const serverText = row({ from: 'server', kind: 'text', payload: 'welcome back' });
const serverBinary = row({ from: 'server', kind: 'binary', payload: '\u0001\u0002 blob' });
const ping = row({ kind: 'ping', payload: '' });
const pong = row({ from: 'server', kind: 'pong', payload: '' });
const close1000 = row({ from: 'server', kind: 'close', closeCode: 1000, payload: 'bye' });
const close4001 = row({ from: 'client', kind: 'close', closeCode: 4001, payload: 'custom' });
const closeNoCode = row({ kind: 'close', closeCode: null });

test('a blank filter parses and matches every row', () => {
  for (const source of ['', '   ', '\t\n']) {
    const r = parseFilter(source);
    assert.ok(r.ok);
    for (const s of [clientText, serverBinary, ping, close1000]) assert.equal(r.predicate(s), true);
  }
});

test('a successful parse returns the source it was given', () => {
  const r = parseFilter(' client ');
  assert.ok(r.ok);
  assert.equal(r.source, ' client ');
});

test('client, server, c2s, s2c, > and < select by sender', () => {
  for (const source of ['client', 'c2s', '>', 'from:client', 'from=c2s']) {
    assertMatches(source, clientText, true);
    assertMatches(source, serverText, false);
  }
  for (const source of ['server', 's2c', '<', 'from:server', 'from:s2c']) {
    assertMatches(source, clientText, false);
    assertMatches(source, serverText, true);
  }
  assertMatches('from!=client', serverText, true);
  assertMatches('from!=client', clientText, false);
  assertMatches('from:client,server', serverText, true);
});

test('> and < combine with other terms without spaces', () => {
  assertMatches('>text', clientText, true);
  assertMatches('<text', clientText, false);
  assertMatches('<(text|binary)', serverBinary, true);
});

test('kind keywords and kind: select by message kind', () => {
  assertMatches('text', clientText, true);
  assertMatches('binary', clientText, false);
  assertMatches('binary', serverBinary, true);
  assertMatches('ping', ping, true);
  assertMatches('pong', pong, true);
  assertMatches('close', close1000, true);
  assertMatches('kind:text', clientText, true);
  assertMatches('kind:binary', clientText, false);
  assertMatches('kind:ping,pong', pong, true);
  assertMatches('kind:ping,pong', clientText, false);
  assertMatches('kind!=text', serverBinary, true);
  assertMatches('kind!=text', clientText, false);
  assertMatches('kind:control', ping, true);
});

test('control means ping, pong or close and data means text or binary', () => {
  for (const s of [ping, pong, close1000]) {
    assertMatches('control', s, true);
    assertMatches('data', s, false);
  }
  for (const s of [clientText, serverBinary]) {
    assertMatches('control', s, false);
    assertMatches('data', s, true);
  }
});

test('opcode: takes decimal or hex', () => {
  assertMatches('opcode:9', ping, true);
  assertMatches('opcode:0x9', ping, true);
  assertMatches('opcode:0xA', pong, true);
  assertMatches('opcode:1', ping, false);
  assertMatches('opcode>=8', close1000, true);
  assertMatches('opcode>=8', clientText, false);
  assertMatches('opcode:1,2', serverBinary, true);
});

test('conn:, conn lists and #N select connections', () => {
  const c3 = row({ conn: 3 });
  const c4 = row({ conn: 4 });
  assertMatches('conn:3', c3, true);
  assertMatches('conn:3', c4, false);
  assertMatches('#3', c3, true);
  assertMatches('#3', c4, false);
  assertMatches('conn:1,4,7', c4, true);
  assertMatches('conn:1,4,7', c3, false);
  assertMatches('#1,4,7', c4, true);
  assertMatches('conn!=1,4,7', c3, true);
  assertMatches('conn!=1,4,7', c4, false);
  assertMatches('conn>3', c4, true);
  assertMatches('#3 or #4', c4, true);
  assertMatches('-#3', c4, true);
});

test('host: matches only the host part of the URL, url: the whole URL, both ignoring case', () => {
  const s = row({ url: 'wss://User@API.Example.com:8443/Chat/example?x=1' });
  assertMatches('host:example', s, true);
  assertMatches('host:EXAMPLE.COM', s, true);
  assertMatches('host:8443', s, true);
  assertMatches('host:chat', s, false);
  assertMatches('host:user', s, false);
  assertMatches('url:/chat', s, true);
  assertMatches('url:x=1', s, true);
  assertMatches('url:wss://', s, true);
  assertMatches('url:"/CHAT/example"', s, true);
  assertMatches('url:/nope', s, false);
  assertMatches('host!=example', s, false);
  assertMatches('host!=other', s, true);
  const noUrl = row({ url: null });
  assertMatches('host:example', noUrl, false);
  assertMatches('host!=example', noUrl, false);
  assertMatches('url:/', noUrl, false);
});

test('host: and url: give the same answers on repeated and alternating URLs', () => {
  const p = compile('host:alpha');
  const a = row({ url: 'ws://alpha.test/x' });
  const b = row({ url: 'ws://beta.test/alpha' });
  for (let i = 0; i < 5; i++) {
    assert.equal(p(a), true);
    assert.equal(p(b), false);
  }
});

test('a bare word searches the payload, ignoring case', () => {
  assertMatches('hello', clientText, true);
  assertMatches('HELLO', clientText, true);
  assertMatches('wOrLd', clientText, true);
  assertMatches('goodbye', clientText, false);
  assertMatches('payload:hello', clientText, true);
  assertMatches('payload:"o w"', clientText, true);
  assertMatches('payload!=hello', clientText, false);
  assertMatches('blob', serverBinary, true);
});

test('case-insensitive search covers non-ASCII letters and words without letters', () => {
  const s = row({ payload: 'Grüße aus KÖLN, id=42' });
  assertMatches('köln', s, true);
  assertMatches('GRÜßE', s, true);
  assertMatches('"id=42"', s, true);
  assertMatches('42', s, true);
  assertMatches('43', s, false);
});

test('quoted strings search for phrases, keywords and special characters', () => {
  const s = row({ payload: 'say "hi" to the client\\server (and) not len>5 a|b' });
  assertMatches('"the client"', s, true);
  assertMatches('"client"', s, true);
  assertMatches('"CLIENT"', s, true);
  assertMatches('"\\"hi\\""', s, true);
  assertMatches('"client\\\\server"', s, true);
  assertMatches('"(and)"', s, true);
  assertMatches('"not len>5"', s, true);
  assertMatches("'a|b'", s, true);
  assertMatches('"nothing like this"', s, false);
  assertMatches('""', s, true);
  assertMatches('"line\\nbreak"', row({ payload: 'line\nbreak' }), true);
});

test('keywords win over payload search unless quoted', () => {
  const s = row({ from: 'server', kind: 'binary', payload: 'client text' });
  assertMatches('client', s, false);
  assertMatches('"client"', s, true);
  assertMatches('text', s, false);
  assertMatches('"text"', s, true);
});

test('keywords and field names are case-insensitive', () => {
  assertMatches('CLIENT AND Text', clientText, true);
  assertMatches('Server OR ping', clientText, false);
  assertMatches('NOT server', clientText, true);
  assertMatches('LEN>5', clientText, true);
  assertMatches('Host:127', clientText, true);
  assertMatches('KIND:TEXT', clientText, true);
  assertMatches('FROM:Client', clientText, true);
});

test('regular expressions match the payload, case-sensitive unless flag i', () => {
  assertMatches('/Hel+o/', clientText, true);
  assertMatches('/hel+o/', clientText, false);
  assertMatches('/hel+o/i', clientText, true);
  assertMatches('/^Hello World$/', clientText, true);
  assertMatches('/a\\/b/', row({ payload: 'a/b' }), true);
  assertMatches('/[/]x/', row({ payload: '/x' }), true);
  assertMatches('/^b/m', row({ payload: 'a\nb' }), true);
  assertMatches('/^b/', row({ payload: 'a\nb' }), false);
  assertMatches('/a.b/s', row({ payload: 'a\nb' }), true);
  assertMatches('/a.b/', row({ payload: 'a\nb' }), false);
  assertMatches('/\\u{1F600}/u', row({ payload: 'smile 😀' }), true);
  assertMatches('client /World/', clientText, true);
  assertMatches('server /World/', clientText, false);
});

test('a sticky regex matches at the start of every row, not where the last match ended', () => {
  const p = compile('/ab/y');
  const s = row({ payload: 'abab' });
  assert.equal(p(s), true);
  assert.equal(p(s), true);
  assert.equal(p(row({ payload: 'xab' })), false);
});

test('length comparisons, the length alias and size suffixes', () => {
  const five = row({ length: 5 });
  const big = row({ length: 2048 });
  assertMatches('len>4', five, true);
  assertMatches('len>5', five, false);
  assertMatches('len>=5', five, true);
  assertMatches('len<10', five, true);
  assertMatches('len<5', five, false);
  assertMatches('len<=5', five, true);
  assertMatches('len=5', five, true);
  assertMatches('len:5', five, true);
  assertMatches('len==5', five, true);
  assertMatches('len!=5', five, false);
  assertMatches('len!=5', big, true);
  assertMatches('length>4', five, true);
  assertMatches('len > 4', five, true);
  assertMatches('len>1k', big, true);
  assertMatches('len>2k', big, false);
  assertMatches('len>=2kb', big, true);
  assertMatches('len=2KiB', big, true);
  assertMatches('len>1.5k', big, true);
  assertMatches('len<1m', big, true);
  assertMatches('len>=1MB', row({ length: 1024 * 1024 }), true);
  assertMatches('len>=1MB', row({ length: 1024 * 1024 - 1 }), false);
  assertMatches('len>0x10', row({ length: 17 }), true);
});

test('compressed, truncated, violation and bad test the message flags', () => {
  const flagged = row({ compressed: true, truncated: true, violations: 2 });
  const plain = row();
  for (const source of ['compressed', 'truncated', 'violation', 'bad', 'violations']) {
    assertMatches(source, flagged, true);
    assertMatches(source, plain, false);
  }
  assertMatches('violations>1', flagged, true);
  assertMatches('violations>2', flagged, false);
});

test('code: compares close codes and is false for rows without one', () => {
  assertMatches('code:1000', close1000, true);
  assertMatches('code:1000', close4001, false);
  assertMatches('code>=4000', close4001, true);
  assertMatches('code>=4000', close1000, false);
  assertMatches('code<4000', close1000, true);
  assertMatches('code:1000,4001', close4001, true);
  assertMatches('close:1000', close1000, true);
  for (const source of ['code:1000', 'code>=0', 'code<99999', 'code!=1000', 'code!=1,2']) {
    assertMatches(source, clientText, false);
    assertMatches(source, closeNoCode, false);
  }
  assertMatches('not code:1000', clientText, true);
  assertMatches('code!=1000', close4001, true);
});

test('and, &&, & and juxtaposition all mean and', () => {
  for (const source of ['client and text', 'client && text', 'client & text', 'client text', 'client&text', '(client)(text)']) {
    assertMatches(source, clientText, true);
    assertMatches(source, serverText, false);
    assertMatches(source, ping, false);
  }
  assertMatches('client text hello', clientText, true);
  assertMatches('client text goodbye', clientText, false);
});

test('or, || and | mean or', () => {
  for (const source of ['ping or pong', 'ping || pong', 'ping | pong', 'ping|pong']) {
    assertMatches(source, ping, true);
    assertMatches(source, pong, true);
    assertMatches(source, clientText, false);
  }
});

test('not, ! and - negate, and repeated negations cancel', () => {
  for (const source of ['not client', '!client', '-client', 'not(client)', '! client']) {
    assertMatches(source, clientText, false);
    assertMatches(source, serverText, true);
  }
  assertMatches('not not client', clientText, true);
  assertMatches('!!!client', clientText, false);
  assertMatches('-hello', clientText, false);
  assertMatches('-hello', serverText, true);
  assertMatches('client -ping', clientText, true);
  assertMatches('client -ping', ping, false);
});

test('not binds tighter than and, and and binds tighter than or', () => {
  // a or b and c == a or (b and c)
  const p = compile('ping or server and text');
  assert.equal(p(ping), true);
  assert.equal(p(serverText), true);
  assert.equal(p(serverBinary), false);
  assert.equal(p(clientText), false);
  // a and b or c == (a and b) or c
  const q = compile('server and text or ping');
  assert.equal(q(ping), true);
  assert.equal(q(serverText), true);
  assert.equal(q(clientText), false);
  // juxtaposition binds like and
  const r = compile('ping or server text');
  assert.equal(r(ping), true);
  assert.equal(r(serverText), true);
  assert.equal(r(serverBinary), false);
  // not applies to the next term only
  const n = compile('not server and text');
  assert.equal(n(clientText), true);
  assert.equal(n(serverText), false);
  assert.equal(n(ping), false);
  // parentheses override
  const g = compile('(ping or server) and text');
  assert.equal(g(ping), false);
  assert.equal(g(serverText), true);
  const ng = compile('not (server or ping)');
  assert.equal(ng(clientText), true);
  assert.equal(ng(ping), false);
});

test('payloadText is not called when the expression does not need the payload', () => {
  const sources = [
    'client',
    'client and len>5 or conn:3',
    'not ping',
    '#1 text compressed',
    'host:127 url:/chat',
    'code>=1000 or kind:binary',
    '""',
  ];
  for (const source of sources) {
    const p = compile(source);
    const s = row({ payload: 'hello' });
    p(s);
    p(s);
    assert.equal(s.calls, 0, source);
  }
});

test('payloadText is called at most once per row, and not when a cheaper term already decides', () => {
  const p = compile('hello /w.rld/i "o w" payload:hell');
  const s = row({ payload: 'Hello World' });
  assert.equal(p(s), true);
  assert.equal(s.calls, 1);
  assert.equal(p(s), true);
  assert.equal(s.calls, 2, 'once per evaluation, not cached across rows');

  // The cheap term is tested first whatever the written order.
  const q = compile('hello client');
  const server = row({ from: 'server', payload: 'hello' });
  assert.equal(q(server), false);
  assert.equal(server.calls, 0);
  const r = compile('/x/ or ping');
  assert.equal(r(ping), true);
  assert.equal(ping.calls, 0);
});

test('a reused subject object sees its new payload on every row', () => {
  let payload = 'first';
  const s = { ...row(), payloadText: () => payload };
  const p = compile('second');
  assert.equal(p(s), false);
  payload = 'the second one';
  assert.equal(p(s), true);
});

test("a source that does not parse gives the parser's error, position and length", () => {
  assert.deepEqual(parseError('client and kind:txt'), { error: "unknown kind 'txt' (did you mean 'text'?)", position: 16, length: 3 });
  assert.deepEqual(parseError('   )'), { error: "unmatched ')'", position: 3, length: 1 });
});

test('parseFilter never throws, whatever the input', () => {
  const pieces = ['(', ')', '!', '-', '&', '|', '"', "'", '/', '\\', '#', ':', '=', '<', '>', 'len', 'host', 'a', ' ', '1', 'k', ',', 'not', 'or'];
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let i = 0; i < 3000; i++) {
    let source = '';
    const len = rand(12);
    for (let j = 0; j < len; j++) source += pieces[rand(pieces.length)];
    const r = parseFilter(source);
    if (r.ok) {
      assert.equal(typeof r.predicate(clientText), 'boolean');
    } else {
      assert.ok(r.length >= 1 && r.position >= 0 && r.position <= source.length, source);
      assert.ok(r.error.length > 0);
    }
  }
});

test('10,000-character pathological inputs parse promptly', () => {
  const n = 10_000;
  const inputs = [
    '('.repeat(n),
    '('.repeat(n) + 'a' + ')'.repeat(n),
    ')'.repeat(n),
    '!'.repeat(n) + 'client',
    '-'.repeat(n),
    '"'.repeat(n),
    '"' + '\\'.repeat(n),
    '/' + '['.repeat(n),
    '/' + '\\/'.repeat(n / 2),
    'a'.repeat(n),
    'a'.repeat(n) + ':1',
    'a '.repeat(n / 2),
    'a or '.repeat(n / 5) + 'a',
    'not '.repeat(n / 4) + 'ping',
    'len>'.repeat(n / 4),
    'conn:' + '1,'.repeat(n / 2) + '1',
    '#' + ','.repeat(n),
    '/a/ '.repeat(n / 4),
    'len>' + '9'.repeat(n),
    '&'.repeat(n),
    "'" + 'x'.repeat(n),
  ];
  const started = Date.now();
  for (const source of inputs) {
    const t0 = Date.now();
    const r = parseFilter(source);
    assert.ok(Date.now() - t0 < 500, `slow on ${JSON.stringify(source.slice(0, 20))}…`);
    if (r.ok) assert.equal(typeof r.predicate(clientText), 'boolean');
  }
  assert.ok(Date.now() - started < 2000);
  // Deep nesting is refused cleanly instead of overflowing the stack.
  const deep = parseFilter('('.repeat(n) + 'a' + ')'.repeat(n));
  assert.equal(deep.ok, false);
  if (!deep.ok) assert.match(deep.error, /too many nested parentheses/);
  // Moderate nesting is fine.
  assertMatches('('.repeat(100) + 'client' + ')'.repeat(100), clientText, true);
  assertMatches('!'.repeat(n) + 'client', clientText, true);
});

test('a compiled filter runs over a million rows quickly', () => {
  const rows: FilterSubject[] = [];
  for (let i = 0; i < 1000; i++) {
    rows.push(row({ conn: i % 7, from: i % 2 ? 'client' : 'server', kind: i % 5 ? 'text' : 'ping', payload: `message ${i} hello` }));
  }
  const p = compile('(client or #3) text len>5 -ping host:127 hello');
  const t0 = Date.now();
  let hits = 0;
  for (let k = 0; k < 1000; k++) for (const s of rows) if (p(s)) hits++;
  assert.ok(hits > 0);
  assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
});

// Rows that carry application entries: a Socket.IO event that wants an ack and the ack that
// answers it, an Engine.IO ping, an answered JSON-RPC call, and a SignalR-like batch (a
// completion and an invocation nobody has answered).
const joinEntry: KeptAppEntry = { protocol: 'socket.io', type: 'event', name: 'Join', id: 12, namespace: '/', args: [{ room: 'a', user: { id: 42, admin: false } }, 'second'] };
const sioEvent = row({ payload: '421["Join",{"room":"a","user":{"id":42,"admin":false}},"second"]', app: [joinEntry] });
const sioAck = row({ from: 'server', payload: '431["ok"]', app: [{ protocol: 'socket.io', type: 'ack', name: 'Join', id: 12, pair: 1, latencyMs: 150.5, args: ['ok'] }] });
const eioPing = row({ from: 'server', payload: '2', app: [{ protocol: 'engine.io', type: 'ping', heartbeat: true }] });
const rpcCall = row({
  payload: '{"jsonrpc":"2.0","method":"math.add","id":"7","params":[1,2]}',
  app: [{ protocol: 'json-rpc', type: 'request', name: 'math.add', id: '7', value: { jsonrpc: '2.0', method: 'math.add', id: '7', params: [1, 2] }, [ANSWERED]: true }],
});
const batch = row({
  from: 'server',
  kind: 'binary',
  payload: '\u0093\u0003',
  app: [
    { protocol: 'signalr', type: 'completion', id: '3', pair: 9, latencyMs: 0.25, value: { result: { ok: true, total: 1e3, note: null } } },
    { protocol: 'signalr', type: 'invocation', name: 'SendMessage', id: '4', value: { target: 'SendMessage', arguments: ['hi'] } },
  ],
});
const APP_ROWS = [sioEvent, sioAck, eioPing, rpcCall, batch, clientText];

/** Which of APP_ROWS `source` matches, as their indices. */
function appMatches(source: string): number[] {
  const p = compile(source);
  return APP_ROWS.flatMap((s, i) => (p(s) ? [i] : []));
}

test('heartbeat, request, reply and unanswered read the entries; a message matches when any entry does', () => {
  assert.deepEqual(appMatches('heartbeat'), [2]);
  assert.deepEqual(appMatches('request'), [0, 3, 4], 'an id and no pair');
  assert.deepEqual(appMatches('reply'), [1, 4], 'a pair');
  assert.deepEqual(appMatches('unanswered'), [0, 4], 'a request without the answered mark');
  assert.deepEqual(appMatches('not reply'), [0, 2, 3, 5]);
  assert.deepEqual(appMatches('request reply'), [4], 'one entry of each');
});

test('the application keywords quoted are text to search for', () => {
  const s = row({ payload: 'heartbeat: reply to the request (unanswered)' });
  for (const word of ['heartbeat', 'reply', 'request', 'unanswered']) {
    assertMatches(word, s, false);
    assertMatches(`"${word}"`, s, true);
    assertMatches(`payload:${word}`, s, true);
  }
});

test('proto: is exact, in any case, with lists and !=; a row without entries matches neither', () => {
  assert.deepEqual(appMatches('proto:socket.io'), [0, 1]);
  assert.deepEqual(appMatches('proto:SOCKET.IO,engine.io'), [0, 1, 2]);
  assert.deepEqual(appMatches('proto:json-rpc'), [3]);
  assert.deepEqual(appMatches('proto:graphql-ws'), []);
  assert.deepEqual(appMatches('proto!=socket.io'), [2, 3, 4]);
  assert.deepEqual(appMatches('proto!=socket.io,signalr'), [2, 3]);
  assert.deepEqual(appMatches('not proto:socket.io'), [2, 3, 4, 5], 'not includes the rows without entries');
});

test('name: contains the text in any entry, ignoring case; != when some entry has a name and none contains it', () => {
  assert.deepEqual(appMatches('name:join'), [0, 1], 'a reply carries its request\'s name');
  assert.deepEqual(appMatches('name:JOI'), [0, 1]);
  assert.deepEqual(appMatches('name:"math."'), [3]);
  assert.deepEqual(appMatches('name:sendmessage'), [4], 'the second entry of a batch');
  assert.deepEqual(appMatches('name!=join'), [3, 4], 'the ping has no name: no value, no match');
  assert.deepEqual(appMatches('name!=send'), [0, 1, 3], 'the batch has a name that contains it');
});

test('id: is exact: a number or its text, lists, a quoted value whole; != when no entry has one of them', () => {
  assert.deepEqual(appMatches('id:12'), [0, 1], 'the number 12');
  assert.deepEqual(appMatches('id:7'), [3], 'the string "7"');
  assert.deepEqual(appMatches('id:012'), [], 'exactly as written: 012 is not 12');
  assert.deepEqual(appMatches('id:1'), [], 'no substring');
  assert.deepEqual(appMatches('id:7,4'), [3, 4]);
  assert.deepEqual(appMatches('id:"12"'), [0, 1]);
  assert.deepEqual(appMatches('id!=12'), [3, 4]);
  assert.deepEqual(appMatches('id!=3'), [0, 1, 3], 'the batch has id 3 in one entry');
  const odd = row({ app: [{ protocol: 'stomp', type: 'message', id: 'sub-1,2' }, { protocol: 'stomp', type: 'message', id: 'Sub-3' }] });
  assertMatches('id:"sub-1,2"', odd, true);
  assertMatches('id:sub-1,2', odd, false);
  assertMatches('id:sub-3', odd, false);
  assertMatches('id:Sub-3', odd, true);
});

test('latency compares replies in ms, us (µs) or s, with every operator', () => {
  assert.deepEqual(appMatches('latency>100'), [1]);
  assert.deepEqual(appMatches('latency>100ms'), [1]);
  assert.deepEqual(appMatches('latency>0.15s'), [1]);
  assert.deepEqual(appMatches('latency>151ms'), []);
  assert.deepEqual(appMatches('latency>=150.5'), [1]);
  assert.deepEqual(appMatches('latency<1ms'), [4]);
  assert.deepEqual(appMatches('latency<=250us'), [4]);
  assert.deepEqual(appMatches('latency<250µs'), []);
  assert.deepEqual(appMatches('latency:250us'), [4]);
  assert.deepEqual(appMatches('latency=150500us,1s'), [1]);
  assert.deepEqual(appMatches('latency!=150.5'), [4], 'only replies have a latency');
  assert.deepEqual(appMatches('latency>=0'), [1, 4]);
  assertMatches('latency:1.234', row({ app: [{ protocol: 'mqtt', type: 'puback', pair: 1, latencyMs: 1.234 }] }), true);
  assertMatches('latency:1234us', row({ app: [{ protocol: 'mqtt', type: 'puback', pair: 1, latencyMs: 1.234 }] }), true);
});

test('json paths walk keys and indices of a JSON text payload; = is exact for strings and numbers', () => {
  const s = row({ payload: ' {"type":"subscribe","user":{"id":42,"name":"Ada"},"items":[{"id":7},{"id":"8"}],"ok":true,"gone":null,"a.b":1,"":2} ' });
  for (const source of ['json.type=subscribe', 'json.user.id=42', 'json.user.id=42.0', 'json.user.id=4.2e1', 'json.items[0].id=7', 'json.items[1].id=8', 'json.user.name:Ada', 'json.ok=true', 'json.gone=null', 'json["a.b"]=1', 'json[""]=2', 'json.type!=unsubscribe']) {
    assertMatches(source, s, true);
  }
  for (const source of ['json.type=Subscribe', 'json.type=sub', 'json.user.id=4', 'json.user.id=042', 'json.items[2].id=7', 'json.items.0.id=7', 'json[0]=x', 'json.ok=1', 'json.gone=""', 'json.user=42', 'json.type!=subscribe', 'json.nothing!=x']) {
    assertMatches(source, s, false);
  }
  assertMatches('json[0]=x', row({ payload: '["x",1]' }), true);
  assertMatches('json[1]=1', row({ payload: '["x",1]' }), true);
  assertMatches('json[1]="1"', row({ payload: '["x",1]' }), true); // quoting does not change what a value is
});

test('json ~ contains the text of a string, number, boolean or null, ignoring case; never an object or array', () => {
  const s = row({ payload: '{"type":"Subscribe-All","n":12345,"ok":false,"user":{"name":"Ada"},"tags":["x"]}' });
  for (const source of ['json.type~subscribe', 'json.type~ALL', 'json.n~234', 'json.ok~fal', 'json.user.name~d', 'json.type~""']) assertMatches(source, s, true);
  for (const source of ['json.type~unsub', 'json.user~ada', 'json.tags~x', 'json.missing~a']) assertMatches(source, s, false);
});

test('a json path alone: the path is there, whatever its value', () => {
  const s = row({ payload: '{"error":null,"data":{"list":[]},"n":0}' });
  for (const source of ['json.error', 'json.data.list', 'json.n', '-json.data.list[0]', 'not json.nope']) assertMatches(source, s, true);
  for (const source of ['json.data.list[0]', 'json.nope', 'json.n.x', 'json[0]']) assertMatches(source, s, false);
});

test('only own keys are a path: nothing inherited from Object or Array', () => {
  const s = row({ payload: '{"a":{"b":1},"list":[1,2],"__proto__":{"x":1}}' });
  for (const source of ['json.constructor', 'json.a.toString', 'json.list.length', 'json.a.hasOwnProperty']) assertMatches(source, s, false);
  assertMatches('json.__proto__.x=1', s, true); // a key that JSON wrote is a key
});

test('json paths never match a payload that is not JSON: plain text, broken JSON, binary, scalars, errors', () => {
  const sources = ['json.a=1', 'json.a!=1', 'json.a~1', 'json.a', 'json[0]', 'json[0]!=x'];
  const notJson = [
    row({ payload: 'a=1' }),
    row({ payload: '{"a":1' }),
    row({ payload: '{"a":1} trailing' }),
    row({ payload: '"a"' }),
    row({ payload: '1' }),
    row({ kind: 'binary', payload: '{"a":1}' }),
    row({ type: 'error', kind: null, from: null, payload: '{"a":1}' }),
  ];
  for (const source of sources) for (const s of notJson) assertMatches(source, s, false);
  for (const source of ['not json.a=1', '-json.a']) for (const s of notJson) assertMatches(source, s, true);
});

test("json paths also look in each entry's value and each Socket.IO argument; any of them matches", () => {
  assert.deepEqual(appMatches('json.room=a'), [0], 'the first argument of 421["Join",{"room":"a"}…], not a JSON payload');
  assert.deepEqual(appMatches('json.user.id=42'), [0]);
  assert.deepEqual(appMatches('json.user.admin=false'), [0]);
  assert.deepEqual(appMatches('json.params[1]=2'), [3], 'the payload (and the entry value, the same JSON)');
  assert.deepEqual(appMatches('json.result.total=1000'), [4], 'a binary message: its entry value');
  assert.deepEqual(appMatches('json.result.note=null'), [4]);
  assert.deepEqual(appMatches('json.target~send'), [4], 'the second entry');
  assert.deepEqual(appMatches('json.arguments[0]=hi'), [4]);
  assert.deepEqual(appMatches('json.room!=b'), [0]);
  assert.deepEqual(appMatches('json.room!=a'), []);
  assert.deepEqual(appMatches('json[0]'), [], 'the arguments are roots of their own, not one array');
});

test('the JSON is read once per row, only when a json test is reached, and not for entry tests', () => {
  const s = row({ payload: '{"a":{"b":"xyz"},"n":1}' });
  const p = compile('json.a.b~y json.n=1 json.a json.n!=2 hello');
  assert.equal(p(s), false);
  assert.equal(s.jsonCalls, 1);
  assert.equal(s.calls, 1);
  p(s);
  assert.equal(s.jsonCalls, 2, 'read afresh for each row');
  const q = compile('json.a client');
  const server = row({ from: 'server', payload: '{"a":1}' });
  assert.equal(q(server), false);
  assert.equal(server.jsonCalls, 0, 'the cheap term decides first');
  const r = compile('proto:socket.io or name:x or id:1 or latency>1 or heartbeat or request or reply or unanswered');
  const plain = row({ payload: '{"a":1}' });
  const event = row({ payload: '{"a":1}', app: [joinEntry] });
  assert.equal(r(plain), false);
  assert.equal(r(event), true);
  assert.equal(plain.jsonCalls + plain.calls + event.jsonCalls + event.calls, 0);
});
