import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type net from 'node:net';
import { WebSocketServer, type RawData } from 'ws';
import type { HandshakeRecord, LogRecord, MessageRecord } from '../core/log/records.js';
import { planReplay, type ReplayPlan } from '../core/replay/replay-plan.js';
import { replayConnection } from '../proxy/replay-client.js';
import { HOST } from './support/raw-peers.js';
import { waitUntil, within } from './support/wait.js';

const T0 = 1_700_000_000_000;

/** A recorded connection 1: its handshake (offering `chat` and permessage-deflate) and messages. */
function recording(messages: Array<[from: 'client' | 'server', kind: MessageRecord['kind'], at: number, text: string]>): ReplayPlan {
  const handshake: HandshakeRecord = {
    type: 'handshake', conn: 1, ts: T0, url: 'ws://127.0.0.1:1/recorded?x=1', ms: 1, accept: 'valid', protocol: 'chat', extensions: [], upgraded: true,
    request: {
      method: 'GET', target: '/recorded?x=1', version: 'HTTP/1.1', headers: [
        ['Host', '127.0.0.1:8080'], ['Origin', 'http://app.test'], ['Cookie', 'session=abc'], ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
        ['Sec-WebSocket-Version', '13'], ['Connection', 'Upgrade'], ['Upgrade', 'websocket'], ['Sec-WebSocket-Protocol', 'chat'],
        ['Sec-WebSocket-Extensions', 'permessage-deflate; client_max_window_bits'],
      ],
    },
    response: { version: 'HTTP/1.1', status: 101, reason: 'Switching Protocols', headers: [] },
  };
  const records: LogRecord[] = [handshake, ...messages.map(([from, kind, at, text], i): MessageRecord => {
    const r: MessageRecord = { type: 'message', conn: 1, seq: i + 1, ts: T0 + at, from, kind, length: text.length, wireLength: text.length, frames: 1, compressed: false, truncated: false };
    if (kind === 'text') r.text = text;
    else if (kind === 'close') r.close = { code: 1000, reason: text };
    else r.base64 = Buffer.from(text).toString('base64');
    return r;
  })];
  const planned = planReplay(records, 1);
  assert.ok(planned.ok);
  return planned.plan;
}

async function server(onConnection: (ws: import('ws').WebSocket, url: string) => void, options: { refuse?: boolean } = {}) {
  const wss = new WebSocketServer({
    host: HOST, port: 0, perMessageDeflate: true, handleProtocols: (p) => (p.has('chat') ? 'chat' : false),
    ...(options.refuse ? { verifyClient: (_info: unknown, done: (ok: boolean, code: number) => void) => done(false, 403) } : {}),
  });
  await within(once(wss, 'listening'), 'the ws server listening');
  const seen: { headers: Record<string, string | string[] | undefined>; received: string[] } = { headers: {}, received: [] };
  wss.on('connection', (ws, req) => {
    seen.headers = req.headers;
    ws.on('message', (d: RawData, binary) => seen.received.push(`${binary ? 'binary' : 'text'}:${(d as Buffer).toString('latin1')}`));
    ws.on('ping', (d) => seen.received.push(`ping:${d.toString('latin1')}`));
    onConnection(ws, req.url ?? '');
  });
  const port = (wss.address() as net.AddressInfo).port;
  return { port, seen, close: () => new Promise<void>((r) => wss.close(() => r())) };
}

test('a replay sends the recorded messages with the recorded headers, and records the new connection as the proxy would', async () => {
  const s = await server((ws, url) => {
    ws.send(`hello ${url}`);
    ws.on('message', (d, binary) => ws.send(d as Buffer, { binary }));
  });
  try {
    const plan = recording([
      ['server', 'text', 1, 'hello /recorded?x=1'], ['client', 'text', 2, 'one'], ['server', 'text', 3, 'one'],
      ['client', 'binary', 4, '\x01\x02'], ['client', 'ping', 5, 'p'], ['server', 'binary', 6, '\x01\x02'], ['client', 'close', 7, 'bye'], ['server', 'close', 8, 'bye'],
    ]);
    const records: LogRecord[] = [];
    const url = `ws://${HOST}:${s.port}/recorded?x=1`;
    const outcome = await within(replayConnection({ plan, url, speed: 'max', onRecord: (r) => records.push(r) }), 'the replay ends');
    assert.ok(outcome.ok);
    // The pong may overtake the compressed binary echo: it is compared aside.
    assert.deepEqual(outcome.serverMessages.filter((m) => m.kind !== 'pong').map((m) => [m.kind, m.text ?? m.base64 ?? m.close?.code]), [
      ['text', 'hello /recorded?x=1'], ['text', 'one'], ['binary', 'AQI='], ['close', 1000],
    ]);
    assert.deepEqual(outcome.serverMessages.filter((m) => m.kind === 'pong').map((m) => m.base64), ['cA==']);
    assert.deepEqual(s.seen.received, ['text:one', 'binary:\x01\x02', 'ping:p']);
    assert.equal(s.seen.headers['origin'], 'http://app.test');
    assert.equal(s.seen.headers['cookie'], 'session=abc');
    assert.equal(s.seen.headers['host'], `${HOST}:${s.port}`);
    assert.notEqual(s.seen.headers['sec-websocket-key'], 'dGhlIHNhbXBsZSBub25jZQ==');
    assert.equal(s.seen.headers['sec-websocket-protocol'], 'chat');
    assert.equal(s.seen.headers['sec-websocket-extensions'], 'permessage-deflate; client_max_window_bits');
    // The records, in order, are a capture of the new connection, numbered as the recorded one.
    assert.deepEqual(records.filter((r) => r.type !== 'frame').map((r) => r.type), [
      'connect', 'handshake', ...Array<string>(9).fill('message'), 'end',
    ]);
    assert.ok(records.every((r) => r.type !== 'session' && r.conn === 1));
    const hs = records.find((r): r is HandshakeRecord => r.type === 'handshake')!;
    assert.equal(hs.url, url);
    assert.equal(hs.protocol, 'chat');
    assert.deepEqual(hs.extensions.map((e) => e.name), ['permessage-deflate']);
    const end = records.at(-1)!;
    assert.ok(end.type === 'end' && end.clean && end.code === 1000);
  } finally {
    await s.close();
  }
});

