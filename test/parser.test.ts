import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from '../core/filter/parser.js';
import type { FilterNode } from '../core/filter/syntax-tree.js';

function tree(source: string): FilterNode {
  const r = parse(source);
  if (!r.ok) assert.fail(`${JSON.stringify(source)} did not parse: ${r.error} at ${r.position}`);
  return r.tree;
}

/** A tree in short prefix form: (and a b), keyword names, len>5, kind=ping,pong, payload~"x", /re/i. */
function show(node: FilterNode): string {
  switch (node.t) {
    case 'and':
    case 'or':
      return `(${node.t} ${node.items.map(show).join(' ')})`;
    case 'not':
      return `(not ${show(node.item)})`;
    case 'keyword':
      return node.keyword.name;
    case 'compare':
      return `${node.field.name}${node.op}${node.values.join(',')}`;
    case 'one-of':
      return `${node.field.name}${node.negate ? '!=' : '='}${node.values.join(',')}`;
    case 'contains':
      return `${node.field.name}${node.negate ? '!~' : '~'}${JSON.stringify(node.needle)}`;
    case 'regex':
      return String(node.re);
    case 'entry-compare':
      return `${node.field.name}${node.op}${node.values.join(',')}`;
    case 'entry-is':
      return `${node.field.name}${node.negate ? '!=' : '='}${node.values.join(',')}`;
    case 'entry-contains':
      return `${node.field.name}${node.negate ? '!~' : '~'}${JSON.stringify(node.needle)}`;
    case 'json': {
      const path = node.path.map((step) => (typeof step === 'number' ? `[${step}]` : `[${JSON.stringify(step)}]`)).join('');
      return `json${path}${node.test.op === 'exists' ? '' : `${node.test.op}${JSON.stringify(node.test.value)}`}`;
    }
  }
}

/** The error of a source that must not parse. */
function parseError(source: string): { error: string; position: number; length: number } {
  const r = parse(source);
  if (r.ok) assert.fail(`${JSON.stringify(source)} parsed but should not have`);
  assert.ok(r.length >= 1, 'length is at least 1');
  assert.ok(r.position >= 0 && r.position <= source.length, 'position within the source');
  return { error: r.error, position: r.position, length: r.length };
}

test('not binds tighter than and, and tighter than or; terms side by side mean and', () => {
  assert.equal(show(tree('ping or server and text')), '(or ping (and server text))');
  assert.equal(show(tree('server text or ping')), '(or (and server text) ping)');
  assert.equal(show(tree('not server and text')), '(and (not server) text)');
  assert.equal(show(tree('(ping or server) & text')), '(and (or ping server) text)');
  assert.equal(show(tree('a || b | c && d')), '(or payload~"a" payload~"b" (and payload~"c" payload~"d"))');
});

test('repeated negations fold by parity', () => {
  assert.equal(show(tree('not not client')), 'client');
  assert.equal(show(tree('!-!client')), '(not client)');
  assert.equal(show(tree('!'.repeat(10_001) + 'client')), '(not client)');
});

test('keywords and their aliases become the keyword they stand for, in any case; > and < are client and server', () => {
  assert.equal(show(tree('CLIENT c2s > S2C <')), '(and client client client server server)');
  assert.equal(show(tree('>text')), '(and client text)');
  assert.equal(show(tree('bad violations Violation')), '(and violation violation violation)');
});

test('bare words and quoted strings search the payload; a quoted keyword is text', () => {
  assert.equal(show(tree('hello "the client" \'it\\\'s\'')), `(and payload~"hello" payload~"the client" payload~"it's")`);
  assert.equal(show(tree('"text"')), 'payload~"text"');
  assert.equal(show(tree('1>2 a.b')), '(and payload~"1>2" payload~"a.b")');
});

