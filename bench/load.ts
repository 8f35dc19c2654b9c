/**
 * Workload clients (the `ws` package; `socket.io-client` for `sio64`), run in the bench's own
 * process against a URL: the echo server directly or a proxy in front of it. Each workload warms
 * up, then measures for a fixed time between two hooks (the orchestrator samples the proxy's CPU
 * there), then stops sending, lets what is in flight come back (bounded) and closes its connections.
 */
import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import WebSocket from 'ws';

export interface Timing {
  warmupMs: number;
  measureMs: number;
}

export interface Hooks {
  /** Called when measurement starts and ends (the orchestrator samples CPU there). */
  onStart?: () => void;
  onEnd?: () => void;
}

export interface ThroughputResult {
  kind: 'throughput';
  /** Echoed messages received during measurement. */
  messages: number;
  /** Echoed payload bytes received during measurement. */
  bytes: number;
  seconds: number;
  messagesPerSec: number;
  bytesPerSec: number;
}

export interface LatencyResult {
  kind: 'latency';
  samples: number;
  seconds: number;
  p50Us: number;
  p99Us: number;
  meanUs: number;
}

export type WorkloadResult = ThroughputResult | LatencyResult;

export interface PipelineSpec {
  connections: number;
  /** Messages in flight per connection. */
  window: number;
  payload: Buffer;
  binary: boolean;
  deflate: boolean;
}

const OPEN_TIMEOUT_MS = 10_000;
const DRAIN_TIMEOUT_MS = 3_000;
const CLOSE_TIMEOUT_MS = 1_000;

/** 64-byte text payload (ASCII, so it is valid UTF-8 however it is sliced). */
export const TEXT64 = Buffer.from('{"seq":1234567,"type":"tick","value":0.125,"tag":"wspeek-bench"}', 'latin1');
if (TEXT64.length !== 64) throw new Error(`TEXT64 is ${TEXT64.length} bytes`);

/** `sio64`'s event argument: a string sized so that the event's text frame, `42["m","…"]`, is 64 bytes. */
export const SIO64_ARG = 'seq=1234567 type=tick value=0.125 tag=wspeek-bench-sio';
/** The bytes of the text frame that carries the event `m` with `arg` (Socket.IO's EVENT packet in an Engine.IO MESSAGE). */
export const sioFrameBytes = (arg: string) => Buffer.byteLength(`42${JSON.stringify(['m', arg])}`);
if (sioFrameBytes(SIO64_ARG) !== 64) throw new Error(`SIO64_ARG makes a ${sioFrameBytes(SIO64_ARG)}-byte frame`);

/** `msg64`, `bin1m`, `conn200`, `deflate64`: pipelined echo with a window of messages in flight. */
export async function pipelined(url: string, spec: PipelineSpec, timing: Timing, hooks: Hooks = {}): Promise<ThroughputResult> {
  const sockets = await openAll(url, spec.connections, spec.deflate);
  let measuring = false;
  let stopping = false;
  let messages = 0;
  let bytes = 0;
  let inFlight = 0;
  let wrongLength = 0;
  let failure: Error | null = null;
  let drained: () => void = () => {};
  const expected = spec.payload.length;
  const send = (ws: WebSocket) => {
    inFlight++;
    ws.send(spec.payload, { binary: spec.binary, compress: spec.deflate });
  };
  try {
    for (const ws of sockets) {
      ws.on('message', (data: Buffer) => {
        inFlight--;
        if (data.length !== expected) wrongLength++;
        if (measuring) {
          messages++;
          bytes += data.length;
        }
        if (!stopping) send(ws);
        else if (inFlight === 0) drained();
      });
      ws.on('error', (err) => (failure ??= err));
      ws.on('close', () => (failure ??= stopping ? null : new Error('a connection closed during the workload')));
    }
    for (const ws of sockets) for (let i = 0; i < spec.window; i++) send(ws);
    const seconds = await measure(timing, hooks, (on) => (measuring = on));
    stopping = true;
    if (inFlight > 0) await Promise.race([new Promise<void>((r) => (drained = r)), sleep(DRAIN_TIMEOUT_MS)]);
    if (failure) throw failure;
    if (wrongLength > 0) throw new Error(`${wrongLength} echoed messages had the wrong length`);
    if (messages === 0) throw new Error('no message came back during measurement');
    return { kind: 'throughput', messages, bytes, seconds, messagesPerSec: messages / seconds, bytesPerSec: bytes / seconds };
  } finally {
    stopping = true;
    await closeAll(sockets);
  }
}

