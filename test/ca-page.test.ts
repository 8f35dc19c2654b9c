import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { caPage, escapeHtml } from '../proxy/tls/ca-page.js';

/** A syntactically plausible CA description; caPage never parses the certificate. */
const ca = {
  certPem: '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n',
  certDer: crypto.randomBytes(300),
  fingerprint256: 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89',
};

function assertCommonHeaders(res: ReturnType<typeof caPage>): void {
  assert.equal(res.headers['Content-Length'], String(res.body.length));
  assert.equal(res.headers['Cache-Control'], 'no-store');
}

test('escapeHtml escapes & < > " and \'', () => {
  assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  assert.equal(escapeHtml('plain text'), 'plain text');
});

test('the index page shows the fingerprint, both download links and steps for all five platforms', () => {
  const res = caPage('/', ca);
  assert.equal(res.status, 200);
  assert.equal(res.headers['Content-Type'], 'text/html; charset=utf-8');
  assert.equal(res.headers['Content-Security-Policy'], "default-src 'none'; style-src 'unsafe-inline'");
  assert.equal(res.headers['X-Content-Type-Options'], 'nosniff');
  assertCommonHeaders(res);
  const html = res.body.toString('utf8');
  assert.match(html, /<title>wspeek CA<\/title>/);
  assert.ok(html.includes(ca.fingerprint256));
  assert.ok(html.includes('href="/cert/pem"'));
  assert.ok(html.includes('href="/cert/der"'));
  for (const platform of ['Android', 'iOS', 'macOS', 'Linux', 'Firefox']) {
    assert.ok(html.includes(`<h2>${platform}</h2>`), platform);
  }
  assert.ok(html.includes('network_security_config'));
  assert.ok(html.includes('Certificate Trust Settings'));
  assert.ok(html.includes('sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain wspeek-ca.pem'));
  assert.ok(html.includes('update-ca-certificates'));
  assert.ok(html.includes('update-ca-trust'));
  assert.ok(html.includes('certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n wspeek -i wspeek-ca.pem'));
  assert.ok(!/<script/i.test(html));
});

test('the fingerprint is HTML-escaped on the index page', () => {
  const html = caPage('/', { ...ca, fingerprint256: '<b>"x"</b>' }).body.toString('utf8');
  assert.ok(!html.includes('<b>'));
  assert.ok(html.includes('&lt;b&gt;&quot;x&quot;&lt;/b&gt;'));
});

test('/cert/der serves the DER bytes as an attachment', () => {
  const res = caPage('/cert/der', ca);
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, ca.certDer);
  assert.equal(res.headers['Content-Type'], 'application/x-x509-ca-cert');
  assert.equal(res.headers['Content-Disposition'], 'attachment; filename="wspeek-ca.cer"');
  assertCommonHeaders(res);
});

test('/cert/pem serves the PEM text as an attachment', () => {
  const res = caPage('/cert/pem', ca);
  assert.equal(res.status, 200);
  assert.equal(res.body.toString('utf8'), ca.certPem);
  assert.equal(res.headers['Content-Type'], 'application/x-pem-file');
  assert.equal(res.headers['Content-Disposition'], 'attachment; filename="wspeek-ca.pem"');
  assertCommonHeaders(res);
});

test('a query string (and an absolute-form URL) is ignored when routing', () => {
  assert.equal(caPage('/cert/pem?download=1', ca).body.toString('utf8'), ca.certPem);
  assert.equal(caPage('/?x=<y>', ca).status, 200);
  assert.deepEqual(caPage('http://wspeek.ca/cert/der', ca).body, ca.certDer);
  assert.equal(caPage('http://wspeek.ca', ca).status, 200);
});

test('an unknown path is a 404 page that mentions the path HTML-escaped', () => {
  const res = caPage('/<script>alert(1)</script>', ca);
  assert.equal(res.status, 404);
  assert.equal(res.headers['Content-Type'], 'text/html; charset=utf-8');
  assert.equal(res.headers['Content-Security-Policy'], "default-src 'none'; style-src 'unsafe-inline'");
  assertCommonHeaders(res);
  const html = res.body.toString('utf8');
  assert.ok(!html.includes('<script>'));
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
});

test('Content-Length counts bytes, not characters, for the UTF-8 page', () => {
  const res = caPage('/', ca);
  const html = res.body.toString('utf8');
  assert.ok(res.body.length > html.length, 'page contains multi-byte characters');
  assert.equal(Number(res.headers['Content-Length']), res.body.length);
});
