import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketServer, type WebSocket } from 'ws';
import { encode as msgpackEncode, decode as msgpackDecode } from '@msgpack/msgpack';
import { HttpTransportType, HubConnectionBuilder, LogLevel, Subject, type IHubProtocol } from '@microsoft/signalr';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import fc from 'fast-check';
import { SIGNALR } from '../core/app/signalr.js';
import type { AppEntry } from '../core/app/app-entry.js';
import type { MessageRecord } from '../core/log/records.js';
import { conversation, readApp } from './support/app-records.js';
import { isType, Records, reverseProxy } from './support/proxy-records.js';
import { HOST } from './support/raw-peers.js';
import { within } from './support/wait.js';

const RS = '\x1e';

/** Runs `messages` (one connection, no handshake record) through a layer that sniffs SignalR; returns each one's entries as the log writes them. */
function entriesOf(messages: MessageRecord[]): (AppEntry[] | undefined)[] {
  return readApp(messages, { protocols: [SIGNALR] }).map((m) => (m.app === undefined ? undefined : JSON.parse(JSON.stringify(m.app))));
}

/** A MessagePack hub message: its VarInt length, then the body (HubProtocol.md, "Binary encoding"). */
function framed(...messages: unknown[]): Uint8Array {
  const parts: number[] = [];
  for (const v of messages) {
    const body = msgpackEncode(v);
    let n = body.length;
    do {
      parts.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
      n >>>= 7;
    } while (n > 0);
    parts.push(...body);
  }
  return Uint8Array.from(parts);
}

test('a JSON handshake is sniffed from the client\'s first message and its response pairs with it', () => {
  const m = conversation();
  const [req, res] = entriesOf([m('client', `{"protocol":"json","version":1}${RS}`), m('server', `{}${RS}`)]);
  assert.deepEqual(req, [{ protocol: 'signalr', type: 'handshake', value: { protocol: 'json', version: 1 } }]);
  assert.deepEqual(res, [{ protocol: 'signalr', type: 'handshake', value: {}, pair: 1, latencyMs: 10 }]);
});

test('several JSON records in one message are one entry each, split on 0x1E', () => {
  const m = conversation();
  const [, , both] = entriesOf([
    m('client', `{"protocol":"json","version":1}${RS}`),
    m('server', `{}${RS}`),
    m('server', `{"type":6}${RS}{"type":1,"target":"news","arguments":["a",2]}${RS}`),
  ]);
  assert.deepEqual(both, [
    { protocol: 'signalr', type: 'ping', heartbeat: true },
    { protocol: 'signalr', type: 'invocation', name: 'news', args: ['a', 2] },
  ]);
});

test('an invocation with an invocationId is answered by its completion, which carries the target', () => {
  const m = conversation();
  const e = entriesOf([
    m('client', `{"protocol":"json","version":1}${RS}`),
    m('server', `{}${RS}`),
    m('client', `{"type":1,"invocationId":"7","target":"Add","arguments":[1,2]}${RS}`),
    m('server', `{"type":3,"invocationId":"7","result":3}${RS}`),
    m('client', `{"type":1,"invocationId":"8","target":"Fail","arguments":[]}${RS}`),
    m('server', `{"type":3,"invocationId":"8","error":"It didn't work!"}${RS}`),
  ]);
  assert.deepEqual(e[2], [{ protocol: 'signalr', type: 'invocation', name: 'Add', id: '7', args: [1, 2] }]);
  assert.deepEqual(e[3], [{ protocol: 'signalr', type: 'completion', name: 'Add', id: '7', value: 3, pair: 3, latencyMs: 10 }]);
  assert.deepEqual(e[5], [{ protocol: 'signalr', type: 'completion', name: 'Fail', id: '8', value: { error: "It didn't work!" }, pair: 5, latencyMs: 10 }]);
});

