import type http from 'node:http';
import net from 'node:net';

/** Where a request or an upgrade goes, and how it is named there. */
export interface Destination {
  /** Host name or IP address (IPv6 without brackets). */
  host: string;
  port: number;
  /** The upstream speaks TLS (https, wss). */
  tls: boolean;
  /** Origin-form request target for the upstream, e.g. `/base/chat?x=1`. */
  path: string;
  /** `http(s)://host[:port]`, for http-proxy. */
  origin: string;
  /** The request's URL, for the log: `http(s)://host[:port]/path`. */
  url: string;
  /** Host header to send upstream: the target's in reverse mode; null keeps the client's. */
  hostHeader: string | null;
}

/** The host and port a CONNECT tunnel leads to, and whether its bytes turned out to be TLS. */
export interface TunnelEnd {
  host: string;
  port: number;
  tls: boolean;
}

/** Where a request goes: the reverse target, the tunnel it arrived through, or its absolute URI; null when it names none. */
export function resolveDestination(req: http.IncomingMessage, tunnel: TunnelEnd | null, target: URL | null): Destination | null {
  const raw = req.url ?? '/';
  if (target) {
    const secure = target.protocol === 'wss:' || target.protocol === 'https:';
    // A path in --target is prepended to the request's path.
    const base = target.pathname.endsWith('/') ? target.pathname.slice(0, -1) : target.pathname;
    const d = destination(target.hostname, portOf(target), secure, `${base}${raw.startsWith('/') ? raw : `/${raw}`}`);
    return { ...d, hostHeader: hostHeader(d.host, d.port, d.tls) };
  }
  if (tunnel) return destination(tunnel.host, tunnel.port, tunnel.tls, raw);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) return null;
  return destination(url.hostname, portOf(url), url.protocol === 'https:' || url.protocol === 'wss:', `${url.pathname}${url.search}`);
}

/** The WebSocket URL of an upgrade to `d`, for the log: `ws(s)://host[:port]/path`. */
export function webSocketUrl(d: Destination): string {
  return `${d.tls ? 'wss' : 'ws'}://${hostHeader(d.host, d.port, d.tls)}${d.path}`;
}

function destination(host: string, port: number, secure: boolean, path: string): Destination {
  const h = host.startsWith('[') ? host.slice(1, -1) : host;
  const origin = `${secure ? 'https' : 'http'}://${hostHeader(h, port, secure)}`;
  return { host: h, port, tls: secure, path, origin, url: `${origin}${path}`, hostHeader: null };
}

/** A URL's port, or its scheme's default. */
export function portOf(u: URL): number {
  if (u.port) return Number(u.port);
  return u.protocol === 'https:' || u.protocol === 'wss:' ? 443 : 80;
}

/** host[:port], the port left out when it is the scheme's default. */
function hostHeader(host: string, port: number, secure: boolean): string {
  const h = net.isIPv6(host) ? `[${host}]` : host;
  return port === (secure ? 443 : 80) ? h : `${h}:${port}`;
}

/** A CONNECT request's `host:port` (IPv6 in brackets), or null. */
export function parseAuthority(s: string): { host: string; port: number } | null {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(s);
  if (!m) return null;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return null;
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

/** `host:port`, IPv6 in brackets. */
export function formatHostPort(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}
