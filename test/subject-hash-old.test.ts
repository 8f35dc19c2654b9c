import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CertificateAuthority } from '../proxy/tls/certificate-authority.js';
import { subjectDer, subjectHashOld } from '../proxy/tls/subject-hash-old.js';

const hasOpenssl = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
const skipWithoutOpenssl = hasOpenssl ? false : 'openssl is not installed: the hash is not compared with its -subject_hash_old';

/** `openssl x509 -subject_hash_old -noout` of a PEM file. */
function opensslHashOld(pemFile: string): string {
  const r = spawnSync('openssl', ['x509', '-in', pemFile, '-subject_hash_old', '-noout'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'wspeek-subject-hash-'));
}

test("wspeek's CA hashes as openssl x509 -subject_hash_old says", { skip: skipWithoutOpenssl }, () => {
  const dir = tempDir();
  try {
    const ca = CertificateAuthority.loadOrCreate(dir);
    assert.match(ca.subjectHashOld, /^[0-9a-f]{8}$/);
    assert.equal(ca.subjectHashOld, opensslHashOld(ca.certPath));
    assert.equal(subjectHashOld(ca.certDer), ca.subjectHashOld);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('certificates openssl made (a UTF-8 multi-attribute subject, and a v1 certificate without the version field) hash as openssl says', { skip: skipWithoutOpenssl }, () => {
  const dir = tempDir();
  try {
    const key = path.join(dir, 'key.pem');
    const v3 = path.join(dir, 'v3.pem');
    const csr = path.join(dir, 'req.csr');
    const v1 = path.join(dir, 'v1.pem');
    const ok = (args: string[]) => assert.equal(spawnSync('openssl', args, { encoding: 'utf8' }).status, 0, args.join(' '));
    ok(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', v3, '-days', '2',
      '-utf8', '-subj', '/C=DE/ST=Bayern/O=Grüße & Co/OU=ünïcödé/CN=device.example']);
    ok(['req', '-new', '-key', key, '-out', csr, '-subj', '/CN=v1 cert/O=wspeek tests']);
    // Without extensions, openssl x509 -req signs a version 1 certificate: the TBSCertificate has no [0] version.
    ok(['x509', '-req', '-in', csr, '-signkey', key, '-out', v1, '-days', '2']);
    for (const file of [v3, v1]) {
      const der = new crypto.X509Certificate(fs.readFileSync(file)).raw;
      assert.equal(subjectHashOld(der), opensslHashOld(file), file);
    }
    const text = spawnSync('openssl', ['x509', '-in', v1, '-noout', '-text'], { encoding: 'utf8' }).stdout;
    assert.match(text, /Version: 1 \(0x0\)/, 'a certificate without the [0] version field');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('subjectDer is the subject as it stands in the certificate, and the hash is MD5 of it read little-endian', () => {
  const dir = tempDir();
  try {
    const ca = CertificateAuthority.loadOrCreate(dir);
    const subject = subjectDer(ca.certDer)!;
    assert.equal(subject[0], 0x30);
    assert.ok(ca.certDer.includes(subject));
    assert.ok(subject.includes(Buffer.from('wspeek CA')));
    const md5 = crypto.createHash('md5').update(subject).digest();
    assert.equal(subjectHashOld(ca.certDer), [md5[3], md5[2], md5[1], md5[0]].map((b) => b!.toString(16).padStart(2, '0')).join(''));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('bytes that are not a certificate give null, truncated or not', () => {
  const dir = tempDir();
  try {
    const der = CertificateAuthority.loadOrCreate(dir).certDer;
    assert.equal(subjectHashOld(Buffer.alloc(0)), null);
    assert.equal(subjectHashOld(Buffer.from('not DER at all')), null);
    for (const cut of [1, 2, 4, 10, 40, 100]) assert.equal(subjectHashOld(der.subarray(0, cut)), null, `cut at ${cut}`);
    assert.equal(subjectHashOld(Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff])), null, 'a length past the end');
    assert.equal(subjectHashOld(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00])), null, 'a SEQUENCE that holds no TBSCertificate');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