test('a stream invocation\'s items reply to it and its completion ends it with the count and duration', () => {
  const m = conversation();
  const e = entriesOf([
    m('client', `{"protocol":"json","version":1}${RS}`),
    m('server', `{}${RS}`),
    m('client', `{"type":4,"invocationId":"1","target":"Counter","arguments":[2]}${RS}`),
    m('server', `{"type":2,"invocationId":"1","item":0}${RS}{"type":2,"invocationId":"1","item":1}${RS}`),
    m('server', `{"type":3,"invocationId":"1"}${RS}`),
  ]);
  assert.deepEqual(e[3], [
    { protocol: 'signalr', type: 'stream_item', name: 'Counter', id: '1', value: 0, pair: 3, latencyMs: 10 },
    { protocol: 'signalr', type: 'stream_item', name: 'Counter', id: '1', value: 1, pair: 3, latencyMs: 10 },
  ]);
  assert.deepEqual(e[4], [{ protocol: 'signalr', type: 'completion', name: 'Counter', id: '1', pair: 3, latencyMs: 20, count: 2, durationMs: 20 }]);
});

test('a cancel ends the caller\'s stream invocation and the completion after it answers the cancel', () => {
  const m = conversation();
  const e = entriesOf([
    m('client', `{"protocol":"json","version":1}${RS}`),
    m('server', `{}${RS}`),
    m('client', `{"type":4,"invocationId":"1","target":"Counter","arguments":[9]}${RS}`),
    m('server', `{"type":2,"invocationId":"1","item":0}${RS}`),
    m('client', `{"type":5,"invocationId":"1"}${RS}`),
    m('server', `{"type":3,"invocationId":"1"}${RS}`),
  ]);
  assert.deepEqual(e[4], [{ protocol: 'signalr', type: 'cancel_invocation', name: 'Counter', id: '1', pair: 3, latencyMs: 20, count: 1, durationMs: 20 }]);
  assert.deepEqual(e[5], [{ protocol: 'signalr', type: 'completion', name: 'Counter', id: '1', pair: 5, latencyMs: 10 }]);
});

test('an upload stream\'s items and completion from the caller point at the invocation that named the stream', () => {
  const m = conversation();
  const e = entriesOf([
    m('client', `{"protocol":"json","version":1}${RS}`),
    m('server', `{}${RS}`),
    m('client', `{"type":1,"invocationId":"0","target":"Sum","arguments":[],"streamIds":["1"]}${RS}`),
    m('client', `{"type":2,"invocationId":"1","item":5}${RS}`),
    m('client', `{"type":3,"invocationId":"1"}${RS}`),
    m('server', `{"type":3,"invocationId":"0","result":5}${RS}`),
  ]);
  assert.deepEqual(e[3], [{ protocol: 'signalr', type: 'stream_item', name: 'Sum', id: '1', value: 5, pair: 3, latencyMs: 10 }]);
  assert.deepEqual(e[4], [{ protocol: 'signalr', type: 'completion', name: 'Sum', id: '1', pair: 3, latencyMs: 20, count: 1, durationMs: 20 }]);
  assert.deepEqual(e[5], [{ protocol: 'signalr', type: 'completion', name: 'Sum', id: '0', value: 5, pair: 3, latencyMs: 30 }]);
});

test('ids are per caller: a server invocation with the id of a client one is answered by the client\'s completion', () => {
  const m = conversation();
  const e = entriesOf([
    m('client', `{"protocol":"json","version":1}${RS}`),
    m('server', `{}${RS}`),
    m('client', `{"type":1,"invocationId":"0","target":"Slow","arguments":[]}${RS}`),
    m('server', `{"type":1,"invocationId":"0","target":"ask","arguments":[]}${RS}`),
    m('client', `{"type":3,"invocationId":"0","result":42}${RS}`),
    m('server', `{"type":3,"invocationId":"0","result":"done"}${RS}`),
  ]);
  assert.deepEqual(e[4], [{ protocol: 'signalr', type: 'completion', name: 'ask', id: '0', value: 42, pair: 4, latencyMs: 10 }]);
  assert.deepEqual(e[5], [{ protocol: 'signalr', type: 'completion', name: 'Slow', id: '0', value: 'done', pair: 3, latencyMs: 30 }]);
});

