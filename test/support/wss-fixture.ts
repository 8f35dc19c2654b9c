// What test/fixtures/wss-lo.pcap holds: recorded by record-pcap-fixtures.ts (`tls`), read back by the tests.

/** The wss fixture's connections: each port's TLS version and cipher (OpenSSL's names). */
export const TLS_FIXTURES = [
  { port: 47014, version: 'TLSv1.3', ciphersuites: 'TLS_AES_256_GCM_SHA384', ciphers: undefined },
  { port: 47015, version: 'TLSv1.3', ciphersuites: 'TLS_CHACHA20_POLY1305_SHA256', ciphers: undefined },
  { port: 47016, version: 'TLSv1.2', ciphersuites: undefined, ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' },
  { port: 47017, version: 'TLSv1.2', ciphersuites: undefined, ciphers: 'ECDHE-RSA-CHACHA20-POLY1305' },
] as const;

/** The SNI the wss fixture's clients send. */
export const TLS_FIXTURE_SNI = 'wss.fixture.test';

/** What each wss fixture client sends, in order (the server echoes every data message). */
export function tlsFixtureMessages(port: number): Array<string | Buffer> {
  // 20000 bytes span two TLS records (RFC 8446 §5.1: at most 2^14 bytes of plaintext each).
  return [`hello over TLS on ${port}`, Buffer.from([0, 1, 2, 3, 254, 255]), 'y'.repeat(20_000)];
}