export interface SioPipelineSpec {
  /** Events in flight on the connection. */
  window: number;
  /** The event's one argument. */
  arg: string;
}

/**
 * `sio64`: one `socket.io-client` connection (WebSocket transport only, no reconnection), events
 * `m` pipelined with a window in flight, each echoed back by the Socket.IO echo server. Counts
 * echoed events; its bytes are the text frames that carried them.
 */
export async function sioPipelined(url: string, spec: SioPipelineSpec, timing: Timing, hooks: Hooks = {}): Promise<ThroughputResult> {
  const socket = await openSio(url);
  const frameBytes = sioFrameBytes(spec.arg);
  let measuring = false;
  let stopping = false;
  let messages = 0;
  let inFlight = 0;
  let wrongArg = 0;
  let failure: Error | null = null;
  let drained: () => void = () => {};
  const send = () => {
    inFlight++;
    socket.emit('m', spec.arg);
  };
  try {
    socket.on('m', (data: unknown) => {
      inFlight--;
      if (data !== spec.arg) wrongArg++;
      if (measuring) messages++;
      if (!stopping) send();
      else if (inFlight === 0) drained();
    });
    socket.on('disconnect', (reason) => (failure ??= stopping ? null : new Error(`the connection closed during the workload (${reason})`)));
    for (let i = 0; i < spec.window; i++) send();
    const seconds = await measure(timing, hooks, (on) => (measuring = on));
    stopping = true;
    if (inFlight > 0) await Promise.race([new Promise<void>((r) => (drained = r)), sleep(DRAIN_TIMEOUT_MS)]);
    if (failure) throw failure;
    if (wrongArg > 0) throw new Error(`${wrongArg} echoed events had another argument`);
    if (messages === 0) throw new Error('no event came back during measurement');
    const bytes = messages * frameBytes;
    return { kind: 'throughput', messages, bytes, seconds, messagesPerSec: messages / seconds, bytesPerSec: bytes / seconds };
  } finally {
    stopping = true;
    await closeSio(socket);
  }
}

export interface StreamResult {
  messages: number;
  seconds: number;
}

/**
 * The soak: exactly `total` messages pipelined on one connection (a window of `spec.window` in
 * flight), each echoed back; resolves once the last echo has arrived. `onEcho` sees the running count.
 */
