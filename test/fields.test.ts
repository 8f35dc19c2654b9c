import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ANSWERED, APP_PROTOCOL_NAMES, type AppEntry, type KeptAppEntry } from '../core/app/app-entry.js';
import { CHOICES, exampleFor, FIELD_NAMES, FIELDS, fieldNamed, KEYWORDS, keywordNamed } from '../core/filter/fields.js';
import { parseFilter, type FilterSubject } from '../core/filter/filter.js';
import { parse } from '../core/filter/parser.js';

/** Rows that differ in every property a field or keyword reads, but for the application entries (no entries, no JSON). */
const ROWS: FilterSubject[] = ([
  { type: 'message', conn: 1, from: 'client', kind: 'text', opcode: 1, length: 5, compressed: false, truncated: false, violations: 0, closeCode: null, url: 'ws://a.test/x', payloadText: () => 'hello', actions: null },
  { type: 'message', conn: 2, from: 'server', kind: 'binary', opcode: 2, length: 2048, compressed: true, truncated: true, violations: 2, closeCode: null, url: null, payloadText: () => '\u0001', actions: null },
  { type: 'message', conn: 3, from: 'client', kind: 'ping', opcode: 9, length: 0, compressed: false, truncated: false, violations: 1, closeCode: null, url: 'ws://b.test/', payloadText: () => '', actions: null },
  { type: 'message', conn: 4, from: 'server', kind: 'pong', opcode: 10, length: 0, compressed: false, truncated: false, violations: 0, closeCode: null, url: 'ws://b.test/', payloadText: () => '', actions: null },
  { type: 'message', conn: 5, from: 'server', kind: 'close', opcode: 8, length: 2, compressed: false, truncated: false, violations: 0, closeCode: 1000, url: 'wss://u@C.test:8443/?q', payloadText: () => 'bye', actions: null },
  { type: 'error', conn: 6, from: null, kind: null, opcode: NaN, length: NaN, compressed: false, truncated: false, violations: 0, closeCode: null, url: 'ws://a.test/x', payloadText: () => 'decoding stopped', actions: null },
  { type: 'message', conn: 7, from: 'client', kind: 'text', opcode: 1, length: 1, compressed: false, truncated: false, violations: 0, closeCode: null, url: 'ws://a.test/x', payloadText: () => 'h', actions: { held: true, dropped: false, edited: false, injected: false } },
  { type: 'message', conn: 7, from: 'client', kind: 'text', opcode: 1, length: 1, compressed: false, truncated: false, violations: 0, closeCode: null, url: 'ws://a.test/x', payloadText: () => 'd', actions: { held: false, dropped: true, edited: false, injected: false } },
  { type: 'message', conn: 7, from: 'server', kind: 'binary', opcode: 2, length: 1, compressed: false, truncated: false, violations: 0, closeCode: null, url: 'ws://a.test/x', payloadText: () => 'e', actions: { held: true, dropped: false, edited: true, injected: false } },
  { type: 'message', conn: 7, from: 'server', kind: 'text', opcode: 1, length: 1, compressed: false, truncated: false, violations: 0, closeCode: null, url: 'ws://a.test/x', payloadText: () => 'i', actions: { held: false, dropped: false, edited: false, injected: true } },
  { type: 'message', conn: 7, from: 'server', kind: 'text', opcode: 1, length: 1, compressed: false, truncated: false, violations: 0, closeCode: null, url: 'ws://a.test/x', payloadText: () => 'f', actions: { held: false, dropped: false, edited: false, injected: false } },
] as Array<Omit<FilterSubject, 'app' | 'payloadJson'>>).map((r) => ({ ...r, app: null, payloadJson: () => undefined }));

