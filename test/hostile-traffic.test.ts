import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import zlib from 'node:zlib';
import type { Side } from '../core/websocket/events.js';
import { recordPayload, type EndRecord, type HandshakeRecord, type HttpRecord, type MessageRecord, type ViolationRecord } from '../core/log/records.js';
import { VIOLATION_RULES, type ViolationRule } from '../core/websocket/violation-rules.js';
import type { RunningProxy } from '../proxy/proxy-server.js';
import { isType, Records, reverseProxy } from './support/proxy-records.js';
import { RULE_RFC_SECTIONS as README_RFC } from './support/rfc6455-fixtures.js';
import { closeServer, HOST, listen, switchingProtocols, Tally, upgradeHead, withoutHost } from './support/raw-peers.js';
import { STEP_MS, waitUntil, within } from './support/wait.js';
import { closePayload, frame } from './support/ws-frames.js';

// Hostile traffic through the live proxy (reverse mode), raw TCP peers on both ends: every byte
// each side sends is compared (SHA-256) with what the other side receives.

const MiB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** Waits, bounded, until `socket` can take more or is gone; never rejects. */
function roomOrEnd(socket: net.Socket, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      socket.off('drain', done);
      socket.off('close', done);
      socket.off('error', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    socket.once('drain', done);
    socket.once('close', done);
    socket.once('error', done);
  });
}

function rssNow(): number {
  return process.memoryUsage().rss;
}

/** Samples rss every few ms until stopped; returns the peak. */
function rssSampler(): { stop(): number } {
  let peak = rssNow();
  const timer = setInterval(() => (peak = Math.max(peak, rssNow())), 20);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, rssNow());
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Raw peers
// ---------------------------------------------------------------------------------------------

/** The upgrade request the hostile clients send: Host names the proxy, and a User-Agent follows. */
function upgradeRequest(path: string, key: string, proxyPort: number, options: { deflate?: boolean; omit?: string[] } = {}): Buffer {
  return upgradeHead(path, key, `${HOST}:${proxyPort}`, { ...options, userAgent: 'wspeek-hostile-test/1' });
}

/** One connection as the raw upstream saw it. */
interface UpstreamConn {
  socket: net.Socket;
  path: string;
  /** The request head as received, through its empty line. */
  head: Buffer;
  key: string;
  /** Bytes received after the head. */
  rest: Tally;
  /** Everything written. */
  sent: Tally;
  events: string[];
  /** Writes and counts; resolves when the socket can take more. */
  send(b: Buffer): Promise<void>;
  /** Called for each chunk received after the head. */
  onData: ((chunk: Buffer) => void) | null;
  /** End our side when the client's stream ends (default true). */
  endOnEnd: boolean;
}

interface RawUpstream {
  server: net.Server;
  port: number;
  /** Resolves once the connection for `path` has closed. */
  result(path: string): Promise<UpstreamConn>;
  /** TCP connections accepted so far. */
  accepted(): number;
  /** Stops listening and destroys every connection left. */
  close(): Promise<void>;
}

/** A raw TCP upstream: reads the request head, then hands the connection to the behaviour for its path. */
async function startRawUpstream(behaviour: (c: UpstreamConn) => void | Promise<void>): Promise<RawUpstream> {
  const waiters = new Map<string, { promise: Promise<UpstreamConn>; resolve: (c: UpstreamConn) => void }>();
  const waiter = (path: string) => {
    let w = waiters.get(path);
    if (!w) {
      let resolve!: (c: UpstreamConn) => void;
      const promise = new Promise<UpstreamConn>((r) => (resolve = r));
      w = { promise, resolve };
      waiters.set(path, w);
    }
    return w;
  };
  let accepted = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    accepted++;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.setNoDelay(true);
    const events: string[] = [];
    let headBuf = Buffer.alloc(0);
    let conn: UpstreamConn | null = null;
    socket.on('error', (err: NodeJS.ErrnoException) => events.push(`error:${err.code ?? err.message}`));
    socket.on('data', (chunk: Buffer) => {
      if (conn) {
        conn.rest.add(chunk);
        conn.onData?.(chunk);
        return;
      }
      headBuf = Buffer.concat([headBuf, chunk]);
      const end = headBuf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = headBuf.subarray(0, end + 4);
      const text = head.toString('latin1');
      const path = /^\S+ (\S+)/.exec(text)?.[1] ?? '?';
      const key = /^Sec-WebSocket-Key: *(.*)$/im.exec(text)?.[1]?.trim() ?? '';
      const sent = new Tally();
      const c: UpstreamConn = {
        socket, path, head, key, rest: new Tally(), sent, events, onData: null, endOnEnd: true,
        send(b: Buffer) {
          sent.add(b);
          if (socket.write(b)) return Promise.resolve();
          return within(new Promise<void>((r) => socket.once('drain', () => r())), 'upstream drain', 20_000);
        },
      };
      conn = c;
      socket.on('end', () => {
        events.push('end');
        if (c.endOnEnd) socket.end();
      });
      socket.on('close', () => {
        events.push('close');
        waiter(path).resolve(c);
      });
      const rest = headBuf.subarray(end + 4);
      if (rest.length > 0) c.rest.add(rest);
      void Promise.resolve(behaviour(c)).catch((err: Error) => {
        events.push(`behaviour failed: ${err.message}`);
        socket.destroy();
      });
    });
  });
  const port = await listen(server);
  return { server, port, result: (path) => within(waiter(path).promise, `upstream connection ${path} closes`, 30_000), accepted: () => accepted,
    async close() {
      for (const s of sockets) s.destroy();
      await closeServer(server);
    },
  };
}

