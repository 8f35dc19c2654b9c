import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exampleFor, FIELDS, KEYWORDS } from '../core/filter/fields.js';
import { parseFilter } from '../core/filter/filter.js';
import { FILTER_HELP } from '../core/filter/filter-help.js';

const alternatives = (syntax: string): string[] => syntax.split(/\s{2,}/);

test('FILTER_HELP documents every form', () => {
  const text = FILTER_HELP.map(([syntax, meaning]) => `${syntax} ${meaning}`).join('\n');
  for (const form of ['client', 'server', 'c2s', 's2c', '>', '<', 'from:', 'kind:', 'control', 'data', 'opcode:', 'conn:', '#3', 'host:', 'url:', '"hello world"', 'payload:', '/pattern/flags', 'len>', 'length', 'compressed', 'truncated', 'violation', 'bad', 'code:', 'close:', 'heartbeat', 'request', 'reply', 'unanswered', 'proto:', 'name:', 'id:', 'latency>', 'json.', '[0]', '~', '!=', '>=', 'and', '&&', 'or', '||', 'not', '!a', '-a', '(']) {
    assert.ok(text.includes(form), form);
  }
  for (const [syntax, meaning] of FILTER_HELP) {
    assert.ok(syntax.length > 0 && meaning.length > 0);
  }
});

test('every alternative in FILTER_HELP parses, placeholders filled in', () => {
  const fill: Array<[RegExp, string]> = [[/\bfield\b/g, 'len'], [/\bvalue\b/g, '5'], [/\bpattern\b/g, 'x'], [/\bflags\b/g, 'i'], [/\ba\b/g, 'client'], [/\bb\b/g, 'text'], [/…/g, 'ping']];
  for (const [syntax] of FILTER_HELP) {
    for (const part of alternatives(syntax)) {
      const source = fill.reduce((s, [re, by]) => s.replace(re, by), part);
      const r = parseFilter(source);
      assert.ok(r.ok, `${part} (as ${source}): ${r.ok ? '' : r.error}`);
    }
  }
});

test("each field has a row: its example under its name and each alias, and the field's help", () => {
  for (const f of FIELDS) {
    const row = FILTER_HELP.find(([, meaning]) => meaning === f.help);
    assert.ok(row, `a row for ${f.name}`);
    assert.deepEqual(alternatives(row[0]), [f.name, ...f.aliases].map((n) => exampleFor(f, n)));
  }
});

test("each keyword is in a row with its aliases, under the keyword's help; keywords with the same help share it", () => {
  for (const k of KEYWORDS) {
    const rows = FILTER_HELP.filter(([, meaning]) => meaning === k.help);
    assert.equal(rows.length, 1, `one row for ${k.name}`);
    const words = alternatives(rows[0]![0]);
    for (const w of [k.name, ...k.aliases]) assert.ok(words.includes(w), `${w} in ${rows[0]![0]}`);
  }
  assert.ok(FILTER_HELP.some(([syntax]) => syntax === 'text  binary  ping  pong  close'), 'the kinds share a row');
});
