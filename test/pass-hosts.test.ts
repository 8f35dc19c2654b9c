import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePassPattern, PassHosts } from '../core/capture/pass-hosts.js';

function hosts(patterns: string[], passRejected = false): PassHosts {
  return new PassHosts(patterns.map((p) => {
    const r = parsePassPattern(p);
    assert.ok(r instanceof RegExp, `${p} parses`);
    return r;
  }), passRejected);
}

test('a glob *.apple.com matches subdomains at any depth, not apple.com itself nor look-alikes', () => {
  const h = hosts(['*.apple.com']);
  assert.equal(h.passes('api.apple.com', null), true);
  assert.equal(h.passes('a.b.apple.com', null), true);
  assert.equal(h.passes('apple.com', null), false);
  assert.equal(h.passes('notapple.com', null), false);
  assert.equal(h.passes('api.apple.com.evil.test', null), false);
  assert.equal(h.passes('apiXapple.com', null), false, 'the dot is literal');
});

test('matching is case-insensitive and ignores a trailing dot', () => {
  const h = hosts(['Push.Example.COM']);
  assert.equal(h.passes('push.example.com', null), true);
  assert.equal(h.passes('PUSH.example.com.', null), true);
  assert.equal(h.passes('example.com', null), false);
});

test('a /regex/ pattern matches anywhere in the name, case-insensitively', () => {
  const h = hosts(['/^(www\\.)?firebase(io)?\\.com$/']);
  assert.equal(h.passes('FirebaseIO.com', null), true);
  assert.equal(h.passes('www.firebase.com', null), true);
  assert.equal(h.passes('x.firebase.com', null), false);
});

test('the SNI matches as well as the CONNECT host', () => {
  const h = hosts(['*.pinned.test']);
  assert.equal(h.passes('10.0.0.1', 'api.pinned.test'), true);
  assert.equal(h.passes('api.pinned.test', 'other.test'), true);
  assert.equal(h.passes('10.0.0.1', 'other.test'), false);
});

test('an invalid regex or an empty pattern is an error value naming it', () => {
  const bad = parsePassPattern('/(/');
  assert.ok(!(bad instanceof RegExp));
  assert.match(bad.error, /--pass "\/\(\/" is not a valid regular expression/);
  const empty = parsePassPattern(' ');
  assert.ok(!(empty instanceof RegExp));
  assert.match(empty.error, /--pass wants a host name/);
});

test('with --pass-rejected a rejected host (its SNI, else the CONNECT host) passes from then on; without it, never', () => {
  const h = hosts([], true);
  assert.equal(h.active, true);
  assert.equal(h.passes('1.2.3.4', 'app.test'), false);
  h.rejected('1.2.3.4', 'App.Test');
  assert.equal(h.passes('5.6.7.8', 'app.test'), true, 'remembered by the SNI');
  assert.equal(h.passes('app.test', null), true);
  assert.equal(h.passes('1.2.3.4', 'other.test'), false);
  h.rejected('plain.test', null);
  assert.equal(h.passes('plain.test', null), true, 'remembered by the CONNECT host when there is no SNI');

  const off = hosts([]);
  assert.equal(off.active, false);
  off.rejected('1.2.3.4', 'app.test');
  assert.equal(off.passes('1.2.3.4', 'app.test'), false);
});
