import crypto from 'node:crypto';
import fs from 'node:fs';
import { fsErrorReason } from '../fs-error-reason.js';

/** A `--client-cert` that can't be used, for a reason the user can fix: said in one line. */
export class ClientCertificateError extends Error {}

/** A certificate (its chain, leaf first) and its private key, as `tls.connect` and `https.Agent` take them. */
export interface ClientCertificate {
  /** The file they came from, for messages. */
  file: string;
  cert: string;
  key: string;
}

/** The `--client-cert` files, by the upstream host they are offered to. */
export interface ClientCertificates {
  /** The certificate to offer `host` (matched exactly, case-insensitive), else the one for every host, else null. */
  forHost(host: string): ClientCertificate | null;
  /** Lines to say at startup: key files that others may read. */
  warnings: string[];
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;
/** A `HOST=` prefix: no path separator before the first `=`. */
const HOST_PREFIX = /^([^=/\\]+)=(.+)$/s;

/**
 * Reads `--client-cert` values: `FILE` (offered to every upstream without its own) or
 * `HOST=FILE` (offered to that host only; `[v6]` brackets allowed). Each FILE is PEM holding one
 * private key (unencrypted) and its certificate, optionally followed by the chain's intermediates.
 * Throws `ClientCertificateError` for a file that can't be read, that holds no key or no
 * certificate, whose key does not match its certificate, or for a host (or the bare FILE) given
 * twice. A key file whose group or others may read it is kept, with a warning.
 */
export function loadClientCertificates(values: readonly string[]): ClientCertificates {
  const byHost = new Map<string, ClientCertificate>();
  let everyHost: ClientCertificate | null = null;
  const warnings: string[] = [];
  for (const value of values) {
    const m = HOST_PREFIX.exec(value);
    const host = m ? m[1]!.replace(/^\[(.*)\]$/, '$1').toLowerCase() : null;
    const file = m ? m[2]! : value;
    if (host !== null && byHost.has(host)) throw new ClientCertificateError(`--client-cert: ${host} is given twice`);
    if (host === null && everyHost) throw new ClientCertificateError(`--client-cert: two files for every host (${everyHost.file}, ${file}); name the host of one: HOST=FILE`);
    const loaded = readClientCertificate(file);
    const mode = loaded.mode & 0o777;
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
      warnings.push(`--client-cert ${file} has mode ${mode.toString(8).padStart(4, '0')}: others may read its private key; chmod 600 it`);
    }
    if (host === null) everyHost = loaded.certificate;
    else byHost.set(host, loaded.certificate);
  }
  return {
    forHost: (host) => byHost.get(host.replace(/^\[(.*)\]$/, '$1').toLowerCase()) ?? everyHost,
    warnings,
  };
}

function readClientCertificate(file: string): { certificate: ClientCertificate; mode: number } {
  let text: string;
  let mode: number;
  try {
    text = fs.readFileSync(file, 'latin1');
    mode = fs.statSync(file).mode;
  } catch (err) {
    throw new ClientCertificateError(`--client-cert: cannot read ${file}: ${fsErrorReason(err)}`);
  }
  const blocks = [...text.matchAll(PEM_BLOCK)].map((b) => ({ label: b[1]!, pem: b[0] }));
  const certs = blocks.filter((b) => b.label === 'CERTIFICATE');
  const keys = blocks.filter((b) => b.label.endsWith('PRIVATE KEY'));
  if (certs.length === 0) throw new ClientCertificateError(`--client-cert: ${file} holds no PEM certificate (want the certificate and its private key in one file)`);
  if (keys.length !== 1) {
    throw new ClientCertificateError(`--client-cert: ${file} holds ${keys.length === 0 ? 'no' : keys.length} PEM private key${keys.length === 0 ? '' : 's'} (want exactly one, with its certificate)`);
  }
  const keyPem = keys[0]!;
  if (keyPem.label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(keyPem.pem)) {
    throw new ClientCertificateError(`--client-cert: the private key in ${file} is encrypted; decrypt it first (openssl pkey -in ${file})`);
  }
  let matches: boolean;
  try {
    const key = crypto.createPrivateKey(keyPem.pem);
    matches = new crypto.X509Certificate(certs[0]!.pem).checkPrivateKey(key);
  } catch (err) {
    throw new ClientCertificateError(`--client-cert: ${file}: ${(err as Error).message}`);
  }
  if (!matches) throw new ClientCertificateError(`--client-cert: the private key in ${file} does not belong to its first certificate`);
  return { certificate: { file, cert: certs.map((c) => c.pem).join('\n'), key: keyPem.pem }, mode };
}

/** The TLS alerts (RFC 8446 §6.2, RFC 5246 §7.2.2) with which a server refuses a client certificate. */
const CERTIFICATE_ALERTS = new Map([
  [40, 'handshake_failure'], [42, 'bad_certificate'], [43, 'unsupported_certificate'], [44, 'certificate_revoked'],
  [45, 'certificate_expired'], [46, 'certificate_unknown'], [48, 'unknown_ca'], [49, 'access_denied'], [116, 'certificate_required'],
]);

/**
 * What an upstream's TLS alert says about client certificates, to follow `upstream HOST:PORT `, or
 * null when it says nothing about them. Without a certificate offered: certificate_required (TLS 1.3,
 * RFC 8446 §4.4.2.4) means the upstream requires one; handshake_failure (what TLS 1.2 servers send,
 * RFC 5246 §7.4.6) may mean it. With one offered, a certificate alert means the upstream refused it.
 */
export function clientCertificateRefusal(err: Error, offered: ClientCertificate | null): string | null {
  const number = /SSL alert number (\d+)/.exec(err.message);
  const alert = number ? Number(number[1]) : null;
  const name = alert === null ? undefined : CERTIFICATE_ALERTS.get(alert);
  if (name === undefined) return null;
  const said = `TLS alert ${alert} ${name}`;
  if (offered) return `refused the client certificate in ${offered.file} (${said})`;
  if (alert === 116) return `requires a client certificate (${said}); give one with --client-cert`;
  if (alert === 40) return `ended the TLS handshake (${said}): it may require a client certificate (--client-cert)`;
  return null;
}
