/**
 * The page served on the magic host `http://wspeek.ca/`: CA download links,
 * fingerprint, per-platform install steps, and the trust check. Pure: request path in, response out.
 */
import { ANDROID_14_CACERTS, androidCertFileName, androidSystemStoreCommands } from './android-system-store.js';

/** What the CA page needs to know about the certificate authority. */
export interface CaPageInfo {
  certPem: string;
  certDer: Buffer;
  fingerprint256: string;
  /** OpenSSL's `subject_hash_old`: the certificate's file name in Android's system store is this and `.0`. */
  subjectHashOld: string;
}

/** A complete HTTP response for the CA page. */
export interface CaPageResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

const HTML_HEADERS: Record<string, string> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
};

/** Escapes `& < > " '` so a value is safe in HTML text and quoted attributes. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => {
    switch (ch) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      default:
        return '&#39;';
    }
  });
}

const TEXT_HEADERS: Record<string, string> = { 'Content-Type': 'text/plain; charset=utf-8' };

/**
 * Answers a request for `path` on `wspeek.ca`: `/` (install page), `/cert/pem`, `/cert/der`,
 * `/check`, anything else 404. `overTls`: the request came inside a TLS connection that wspeek
 * intercepted (`https://wspeek.ca/`). A query string is ignored; an absolute-form URL (as a
 * forward proxy receives it) is accepted too.
 */
export function caPage(path: string, ca: CaPageInfo, overTls: boolean): CaPageResponse {
  switch (pathOf(path)) {
    case '/':
      return respond(200, HTML_HEADERS, Buffer.from(indexHtml(ca), 'utf8'));
    case '/check':
      return respond(200, TEXT_HEADERS, Buffer.from(overTls ? TRUSTED : NOT_CHECKED, 'utf8'));
    case '/cert/pem':
      return respond(
        200,
        { 'Content-Type': 'application/x-pem-file', 'Content-Disposition': 'attachment; filename="wspeek-ca.pem"' },
        Buffer.from(ca.certPem, 'utf8'),
      );
    case '/cert/der':
      return respond(
        200,
        { 'Content-Type': 'application/x-x509-ca-cert', 'Content-Disposition': 'attachment; filename="wspeek-ca.cer"' },
        Buffer.from(ca.certDer),
      );
    default:
      return respond(404, HTML_HEADERS, Buffer.from(notFoundHtml(path), 'utf8'));
  }
}

/**
 * `/check` over TLS: the client finished a handshake with a certificate wspeek's CA signed, so
 * whatever made the request (the browser, or the app) trusts the CA.
 */
const TRUSTED = 'trusted: this client accepted the certificate wspeek made for wspeek.ca, so it trusts the wspeek CA\n';

/** `/check` over plain HTTP proves nothing about trust. */
const NOT_CHECKED = 'not checked: this request came over plain http; open https://wspeek.ca/check through the proxy. ' +
  'It says "trusted" when this client trusts the wspeek CA; a certificate error there means it does not.\n';

