import type net from 'node:net';
import tls from 'node:tls';
import { WebSocket, type RawData } from 'ws';
import { HOST } from './raw-peers.js';
import { within } from './wait.js';

/** A wss:// client opened over a tunnel wspeek set up (CONNECT or SOCKS), trusting only `caPem`. */
export interface WssThrough {
  ws: WebSocket;
  /** The client's TLS socket: its certificate check and the peer's certificate. */
  secure: tls.TLSSocket;
  /** The text of every message the client received, in order. */
  messages: string[];
}

/**
 * Opens `url` as a WebSocket over TLS on `raw`, an open tunnel, the client trusting only `caPem`;
 * resolves once it is open (`what` names the wait in a timeout). Destroy only the WebSocket at the
 * end: destroying `raw` under a live TLSSocket, then the TLSSocket, crashes Node 20 (SIGSEGV in
 * TLSWrap::ClearOut).
 */
export async function openWssThrough(raw: net.Socket, url: string, caPem: string, what: string): Promise<WssThrough> {
  let secure: tls.TLSSocket | undefined;
  const ws = new WebSocket(url, {
    perMessageDeflate: false,
    createConnection: () => (secure = tls.connect({ socket: raw, host: HOST, ca: caPem })),
  } as WebSocket.ClientOptions);
  const messages: string[] = [];
  ws.on('message', (d: RawData) => messages.push(d.toString()));
  await within(new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  }), what);
  return { ws, secure: secure!, messages };
}