test('close, ack and sequence carry what they say in value; an unknown type is kept whole', () => {
  const m = conversation();
  const e = entriesOf([
    m('client', `{"protocol":"json","version":1}${RS}`),
    m('server', `{}${RS}`),
    m('client', `{"type":8,"sequenceId":1394}${RS}{"type":9,"sequenceId":7}${RS}{"type":99,"x":1}${RS}{"type":0}${RS}`),
    m('server', `{"type":7,"error":"bye","allowReconnect":true}${RS}`),
  ]);
  assert.deepEqual(e[2], [
    { protocol: 'signalr', type: 'ack', value: 1394 },
    { protocol: 'signalr', type: 'sequence', value: 7 },
    { protocol: 'signalr', type: 'unknown', value: { type: 99, x: 1 } },
    { protocol: 'signalr', type: 'unknown', value: { type: 0 } },
  ]);
  assert.deepEqual(e[3], [{ protocol: 'signalr', type: 'close', value: { error: 'bye', allowReconnect: true } }]);
});

test('a failed handshake\'s response carries its error in value', () => {
  const m = conversation();
  const [, res] = entriesOf([m('client', `{"protocol":"messagepack","version":1}${RS}`), m('server', `{"error":"Requested protocol 'messagepack' is not available."}${RS}`)]);
  assert.deepEqual(res, [{ protocol: 'signalr', type: 'handshake', value: { error: "Requested protocol 'messagepack' is not available." }, pair: 1, latencyMs: 10 }]);
});

test('only a handshake request of a known protocol is sniffed', () => {
  const m = conversation();
  assert.equal(SIGNALR.sniff!(m('client', `{"protocol":"json","version":1}${RS}`)), true);
  assert.equal(SIGNALR.sniff!(m('client', `{"protocol":"blazorpack","version":1}${RS}`)), true);
  assert.equal(SIGNALR.sniff!(m('client', `{"protocol":"xml","version":1}${RS}`)), false);
  assert.equal(SIGNALR.sniff!(m('client', '{"protocol":"json","version":1}')), false);
  assert.equal(SIGNALR.sniff!(m('server', `{"protocol":"json","version":1}${RS}`)), false);
  assert.equal(SIGNALR.sniff!(m('client', `{"type":6}${RS}`)), false);
});

test('a record without its 0x1E makes the message unreadable, and a sniffed connection raw from there on', () => {
  const m = conversation();
  const e = entriesOf([
    m('client', `{"protocol":"json","version":1}${RS}`),
    m('server', `{}${RS}`),
    m('server', '{"type":6}'),
    m('server', `{"type":6}${RS}`),
  ]);
  assert.equal(e[2], undefined);
  assert.equal(e[3], undefined);
  const forced = SIGNALR.create({ url: null, subprotocol: null });
  assert.deepEqual(forced.decode(m('server', '{"type":6}')), [{ protocol: 'signalr', error: 'a JSON record without its 0x1E separator' }]);
});

test('a truncated message gives its whole records and no error for the cut one', () => {
  const m = conversation();
  const decoder = SIGNALR.create({ url: null, subprotocol: null });
  assert.deepEqual(decoder.decode(m('server', `{"type":6}${RS}{"type":1,"tar`, { truncated: true, length: 1000 })), [{ protocol: 'signalr', type: 'ping', heartbeat: true }]);
});

test('after a messagepack handshake, binary messages are length-prefixed MessagePack arrays (the spec\'s example bytes)', () => {
  const m = conversation();
  // HubProtocol.md's examples: an invocation of "method" with id "xyz", its non-void completion; and a ping.
  const invocation = Uint8Array.from([0x11, 0x96, 0x01, 0x80, 0xa3, 0x78, 0x79, 0x7a, 0xa6, 0x6d, 0x65, 0x74, 0x68, 0x6f, 0x64, 0x91, 0x2a, 0x90]);
  const completion = Uint8Array.from([0x09, 0x95, 0x03, 0x80, 0xa3, 0x78, 0x79, 0x7a, 0x03, 0x2a, 0x02, 0x91, 0x06]);
  const e = entriesOf([
    m('client', `{"protocol":"messagepack","version":1}${RS}`),
    m('server', Buffer.concat([Buffer.from(`{}${RS}`), framed([6])])),
    m('client', invocation),
    m('server', completion),
  ]);
  assert.deepEqual(e[1], [
    { protocol: 'signalr', type: 'handshake', value: {}, pair: 1, latencyMs: 10 },
    { protocol: 'signalr', type: 'ping', heartbeat: true },
  ]);
  assert.deepEqual(e[2], [{ protocol: 'signalr', type: 'invocation', name: 'method', id: 'xyz', args: [42] }]);
  assert.deepEqual(e[3], [
    { protocol: 'signalr', type: 'completion', name: 'method', id: 'xyz', value: 42, pair: 3, latencyMs: 10 },
    { protocol: 'signalr', type: 'ping', heartbeat: true },
  ]);
});