/** The path without query or fragment; absolute-form URLs are reduced to their path. */
function pathOf(raw: string): string {
  let p = raw;
  const absolute = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(p);
  if (absolute) p = p.slice(absolute[0].length);
  p = p.replace(/[?#].*$/s, '');
  return p === '' ? '/' : p;
}

function respond(status: number, headers: Record<string, string>, body: Buffer): CaPageResponse {
  return {
    status,
    headers: {
      ...headers,
      'Content-Length': String(body.length),
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    },
    body,
  };
}

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:46em;margin:2em auto;padding:0 1em;color:#222}
code,.fp{font-family:ui-monospace,monospace;font-size:.9em;background:#f3f3f3;padding:.1em .3em;border-radius:3px}
.fp{display:block;word-break:break-all;padding:.5em}
.dl a{display:inline-block;margin:0 1em .5em 0;padding:.5em 1em;border:1px solid #369;border-radius:4px;text-decoration:none}
h2{margin-top:1.6em;border-bottom:1px solid #ddd}
.warn{background:#fff6e0;padding:.5em 1em;border-left:4px solid #e0a000}`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

function indexHtml(ca: CaPageInfo): string {
  const fingerprint = ca.fingerprint256;
  const hashFile = androidCertFileName(ca.subjectHashOld);
  const adb = androidSystemStoreCommands(ca.subjectHashOld, 'wspeek-ca.pem').map((line) => escapeHtml(line)).join('<br>\n');
  return page(
    'wspeek CA',
    `<h1>wspeek CA</h1>
<p>Install this certificate authority on a device to let wspeek decrypt its <code>wss://</code> traffic.
Before trusting it, check that the SHA-256 fingerprint matches the one wspeek printed:</p>
<p class="fp">${escapeHtml(fingerprint)}</p>
<p class="dl"><a href="/cert/pem" download="wspeek-ca.pem">Download wspeek-ca.pem</a>
<a href="/cert/der" download="wspeek-ca.cer">Download wspeek-ca.cer (DER)</a></p>
<p class="warn">Whoever holds this CA's private key can intercept this device's TLS traffic.
Remove the certificate when you are done debugging.</p>

<h2>Android</h2>
<ol>
<li>Download <a href="/cert/der">wspeek-ca.cer</a> (or the PEM file).</li>
<li>Settings → Security → Encryption &amp; credentials → Install a certificate → CA certificate, then pick the file.</li>
</ol>
<p>On Android 7 and later, apps trust user-installed CAs only if they opt in through
<code>network_security_config</code> (<code>&lt;certificates src="user"/&gt;</code>); browsers such as Chrome do.</p>
<h3>Android system store (emulators and rooted devices)</h3>
<p>Every app trusts a CA in the system store. Its file there is named after the certificate's
<code>subject_hash_old</code>: <code>${escapeHtml(hashFile)}</code>. Download <a href="/cert/pem">wspeek-ca.pem</a>
on the computer (an emulator must run with <code>-writable-system</code>), then:</p>
<p><code>${adb}</code></p>
<p>Android 14 and later read the system CAs from <code>${escapeHtml(ANDROID_14_CACERTS)}</code>, a read-only
module, not from <code>/system/etc/security/cacerts</code>: the commands above have no effect there, and
the CA needs another method.</p>

<h2>iOS</h2>
<ol>
<li>Open this page in Safari and download <a href="/cert/der">wspeek-ca.cer</a>; allow the profile download.</li>
<li>Settings → General → VPN &amp; Device Management → select the wspeek CA profile → Install.</li>
<li>Settings → General → About → Certificate Trust Settings → enable full trust for wspeek CA.
Without this step iOS installs the profile but does not trust it for TLS.</li>
</ol>

<h2>Check</h2>
<p>Open <a href="https://wspeek.ca/check">https://wspeek.ca/check</a> through the proxy: it says
<code>trusted</code> when this browser trusts the wspeek CA, and a certificate error means it does not.</p>

<h2>macOS</h2>
<p>Download <a href="/cert/pem">wspeek-ca.pem</a>, then run:</p>
<p><code>sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain wspeek-ca.pem</code></p>
<p>Or open the file in Keychain Access, add it to the System keychain, and set “When using this certificate” to Always Trust.</p>

<h2>Linux</h2>
<ul>
<li>Debian/Ubuntu: <code>sudo cp wspeek-ca.pem /usr/local/share/ca-certificates/wspeek-ca.crt</code>
then <code>sudo update-ca-certificates</code></li>
<li>Fedora: <code>sudo cp wspeek-ca.pem /etc/pki/ca-trust/source/anchors/</code>
then <code>sudo update-ca-trust</code></li>
<li>Chrome/Chromium use the NSS database:
<code>certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n wspeek -i wspeek-ca.pem</code></li>
</ul>

<h2>Firefox</h2>
<p>Firefox keeps its own trust store: Settings → Privacy &amp; Security → Certificates → View Certificates →
Authorities → Import, choose <code>wspeek-ca.pem</code> and tick “Trust this CA to identify websites”.</p>`,
  );
}

function notFoundHtml(path: string): string {
  return page(
    'wspeek CA: not found',
    `<h1>Not found</h1>
<p>There is nothing at <code>${escapeHtml(path)}</code> on wspeek.ca. See <a href="/">the CA page</a>.</p>`,
  );
}