test('a refused handshake is a failure, and the refusal is recorded', async () => {
  const s = await server(() => {}, { refuse: true });
  try {
    const records: LogRecord[] = [];
    const outcome = await within(replayConnection({ plan: recording([['client', 'text', 1, 'x']]), url: `ws://${HOST}:${s.port}/`, speed: 1, onRecord: (r) => records.push(r) }), 'the replay ends');
    assert.equal(outcome.ok, false);
    assert.match(!outcome.ok ? outcome.error : '', /403/);
    const hs = records.find((r): r is HandshakeRecord => r.type === 'handshake');
    assert.equal(hs?.upgraded, false);
    assert.equal(hs?.response.status, 403);
    assert.equal(records.at(-1)?.type, 'end');
    assert.deepEqual(s.seen.received, []);
  } finally {
    await s.close();
  }
});

test('a connection refused is a failure that says so', async () => {
  const s = await server(() => {});
  await s.close();
  const outcome = await within(replayConnection({ plan: recording([]), url: `ws://${HOST}:${s.port}/`, speed: 1, onRecord: () => {} }), 'the replay ends');
  assert.equal(outcome.ok, false);
  assert.match(!outcome.ok ? outcome.error : '', /ECONNREFUSED/);
});

test('--speed max sends a message only once the server messages recorded before it have arrived', async () => {
  // The server answers "first" late; the recording has the client's "second" after that answer.
  const order: string[] = [];
  const s = await server((ws) => {
    ws.on('message', (d) => {
      order.push(`received ${(d as Buffer).toString()}`);
      if ((d as Buffer).toString() === 'first') {
        setTimeout(() => {
          order.push('answered first');
          ws.send('answer');
        }, 200);
      }
    });
  });
  try {
    const plan = recording([['client', 'text', 0, 'first'], ['server', 'text', 1, 'answer'], ['client', 'text', 2, 'second']]);
    const outcome = await within(replayConnection({ plan, url: `ws://${HOST}:${s.port}/`, speed: 'max', onRecord: () => {} }), 'the replay ends', 8000);
    assert.ok(outcome.ok);
    // The server inflates what it receives asynchronously: "second" may come out just after the replay ended.
    await waitUntil('the server received three messages', () => order.length >= 3);
    assert.deepEqual(order, ['received first', 'answered first', 'received second']);
  } finally {
    await s.close();
  }
});

test('--speed divides the recorded timing: a message recorded 1 s after the handshake, at speed 4, comes no sooner than 250 ms', async () => {
  let connectedAt = 0;
  let receivedAt = 0;
  const s = await server((ws) => {
    connectedAt = performance.now();
    ws.on('message', () => (receivedAt = performance.now()));
  });
  try {
    const plan = recording([['client', 'text', 1000, 'late']]);
    const outcome = await within(replayConnection({ plan, url: `ws://${HOST}:${s.port}/`, speed: 4, onRecord: () => {} }), 'the replay ends', 8000);
    assert.ok(outcome.ok);
    await waitUntil('the server received the message', () => receivedAt > 0);
    // The server's connection event comes before the client's open, so this is never less than what the client waited.
    const waited = receivedAt - connectedAt;
    assert.ok(waited >= 250, `sent after ${waited.toFixed(1)} ms`);
    assert.ok(waited < 1000, `sent after ${waited.toFixed(1)} ms: the recorded timing, not divided by 4`);
  } finally {
    await s.close();
  }
});
