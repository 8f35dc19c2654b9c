import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lexer, type Token } from '../core/filter/lexer.js';

/** Every token up to eof (or the first error), in a short form: kind@pos+len and what it carries. */
function tokens(source: string): string[] {
  const lexer = new Lexer(source);
  const out: string[] = [];
  for (;;) {
    const t = lexer.next();
    out.push(show(t));
    if (t.k === 'eof' || t.k === 'error') return out;
    if (t.k === 'field' || (t.k === 'path' && t.op !== null)) {
      const v = lexer.fieldValue();
      if ('message' in v) return [...out, `error@${v.pos}+${v.len} ${v.message}`];
      out.push(`value@${v.from}-${v.to} ${JSON.stringify(v.text)}${v.quoted ? ' quoted' : ''}`);
    }
  }
}

function show(t: Token): string {
  const at = `${t.k}@${t.pos}+${t.len}`;
  switch (t.k) {
    case 'word':
    case 'quoted':
      return `${at} ${JSON.stringify(t.text)}`;
    case 'regex':
      return `${at} ${String(t.re)}`;
    case 'field':
      return `${at} ${t.name}${t.op}@${t.opPos}+${t.opLen}`;
    case 'path':
      return `${at} ${t.name}${JSON.stringify(t.steps)}${t.op === null ? '' : `${t.op}@${t.opPos}+${t.opLen}`}`;
    case 'error':
      return `${at} ${t.message}`;
    default:
      return at;
  }
}

test('operators, parentheses and operator words, each with its place', () => {
  assert.deepEqual(tokens('(a && b) || !c | -d & e AND f or NOT g'), [
    '(@0+1', 'word@1+1 "a"', 'and@3+2', 'word@6+1 "b"', ')@7+1', 'or@9+2', 'not@12+1', 'word@13+1 "c"', 'or@15+1', 'not@17+1', 'word@18+1 "d"',
    'and@20+1', 'word@22+1 "e"', 'and@24+3', 'word@28+1 "f"', 'or@30+2', 'not@33+3', 'word@37+1 "g"', 'eof@38+1',
  ]);
});

test('a word ends at whitespace, parentheses, & and |; > and < are words of their own', () => {
  assert.deepEqual(tokens('a.b/c)>text <x'), ['word@0+5 "a.b/c"', ')@5+1', 'word@6+1 ">"', 'word@7+4 "text"', 'word@12+1 "<"', 'word@13+1 "x"', 'eof@14+1']);
  assert.deepEqual(tokens('text<x'), ['field@0+4 text<@4+1', 'value@5-6 "x"', 'eof@6+1'], 'after a name, < is an operator');
  assert.deepEqual(tokens('1>2'), ['word@0+3 "1>2"', 'eof@3+1'], 'not at the start of a word, > is part of it');
});

test('quoted strings resolve their escapes; other backslashes stay', () => {
  assert.deepEqual(tokens(String.raw`"a \"b\" \\ \n\t\r \x" 'it\'s'`), [`quoted@0+22 ${JSON.stringify('a "b" \\ \n\t\r \\x')}`, `quoted@23+7 "it's"`, 'eof@30+1']);
});

test('a field token is the name and the operator; its value is read next, quoted or bare', () => {
  assert.deepEqual(tokens('len>=5 host:"a b" kind!=text,ping'), [
    'field@0+3 len>=@3+2', 'value@5-6 "5"',
    'field@7+4 host=@11+1', 'value@13-16 "a b" quoted',
    'field@18+4 kind!=@22+2', 'value@24-33 "text,ping"',
    'eof@33+1',
  ]);
  assert.deepEqual(tokens('len == 5'), ['field@0+3 len=@4+2', 'value@7-8 "5"', 'eof@8+1'], 'spaces around the operator of a field');
  assert.deepEqual(tokens('url:/chat'), ['field@0+3 url=@3+1', 'value@4-9 "/chat"', 'eof@9+1'], 'a value starting with / is no regex');
  assert.deepEqual(tokens('host:)'), ['field@0+4 host=@4+1', 'value@5-5 ""', ')@5+1', 'eof@6+1'], 'a missing value is empty, where it should be');
});

test('spaces before an operator only after a known field that is not a keyword', () => {
  assert.deepEqual(tokens('close > 5'), ['word@0+5 "close"', 'word@6+1 ">"', 'word@8+1 "5"', 'eof@9+1']);
  assert.deepEqual(tokens('zebra >5'), ['word@0+5 "zebra"', 'word@6+1 ">"', 'word@7+1 "5"', 'eof@8+1']);
  assert.deepEqual(tokens('zebra:1'), ['field@0+5 zebra=@5+1', 'value@6-7 "1"', 'eof@7+1'], 'unknown names are the parser\'s to report');
});

