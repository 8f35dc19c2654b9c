import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_FRAGMENT, TlsRecordReader, type TlsRecord } from '../core/capture/tls-record-reader.js';

const record = (type: number, body: Buffer) => Buffer.concat([Buffer.from([type, 3, 3, body.length >> 8, body.length & 0xff]), body]);

test('records split across pushes, and several in one push, come out whole and in order', () => {
  const reader = new TlsRecordReader();
  const bytes = Buffer.concat([record(22, Buffer.from('hello')), record(23, Buffer.alloc(300, 7)), record(21, Buffer.from([1, 0]))]);
  const out: TlsRecord[] = [];
  for (let i = 0; i < bytes.length; i += 7) {
    const got = reader.push(bytes.subarray(i, i + 7));
    assert.ok(Array.isArray(got));
    out.push(...got);
  }
  assert.deepEqual(out.map((r) => [r.type, r.version, r.fragment.length]), [[22, 0x0303, 5], [23, 0x0303, 300], [21, 0x0303, 2]]);
  assert.equal(out[0]!.fragment.toString(), 'hello');
  assert.deepEqual(out[1]!.header, Buffer.from([23, 3, 3, 1, 44]));
});

test('a header that is not TLS is an error string, not records', () => {
  assert.match(String(new TlsRecordReader().push(Buffer.from('GET / HTTP/1.1\r\n'))), /not a TLS record header: 474554202f/);
  assert.match(String(new TlsRecordReader().push(Buffer.from([23, 2, 0, 0, 1, 0]))), /not a TLS record header/);
});

test('a record longer than 2^14 + 2048 bytes is an error string naming its length', () => {
  const n = MAX_FRAGMENT + 1;
  assert.equal(new TlsRecordReader().push(Buffer.from([23, 3, 3, n >> 8, n & 0xff])), `a TLS record of ${n} bytes, above the limit of ${MAX_FRAGMENT}`);
});
