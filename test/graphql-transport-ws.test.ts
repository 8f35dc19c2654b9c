import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { WebSocket, WebSocketServer } from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { AppEntry } from '../core/app/app-entry.js';
import { GRAPHQL_TRANSPORT_WS } from '../core/app/graphql-transport-ws.js';
import type { MessageRecord } from '../core/log/records.js';
import { conversation, readApp } from './support/app-records.js';
import { schema } from './support/graphql-schema.js';
import { isType, Records, reverseProxy } from './support/proxy-records.js';
import { HOST } from './support/raw-peers.js';
import { waitUntil, within } from './support/wait.js';

/** Message records of connection 1, one numbering for the whole file, 1 ms apart unless a test gives `ts`. */
const message = conversation({ ts: (seq) => seq });
const close = message.close;

test('a subscription pairs its nexts and complete with the subscribe, which carries its name, operation and id', () => {
  const d = GRAPHQL_TRANSPORT_WS.create({ url: null, subprotocol: 'graphql-transport-ws' });
  const init = message('client', '{"type":"connection_init","payload":{"token":"t"}}', { ts: 10 });
  const ack = message('server', '{"type":"connection_ack"}', { ts: 11 });
  // As graphql-ws's client sends it (JSON.stringify of its SubscribeMessage).
  const sub = message('client', JSON.stringify({ id: 'a1', type: 'subscribe', payload: { query: 'subscription Counter($to: Int!) { count(to: $to) }', variables: { to: 2 } } }), { ts: 20 });
  const n1 = message('server', '{"id":"a1","type":"next","payload":{"data":{"count":1}}}', { ts: 25 });
  const n2 = message('server', '{"id":"a1","type":"next","payload":{"data":{"count":2}}}', { ts: 30 });
  const done = message('server', '{"id":"a1","type":"complete"}', { ts: 32.5 });
  assert.deepEqual(d.decode(init), [{ protocol: 'graphql-transport-ws', type: 'connection_init', value: { token: 't' } }]);
  assert.deepEqual(d.decode(ack), [{ protocol: 'graphql-transport-ws', type: 'connection_ack', pair: init.seq, latencyMs: 1 }]);
  assert.deepEqual(d.decode(sub), [{ protocol: 'graphql-transport-ws', type: 'subscribe', name: 'Counter', id: 'a1', value: { to: 2 }, operation: 'subscription' }]);
  assert.deepEqual(d.decode(n1), [{ protocol: 'graphql-transport-ws', type: 'next', name: 'Counter', id: 'a1', pair: sub.seq, latencyMs: 5, value: { data: { count: 1 } }, operation: 'subscription' }]);
  assert.deepEqual(d.decode(n2)?.[0]?.pair, sub.seq);
  assert.deepEqual(d.decode(done), [{ protocol: 'graphql-transport-ws', type: 'complete', name: 'Counter', id: 'a1', pair: sub.seq, latencyMs: 12.5, operation: 'subscription', count: 2, durationMs: 12.5 }]);
});

test('operationName names the operation and picks its type out of a document with several', () => {
  const d = GRAPHQL_TRANSPORT_WS.create({ url: null, subprotocol: null });
  const doc = 'query First { hello } mutation Second { add(a: 1, b: 2) }';
  const [e] = d.decode(message('client', JSON.stringify({ id: '1', type: 'subscribe', payload: { query: doc, operationName: 'Second' } })))!;
  assert.equal(e!.name, 'Second');
  assert.equal(e!.operation, 'mutation');
  const [shorthand] = d.decode(message('client', JSON.stringify({ id: '2', type: 'subscribe', payload: { query: '{ hello }' } })))!;
  assert.equal(shorthand!.name, undefined);
  assert.equal(shorthand!.operation, 'query');
});

test('an error ends the operation; the client\'s complete ends a subscription from its side', () => {
  const d = GRAPHQL_TRANSPORT_WS.create({ url: null, subprotocol: null });
  const s1 = message('client', '{"id":"1","type":"subscribe","payload":{"query":"subscription Boom { boom }"}}');
  d.decode(s1);
  const err = d.decode(message('server', '{"id":"1","type":"error","payload":[{"message":"boom"}]}'))![0]!;
  assert.equal(err.type, 'error');
  assert.equal(err.pair, s1.seq);
  assert.equal(err.count, 0);
  assert.deepEqual(err.value, [{ message: 'boom' }]);
  assert.equal(err.error, undefined, 'a GraphQL error is content, not an unreadable message');
  const s2 = message('client', '{"id":"2","type":"subscribe","payload":{"query":"subscription { ticks }"}}');
  d.decode(s2);
  d.decode(message('server', '{"id":"2","type":"next","payload":{"data":{"ticks":1}}}'));
  const stop = d.decode(message('client', '{"id":"2","type":"complete"}'))![0]!;
  assert.equal(stop.pair, s2.seq);
  assert.equal(stop.count, 1);
  assert.equal(stop.operation, 'subscription');
});

