import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { WebSocket, WebSocketServer } from 'ws';
import { execute, subscribe } from 'graphql';
import { SubscriptionClient, SubscriptionServer } from 'subscriptions-transport-ws';
import type { AppEntry } from '../core/app/app-entry.js';
import { GRAPHQL_WS } from '../core/app/graphql-ws.js';
import { conversation, readApp } from './support/app-records.js';
import { schema } from './support/graphql-schema.js';
import { isType, Records, reverseProxy } from './support/proxy-records.js';
import { HOST } from './support/raw-peers.js';
import { waitUntil, within } from './support/wait.js';

/** Message records of connection 1, one numbering for the whole file, 1 ms apart. */
const message = conversation({ ts: (seq) => seq });

test('start pairs with its data and complete; connection_ack with connection_init; ka is a heartbeat', () => {
  const d = GRAPHQL_WS.create({ url: null, subprotocol: 'graphql-ws' });
  const init = message('client', '{"type":"connection_init","payload":{}}');
  // As SubscriptionClient sends it: ids are counters as strings.
  const start = message('client', '{"id":"1","type":"start","payload":{"query":"query Greet { hello }","variables":{}}}');
  assert.deepEqual(d.decode(init), [{ protocol: 'graphql-ws', type: 'connection_init', value: {} }]);
  assert.deepEqual(d.decode(start), [{ protocol: 'graphql-ws', type: 'start', name: 'Greet', id: '1', value: {}, operation: 'query' }]);
  assert.deepEqual(d.decode(message('server', '{"type":"connection_ack"}')), [{ protocol: 'graphql-ws', type: 'connection_ack', pair: init.seq, latencyMs: 2 }]);
  assert.deepEqual(d.decode(message('server', '{"type":"ka"}')), [{ protocol: 'graphql-ws', type: 'ka', heartbeat: true }]);
  assert.deepEqual(d.decode(message('server', '{"id":"1","type":"data","payload":{"data":{"hello":"hi"}}}')), [
    { protocol: 'graphql-ws', type: 'data', name: 'Greet', id: '1', pair: start.seq, latencyMs: 3, value: { data: { hello: 'hi' } }, operation: 'query' },
  ]);
  assert.deepEqual(d.decode(message('server', '{"id":"1","type":"complete"}')), [
    { protocol: 'graphql-ws', type: 'complete', name: 'Greet', id: '1', pair: start.seq, latencyMs: 4, operation: 'query', count: 1, durationMs: 4 },
  ]);
});

test('connection_error answers connection_init; stop ends a subscription from the client\'s side', () => {
  const d = GRAPHQL_WS.create({ url: null, subprotocol: 'graphql-ws' });
  const init = message('client', '{"type":"connection_init"}');
  d.decode(init);
  const refused = d.decode(message('server', '{"type":"connection_error","payload":{"message":"Prohibited connection!"}}'))![0]!;
  assert.equal(refused.pair, init.seq);
  assert.deepEqual(refused.value, { message: 'Prohibited connection!' });
  const start = message('client', '{"id":"2","type":"start","payload":{"query":"subscription { ticks }"}}');
  d.decode(start);
  const stop = d.decode(message('client', '{"id":"2","type":"stop"}'))![0]!;
  assert.equal(stop.pair, start.seq);
  assert.equal(stop.count, 0);
  assert.equal(stop.operation, 'subscription');
  assert.deepEqual(d.decode(message('server', '{"id":"2","type":"complete"}')), [{ protocol: 'graphql-ws', type: 'complete' }], 'a late complete finds nothing open');
});

test('a type of the protocol\'s older dialect is kept as sent, without an exchange', () => {
  const d = GRAPHQL_WS.create({ url: null, subprotocol: 'graphql-ws' });
  assert.deepEqual(d.decode(message('server', '{"id":"1","type":"subscription_success"}')), [{ protocol: 'graphql-ws', type: 'subscription_success' }]);
});

test('live: subscriptions-transport-ws client and server through the proxy: operations, pairs, counts, keep-alives', async (t) => {
  const wss = new WebSocketServer({ host: HOST, port: 0 });
  await once(wss, 'listening');
  const server = SubscriptionServer.create({ schema, execute, subscribe, keepAlive: 30 }, wss);
  const records = new Records();
  const proxy = await reverseProxy(records, (wss.address() as { port: number }).port);
  const client = new SubscriptionClient(`ws://${HOST}:${proxy.port}/graphql`, { reconnect: false, connectionParams: { token: 't' } }, WebSocket);
  t.after(async () => {
    client.close();
    await proxy.close();
    server.close();
  });
  const run = (query: string, variables?: Record<string, unknown>): Promise<unknown[]> => within(new Promise<unknown[]>((resolve, reject) => {
    const results: unknown[] = [];
    client.request({ query, variables }).subscribe({ next: (r) => results.push(r), error: reject, complete: () => resolve(results) });
  }), query);
  await run('query Greet($n: String) { hello(name: $n) }', { n: 'you' });
  await run('mutation { add(a: 2, b: 3) }');
  assert.equal((await run('subscription Counter { count(to: 3) }')).length, 3);
  await assert.rejects(run('subscription Boom { boom }'));
  await within(new Promise<void>((resolve) => {
    const sub = client.request({ query: 'subscription Ticks { ticks }' }).subscribe({ next: () => { sub.unsubscribe(); resolve(); } });
  }), 'ticks');
  await waitUntil('a keep-alive', () => records.all.some((r) => r.type === 'message' && r.text === '{"type":"ka"}'));
  client.close();
  await records.waitFor('the end', isType('end'));
  const entries = readApp(records.all).flatMap((m) => (m.app ?? []).map((e) => ({ ...e, from: m.from, seq: m.seq })));
  const bySeq = new Map(entries.map((e) => [e.seq, e]));
  for (const e of entries.filter((x) => x.pair !== undefined)) {
    assert.equal(bySeq.get(e.pair!)!.id, e.id, `${e.type} at ${e.seq} points at its operation`);
  }
  const beats = entries.filter((e) => e.heartbeat);
  assert.ok(beats.length >= 1);
  assert.ok(beats.every((e) => e.type === 'ka' && e.from === 'server'));
  // The server may answer connection_init after the first start: the client does not wait for it.
  const story = entries.filter((e) => !e.heartbeat).map((e) => [e.from, e.type, e.name, e.operation, e.count].filter((x) => x !== undefined).join(' '));
  const ack = story.indexOf('server connection_ack');
  assert.ok(ack > 0);
  story.splice(ack, 1);
  assert.deepEqual(story, [
    'client connection_init',
    'client start Greet query', 'server data Greet query', 'server complete Greet query 1',
    'client start mutation', 'server data mutation', 'server complete mutation 1',
    'client start Counter subscription', 'server data Counter subscription', 'server data Counter subscription', 'server data Counter subscription',
    'server complete Counter subscription 3',
    'client start Boom subscription', 'server data Boom subscription', 'server error Boom subscription 1',
    'client start Ticks subscription', 'server data Ticks subscription', 'client stop Ticks subscription 1',
    'client connection_terminate',
  ]);
  const acked: AppEntry = entries.find((e) => e.type === 'connection_ack')!;
  assert.equal(acked.pair, entries.find((e) => e.type === 'connection_init')!.seq);
  assert.deepEqual(entries.find((e) => e.type === 'connection_init')!.value, { token: 't' });
  assert.deepEqual(entries.find((e) => e.type === 'error')!.value, { name: 'Error', message: 'boom' });
});
