/** Parses `[HOST:]PORT` (IPv6 in brackets); throws a one-line Error for yargs to report. */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]+):)?(\d{1,5})$/.exec(String(value));
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new Error(`--listen wants [HOST:]PORT, e.g. 127.0.0.1:8080 or 0 for any free port; got ${JSON.stringify(value)}`);
  return { host: m[1] ? m[1].replace(/^\[|\]$/g, '') : '127.0.0.1', port };
}

/** Parses --target; throws a one-line Error unless it is a ws, wss, http or https URL. */
export function parseTarget(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`--target wants a URL like ws://localhost:3000; got ${JSON.stringify(value)}`);
  }
  if (!['ws:', 'wss:', 'http:', 'https:'].includes(url.protocol)) {
    throw new Error(`--target must be a ws://, wss://, http:// or https:// URL; got ${url.protocol}`);
  }
  return url;
}

/** Whether an address is loopback, where listening needs no warning. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