interface ClientRun {
  socket: net.Socket;
  /** host:port of the client's end, as the proxy's connect record names it. */
  local: string;
  head: Buffer;
  /** Bytes written after the head. */
  rest: Tally;
  received: Tally;
  events: string[];
}

/**
 * A raw client: writes `head` (whole, or a byte at a time), waits for the response head,
 * runs `after` (writing frames, say), ends its side and waits for the connection to close.
 */
async function rawClient(port: number, head: Buffer, options: {
  bytewise?: boolean;
  /** Wait for the response's empty line before `after` (default true). */
  waitResponse?: boolean;
  after?: (c: ClientRun & { send(b: Buffer): Promise<void> }) => Promise<void>;
  closeMs?: number;
} = {}): Promise<ClientRun> {
  const socket = net.connect({ host: HOST, port, allowHalfOpen: true });
  socket.setNoDelay(true);
  const events: string[] = [];
  socket.on('error', (err: NodeJS.ErrnoException) => events.push(`error:${err.code ?? err.message}`));
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  try {
    await within(once(socket, 'connect'), 'raw client connect');
    const run: ClientRun = { socket, local: `${socket.localAddress}:${socket.localPort}`, head, rest: new Tally(), received: new Tally(), events };
    socket.on('data', (c: Buffer) => run.received.add(c));
    socket.on('end', () => events.push('end'));
    if (options.bytewise) {
      for (let i = 0; i < head.length; i++) {
        socket.write(head.subarray(i, i + 1));
        await new Promise((r) => setImmediate(r));
      }
    } else {
      socket.write(head);
    }
    if (options.waitResponse ?? true) {
      await waitUntil('the response head', () => run.received.prefix.includes('\r\n\r\n') || events.includes('end'));
    }
    const send = (b: Buffer): Promise<void> => {
      run.rest.add(b);
      if (socket.write(b)) return Promise.resolve();
      return within(new Promise<void>((r) => socket.once('drain', () => r())), 'client drain', 20_000);
    };
    if (options.after) await options.after({ ...run, send });
    socket.end();
    await within(closed, 'the client connection closes', options.closeMs ?? STEP_MS);
    return run;
  } finally {
    socket.destroy();
  }
}


/** Every byte each side sent is what the other side received; the request head differs only in Host. */
function assertForwarded(client: ClientRun, up: UpstreamConn, upstreamPort: number): void {
  assert.ok(up.head.includes(`\r\nHost: ${HOST}:${upstreamPort}\r\n`), 'the Host header upstream names the target');
  assert.equal(withoutHost(up.head).toString('latin1'), withoutHost(client.head).toString('latin1'), 'the request head differs only in Host');
  assert.equal(up.rest.bytes, client.rest.bytes, 'client → upstream: byte count after the head');
  assert.equal(up.rest.digest(), client.rest.digest(), 'client → upstream: SHA-256 after the head');
  assert.equal(client.received.bytes, up.sent.bytes, 'upstream → client: byte count');
  assert.equal(client.received.digest(), up.sent.digest(), 'upstream → client: SHA-256');
}

// ---------------------------------------------------------------------------------------------
// Every violation rule, through the proxy
// ---------------------------------------------------------------------------------------------

interface RuleCase {
  rule: ViolationRule;
  from: Side;
  note?: string;
  deflate?: boolean;
  /** Header names the request leaves out. */
  requestOmits?: string[];
  /** Header names the 101 leaves out. */
  responseOmits?: string[];
  /** A wrong Sec-WebSocket-Accept. */
  badAccept?: boolean;
  /** The offending side's frames after its first, valid, message; built for its masking. */
  frames?: (mask: boolean) => Buffer[];
}

