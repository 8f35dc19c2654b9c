import { ipv6Text } from '../capture/ip-packet.js';

/**
 * The server side of a SOCKS5 handshake (RFC 1928), with optional username/password
 * authentication (RFC 1929), as a state machine fed the client's bytes. It answers only CONNECT:
 * what follows the handshake is the client's stream to the host it named.
 */

/** RFC 1928 §6: the reply codes wspeek sends. */
export const SOCKS5_REPLY = {
  succeeded: 0x00,
  generalFailure: 0x01,
  commandNotSupported: 0x07,
  addressTypeNotSupported: 0x08,
} as const;

/** A username and password the client must give (RFC 1929). */
export interface Socks5Credentials {
  user: string;
  pass: string;
}

/** What the handshake says after a chunk of the client's bytes. */
export type Socks5Step =
  /** Send `reply` (when not null) and wait for more bytes. */
  | { kind: 'pending'; reply: Uint8Array | null }
  /** Send `reply` (success); the client's stream to `host`:`port` starts with `rest`. */
  | { kind: 'connect'; reply: Uint8Array; host: string; port: number; rest: Uint8Array }
  /**
   * Send `reply` (when not null), then close: `code` is the RFC 1928 reply code sent, or null
   * when the answer is the method or authentication failure, or nothing at all.
   */
  | { kind: 'refused'; reply: Uint8Array | null; code: number | null; reason: string };

type Phase = 'greeting' | 'auth' | 'request' | 'done';

const NO_AUTH = 0x00;
const USER_PASS = 0x02;
const NO_ACCEPTABLE_METHOD = 0xff;
const CMD_NAMES: Record<number, string> = { 1: 'CONNECT', 2: 'BIND', 3: 'UDP ASSOCIATE' };

/**
 * One client's SOCKS5 handshake: greeting and method selection (§3), the RFC 1929
 * sub-negotiation when credentials are required, then the request (§4), of which only CONNECT
 * is served. Bytes may arrive in any chunking; what follows the request is handed back as `rest`.
 */
export class Socks5Handshake {
  private phase: Phase = 'greeting';
  private buffered: Uint8Array = new Uint8Array(0);

  constructor(private readonly credentials: Socks5Credentials | null) {}

  /** Feeds the client's next bytes. After `connect` or `refused`, the handshake takes no more. */
  push(chunk: Uint8Array): Socks5Step {
    if (this.phase === 'done') return this.refuse(null, null, 'the SOCKS handshake is over');
    this.buffered = concat(this.buffered, chunk);
    const replies: Uint8Array[] = [];
    for (;;) {
      const step = this.step();
      if (step === null) return { kind: 'pending', reply: replies.length ? concat(...replies) : null };
      if (step.kind !== 'pending') {
        if (replies.length === 0) return step;
        return { ...step, reply: concat(...replies, step.reply ?? new Uint8Array(0)) };
      }
      if (step.reply) replies.push(step.reply);
    }
  }

