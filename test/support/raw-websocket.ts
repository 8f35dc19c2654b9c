// WebSocket peers on raw sockets (the opening handshake written by hand, then whatever frames a test
// sends), and a `ws` server for them to talk to.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { WebSocketServer, type ServerOptions } from 'ws';
import type { Extension } from '../../core/websocket/events.js';
import { parseExtensionHeader } from '../../core/websocket/extension-header.js';
import { computeAccept } from '../../core/websocket/handshake.js';
import { HeadReader, headerValues, parseRequestHead, parseResponseHead } from '../../core/websocket/http-head.js';
import { closeServer, HOST, httpHead, listen } from './raw-peers.js';
import { within } from './wait.js';

/** A raw socket past the opening handshake. */
export interface RawWebSocket {
  socket: net.Socket;
  /** What the server's 101 agreed to in Sec-WebSocket-Extensions. */
  extensions: Extension[];
  /** Every byte received after the handshake's HTTP head. */
  received: Buffer[];
}

/** Resolves with the first HTTP head `socket` receives; every later byte goes to `received`. */
function readHead(socket: net.Socket, received: Buffer[]): Promise<Buffer> {
  const reader = new HeadReader();
  let done = false;
  return within(new Promise<Buffer>((resolve, reject) => {
    // Kept after the head too: a reset later in the test is no error here.
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      if (done) return void received.push(chunk);
      const r = reader.push(chunk);
      if (r.kind === 'too-large') return reject(new Error('HTTP head too large'));
      if (r.kind === 'need-more') return;
      done = true;
      if (r.rest.length > 0) received.push(r.rest);
      resolve(r.head);
    });
  }), 'an HTTP head');
}

/** A raw client upgraded by the WebSocket server at 127.0.0.1:`port`, offering `offer` (a Sec-WebSocket-Extensions value) if given. */
export async function rawWebSocketClient(port: number, offer: string | null): Promise<RawWebSocket> {
  const socket = net.connect({ host: HOST, port });
  socket.setNoDelay(true);
  await within(once(socket, 'connect'), 'raw client connect');
  const key = crypto.randomBytes(16).toString('base64');
  const received: Buffer[] = [];
  const head = readHead(socket, received);
  socket.write(httpHead([
    'GET / HTTP/1.1',
    `Host: ${HOST}:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${key}`,
    'Sec-WebSocket-Version: 13',
    ...(offer === null ? [] : [`Sec-WebSocket-Extensions: ${offer}`]),
  ]));
  const parsed = parseResponseHead(await head);
  assert.ok(parsed.ok && parsed.head.status === 101, `the server switched protocols: ${(await head).toString('latin1')}`);
  assert.deepEqual(headerValues(parsed.head.headers, 'Sec-WebSocket-Accept'), [computeAccept(key)]);
  return { socket, extensions: parseExtensionHeader(headerValues(parsed.head.headers, 'Sec-WebSocket-Extensions')).extensions, received };
}

/** A raw server on 127.0.0.1 that upgrades one client, agreeing to `agree` (a Sec-WebSocket-Extensions value) if given. */
export async function rawWebSocketServer(agree: string | null): Promise<{ port: number; accepted: Promise<RawWebSocket>; close: () => Promise<void> }> {
  const server = net.createServer();
  const accepted = new Promise<RawWebSocket>((resolve, reject) => {
    server.once('connection', (socket) => {
      socket.setNoDelay(true);
      const received: Buffer[] = [];
      readHead(socket, received).then((head) => {
        const parsed = parseRequestHead(head);
        const key = parsed.ok ? headerValues(parsed.head.headers, 'Sec-WebSocket-Key')[0] : undefined;
        if (key === undefined) throw new Error(`no Sec-WebSocket-Key in ${head.toString('latin1')}`);
        socket.write(httpHead([
          'HTTP/1.1 101 Switching Protocols',
          'Upgrade: websocket',
          'Connection: Upgrade',
          `Sec-WebSocket-Accept: ${computeAccept(key)}`,
          ...(agree === null ? [] : [`Sec-WebSocket-Extensions: ${agree}`]),
        ]));
        resolve({ socket, extensions: parseExtensionHeader(agree === null ? [] : [agree]).extensions, received });
      }).catch(reject);
    });
  });
  const port = await listen(server);
  return { port, accepted: within(accepted, 'a client upgraded by the raw server'), close: () => closeServer(server) };
}

/** A `ws` server listening on 127.0.0.1 with the given permessage-deflate settings. */
export async function wsServer(perMessageDeflate: ServerOptions['perMessageDeflate']): Promise<{ wss: WebSocketServer; port: number }> {
  const wss = new WebSocketServer({ host: HOST, port: 0, perMessageDeflate });
  await within(once(wss, 'listening'), 'the ws server listening');
  return { wss, port: (wss.address() as net.AddressInfo).port };
}
