import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { localSubnets, parseAllowList } from '../proxy/client-allowlist.js';
import { testCa } from './support/test-ca.js';
import { startProxy } from '../proxy/proxy-server.js';
import type { LogRecord } from '../core/log/records.js';

test('parseAllowList matches IPv4 subnets, single addresses and IPv6 subnets, and nothing else', () => {
  const allow = parseAllowList(['192.168.1.0/24,10.0.0.7', 'fd00::/8']);
  assert.equal(allow.allows('192.168.1.200'), true);
  assert.equal(allow.allows('192.168.2.1'), false);
  assert.equal(allow.allows('10.0.0.7'), true);
  assert.equal(allow.allows('10.0.0.8'), false);
  assert.equal(allow.allows('fd12::1'), true);
  assert.equal(allow.allows('fe80::1'), false);
  assert.equal(allow.allows('not an address'), false);
});

test('an IPv4 client seen as ::ffff:a.b.c.d on a dual-stack socket is checked as IPv4', () => {
  const allow = parseAllowList(['192.168.1.0/24']);
  assert.equal(allow.allows('::ffff:192.168.1.9'), true);
  assert.equal(allow.allows('::ffff:192.168.9.9'), false);
});

test('parseAllowList rejects a malformed subnet with one clear line', () => {
  for (const bad of ['192.168.1.0/33', 'example.com', '10.0.0.0/x', '::1/129']) {
    assert.throws(() => parseAllowList([bad]), (err: Error) => err.message.includes('--allow') && err.message.includes(bad) && !err.message.includes('\n'));
  }
});

test('localSubnets always allows loopback', () => {
  const allow = localSubnets();
  assert.equal(allow.allows('127.0.0.1'), true);
  assert.equal(allow.allows('::1'), true);
  assert.match(allow.description, /127\.0\.0\.0\/8/);
});

test('the proxy closes a connection from a client outside --allow without answering, and logs why', async () => {
  const records: LogRecord[] = [];
  const proxy = await startProxy({
    host: '127.0.0.1', port: 0, target: null, maxPayload: 1024, ca: testCa(), insecure: false,
    allow: parseAllowList(['10.0.0.0/8']), emit: (r) => records.push(r),
  });
  try {
    const received = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const s = net.connect(proxy.port, '127.0.0.1', () => s.write('GET http://example.test/ HTTP/1.1\r\nHost: example.test\r\n\r\n'));
      s.setTimeout(5000, () => reject(new Error('the proxy kept the connection open')));
      s.on('data', (d) => chunks.push(d));
      s.on('error', () => {}); // a reset is as good as a close here
      s.on('close', () => resolve(Buffer.concat(chunks)));
    });
    assert.equal(received.length, 0, 'no HTTP answer to a client outside --allow');
    const end = records.find((r) => r.type === 'end');
    assert.ok(end && end.type === 'end');
    assert.equal(end.by, 'proxy');
    assert.match(end.reason ?? '', /not in --allow \(10\.0\.0\.0\/8\)/);
    assert.equal(records.some((r) => r.type === 'http'), false, 'the request was never served');
  } finally {
    await proxy.close();
  }
});
