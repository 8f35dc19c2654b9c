import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ANSWERED, type KeptAppEntry } from '../core/app/app-entry.js';
import { errorSubject, jsonOf, messageSubject, ownMessageSubject, subjectOf } from '../core/filter/subject.js';
import type { ActionRecord, ErrorRecord, HandshakeRecord, MessageRecord, ViolationRecord } from '../core/log/records.js';
import { SessionStore, type StoredRecord } from '../core/store/session-store.js';

const HANDSHAKE: HandshakeRecord = {
  type: 'handshake', conn: 3, ts: 1, url: 'ws://127.0.0.1:3000/chat',
  request: { method: 'GET', target: '/chat', version: 'HTTP/1.1', headers: [] },
  response: { version: 'HTTP/1.1', status: 101, reason: 'Switching Protocols', headers: [] },
  ms: 1, accept: 'valid', protocol: null, extensions: [], upgraded: true,
};

function msg(fields: Partial<MessageRecord> & Pick<MessageRecord, 'kind'>): MessageRecord {
  return { type: 'message', conn: 3, seq: 1, ts: 2, from: 'server', length: 0, wireLength: 0, frames: 1, compressed: false, truncated: false, ...fields };
}
function violation(from: 'client' | 'server'): ViolationRecord {
  return { type: 'violation', conn: 3, ts: 2, from, rule: 'server-frame-masked', rfc: '6455 5.1', detail: 'x' };
}

/** Adds the records to a fresh store and returns what the listener got for `m`. */
function storedFor(m: MessageRecord, before: Array<HandshakeRecord | ViolationRecord> = [HANDSHAKE]): StoredRecord {
  const store = new SessionStore();
  let got: StoredRecord | null = null;
  store.subscribe((s) => { if (s.record === m) got = s; });
  for (const r of before) store.add(r);
  store.add(m);
  assert.ok(got);
  return got;
}

test('the subject\'s fields come from the stored message record and its connection', () => {
  const m = msg({ kind: 'binary', from: 'client', length: 70000, wireLength: 123, compressed: true, truncated: true, base64: 'AAEC' });
  const s = messageSubject(storedFor(m), m);
  const { payloadText, payloadJson, ...fields } = s;
  assert.deepEqual(fields, {
    type: 'message', conn: 3, from: 'client', kind: 'binary', opcode: 2, length: 70000, compressed: true, truncated: true,
    violations: 0, closeCode: null, url: 'ws://127.0.0.1:3000/chat', actions: null, app: null,
  });
  assert.equal(typeof payloadText, 'function');
  assert.equal(payloadJson(), undefined, 'a binary payload is no JSON');
});

test('compressed is false when unknown (null: a message read from HAR), true only when it was', () => {
  const har = msg({ kind: 'text', text: 'hi', wireLength: null, frames: null, compressed: null });
  assert.equal(messageSubject(storedFor(har), har).compressed, false);
  const deflated = msg({ kind: 'text', text: 'hi', compressed: true });
  assert.equal(messageSubject(storedFor(deflated), deflated).compressed, true);
});

