/**
 * wspeek's own certificate authority for TLS interception in forward-proxy mode.
 *
 * The CA key pair lives on disk (`ca.pem` + `ca-key.pem`, key mode 0600) so the
 * user only has to trust it once; leaf certificates are minted in memory per
 * host (from SNI or the CONNECT target) and all share one in-memory key pair.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import tls from 'node:tls';
import type forge from 'node-forge';
import { subjectHashOld } from './subject-hash-old.js';

/**
 * node-forge is loaded on first use, not at startup: only TLS interception and `wspeek ca` need
 * it, and the 1.6 MB of heap it takes would make every garbage collection of a plain reverse
 * proxy that much slower.
 */
const require = createRequire(import.meta.url);
let forgeModule: typeof forge | null = null;
const forgeLib = (): typeof forge => (forgeModule ??= require('node-forge') as typeof forge);

/** A certificate-authority problem, described in one line fit for the user. */
export class CaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CaError';
  }
}

/** The default directory for the CA files: `~/.wspeek`. */
export function defaultCaDir(): string {
  return path.join(os.homedir(), '.wspeek');
}

const CERT_FILE = 'ca.pem';
const KEY_FILE = 'ca-key.pem';
const DAY_MS = 24 * 60 * 60 * 1000;
/** Leaf lifetime; Apple rejects server certificates valid for more than 398 days. */
const LEAF_DAYS = 397;
const CA_YEARS = 10;
/** Upper bound on cached leaves so a long-running proxy cannot grow without limit. */
const MAX_CACHED_HOSTS = 1000;

interface KeyPair {
  /** PKCS#8 PEM of the private key. */
  pem: string;
  privateKey: forge.pki.rsa.PrivateKey;
  publicKey: forge.pki.rsa.PublicKey;
}

/** The issued leaf: private key PEM and certificate chain PEM (leaf, then CA). */
export interface Leaf {
  key: string;
  cert: string;
}

/** wspeek's CA: loads or creates the CA on disk and mints per-host leaf certificates. */
export class CertificateAuthority {
  /** The directory holding `ca.pem` and `ca-key.pem`. */
  readonly dir: string;
  /** Path of the CA certificate file (`ca.pem`). */
  readonly certPath: string;
  /** Path of the CA private key file (`ca-key.pem`). */
  readonly keyPath: string;
  /** The CA certificate in PEM form. */
  readonly certPem: string;
  /** The CA certificate in DER form. */
  readonly certDer: Buffer;
  /** SHA-256 fingerprint of the DER certificate, colon-separated uppercase hex. */
  readonly fingerprint256: string;
  /** OpenSSL's `subject_hash_old` of the certificate: its file name in Android's system store is this and `.0`. */
  readonly subjectHashOld: string;
  /** True when this `loadOrCreate` call generated the CA (first use). */
  readonly created: boolean;

  private readonly caCert: forge.pki.Certificate;
  private readonly caKey: forge.pki.rsa.PrivateKey;
  private leafKey: KeyPair | undefined;
  private readonly leaves = new Map<string, Leaf>();
  private readonly contexts = new Map<string, tls.SecureContext>();

  private constructor(
    dir: string,
    certPem: string,
    caCert: forge.pki.Certificate,
    caKey: forge.pki.rsa.PrivateKey,
    created: boolean,
  ) {
    this.dir = dir;
    this.certPath = path.join(dir, CERT_FILE);
    this.keyPath = path.join(dir, KEY_FILE);
    const x509 = new crypto.X509Certificate(certPem);
    this.certPem = x509.toString();
    this.certDer = x509.raw;
    this.fingerprint256 = x509.fingerprint256;
    const hash = subjectHashOld(this.certDer);
    if (hash === null) throw new CaError(`cannot read the subject of ${this.certPath}`);
    this.subjectHashOld = hash;
    this.caCert = caCert;
    this.caKey = caKey;
    this.created = created;
  }

  /**
   * Loads the CA from `dir`, or creates it there on first use (directory mode
   * 0700, key mode 0600). Throws `CaError` on a half-present, corrupt or
   * insecurely stored CA.
   */
  static loadOrCreate(dir: string): CertificateAuthority {
    ensureDir(dir);
    const certPath = path.join(dir, CERT_FILE);
    const keyPath = path.join(dir, KEY_FILE);
    const haveCert = fs.existsSync(certPath);
    const haveKey = fs.existsSync(keyPath);
    if (haveCert && haveKey) return CertificateAuthority.load(dir, certPath, keyPath);
    if (haveCert) {
      throw new CaError(`found ${certPath} but not its key ${keyPath}; restore the key or remove ${certPath} to create a new CA`);
    }
    if (haveKey) {
      throw new CaError(`found ${keyPath} but not its certificate ${certPath}; restore the certificate or remove ${keyPath} to create a new CA`);
    }
    return CertificateAuthority.create(dir, certPath, keyPath);
  }

