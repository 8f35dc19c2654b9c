import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppEntry } from '../core/app/app-entry.js';
import { appLabel, appPreview, isHeartbeat } from '../tui/app-summary.js';

test('an entry reads as its type, name, id, what it answers and its arguments', () => {
  assert.equal(appPreview([{ protocol: 'socket.io', type: 'event', name: 'message', id: 12, namespace: '/', args: [{ room: 'a' }] }]), 'event "message" #12 [{"room":"a"}]');
  assert.equal(appPreview([{ protocol: 'graphql-transport-ws', type: 'next', id: '7', name: 'OnPrice', pair: 3, latencyMs: 3.2 }]), 'next OnPrice #7 ↩3 +3.20ms');
  assert.equal(appPreview([{ protocol: 'socket.io', type: 'event', name: 'x', namespace: '/admin' }]), 'event /admin "x"', 'a namespace other than / is shown');
});

test('MQTT and STOMP types are in capitals, as their specifications write them', () => {
  assert.equal(appPreview([{ protocol: 'mqtt', type: 'publish', name: 'sensors/t1', id: 4 }]), 'PUBLISH sensors/t1 #4');
  assert.equal(appPreview([{ protocol: 'stomp', type: 'send', name: '/queue/a' }]), 'SEND /queue/a');
});

test('the end of an exchange, a partial unit, an unreadable message and several entries', () => {
  assert.equal(appPreview([{ protocol: 'graphql-transport-ws', type: 'complete', id: '1', pair: 2, count: 3, durationMs: 812 }]), 'complete #1 ↩2 3 replies in 812ms');
  assert.equal(appPreview([{ protocol: 'socket.io', type: 'binary_event', name: 'up', partial: true }]), 'binary_event "up" (partial)');
  assert.equal(appPreview([{ protocol: 'mqtt', error: 'bad remaining length' }]), 'unreadable: bad remaining length');
  assert.equal(appPreview([{ protocol: 'mqtt', type: 'puback', id: 1 }, { protocol: 'mqtt', type: 'pingreq', heartbeat: true }]), 'PUBACK #1 · PINGREQ');
});

test('what a peer sent cannot reach the terminal raw, and a long value is cut', () => {
  const evil: AppEntry = { protocol: 'socket.io', type: 'event', name: 'a\x1b[2Jb', args: ['x'.repeat(500)] };
  const text = appPreview([evil]);
  assert.ok(!text.includes('\x1b'), text);
  assert.ok(text.length < 260, `${text.length} characters`);
  assert.ok(text.endsWith('…'));
});

test('the label names GraphQL once for both subprotocols; a row is a heartbeat only when every entry is one', () => {
  assert.equal(appLabel([{ protocol: 'graphql-ws', type: 'ka' }]), 'graphql');
  assert.equal(appLabel([{ protocol: 'engine.io', type: 'ping' }]), 'engine.io');
  assert.equal(isHeartbeat([{ protocol: 'engine.io', type: 'ping', heartbeat: true }]), true);
  assert.equal(isHeartbeat([{ protocol: 'mqtt', type: 'pingreq', heartbeat: true }, { protocol: 'mqtt', type: 'publish' }]), false);
  assert.equal(isHeartbeat(undefined), false);
});
