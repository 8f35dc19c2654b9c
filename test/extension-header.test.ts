import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseExtensionHeader } from '../core/websocket/extension-header.js';

test('parses one extension with a valued and a valueless parameter', () => {
  const r = parseExtensionHeader(['permessage-deflate; client_max_window_bits=15; server_no_context_takeover']);
  assert.equal(r.error, null);
  assert.deepEqual(r.extensions, [
    { name: 'permessage-deflate', params: { client_max_window_bits: '15', server_no_context_takeover: true } },
  ]);
});

test('parses several extensions in one field, in order', () => {
  const r = parseExtensionHeader(['foo, bar; baz=2, permessage-deflate;client_max_window_bits']);
  assert.equal(r.error, null);
  assert.deepEqual(r.extensions, [
    { name: 'foo', params: {} },
    { name: 'bar', params: { baz: '2' } },
    { name: 'permessage-deflate', params: { client_max_window_bits: true } },
  ]);
});

test('several header fields form one list', () => {
  const r = parseExtensionHeader(['permessage-deflate; server_no_context_takeover', 'x-webkit-deflate-frame', 'mux; max-channels=4']);
  assert.equal(r.error, null);
  assert.deepEqual(r.extensions.map((e) => e.name), ['permessage-deflate', 'x-webkit-deflate-frame', 'mux']);
  assert.deepEqual(r.extensions[2]!.params, { 'max-channels': '4' });
});

test('quoted-string values may hold commas, semicolons and escaped characters', () => {
  const r = parseExtensionHeader(['foo; a="x,y;z"; b="q\\"uo\\\\te"; c="15", bar']);
  assert.equal(r.error, null);
  assert.deepEqual(r.extensions, [
    { name: 'foo', params: { a: 'x,y;z', b: 'q"uo\\te', c: '15' } },
    { name: 'bar', params: {} },
  ]);
});

test('whitespace around separators is allowed', () => {
  const r = parseExtensionHeader(['  foo ;\ta = 1 ;  b\t,  bar  ']);
  assert.equal(r.error, null);
  assert.deepEqual(r.extensions, [{ name: 'foo', params: { a: '1', b: true } }, { name: 'bar', params: {} }]);
});

test('empty list elements are skipped', () => {
  const r = parseExtensionHeader([', foo,, ,bar ,', '', ' , ']);
  assert.equal(r.error, null);
  assert.deepEqual(r.extensions.map((e) => e.name), ['foo', 'bar']);
});

test('no fields means no extensions', () => {
  assert.deepEqual(parseExtensionHeader([]), { extensions: [], error: null });
});

test('a grammar error names what was expected and the column, and keeps the extensions parsed before it', () => {
  const r1 = parseExtensionHeader(['foo bar']);
  assert.equal(r1.error, 'expected \',\' or \';\' at column 5 of "foo bar"');
  assert.deepEqual(r1.extensions, [{ name: 'foo', params: {} }], 'foo itself was complete');

  const r2 = parseExtensionHeader(['good, bad; =1']);
  assert.equal(r2.error, 'expected parameter name at column 12 of "good, bad; =1"');
  assert.deepEqual(r2.extensions.map((e) => e.name), ['good']);

  const r3 = parseExtensionHeader(['foo; a=']);
  assert.match(r3.error!, /^expected value of a at column 8 of/);

  const r4 = parseExtensionHeader(['foo; a="unterminated']);
  assert.match(r4.error!, /^expected value of a at column \d+ of/);

  const r5 = parseExtensionHeader(['ok', '"quoted-name"']);
  assert.equal(r5.error, 'expected extension name at column 1 of "\\"quoted-name\\""');
  assert.deepEqual(r5.extensions.map((e) => e.name), ['ok']);

  const r6 = parseExtensionHeader(['foo;']);
  assert.equal(r6.error, 'expected parameter name at column 5 of "foo;"');

  const r7 = parseExtensionHeader(['foo; a=""']);
  assert.match(r7.error!, /^expected value of a/);
});