  /**
   * A leaf certificate for `host` (DNS name or IPv4/IPv6 literal), signed by
   * this CA and cached per host. `cert` is the chain: leaf PEM then CA PEM.
   */
  leafFor(host: string): Leaf {
    const name = normalizeHost(host);
    const cached = this.leaves.get(name);
    if (cached) return cached;
    const leaf = this.issue(name);
    remember(this.leaves, name, leaf);
    return leaf;
  }

  /** A cached TLS secure context serving the leaf for `host`, for an SNICallback. */
  secureContextFor(host: string): tls.SecureContext {
    const name = normalizeHost(host);
    const cached = this.contexts.get(name);
    if (cached) return cached;
    const context = tls.createSecureContext(this.leafFor(name));
    remember(this.contexts, name, context);
    return context;
  }

  /** Loads and validates an existing CA from its two files. */
  private static load(dir: string, certPath: string, keyPath: string): CertificateAuthority {
    checkKeyPermissions(keyPath);
    const certPem = readText(certPath, 'certificate');
    const keyPem = readText(keyPath, 'private key');
    let cert: forge.pki.Certificate;
    try {
      cert = forgeLib().pki.certificateFromPem(certPem);
      new crypto.X509Certificate(certPem);
    } catch (err) {
      throw new CaError(`cannot parse CA certificate ${certPath}: ${reason(err)}; remove ${certPath} and ${keyPath} to create a new CA`);
    }
    let key: forge.pki.rsa.PrivateKey;
    try {
      key = forgeLib().pki.privateKeyFromPem(keyPem);
    } catch (err) {
      throw new CaError(`cannot parse CA private key ${keyPath}: ${reason(err)}; remove ${certPath} and ${keyPath} to create a new CA`);
    }
    const publicKey = cert.publicKey as forge.pki.rsa.PublicKey;
    if (!publicKey.n || !publicKey.n.equals(key.n) || !publicKey.e.equals(key.e)) {
      throw new CaError(`CA private key ${keyPath} does not match certificate ${certPath}`);
    }
    const constraints = cert.getExtension('basicConstraints') as { cA?: boolean } | null;
    if (!constraints?.cA) throw new CaError(`${certPath} is not a CA certificate (basicConstraints cA is not set)`);
    return new CertificateAuthority(dir, certPem, cert, key, false);
  }

  /** Generates a new CA and writes its files (key first, never overwriting). */
  private static create(dir: string, certPath: string, keyPath: string): CertificateAuthority {
    const keys = generateKeyPair();
    const cert = forgeLib().pki.createCertificate();
    cert.publicKey = keys.publicKey;
    cert.serialNumber = randomSerial();
    const now = new Date();
    cert.validity.notBefore = new Date(now.getTime() - DAY_MS);
    const notAfter = new Date(now);
    notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_YEARS);
    cert.validity.notAfter = notAfter;
    const subject = [
      { name: 'commonName', value: 'wspeek CA' },
      { name: 'organizationName', value: 'wspeek' },
      { shortName: 'OU', value: `install ${crypto.randomBytes(4).toString('hex')}` },
    ];
    cert.setSubject(subject);
    cert.setIssuer(subject);
    cert.setExtensions([
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      { name: 'subjectKeyIdentifier' },
    ]);
    cert.sign(keys.privateKey, forgeLib().md.sha256.create());
    const certPem = new crypto.X509Certificate(forgeLib().pki.certificateToPem(cert)).toString();

