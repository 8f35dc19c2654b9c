/**
 * The NSS key log format (`SSLKEYLOGFILE`, Node's `tls` `keylog` event): one secret a line,
 * `LABEL <client_random hex> <secret hex>`, `#` starts a comment. Sans-IO: it parses text.
 */

/** The secrets a key log holds for one TLS session, by its ClientHello's random. */
export interface TlsSecrets {
  /** `CLIENT_RANDOM`: the TLS 1.2 master secret (48 bytes). */
  masterSecret?: Buffer;
  /** `CLIENT_HANDSHAKE_TRAFFIC_SECRET` (TLS 1.3). */
  clientHandshake?: Buffer;
  /** `SERVER_HANDSHAKE_TRAFFIC_SECRET` (TLS 1.3). */
  serverHandshake?: Buffer;
  /** `CLIENT_TRAFFIC_SECRET_0` (TLS 1.3). */
  clientTraffic0?: Buffer;
  /** `SERVER_TRAFFIC_SECRET_0` (TLS 1.3). */
  serverTraffic0?: Buffer;
}

/** A parsed key log: secrets by client_random in lower-case hex, and the lines it could not read. */
export interface KeyLog {
  sessions: Map<string, TlsSecrets>;
  /** The lines it skipped: each line's number (from 1) and why. */
  problems: Array<{ line: number; error: string }>;
}

const FIELDS: Record<string, keyof TlsSecrets> = {
  CLIENT_RANDOM: 'masterSecret',
  CLIENT_HANDSHAKE_TRAFFIC_SECRET: 'clientHandshake',
  SERVER_HANDSHAKE_TRAFFIC_SECRET: 'serverHandshake',
  CLIENT_TRAFFIC_SECRET_0: 'clientTraffic0',
  SERVER_TRAFFIC_SECRET_0: 'serverTraffic0',
};

/** Labels of the format that carry nothing this decryptor uses (0-RTT, exporters): read and ignored. */
const IGNORED = new Set(['CLIENT_EARLY_TRAFFIC_SECRET', 'EARLY_EXPORTER_SECRET', 'EXPORTER_SECRET', 'RSA']);

const HEX = /^[0-9a-fA-F]+$/;

/** Parses a key log's text; a line it can't read is a problem, never a throw. */
export function parseKeyLog(text: string): KeyLog {
  const sessions = new Map<string, TlsSecrets>();
  const problems: KeyLog['problems'] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const [label = '', random = '', secret = '', ...rest] = line.split(/\s+/);
    if (IGNORED.has(label)) return;
    const field = FIELDS[label];
    if (field === undefined) return void problems.push({ line: i + 1, error: `unknown label ${label.slice(0, 40)}` });
    if (rest.length > 0 || random.length !== 64 || !HEX.test(random) || secret.length % 2 !== 0 || secret.length === 0 || !HEX.test(secret)) {
      return void problems.push({ line: i + 1, error: `not "${label} <64 hex digits> <secret in hex>"` });
    }
    const key = random.toLowerCase();
    const entry = sessions.get(key) ?? {};
    entry[field] = Buffer.from(secret, 'hex');
    sessions.set(key, entry);
  });
  return { sessions, problems };
}
