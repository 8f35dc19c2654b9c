/**
 * Decrypts one captured TLS connection, given a key log: the two byte streams in, the
 * application data out, per direction, with the timestamps of the bytes that completed each
 * record. Sans-IO; Node's `crypto` does the AEAD and the hashing.
 *
 * Where it sits in the pcap reader: reassembled TCP bytes → `TlsDecryptor.receive(from, bytes, ts)`
 * → the sink's `plaintext({ from, bytes, ts })` → `ConnectionDecoder.receive(from, bytes, ts)`.
 * When it cannot go on (no key for the ClientHello's random, a cipher suite it does not support,
 * a record that does not authenticate, bytes that are not TLS, a capture that starts after the
 * handshake) it calls the sink's `failure` once,
 * with the SNI when the ClientHello had one, and ignores everything after; it never throws.
 *
 * Supported: TLS 1.3 (TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384,
 * TLS_CHACHA20_POLY1305_SHA256; HelloRetryRequest; KeyUpdate) with the
 * `*_HANDSHAKE_TRAFFIC_SECRET` and `*_TRAFFIC_SECRET_0` lines, and TLS 1.2 AES-GCM and
 * ChaCha20-Poly1305 suites with the `CLIENT_RANDOM` line. Not supported: 0-RTT early data,
 * TLS 1.2 renegotiation, CBC suites, TLS 1.0 and 1.1.
 */
import type { Side } from '../websocket/events.js';
import type { KeyLog, TlsSecrets } from './key-log.js';
import { openTls12, openTls13, type TrafficKeys } from './record-protection.js';
import { CIPHER_SUITES, type CipherSuite } from './tls-cipher-suites.js';
import { tls12Keys } from './tls12-prf.js';
import { nextTrafficSecret, trafficKeys } from './tls13-key-schedule.js';
import { parseClientHello, parseServerHello, type ClientHello } from './tls-hello.js';
import { TlsRecordReader, type TlsRecord } from './tls-record-reader.js';

/** Application data one side sent, decrypted. */
export interface TlsPlaintext {
  from: Side;
  bytes: Buffer;
  /** The timestamp given with the bytes that completed the record. */
  ts: number;
}

/** Why decryption stopped. */
export type TlsFailureReason = 'not-tls' | 'no-handshake' | 'bad-handshake' | 'unsupported' | 'no-key' | 'bad-record';

/** Decryption stopped for good: `detail` says why in words, `sni` names the server when the ClientHello did. */
export interface TlsFailure {
  from: Side;
  reason: TlsFailureReason;
  detail: string;
  sni: string | null;
  ts: number;
}

/** Receives a decryptor's output, synchronously, in order. */
export interface TlsDecryptorSink {
  plaintext(p: TlsPlaintext): void;
  failure(f: TlsFailure): void;
}

/** What the hellos negotiated, once the ServerHello is read. */
export interface TlsSession {
  sni: string | null;
  /** 0x0303 for TLS 1.2, 0x0304 for TLS 1.3. */
  version: number;
  cipherSuite: string;
}

const CONTENT_CCS = 20;
const CONTENT_ALERT = 21;
const CONTENT_HANDSHAKE = 22;
const CONTENT_APPLICATION = 23;
const HS_CLIENT_HELLO = 1;
const HS_SERVER_HELLO = 2;
const HS_FINISHED = 20;
const HS_KEY_UPDATE = 24;
const TLS12 = 0x0303;
/** Handshake bytes held for one unfinished message: a certificate chain fits many times over. */
const MAX_HANDSHAKE_MESSAGE = 256 * 1024;
const TLS13 = 0x0304;

/** Thrown inside the decryptor only, caught in `receive`, delivered as the sink's `failure`. */
class Stop {
  constructor(readonly reason: TlsFailureReason, readonly detail: string) {}
}

class Direction {
  readonly reader = new TlsRecordReader();
  /** Handshake bytes not yet a whole message. */
  handshake: Buffer = Buffer.alloc(0);
  /** Protection in force for records this side sends; null while they are plaintext. */
  keys: TrafficKeys | null = null;
  /** TLS 1.2: the keys a ChangeCipherSpec from this side turns on. */
  pendingKeys: TrafficKeys | null = null;
  /** TLS 1.3: the current traffic secret, and whether it is still the handshake one. */
  secret: Buffer | null = null;
  inHandshake = true;
}

