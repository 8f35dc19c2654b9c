import { test } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import fc from 'fast-check';
import { messageTypeNames, ProtobufSchema } from '../core/app/formats/protobuf-schema.js';
import { FormatError } from '../core/app/formats/json-safe.js';

const { root } = protobuf.parse(`
  syntax = "proto3";
  package chat;
  enum Kind { TEXT = 0; IMAGE = 1; }
  message Request { string room = 1; int64 since = 2; message Filter { repeated string words = 1; } Filter filter = 3; }
  message Message { string text = 1; uint64 id = 2; bytes image = 3; Kind kind = 4; double score = 5; map<string, int32> votes = 6; }
  service Chat { rpc Get (Request) returns (Message); }
`);

test('the file\'s message types are listed fully qualified, nested ones too', () => {
  assert.deepEqual(messageTypeNames(root), ['chat.Request', 'chat.Request.Filter', 'chat.Message']);
});

test('each direction is read with its own type, by field name as Protobuf\'s JSON mapping writes values', () => {
  const schema = new ProtobufSchema({ root, types: { client: 'chat.Request', server: '.chat.Message' } });
  const Request = root.lookupType('chat.Request');
  const Message = root.lookupType('chat.Message');
  const req = Request.encode(Request.fromObject({ room: 'lobby', since: '9007199254740993', filter: { words: ['a', 'b'] } })).finish();
  const msg = Message.encode(Message.fromObject({ text: 'hi', id: 7, image: new Uint8Array([1, 2]), kind: 'IMAGE', score: Infinity, votes: { x: 2 } })).finish();
  assert.deepEqual(schema.decode('client', req), { room: 'lobby', since: '9007199254740993', filter: { words: ['a', 'b'] } });
  assert.deepEqual(schema.decode('server', msg), { text: 'hi', id: '7', image: 'AQI=', kind: 'IMAGE', score: 'Infinity', votes: { x: 2 } });
  assert.equal(schema.typeName('server'), 'chat.Message');
});

test('one type given alone reads both directions', () => {
  const schema = new ProtobufSchema({ root, types: { server: 'chat.Message' } });
  assert.equal(schema.typeName('client'), 'chat.Message');
  assert.equal(schema.typeName('server'), 'chat.Message');
});

test('an unknown type name, or none, is an error at construction that lists the file\'s types', () => {
  assert.throws(() => new ProtobufSchema({ root, types: { client: 'Message' } }), { message: 'no message type "Message" in the .proto (it defines chat.Request, chat.Request.Filter, chat.Message)' });
  assert.throws(() => new ProtobufSchema({ root, types: { client: 'chat.Kind' } }), /no message type "chat.Kind"/);
  assert.throws(() => new ProtobufSchema({ root, types: {} }), /name the message type to read \(it defines chat.Request/);
});

test('bytes that are not a message of the type are a FormatError naming the type', () => {
  const schema = new ProtobufSchema({ root, types: { client: 'chat.Request' } });
  assert.throws(() => schema.decode('client', Uint8Array.from([0x0a, 0x05, 0x61])), (err: unknown) => err instanceof FormatError && /^not a chat.Request: /.test(err.message));
});

test('random bytes decode or throw a FormatError, nothing else', () => {
  const schema = new ProtobufSchema({ root, types: { client: 'chat.Request', server: 'chat.Message' } });
  fc.assert(
    fc.property(fc.boolean(), fc.uint8Array({ maxLength: 64 }), (client, bytes) => {
      try {
        JSON.stringify(schema.decode(client ? 'client' : 'server', bytes));
      } catch (err) {
        assert.ok(err instanceof FormatError, String(err));
      }
    }),
    { numRuns: 500 },
  );
});
