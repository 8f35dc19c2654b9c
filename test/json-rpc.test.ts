import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import fc from 'fast-check';
import { WebSocket, WebSocketServer } from 'ws';
import { JSONRPCClient, JSONRPCErrorException, JSONRPCServer, JSONRPCServerAndClient } from 'json-rpc-2.0';
import { isJsonRpcMessage, JSON_RPC } from '../core/app/json-rpc.js';
import type { AppEntry } from '../core/app/app-entry.js';
import type { MessageRecord } from '../core/log/records.js';
import { conversation, handshakeRecord, readApp } from './support/app-records.js';
import { isType, Records, reverseProxy } from './support/proxy-records.js';
import { HOST } from './support/raw-peers.js';
import { waitUntil, within } from './support/wait.js';

/** Message records of connection 1, one numbering for the whole file, 1 ms apart. */
const message = conversation({ ts: (seq) => seq });
/** The handshake of connection `conn` to ws://h/rpc that chose `protocol`. */
const handshake = (conn: number, protocol: string | null) => handshakeRecord('ws://h/rpc', protocol, conn);

test('a response pairs with its request by id and carries its method; a notification has no id', () => {
  const d = JSON_RPC.create({ url: null, subprotocol: null });
  const req = message('client', '{"jsonrpc":"2.0","id":1,"method":"subtract","params":[42,23]}');
  assert.deepEqual(d.decode(req), [{ protocol: 'json-rpc', type: 'request', name: 'subtract', id: 1, value: [42, 23] }]);
  assert.deepEqual(d.decode(message('client', '{"jsonrpc":"2.0","method":"update","params":[1,2,3]}')), [{ protocol: 'json-rpc', type: 'notification', name: 'update', value: [1, 2, 3] }]);
  assert.deepEqual(d.decode(message('server', '{"jsonrpc":"2.0","result":19,"id":1}')), [{ protocol: 'json-rpc', type: 'response', name: 'subtract', id: 1, pair: req.seq, latencyMs: 2, value: 19 }]);
});

test('an error response is type error with the error object in value, paired like a result', () => {
  const d = JSON_RPC.create({ url: null, subprotocol: null });
  const req = message('client', '{"jsonrpc":"2.0","method":"foobar","id":"1"}');
  d.decode(req);
  assert.deepEqual(d.decode(message('server', '{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":"1"}')), [
    { protocol: 'json-rpc', type: 'error', name: 'foobar', id: '1', pair: req.seq, latencyMs: 1, value: { code: -32601, message: 'Method not found' } },
  ]);
  assert.deepEqual(d.decode(message('server', '{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}')), [
    { protocol: 'json-rpc', type: 'error', value: { code: -32700, message: 'Parse error' } },
  ], 'an error about a request the server could not read pairs with nothing');
});

test('a batch has one entry per element, and a batch response pairs each element by id, in any order', () => {
  const d = JSON_RPC.create({ url: null, subprotocol: null });
  // The specification's batch example (§7).
  const batch = message('client', `[
    {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
    {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
    {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
    {"foo": "boo"},
    {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
  ]`);
  const sent = d.decode(batch)!;
  assert.deepEqual(sent.map((e) => e.type ?? `! ${e.error}`), ['request', 'notification', 'request', '! not a JSON-RPC 2.0 request or response', 'request']);
  const replies = d.decode(message('server', `[
    {"jsonrpc": "2.0", "result": ["hello", 5], "id": "9"},
    {"jsonrpc": "2.0", "result": 7, "id": "1"},
    {"jsonrpc": "2.0", "result": 19, "id": "2"},
    {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}
  ]`))!;
  assert.deepEqual(replies.map((e) => [e.type, e.name, e.id, e.pair]), [
    ['response', 'get_data', '9', batch.seq], ['response', 'sum', '1', batch.seq], ['response', 'subtract', '2', batch.seq], ['error', undefined, undefined, undefined],
  ]);
});

test('requests from both sides with the same id pair with the right one; 1 and "1" are different ids', () => {
  const d = JSON_RPC.create({ url: null, subprotocol: null });
  const fromClient = message('client', '{"jsonrpc":"2.0","id":1,"method":"add"}');
  const fromServer = message('server', '{"jsonrpc":"2.0","id":1,"method":"whoami"}');
  d.decode(fromClient);
  d.decode(fromServer);
  assert.deepEqual(d.decode(message('server', '{"jsonrpc":"2.0","id":"1","result":0}'))![0]!.pair, undefined, 'the string "1" answers nothing');
  const clientAnswer = d.decode(message('client', '{"jsonrpc":"2.0","id":1,"result":"me"}'))![0]!;
  assert.equal(clientAnswer.pair, fromServer.seq);
  assert.equal(clientAnswer.name, 'whoami');
  const serverAnswer = d.decode(message('server', '{"jsonrpc":"2.0","id":1,"result":3}'))![0]!;
  assert.equal(serverAnswer.pair, fromClient.seq);
  assert.equal(serverAnswer.name, 'add');
  assert.deepEqual(d.decode(message('server', '{"jsonrpc":"2.0","id":1,"result":3}')), [{ protocol: 'json-rpc', type: 'response', value: 3 }], 'a second response finds nothing open and has no id');
});