test('a result for an operation never seen starting has no id and no pair', () => {
  const d = GRAPHQL_TRANSPORT_WS.create({ url: null, subprotocol: null });
  assert.deepEqual(d.decode(message('server', '{"id":"9","type":"next","payload":{"data":null}}')), [{ protocol: 'graphql-transport-ws', type: 'next', value: { data: null } }]);
  assert.deepEqual(d.decode(message('server', '{"id":"9","type":"complete"}')), [{ protocol: 'graphql-transport-ws', type: 'complete' }]);
});

test('ping and pong are heartbeats; a pong pairs with the other side\'s ping, an unsolicited one with nothing', () => {
  const d = GRAPHQL_TRANSPORT_WS.create({ url: null, subprotocol: null });
  const ping = message('server', '{"type":"ping"}');
  assert.deepEqual(d.decode(ping), [{ protocol: 'graphql-transport-ws', type: 'ping', heartbeat: true }]);
  assert.deepEqual(d.decode(message('client', '{"type":"pong"}')), [{ protocol: 'graphql-transport-ws', type: 'pong', pair: ping.seq, latencyMs: 1, heartbeat: true }]);
  assert.deepEqual(d.decode(message('client', '{"type":"pong","payload":{"at":1}}')), [{ protocol: 'graphql-transport-ws', type: 'pong', heartbeat: true, value: { at: 1 } }]);
});

test('the first close with one of the protocol\'s codes is explained, not its echo; a normal close means nothing here', () => {
  const d = GRAPHQL_TRANSPORT_WS.create({ url: null, subprotocol: null });
  assert.deepEqual(d.decode(close('server', 4401, 'Unauthorized')), [{ protocol: 'graphql-transport-ws', type: 'close', error: 'Unauthorized: an operation was subscribed before the server acknowledged the connection' }]);
  assert.equal(d.decode(close('client', 4401, 'Unauthorized')), null, 'the client echoes the code');
  const other = GRAPHQL_TRANSPORT_WS.create({ url: null, subprotocol: null });
  assert.match(other.decode(close('server', 4409, 'Subscriber for 1 already exists'))![0]!.error!, /^Subscriber already exists/);
  const normal = GRAPHQL_TRANSPORT_WS.create({ url: null, subprotocol: null });
  assert.equal(normal.decode(close('client', 1000, 'Normal Closure')), null);
});

test('text that is not a message of the protocol is unreadable, with the reason', () => {
  const d = GRAPHQL_TRANSPORT_WS.create({ url: null, subprotocol: null });
  assert.deepEqual(d.decode(message('client', 'hello')), [{ protocol: 'graphql-transport-ws', error: 'not JSON' }]);
  assert.deepEqual(d.decode(message('client', '[{"type":"ping"}]')), [{ protocol: 'graphql-transport-ws', error: 'not a message: a JSON object with a "type" is expected' }]);
});

/** The app entries of connection `conn`'s messages, with who sent each and their message's seq. */
function entriesOf(messages: MessageRecord[], conn: number): Array<AppEntry & { from: string; seq: number }> {
  return messages
    .filter((m) => m.conn === conn)
    .flatMap((m) => (m.app ?? []).map((e) => ({ ...e, from: m.from, seq: m.seq })));
}