test('opcode per kind', () => {
  const expected = { text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;
  for (const kind of ['text', 'binary', 'close', 'ping', 'pong'] as const) {
    const m = msg(kind === 'close' ? { kind, close: { code: 1000, reason: '' } } : kind === 'text' ? { kind, text: '' } : { kind, base64: '' });
    assert.equal(messageSubject(storedFor(m), m).opcode, expected[kind], kind);
  }
});

test('payloadText: text as is, binary and invalid text decoded lossily, close its reason', () => {
  const text = msg({ kind: 'text', text: 'héllo "world"' });
  assert.equal(messageSubject(storedFor(text), text).payloadText(), 'héllo "world"');

  const binary = msg({ kind: 'binary', base64: Buffer.from([0x68, 0x69, 0xff, 0x21]).toString('base64') });
  assert.equal(messageSubject(storedFor(binary), binary).payloadText(), 'hi\ufffd!');

  const invalidText = msg({ kind: 'text', base64: 'wyg=' }); // c3 28
  assert.equal(messageSubject(storedFor(invalidText), invalidText).payloadText(), '\ufffd(');

  const ping = msg({ kind: 'ping', base64: Buffer.from('are you there').toString('base64') });
  assert.equal(messageSubject(storedFor(ping), ping).payloadText(), 'are you there');

  const close = msg({ kind: 'close', close: { code: 4001, reason: 'going away now' } });
  const cs = messageSubject(storedFor(close), close);
  assert.equal(cs.payloadText(), 'going away now', 'the reason, without the code bytes');
  assert.equal(cs.closeCode, 4001);

  const empty = msg({ kind: 'close', close: { code: null, reason: '' } });
  const es = messageSubject(storedFor(empty), empty);
  assert.equal(es.payloadText(), '');
  assert.equal(es.closeCode, null);
});

test('violations: how many the store linked to this message', () => {
  const m = msg({ kind: 'text', from: 'server', text: 'x' });
  const stored = storedFor(m, [violation('client'), HANDSHAKE, violation('server'), violation('client'), violation('server')]);
  assert.equal(stored.violations.length, 2);
  assert.equal(messageSubject(stored, m).violations, 2, 'the server\'s two, not the handshake\'s or the client\'s');
});

test('url is null when no handshake was seen on the connection', () => {
  const m = msg({ kind: 'text', text: 'x' });
  assert.equal(messageSubject(storedFor(m, []), m).url, null);
});

test('an error\'s subject: no sender, kind or length, its detail as text, its connection\'s URL', () => {
  const e: ErrorRecord = { type: 'error', conn: 3, ts: 5, where: 'decoder', detail: 'decoding stopped: boom' };
  const store = new SessionStore();
  let got: StoredRecord | null = null;
  store.subscribe((s) => { if (s.record === e) got = s; });
  store.add(HANDSHAKE);
  store.add(e);
  const { payloadText, payloadJson, ...fields } = errorSubject(got!, { ...e, detail: '{"a":1}' });
  assert.deepEqual(fields, {
    type: 'error', conn: 3, from: null, kind: null, opcode: NaN, length: NaN, compressed: false, truncated: false,
    violations: 0, closeCode: null, url: 'ws://127.0.0.1:3000/chat', actions: null, app: null,
  });
  assert.equal(payloadText(), '{"a":1}');
  assert.equal(payloadJson(), undefined, "an error's detail is never JSON to a json path");
});

test("a message's subject carries what wspeek did to it, as the caller linked it", () => {
  const m = msg({ kind: 'text', text: 'x' });
  const marks = { held: true, dropped: false, edited: true, injected: false };
  assert.equal(messageSubject(storedFor(m), m).actions, null, 'nothing linked: nothing done');
  assert.deepEqual(messageSubject(storedFor(m), m, marks).actions, marks);
  assert.deepEqual(subjectOf(storedFor(m), m, marks).actions, marks);
});

test('a message wspeek sent itself: its direction, its kind from the payload field, its length, marked injected', () => {
  const text: ActionRecord = { type: 'action', conn: 3, ts: 5, from: 'server', to: 'client', action: 'injected', by: 'user', text: 'héllo', length: 6 };
  const store = new SessionStore();
  let got: StoredRecord | null = null;
  store.subscribe((s) => { if (s.record === text) got = s; });
  store.add(HANDSHAKE);
  store.add(text);
  const { payloadText, payloadJson, ...fields } = ownMessageSubject(got!, text);
  assert.deepEqual(fields, {
    type: 'message', conn: 3, from: 'server', kind: 'text', opcode: 1, length: 6, compressed: false, truncated: false,
    violations: 0, closeCode: null, url: 'ws://127.0.0.1:3000/chat', actions: { held: false, dropped: false, edited: false, injected: true }, app: null,
  });
  assert.equal(payloadText(), 'héllo');
  assert.equal(payloadJson(), undefined);
  assert.deepEqual(ownMessageSubject(got!, { ...text, text: '{"a":[1]}' }).payloadJson(), { a: [1] }, 'a text wspeek sent is JSON like any');
  const binary: ActionRecord = { ...text, action: 'resent', seq: 2, text: undefined, base64: Buffer.from('hi').toString('base64'), length: 2 };
  delete binary.text;
  const b = subjectOf(got!, binary);
  assert.equal(b.kind, 'binary');
  assert.equal(b.opcode, 2);
  assert.equal(b.payloadText(), 'hi');
  assert.equal(subjectOf(got!, { ...binary, base64: Buffer.from('{"a":1}').toString('base64') }).payloadJson(), undefined, 'binary is never parsed');
});

test("a message's entries are the record's own array (answered marks set later show); none: null", () => {
  const app: KeptAppEntry[] = [{ protocol: 'socket.io', type: 'event', name: 'join', id: 1 }];
  const m = msg({ kind: 'text', text: '421["join"]', app });
  const stored = storedFor(m);
  assert.equal(messageSubject(stored, m).app, app);
  app[0]![ANSWERED] = true;
  assert.equal(messageSubject(stored, m).app![0]![ANSWERED], true);
  const plain = msg({ kind: 'text', text: 'x' });
  assert.equal(messageSubject(storedFor(plain), plain).app, null);
});

test('payloadJson: a text payload that is a JSON object or array, parsed on each call; anything else undefined', () => {
  const json = (fields: Partial<MessageRecord> & Pick<MessageRecord, 'kind'>) => {
    const m = msg(fields);
    return messageSubject(storedFor(m), m).payloadJson();
  };
  assert.deepEqual(json({ kind: 'text', text: ' \n{"a":{"b":[1,"x",null]}}\t' }), { a: { b: [1, 'x', null] } });
  assert.deepEqual(json({ kind: 'text', text: '[1,2]' }), [1, 2]);
  for (const text of ['', 'hello', '42', '"s"', 'true', 'null', '{"a":', '[1,2', '{"a":1}x', '42["event",{}]']) {
    assert.equal(json({ kind: 'text', text }), undefined, text);
  }
  assert.equal(json({ kind: 'text', base64: Buffer.from('{"a":1}').toString('base64') }), undefined, 'text that was not UTF-8');
  assert.equal(json({ kind: 'ping', base64: Buffer.from('{"a":1}').toString('base64') }), undefined);
  assert.equal(json({ kind: 'close', close: { code: 1000, reason: '{"a":1}' } }), undefined);
});

test('jsonOf parses objects and arrays only, and never throws', () => {
  assert.deepEqual(jsonOf('{"__proto__":{"x":1}}'), JSON.parse('{"__proto__":{"x":1}}'));
  assert.equal(jsonOf('{'.repeat(100_000)), undefined);
  assert.equal(jsonOf('\u00a0{}'), undefined, 'JSON allows only its own whitespace');
});