test('what is not JSON-RPC 2.0 is unreadable, with the reason; control messages carry nothing', () => {
  const d = JSON_RPC.create({ url: null, subprotocol: null });
  assert.deepEqual(d.decode(message('client', 'hello')), [{ protocol: 'json-rpc', error: 'not JSON' }]);
  assert.deepEqual(d.decode(message('client', '[]')), [{ protocol: 'json-rpc', error: 'an empty batch' }]);
  assert.deepEqual(d.decode(message('client', '{"jsonrpc":"1.0","method":"x","id":1}')), [{ protocol: 'json-rpc', error: 'not a JSON-RPC 2.0 request or response' }]);
  assert.deepEqual(d.decode(message('server', '{"jsonrpc":"2.0","id":1}')), [{ protocol: 'json-rpc', error: 'not a JSON-RPC 2.0 request or response' }]);
  const truncated = { ...message('server', '{"jsonrpc":"2.0","id":1,"res'), truncated: true, length: 5000 };
  assert.deepEqual(d.decode(truncated), [{ protocol: 'json-rpc', error: 'truncated: only the first bytes of 5000 were kept' }]);
  const ping: MessageRecord = { ...message('client', ''), kind: 'ping', text: undefined, base64: '' };
  assert.equal(d.decode(ping), null);
});

test('a JSON-RPC message is recognised by "jsonrpc": "2.0" on every element, and nothing less', () => {
  assert.equal(isJsonRpcMessage(message('client', ' {"jsonrpc":"2.0","method":"eth_subscribe","params":["newHeads"],"id":1}')), true);
  assert.equal(isJsonRpcMessage(message('client', '[{"jsonrpc":"2.0","method":"a","id":1},{"jsonrpc":"2.0","method":"b"}]')), true);
  assert.equal(isJsonRpcMessage(message('client', '[{"jsonrpc":"2.0","method":"a","id":1},{"method":"b"}]')), false);
  assert.equal(isJsonRpcMessage(message('client', '[]')), false);
  assert.equal(isJsonRpcMessage(message('client', '{"jsonrpc":"1.0","method":"a"}')), false);
  assert.equal(isJsonRpcMessage(message('client', '{"type":"chat","text":"say \\"jsonrpc\\""}')), false);
  assert.equal(isJsonRpcMessage(message('client', '"jsonrpc"')), false);
  assert.equal(isJsonRpcMessage({ ...message('client', '{"jsonrpc":"2.0","method":"a"'), truncated: true }), false);
});

test('a connection is read as JSON-RPC from its first JSON-RPC message, or by its subprotocol; a wrong guess falls back to raw', () => {
  const sniffed = [handshake(1, null), { ...message('client', '{"jsonrpc":"2.0","method":"hi"}'), conn: 1 }, { ...message('server', 'plain text'), conn: 1 }];
  const [first, second] = readApp(sniffed);
  assert.deepEqual(first!.app, [{ protocol: 'json-rpc', type: 'notification', name: 'hi' }]);
  assert.equal(second!.app, undefined, 'the guess was wrong: the rest is raw');
  assert.equal(second!.text, 'plain text');
  const named = readApp([handshake(2, 'jsonrpc'), { ...message('server', 'plain text'), conn: 2 }]);
  assert.deepEqual(named[0]!.app, [{ protocol: 'json-rpc', error: 'not JSON' }], 'chosen by subprotocol, an unreadable message says so');
  const forced = readApp([handshake(3, null), { ...message('client', '{"id":1}'), conn: 3 }], { forced: () => 'json-rpc' });
  assert.deepEqual(forced[0]!.app, [{ protocol: 'json-rpc', error: 'not a JSON-RPC 2.0 request or response' }]);
});

