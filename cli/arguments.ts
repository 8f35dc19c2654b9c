import { parseNumber } from '../core/filter/parse-number.js';

/** Parses --listen's `[HOST:]PORT` (IPv6 in brackets); throws a one-line Error for yargs to report. */
export function parseListen(value: string): { host: string; port: number } {
  return hostPort('--listen', '127.0.0.1:8080', value);
}

/** Parses --socks's `[HOST:]PORT` (IPv6 in brackets), the host 127.0.0.1 when left out; throws a one-line Error for yargs to report. */
export function parseSocks(value: string): { host: string; port: number } {
  return hostPort('--socks', '127.0.0.1:1080', value);
}

function hostPort(flag: string, example: string, value: string): { host: string; port: number } {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]+):)?(\d{1,5})$/.exec(String(value));
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new Error(`${flag} wants [HOST:]PORT, e.g. ${example} or 0 for any free port; got ${JSON.stringify(value)}`);
  return { host: m[1] ? m[1].replace(/^\[|\]$/g, '') : '127.0.0.1', port };
}

/**
 * Parses --socks-auth's `user:pass`, split at the first colon (the password may hold colons);
 * each must be 1 to 255 bytes (RFC 1929 §2). Throws a one-line Error for yargs to report.
 */
export function parseSocksAuth(value: string): { user: string; pass: string } {
  const s = String(value);
  const colon = s.indexOf(':');
  const user = colon < 0 ? s : s.slice(0, colon);
  const pass = colon < 0 ? '' : s.slice(colon + 1);
  const fits = (x: string) => x.length > 0 && Buffer.byteLength(x) <= 255;
  if (colon < 0 || !fits(user) || !fits(pass)) throw new Error('--socks-auth wants USER:PASS, each 1 to 255 bytes (split at the first colon)');
  return { user, pass };
}

/** Parses --target; throws a one-line Error, echoing what was typed, unless it is a ws, wss, http or https URL. */
export function parseTarget(value: string): URL {
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    // not a URL: said below
  }
  if (url && ['ws:', 'wss:', 'http:', 'https:'].includes(url.protocol)) return url;
  // `localhost:3000` parses as a URL whose scheme is `localhost:`: a host and port without a scheme.
  const hostPort = /^(\[[0-9a-fA-F:.]+\]|[^\s/:[\]]+)(:\d{1,5})?(\/\S*)?$/.test(value);
  const hint = hostPort ? ` (did you mean ws://${value}?)` : '';
  throw new Error(`--target wants a ws://, wss://, http:// or https:// URL, e.g. ws://localhost:3000; got ${JSON.stringify(value)}${hint}`);
}

/**
 * Parses a count flag (--keep, --max-payload): a whole number of at least `min`, with the units
 * the filter knows (k and m, 1024-based: 64k, 1m, 1.5k). Throws a one-line Error echoing what was typed.
 */
export function parseCount(flag: string, min: number): (value: string | number) => number {
  return (value) => {
    const n = typeof value === 'number' ? value : parseNumber(String(value).trim(), true);
    if (n === null || !Number.isSafeInteger(n) || n < min) {
      throw new Error(`${flag} wants a whole number of at least ${min} (k and m are 1024-based: 64k, 1m); got ${JSON.stringify(String(value))}`);
    }
    return n;
  };
}

/** Parses a whole number of at least `min` (--script-timeout's milliseconds); throws a one-line Error echoing what was typed. */
export function parseWhole(flag: string, min: number): (value: string | number) => number {
  return (value) => {
    const n = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(String(value)) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min) throw new Error(`${flag} wants a whole number of at least ${min}; got ${JSON.stringify(String(value))}`);
    return n;
  };
}

/** Whether an address is loopback, where listening needs no warning. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