/** Decrypts one TLS connection's two directions; see the module's comment. */
export class TlsDecryptor {
  private readonly sides: Record<Side, Direction> = { client: new Direction(), server: new Direction() };
  private clientHello: ClientHello | null = null;
  private secrets: TlsSecrets | null = null;
  private negotiated: TlsSession | null = null;
  private suite: CipherSuite | null = null;
  private stopped = false;

  constructor(private readonly keyLog: KeyLog, private readonly sink: TlsDecryptorSink) {}

  /** The SNI, version and cipher suite, once the ServerHello has been read. */
  get session(): TlsSession | null {
    return this.negotiated;
  }

  /** Bytes `from` sent, in arrival order, and when they arrived. */
  receive(from: Side, bytes: Buffer, ts: number): void {
    if (this.stopped) return;
    try {
      const records = this.sides[from].reader.push(bytes);
      if (typeof records === 'string') throw new Stop('not-tls', records);
      for (const record of records) this.record(from, record, ts);
    } catch (e) {
      if (!(e instanceof Stop)) throw e;
      this.stopped = true;
      this.sink.failure({ from, reason: e.reason, detail: e.detail, sni: this.clientHello?.sni ?? null, ts });
    }
  }

  private record(from: Side, record: TlsRecord, ts: number): void {
    const side = this.sides[from];
    if (side.keys === null) return this.plainRecord(from, record);
    const tls13 = this.negotiated?.version === TLS13;
    if (tls13 && record.type === CONTENT_CCS) return; // RFC 8446 §5: middlebox compatibility, unprotected
    if (!tls13 && record.type === CONTENT_CCS) throw new Stop('unsupported', 'TLS 1.2 renegotiation is not supported');
    let type: number;
    let content: Buffer;
    if (tls13) {
      if (record.type !== CONTENT_APPLICATION) throw new Stop('bad-record', `an unprotected record of type ${record.type} after the handshake keys`);
      const opened = openTls13(side.keys, record);
      if (opened === null) throw new Stop('bad-record', `a ${from} record did not authenticate (record ${side.keys.seq} under this key)`);
      ({ type, content } = opened);
    } else {
      const opened = openTls12(side.keys, record);
      if (opened === null) throw new Stop('bad-record', `a ${from} record did not authenticate (record ${side.keys.seq} under this key)`);
      type = record.type;
      content = opened;
    }
    side.keys.seq++;
    if (type === CONTENT_APPLICATION) {
      if (content.length > 0) this.sink.plaintext({ from, bytes: content, ts });
    } else if (type === CONTENT_HANDSHAKE) {
      for (const [msgType, body] of this.messages(side, content)) if (tls13) this.protectedHandshake13(from, msgType, body);
    } else if (type !== CONTENT_ALERT) {
      throw new Stop('bad-record', `a protected record of content type ${type}`);
    }
  }

  private plainRecord(from: Side, record: TlsRecord): void {
    const side = this.sides[from];
    if (record.type === CONTENT_CCS) {
      if (side.pendingKeys !== null) {
        side.keys = side.pendingKeys;
        side.pendingKeys = null;
      }
      return;
    }
    if (record.type === CONTENT_ALERT) return;
    if (record.type !== CONTENT_HANDSHAKE && this.clientHello === null) {
      throw new Stop('no-handshake', 'protected records without a ClientHello before them: the capture began after the handshake');
    }
    if (record.type !== CONTENT_HANDSHAKE) {
      throw new Stop(from === 'client' && this.negotiated === null ? 'unsupported' : 'bad-record',
        from === 'client' && this.negotiated === null ? 'application data before the ServerHello (0-RTT early data is not supported)' : `application data from the ${from} before its keys were on`);
    }
    for (const [msgType, body] of this.messages(side, record.fragment)) {
      if (from === 'client' && msgType === HS_CLIENT_HELLO) {
        this.clientHello = parseClientHello(body);
        if (this.clientHello === null) throw new Stop('bad-handshake', 'a ClientHello that could not be read');
      } else if (from === 'server' && msgType === HS_SERVER_HELLO) {
        this.serverHello(body);
      }
    }
  }

