import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { CaError, CertificateAuthority, defaultCaDir } from '../proxy/tls/certificate-authority.js';

const posix = process.platform !== 'win32';

/** Runs `fn` with a fresh temp dir that is removed afterwards. */
async function withTempDir(fn: (dir: string) => void | Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wspeek-ca-'));
  try {
    await fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts an SNI-driven TLS server on 127.0.0.1 that writes "ok" to every client. */
async function startServer(ca: CertificateAuthority): Promise<tls.Server> {
  const server = tls.createServer({ SNICallback: (name, cb) => cb(null, ca.secureContextFor(name)) }, (socket) => {
    socket.on('error', () => {});
    socket.end('ok');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return server;
}

/** Connects, reads until the server closes, and reports `authorized` plus the received data. */
function fetchOk(options: tls.ConnectionOptions): Promise<{ authorized: boolean; error: string | undefined; data: string }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(options);
    let data = '';
    let authorized = false;
    let error: string | undefined;
    socket.setTimeout(5000, () => socket.destroy(new Error('socket timed out')));
    socket.on('secureConnect', () => {
      authorized = socket.authorized;
      error = socket.authorizationError?.toString();
    });
    socket.on('data', (chunk: Buffer) => (data += chunk.toString('utf8')));
    socket.on('end', () => socket.end());
    socket.on('close', () => resolve({ authorized, error, data }));
    socket.on('error', reject);
  });
}

test('defaultCaDir is ~/.wspeek', () => {
  assert.equal(defaultCaDir(), path.join(os.homedir(), '.wspeek'));
});

test('first loadOrCreate creates a 0700 dir, a 0600 key and the certificate; a second call loads the same CA', () =>
  withTempDir((tmp) => {
    const dir = path.join(tmp, 'nested', 'ca');
    const ca = CertificateAuthority.loadOrCreate(dir);
    assert.equal(ca.created, true);
    assert.equal(ca.dir, dir);
    assert.equal(ca.certPath, path.join(dir, 'ca.pem'));
    assert.equal(ca.keyPath, path.join(dir, 'ca-key.pem'));
    if (posix) {
      assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
      assert.equal(fs.statSync(ca.keyPath).mode & 0o777, 0o600);
    }
    assert.equal(fs.readFileSync(ca.certPath, 'utf8'), ca.certPem);
    assert.match(fs.readFileSync(ca.keyPath, 'utf8'), /-----BEGIN PRIVATE KEY-----/);

    const x509 = new crypto.X509Certificate(ca.certPem);
    assert.equal(x509.ca, true);
    assert.match(x509.subject, /CN=wspeek CA/);
    assert.match(x509.subject, /O=wspeek/);
    assert.match(x509.subject, /OU=.+/);
    assert.equal(x509.issuer, x509.subject);
    assert.equal(x509.checkIssued(x509), true);
    assert.equal(x509.verify(x509.publicKey), true);
    assert.deepEqual(x509.raw, ca.certDer);
    assert.equal(ca.fingerprint256, x509.fingerprint256);
    assert.match(ca.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const years = (Date.parse(x509.validTo) - Date.now()) / (365.25 * 24 * 3600 * 1000);
    assert.ok(years > 9.9 && years < 10.1, `CA valid for ${years} years`);

    const again = CertificateAuthority.loadOrCreate(dir);
    assert.equal(again.created, false);
    assert.equal(again.fingerprint256, ca.fingerprint256);
    assert.equal(again.certPem, ca.certPem);
  }));

test('two installs get distinguishable CAs (different OU and fingerprint)', () =>
  withTempDir((tmp) => {
    const a = CertificateAuthority.loadOrCreate(path.join(tmp, 'a'));
    const b = CertificateAuthority.loadOrCreate(path.join(tmp, 'b'));
    assert.notEqual(a.fingerprint256, b.fingerprint256);
    assert.notEqual(new crypto.X509Certificate(a.certPem).subject, new crypto.X509Certificate(b.certPem).subject);
  }));

test('an existing CA dir open to others (0755) is refused with the chmod that fixes it, and not changed', { skip: !posix }, () =>
  withTempDir((dir) => {
    fs.chmodSync(dir, 0o755);
    assert.throws(() => CertificateAuthority.loadOrCreate(dir), (err: unknown) => {
      assert.ok(err instanceof CaError);
      assert.ok(err.message.includes('0755'), err.message);
      assert.ok(err.message.includes(`chmod 700 ${dir}`), err.message);
      assert.ok(!err.message.includes('\n'));
      return true;
    });
    assert.equal(fs.statSync(dir).mode & 0o777, 0o755);
    assert.equal(fs.readdirSync(dir).length, 0, 'no CA was created in it');
    fs.chmodSync(dir, 0o700);
    assert.ok(CertificateAuthority.loadOrCreate(dir).created, 'at 0700 it is used');
  }));

test('refuses a CA key chmod-ed to 0644 with a CaError naming the file and the fix', { skip: !posix }, () =>
  withTempDir((dir) => {
    const ca = CertificateAuthority.loadOrCreate(dir);
    fs.chmodSync(ca.keyPath, 0o644);
    assert.throws(
      () => CertificateAuthority.loadOrCreate(dir),
      (err: unknown) => {
        assert.ok(err instanceof CaError);
        assert.ok(err instanceof Error);
        assert.ok(err.message.includes(ca.keyPath), err.message);
        assert.ok(err.message.includes('0644'), err.message);
        assert.ok(err.message.includes(`chmod 600 ${ca.keyPath}`), err.message);
        assert.ok(!err.message.includes('\n'));
        return true;
      },
    );
  }));

test('a certificate without its key, or a key without its certificate, is a CaError', () =>
  withTempDir((dir) => {
    const ca = CertificateAuthority.loadOrCreate(dir);
    const key = fs.readFileSync(ca.keyPath);
    fs.rmSync(ca.keyPath);
    assert.throws(() => CertificateAuthority.loadOrCreate(dir), (err: unknown) => err instanceof CaError && /ca-key\.pem/.test(err.message));
    fs.writeFileSync(ca.keyPath, key, { mode: 0o600 });
    fs.rmSync(ca.certPath);
    assert.throws(() => CertificateAuthority.loadOrCreate(dir), (err: unknown) => err instanceof CaError && /ca\.pem/.test(err.message));
    assert.ok(fs.existsSync(ca.keyPath), 'the lone key must not be overwritten or removed');
  }));

test('corrupt certificate or key PEM is a one-line CaError', () =>
  withTempDir((dir) => {
    const ca = CertificateAuthority.loadOrCreate(dir);
    const certPem = fs.readFileSync(ca.certPath, 'utf8');
    fs.writeFileSync(ca.certPath, 'not a certificate\n');
    assert.throws(
      () => CertificateAuthority.loadOrCreate(dir),
      (err: unknown) => err instanceof CaError && err.message.includes(ca.certPath) && !err.message.includes('\n'),
    );
    fs.writeFileSync(ca.certPath, certPem);
    fs.writeFileSync(ca.keyPath, '-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n');
    assert.throws(
      () => CertificateAuthority.loadOrCreate(dir),
      (err: unknown) => err instanceof CaError && err.message.includes(ca.keyPath) && !err.message.includes('\n'),
    );
  }));

test('a key that does not belong to the certificate is a CaError', () =>
  withTempDir((tmp) => {
    const a = CertificateAuthority.loadOrCreate(path.join(tmp, 'a'));
    const b = CertificateAuthority.loadOrCreate(path.join(tmp, 'b'));
    fs.copyFileSync(b.keyPath, a.keyPath);
    assert.throws(() => CertificateAuthority.loadOrCreate(a.dir), (err: unknown) => err instanceof CaError && /does not match/.test(err.message));
  }));

test('a leaf for example.test is trusted by a client holding the CA and not by the default trust store', () =>
  withTempDir(async (dir) => {
    const ca = CertificateAuthority.loadOrCreate(dir);
    const server = await startServer(ca);
    try {
      const { port } = server.address() as AddressInfo;
      const trusted = await fetchOk({ host: '127.0.0.1', port, servername: 'example.test', ca: ca.certPem });
      assert.equal(trusted.authorized, true, trusted.error);
      assert.equal(trusted.data, 'ok');

      const untrusted = await fetchOk({ host: '127.0.0.1', port, servername: 'example.test', rejectUnauthorized: false });
      assert.equal(untrusted.authorized, false);
      assert.equal(untrusted.data, 'ok');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }));

test('a leaf has the expected subject, SAN, extensions, chain and 397-day validity', () =>
  withTempDir((dir) => {
    const ca = CertificateAuthority.loadOrCreate(dir);
    const leaf = ca.leafFor('Example.Test');
    assert.ok(leaf.cert.endsWith(ca.certPem), 'chain ends with the CA certificate');
    const x509 = new crypto.X509Certificate(leaf.cert);
    assert.equal(x509.subject, 'CN=example.test');
    assert.equal(x509.subjectAltName, 'DNS:example.test');
    assert.equal(x509.ca, false);
    assert.deepEqual(x509.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.equal(x509.checkHost('example.test'), 'example.test');
    assert.equal(x509.checkPrivateKey(crypto.createPrivateKey(leaf.key)), true);
    const days = (Date.parse(x509.validTo) - Date.parse(x509.validFrom)) / (24 * 3600 * 1000);
    assert.ok(days <= 398 && days >= 397, `leaf spans ${days} days`);
    assert.ok(Date.parse(x509.validFrom) < Date.now() - 23 * 3600 * 1000);
  }));

test('a very long host name gets a 64-char CN and the full name in the SAN', () =>
  withTempDir((dir) => {
    const ca = CertificateAuthority.loadOrCreate(dir);
    const host = `${'a'.repeat(60)}.${'b'.repeat(60)}.example.test`;
    const x509 = new crypto.X509Certificate(ca.leafFor(host).cert);
    assert.equal(x509.subject, `CN=${host.slice(0, 64)}`);
    assert.equal(x509.subjectAltName, `DNS:${host}`);
  }));

test('a leaf for 127.0.0.1 carries an IP SAN and verifies against the CA', () =>
  withTempDir((dir) => {
    const ca = CertificateAuthority.loadOrCreate(dir);
    const caX509 = new crypto.X509Certificate(ca.certPem);
    const x509 = new crypto.X509Certificate(ca.leafFor('127.0.0.1').cert);
    assert.ok(x509.subjectAltName?.includes('IP Address:127.0.0.1'), x509.subjectAltName);
    assert.ok(!x509.subjectAltName?.includes('DNS:'));
    assert.equal(x509.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(x509.checkIssued(caX509), true);
    assert.equal(x509.verify(caX509.publicKey), true);
  }));

test('a leaf for an IPv6 literal (bracketed or not) carries an IPv6 SAN', () =>
  withTempDir((dir) => {
    const ca = CertificateAuthority.loadOrCreate(dir);
    const x509 = new crypto.X509Certificate(ca.leafFor('[::1]').cert);
    assert.match(x509.subjectAltName ?? '', /^IP Address:0:0:0:0:0:0:0:1$/i);
    assert.equal(x509.checkIP('::1'), '::1');
    assert.equal(ca.leafFor('::1'), ca.leafFor('[::1]'));
  }));

test('invalid host names are refused with a CaError', () =>
  withTempDir((dir) => {
    const ca = CertificateAuthority.loadOrCreate(dir);
    for (const bad of ['', 'a b', 'evil\n.test', 'x..y', 'a/b']) {
      assert.throws(() => ca.leafFor(bad), CaError, JSON.stringify(bad));
    }
  }));

test('leafFor caches per host, issues distinct certificates per host, and all leaves share one key', () =>
  withTempDir((dir) => {
    const ca = CertificateAuthority.loadOrCreate(dir);
    const first = ca.leafFor('a.example.test');
    assert.equal(ca.leafFor('a.example.test'), first);
    assert.equal(ca.leafFor('A.EXAMPLE.TEST.'), first);
    const other = ca.leafFor('b.example.test');
    assert.notEqual(other.cert, first.cert);
    const ip = ca.leafFor('127.0.0.1');
    const keys = [first, other, ip].map((leaf) =>
      new crypto.X509Certificate(leaf.cert).publicKey.export({ type: 'spki', format: 'der' }).toString('hex'),
    );
    assert.equal(new Set(keys).size, 1);
    assert.equal(other.key, first.key);
    assert.ok(!fs.readdirSync(dir).some((f) => f !== 'ca.pem' && f !== 'ca-key.pem'), 'leaf key never written to disk');
    assert.equal(ca.secureContextFor('a.example.test'), ca.secureContextFor('a.example.test'));
  }));

test('a reloaded CA issues leaves that verify against the original certificate', () =>
  withTempDir((dir) => {
    const original = CertificateAuthority.loadOrCreate(dir);
    const reloaded = CertificateAuthority.loadOrCreate(dir);
    const x509 = new crypto.X509Certificate(reloaded.leafFor('example.test').cert);
    const caX509 = new crypto.X509Certificate(original.certPem);
    assert.equal(x509.checkIssued(caX509), true);
    assert.equal(x509.verify(caX509.publicKey), true);
  }));