test('random and truncated payloads never throw and leave the record\'s payload as it was', () => {
  const element = fc.oneof(
    fc.record({ jsonrpc: fc.constantFrom('2.0', '1.0'), id: fc.oneof(fc.integer(), fc.string(), fc.constant(null)), method: fc.string() }, { requiredKeys: ['jsonrpc'] }),
    fc.record({ jsonrpc: fc.constant('2.0'), id: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constant(null)), result: fc.jsonValue(), error: fc.jsonValue() }, { requiredKeys: ['jsonrpc'] }),
    fc.jsonValue(),
  );
  const text = fc.oneof(fc.string(), element.map((e) => JSON.stringify(e)), fc.array(element).map((a) => JSON.stringify(a)));
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom('client', 'server') as fc.Arbitrary<'client' | 'server'>, text, fc.nat()), { maxLength: 8 }), (msgs) => {
      const d = JSON_RPC.create({ url: null, subprotocol: null });
      for (const [from, t, cut] of msgs) {
        const truncated = cut % 3 === 0;
        const kept = truncated ? t.slice(0, cut % (t.length + 1)) : t;
        const m: MessageRecord = { ...message(from, kept), truncated, length: t.length };
        const before = JSON.stringify(m);
        const entries = d.decode(m);
        assert.equal(JSON.stringify(m), before);
        for (const e of entries ?? []) assert.ok(e.type !== undefined || e.error !== undefined);
        isJsonRpcMessage(m);
      }
    }),
    { numRuns: 300 },
  );
});

test('live: json-rpc-2.0 peers through the proxy: requests both ways, notifications, an error and a batch', async (t) => {
  const wss = new WebSocketServer({ host: HOST, port: 0 });
  await once(wss, 'listening');
  const peerOf = (ws: WebSocket): JSONRPCServerAndClient => {
    const peer = new JSONRPCServerAndClient(new JSONRPCServer({ errorListener: () => {} }), new JSONRPCClient((payload) => {
      ws.send(JSON.stringify(payload));
    }));
    ws.on('message', (data) => void peer.receiveAndSend(JSON.parse(String(data))));
    return peer;
  };
  let server: JSONRPCServerAndClient | undefined;
  const logged: unknown[] = [];
  wss.on('connection', (ws) => {
    server = peerOf(ws);
    server.addMethod('add', ({ a, b }: { a: number; b: number }) => a + b);
    server.addMethod('fail', () => {
      throw new JSONRPCErrorException('nope', 4000);
    });
    server.addMethod('log', (params: unknown) => void logged.push(params));
  });
  const records = new Records();
  const proxy = await reverseProxy(records, (wss.address() as { port: number }).port);
  const ws = new WebSocket(`ws://${HOST}:${proxy.port}/rpc`);
  t.after(async () => {
    ws.terminate();
    await proxy.close();
    await new Promise((r) => wss.close(r));
  });
  await within(once(ws, 'open'), 'open');
  const client = peerOf(ws);
  client.addMethod('whoami', () => 'the client');
  assert.equal(await within(Promise.resolve(client.request('add', { a: 1, b: 2 })), 'add'), 3);
  await assert.rejects(within(Promise.resolve(client.request('fail', {})), 'fail'));
  client.notify('log', { line: 1 });
  await waitUntil('the notification', () => logged.length === 1);
  assert.equal(await within(Promise.resolve(server!.request('whoami', {})), 'whoami'), 'the client');
  const batch = await within(Promise.resolve(client.requestAdvanced([
    { jsonrpc: '2.0', id: 10, method: 'add', params: { a: 1, b: 1 } },
    { jsonrpc: '2.0', id: 11, method: 'add', params: { a: 2, b: 2 } },
  ])), 'batch');
  assert.equal(batch.length, 2);
  ws.close();
  await records.waitFor('the end', isType('end'));

  const entries = readApp(records.all).flatMap((m) => (m.app ?? []).map((e): AppEntry & { from: string; seq: number } => ({ ...e, from: m.from, seq: m.seq })));
  const bySeq = new Map(entries.map((e) => [e.seq, e]));
  assert.deepEqual(entries.map((e) => [e.from, e.type, e.name, e.id]), [
    ['client', 'request', 'add', 1], ['server', 'response', 'add', 1],
    ['client', 'request', 'fail', 2], ['server', 'error', 'fail', 2],
    ['client', 'notification', 'log', undefined],
    ['server', 'request', 'whoami', 1], ['client', 'response', 'whoami', 1],
    ['client', 'request', 'add', 10], ['client', 'request', 'add', 11], ['server', 'response', 'add', 10], ['server', 'response', 'add', 11],
  ]);
  for (const e of entries.filter((x) => x.type === 'response' || x.type === 'error')) {
    const request = bySeq.get(e.pair!);
    assert.ok(request && request.from !== e.from && request.type === 'request', `the ${e.name} reply points at a request from the other side`);
    assert.ok(e.latencyMs! >= 0);
  }
  assert.equal(entries[1]!.value, 3);
  assert.deepEqual(entries[3]!.value, { code: 4000, message: 'nope' });
  assert.deepEqual(entries[4]!.value, { line: 1 });
  assert.equal(entries[7]!.seq, entries[8]!.seq, 'a batch is one message');
});
