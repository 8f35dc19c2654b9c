import { test } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import { protobufTypes } from '../core/app/formats/protobuf-schema.js';
import type { MessageRecord } from '../core/log/records.js';
import { ProtobufChoice } from '../tui/protobuf-choice.js';
import { lineText } from '../tui/styled-text.js';

const root = protobuf.parse('syntax = "proto3"; package chat; message Say { string room = 1; int64 at = 2; } message Ack { bool ok = 1; }').root;
const say = (from: 'client' | 'server', bytes: number[]): MessageRecord => ({
  type: 'message', conn: 4, seq: 1, ts: 1, from, kind: 'binary', length: bytes.length, wireLength: bytes.length, frames: 1, compressed: false, truncated: false,
  base64: Buffer.from(bytes).toString('base64'),
});

test('P cycles a direction through the file\'s message types, then back to none; the other direction keeps its own', () => {
  const choice = new ProtobufChoice(protobufTypes(root));
  assert.equal(choice.next(4, 'client'), 'chat.Say');
  assert.equal(choice.next(4, 'client'), 'chat.Ack');
  assert.equal(choice.typeOf(4, 'server'), null);
  assert.equal(choice.next(4, 'client'), null, 'after the last: none');
  assert.equal(choice.typeOf(4, 'client'), null);
  assert.equal(choice.next(4, 'client'), 'chat.Say', 'and the first again');
});

test('the detail shows a binary message by field name, or why it is not of the type; nothing without a choice', () => {
  const choice = new ProtobufChoice(protobufTypes(root));
  const m = say('client', [0x0a, 0x01, 0x61, 0x10, 0x05]);
  assert.deepEqual(choice.detailLines(m), []);
  choice.next(4, 'client');
  assert.deepEqual(choice.detailLines(m).map(lineText), ['', 'Protobuf as chat.Say', '{', '  "room": "a",', '  "at": "5"', '}']);
  const bad = choice.detailLines(say('client', [0x0a, 0x09, 0x61]));
  assert.match(lineText(bad.at(-1)!), /^not a chat\.Say: /);
  assert.deepEqual(choice.detailLines({ ...m, kind: 'text', base64: undefined, text: 'x' }), [], 'text messages are not read as Protobuf');
});
