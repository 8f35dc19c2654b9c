import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CloseCode } from 'graphql-ws';
import { GRAPHQL_CLOSE_CODES } from '../core/app/graphql-over-websocket.js';
import { GRAPHQL_TRANSPORT_WS } from '../core/app/graphql-transport-ws.js';
import { GRAPHQL_WS } from '../core/app/graphql-ws.js';
import type { MessageRecord } from '../core/log/records.js';
import { conversation } from './support/app-records.js';

const message = conversation({ ts: (seq) => seq });
/**
 * A `kind` message of `payload` as the proxy logs it: `text` only for a text message whose bytes are
 * valid UTF-8, else `base64`; a truncated one was 10 bytes longer than the bytes kept.
 */
function record(from: MessageRecord['from'], kind: MessageRecord['kind'], payload: Buffer, truncated = false): MessageRecord {
  const text = payload.toString('utf8');
  const valid = kind === 'text' && Buffer.from(text, 'utf8').equals(payload);
  return message(from, valid ? text : payload, { kind, truncated, length: payload.length + (truncated ? 10 : 0), wireLength: payload.length });
}

test('every close code graphql-ws defines, and its client\'s 4499, is explained', () => {
  const codes = Object.values(CloseCode).filter((v): v is number => typeof v === 'number');
  assert.ok(codes.length >= 10);
  for (const code of [...codes, 4499]) assert.ok(GRAPHQL_CLOSE_CODES.has(code), `${code} is explained`);
  assert.equal(GRAPHQL_CLOSE_CODES.size, codes.length + 1, 'and no code it does not define');
});

test('a message in a binary frame is read as JSON text too; invalid UTF-8 text is unreadable', () => {
  const d = GRAPHQL_TRANSPORT_WS.create({ url: null, subprotocol: null });
  assert.deepEqual(d.decode(record('client', 'binary', Buffer.from('{"type":"ping"}'))), [{ protocol: 'graphql-transport-ws', type: 'ping', heartbeat: true }]);
  assert.deepEqual(d.decode(record('client', 'text', Buffer.from([0x7b, 0xff]))), [{ protocol: 'graphql-transport-ws', error: 'not valid UTF-8 text' }]);
  assert.equal(d.decode(record('client', 'ping', Buffer.alloc(0))), null);
});

test('random and truncated payloads never throw and leave the record\'s payload as it was', () => {
  const id = fc.oneof(fc.constantFrom('1', '2'), fc.integer({ min: 0, max: 2 }), fc.constant(null));
  const type = fc.constantFrom('connection_init', 'connection_ack', 'connection_error', 'ping', 'pong', 'ka', 'subscribe', 'start', 'next', 'data', 'error', 'complete', 'stop', 'other');
  const query = fc.oneof(fc.string(), fc.constantFrom('{ a }', 'query Q { a }', 'subscription S($a: Int = 1) { b }'), fc.jsonValue());
  const payload = fc.oneof(fc.record({ query, operationName: fc.oneof(fc.string(), fc.jsonValue()), variables: fc.jsonValue() }, { requiredKeys: [] }), fc.jsonValue());
  const msg = fc.record({ type: fc.oneof(type, fc.jsonValue()), id, payload }, { requiredKeys: [] }).map((m) => JSON.stringify(m));
  const bytes = fc.oneof(msg, fc.string(), fc.jsonValue().map((v) => JSON.stringify(v))).map((s) => Buffer.from(s, 'utf8'));
  const anyMessage = fc.oneof(
    fc.tuple(fc.constantFrom('text', 'binary') as fc.Arbitrary<'text' | 'binary'>, fc.oneof(bytes, fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a))), fc.nat()),
    fc.tuple(fc.constant('close' as const), fc.integer({ min: 1000, max: 4999 }), fc.nat()),
  );
  fc.assert(
    fc.property(fc.constantFrom(GRAPHQL_TRANSPORT_WS, GRAPHQL_WS), fc.array(fc.tuple(fc.constantFrom('client', 'server') as fc.Arbitrary<'client' | 'server'>, anyMessage), { maxLength: 8 }), (protocol, msgs) => {
      const d = protocol.create({ url: null, subprotocol: protocol.name });
      for (const [from, [kind, p, cut]] of msgs) {
        let m: MessageRecord;
        if (kind === 'close') {
          m = message.close(from, p, '');
        } else {
          const truncated = cut % 3 === 0;
          m = record(from, kind, truncated ? p.subarray(0, cut % (p.length + 1)) : p, truncated);
        }
        const before = JSON.stringify(m);
        const entries = d.decode(m);
        assert.equal(JSON.stringify(m), before);
        for (const e of entries ?? []) {
          assert.equal(e.protocol, protocol.name);
          assert.ok(e.type !== undefined || e.error !== undefined);
          assert.doesNotThrow(() => JSON.stringify(e));
        }
      }
    }),
    { numRuns: 300 },
  );
});
