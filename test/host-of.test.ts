import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostOf } from '../core/filter/host-of.js';

test('the host[:port] of a URL, without userinfo, path, query or fragment', () => {
  assert.equal(hostOf('wss://User:pw@API.Example.com:8443/Chat?x=1#f'), 'API.Example.com:8443');
  assert.equal(hostOf('ws://127.0.0.1:3000'), '127.0.0.1:3000');
  assert.equal(hostOf('ws://h?q=a@b'), 'h', 'an @ in the query is not userinfo');
  assert.equal(hostOf('//h.test/x'), 'h.test');
  assert.equal(hostOf('h.test#x'), 'h.test');
  assert.equal(hostOf('ws:///path'), '');
  assert.equal(hostOf(''), '');
});
