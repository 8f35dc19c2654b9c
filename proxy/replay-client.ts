import net from 'node:net';
import tls from 'node:tls';
import { WebSocket, type ClientOptions, type PerMessageDeflateOptions } from 'ws';
import { connectRecord, eventRecord, type LogRecord, type MessageRecord } from '../core/log/records.js';
import { isData, type ReplayPlan, type ReplayStep } from '../core/replay/replay-plan.js';
import { ConnectionDecoder } from '../core/websocket/connection-decoder.js';
import type { Extension, Side } from '../core/websocket/events.js';
import { now } from './clock.js';

/** How long `--speed max` waits for the server's messages before a step, and the end for a quiet server. */
export const REPLAY_WAIT_MS = 5000;
/** How long the new opening handshake may take. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

export interface ReplayOptions {
  plan: ReplayPlan;
  /** Where to connect (see replayUrl). */
  url: string;
  /** A factor on the recorded timing (2: twice as fast), or `max`: each message once the server's recorded before it have come. */
  speed: number | 'max';
  /** Every record of the new connection, in order of observation, numbered as the recorded connection. */
  onRecord: (record: LogRecord) => void;
}

/** How a replayed connection went: the server's messages, or why the connection or handshake failed. */
export type ReplayOutcome =
  | { ok: true; serverMessages: MessageRecord[] }
  | { ok: false; error: string };

/**
 * Replays one recorded connection: a new WebSocket connection (the `ws` client) with the recorded
 * headers, subprotocols and permessage-deflate offer, then the client's recorded text, binary,
 * ping and close messages at their recorded times (scaled by `speed`). Both directions' bytes,
 * handshake included, go through the same ConnectionDecoder as the live proxy's, so the new
 * connection's records are those a capture of it would have. Resolves once the connection has
 * closed: when the client's recorded close has been answered, or when the server closes, or (the
 * recorded client never closed) once the server has sent as many data messages as recorded, or
 * REPLAY_WAIT_MS after the last message was sent; then its TCP stream is ended without a close frame.
 */
export async function replayConnection(options: ReplayOptions): Promise<ReplayOutcome> {
  const { plan, url } = options;
  const conn = plan.conn;
  const serverMessages: MessageRecord[] = [];
  let serverData = 0;
  let serverClosed = false;
  let changed: () => void = () => {};
  const decoder = new ConnectionDecoder({ startTs: now() }, (e) => {
    const record = eventRecord(conn, e, url);
    if (record.type === 'message' && record.from === 'server') {
      serverMessages.push(record);
      if (isData(record)) serverData++;
      if (record.kind === 'close') serverClosed = true;
      changed();
    }
    options.onRecord(record);
  });
  const receive = (from: Side, chunk: unknown, encoding?: BufferEncoding) => {
    if (Buffer.isBuffer(chunk)) decoder.receive(from, chunk, now());
    else if (chunk instanceof Uint8Array) decoder.receive(from, Buffer.from(chunk), now());
    else if (typeof chunk === 'string') decoder.receive(from, Buffer.from(chunk, encoding ?? 'utf8'), now());
  };

  const tcp: { socket: net.Socket | null } = { socket: null };
  let socketClosed: Promise<void> = Promise.resolve();
  const createConnection = (opts: tls.ConnectionOptions & net.NetConnectOpts): net.Socket => {
    const secure = url.startsWith('wss:');
    const host = String(opts.host);
    const s: net.Socket = secure
      ? tls.connect({ ...opts, path: undefined, servername: opts.servername ?? (net.isIP(host) ? '' : host) })
      : net.connect({ ...opts, path: undefined } as net.NetConnectOpts);
    tcp.socket = s;
    tapSocket(s, receive);
    s.once(secure ? 'secureConnect' : 'connect', () => {
      options.onRecord(connectRecord(conn, now(), `${s.localAddress}:${s.localPort}`, `${s.remoteAddress}:${s.remotePort}`, secure));
    });
    s.once('end', () => decoder.endOfStream('server', now()));
    s.once('finish', () => decoder.endOfStream('client', now()));
    socketClosed = new Promise((resolve) => s.once('close', () => {
      decoder.finish(now());
      resolve();
    }));
    return s;
  };

  const ws = new WebSocket(url, plan.protocols, {
    // Node sends an array as repeated header lines; ws only spreads the object.
    headers: headerObject(plan.headers) as Record<string, string>,
    perMessageDeflate: plan.deflate ? deflateOffer(plan.deflate) : false,
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    followRedirects: false,
    createConnection: createConnection as ClientOptions['createConnection'],
  });
  const closed = new Promise<void>((resolve) => ws.once('close', () => {
    changed();
    resolve();
  }));
  let failure: string | null = null;
  ws.once('error', (err) => (failure ??= err.message));
  ws.once('unexpected-response', (_req, res) => {
    failure = `the server refused the handshake: ${res.statusCode} ${res.statusMessage ?? ''}`.trim();
    res.resume();
    ws.terminate();
  });
  const opened = await new Promise<boolean>((resolve) => {
    ws.once('open', () => resolve(true));
    void closed.then(() => resolve(false));
  });
  if (!opened) {
    await socketClosed;
    return { ok: false, error: failure ?? 'the connection closed before the handshake completed' };
  }

  const isOpen = () => ws.readyState === WebSocket.OPEN;
  /** Resolves when `done()` holds (checked on every server message and at the close), or after `ms`. */
  const until = (done: () => boolean, ms: number) => new Promise<void>((resolve) => {
    const settle = () => {
      clearTimeout(timer);
      changed = () => {};
      resolve();
    };
    const timer = setTimeout(settle, ms);
    changed = () => {
      if (done() || ws.readyState === WebSocket.CLOSED) settle();
    };
    changed();
  });
  /** Resolves after `ms`, or at once when the connection closes. */
  const pause = (ms: number) => until(() => false, ms);

  const start = performance.now();
  let sentClose = false;
  let written = () => {};
  let lastWritten = Promise.resolve();
  for (const step of plan.steps) {
    if (!isOpen()) break;
    if (options.speed === 'max') await until(() => serverData >= step.serverBefore, REPLAY_WAIT_MS);
    else await pause(Math.max(0, start + step.at / options.speed - performance.now()));
    if (!isOpen()) break;
    lastWritten = new Promise<void>((resolve) => (written = resolve));
    const error = send(ws, step, written);
    if (error) {
      ws.terminate();
      await Promise.all([closed, socketClosed]);
      return { ok: false, error: `connection ${conn}: the client's message ${step.seq} could not be sent again: ${error}` };
    }
    if (step.kind === 'close') sentClose = true;
  }
  const recordedData = plan.serverMessages.filter(isData).length;
  const serverClosesInRecording = plan.serverMessages.some((m) => m.kind === 'close');
  await until(() => (sentClose || serverClosesInRecording ? serverClosed : serverData >= recordedData), REPLAY_WAIT_MS);
  // The recorded client never closed: its TCP stream ends after what it wrote, without a close frame.
  if (!sentClose && !serverClosed) {
    await Promise.race([lastWritten, closed]);
    tcp.socket?.end();
  }
  await until(() => ws.readyState === WebSocket.CLOSED, REPLAY_WAIT_MS);
  if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
  await Promise.all([closed, socketClosed]);
  return { ok: true, serverMessages };
}

