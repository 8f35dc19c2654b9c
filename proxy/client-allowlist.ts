import net from 'node:net';
import os from 'node:os';

/** Which client addresses the proxy serves. */
export interface AllowList {
  allows(address: string): boolean;
  /** The subnets, for messages: `192.168.1.0/24, 127.0.0.0/8`. */
  readonly description: string;
}

/** Parses `--allow` values (`192.168.1.0/24`, `10.0.0.7`, `fd00::/8`); throws a one-line Error for a bad one. */
export function parseAllowList(specs: string[]): AllowList {
  return build(specs.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean));
}

/** Loopback and the subnets of this machine's own interfaces: the default for a forward proxy on the LAN. */
export function localSubnets(): AllowList {
  const cidrs = ['127.0.0.0/8', '::1/128'];
  for (const a of Object.values(os.networkInterfaces()).flat()) if (a?.cidr && !a.internal) cidrs.push(a.cidr);
  return build(cidrs);
}

function build(cidrs: string[]): AllowList {
  const list = new net.BlockList();
  for (const cidr of cidrs) {
    const [address, bits] = cidr.split('/');
    const family = net.isIPv4(address ?? '') ? 'ipv4' : net.isIPv6(address ?? '') ? 'ipv6' : null;
    const max = family === 'ipv4' ? 32 : 128;
    const prefix = bits === undefined ? max : Number(bits);
    if (!family || !Number.isInteger(prefix) || prefix < 0 || prefix > max) {
      throw new Error(`--allow wants addresses or subnets like 192.168.1.0/24; got ${JSON.stringify(cidr)}`);
    }
    list.addSubnet(address!, prefix, family);
  }
  return {
    description: cidrs.join(', '),
    allows(address: string): boolean {
      // An IPv4 client on a dual-stack socket shows up as ::ffff:a.b.c.d.
      const v4 = address.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : null;
      if (v4) return list.check(v4, 'ipv4');
      return net.isIPv4(address) ? list.check(address, 'ipv4') : net.isIPv6(address) && list.check(address, 'ipv6');
    },
  };
}
