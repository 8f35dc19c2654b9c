import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeCodeName, isSendableCloseCode } from '../core/websocket/close-codes.js';

test('isSendableCloseCode accepts 1000-1003, 1007-1014 and 3000-4999', () => {
  for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]) {
    assert.equal(isSendableCloseCode(code), true, `code ${code}`);
  }
});

test('isSendableCloseCode rejects reserved codes, the never-sent 1005/1006/1015 and out-of-range codes', () => {
  for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535]) {
    assert.equal(isSendableCloseCode(code), false, `code ${code}`);
  }
});

test('closeCodeName names registered codes', () => {
  assert.equal(closeCodeName(1000), 'Normal Closure');
  assert.equal(closeCodeName(1001), 'Going Away');
  assert.equal(closeCodeName(1002), 'Protocol Error');
  assert.equal(closeCodeName(1006), 'Abnormal Closure');
  assert.equal(closeCodeName(1009), 'Message Too Big');
  assert.equal(closeCodeName(1015), 'TLS Handshake');
});

test('closeCodeName names the range of unregistered codes', () => {
  assert.equal(closeCodeName(3001), 'Registered (libraries, frameworks)');
  assert.equal(closeCodeName(4321), 'Private use');
  assert.equal(closeCodeName(1016), 'Reserved for the protocol');
  assert.equal(closeCodeName(2999), 'Reserved for the protocol');
  assert.equal(closeCodeName(999), 'Invalid');
  assert.equal(closeCodeName(5000), 'Invalid');
});
