import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { HandshakeRecord } from '../core/log/records.js';
import { runDemoClient } from '../demo/demo-client.js';
import { startDemoServer } from '../demo/demo-server.js';
import { readApp } from './support/app-records.js';
import { isType, Records, reverseProxy } from './support/proxy-records.js';
import { closeServer, HOST, listen } from './support/raw-peers.js';
import { sleep, waitUntil, within } from './support/wait.js';

/** The demo server behind the proxy, as `wspeek demo` runs them; the proxy's records tell what the client did. */
async function demoBehindProxy(): Promise<{ records: Records; origin: string; close(): Promise<void> }> {
  const demo = await startDemoServer();
  const records = new Records();
  const proxy = await reverseProxy(records, Number(new URL(demo.origin).port));
  return {
    records, origin: `http://${proxy.address}`,
    async close() {
      await proxy.close();
      await demo.close();
    },
  };
}

const handshakes = (records: Records, path: string) => records.all.filter(isType('handshake')).filter((r: HandshakeRecord) => new URL(r.url).pathname === path);

test('without `until` the script plays once: the page, /chat, /rpc and /plain, every connection ended by a close frame', async () => {
  const setup = await demoBehindProxy();
  try {
    await within(runDemoClient(setup.origin), 'one play of the script', 10_000);
    const { records } = setup;
    await waitUntil('the three WebSocket connections ended', () => records.all.filter(isType('end')).filter((e) => e.code !== null).length === 3);
    assert.equal(records.all.filter(isType('http')).length, 1, 'one page load');
    assert.equal(handshakes(records, '/chat').length, 1);
    assert.equal(handshakes(records, '/rpc').length, 1);
    assert.equal(handshakes(records, '/plain').length, 1);
    const ends = records.all.filter(isType('end')).filter((e) => e.code !== null).map((e) => [e.by, e.code, e.clean]);
    assert.deepEqual(ends, [['client', 1000, true], ['client', 1000, true], ['server', 4001, true]]);
    // The JSON-RPC connection reads as calls and their replies.
    const rpc = handshakes(records, '/rpc')[0]!.conn;
    const calls = readApp(records.all).filter((m) => m.conn === rpc && m.app).flatMap((m) => m.app!.map((e) => [m.from, e.type, e.name, e.id, e.pair !== undefined]));
    assert.deepEqual(calls, [
      ['client', 'request', 'add', 1, false], ['server', 'response', 'add', 1, true],
      ['client', 'notification', 'log', undefined, false],
      ['client', 'request', 'echo', 2, false], ['client', 'request', 'divide', 3, false],
      ['server', 'response', 'echo', 2, true], ['server', 'error', 'divide', 3, true],
    ]);
    const texts = records.all.filter(isType('message')).filter((m) => m.from === 'client' && m.kind === 'text').map((m) => m.text);
    assert.ok(texts.includes('Hello from the wspeek demo client'), `the client's greeting was sent: ${JSON.stringify(texts)}`);
  } finally {
    await setup.close();
  }
});

test('with `until` the script plays again every 2 s, and the replay ends soon after `until` resolves', async () => {
  const setup = await demoBehindProxy();
  let quit!: () => void;
  const until = new Promise<void>((r) => (quit = r));
  const replay = runDemoClient(setup.origin, until);
  try {
    await waitUntil('a second play of the script', () => handshakes(setup.records, '/chat').length >= 2, 10_000);
    const quitAt = Date.now();
    quit();
    await within(replay, 'the replay ends after until resolved', 6000);
    assert.ok(Date.now() - quitAt < 1500, `the replay ended ${Date.now() - quitAt} ms after until resolved: at most the rest of one play`);
    const [first, second] = handshakes(setup.records, '/chat');
    const gap = second!.ts - first!.ts;
    assert.ok(gap >= 2000 && gap < 4000, `2 s between plays, plus the script itself: ${gap} ms`);
    const plays = handshakes(setup.records, '/chat').length;
    await sleep(2500);
    assert.equal(handshakes(setup.records, '/chat').length, plays, 'no play starts after the replay ended');
  } finally {
    quit();
    await setup.close();
  }
});

/** A server that answers the script's first request (the page) by cutting the connection, after calling `onRequest`. */
async function cuttingServer(onRequest: () => void): Promise<{ origin: string; server: http.Server }> {
  const server = http.createServer((req) => {
    onRequest();
    req.socket.destroy();
  });
  const port = await listen(server);
  return { origin: `http://${HOST}:${port}`, server };
}

test('a failure while `until` is pending ends the replay with the error', async () => {
  let quit!: () => void;
  const until = new Promise<void>((r) => (quit = r));
  const { origin, server } = await cuttingServer(() => {});
  try {
    await assert.rejects(within(runDemoClient(origin, until), 'the replay fails', 6000), /socket hang up|ECONNRESET/);
  } finally {
    quit(); // ends a replay that went on regardless
    await closeServer(server);
  }
});

test('a failure after `until` resolved (quitting closes the proxy under the script) ends the replay quietly', async () => {
  let quit!: () => void;
  const until = new Promise<void>((r) => (quit = r));
  const { origin, server } = await cuttingServer(() => quit());
  try {
    await within(runDemoClient(origin, until), 'the replay ends without an error', 6000);
  } finally {
    await closeServer(server);
  }
});
