import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppProtocol } from '../core/app/app-decoder.js';
import { ANSWERED, type AppEntry, type KeptAppEntry } from '../core/app/app-entry.js';
import { AppLayer, SNIFF_MESSAGES } from '../core/app/app-layer.js';
import { Exchanges } from '../core/app/exchanges.js';
import type { HandshakeRecord, LogRecord, MessageRecord } from '../core/log/records.js';
import { SessionStore } from '../core/store/session-store.js';
import { conversation, handshakeRecord, type Conversation } from './support/app-records.js';
import type { Side } from '../core/websocket/events.js';

// A toy protocol: text `REQ <id> <name>` asks, `RES <id>` answers; anything else it can't read.
// It is chosen by the subprotocol `toy`, by URLs under /toy, or sniffed from a message starting `REQ `.
const made: string[] = [];
const TOY: AppProtocol = {
  name: 'json-rpc',
  subprotocols: ['toy'],
  matchesUrl: (url) => url.pathname.startsWith('/toy'),
  sniff: (m) => m.text?.startsWith('REQ ') === true,
  create(context) {
    made.push(`${context.url} ${context.subprotocol}`);
    const exchanges = new Exchanges();
    return {
      decode(m) {
        if (m.kind !== 'text') return null;
        const [verb, id, name] = (m.text ?? '').split(' ');
        if (verb === 'THROW') throw new Error('boom');
        if (verb === 'REQ' && id) {
          const e: AppEntry = { protocol: 'json-rpc', type: 'request', name: name!, id };
          exchanges.request(id, m, e);
          return [e];
        }
        if (verb === 'RES' && id) {
          const e: AppEntry = { protocol: 'json-rpc', type: 'response', id };
          exchanges.answer(id, m, e);
          return [e];
        }
        return [{ protocol: 'json-rpc', error: `not toy: ${m.text}` }];
      },
    };
  },
};

// One clock for every record of the file, each a ms after the one before; seq counts per connection.
let clock = 1000;
function handshake(conn: number, url: string, protocol: string | null = null): HandshakeRecord {
  return { ...handshakeRecord(url, protocol, conn), ts: ++clock };
}
const conversations = new Map<number, Conversation>();
function text(conn: number, from: Side, t: string): MessageRecord {
  let c = conversations.get(conn);
  if (c === undefined) conversations.set(conn, (c = conversation({ conn, ts: () => ++clock })));
  return c(from, t);
}
function run(layer: AppLayer, records: LogRecord[]): MessageRecord[] {
  for (const r of records) layer.see(r);
  return records.filter((r): r is MessageRecord => r.type === 'message');
}
const layer = (forced?: (conn: number, url: string | null) => string | null) => new AppLayer({ protocols: [TOY], forced });

test('the subprotocol chooses the protocol, before the URL', () => {
  made.length = 0;
  const [m] = run(layer(), [handshake(1, 'ws://h/other', 'TOY'), text(1, 'client', 'REQ 1 add')]);
  assert.deepEqual(m!.app, [{ protocol: 'json-rpc', type: 'request', name: 'add', id: '1' }]);
  assert.deepEqual(made, ['ws://h/other TOY'], 'the decoder knows the URL and the subprotocol as sent');
});

test('the URL chooses the protocol when the subprotocol does not', () => {
  const [m] = run(layer(), [handshake(2, 'ws://h/toy/x?a=1'), text(2, 'client', 'HELLO')]);
  assert.deepEqual(m!.app, [{ protocol: 'json-rpc', error: 'not toy: HELLO' }], 'a protocol chosen by URL says what it cannot read');
});

test('a reply gets its pair, latency and the request\'s name; the request is marked answered, in memory only', () => {
  const req = text(3, 'client', 'REQ 7 sum');
  const res = text(3, 'server', 'RES 7');
  run(layer(), [handshake(3, 'ws://h/toy'), req, res]);
  const reply = res.app![0]!;
  assert.equal(reply.pair, req.seq);
  assert.equal(reply.latencyMs, res.ts - req.ts);
  assert.equal(reply.name, 'sum');
  assert.equal((req.app![0] as KeptAppEntry)[ANSWERED], true);
  assert.ok(!JSON.stringify(req.app).includes('answered'), 'the mark is never written');
});

test('a sniffed protocol is chosen from the message that shows it, and the messages before keep no app', () => {
  const before = text(4, 'client', 'hello');
  const req = text(4, 'client', 'REQ 1 x');
  run(layer(), [handshake(4, 'ws://h/'), before, req]);
  assert.equal(before.app, undefined);
  assert.equal(req.app?.[0]?.type, 'request');
});

test('a sniffed guess that meets a message it cannot read leaves the connection raw, the earlier entries kept', () => {
  const req = text(5, 'client', 'REQ 1 x');
  const odd = text(5, 'server', 'something else');
  const later = text(5, 'client', 'REQ 2 y');
  run(layer(), [handshake(5, 'ws://h/'), req, odd, later]);
  assert.equal(req.app?.length, 1);
  assert.equal(odd.app, undefined, 'no error entry on a wrong guess: the message is just raw');
  assert.equal(later.app, undefined, 'raw from there on');
  assert.equal(odd.text, 'something else', 'the raw payload is untouched');
});