export async function streamMessages(url: string, total: number, spec: Omit<PipelineSpec, 'connections'>, onEcho: (echoed: number) => void): Promise<StreamResult> {
  const [ws] = await openAll(url, 1, spec.deflate);
  const socket = ws!;
  const expected = spec.payload.length;
  let sent = 0;
  let echoed = 0;
  let wrongLength = 0;
  const t0 = performance.now();
  try {
    await new Promise<void>((resolve, reject) => {
      const send = () => {
        sent++;
        socket.send(spec.payload, { binary: spec.binary, compress: spec.deflate });
      };
      socket.on('message', (data: Buffer) => {
        echoed++;
        if (data.length !== expected) wrongLength++;
        onEcho(echoed);
        if (sent < total) send();
        else if (echoed === total) resolve();
      });
      socket.on('error', reject);
      socket.on('close', () => reject(new Error(`the connection closed after ${echoed} of ${total} echoes`)));
      for (let i = 0; i < Math.min(spec.window, total); i++) send();
    });
    if (wrongLength > 0) throw new Error(`${wrongLength} echoed messages had the wrong length`);
    return { messages: echoed, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await closeAll([socket]);
  }
}

/** `rtt`: one message at a time on one connection; latency percentiles of the round trips. */
export async function roundTrips(url: string, payload: Buffer, timing: Timing, hooks: Hooks = {}): Promise<LatencyResult> {
  const [ws] = await openAll(url, 1, false);
  const socket = ws!;
  const samples: number[] = [];
  let measuring = false;
  let stopping = false;
  let sentAt = 0;
  let failure: Error | null = null;
  let stopped: () => void = () => {};
  try {
    socket.on('message', () => {
      const dt = performance.now() - sentAt;
      if (measuring) samples.push(dt * 1000);
      if (stopping) return stopped();
      sentAt = performance.now();
      socket.send(payload, { binary: false });
    });
    socket.on('error', (err) => (failure ??= err));
    sentAt = performance.now();
    socket.send(payload, { binary: false });
    const seconds = await measure(timing, hooks, (on) => (measuring = on));
    stopping = true;
    await Promise.race([new Promise<void>((r) => (stopped = r)), sleep(DRAIN_TIMEOUT_MS)]);
    if (failure) throw failure;
    if (samples.length === 0) throw new Error('no round trip completed during measurement');
    samples.sort((a, b) => a - b);
    const mean = samples.reduce((s, x) => s + x, 0) / samples.length;
    return { kind: 'latency', samples: samples.length, seconds, p50Us: percentile(samples, 0.5), p99Us: percentile(samples, 0.99), meanUs: mean };
  } finally {
    stopping = true;
    await closeAll([socket]);
  }
}

/**
 * The warm-up, then the measured window: `setMeasuring` brackets it (counting starts and stops
 * there) and the hooks run at its edges. Returns the window's length in seconds.
 */
async function measure(timing: Timing, hooks: Hooks, setMeasuring: (on: boolean) => void): Promise<number> {
  await sleep(timing.warmupMs);
  hooks.onStart?.();
  setMeasuring(true);
  const t0 = performance.now();
  await sleep(timing.measureMs);
  setMeasuring(false);
  const seconds = (performance.now() - t0) / 1000;
  hooks.onEnd?.();
  return seconds;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i]!;
}

async function openAll(url: string, n: number, deflate: boolean): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  try {
    // Opened in batches, so a proxy's accept queue is never the thing under test.
    for (let i = 0; i < n; i += 50) {
      const batch = Array.from({ length: Math.min(50, n - i) }, () => open(url, deflate, sockets));
      await Promise.all(batch);
    }
    return sockets;
  } catch (err) {
    await closeAll(sockets);
    throw err;
  }
}

function open(url: string, deflate: boolean, into: WebSocket[]): Promise<void> {
  const ws = new WebSocket(url, {
    perMessageDeflate: deflate ? { threshold: 0 } : false,
    maxPayload: 64 * 1024 * 1024,
    handshakeTimeout: OPEN_TIMEOUT_MS,
  });
  into.push(ws);
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      ws.removeListener('error', reject);
      if (deflate && !ws.extensions.includes('permessage-deflate')) reject(new Error('permessage-deflate was not agreed'));
      else resolve();
    });
    ws.once('error', reject);
  });
}

/** A connected Socket.IO client on the default namespace, WebSocket transport only; it never reconnects. */
function openSio(url: string): Promise<Socket> {
  const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, timeout: OPEN_TIMEOUT_MS });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      socket.off('connect_error');
      resolve(socket);
    });
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

/** Disconnects (a DISCONNECT packet, then close frames both ways) and waits for the WebSocket to close, or a short while. */
async function closeSio(socket: Socket): Promise<void> {
  socket.off('m');
  const engine = socket.io.engine;
  await new Promise<void>((resolve) => {
    if (engine.readyState === 'closed') {
      socket.disconnect();
      return resolve();
    }
    const timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
    engine.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.disconnect();
  });
}

/** Closes gracefully (close frames both ways), or terminates after a short while. */
async function closeAll(sockets: WebSocket[]): Promise<void> {
  await Promise.all(sockets.map((ws) => new Promise<void>((resolve) => {
    ws.removeAllListeners('message');
    ws.on('error', () => {});
    if (ws.readyState === WebSocket.CLOSED) return resolve();
    const timer = setTimeout(() => {
      ws.terminate();
      resolve();
    }, CLOSE_TIMEOUT_MS);
    ws.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    else ws.close(1000);
  })));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
