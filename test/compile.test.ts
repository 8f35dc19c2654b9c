import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile } from '../core/filter/compile.js';
import { fieldNamed } from '../core/filter/fields.js';
import type { FilterSubject } from '../core/filter/filter.js';
import { parse } from '../core/filter/parser.js';
import { jsonOf } from '../core/filter/subject.js';
import type { FilterNode, PayloadField } from '../core/filter/syntax-tree.js';

function tree(source: string): FilterNode {
  const r = parse(source);
  if (!r.ok) assert.fail(`${source}: ${r.error}`);
  return r.tree;
}

/** A row that logs every property a test reads. */
function loggingRow(log: string[], payload = 'hello x'): FilterSubject {
  const values: Omit<FilterSubject, 'payloadText' | 'payloadJson'> = { type: 'message', conn: 1, from: 'client', kind: 'text', opcode: 1, length: 7, compressed: true, truncated: false, violations: 0, closeCode: null, url: 'ws://a.test/', actions: null, app: null };
  const row = { payloadText: () => (log.push('payload'), payload), payloadJson: () => (log.push('json'), jsonOf(payload)) } as FilterSubject;
  for (const [k, v] of Object.entries(values)) Object.defineProperty(row, k, { get: () => (log.push(k), v) });
  return row;
}

test('and/or operands run cheapest first: flags and numbers, then the URL, then the payload, then regexes', () => {
  const log: string[] = [];
  assert.equal(compile(tree('/x/ hello host:a.test len>1 client'))(loggingRow(log)), true);
  assert.deepEqual(log, ['length', 'from', 'url', 'payload'], 'equal costs keep the order typed; the payload is read once');
  log.length = 0;
  assert.equal(compile(tree('(/x/ or compressed) and (hello or url:nope)'))(loggingRow(log)), true);
  assert.deepEqual(log, ['url', 'payload', 'compressed'], 'the cheaper or (URL and payload) runs before the dearer (regex and flag)');
  log.length = 0;
  assert.equal(compile(tree('hello and not client'))(loggingRow(log)), false);
  assert.deepEqual(log, ['from'], 'a cheap term that decides spares the payload');
});

test('a value the row does not have fails the test, = or !=', () => {
  const log: string[] = [];
  const row = loggingRow(log);
  for (const source of ['code:1000', 'code!=1000', 'code!=1,2', 'code<5000']) assert.equal(compile(tree(source))(row), false, source);
  const noUrl = { ...loggingRow([]), url: null };
  for (const source of ['host:a', 'host!=a', 'url:""']) assert.equal(compile(tree(source))(noUrl), false, source);
});

test('each payload field is read at most once per row, and afresh for the next row', () => {
  const payload = fieldNamed('payload') as PayloadField;
  let urlReads = 0;
  const urlAsPayload: PayloadField = { name: 'urltext', aliases: [], type: 'payload', read: (s) => (urlReads++, s.url ?? ''), example: 'urltext:x', help: '' };
  const predicate = compile({
    t: 'and',
    items: [
      { t: 'contains', field: payload, negate: false, needle: 'hello' },
      { t: 'regex', field: payload, re: /x$/ },
      { t: 'contains', field: urlAsPayload, negate: false, needle: 'a.test' },
      { t: 'regex', field: urlAsPayload, re: /^ws:/ },
    ],
  });
  const log: string[] = [];
  assert.equal(predicate(loggingRow(log)), true);
  assert.equal(log.filter((k) => k === 'payload').length, 1);
  assert.equal(urlReads, 1);
  assert.equal(predicate(loggingRow(log, 'hello y')), false, 'the next row is read, not the cached text');
  assert.equal(log.filter((k) => k === 'payload').length, 2);
});

test('entry tests cost what flags cost; json paths what a payload costs, read once and after the cheaper terms', () => {
  const log: string[] = [];
  const row = loggingRow(log, '{"a":{"b":1}}');
  assert.equal(compile(tree('/x/ or json.a.b=1 or hello or json.a or proto:mqtt or heartbeat or host:nope'))(row), true);
  assert.deepEqual(log, ['app', 'app', 'url', 'json', 'app'], 'entries, then the URL, then the JSON values (payload and entries), read once; the payload text and the regex never');
  log.length = 0;
  assert.equal(compile(tree('json.a.b=2 or hello'))(row), false);
  assert.deepEqual(log, ['json', 'app', 'payload'], 'equal costs keep the order typed');
});
