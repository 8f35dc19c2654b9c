import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pointClientAt } from '../tui/client-hint.js';

test('a ws or wss target: the client connects to wspeek with ws://, the target named as given', () => {
  assert.equal(pointClientAt('127.0.0.1:8080', 'ws://localhost:3000'), 'point your client at ws://127.0.0.1:8080/ instead of ws://localhost:3000/');
  assert.equal(pointClientAt('127.0.0.1:8080', 'wss://api.example.com/base'), 'point your client at ws://127.0.0.1:8080/ instead of wss://api.example.com/base');
});

test('an http or https target (a page and its WebSocket): the client opens http:// on wspeek', () => {
  assert.equal(pointClientAt('[::1]:9000', 'https://localhost:3000/'), 'point your client at http://[::1]:9000/ instead of https://localhost:3000/');
});

test('a target that is not a URL is named as it is', () => {
  assert.equal(pointClientAt('127.0.0.1:8080', 'nonsense'), 'point your client at 127.0.0.1:8080 instead of nonsense');
});