/** Frame-level rules that either side can break. */
const BOTH_SIDES: Array<Omit<RuleCase, 'from'>> = [
  { rule: 'rsv-bit-without-extension', frames: (mask) => [frame({ opcode: 1, rsv: 0x40, payload: 'rsv1, no extension', mask }), frame({ opcode: 2, rsv: 0x30, payload: 'rsv2+3', mask })] },
  { rule: 'unknown-opcode', frames: (mask) => [frame({ opcode: 0x3, payload: 'reserved data opcode', mask }), frame({ opcode: 0xb, payload: 'reserved control opcode', mask })] },
  { rule: 'non-minimal-length', frames: (mask) => [frame({ opcode: 1, payload: 'short', lengthForm: 16, mask }), frame({ opcode: 2, payload: Buffer.alloc(200, 7), lengthForm: 64, mask })] },
  {
    rule: 'invalid-length',
    frames: (mask) => {
      const header = Buffer.from([0x82, (mask ? 0x80 : 0) | 127, 0x80, 0, 0, 0, 0, 0, 0, 5]);
      return [header, ...(mask ? [crypto.randomBytes(4)] : []), Buffer.from('bytes after an undefined length are still forwarded')];
    },
  },
  { rule: 'unexpected-continuation', frames: (mask) => [frame({ opcode: 0, payload: 'stray continuation', mask })] },
  { rule: 'interleaved-data-frame', frames: (mask) => [frame({ opcode: 1, fin: false, payload: 'first half of', mask }), frame({ opcode: 2, payload: 'a new binary message', mask })] },
  { rule: 'control-frame-too-long', frames: (mask) => [frame({ opcode: 9, payload: Buffer.alloc(126, 0x70), mask })] },
  { rule: 'control-frame-fragmented', frames: (mask) => [frame({ opcode: 9, fin: false, payload: 'frag', mask })] },
  { rule: 'close-payload-too-short', frames: (mask) => [frame({ opcode: 8, payload: Buffer.from([0x03]), mask })] },
  { rule: 'data-after-close', frames: (mask) => [frame({ opcode: 8, payload: closePayload(1000, 'bye'), mask }), frame({ opcode: 1, payload: 'after my close', mask })] },
  { rule: 'invalid-close-code', frames: (mask) => [frame({ opcode: 8, payload: closePayload(1005, 'no status may not be sent'), mask })] },
  { rule: 'invalid-utf8', frames: (mask) => [frame({ opcode: 1, payload: Buffer.from([0x61, 0xc3, 0x28, 0x62]), mask })] },
  { rule: 'compressed-control-frame', deflate: true, frames: (mask) => [frame({ opcode: 9, rsv: 0x40, payload: 'compressed ping?', mask })] },
  // 0x07: a final block of the reserved type 11 (RFC 1951 §3.2.3): never inflates.
  { rule: 'inflate-failed', deflate: true, frames: (mask) => [frame({ opcode: 1, rsv: 0x40, payload: Buffer.from([0x07, 0x00, 0x11, 0x22]), mask })] },
];

const RULE_CASES: RuleCase[] = [
  { rule: 'malformed-handshake', from: 'client', note: 'request without Sec-WebSocket-Version', requestOmits: ['Sec-WebSocket-Version'] },
  { rule: 'malformed-handshake', from: 'server', note: '101 without Upgrade', responseOmits: ['Upgrade'] },
  { rule: 'bad-accept', from: 'server', note: 'wrong Sec-WebSocket-Accept', badAccept: true },
  { rule: 'client-frame-unmasked', from: 'client', frames: () => [frame({ opcode: 1, payload: 'not masked', mask: false })] },
  { rule: 'server-frame-masked', from: 'server', frames: () => [frame({ opcode: 1, payload: 'masked by the server', mask: true })] },
  ...BOTH_SIDES.flatMap((c) => (['client', 'server'] as const).map((from) => ({ ...c, from }))),
];