test('live: graphql-ws client and server through the proxy: operations, pairs, counts, heartbeats and the close codes', async (t) => {
  const wss = new WebSocketServer({ host: HOST, port: 0 });
  await once(wss, 'listening');
  const server = useServer({ schema }, wss);
  const records = new Records();
  const proxy = await reverseProxy(records, (wss.address() as { port: number }).port);
  let client: Client | undefined;
  let raw: WebSocket | undefined;
  t.after(async () => {
    raw?.terminate();
    await client?.dispose();
    await proxy.close();
    await server.dispose();
  });
  client = createClient({ url: `ws://${HOST}:${proxy.port}/graphql`, webSocketImpl: WebSocket, keepAlive: 30, retryAttempts: 0, lazy: false });
  const run = <T>(query: string, variables?: Record<string, unknown>): Promise<T[]> => within(new Promise<T[]>((resolve, reject) => {
    const results: T[] = [];
    client!.subscribe<T>({ query, variables }, { next: (r) => results.push(r as T), error: reject, complete: () => resolve(results) });
  }), query);
  await run('query Greet($n: String) { hello(name: $n) }', { n: 'you' });
  await run('mutation { add(a: 2, b: 3) }');
  assert.equal((await run('subscription Counter { count(to: 3) }')).length, 3);
  await assert.rejects(run('subscription Boom { boom }'));
  await within(new Promise<void>((resolve, reject) => {
    const stop = client!.subscribe({ query: 'subscription Ticks { ticks }' }, { next: () => { stop(); resolve(); }, error: reject, complete: () => {} });
  }), 'ticks');
  await waitUntil('a pong', () => records.all.some((r) => r.type === 'message' && r.text === '{"type":"pong"}'));
  // A subscribe before connection_init: the server closes with 4401.
  raw = new WebSocket(`ws://${HOST}:${proxy.port}/graphql`, 'graphql-transport-ws');
  await once(raw, 'open');
  raw.send(JSON.stringify({ id: 'x', type: 'subscribe', payload: { query: '{ hello }' } }));
  const [code] = (await within(once(raw, 'close'), 'the 4401 close')) as [number];
  assert.equal(code, 4401);

  await records.waitFor('the rejected connection\'s end', isType('end'));
  const messages = readApp(records.all);
  const conns = [...new Set(messages.map((m) => m.conn))];
  assert.equal(conns.length, 2);
  const entries = entriesOf(messages, conns[0]!);
  const bySeq = new Map(entries.map((e) => [e.seq, e]));
  for (const e of entries.filter((x) => x.pair !== undefined)) {
    const request = bySeq.get(e.pair!);
    assert.ok(request, `${e.type} at ${e.seq} points at a message with an entry`);
    if (e.id !== undefined) assert.equal(request.id, e.id, `${e.type} at ${e.seq} points at its operation`);
    assert.ok(e.latencyMs! >= 0);
  }
  const beats = entries.filter((e) => e.heartbeat);
  assert.ok(beats.some((e) => e.type === 'ping' && e.from === 'client'), 'the client\'s keep-alive pings');
  assert.ok(beats.some((e) => e.type === 'pong' && e.from === 'server' && bySeq.get(e.pair!)?.type === 'ping'), 'the server\'s pong pairs with a ping');
  assert.ok(beats.every((e) => e.type === 'ping' || e.type === 'pong'));
  const story = entries.filter((e) => !e.heartbeat).map((e) => [e.from, e.type, e.name, e.operation, e.count].filter((x) => x !== undefined).join(' '));
  assert.deepEqual(story, [
    'client connection_init',
    'server connection_ack',
    'client subscribe Greet query', 'server next Greet query', 'server complete Greet query 1',
    'client subscribe mutation', 'server next mutation', 'server complete mutation 1',
    'client subscribe Counter subscription', 'server next Counter subscription', 'server next Counter subscription', 'server next Counter subscription',
    'server complete Counter subscription 3',
    'client subscribe Boom subscription', 'server next Boom subscription', 'server error Boom subscription 1',
    'client subscribe Ticks subscription', 'server next Ticks subscription', 'client complete Ticks subscription 1',
  ]);
  assert.deepEqual(entries.find((e) => e.name === 'Greet')!.value, { n: 'you' });
  assert.deepEqual(entries.find((e) => e.type === 'error')!.value, [{ message: 'boom' }]);
  assert.equal(entries.find((e) => e.type === 'connection_ack')!.pair, entries.find((e) => e.type === 'connection_init')!.seq);

  const rejected = entriesOf(messages, conns[1]!).map(({ seq: _, ...e }) => e);
  assert.deepEqual(rejected, [
    { protocol: 'graphql-transport-ws', type: 'subscribe', id: 'x', operation: 'query', from: 'client' },
    { protocol: 'graphql-transport-ws', type: 'close', error: 'Unauthorized: an operation was subscribed before the server acknowledged the connection', from: 'server' },
  ]);
});