test('a message cut short by --max-payload proves a sniffed guess neither wrong nor right: it gets its error, the protocol stays', () => {
  const req = text(15, 'client', 'REQ 1 x');
  const cut = { ...text(15, 'server', 'RES'), truncated: true };
  const later = text(15, 'client', 'REQ 2 y');
  run(layer(), [handshake(15, 'ws://h/'), req, cut, later]);
  assert.deepEqual(cut.app, [{ protocol: 'json-rpc', error: 'not toy: RES' }]);
  assert.equal(later.app?.[0]?.name, 'y');
});

test(`sniffing gives up after ${SNIFF_MESSAGES} data messages; control messages don't count`, () => {
  const records: LogRecord[] = [handshake(6, 'ws://h/')];
  for (let i = 0; i < SNIFF_MESSAGES; i++) records.push(text(6, 'client', `plain ${i}`), { ...text(6, 'server', ''), kind: 'ping', text: undefined, base64: '' });
  const late = text(6, 'client', 'REQ 1 x');
  run(layer(), [...records, late]);
  assert.equal(late.app, undefined);
  const early = text(7, 'client', 'REQ 1 x');
  const pings = Array.from({ length: SNIFF_MESSAGES + 5 }, () => ({ ...text(7, 'server', ''), kind: 'ping' as const, text: undefined, base64: '' }));
  const plain = Array.from({ length: SNIFF_MESSAGES - 1 }, (_, i) => text(7, 'client', `plain ${i}`));
  run(layer(), [handshake(7, 'ws://h/'), ...pings, ...plain, early]);
  assert.equal(early.app?.[0]?.type, 'request', 'the last of the first data messages may still show the protocol');
});

test('--protocol forces a protocol, or raw, whatever the connection says', () => {
  const forced = text(8, 'client', 'HELLO');
  run(layer((conn) => (conn === 8 ? 'json-rpc' : 'raw')), [handshake(8, 'ws://h/'), forced]);
  assert.equal(forced.app?.[0]?.error, 'not toy: HELLO');
  const raw = text(9, 'client', 'REQ 1 x');
  run(layer((conn) => (conn === 8 ? 'json-rpc' : 'raw')), [handshake(9, 'ws://h/toy', 'toy'), raw]);
  assert.equal(raw.app, undefined);
});

test('a connection whose handshake was never seen is still sniffed (a log that starts mid-connection)', () => {
  const m = text(10, 'client', 'REQ 3 z');
  run(layer(), [m]);
  assert.equal(m.app?.[0]?.name, 'z');
});

test('a decoder that throws costs its connection the decoding, not the record: an error entry, then raw', () => {
  const bad = text(11, 'client', 'THROW');
  const next = text(11, 'client', 'REQ 1 a');
  run(layer(), [handshake(11, 'ws://h/', 'toy'), bad, next]);
  assert.deepEqual(bad.app, [{ protocol: 'json-rpc', error: 'decoder failed: boom' }]);
  assert.equal(next.app, undefined);
});

test('a record that comes with app (from a file) keeps it, and its replies still mark it answered', () => {
  const req = { ...text(12, 'client', 'REQ 1 a'), app: [{ protocol: 'mqtt', type: 'subscribe', id: 4 }] as AppEntry[] };
  const res = { ...text(12, 'server', 'RES 1'), app: [{ protocol: 'mqtt', type: 'suback', id: 4, pair: req.seq }] as AppEntry[] };
  run(layer(), [handshake(12, 'ws://h/', 'toy'), req, res]);
  assert.deepEqual(JSON.parse(JSON.stringify(req.app)), [{ protocol: 'mqtt', type: 'subscribe', id: 4 }]);
  assert.equal((req.app[0] as KeptAppEntry)[ANSWERED], true);
});

test('the session store runs its layer before any consumer sees a message', () => {
  const store = new SessionStore(layer());
  const seen: Array<AppEntry[] | undefined> = [];
  store.subscribe(({ record }) => {
    if (record.type === 'message') seen.push(record.app);
  });
  store.add(handshake(13, 'ws://h/', 'toy'));
  store.add(text(13, 'client', 'REQ 1 a'));
  assert.equal(seen[0]?.[0]?.type, 'request');
});

test('a connection\'s state is forgotten at its end: a reused id starts afresh', () => {
  const l = layer();
  run(l, [handshake(14, 'ws://h/', 'toy'), text(14, 'client', 'REQ 1 a'), { type: 'end', conn: 14, ts: ++clock, by: 'client', code: 1000, clean: true, bytes: { client: 0, server: 0 }, frames: { client: 0, server: 0 }, durationMs: 1, reason: null }]);
  const m = text(14, 'client', 'hello');
  run(l, [handshake(14, 'ws://h/'), m]);
  assert.equal(m.app, undefined);
});