test('every violation rule, from each side it applies to, through the live proxy: recorded with its RFC section, bytes unchanged, proxy still serving', async (t) => {
  const records = new Records();
  const cases = new Map<string, RuleCase | 'health'>();
  let upstream: RawUpstream | undefined;
  let proxy: RunningProxy | undefined;
  try {
    upstream = await startRawUpstream(async (c) => {
      const spec = cases.get(c.path);
      if (!spec) {
        c.socket.destroy();
        return;
      }
      if (spec === 'health') {
        await c.send(Buffer.concat([switchingProtocols(c.key), frame({ opcode: 1, payload: 'healthy' }), frame({ opcode: 8, payload: closePayload(1000) })]));
        return;
      }
      const response = switchingProtocols(c.key, {
        deflate: spec.deflate ?? false, omit: spec.responseOmits ?? [], ...(spec.badAccept ? { accept: crypto.randomBytes(20).toString('base64') } : {}),
      });
      const own = [frame({ opcode: 1, payload: 'hello from the server' })];
      const offending = spec.from === 'server' && spec.frames ? spec.frames(false) : [];
      await c.send(Buffer.concat([response, ...own, ...offending]));
    });
    proxy = await reverseProxy(records, upstream.port);
    const proxyPort = proxy.port;
    const upstreamPort = upstream.port;

    /** A well-behaved connection after each case: the proxy still serves, and finds nothing wrong. */
    const healthCheck = async (i: number) => {
      const path = `/health/${i}`;
      cases.set(path, 'health');
      const key = crypto.randomBytes(16).toString('base64');
      const client = await rawClient(proxyPort, upgradeRequest(path, key, proxyPort), {
        after: async (c) => {
          await c.send(frame({ opcode: 1, payload: 'are you there?', mask: true }));
          await c.send(frame({ opcode: 8, payload: closePayload(1000), mask: true }));
        },
      });
      const up = await upstream!.result(path);
      assertForwarded(client, up, upstreamPort);
      const conn = await records.connOf(client.local);
      const end = await records.waitFor(`end #${conn}`, isType('end', conn));
      assert.equal(end.clean, true, 'the health check closed cleanly');
      assert.deepEqual(records.of(conn).filter(isType('violation')), [], 'the health check breaks no rule');
      const texts = records.of(conn).filter(isType('message')).map((m) => `${m.from}:${m.text ?? m.kind}`).sort();
      assert.deepEqual(texts, ['client:are you there?', 'client:close', 'server:close', 'server:healthy']);
    };

    for (const [i, spec] of RULE_CASES.entries()) {
      await t.test(`${spec.rule} from the ${spec.from}${spec.note ? ` (${spec.note})` : ''}${spec.deflate ? ', permessage-deflate agreed' : ''}`, async () => {
        const path = `/case/${i}`;
        cases.set(path, spec);
        const key = crypto.randomBytes(16).toString('base64');
        const head = upgradeRequest(path, key, proxyPort, { deflate: spec.deflate ?? false, omit: spec.requestOmits ?? [] });
        const client = await rawClient(proxyPort, head, {
          after: async (c) => {
            const own = frame({ opcode: 1, payload: 'hello from the client', mask: true });
            const offending = spec.from === 'client' && spec.frames ? spec.frames(true) : [];
            await c.send(Buffer.concat([own, ...offending]));
          },
        });
        const up = await upstream!.result(path);
        assertForwarded(client, up, upstreamPort);

        const conn = await records.connOf(client.local);
        const end = await records.waitFor(`end #${conn}`, isType('end', conn));
        assert.equal(end.bytes.client, client.head.length + client.rest.bytes, 'end.bytes.client counts every byte the client sent');
        assert.equal(end.bytes.server, up.sent.bytes, 'end.bytes.server counts every byte the upstream sent');
        const hs = records.of(conn).find(isType('handshake')) as HandshakeRecord | undefined;
        assert.ok(hs, 'a handshake record');
        assert.equal(hs.upgraded, true);
        if (spec.deflate) assert.deepEqual(hs.extensions.map((e) => e.name), ['permessage-deflate']);

        const violations = records.of(conn).filter(isType('violation')) as ViolationRecord[];
        const seen = [...new Set(violations.map((v) => `${v.from}:${v.rule}`))];
        assert.deepEqual(seen, [`${spec.from}:${spec.rule}`], `exactly the rule under test, from ${spec.from}: ${JSON.stringify(violations.map((v) => [v.from, v.rule, v.detail]))}`);
        for (const v of violations) {
          assert.equal(v.rfc, README_RFC[spec.rule], `rfc of ${spec.rule} as README states it`);
          assert.equal(v.rfc, VIOLATION_RULES[spec.rule].rfc);
          assert.ok(v.detail.length > 0, 'a detail');
        }
        // Both sides' first, valid, messages were decoded despite the violation.
        const texts = records.of(conn).filter(isType('message')).map((m) => `${m.from}:${m.text ?? ''}`);
        assert.ok(texts.includes('client:hello from the client'), `client message decoded: ${texts.join(' | ')}`);
        assert.ok(texts.includes('server:hello from the server'), `server message decoded: ${texts.join(' | ')}`);

        await healthCheck(i);
      });
    }

    // Nothing in core/violation-rules.ts is left untested here.
    const covered = new Set(RULE_CASES.map((c) => c.rule));
    assert.deepEqual(Object.keys(VIOLATION_RULES).filter((r) => !covered.has(r as ViolationRule)), [], 'every rule id has a case');
    assert.deepEqual(Object.keys(README_RFC).sort(), Object.keys(VIOLATION_RULES).sort(), 'the README table and the code list the same rules');
  } finally {
    await proxy?.close();
    await upstream?.close();
  }
});

// ---------------------------------------------------------------------------------------------
// Broken HTTP
// ---------------------------------------------------------------------------------------------

