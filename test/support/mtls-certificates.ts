// A CA made for one test file, and the certificates it signs: a server's, and clients' for mutual TLS.

import crypto from 'node:crypto';
import forge from 'node-forge';

/** A PEM certificate and its PEM private key. */
export interface Issued {
  cert: string;
  key: string;
}

/** A CA that signs certificates for mutual-TLS tests. */
export interface MtlsCa {
  /** The CA certificate, PEM: what a server requiring client certificates trusts. */
  cert: string;
  /** A server certificate for `ip` (an IP address SAN). */
  server(ip: string): Issued;
  /** A client certificate (extendedKeyUsage clientAuth) with this common name. */
  client(commonName: string): Issued;
}

let serial = 1;

function keyPair(): { key: string; forgeKey: forge.pki.rsa.PrivateKey; forgePublic: forge.pki.rsa.PublicKey } {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const forgeKey = forge.pki.privateKeyFromPem(key) as forge.pki.rsa.PrivateKey;
  return { key, forgeKey, forgePublic: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e) };
}

function certificate(
  subject: string, publicKey: forge.pki.rsa.PublicKey, issuer: forge.pki.Certificate | null, signer: forge.pki.rsa.PrivateKey, extensions: object[],
): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = (serial++).toString(16).padStart(2, '0');
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 24 * 3600_000);
  cert.setSubject([{ name: 'commonName', value: subject }]);
  cert.setIssuer(issuer ? issuer.subject.attributes : [{ name: 'commonName', value: subject }]);
  cert.setExtensions(extensions);
  cert.sign(signer, forge.md.sha256.create());
  return cert;
}

/** A fresh CA (RSA 2048, valid for a day). */
export function mtlsCa(name: string): MtlsCa {
  const ca = keyPair();
  const caCert = certificate(name, ca.forgePublic, null, ca.forgeKey, [
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  ]);
  const issue = (commonName: string, extensions: object[]): Issued => {
    const pair = keyPair();
    const cert = certificate(commonName, pair.forgePublic, caCert, ca.forgeKey, [{ name: 'basicConstraints', cA: false }, ...extensions]);
    return { cert: forge.pki.certificateToPem(cert), key: pair.key };
  };
  return {
    cert: forge.pki.certificateToPem(caCert),
    server: (ip) => issue(ip, [{ name: 'extKeyUsage', serverAuth: true }, { name: 'subjectAltName', altNames: [{ type: 7, ip }] }]),
    client: (commonName) => issue(commonName, [{ name: 'extKeyUsage', clientAuth: true }]),
  };
}
