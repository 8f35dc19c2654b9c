import assert from 'node:assert/strict';
import { test } from 'node:test';
import { upgradeRequestAt } from '../core/capture/upgrade-request.js';

const UPGRADE = 'GET /chat HTTP/1.1\r\nHost: example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n';
const b = (s: string) => Buffer.from(s, 'latin1');

test('a stream that opens with an upgrade request: 0', () => {
  assert.equal(upgradeRequestAt(b(UPGRADE), false), 0);
  assert.equal(upgradeRequestAt(b(UPGRADE.replace('Upgrade: websocket', 'upgrade:websocket')), false), 0);
});

test('a head still incomplete: need-more, for as long as it could be an HTTP/1.1 request', () => {
  assert.equal(upgradeRequestAt(b('GE'), false), 'need-more');
  assert.equal(upgradeRequestAt(b('GET /chat HTTP/1.1\r\nHost: exa'), false), 'need-more');
  assert.equal(upgradeRequestAt(b('GET /chat HTTP/1.0\r\nHost: exa'), false), null);
});

test('plain HTTP, HTTP/1.0, and bytes that are not HTTP: null', () => {
  assert.equal(upgradeRequestAt(b('GET / HTTP/1.1\r\nHost: example\r\n\r\n'), false), null);
  assert.equal(upgradeRequestAt(b(UPGRADE.replace('HTTP/1.1', 'HTTP/1.0')), false), null);
  assert.equal(upgradeRequestAt(Buffer.from([0x82, 0x05, 1, 2, 3, 4, 5]), false), null);
  assert.equal(upgradeRequestAt(b('SSH-2.0-OpenSSH_9.6\r\n'), false), null);
});

test('joined mid-stream: the first upgrade request at a line start, past other bytes and a plain request', () => {
  const before = 'tail of a body\nGET /x HTTP/1.1\r\nHost: a\r\n\r\n';
  assert.equal(upgradeRequestAt(b(before + UPGRADE), true), before.length);
  assert.equal(upgradeRequestAt(b('...GET /chat HTTP/1.1\r\n'), true), 'need-more');
  assert.equal(upgradeRequestAt(b('\x81\x05hello'), true), 'need-more');
});
