/**
 * The page served on the magic host `http://wspeek.ca/`: CA download links,
 * fingerprint, and per-platform install steps. Pure: request path in, response out.
 */

/** What the CA page needs to know about the certificate authority. */
export interface CaPageInfo {
  certPem: string;
  certDer: Buffer;
  fingerprint256: string;
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

/**
 * Answers a request for `path` on `http://wspeek.ca/`: `/` (install page),
 * `/cert/pem`, `/cert/der`, anything else 404. A query string is ignored; an
 * absolute-form URL (as a forward proxy receives it) is accepted too.
 */
export function caPage(path: string, ca: CaPageInfo): CaPageResponse {
  switch (pathOf(path)) {
    case '/':
      return respond(200, HTML_HEADERS, Buffer.from(indexHtml(ca.fingerprint256), 'utf8'));
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

function indexHtml(fingerprint: string): string {
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

<h2>iOS</h2>
<ol>
<li>Open this page in Safari and download <a href="/cert/der">wspeek-ca.cer</a>; allow the profile download.</li>
<li>Settings → General → VPN &amp; Device Management → select the wspeek CA profile → Install.</li>
<li>Settings → General → About → Certificate Trust Settings → enable full trust for wspeek CA.</li>
</ol>

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
