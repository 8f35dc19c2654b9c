import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { caPage, escapeHtml } from '../proxy/tls/ca-page.js';

/** A syntactically plausible CA description; caPage never parses the certificate. */
const ca = {
  certPem: '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n',
  certDer: crypto.randomBytes(300),
  subjectHashOld: '1a2b3c4d',
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
  const res = caPage('/', ca, false);
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
  const html = caPage('/', { ...ca, fingerprint256: '<b>"x"</b>' }, false).body.toString('utf8');
  assert.ok(!html.includes('<b>'));
  assert.ok(html.includes('&lt;b&gt;&quot;x&quot;&lt;/b&gt;'));
});

test('/cert/der serves the DER bytes as an attachment', () => {
  const res = caPage('/cert/der', ca, false);
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, ca.certDer);
  assert.equal(res.headers['Content-Type'], 'application/x-x509-ca-cert');
  assert.equal(res.headers['Content-Disposition'], 'attachment; filename="wspeek-ca.cer"');
  assertCommonHeaders(res);
});

test('/cert/pem serves the PEM text as an attachment', () => {
  const res = caPage('/cert/pem', ca, false);
  assert.equal(res.status, 200);
  assert.equal(res.body.toString('utf8'), ca.certPem);
  assert.equal(res.headers['Content-Type'], 'application/x-pem-file');
  assert.equal(res.headers['Content-Disposition'], 'attachment; filename="wspeek-ca.pem"');
  assertCommonHeaders(res);
});

test('a query string (and an absolute-form URL) is ignored when routing', () => {
  assert.equal(caPage('/cert/pem?download=1', ca, false).body.toString('utf8'), ca.certPem);
  assert.equal(caPage('/?x=<y>', ca, false).status, 200);
  assert.deepEqual(caPage('http://wspeek.ca/cert/der', ca, false).body, ca.certDer);
  assert.equal(caPage('http://wspeek.ca', ca, false).status, 200);
});

test('an unknown path is a 404 page that mentions the path HTML-escaped', () => {
  const res = caPage('/<script>alert(1)</script>', ca, false);
  assert.equal(res.status, 404);
  assert.equal(res.headers['Content-Type'], 'text/html; charset=utf-8');
  assert.equal(res.headers['Content-Security-Policy'], "default-src 'none'; style-src 'unsafe-inline'");
  assertCommonHeaders(res);
  const html = res.body.toString('utf8');
  assert.ok(!html.includes('<script>'));
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
});

test('Content-Length counts bytes, not characters, for the UTF-8 page', () => {
  const res = caPage('/', ca, false);
  const html = res.body.toString('utf8');
  assert.ok(res.body.length > html.length, 'page contains multi-byte characters');
  assert.equal(Number(res.headers['Content-Length']), res.body.length);
});

test("the Android section gives the system-store route: the <subject_hash_old>.0 file name and the adb commands", () => {
  const html = caPage('/', ca, false).body.toString('utf8');
  assert.ok(html.includes('<h3>Android system store (emulators and rooted devices)</h3>'));
  assert.ok(html.includes('<code>1a2b3c4d.0</code>'));
  assert.ok(html.includes('-writable-system'));
  const commands = ['adb root', 'adb remount', 'adb push wspeek-ca.pem /system/etc/security/cacerts/1a2b3c4d.0',
    'adb shell chmod 644 /system/etc/security/cacerts/1a2b3c4d.0', 'adb reboot'];
  assert.ok(html.includes(`<p><code>${commands.join('<br>\n')}</code></p>`));
});

test('the Android 14 note says the system CAs are under /apex/com.android.conscrypt/cacerts, where the route does not reach', () => {
  const html = caPage('/', ca, false).body.toString('utf8');
  assert.match(html, /Android 14 and later read the system CAs from <code>\/apex\/com\.android\.conscrypt\/cacerts<\/code>/);
  assert.match(html, /the commands above have no effect there/);
});

test("iOS's steps end with Settings → General → About → Certificate Trust Settings", () => {
  const html = caPage('/', ca, false).body.toString('utf8');
  const ios = html.slice(html.indexOf('<h2>iOS</h2>'), html.indexOf('<h2>Check</h2>'));
  assert.match(ios, /<li>Settings → General → About → Certificate Trust Settings → enable full trust for wspeek CA\./);
});

test('the page links the check, https://wspeek.ca/check', () => {
  const html = caPage('/', ca, false).body.toString('utf8');
  assert.ok(html.includes('<a href="https://wspeek.ca/check">https://wspeek.ca/check</a>'));
});

test('/check answers "trusted" over intercepted TLS, and over plain http says it checked nothing', () => {
  const secure = caPage('/check', ca, true);
  assert.equal(secure.status, 200);
  assert.equal(secure.headers['Content-Type'], 'text/plain; charset=utf-8');
  assertCommonHeaders(secure);
  assert.match(secure.body.toString('utf8'), /^trusted: /);
  const plain = caPage('http://wspeek.ca/check?x=1', ca, false);
  assert.equal(plain.status, 200);
  assert.match(plain.body.toString('utf8'), /^not checked: .*https:\/\/wspeek\.ca\/check/);
  assert.doesNotMatch(plain.body.toString('utf8'), /^trusted/);
});