test('MessagePack completions: error, void; close with its error; binary arguments as base64', () => {
  const m = conversation();
  const e = entriesOf([
    m('client', `{"protocol":"messagepack","version":1}${RS}`),
    m('server', `{}${RS}`),
    m('client', framed([1, {}, '1', 'Put', [new Uint8Array([1, 2, 3])], []], [1, {}, '2', 'Nop', []])),
    m('server', framed([3, {}, '1', 1, 'boom'], [3, {}, '2', 2], [7, 'bye', true])),
  ]);
  assert.deepEqual(e[2], [
    { protocol: 'signalr', type: 'invocation', name: 'Put', id: '1', args: [{ base64: 'AQID' }] },
    { protocol: 'signalr', type: 'invocation', name: 'Nop', id: '2', args: [] },
  ]);
  assert.deepEqual(e[3], [
    { protocol: 'signalr', type: 'completion', name: 'Put', id: '1', value: { error: 'boom' }, pair: 3, latencyMs: 10 },
    { protocol: 'signalr', type: 'completion', name: 'Nop', id: '2', pair: 3, latencyMs: 10 },
    { protocol: 'signalr', type: 'close', value: { error: 'bye', allowReconnect: true } },
  ]);
});

test('a MessagePack message that is no hub message array, or cut short, or with a bad length prefix, is unreadable', () => {
  const m = conversation();
  const decoder = SIGNALR.create({ url: null, subprotocol: null });
  assert.deepEqual(decoder.decode(m('server', framed({ type: 1 }))), [{ protocol: 'signalr', error: 'not a hub message: no array with a numeric type' }]);
  assert.deepEqual(decoder.decode(m('server', Uint8Array.from([0x05, 0x91, 0x06]))), [{ protocol: 'signalr', error: 'an incomplete length-prefixed MessagePack message' }]);
  assert.deepEqual(decoder.decode(m('server', Uint8Array.from([0x02, 0x91, 0x06, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))), [
    { protocol: 'signalr', type: 'ping', heartbeat: true },
    { protocol: 'signalr', error: 'a length prefix longer than 5 bytes or above 2^31 - 1' },
  ]);
});

test('random and truncated payloads never throw and leave the raw payload as it was', () => {
  const handshake = `{"protocol":"json","version":1}${RS}`;
  const packHandshake = `{"protocol":"messagepack","version":1}${RS}`;
  const piece = fc.oneof(
    fc.constantFrom('{"type":1,"invocationId":"1","target":"a","arguments":[]}', '{"type":2,"invocationId":"1","item":{}}', '{"type":3,"invocationId":"1"}', '{"type":6}', '{}', RS, '{"type":4', '[1]'),
    fc.string({ maxLength: 12 }),
  );
  fc.assert(
    fc.property(fc.boolean(), fc.array(fc.tuple(fc.boolean(), fc.boolean(), fc.oneof(fc.array(piece, { maxLength: 4 }).map((p) => p.join('')), fc.uint8Array({ maxLength: 40 }))), { maxLength: 8 }), (pack, messages) => {
      const m = conversation();
      const all = [m('client', pack ? packHandshake : handshake), ...messages.map(([fromClient, truncated, p]) => m(fromClient ? 'client' : 'server', p, { truncated }))];
      const before = all.map((r) => r.text ?? r.base64);
      const decoder = SIGNALR.create({ url: null, subprotocol: null });
      for (const r of all) decoder.decode(r);
      readApp(all, { protocols: [SIGNALR] });
      assert.deepEqual(all.map((r) => r.text ?? r.base64), before);
    }),
    { numRuns: 300 },
  );
});

/** A hub over `ws` speaking the documented protocol: Add, Fail, Notify (answered by a server invocation), Ask (client results), Counter (a stream), Sum (an upload stream). */
function startHub(): Promise<{ port: number; server: WebSocketServer; asked: Promise<unknown> }> {
  let gotAnswer!: (v: unknown) => void;
  const asked = new Promise<unknown>((r) => (gotAnswer = r));
  const server = new WebSocketServer({ host: HOST, port: 0 });
  server.on('connection', (ws: WebSocket) => {
    let pack = false;
    let handshaken = false;
    const uploads = new Map<string, { invocationId: string; sum: number }>();
    const send = (msg: Record<string, unknown> | unknown[]) => {
      if (pack) ws.send(framed(msg));
      else ws.send(JSON.stringify(msg) + RS);
    };
    const completion = (invocationId: string, result?: unknown, error?: string) => {
      if (pack) send(error !== undefined ? [3, {}, invocationId, 1, error] : result === undefined ? [3, {}, invocationId, 2] : [3, {}, invocationId, 3, result]);
      else send(error !== undefined ? { type: 3, invocationId, error } : result === undefined ? { type: 3, invocationId } : { type: 3, invocationId, result });
    };
    const invoke = (target: string, args: unknown[], invocationId?: string) =>
      send(pack ? [1, {}, invocationId ?? null, target, args] : { type: 1, ...(invocationId ? { invocationId } : {}), target, arguments: args });
    const handle = (msg: { type: number; invocationId?: string; target?: string; arguments?: unknown[]; streamIds?: string[]; item?: unknown; result?: unknown }) => {
      const id = msg.invocationId;
      switch (msg.type) {
        case 1:
          if (msg.target === 'Add') completion(id!, (msg.arguments![0] as number) + (msg.arguments![1] as number));
          else if (msg.target === 'Fail') completion(id!, undefined, 'It did not work');
          else if (msg.target === 'Notify') invoke('notified', msg.arguments!);
          else if (msg.target === 'Ask') invoke('ask', ['question'], 's1');
          else if (msg.target === 'Sum') uploads.set(msg.streamIds![0]!, { invocationId: id!, sum: 0 });
          break;
        case 4:
          for (let i = 0; i < (msg.arguments![0] as number); i++) send(pack ? [2, {}, id, i] : { type: 2, invocationId: id, item: i });
          completion(id!);
          break;
        case 2:
          uploads.get(id!)!.sum += msg.item as number;
          break;
        case 3:
          if (id === 's1') gotAnswer(msg.result);
          else if (uploads.has(id!)) completion(uploads.get(id!)!.invocationId, uploads.get(id!)!.sum);
          break;
      }
    };
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!handshaken) {
        handshaken = true;
        pack = JSON.parse(data.toString().split(RS)[0]!).protocol === 'messagepack';
        // The response: JSON, in a binary frame before MessagePack (as ASP.NET Core sends it), then a ping.
        if (pack) ws.send(Buffer.concat([Buffer.from(`{}${RS}`), framed([6])]));
        else ws.send(`{}${RS}{"type":6}${RS}`);
        return;
      }
      if (!pack) {
        for (const r of data.toString().split(RS).filter((s) => s !== '')) handle(JSON.parse(r));
        return;
      }
      assert.ok(isBinary);
      let at = 0;
      while (at < data.length) {
        let n = 0;
        let shift = 0;
        let b: number;
        do {
          b = data[at++]!;
          n |= (b & 0x7f) << shift;
          shift += 7;
        } while (b & 0x80);
        const a = msgpackDecode(data.subarray(at, at + n)) as unknown[];
        at += n;
        const [type] = a as [number];
        if (type === 1 || type === 4) handle({ type, invocationId: (a[2] as string | null) ?? undefined, target: a[3] as string, arguments: a[4] as unknown[], streamIds: a[5] as string[] });
        else if (type === 2) handle({ type, invocationId: a[2] as string, item: a[3] });
        else if (type === 3) handle({ type, invocationId: a[2] as string, result: a[4] });
      }
    });
  });
  return new Promise((resolve) => server.on('listening', () => resolve({ port: (server.address() as { port: number }).port, server, asked })));
}