test('field tests resolve aliases, keep every value of a list and expand kind groups', () => {
  assert.equal(show(tree('length >= 1k')), 'len>=1024');
  assert.equal(show(tree('close:1000,4001')), 'code=1000,4001');
  assert.equal(show(tree('conn!=0x10')), 'conn!=16');
  assert.equal(show(tree('#1,4')), 'conn=1,4');
  assert.equal(show(tree('kind:control,ping')), 'kind=ping,pong,close');
  assert.equal(show(tree('from!=c2s')), 'from!=client');
  assert.equal(show(tree('host:"a b" url!=/chat payload:x')), '(and host~"a b" url!~"/chat" payload~"x")');
  assert.equal(show(tree('/a\\/b/iu')), '/a\\/b/iu');
});

test('close followed by > is the keyword and the direction, not a comparison', () => {
  assert.equal(show(tree('close > 5')), '(and close client payload~"5")');
  assert.equal(show(tree('close>5')), 'code>5');
});

test('an empty source is not an expression (parseFilter treats blank sources itself)', () => {
  assert.deepEqual(parseError(''), { error: 'expected an expression', position: 0, length: 1 });
});

test('an unclosed parenthesis is reported at the end, naming the parenthesis', () => {
  const e = parseError('(client or ping');
  assert.equal(e.error, "expected ')' to close '(' at 0");
  assert.equal(e.position, 15);
  const f = parseError('text (client');
  assert.equal(f.error, "expected ')' to close '(' at 5");
  assert.equal(f.position, 12);
});

test('an unmatched closing parenthesis is reported where it is', () => {
  const e = parseError('client) text');
  assert.equal(e.error, "unmatched ')'");
  assert.equal(e.position, 6);
  assert.equal(parseError(')').position, 0);
});

test('empty parentheses are an error underlining both parentheses', () => {
  const e = parseError('client ( )');
  assert.equal(e.error, 'empty parentheses');
  assert.equal(e.position, 7);
  assert.equal(e.length, 3);
});

test('an unknown field is reported with a suggestion', () => {
  const e = parseError('client lenn>5');
  assert.equal(e.error, "unknown field 'lenn' (did you mean 'len'?)");
  assert.equal(e.position, 7);
  assert.equal(e.length, 4);
  assert.match(parseError('hots:example').error, /did you mean 'host'\?/);
  assert.match(parseError('frm:client').error, /did you mean 'from'\?/);
  const f = parseError('zebra:1');
  assert.match(f.error, /^unknown field 'zebra'/);
  assert.match(f.error, /quotes/);
  assert.equal(parseError('idx=42').position, 0);
});

test('a field name without a value is an error that suggests quoting', () => {
  const e = parseError('text len');
  assert.match(e.error, /'len' needs a value, e\.g\. len>100/);
  assert.equal(e.position, 5);
  assert.equal(e.length, 3);
  assert.equal(show(tree('"len"')), 'payload~"len"', 'quoted, it is text to search for');
});

test('a missing or bad number is reported after the operator', () => {
  const e = parseError('len>');
  assert.equal(e.error, "expected a number after 'len>'");
  assert.equal(e.position, 4);
  const f = parseError('len>abc text');
  assert.equal(f.error, "expected a number after 'len>', not 'abc'");
  assert.equal(f.position, 4);
  assert.equal(f.length, 3);
  assert.equal(parseError('len>5q').position, 4);
  const g = parseError('conn:1,x,3');
  assert.equal(g.error, "expected a number after ',', not 'x'");
  assert.equal(g.position, 7);
  assert.equal(parseError('conn:1,').position, 7);
  assert.equal(parseError('#').error, "expected a connection number after '#'");
  assert.match(parseError('opcode:1k').error, /expected a number/);
  assert.match(parseError('conn:1.5').error, /expected a number/);
});

