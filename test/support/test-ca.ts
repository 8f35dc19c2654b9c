// One CA for a test file's forward proxies, made in a temporary directory on first use and removed at exit.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CertificateAuthority } from '../../proxy/tls/certificate-authority.js';

let ca: CertificateAuthority | null = null;

/** A CA a forward proxy under test can intercept TLS with (nothing trusts it unless a test says so). */
export function testCa(): CertificateAuthority {
  if (ca) return ca;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wspeek-test-ca-'));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  ca = CertificateAuthority.loadOrCreate(dir);
  return ca;
}
