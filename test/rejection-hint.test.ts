import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RejectionHints } from '../core/capture/rejection-hint.js';
import { tunnelRecord, type TunnelRecord } from '../core/log/records.js';

const tunnel = (conn: number, tls: TunnelRecord['tls'], host: string, sni: string | null, alert: string | null) =>
  tunnelRecord(conn, conn, { via: 'connect', host, port: 443, tls, sni, alpn: null, version: null, alert });

test('the first rejection of a host gives a hint saying what it likely means and what to do', () => {
  const hint = new RejectionHints().hintFor(tunnel(1, 'rejected', '10.0.0.1', 'api.app.test', 'tlsv1 alert unknown ca'));
  assert.ok(hint);
  assert.match(hint, /^api\.app\.test rejected wspeek's certificate \(tlsv1 alert unknown ca\)\./);
  assert.match(hint, /does not trust wspeek's CA/);
  assert.match(hint, /http:\/\/wspeek\.ca\//);
  assert.match(hint, /Certificate Trust Settings/);
  assert.match(hint, /Android 7\+/);
  assert.match(hint, /pins/);
  assert.match(hint, /--pass api\.app\.test \(or --pass-rejected\)/);
});

test('a hint is given once per host (the SNI, else the CONNECT host), and never for other tunnels', () => {
  const hints = new RejectionHints();
  assert.equal(hints.hintFor(tunnel(1, 'intercepted', 'a.test', 'a.test', null)), null);
  assert.equal(hints.hintFor(tunnel(2, 'passthrough', 'a.test', 'a.test', null)), null);
  assert.ok(hints.hintFor(tunnel(3, 'rejected', '10.0.0.1', 'a.test', null)));
  assert.equal(hints.hintFor(tunnel(4, 'rejected', '10.0.0.2', 'A.test', 'x')), null, 'same SNI, another address');
  const b = hints.hintFor(tunnel(5, 'rejected', 'b.test', null, null));
  assert.ok(b);
  assert.match(b, /^b\.test rejected wspeek's certificate\. /, 'no alert: none named');
  assert.equal(hints.hintFor(tunnel(6, 'rejected', 'b.test', null, null)), null);
});