test('names are lower-case and no name stands for two fields or two keywords', () => {
  const fieldNames = FIELDS.flatMap((f) => [f.name, ...f.aliases]);
  const keywordNames = KEYWORDS.flatMap((k) => [k.name, ...k.aliases]);
  for (const names of [fieldNames, keywordNames]) {
    assert.equal(new Set(names).size, names.length, `duplicates in ${names.join(' ')}`);
    for (const n of names) assert.equal(n, n.toLowerCase());
  }
  assert.deepEqual(FIELD_NAMES, fieldNames, 'the did-you-mean candidates are every field name, in table order');
  assert.equal(fieldNamed('constructor'), undefined);
  assert.equal(keywordNamed('toString'), undefined);
});

test('every keyword and alias parses to its entry and tests what the entry tests', () => {
  for (const k of KEYWORDS) {
    for (const word of [k.name, ...k.aliases]) {
      const r = parse(word);
      assert.ok(r.ok && r.tree.t === 'keyword' && r.tree.keyword === k, word);
      const f = parseFilter(word);
      assert.ok(f.ok);
      assert.deepEqual(ROWS.map(f.predicate), ROWS.map(k.test), word);
    }
  }
  assert.deepEqual(ROWS.map(keywordNamed('control')!.test), [false, false, true, true, true, false, false, false, false, false, false]);
  assert.deepEqual(ROWS.map(keywordNamed('bad')!.test), [false, true, true, false, false, false, false, false, false, false, false]);
  assert.deepEqual(ROWS.map(keywordNamed('error')!.test), [false, false, false, false, false, true, false, false, false, false, false], 'error matches only the error row');
  const only = (...rows: number[]) => ROWS.map((_, i) => rows.includes(i));
  assert.deepEqual(ROWS.map(keywordNamed('held')!.test), only(6, 8), 'held: held now, edited or not');
  assert.deepEqual(ROWS.map(keywordNamed('dropped')!.test), only(7));
  assert.deepEqual(ROWS.map(keywordNamed('edited')!.test), only(8));
  assert.deepEqual(ROWS.map(keywordNamed('injected')!.test), only(9));
  assert.deepEqual(ROWS.map(keywordNamed('acted')!.test), only(6, 7, 8, 9, 10), 'acted: any action linked, even one that left no mark (held, then forwarded)');
});

test('every field example parses to a test of that field, under each alias too', () => {
  for (const f of FIELDS) {
    assert.ok(f.example.startsWith(f.name), f.example);
    for (const name of [f.name, ...f.aliases]) {
      const r = parse(exampleFor(f, name));
      assert.ok(r.ok, exampleFor(f, name));
      assert.ok('field' in r.tree && r.tree.field === f, exampleFor(f, name));
    }
  }
  assert.equal(exampleFor(fieldNamed('len')!, 'LENGTH'), 'LENGTH>100');
});

