import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeHandshake, computeAccept, WEBSOCKET_GUID } from '../core/websocket/handshake.js';
import type { HttpRequestHead, HttpResponseHead } from '../core/websocket/events.js';
import { RFC_REQUEST_HEADERS, RFC_RESPONSE_HEADERS } from './support/rfc6455-fixtures.js';

/** The opening handshake of RFC 6455 §1.3. */
function rfcRequest(extra: Array<[string, string]> = []): HttpRequestHead {
  return {
    method: 'GET', target: '/chat', version: 'HTTP/1.1',
    headers: [...RFC_REQUEST_HEADERS, ...extra],
  };
}

function rfcResponse(headers?: Array<[string, string]>, status = 101): HttpResponseHead {
  return {
    version: 'HTTP/1.1', status, reason: status === 101 ? 'Switching Protocols' : 'Unauthorized',
    headers: headers ?? [...RFC_RESPONSE_HEADERS],
  };
}

test('computeAccept gives the RFC 6455 §1.3 value', () => {
  assert.equal(WEBSOCKET_GUID, '258EAFA5-E914-47DA-95CA-C5AB0DC85B11');
  assert.equal(computeAccept('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
});

test('computeAccept gives the Sec-WebSocket-Accept of the Wireshark capture in "WebSocketの中身を覗いてみる"', () => {
  assert.equal(computeAccept('ByrM/ZMQsliJ3ARpSzF6lg=='), 'j+6fEtOsvfgsycBMCfLxWNzPFxk=');
});

test('the RFC 6455 §1.3 exchange is a valid upgrade with no problems', () => {
  const a = analyzeHandshake(rfcRequest(), rfcResponse());
  assert.deepEqual(a, { upgraded: true, accept: 'valid', protocol: 'chat', extensions: [], problems: [] });
});

test('header names and Upgrade/Connection tokens compare case-insensitively', () => {
  const req = rfcRequest();
  req.headers = req.headers.map(([n, v]) => [n.toUpperCase(), n === 'Upgrade' ? 'WebSocket' : n === 'Connection' ? 'keep-alive, upgrade' : v]);
  const a = analyzeHandshake(req, rfcResponse([
    ['upgrade', 'WEBSOCKET'], ['connection', 'UPGRADE'], ['sec-websocket-accept', 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='],
  ]));
  assert.deepEqual(a.problems, []);
  assert.equal(a.accept, 'valid');
  assert.equal(a.protocol, null);
});

test('a wrong Sec-WebSocket-Accept is invalid and reported as bad-accept from the server', () => {
  const a = analyzeHandshake(rfcRequest(), rfcResponse([
    ['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Accept', 'j+6fEtOsvfgsycBMCfLxWNzPFxk='],
  ]));
  assert.equal(a.upgraded, true);
  assert.equal(a.accept, 'invalid');
  assert.equal(a.problems.length, 1);
  assert.equal(a.problems[0]!.rule, 'bad-accept');
  assert.equal(a.problems[0]!.from, 'server');
  assert.match(a.problems[0]!.detail, /expected s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/);
});

test('two Sec-WebSocket-Accept fields are invalid even if one is right', () => {
  const a = analyzeHandshake(rfcRequest(), rfcResponse([
    ['Upgrade', 'websocket'], ['Connection', 'Upgrade'],
    ['Sec-WebSocket-Accept', 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='], ['Sec-WebSocket-Accept', 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='],
  ]));
  assert.equal(a.accept, 'invalid');
  assert.deepEqual(a.problems.map((p) => p.rule), ['bad-accept']);
});

test('a missing Sec-WebSocket-Accept is "missing" and reported as bad-accept', () => {
  const a = analyzeHandshake(rfcRequest(), rfcResponse([['Upgrade', 'websocket'], ['Connection', 'Upgrade']]));
  assert.equal(a.upgraded, true);
  assert.equal(a.accept, 'missing');
  assert.deepEqual(a.problems.map((p) => [p.rule, p.from]), [['bad-accept', 'server']]);
});

test('a non-101 response (401) is not an upgrade and reports nothing about the response', () => {
  const a = analyzeHandshake(rfcRequest(), rfcResponse([['WWW-Authenticate', 'Basic realm="x"']], 401));
  assert.deepEqual(a, { upgraded: false, accept: 'missing', protocol: null, extensions: [], problems: [] });
});

test('a 101 switching to another protocol (Upgrade: h2c) is not a WebSocket upgrade', () => {
  const a = analyzeHandshake(rfcRequest(), rfcResponse([['Upgrade', 'h2c'], ['Connection', 'Upgrade']]));
  assert.equal(a.upgraded, false);
  assert.equal(a.problems.length, 1);
  assert.equal(a.problems[0]!.rule, 'malformed-handshake');
  assert.equal(a.problems[0]!.from, 'server');
  assert.match(a.problems[0]!.detail, /h2c/);
});

test('a 101 without Upgrade is still taken as an upgrade but reported as malformed', () => {
  const a = analyzeHandshake(rfcRequest(), rfcResponse([['Connection', 'Upgrade'], ['Sec-WebSocket-Accept', 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=']]));
  assert.equal(a.upgraded, true);
  assert.equal(a.accept, 'valid');
  assert.equal(a.problems.length, 1);
  assert.equal(a.problems[0]!.rule, 'malformed-handshake');
  assert.equal(a.problems[0]!.from, 'server');
  assert.match(a.problems[0]!.detail, /no "Upgrade: websocket"/);
});

test('a 101 without Connection: Upgrade is reported as malformed', () => {
  const a = analyzeHandshake(rfcRequest(), rfcResponse([['Upgrade', 'websocket'], ['Sec-WebSocket-Accept', 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=']]));
  assert.equal(a.upgraded, true);
  assert.deepEqual(a.problems.map((p) => p.rule), ['malformed-handshake']);
  assert.match(a.problems[0]!.detail, /Connection: Upgrade/);
});

test('a subprotocol the client did not offer is reported', () => {
  const a = analyzeHandshake(rfcRequest(), rfcResponse([
    ['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Accept', 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='],
    ['Sec-WebSocket-Protocol', 'graphql-ws'],
  ]));
  assert.equal(a.protocol, 'graphql-ws');
  assert.equal(a.problems.length, 1);
  assert.equal(a.problems[0]!.rule, 'malformed-handshake');
  assert.equal(a.problems[0]!.from, 'server');
  assert.match(a.problems[0]!.detail, /graphql-ws/);
});

test('the agreed extensions are read with their parameters', () => {
  const a = analyzeHandshake(
    rfcRequest([['Sec-WebSocket-Extensions', 'permessage-deflate; client_max_window_bits']]),
    rfcResponse([
      ['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Accept', 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='],
      ['Sec-WebSocket-Extensions', 'permessage-deflate; client_max_window_bits=15; server_no_context_takeover'],
    ]),
  );
  assert.deepEqual(a.problems, []);
  assert.deepEqual(a.extensions, [
    { name: 'permessage-deflate', params: { client_max_window_bits: '15', server_no_context_takeover: true } },
  ]);
});

test('an extension the client did not offer, and a broken extension header, are reported', () => {
  const a = analyzeHandshake(rfcRequest(), rfcResponse([
    ['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Accept', 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='],
    ['Sec-WebSocket-Extensions', 'permessage-deflate, ;'],
  ]));
  assert.deepEqual(a.extensions.map((e) => e.name), ['permessage-deflate']);
  const details = a.problems.map((p) => p.detail);
  assert.equal(a.problems.length, 2);
  assert.ok(details.some((d) => /^Sec-WebSocket-Extensions: expected extension name/.test(d)), details.join('\n'));
  assert.ok(details.some((d) => /permessage-deflate, which the client did not offer/.test(d)), details.join('\n'));
});

test('a request that breaks RFC 6455 §4.1 is reported from the client', () => {
  const req: HttpRequestHead = {
    method: 'POST', target: '/chat', version: 'HTTP/1.0',
    headers: [['Host', 'x'], ['Sec-WebSocket-Key', 'short'], ['Sec-WebSocket-Version', '8']],
  };
  const a = analyzeHandshake(req, rfcResponse([['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Accept', computeAccept('short')]]));
  const client = a.problems.filter((p) => p.from === 'client');
  assert.ok(client.every((p) => p.rule === 'malformed-handshake'));
  const details = client.map((p) => p.detail).join('\n');
  for (const re of [/method is POST/, /version is HTTP\/1\.0/, /no "Upgrade: websocket"/, /no "Connection: Upgrade"/, /Sec-WebSocket-Version is "8"/, /"short" is not 16 bytes/]) {
    assert.match(details, re);
  }
  assert.equal(client.length, 6);
  // The accept matches the (bad) key, so it is not also reported as bad-accept.
  assert.equal(a.accept, 'valid');
});

test('a missing or repeated Sec-WebSocket-Key is reported and the accept cannot be checked', () => {
  const noKey = rfcRequest();
  noKey.headers = noKey.headers.filter(([n]) => n !== 'Sec-WebSocket-Key');
  const a = analyzeHandshake(noKey, rfcResponse());
  assert.ok(a.problems.some((p) => p.from === 'client' && /Sec-WebSocket-Key is missing/.test(p.detail)));
  assert.equal(a.accept, 'invalid');
  assert.ok(a.problems.some((p) => p.rule === 'bad-accept' && /no key/.test(p.detail)));

  const twoKeys = rfcRequest([['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ==']]);
  const b = analyzeHandshake(twoKeys, rfcResponse());
  assert.ok(b.problems.some((p) => p.from === 'client' && /more than once/.test(p.detail)));
});