test('an unsuitable operator or value for a field is an error', () => {
  const e = parseError('host>5');
  assert.match(e.error, /'host' can't be compared with '>'/);
  assert.equal(e.position, 4);
  assert.match(parseError('conn>1,2').error, /a list of values needs/);
  const k = parseError('kind:txt');
  assert.equal(k.error, "unknown kind 'txt' (did you mean 'text'?)");
  assert.equal(k.position, 5);
  assert.equal(k.length, 3);
  const d = parseError('from:clinet');
  assert.equal(d.error, "unknown direction 'clinet' (did you mean 'client'?)");
  assert.equal(parseError('kind:text,pnig').position, 10);
  assert.match(parseError('host:').error, /expected a value after 'host:'/);
  assert.match(parseError('>= 5').error, /expected a field name before '>='/);
  assert.match(parseError('!=5').error, /expected a field name before '!='/);
  assert.match(parseError(':x').error, /expected a field name before ':'/);
});

test('an invalid regex is reported at the regex with JavaScript\'s message', () => {
  const e = parseError('client /(ab/');
  assert.equal(e.position, 7);
  assert.equal(e.length, 5);
  let expected = '';
  try {
    new RegExp('(ab');
  } catch (err) {
    expected = (err as Error).message;
  }
  assert.equal(e.error, expected);
  const f = parseError('/a/g');
  assert.match(f.error, /unknown regular expression flag 'g'/);
  assert.equal(f.position, 3);
  assert.match(parseError('/a/ii').error, /repeated regular expression flag 'i'/);
  const u = parseError('text /abc');
  assert.match(u.error, /^unterminated regular expression/);
  assert.equal(u.position, 5);
  assert.equal(u.length, 4);
});

test('a dangling or misplaced operator is reported', () => {
  const a = parseError('client and');
  assert.equal(a.error, "expected an expression after 'and'");
  assert.equal(a.position, 10);
  const b = parseError('client ||');
  assert.equal(b.error, "expected an expression after '||'");
  const c = parseError('and client');
  assert.equal(c.error, "expected an expression before 'and'");
  assert.equal(c.position, 0);
  assert.equal(c.length, 3);
  const d = parseError('client or or text');
  assert.equal(d.error, "expected an expression after 'or', found 'or'");
  assert.equal(d.position, 10);
  const n = parseError('client not');
  assert.equal(n.error, "expected an expression after 'not'");
  const p = parseError('(client and)');
  assert.equal(p.error, "expected an expression after 'and', found ')'");
  assert.equal(p.position, 11);
  assert.equal(parseError('(').error, "expected an expression after '('");
  assert.equal(parseError('!').error, "expected an expression after '!'");
});

test('an unterminated quote is reported from the quote to the end', () => {
  const e = parseError('client "hello wor');
  assert.equal(e.error, 'unterminated string');
  assert.equal(e.position, 7);
  assert.equal(e.length, 10);
  assert.equal(parseError('"abc\\"').error, 'unterminated string');
  assert.equal(parseError("url:'x").position, 4);
});

test('application keywords are keywords; quoted, they are text to search for', () => {
  assert.equal(show(tree('heartbeat Request REPLY unanswered')), '(and heartbeat request reply unanswered)');
  assert.equal(show(tree('"heartbeat" \'reply\'')), '(and payload~"heartbeat" payload~"reply")');
});

test('entry fields: proto names in any case and lists, name contains, ids exactly as typed, latency in units', () => {
  assert.equal(show(tree('proto:Socket.IO,mqtt,socket.io')), 'proto=socket.io,mqtt');
  assert.equal(show(tree('proto!=json-rpc')), 'proto!=json-rpc');
  assert.equal(show(tree('name:Join name!="chat room"')), '(and name~"Join" name!~"chat room")');
  assert.equal(show(tree('id:12,Abc id!=7')), '(and id=12,Abc id!=7)');
  const quoted = tree('id:"a,b"');
  assert.ok(quoted.t === 'entry-is');
  assert.deepEqual(quoted.values, ['a,b'], 'a quoted id is one value, commas and all');
  assert.equal(show(tree('latency>100')), 'latency>100', 'milliseconds without a unit');
  assert.equal(show(tree('latency >= 1.5s')), 'latency>=1500');
  assert.equal(show(tree('latency<250us')), 'latency<0.25');
  assert.equal(show(tree('latency<250µs latency<250MS')), '(and latency<0.25 latency<250)');
  assert.equal(show(tree('latency:12345us')), 'latency=12.345', 'microseconds divide exactly');
  assert.equal(show(tree('latency!=1,2s')), 'latency!=1,2000');
});

test('json paths: keys, indices and quoted keys; alone, or with =, != or ~', () => {
  assert.equal(show(tree('json.user.id=42')), 'json["user"]["id"]="42"');
  assert.equal(show(tree('json.items[0].id:7')), 'json["items"][0]["id"]="7"');
  assert.equal(show(tree('json[0]==x')), 'json[0]="x"');
  assert.equal(show(tree('json.type~subscribe')), 'json["type"]~"subscribe"');
  assert.equal(show(tree('json["a.b"] != "x y"')), 'json["a.b"]!="x y"');
  assert.equal(show(tree('json.error or JSON.a.b')), '(or json["error"] json["a"]["b"])');
  assert.equal(show(tree('-json.error client')), '(and (not json["error"]) client)');
});

test('an unknown protocol is reported where it is, with the closest name or the list', () => {
  assert.deepEqual(parseError('proto:socketio'), { error: "unknown protocol 'socketio' (did you mean 'socket.io'?)", position: 6, length: 8 });
  assert.deepEqual(parseError('proto:mqtt,stmop'), { error: "unknown protocol 'stmop' (did you mean 'stomp'?)", position: 11, length: 5 });
  const e = parseError('proto:xmpp');
  assert.match(e.error, /^unknown protocol 'xmpp' \(use one of engine\.io, socket\.io, .*, protobuf\)$/);
  assert.equal(e.position, 6);
  assert.match(parseError('proto>1').error, /'proto' can't be compared with '>'/);
  assert.equal(parseError('proto:').error, "expected a value after 'proto:'");
});

test('a bad duration, and a misplaced operator on an entry field, are reported at the value or the operator', () => {
  assert.deepEqual(parseError('latency>5h'), { error: "expected a duration after 'latency>', not '5h' (units us, ms, s)", position: 8, length: 2 });
  assert.deepEqual(parseError('latency:1,x'), { error: "expected a duration after ',', not 'x' (units us, ms, s)", position: 10, length: 1 });
  assert.equal(parseError('latency>').error, "expected a duration after 'latency>'");
  assert.equal(parseError('latency>1,2').error, "a list of values needs ':' or '!=', not '>'");
  assert.deepEqual(parseError('name>3'), { error: "'name' can't be compared with '>' (use name:message or name!=…)", position: 4, length: 1 });
  assert.match(parseError('latency').error, /'latency' needs a value, e\.g\. latency>100ms/);
});

test("'~' is for json paths: elsewhere an error that says so, at the operator", () => {
  assert.deepEqual(parseError('client name~join'), { error: "'~' is for json paths (e.g. json.type~subscribe); use name:message", position: 11, length: 1 });
  assert.equal(parseError('len ~ 5').position, 4);
  assert.equal(show(tree('a~b')), 'payload~"a~b"', 'after a word that is no field, ~ is text');
});

test('a json path without a path, an operator json has not, or a value, is reported where it is', () => {
  assert.deepEqual(parseError('json'), { error: "'json' needs a path, e.g. json.type=subscribe (quote it to search for the word)", position: 0, length: 4 });
  assert.deepEqual(parseError('json=5'), { error: "expected a path after 'json' (e.g. json.type=subscribe)", position: 4, length: 1 });
  assert.deepEqual(parseError('json.a>5'), { error: "a json path can't be compared with '>' (use =, != or ~)", position: 6, length: 1 });
  assert.deepEqual(parseError('client json.a.b~'), { error: "expected a value after 'json.a.b~'", position: 16, length: 1 });
  assert.deepEqual(parseError('text json.a..b=1'), { error: "expected a key after '.' (e.g. json.user.id)", position: 12, length: 1 });
  assert.deepEqual(parseError('json.items[first]=1'), { error: "expected an index or a quoted key after '[' (e.g. json.items[0])", position: 11, length: 1 });
  assert.equal(show(tree('"json"')), 'payload~"json"');
});
