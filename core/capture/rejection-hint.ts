import type { TunnelRecord } from '../log/records.js';
import { rejectedKey } from './pass-hosts.js';

/**
 * What a rejected certificate most likely means and what to do, said once per host (the SNI,
 * else the CONNECT host) per run: fed every `tunnel` record, it returns the hint for the first
 * `rejected` one of each host, else null.
 */
export class RejectionHints {
  private readonly told = new Set<string>();

  hintFor(r: TunnelRecord): string | null {
    if (r.tls !== 'rejected') return null;
    const host = rejectedKey(r.host, r.sni);
    if (this.told.has(host)) return null;
    this.told.add(host);
    return rejectionHint(host, r.alert);
  }
}

/** The hint for one host whose client rejected wspeek's certificate (with the alert or why, when known). */
export function rejectionHint(host: string, alert: string | null): string {
  return `${host} rejected wspeek's certificate${alert !== null ? ` (${alert})` : ''}. Most likely the client does not trust wspeek's CA `
    + '(install and trust it from http://wspeek.ca/ through the proxy; on iOS also turn it on under Certificate Trust Settings), '
    + 'it is an Android 7+ app, which trusts user-installed CAs only if it opts in, or the app pins its server\'s certificate. '
    + `To let this host work untouched: --pass ${host} (or --pass-rejected).`;
}