/** Drives the real client through every kind of exchange the hub knows; returns the entries of the connection. */
async function exchangeThroughProxy(t: { after(fn: () => Promise<void> | void): void }, protocol?: IHubProtocol): Promise<AppEntry[]> {
  const hub = await startHub();
  t.after(() => new Promise<void>((r) => hub.server.close(() => r())));
  const records = new Records();
  const proxy = await reverseProxy(records, hub.port);
  t.after(() => proxy.close());
  let builder = new HubConnectionBuilder()
    .withUrl(`http://${HOST}:${proxy.port}/chat`, { transport: HttpTransportType.WebSockets, skipNegotiation: true })
    .configureLogging(LogLevel.None);
  if (protocol) builder = builder.withHubProtocol(protocol);
  const connection = builder.build();
  t.after(() => connection.stop());
  const notified = new Promise<unknown[]>((r) => connection.on('notified', (...args: unknown[]) => r(args)));
  connection.on('ask', () => 42);

  await within(connection.start(), 'the SignalR client connects');
  assert.equal(await within(connection.invoke('Add', 40, 2), 'Add'), 42);
  await assert.rejects(within(connection.invoke('Fail'), 'Fail'), /It did not work/);
  await connection.send('Notify', 'hello', new Uint8Array([1, 2]));
  await within(notified, 'the server invocation');
  await connection.send('Ask');
  assert.equal(await within(hub.asked, 'the client result'), 42);
  const items: number[] = [];
  await within(new Promise<void>((resolve, reject) => connection.stream('Counter', 3).subscribe({ next: (i: number) => items.push(i), complete: resolve, error: reject })), 'Counter');
  assert.deepEqual(items, [0, 1, 2]);
  const upload = new Subject<number>();
  const sum = connection.invoke('Sum', upload);
  upload.next(4);
  upload.next(5);
  upload.complete();
  assert.equal(await within(sum, 'Sum'), 9);
  await within(connection.stop(), 'the client stops');
  await records.waitFor('the end record', isType('end'));
  return readApp(records.all).flatMap((m) => m.app ?? []);
}

