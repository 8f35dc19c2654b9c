// The SOCKS5 server handshake, bytes in, steps out. The byte layouts are RFC 1928 §3-§6 and
// RFC 1929 §2; the live test (socks-listener.test.ts) checks them against curl.

import test from 'node:test';
import assert from 'node:assert/strict';
import { Socks5Handshake, type Socks5Step } from '../core/socks/socks5-handshake.js';

const b = (...bytes: number[]) => Uint8Array.from(bytes);
const ascii = (s: string) => [...Buffer.from(s, 'latin1')];
const SUCCESS = b(5, 0, 0, 1, 0, 0, 0, 0, 0, 0);

/** A CONNECT request for an IPv4 address (ATYP 1). */
const connectIpv4 = (ip: number[], port: number, cmd = 1) => b(5, cmd, 0, 1, ...ip, port >> 8, port & 0xff);
/** A CONNECT request for a domain name (ATYP 3). */
const connectName = (name: string, port: number) => b(5, 1, 0, 3, name.length, ...ascii(name), port >> 8, port & 0xff);

function connected(step: Socks5Step): Extract<Socks5Step, { kind: 'connect' }> {
  assert.equal(step.kind, 'connect', JSON.stringify(step));
  return step as Extract<Socks5Step, { kind: 'connect' }>;
}

function refused(step: Socks5Step): Extract<Socks5Step, { kind: 'refused' }> {
  assert.equal(step.kind, 'refused', JSON.stringify(step));
  return step as Extract<Socks5Step, { kind: 'refused' }>;
}

test('no-auth: selects method 0, then a CONNECT to an IPv4 address succeeds with BND 0.0.0.0:0', () => {
  const h = new Socks5Handshake(null);
  assert.deepEqual(h.push(b(5, 1, 0)), { kind: 'pending', reply: b(5, 0) });
  const c = connected(h.push(connectIpv4([127, 0, 0, 1], 8080)));
  assert.deepEqual(c.reply, SUCCESS);
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.port, 8080);
  assert.equal(c.rest.length, 0);
});

test('a domain name is the host as sent; the bytes after the request are handed back as the stream\'s start', () => {
  const h = new Socks5Handshake(null);
  h.push(b(5, 2, 2, 0));
  const c = connected(h.push(b(...connectName('echo.example.com', 443), 0x16, 3, 1)));
  assert.equal(c.host, 'echo.example.com');
  assert.equal(c.port, 443);
  assert.deepEqual(c.rest, b(0x16, 3, 1));
});

test('an IPv6 address is written in RFC 5952 form (lowercase, the longest zero run as ::)', () => {
  const cases: [number[], string][] = [
    [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], '::1'],
    [[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1], '2001:db8::1:0:0:1'],
    [[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0xab, 0xcd, 0, 0, 0, 0, 0, 0], 'fe80::abcd:0:0:0'],
    [[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1], '2001:db8:0:1:1:1:1:1'],
  ];
  for (const [addr, text] of cases) {
    const h = new Socks5Handshake(null);
    h.push(b(5, 1, 0));
    assert.equal(connected(h.push(b(5, 1, 0, 4, ...addr, 0, 80))).host, text);
  }
});

test('the handshake may arrive a byte at a time, or greeting and request in one chunk', () => {
  const whole = [...b(5, 1, 0), ...connectName('a.test', 80)];
  const h = new Socks5Handshake(null);
  const steps = whole.map((x) => h.push(b(x)));
  assert.deepEqual(steps.slice(0, -1).filter((s) => s.reply !== null).map((s) => s.reply), [b(5, 0)]);
  assert.ok(steps.slice(0, -1).every((s) => s.kind === 'pending'));
  assert.equal(connected(steps.at(-1)!).host, 'a.test');

  const one = new Socks5Handshake(null);
  const c = connected(one.push(b(...whole)));
  assert.deepEqual(c.reply, b(5, 0, ...SUCCESS), 'the method selection and the success reply, in order');
});

