import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFilter, type FilterPredicate, type FilterSubject } from '../core/filter/filter.js';

const OPCODES = { text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

/** A message row with sensible defaults; `payload` feeds payloadText(), which counts its calls. */
function row(over: Partial<Omit<FilterSubject, 'payloadText'>> & { payload?: string } = {}): FilterSubject & { calls: number } {
  const { payload = '', ...rest } = over;
  const kind = rest.kind ?? 'text';
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
    ...rest,
    calls: 0,
    payloadText(): string {
      subject.calls++;
      return payload;
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