test('#, and regular expressions with their flags', () => {
  assert.deepEqual(tokens('#1,4 /a[/]b\\/c/iu'), ['hash@0+4', 'regex@5+12 /a[/]b\\/c/iu', 'eof@17+1']);
  assert.deepEqual(tokens('#'), ['hash@0+1', 'eof@1+1']);
});

test('lexical errors come back as error tokens with their place', () => {
  assert.deepEqual(tokens('a "bc'), ['word@0+1 "a"', 'error@2+3 unterminated string']);
  assert.deepEqual(tokens('url:"x'), ['field@0+3 url=@3+1', 'error@4+2 unterminated string']);
  assert.deepEqual(tokens('/ab'), ["error@0+3 unterminated regular expression (quote a '/' to search for it)"]);
  assert.deepEqual(tokens('/a/gi'), ["error@3+1 unknown regular expression flag 'g' (use i, m, s, u or y)"]);
  assert.deepEqual(tokens('/a/ii'), ["error@4+1 repeated regular expression flag 'i'"]);
  assert.deepEqual(tokens('!=5'), ["error@0+2 expected a field name before '!=' (e.g. len!=5)"]);
  assert.deepEqual(tokens('>= 5'), ["error@0+2 expected a field name before '>=' (e.g. len>=100)"]);
  assert.deepEqual(tokens(':x'), ["error@0+1 expected a field name before ':'"]);
  assert.equal(tokens('/(a/')[0]!.startsWith('error@0+4 Invalid regular expression'), true);
});

test('a json path is one token: its steps, then its operator and value if they follow', () => {
  assert.deepEqual(tokens('json.items[0].id=7 JSON["a b"][12] ~ x json.a json[1]!=2'), [
    'path@0+16 json["items",0,"id"]=@16+1', 'value@17-18 "7"',
    'path@19+15 JSON["a b",12]~@35+1', 'value@37-38 "x"',
    'path@39+6 json["a"]',
    'path@46+7 json[1]!=@53+2', 'value@55-56 "2"',
    'eof@56+1',
  ]);
  assert.deepEqual(tokens('json.content-type:x json.a.b)'), ['path@0+17 json["content-type"]=@17+1', 'value@18-19 "x"', 'path@20+8 json["a","b"]', ')@28+1', 'eof@29+1'], 'a key runs to an operator or the end of the word');
  assert.deepEqual(tokens("json['it\\'s'].x=1"), [`path@0+15 json["it's","x"]=@15+1`, 'value@16-17 "1"', 'eof@17+1'], 'a quoted key resolves its escapes');
  assert.deepEqual(tokens('json:x'), ['field@0+4 json=@4+1', 'value@5-6 "x"', 'eof@6+1'], 'without a path, json is a field name like any (the parser asks for a path)');
  assert.deepEqual(tokens('jsonx.a'), ['word@0+7 "jsonx.a"', 'eof@7+1']);
});

test('~ is an operator after a field name or a json path; after other words it is part of the word', () => {
  assert.deepEqual(tokens('name~x len ~ 5'), ['field@0+4 name~@4+1', 'value@5-6 "x"', 'field@7+3 len~@11+1', 'value@13-14 "5"', 'eof@14+1']);
  assert.deepEqual(tokens('a~b text~x ~c'), ['word@0+3 "a~b"', 'word@4+6 "text~x"', 'word@11+2 "~c"', 'eof@13+1']);
});

test('a json path that does not read is an error token where it goes wrong', () => {
  assert.deepEqual(tokens('json.'), ["error@5+1 expected a key after '.' (e.g. json.user.id)"]);
  assert.deepEqual(tokens('json..a'), ["error@5+1 expected a key after '.' (e.g. json.user.id)"]);
  assert.deepEqual(tokens('json.a[x]'), ["error@7+1 expected an index or a quoted key after '[' (e.g. json.items[0])"]);
  assert.deepEqual(tokens('json[-1]'), ["error@5+1 expected an index or a quoted key after '[' (e.g. json.items[0])"]);
  assert.deepEqual(tokens('json[1234567890123456]'), ["error@5+16 expected an index or a quoted key after '[' (e.g. json.items[0])"], 'an index is a safe integer');
  assert.deepEqual(tokens('json.a[1'), ["error@8+1 expected ']' to close '[' at 6"]);
  assert.deepEqual(tokens('json["a"x'), ["error@8+1 expected ']' to close '[' at 4"]);
  assert.deepEqual(tokens('json["a'), ['error@5+2 unterminated string']);
  assert.deepEqual(tokens('json.a]b'), ['error@6+1 unexpected \']\' in a json path (quote other keys: json["a.b"])']);
  assert.deepEqual(tokens('json.a"b"'), ['error@6+1 unexpected \'"\' in a json path (quote other keys: json["a.b"])']);
});
