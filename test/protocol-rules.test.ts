import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProtocolRules } from '../core/app/protocol-rules.js';

const KNOWN = ['socket.io', 'mqtt', 'json-rpc'];

test('no --protocol leaves every connection to the layer', () => {
  const r = parseProtocolRules([], KNOWN);
  assert.deepEqual(r, { ok: true, forced: null });
});

test('a bare name forces every connection; raw is a name too', () => {
  const r = parseProtocolRules(['MQTT'], KNOWN);
  assert.ok(r.ok && r.forced);
  assert.equal(r.forced(1, 'ws://a/'), 'mqtt');
  assert.equal(r.forced(2, null), 'mqtt');
  const raw = parseProtocolRules(['raw'], KNOWN);
  assert.ok(raw.ok && raw.forced);
  assert.equal(raw.forced(1, null), 'raw');
});

test('FILTER=NAME forces the connections a host:, url: or conn: filter selects; the first that selects wins, then the bare name', () => {
  const r = parseProtocolRules(['host:api=socket.io', 'conn:3 or url:/rpc=json-rpc', 'mqtt'], KNOWN);
  assert.ok(r.ok && r.forced);
  assert.equal(r.forced(1, 'ws://api.example:80/x'), 'socket.io');
  assert.equal(r.forced(3, 'ws://other/'), 'json-rpc');
  assert.equal(r.forced(4, 'ws://other/rpc'), 'json-rpc');
  assert.equal(r.forced(5, 'ws://other/'), 'mqtt');
  assert.equal(r.forced(5, null), 'mqtt', 'a connection without a URL is selected by conn: only');
  const only = parseProtocolRules(['host:api=socket.io'], KNOWN);
  assert.ok(only.ok && only.forced);
  assert.equal(only.forced(1, 'ws://web/'), null, 'the others are chosen as usual');
});

test('an unknown name, a filter on anything but the connection, or two names for all are usage errors that say what to do', () => {
  const unknown = parseProtocolRules(['host:x=sockio'], KNOWN);
  assert.ok(!unknown.ok && /unknown protocol "sockio"; known: socket\.io, mqtt, json-rpc, raw/.test(unknown.error), JSON.stringify(unknown));
  const payload = parseProtocolRules(['text=mqtt'], KNOWN);
  assert.ok(!payload.ok && /select connections only, with host:, url: or conn:/.test(payload.error));
  const broken = parseProtocolRules(['host:(=mqtt'], KNOWN);
  assert.ok(!broken.ok && /--protocol "host:\(=mqtt"/.test(broken.error));
  const empty = parseProtocolRules(['=mqtt'], KNOWN);
  assert.ok(!empty.ok && /no filter before =/.test(empty.error));
  const two = parseProtocolRules(['mqtt', 'socket.io'], KNOWN);
  assert.ok(!two.ok && /both given for every connection/.test(two.error));
});