test('username/password (RFC 1929): the right pair is accepted, a password holding colons included', () => {
  const h = new Socks5Handshake({ user: 'phone', pass: 'se:cr:et' });
  assert.deepEqual(h.push(b(5, 2, 0, 2)), { kind: 'pending', reply: b(5, 2) });
  assert.deepEqual(h.push(b(1, 5, ...ascii('phone'), 8, ...ascii('se:cr:et'))), { kind: 'pending', reply: b(1, 0) });
  assert.equal(connected(h.push(connectIpv4([10, 0, 0, 7], 80))).host, '10.0.0.7');
});

test('username/password: a wrong password or user gets status 1 and the handshake ends', () => {
  for (const [user, pass] of [['phone', 'wrong'], ['other', 'secret'], ['phon', 'secret']] as const) {
    const h = new Socks5Handshake({ user: 'phone', pass: 'secret' });
    h.push(b(5, 1, 2));
    const r = refused(h.push(b(1, user.length, ...ascii(user), pass.length, ...ascii(pass))));
    assert.deepEqual(r.reply, b(1, 1));
    assert.match(r.reason, /wrong SOCKS username or password/);
    assert.equal(refused(h.push(connectIpv4([127, 0, 0, 1], 80))).reply, null, 'nothing more is read');
  }
});

test('with credentials required, a client offering only no-auth gets 0xFF (no acceptable method)', () => {
  const r = refused(new Socks5Handshake({ user: 'u', pass: 'p' }).push(b(5, 1, 0)));
  assert.deepEqual(r.reply, b(5, 0xff));
  assert.match(r.reason, /username\/password/);
  const r2 = refused(new Socks5Handshake(null).push(b(5, 1, 2)));
  assert.deepEqual(r2.reply, b(5, 0xff));
});

test('BIND and UDP ASSOCIATE get reply 7 (command not supported)', () => {
  for (const [cmd, name] of [[2, 'BIND'], [3, 'UDP ASSOCIATE']] as const) {
    const h = new Socks5Handshake(null);
    h.push(b(5, 1, 0));
    const r = refused(h.push(connectIpv4([127, 0, 0, 1], 80, cmd)));
    assert.deepEqual(r.reply, b(5, 7, 0, 1, 0, 0, 0, 0, 0, 0));
    assert.equal(r.code, 7);
    assert.match(r.reason, new RegExp(name));
  }
});

test('an unknown address type gets reply 8; an empty or odd domain name and port 0 get reply 1', () => {
  const h = new Socks5Handshake(null);
  h.push(b(5, 1, 0));
  const r = refused(h.push(b(5, 1, 0, 9, 1, 2, 3, 4, 0, 80)));
  assert.equal(r.code, 8);
  assert.deepEqual(r.reply, b(5, 8, 0, 1, 0, 0, 0, 0, 0, 0));
  for (const request of [connectName('', 80), connectName('a b/c', 80), connectIpv4([127, 0, 0, 1], 0)]) {
    const h2 = new Socks5Handshake(null);
    h2.push(b(5, 1, 0));
    assert.equal(refused(h2.push(request)).code, 1);
  }
});

test('an IPv6 literal sent as a domain name (bracketed or not) is taken as the address', () => {
  for (const name of ['::1', '[::1]']) {
    const h = new Socks5Handshake(null);
    h.push(b(5, 1, 0));
    assert.equal(connected(h.push(connectName(name, 80))).host, '::1');
  }
});

test('a client that is not SOCKS5 (SOCKS4, an HTTP request) gets no answer', () => {
  const socks4 = refused(new Socks5Handshake(null).push(b(4, 1, 0, 80, 127, 0, 0, 1, 0)));
  assert.equal(socks4.reply, null);
  assert.match(socks4.reason, /SOCKS4/);
  const get = refused(new Socks5Handshake(null).push(Uint8Array.from(Buffer.from('GET / HTTP/1.1\r\n'))));
  assert.equal(get.reply, null);
  assert.match(get.reason, /0x47/);
});