test('each field reads its value from the subject', () => {
  const read = (name: string) => {
    const f = fieldNamed(name)!;
    assert.ok('read' in f, `${name} reads the subject`);
    return ROWS.map((s) => f.read(s));
  };
  assert.deepEqual(read('from').slice(0, 6), ['client', 'server', 'client', 'server', 'server', null]);
  assert.deepEqual(read('kind').slice(0, 6), ['text', 'binary', 'ping', 'pong', 'close', null]);
  assert.deepEqual(read('opcode').slice(0, 6), [1, 2, 9, 10, 8, NaN]);
  assert.deepEqual(read('conn').slice(0, 6), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(read('len').slice(0, 6), [5, 2048, 0, 0, 2, NaN]);
  assert.deepEqual(read('code').slice(0, 6), [NaN, NaN, NaN, NaN, 1000, NaN], 'NaN where there is no close code');
  assert.deepEqual(read('violations').slice(0, 6), [0, 2, 1, 0, 0, 0]);
  assert.deepEqual(read('url'), ROWS.map((s) => s.url));
  assert.deepEqual(read('payload').slice(0, 6), ['hello', '\u0001', '', '', 'bye', 'decoding stopped'], "an error's detail is its text");
  const host = fieldNamed('host')!;
  assert.ok(host.type === 'text' && host.part);
  assert.equal(host.part('wss://u@C.test:8443/?q'), 'C.test:8443', 'host tests the host part of the URL');
});

test('the choice words say which values of kind and from they stand for', () => {
  assert.deepEqual(CHOICES.kind.words.get('control'), ['ping', 'pong', 'close']);
  assert.deepEqual(CHOICES.kind.words.get('data'), ['text', 'binary']);
  assert.deepEqual(CHOICES.direction.words.get('s2c'), ['server']);
  const kinds = parseFilter('kind:data');
  assert.ok(kinds.ok);
  assert.deepEqual(ROWS.map(kinds.predicate).slice(0, 6), [true, true, false, false, false, false]);
  // A row without a sender or kind (an error) matches neither a value nor its negation.
  for (const source of ['kind!=text', 'kind!=text,binary', 'from!=client', 'from!=client,server', 'len!=5', 'len<100']) {
    const f = parseFilter(source);
    assert.ok(f.ok);
    assert.equal(f.predicate(ROWS[5]!), false, source);
  }
});

test('the application keywords read the entries: any entry decides, rows without entries never match', () => {
  const request: KeptAppEntry = { protocol: 'socket.io', type: 'event', name: 'join', id: 1 };
  const answered: KeptAppEntry = { ...request, id: 2, [ANSWERED]: true };
  const reply: AppEntry = { protocol: 'socket.io', type: 'ack', name: 'join', id: 1, pair: 4, latencyMs: 3 };
  const beat: AppEntry = { protocol: 'engine.io', type: 'ping', heartbeat: true };
  const plain: AppEntry = { protocol: 'socket.io', type: 'event', name: 'chat' };
  const rows = [[request], [answered], [reply], [beat], [plain], [plain, answered, beat]].map((app): FilterSubject => ({ ...ROWS[0]!, app }));
  const matching = (word: string) => rows.map(keywordNamed(word)!.test);
  assert.deepEqual(matching('request'), [true, true, false, false, false, true]);
  assert.deepEqual(matching('reply'), [false, false, true, false, false, false]);
  assert.deepEqual(matching('unanswered'), [true, false, false, false, false, false]);
  assert.deepEqual(matching('heartbeat'), [false, false, false, true, false, true]);
  for (const word of ['request', 'reply', 'unanswered', 'heartbeat']) assert.ok(ROWS.every((s) => !keywordNamed(word)!.test(s)), word);
});

test('the entry fields read each entry, and json the JSON values of a row', () => {
  const e: AppEntry = { protocol: 'mqtt', type: 'publish', name: 'home/temp', id: 7, pair: 2, latencyMs: 1.5 };
  const entry = (name: string) => {
    const f = fieldNamed(name)!;
    assert.ok('entry' in f, `${name} reads entries`);
    return [f.entry(e), f.entry({ protocol: 'cbor' })];
  };
  assert.deepEqual(entry('proto'), ['mqtt', 'cbor']);
  assert.deepEqual(entry('name'), ['home/temp', undefined]);
  assert.deepEqual(entry('id'), [7, undefined]);
  assert.deepEqual(entry('latency'), [1.5, undefined]);
  const proto = fieldNamed('proto')!;
  assert.ok(proto.type === 'entry-is' && proto.choices);
  assert.deepEqual(proto.choices.words, APP_PROTOCOL_NAMES, 'proto takes the protocol names');

  const json = fieldNamed('json')!;
  assert.ok(json.type === 'json');
  assert.deepEqual(ROWS.map((s) => json.read(s).length), ROWS.map(() => 0), 'no JSON, no entries: nothing to walk');
  const value = { a: 1 };
  const args = [{ room: 'a' }, 'b'];
  const s: FilterSubject = { ...ROWS[0]!, payloadJson: () => ({ p: 1 }), app: [{ protocol: 'socket.io', type: 'event', name: 'x', args }, { protocol: 'msgpack', value }, { protocol: 'engine.io', heartbeat: true }] };
  assert.deepEqual(json.read(s), [{ p: 1 }, { room: 'a' }, 'b', { a: 1 }], 'the payload, then per entry its value and each argument');
});