/** The entries the hub and client above exchange, whatever the encoding. */
function assertExchanges(entries: AppEntry[], protocol: string, bytes: unknown): void {
  const of = (type: string, name?: string) => entries.filter((e) => e.type === type && (name === undefined || e.name === name));
  const [request, response] = of('handshake');
  assert.deepEqual(request?.value, { protocol, version: 1 });
  assert.ok(response?.pair !== undefined, 'the handshake response pairs with the request');
  assert.ok(of('ping').length >= 1 && of('ping').every((e) => e.heartbeat === true));
  const [add] = of('invocation', 'Add');
  assert.deepEqual(add?.args, [40, 2]);
  assert.equal(of('completion', 'Add')[0]?.value, 42);
  assert.deepEqual(of('completion', 'Fail')[0]?.value, { error: 'It did not work' });
  assert.deepEqual(of('invocation', 'Notify')[0]?.args, ['hello', bytes]);
  assert.equal(of('invocation', 'Notify')[0]?.id, undefined);
  assert.deepEqual(of('invocation', 'notified')[0]?.args, ['hello', bytes]);
  const ask = of('invocation', 'ask')[0];
  assert.equal(ask?.id, 's1');
  const answer = of('completion', 'ask')[0];
  assert.equal(answer?.value, 42);
  assert.equal(answer?.id, 's1');
  const counter = of('stream_invocation', 'Counter')[0];
  assert.ok(counter?.id !== undefined);
  const items = of('stream_item', 'Counter');
  assert.deepEqual(items.map((e) => e.value), [0, 1, 2]);
  const done = of('completion', 'Counter')[0];
  assert.equal(done?.count, 3);
  assert.ok(done?.pair !== undefined && items.every((e) => e.pair === done.pair));
  assert.deepEqual(of('stream_item', 'Sum').map((e) => e.value), [4, 5]);
  const sums = of('completion', 'Sum');
  assert.deepEqual(sums.map((e) => e.value), [undefined, 9], 'the upload stream\'s end, then the invocation\'s result');
  assert.deepEqual(of('close').at(-1), { protocol: 'signalr', type: 'close' }, 'the client says goodbye as it stops');
  assert.ok(entries.every((e) => e.error === undefined && e.protocol === 'signalr'));
}

test('live: the real SignalR client\'s JSON hub protocol through the proxy', async (t) => {
  const entries = await exchangeThroughProxy(t);
  // JSON has no binary: the JS client writes a Uint8Array as an object of its indices.
  assertExchanges(entries, 'json', { 0: 1, 1: 2 });
});

test('live: the real SignalR client\'s MessagePack hub protocol through the proxy', async (t) => {
  const entries = await exchangeThroughProxy(t, new MessagePackHubProtocol());
  assertExchanges(entries, 'messagepack', { base64: 'AQI=' });
});
