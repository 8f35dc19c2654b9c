/**
 * Which TLS tunnels wspeek passes through untouched instead of intercepting: hosts matching a
 * `--pass` pattern (by the CONNECT or SOCKS host, or by the ClientHello's SNI), and, with
 * `--pass-rejected`, hosts whose client already rejected wspeek's certificate in this run.
 */
export class PassHosts {
  private readonly rejectedHosts = new Set<string>();

  constructor(
    private readonly patterns: readonly RegExp[],
    /** `--pass-rejected`: a host that rejected wspeek's certificate passes through from then on. */
    private readonly passRejected: boolean,
  ) {}

  /** Whether there is anything to pass through, so a tunnel needs its SNI read before it is intercepted. */
  get active(): boolean {
    return this.patterns.length > 0 || this.passRejected;
  }

  /** Whether a tunnel to `host` (asking for `sni` in its ClientHello, or null) passes through untouched. */
  passes(host: string, sni: string | null): boolean {
    const names = sni === null ? [normalHost(host)] : [normalHost(host), normalHost(sni)];
    if (names.some((n) => this.patterns.some((p) => p.test(n)))) return true;
    return this.rejectedHosts.has(rejectedKey(host, sni));
  }

  /** A client of `host` rejected wspeek's certificate: with `--pass-rejected`, its later tunnels pass through. */
  rejected(host: string, sni: string | null): void {
    if (this.passRejected) this.rejectedHosts.add(rejectedKey(host, sni));
  }
}

/**
 * Reads a `--pass` pattern: `/regex/` (matched anywhere in the host name), or a glob whose `*`
 * stands for one or more characters (dots included), matched against the whole name:
 * `*.apple.com` matches `api.apple.com` and `a.b.apple.com`, not `apple.com`. Case-insensitive.
 * An invalid regex is an error value naming the pattern.
 */
export function parsePassPattern(text: string): RegExp | { error: string } {
  if (text.length >= 2 && text.startsWith('/') && text.endsWith('/')) {
    try {
      return new RegExp(text.slice(1, -1), 'i');
    } catch (err) {
      return { error: `--pass ${JSON.stringify(text)} is not a valid regular expression: ${(err as Error).message}` };
    }
  }
  const glob = normalHost(text);
  if (glob === '' || glob.includes('/')) return { error: `--pass wants a host name, a glob such as *.apple.com, or /regex/; got ${JSON.stringify(text)}` };
  const source = glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.+');
  return new RegExp(`^${source}$`, 'i');
}

/** A host name as compared: lower case, without a trailing dot (an absolute name is the same host) or IPv6 brackets. */
function normalHost(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '').replace(/^\[(.*)\]$/, '$1');
}

/** The name a rejection is remembered by (for --pass-rejected, and for saying its hint once): the SNI, else the CONNECT host. */
export function rejectedKey(host: string, sni: string | null): string {
  return normalHost(sni ?? host);
}