test('hostile handshakes: garbage gets 400; a handshake in 1-byte writes works; a header block over 64 KiB (up to 70 MiB offered) gets 431 without growing memory', async (t) => {
  const records = new Records();
  let upstream: RawUpstream | undefined;
  let proxy: RunningProxy | undefined;
  try {
    upstream = await startRawUpstream(async (c) => {
      await c.send(Buffer.concat([switchingProtocols(c.key), frame({ opcode: 1, payload: 'byte by byte works' })]));
    });
    proxy = await reverseProxy(records, upstream.port);
    const proxyPort = proxy.port;

    await t.test('random bytes then an empty line: 400 from Node\'s parser, an http record, proxy up', async () => {
      // A fixed seed keeps the bytes reproducible; the first byte is not a token character, so no method can match.
      const garbage = Buffer.concat([Buffer.from([0x01]), crypto.createHash('sha512').update('seed-1').digest(), crypto.createHash('sha512').update('seed-2').digest(), Buffer.from('\r\n\r\n')]);
      const client = await rawClient(proxyPort, garbage);
      const text = client.received.prefix.toString('latin1');
      assert.match(text, /^HTTP\/1\.1 400 Bad Request\r\n/);
      const conn = await records.connOf(client.local);
      const h = await records.waitFor('http record', isType('http', conn));
      assert.equal(h.status, 400);
      assert.match(h.error ?? '', /bad request from the client/);
      await records.waitFor('end', isType('end', conn));
      assert.equal(records.of(conn).filter(isType('handshake')).length, 0);
    });

    await t.test('a valid handshake and frame written one byte per write', async () => {
      const key = crypto.randomBytes(16).toString('base64');
      const head = upgradeRequest('/bytewise', key, proxyPort);
      const client = await rawClient(proxyPort, head, {
        bytewise: true,
        after: async (c) => {
          const f = frame({ opcode: 1, payload: 'slowly, byte by byte', mask: true });
          for (let i = 0; i < f.length; i++) {
            await c.send(f.subarray(i, i + 1));
            await new Promise((r) => setImmediate(r));
          }
        },
      });
      const up = await upstream!.result('/bytewise');
      assertForwarded(client, up, upstream!.port);
      const conn = await records.connOf(client.local);
      const hs = await records.waitFor('handshake', isType('handshake', conn));
      assert.equal(hs.accept, 'valid');
      assert.equal(hs.upgraded, true);
      await records.waitFor('client message', (r): r is MessageRecord => r.type === 'message' && r.conn === conn && r.from === 'client' && r.text === 'slowly, byte by byte');
      await records.waitFor('server message', (r): r is MessageRecord => r.type === 'message' && r.conn === conn && r.from === 'server' && r.text === 'byte by byte works');
      assert.equal(records.of(conn).filter(isType('violation')).length, 0);
    });

    await t.test('a header block over 64 KiB: 431 with an http record saying why; the proxy does not buffer it', async () => {
      const acceptedBefore = upstream!.accepted();
      global.gc?.();
      const rss0 = rssNow();
      const sampler = rssSampler();
      const line = Buffer.from(`X-Padding: ${'p'.repeat(8 * 1024 - 14)}\r\n`, 'latin1');
      const LIMIT = 70 * MiB;
      let written = 0;
      let stoppedBy = 'limit';
      const client = await rawClient(proxyPort, Buffer.from(`GET /huge HTTP/1.1\r\nHost: ${HOST}:${proxyPort}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`, 'latin1'), {
        waitResponse: false,
        closeMs: 10_000,
        after: async (c) => {
          const started = Date.now();
          while (written < LIMIT) {
            if (c.socket.destroyed || c.events.includes('end') || c.events.some((e) => e.startsWith('error'))) {
              stoppedBy = 'the proxy ended the connection';
              break;
            }
            if (Date.now() - started > 10_000) {
              stoppedBy = 'time';
              break;
            }
            if (!c.socket.write(line)) {
              // The proxy stopped reading: wait, bounded, for room or the end.
              await roomOrEnd(c.socket, 500);
            }
            written += line.length;
          }
        },
      });
      const peak = sampler.stop();
      const text = client.received.prefix.toString('latin1');
      t.diagnostic(`header block: wrote ${written} bytes before stopping (${stoppedBy}); rss peak +${((peak - rss0) / MiB).toFixed(1)} MiB; answer ${JSON.stringify(text.split('\r\n')[0])}`);
      // The answer can be lost only if the proxy's close resets the connection first (unread bytes): then the record must still say 431.
      if (text.length > 0 || !client.events.some((e) => e.startsWith('error'))) assert.match(text, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
      const conn = await records.connOf(client.local);
      const h = await records.waitFor('http record', isType('http', conn));
      assert.equal(h.status, 431);
      assert.match(h.error ?? '', /header overflow/i);
      assert.equal(upstream!.accepted(), acceptedBefore, 'the upstream was never contacted');
      assert.ok(peak - rss0 < 48 * MiB, `rss grew ${((peak - rss0) / MiB).toFixed(1)} MiB while ${(written / MiB).toFixed(1)} MiB of header were sent`);
      assert.ok(written > 64 * 1024, 'more than the limit was offered');
      assert.equal(stoppedBy, 'the proxy ended the connection', `the proxy does not swallow an endless header (wrote ${written} bytes)`);
      await records.waitFor('end', isType('end', conn));
    });

    await t.test('still serving after all that', async () => {
      const key = crypto.randomBytes(16).toString('base64');
      const client = await rawClient(proxyPort, upgradeRequest('/after', key, proxyPort), {
        after: async (c) => c.send(frame({ opcode: 1, payload: 'still there', mask: true })),
      });
      const up = await upstream!.result('/after');
      assertForwarded(client, up, upstream!.port);
      const conn = await records.connOf(client.local);
      await records.waitFor('message', (r): r is MessageRecord => r.type === 'message' && r.conn === conn && r.text === 'still there');
    });
    assert.equal(records.all.filter((r) => r.type === 'handshake' && r.request.target === '/huge').length, 0, 'the huge head never became a handshake');
  } finally {
    await proxy?.close();
    await upstream?.close();
  }
});

test('refused upgrades (401, 404, 500) pass through byte-exact with a handshake record upgraded: false', async (t) => {
  const records = new Records();
  let upstream: RawUpstream | undefined;
  let proxy: RunningProxy | undefined;
  const answers: Record<string, string> = {
    '/401': 'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="ws"\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nConnection: close\r\n\r\nlog in first\n',
    '/404': 'HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\nX-Odd:   spaced   \r\nConnection: close\r\n\r\nnot here!\n',
    '/500': 'HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n<h1>boom</h1>\n',
  };
  try {
    upstream = await startRawUpstream(async (c) => {
      await c.send(Buffer.from(answers[c.path] ?? 'HTTP/1.1 400 Bad Request\r\n\r\n', 'latin1'));
      c.socket.end();
    });
    proxy = await reverseProxy(records, upstream.port);
    for (const status of [401, 404, 500]) {
      await t.test(`${status}`, async () => {
        const path = `/${status}`;
        const key = crypto.randomBytes(16).toString('base64');
        const client = await rawClient(proxy!.port, upgradeRequest(path, key, proxy!.port));
        const up = await upstream!.result(path);
        assertForwarded(client, up, upstream!.port);
        assert.equal(client.received.prefix.toString('latin1'), answers[path], 'the client got the answer as the upstream sent it');
        const conn = await records.connOf(client.local);
        const hs = await records.waitFor('handshake', isType('handshake', conn));
        assert.equal(hs.upgraded, false);
        assert.equal(hs.response.status, status);
        assert.equal(records.of(conn).filter(isType('frame')).length, 0, 'nothing decoded as frames');
        await records.waitFor('end', isType('end', conn));
      });
    }
  } finally {
    await proxy?.close();
    await upstream?.close();
  }
});

test('plain HTTP through the proxy: an HTTP/1.0 request, and two pipelined HTTP/1.1 GETs answered in order', async () => {
  const records = new Records();
  let upstream: http.Server | undefined;
  let proxy: RunningProxy | undefined;
  try {
    upstream = http.createServer((req, res) => {
      const body = `body of ${req.url}`;
      // The first pipelined request is the slow one: its answer must still come first.
      const delay = req.url === '/one' ? 80 : 0;
      setTimeout(() => res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) }).end(body), delay);
    });
    const port = await listen(upstream);
    proxy = await reverseProxy(records, port);

    const old = await rawClient(proxy.port, Buffer.from('GET /old HTTP/1.0\r\n\r\n', 'latin1'), { waitResponse: false, after: async (c) => waitUntil('HTTP/1.0 answer', () => c.events.includes('end')) });
    const oldText = old.received.prefix.toString('latin1');
    assert.match(oldText, /^HTTP\/1\.[01] 200 OK\r\n/);
    assert.ok(oldText.endsWith('\r\n\r\nbody of /old'), `HTTP/1.0 answer: ${JSON.stringify(oldText)}`);

    const pipelined = Buffer.from(`GET /one HTTP/1.1\r\nHost: a\r\n\r\nGET /two HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`, 'latin1');
    const two = await rawClient(proxy.port, pipelined, { waitResponse: false, after: async (c) => waitUntil('both answers', () => c.events.includes('end')) });
    const responses = parseResponses(two.received.prefix);
    assert.deepEqual(responses.map((r) => [r.status, r.body]), [[200, 'body of /one'], [200, 'body of /two']]);
    const conn = await records.connOf(two.local);
    await waitUntil('two http records', () => records.of(conn).filter(isType('http')).length === 2);
    const hs = records.of(conn).filter(isType('http')) as HttpRecord[];
    assert.deepEqual(hs.map((h) => [h.url, h.status]), [[`http://${HOST}:${port}/one`, 200], [`http://${HOST}:${port}/two`, 200]]);
  } finally {
    await proxy?.close();
    await closeServer(upstream);
  }
});