  /** One message of the current phase, or null when it is not all here yet. */
  private step(): Socks5Step | null {
    const b = this.buffered;
    if (this.phase === 'greeting') {
      if (b.length < 1) return null;
      if (b[0] !== 5) return this.refuse(null, null, `not SOCKS5 (the first byte is 0x${b[0]!.toString(16).padStart(2, '0')}${b[0] === 4 ? ', SOCKS4' : ''})`);
      if (b.length < 2 || b.length < 2 + b[1]!) return null;
      const methods = b.subarray(2, 2 + b[1]!);
      this.consume(2 + b[1]!);
      const wanted = this.credentials ? USER_PASS : NO_AUTH;
      if (!methods.includes(wanted)) {
        const why = this.credentials ? 'the client does not offer username/password authentication, which --socks-auth requires' : 'the client does not offer "no authentication"';
        return this.refuse(Uint8Array.of(5, NO_ACCEPTABLE_METHOD), null, why);
      }
      this.phase = this.credentials ? 'auth' : 'request';
      return { kind: 'pending', reply: Uint8Array.of(5, wanted) };
    }
    if (this.phase === 'auth') {
      // RFC 1929 §2: VER(1) ULEN UNAME PLEN PASSWD.
      if (b.length < 2) return null;
      const ulen = b[1]!;
      if (b.length < 3 + ulen) return null;
      const plen = b[2 + ulen]!;
      if (b.length < 3 + ulen + plen) return null;
      const user = b.subarray(2, 2 + ulen);
      const pass = b.subarray(3 + ulen, 3 + ulen + plen);
      const version = b[0];
      this.consume(3 + ulen + plen);
      const creds = this.credentials!;
      // Both compared in full, so a wrong user takes as long as a wrong password.
      const userOk = sameBytes(user, utf8(creds.user));
      const passOk = sameBytes(pass, utf8(creds.pass));
      if (version !== 1) return this.refuse(Uint8Array.of(1, 1), null, `bad username/password sub-negotiation version ${version}`);
      if (!(userOk && passOk)) return this.refuse(Uint8Array.of(1, 1), null, 'wrong SOCKS username or password (--socks-auth)');
      this.phase = 'request';
      return { kind: 'pending', reply: Uint8Array.of(1, 0) };
    }
    // The request, §4: VER CMD RSV ATYP DST.ADDR DST.PORT.
    if (b.length < 5) return null;
    const version = b[0]!;
    const cmd = b[1]!;
    const atyp = b[3]!;
    if (version !== 5) return this.refuse(reply(SOCKS5_REPLY.generalFailure), SOCKS5_REPLY.generalFailure, `bad SOCKS request version ${version}`);
    const addrLen = atyp === 1 ? 4 : atyp === 4 ? 16 : atyp === 3 ? 1 + b[4]! : -1;
    if (addrLen < 0) return this.refuse(reply(SOCKS5_REPLY.addressTypeNotSupported), SOCKS5_REPLY.addressTypeNotSupported, `address type ${atyp} is not supported`);
    if (b.length < 4 + addrLen + 2) return null;
    const addr = b.subarray(4, 4 + addrLen);
    const port = (b[4 + addrLen]! << 8) | b[5 + addrLen]!;
    this.consume(4 + addrLen + 2);
    if (cmd !== 1) {
      return this.refuse(reply(SOCKS5_REPLY.commandNotSupported), SOCKS5_REPLY.commandNotSupported, `SOCKS command ${CMD_NAMES[cmd] ?? cmd} is not supported (only CONNECT)`);
    }
    const host = atyp === 1 ? addr.join('.') : atyp === 4 ? ipv6Text(addr) : domainName(addr.subarray(1));
    if (host === null) return this.refuse(reply(SOCKS5_REPLY.generalFailure), SOCKS5_REPLY.generalFailure, 'the SOCKS request names no valid host');
    if (port === 0) return this.refuse(reply(SOCKS5_REPLY.generalFailure), SOCKS5_REPLY.generalFailure, 'the SOCKS request names port 0');
    this.phase = 'done';
    const rest = this.buffered;
    this.buffered = new Uint8Array(0);
    return { kind: 'connect', reply: reply(SOCKS5_REPLY.succeeded), host, port, rest };
  }

  private refuse(replyBytes: Uint8Array | null, code: number | null, reason: string): Socks5Step {
    this.phase = 'done';
    this.buffered = new Uint8Array(0);
    return { kind: 'refused', reply: replyBytes, code, reason };
  }

  private consume(n: number): void {
    this.buffered = this.buffered.subarray(n);
  }
}

/**
 * A reply (§6) with BND.ADDR 0.0.0.0 and BND.PORT 0: wspeek answers before it connects upstream
 * (the tunnel's bytes decide how), so there is no bound address to tell.
 */
function reply(code: number): Uint8Array {
  return Uint8Array.of(5, code, 0, 1, 0, 0, 0, 0, 0, 0);
}

/** A domain name (§5: no terminating NUL) as a host: letters, digits, dots, hyphens and underscores, or an IP literal; else null. */
function domainName(bytes: Uint8Array): string | null {
  const name = String.fromCharCode(...bytes);
  if (/^[A-Za-z0-9._-]+$/.test(name)) return name;
  // Some clients send an IPv6 literal as a name; a bracketed one is unwrapped.
  const literal = name.replace(/^\[(.*)\]$/, '$1');
  return /^[0-9A-Fa-f:.]+$/.test(literal) && literal.includes(':') ? literal.toLowerCase() : null;
}

function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** Equal bytes, in a time that depends on the lengths only. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a[i] ?? 0) ^ b[i]!;
  return diff === 0;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
