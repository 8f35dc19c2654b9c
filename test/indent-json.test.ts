import { test } from 'node:test';
import assert from 'node:assert/strict';
import { indentJson } from '../tui/indent-json.js';

test('laid out as JSON.stringify(value, null, 2) lays it out, with a final newline', () => {
  for (const text of [
    '{"type":"tick","seq":1,"price":100.25}',
    '[1,2,[3,{"a":[]},{}],{"b":{"c":null,"d":true}}]',
    ' { "spaced" : [ 1 , 2 ] ,\n\t"empty" : { } , "list" : [ ] } ',
    '{"s":"a, b: [c] {d}","q":"say \\"hi\\"","back":"\\\\"}',
    '[]',
    '{}',
  ]) {
    assert.equal(indentJson(text), `${JSON.stringify(JSON.parse(text), null, 2)}\n`, text);
  }
  assert.equal(indentJson('{"a":[1,{"b":2}]}'), '{\n  "a": [\n    1,\n    {\n      "b": 2\n    }\n  ]\n}\n');
});

test('every token as it was sent: big numbers, escapes, repeated keys', () => {
  const text = '{"id":12345678901234567890,"n":1.50e3,"s":"\\u0041\\/\\n","id":2}';
  assert.equal(indentJson(text), '{\n  "id": 12345678901234567890,\n  "n": 1.50e3,\n  "s": "\\u0041\\/\\n",\n  "id": 2\n}\n');
  assert.notEqual(JSON.stringify(JSON.parse(text), null, 2), indentJson(text)!.trimEnd(), 'parsing would have changed it');
});

test('null for anything but a JSON object or array', () => {
  for (const text of ['hello', '42', '"a string"', 'null', '{"a":', '[1,2', '{a:1}', '', '{"a":1} x']) assert.equal(indentJson(text), null, text);
});