/** Splits HTTP/1.1 responses with Content-Length bodies. */
function parseResponses(data: Buffer): Array<{ status: number; body: string }> {
  const out: Array<{ status: number; body: string }> = [];
  let s = data.toString('latin1');
  while (s.length > 0) {
    const end = s.indexOf('\r\n\r\n');
    assert.ok(end > 0, `a response head in ${JSON.stringify(s)}`);
    const head = s.slice(0, end);
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
    assert.doesNotMatch(head, /transfer-encoding: chunked/i, 'bodies come with Content-Length');
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1]);
    assert.ok(Number.isFinite(length), `Content-Length in ${JSON.stringify(head)}`);
    out.push({ status, body: s.slice(end + 4, end + 4 + length) });
    s = s.slice(end + 4 + length);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Memory bombs
// ---------------------------------------------------------------------------------------------

test('a frame declaring 2^62 bytes, then 20 MiB of it: forwarded intact, memory flat, only an incomplete message at the end', async (t) => {
  const records = new Records();
  let upstream: RawUpstream | undefined;
  let proxy: RunningProxy | undefined;
  const PAYLOAD = 20 * MiB;
  const CHUNK = 64 * 1024;
  try {
    upstream = await startRawUpstream(async (c) => {
      const header = Buffer.alloc(10);
      header[0] = 0x82;
      header[1] = 127;
      header.writeBigUInt64BE(2n ** 62n, 2);
      await c.send(Buffer.concat([switchingProtocols(c.key), header]));
      const base = crypto.randomBytes(CHUNK);
      for (let i = 0; i < PAYLOAD / CHUNK; i++) {
        const chunk = Buffer.from(base);
        chunk.writeUInt32BE(i, 0);
        await c.send(chunk);
      }
    });
    proxy = await reverseProxy(records, upstream.port);
    global.gc?.();
    const rss0 = rssNow();
    const sampler = rssSampler();
    const key = crypto.randomBytes(16).toString('base64');
    let conn = 0;
    const client = await rawClient(proxy.port, upgradeRequest('/huge-frame', key, proxy.port), {
      closeMs: 20_000,
      after: async (c) => {
        conn = await records.connOf(c.local);
        const expected = switchingProtocols(key).length + 10 + PAYLOAD;
        await waitUntil('20 MiB through the proxy', () => c.received.bytes >= expected, 30_000);
        assert.equal(records.of(conn).filter(isType('message')).length, 0, 'no message record while the frame is in flight');
        assert.equal(records.of(conn).filter(isType('frame')).length, 0, 'no frame record before the frame ends');
      },
    });
    const peak = sampler.stop();
    const up = await upstream.result('/huge-frame');
    assertForwarded(client, up, upstream.port);
    t.diagnostic(`2^62-byte frame: ${PAYLOAD} payload bytes forwarded; rss peak +${((peak - rss0) / MiB).toFixed(1)} MiB`);
    assert.ok(peak - rss0 < 100 * MiB, `rss grew ${((peak - rss0) / MiB).toFixed(1)} MiB`);
    const end = await records.waitFor('end', isType('end', conn));
    assert.match(end.reason ?? '', new RegExp(`server stream ended mid-frame \\(${PAYLOAD} of ${2 ** 62} payload bytes\\)`));
    assert.equal(end.bytes.server, up.sent.bytes);
    assert.equal(records.of(conn).filter(isType('violation')).length, 0, '2^62 is a legal length');
    // README: a message cut off by the end of the stream is recorded, marked incomplete.
    const msgs = records.of(conn).filter(isType('message')) as MessageRecord[];
    assert.equal(msgs.length, 1, 'one message record, at the end');
    assert.equal(msgs[0]!.incomplete, true);
    assert.equal(msgs[0]!.length, PAYLOAD);
    assert.equal(msgs[0]!.wireLength, PAYLOAD);
    assert.equal(msgs[0]!.truncated, true);
    assert.equal(recordPayload(msgs[0]!).length, MiB, 'kept exactly --max-payload bytes');
  } finally {
    await proxy?.close();
    await upstream?.close();
  }
});