  private serverHello(body: Buffer): void {
    const hello = parseServerHello(body);
    if (hello === null) throw new Stop('bad-handshake', 'a ServerHello that could not be read');
    if (hello.retry) return;
    if (this.clientHello === null) throw new Stop('bad-handshake', 'a ServerHello before any ClientHello');
    const suite = CIPHER_SUITES.get(hello.cipherSuite);
    const suiteName = suite?.name ?? `0x${hello.cipherSuite.toString(16).padStart(4, '0')}`;
    this.negotiated = { sni: this.clientHello.sni, version: hello.version, cipherSuite: suiteName };
    if (hello.version !== TLS12 && hello.version !== TLS13) throw new Stop('unsupported', `TLS version 0x${hello.version.toString(16)} is not supported`);
    if (suite === undefined || suite.tls13 !== (hello.version === TLS13)) throw new Stop('unsupported', `cipher suite ${suiteName} is not supported`);
    this.suite = suite;
    const random = this.clientHello.random.toString('hex');
    this.secrets = this.keyLog.sessions.get(random) ?? null;
    const { client, server } = this.sides;
    if (hello.version === TLS13) {
      const c = this.secrets?.clientHandshake;
      const s = this.secrets?.serverHandshake;
      if (c === undefined || s === undefined) throw new Stop('no-key', `no TLS 1.3 handshake secrets for client_random ${random}`);
      this.useSecret(client, c);
      this.useSecret(server, s);
    } else {
      const master = this.secrets?.masterSecret;
      if (master === undefined) throw new Stop('no-key', `no CLIENT_RANDOM line for client_random ${random}`);
      const keys = tls12Keys(suite.hash, master, this.clientHello.random, hello.random, suite.keyLength, suite.fixedIvLength);
      client.pendingKeys = { suite, ...keys.client, seq: 0n };
      server.pendingKeys = { suite, ...keys.server, seq: 0n };
    }
  }

  /** TLS 1.3: a side's Finished turns on its application traffic secret; a KeyUpdate the next one (RFC 8446 §4.4.4, §4.6.3). */
  private protectedHandshake13(from: Side, msgType: number, body: Buffer): void {
    const side = this.sides[from];
    if (msgType === HS_FINISHED && side.inHandshake) {
      const secret = from === 'client' ? this.secrets?.clientTraffic0 : this.secrets?.serverTraffic0;
      const label = from === 'client' ? 'CLIENT_TRAFFIC_SECRET_0' : 'SERVER_TRAFFIC_SECRET_0';
      if (secret === undefined) throw new Stop('no-key', `no ${label} for client_random ${this.clientHello!.random.toString('hex')}`);
      side.inHandshake = false;
      this.useSecret(side, secret);
    } else if (msgType === HS_KEY_UPDATE && !side.inHandshake && body.length === 1) {
      this.useSecret(side, nextTrafficSecret(this.suite!.hash, side.secret!));
    }
  }

  private useSecret(side: Direction, secret: Buffer): void {
    const suite = this.suite!;
    side.secret = secret;
    side.keys = { suite, ...trafficKeys(suite.hash, secret, suite.keyLength), seq: 0n };
  }

  /** Whole handshake messages (type, body) out of the side's handshake bytes so far (RFC 8446 §4). */
  private messages(side: Direction, bytes: Buffer): Array<[number, Buffer]> {
    let buf = side.handshake.length === 0 ? bytes : Buffer.concat([side.handshake, bytes]);
    const out: Array<[number, Buffer]> = [];
    while (buf.length >= 4) {
      const length = buf.readUIntBE(1, 3);
      if (buf.length < 4 + length) break;
      out.push([buf[0]!, buf.subarray(4, 4 + length)]);
      buf = buf.subarray(4 + length);
    }
    if (buf.length >= 4 && buf.readUIntBE(1, 3) > MAX_HANDSHAKE_MESSAGE) throw new Stop('bad-handshake', `a handshake message of ${buf.readUIntBE(1, 3)} bytes, above the limit of ${MAX_HANDSHAKE_MESSAGE}`);
    side.handshake = buf;
    return out;
  }
}
