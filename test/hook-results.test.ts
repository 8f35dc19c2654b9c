import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hookDecision, hookHeaders } from '../core/relay/hook-results.js';
import type { HeaderList } from '../core/websocket/events.js';

test('onMessage: undefined leaves the message; drop; a string or { text } is text; a Buffer, a Uint8Array or { data } is binary', () => {
  assert.deepEqual(hookDecision(undefined), { ok: true, value: null });
  assert.deepEqual(hookDecision({ drop: true }), { ok: true, value: { kind: 'drop' } });
  assert.deepEqual(hookDecision('héllo'), { ok: true, value: { kind: 'replace', opcode: 1, payload: Buffer.from('héllo') } });
  assert.deepEqual(hookDecision({ text: '' }), { ok: true, value: { kind: 'replace', opcode: 1, payload: Buffer.alloc(0) } });
  const bytes = Buffer.from([0, 1, 255]);
  assert.deepEqual(hookDecision(bytes), { ok: true, value: { kind: 'replace', opcode: 2, payload: bytes } });
  const plain = new Uint8Array([9, 8]);
  assert.deepEqual(hookDecision(plain), { ok: true, value: { kind: 'replace', opcode: 2, payload: plain } });
  assert.deepEqual(hookDecision({ data: bytes }), { ok: true, value: { kind: 'replace', opcode: 2, payload: bytes } });
  // drop wins over a replacement given beside it
  assert.deepEqual(hookDecision({ drop: true, text: 'x' }), { ok: true, value: { kind: 'drop' } });
});

test('onMessage: anything else is an error that names what came back and what was expected', () => {
  const cases: Array<[unknown, RegExp]> = [
    [null, /returned null;/],
    [42, /returned number 42;/],
    [false, /returned boolean false;/],
    [{ drop: 'yes' }, /returned an object with "drop";/],
    [{ text: 3 }, /an object with "text"/],
    [{ data: 'not bytes' }, /an object with "data"/],
    [{}, /an object with no keys/],
    [[1, 2], /an array of 2/],
    [() => 1, /a function/],
  ];
  for (const [value, pattern] of cases) {
    const r = hookDecision(value);
    assert.equal(r.ok, false, `${String(value)} is not a decision`);
    if (!r.ok) {
      assert.match(r.error, pattern);
      assert.match(r.error, /expected undefined, \{ drop: true \}, a string, \{ text \}, a Buffer or \{ data \}$/);
    }
  }
});

const ORIGINAL: HeaderList = [['Host', 'example.com'], ['Upgrade', 'websocket'], ['X-Twice', 'a'], ['X-Twice', 'b']];
const copy = (h: HeaderList): HeaderList => h.map(([n, v]) => [n, v]);

test('onHandshake: headers left as they were are no change; changed in place or returned, they are the new list, in order', () => {
  assert.deepEqual(hookHeaders(undefined, copy(ORIGINAL), ORIGINAL), { ok: true, value: null });
  assert.deepEqual(hookHeaders(copy(ORIGINAL), copy(ORIGINAL), ORIGINAL), { ok: true, value: null }, 'an equal list returned');
  const inPlace = copy(ORIGINAL);
  inPlace.push(['X-Added', 'yes']);
  inPlace[0]![1] = 'other.example';
  assert.deepEqual(hookHeaders(undefined, inPlace, ORIGINAL), { ok: true, value: inPlace });
  const returned: HeaderList = [['Upgrade', 'websocket'], ['Host', 'example.com']];
  assert.deepEqual(hookHeaders(returned, copy(ORIGINAL), ORIGINAL), { ok: true, value: returned }, 'the order is part of the list');
  assert.deepEqual(hookHeaders([], copy(ORIGINAL), ORIGINAL), { ok: true, value: [] });
  assert.deepEqual(hookHeaders(undefined, ORIGINAL.slice(0, 3), ORIGINAL), { ok: true, value: ORIGINAL.slice(0, 3) }, 'one removed');
});

test('onHandshake: what is not a list of [name, value] strings, a name that is not a token, a value that would end the header: errors', () => {
  const cases: Array<[unknown, unknown, RegExp]> = [
    ['Host: x', undefined, /^onHandshake returned string "Host: x"; expected an array/],
    [undefined, null, /^req\.headers null; expected an array/],
    [[['Host']], undefined, /header 0 is an array of 1; expected a \[name, value\] pair of strings/],
    [[['Host', 1]], undefined, /header 0 is an array of 2/],
    [[['Bad Name', 'x']], undefined, /header 0's name "Bad Name" is not an HTTP token/],
    [[['', 'x']], undefined, /name "" is not an HTTP token/],
    [[['X-Injected', 'a\r\nEvil: 1']], undefined, /header X-Injected's value has a CR, LF or NUL/],
    [undefined, [['Host', 'x'], ['X', 'a\nb']], /^req\.headers: header X's value/],
    [[['X', 'a\0']], undefined, /CR, LF or NUL/],
  ];
  for (const [returned, given, pattern] of cases) {
    const r = hookHeaders(returned, given, ORIGINAL);
    assert.equal(r.ok, false, JSON.stringify([returned, given]));
    if (!r.ok) assert.match(r.error, pattern);
  }
});