test('a fragmented message that never ends (2,000 continuations of 8 KiB, no FIN): forwarded, memory flat, incomplete record with the exact length', async (t) => {
  const records = new Records();
  let upstream: RawUpstream | undefined;
  let proxy: RunningProxy | undefined;
  const FRAG = 8 * 1024;
  const CONTINUATIONS = 2000;
  try {
    upstream = await startRawUpstream(async (c) => {
      await c.send(switchingProtocols(c.key));
    });
    proxy = await reverseProxy(records, upstream.port);
    const first = frame({ opcode: 2, fin: false, payload: crypto.randomBytes(FRAG), mask: true });
    const continuation = frame({ opcode: 0, fin: false, payload: crypto.randomBytes(FRAG), mask: true });
    global.gc?.();
    const rss0 = rssNow();
    const sampler = rssSampler();
    const key = crypto.randomBytes(16).toString('base64');
    const client = await rawClient(proxy.port, upgradeRequest('/endless', key, proxy.port), {
      closeMs: 20_000,
      after: async (c) => {
        await c.send(first);
        for (let i = 0; i < CONTINUATIONS; i++) await c.send(continuation);
      },
    });
    const peak = sampler.stop();
    const up = await upstream.result('/endless');
    assertForwarded(client, up, upstream.port);
    const conn = await records.connOf(client.local);
    const end = await records.waitFor('end', isType('end', conn));
    t.diagnostic(`endless fragmented message: ${client.rest.bytes} bytes forwarded; rss peak +${((peak - rss0) / MiB).toFixed(1)} MiB`);
    assert.ok(peak - rss0 < 100 * MiB, `rss grew ${((peak - rss0) / MiB).toFixed(1)} MiB`);
    const msgs = records.of(conn).filter(isType('message')) as MessageRecord[];
    assert.equal(msgs.length, 1);
    const m = msgs[0]!;
    assert.equal(m.from, 'client');
    assert.equal(m.kind, 'binary');
    assert.equal(m.incomplete, true);
    assert.equal(m.length, (CONTINUATIONS + 1) * FRAG);
    assert.equal(m.wireLength, (CONTINUATIONS + 1) * FRAG);
    assert.equal(m.frames, CONTINUATIONS + 1);
    assert.equal(m.truncated, true);
    assert.equal(end.frames.client, CONTINUATIONS + 1);
    assert.equal(records.of(conn).filter(isType('violation')).length, 0);
  } finally {
    await proxy?.close();
    await upstream?.close();
  }
});