/**
 * Sends one recorded client message; returns why it could not be sent, or null. `written` is
 * called once its frame has been handed to the socket (compression makes that later).
 */
function send(ws: WebSocket, step: ReplayStep, written: () => void): string | null {
  try {
    if (step.kind === 'text' || step.kind === 'binary') ws.send(step.payload, { binary: step.kind === 'binary' }, written);
    else if (step.kind === 'ping') ws.ping(step.payload, undefined, written);
    else {
      if (step.code === null) ws.close();
      else ws.close(step.code, step.payload);
      written();
    }
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Sees the socket's bytes both ways as they pass: what the HTTP client and `ws` write, and what
 * arrives (through `push`, where the stream hands read bytes on: unlike `data` listeners it sees
 * bytes `ws` puts back with `unshift` after the upgrade only once).
 */
function tapSocket(socket: net.Socket, receive: (from: Side, chunk: unknown, encoding?: BufferEncoding) => void): void {
  const write = socket.write;
  socket.write = function (this: net.Socket, chunk: unknown, ...rest: unknown[]): boolean {
    receive('client', chunk, typeof rest[0] === 'string' ? (rest[0] as BufferEncoding) : undefined);
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as net.Socket['write'];
  const push = socket.push;
  socket.push = function (this: net.Socket, chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk !== null) receive('server', chunk, encoding);
    return push.call(this, chunk, encoding);
  };
}

/** The recorded header list as Node's request headers: names as recorded, repeated headers sent as recorded. */
function headerObject(headers: ReadonlyArray<[string, string]>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of headers) {
    const had = out[name];
    out[name] = had === undefined ? value : [...(Array.isArray(had) ? had : [had]), value];
  }
  return out;
}

/** The `ws` options that offer permessage-deflate with the recorded parameters (RFC 7692 7.1). */
function deflateOffer(offer: Extension): PerMessageDeflateOptions {
  const p = offer.params;
  const bits = (v: string | true | undefined) => (v === undefined ? undefined : v === true ? true : Number(v));
  const client = bits(p['client_max_window_bits']);
  return {
    serverNoContextTakeover: p['server_no_context_takeover'] !== undefined,
    clientNoContextTakeover: p['client_no_context_takeover'] !== undefined,
    serverMaxWindowBits: bits(p['server_max_window_bits']) as number | undefined,
    // Absent: not offered (ws would offer it bare unless told false).
    clientMaxWindowBits: (client ?? false) as number | undefined,
  };
}
