// A capture opened in-process for tests, and one WebSocket echo through it.

import assert from 'node:assert/strict';
import type { RawData, WebSocket } from 'ws';
import type { CaptureOptions } from '../../proxy/capture.js';
import { HOST } from './raw-peers.js';
import { within } from './wait.js';

/** A reverse capture on 127.0.0.1 (any port), nothing saved, the upstream's certificate not checked; `over` changes any of it. */
export function captureOptions(caDir: string, over: Partial<CaptureOptions>): CaptureOptions {
  return {
    mode: 'reverse', listen: { host: HOST, port: 0 }, target: null, save: null, maxPayload: 1 << 20, caDir,
    insecure: true, keyLog: null, allow: null, onLogError: assert.fail, script: null, intercept: null, app: null, ...over,
  };
}

/** Waits for `ws` to open, sends `text`, returns what came back, and closes it cleanly (each step bounded). */
export async function echoOnce(ws: WebSocket, text: string): Promise<string> {
  await within(new Promise((r, j) => { ws.once('open', r); ws.once('error', j); }), 'websocket open');
  const reply = new Promise<string>((r) => ws.once('message', (d: RawData) => r(d.toString())));
  ws.send(text);
  const echoed = await within(reply, 'echo');
  const closed = new Promise((r) => ws.once('close', r));
  ws.close(1000);
  await within(closed, 'close');
  return echoed;
}