/** Compresses messages with one raw DEFLATE context (context takeover), each ending in a sync flush whose 00 00 ff ff tail is removed. */
class MessageDeflater {
  private readonly deflate = zlib.createDeflateRaw();
  private out: Buffer[] = [];

  constructor() {
    this.deflate.on('data', (c: Buffer) => this.out.push(c));
  }

  /** `size` zero bytes (written in pieces, never allocated whole), or `data`. */
  async message(data: Buffer | { zeros: number }): Promise<Buffer> {
    if (Buffer.isBuffer(data)) {
      this.deflate.write(data);
    } else {
      const zeros = Buffer.alloc(MiB);
      for (let left = data.zeros; left > 0; left -= zeros.length) {
        if (!this.deflate.write(left >= zeros.length ? zeros : zeros.subarray(0, left))) await once(this.deflate, 'drain');
      }
    }
    await new Promise<void>((r) => this.deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => r()));
    await new Promise((r) => setImmediate(r));
    const all = Buffer.concat(this.out);
    this.out = [];
    assert.ok(all.subarray(-4).equals(Buffer.from([0, 0, 0xff, 0xff])), 'a sync flush ends in 00 00 ff ff');
    return all.subarray(0, -4);
  }

  close(): void {
    this.deflate.close();
  }
}

test('a deflate bomb (512 MiB of zeros in one compressed message): forwarded intact, measured exactly, memory flat, the next message still decodes', async (t) => {
  const records = new Records();
  let upstream: RawUpstream | undefined;
  let proxy: RunningProxy | undefined;
  const deflater = new MessageDeflater();
  const BOMB = 512 * MiB;
  try {
    const started = Date.now();
    const bomb = await deflater.message({ zeros: BOMB });
    const after = await deflater.message(Buffer.from('still decodes after the bomb'));
    t.diagnostic(`bomb: ${bomb.length} compressed bytes for ${BOMB} (generated in ${Date.now() - started} ms)`);
    const wire = Buffer.concat([frame({ opcode: 2, rsv: 0x40, payload: bomb }), frame({ opcode: 1, rsv: 0x40, payload: after })]);

    upstream = await startRawUpstream(async (c) => {
      await c.send(Buffer.concat([switchingProtocols(c.key, { deflate: true }), wire]));
    });
    proxy = await reverseProxy(records, upstream.port);
    global.gc?.();
    const rss0 = rssNow();
    const sampler = rssSampler();
    const key = crypto.randomBytes(16).toString('base64');
    let conn = 0;
    const client = await rawClient(proxy.port, upgradeRequest('/bomb', key, proxy.port, { deflate: true }), {
      closeMs: 20_000,
      after: async (c) => {
        conn = await records.connOf(c.local);
        await records.waitFor('the message after the bomb', (r): r is MessageRecord => r.type === 'message' && r.conn === conn && r.kind === 'text', 30_000);
      },
    });
    const peak = sampler.stop();
    const up = await upstream.result('/bomb');
    assertForwarded(client, up, upstream.port);
    t.diagnostic(`bomb: rss peak +${((peak - rss0) / MiB).toFixed(1)} MiB`);
    assert.ok(peak - rss0 < 150 * MiB, `rss grew ${((peak - rss0) / MiB).toFixed(1)} MiB`);

    const msgs = records.of(conn).filter(isType('message')) as MessageRecord[];
    assert.equal(msgs.length, 2);
    const [b, next] = msgs as [MessageRecord, MessageRecord];
    assert.equal(b.kind, 'binary');
    assert.equal(b.compressed, true);
    assert.equal(b.length, BOMB, 'the inflated length is exact');
    assert.equal(b.wireLength, bomb.length);
    assert.equal(b.truncated, true);
    assert.equal(recordPayload(b).length, MiB);
    assert.equal(b.incomplete, undefined);
    assert.equal(next.text, 'still decodes after the bomb', 'the inflate context survived the bomb');
    assert.equal(next.compressed, true);
    assert.equal(records.of(conn).filter(isType('violation')).length, 0);
    const end = await records.waitFor('end', isType('end', conn)) as EndRecord;
    assert.equal(end.frames.server, 2);
  } finally {
    deflater.close();
    await proxy?.close();
    await upstream?.close();
  }
});