    writeNew(keyPath, keys.pem, 0o600);
    try {
      writeNew(certPath, certPem, 0o644);
    } catch (err) {
      fs.rmSync(keyPath, { force: true });
      throw err;
    }
    return new CertificateAuthority(dir, certPem, cert, keys.privateKey, true);
  }

  private issue(name: string): Leaf {
    this.leafKey ??= generateKeyPair();
    const cert = forgeLib().pki.createCertificate();
    cert.publicKey = this.leafKey.publicKey;
    cert.serialNumber = randomSerial();
    const now = Date.now();
    cert.validity.notBefore = new Date(now - DAY_MS);
    const notAfter = now + LEAF_DAYS * DAY_MS;
    cert.validity.notAfter = new Date(Math.min(notAfter, this.caCert.validity.notAfter.getTime()));
    cert.setSubject([{ name: 'commonName', value: name.slice(0, 64) }]);
    cert.setIssuer(this.caCert.subject.attributes);
    const ip = net.isIP(name) !== 0;
    cert.setExtensions([
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [ip ? { type: 7, ip: name } : { type: 2, value: name }] },
      { name: 'subjectKeyIdentifier' },
      { name: 'authorityKeyIdentifier', keyIdentifier: caKeyIdentifier(this.caCert) },
    ]);
    cert.sign(this.caKey, forgeLib().md.sha256.create());
    const leafPem = new crypto.X509Certificate(forgeLib().pki.certificateToPem(cert)).toString();
    return { key: this.leafKey.pem, cert: leafPem + this.certPem };
  }
}

/** Creates `dir` (mode 0700) if missing; an existing directory must be 0700 (others can't read or replace the CA). */
function ensureDir(dir: string): void {
  try {
    const made = fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (made !== undefined && process.platform !== 'win32') fs.chmodSync(dir, 0o700);
  } catch (err) {
    throw new CaError(`cannot create CA directory ${dir}: ${reason(err)}`);
  }
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch (err) {
    throw new CaError(`cannot access CA directory ${dir}: ${reason(err)}`);
  }
  if (!stat.isDirectory()) throw new CaError(`CA directory ${dir} exists but is not a directory`);
  if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    const shown = (stat.mode & 0o777).toString(8).padStart(4, '0');
    throw new CaError(`refusing to use CA directory ${dir}: permissions ${shown} are too open (want 0700); fix with: chmod 700 ${dir}`);
  }
}

function checkKeyPermissions(keyPath: string): void {
  if (process.platform === 'win32') return;
  let mode: number;
  try {
    mode = fs.statSync(keyPath).mode & 0o777;
  } catch (err) {
    throw new CaError(`cannot access CA private key ${keyPath}: ${reason(err)}`);
  }
  if ((mode & 0o077) !== 0) {
    const shown = mode.toString(8).padStart(4, '0');
    throw new CaError(`refusing to use ${keyPath}: permissions ${shown} are too open (want 0600); fix with: chmod 600 ${keyPath}`);
  }
}

function readText(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CaError(`cannot read CA ${what} ${file}: ${reason(err)}`);
  }
}

/** Writes a file that must not exist yet (flag `wx`), with the given mode. */
function writeNew(file: string, data: string, mode: number): void {
  try {
    fs.writeFileSync(file, data, { mode, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new CaError(`${file} appeared while creating the CA (another wspeek running?); try again`);
    }
    throw new CaError(`cannot write ${file}: ${reason(err)}`);
  }
}

/** A fresh RSA 2048 key pair, generated natively and converted for node-forge. */
function generateKeyPair(): KeyPair {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return {
    pem,
    privateKey: forgeLib().pki.privateKeyFromPem(pem),
    publicKey: forgeLib().pki.publicKeyFromPem(publicPem),
  };
}

/** A random positive 16-byte serial number, minimally DER-encodable (no leading zero byte). */
function randomSerial(): string {
  const bytes = crypto.randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return bytes.toString('hex');
}

/** The CA's key identifier (binary string): its SKI extension, else computed from its key. */
function caKeyIdentifier(caCert: forge.pki.Certificate): string {
  const ski = caCert.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | null;
  if (ski?.subjectKeyIdentifier) return forgeLib().util.hexToBytes(ski.subjectKeyIdentifier);
  return caCert.generateSubjectKeyIdentifier().getBytes();
}

/** Lowercases a host, strips IPv6 brackets/zone and a trailing dot, canonicalizes IPv6, validates. */
function normalizeHost(host: string): string {
  let name = host.trim().toLowerCase();
  if (name.startsWith('[') && name.endsWith(']')) name = name.slice(1, -1);
  if (name.includes(':')) {
    name = name.replace(/%.*$/, '');
    if (net.isIPv6(name)) return new URL(`http://[${name}]/`).hostname.slice(1, -1);
  }
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (net.isIPv4(name)) return name;
  if (name.length === 0 || name.length > 253 || !/^[a-z0-9_*-]+(\.[a-z0-9_*-]+)*$/.test(name)) {
    throw new CaError(`cannot issue a certificate for invalid host name ${JSON.stringify(host)}`);
  }
  return name;
}

/** Map insert that evicts the oldest entry beyond MAX_CACHED_HOSTS. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  if (map.size >= MAX_CACHED_HOSTS) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
  map.set(key, value);
}

function reason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
