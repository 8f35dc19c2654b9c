import fs from 'node:fs';
import type { AppLayer } from '../core/app/app-layer.js';
import type { FilterPredicate } from '../core/filter/filter.js';
import { sessionRecord, type LogRecord, type SessionRecord } from '../core/log/records.js';
import type { Socks5Credentials } from '../core/socks/socks5-handshake.js';
import { SessionStore, type RecordListener } from '../core/store/session-store.js';
import type { PassHosts } from '../core/capture/pass-hosts.js';
import type { AllowList } from './client-allowlist.js';
import { now } from './clock.js';
import { KeyLogFile, KeyLogFileError } from './log/key-log-file.js';
import { SessionLogWriter } from './log/session-log.js';
import { SocksListenError, startProxy, type RunningProxy } from './proxy-server.js';
import { loadScript, ScriptError, type Script, type ScriptHostOptions } from './script-host.js';
import { CaError, CertificateAuthority } from './tls/certificate-authority.js';
import type { ClientCertificates } from './tls/client-certificates.js';

/** A capture that could not start, for a reason the user can fix: said in one line. */
export class StartError extends Error {}

export interface CaptureOptions {
  mode: SessionRecord['mode'];
  listen: { host: string; port: number };
  /** Where a reverse (or demo) proxy sends everything; null in forward mode. */
  target: URL | null;
  /** The session log to write, or null. */
  save: string | null;
  maxPayload: number;
  /** Forward mode: where wspeek's CA lives (created there on first use). */
  caDir: string;
  insecure: boolean;
  /** --keylog: the file every TLS session's secrets are appended to, or null. */
  keyLog: string | null;
  /** --client-cert: what TLS connections to upstreams offer when asked, or null (absent: none). */
  clientCertificates?: ClientCertificates | null;
  allow: AllowList | null;
  /** --socks and --socks-auth: a SOCKS5 listener beside the forward proxy (absent or null: none). */
  socks?: { host: string; port: number; credentials: Socks5Credentials | null } | null;
  /** Forward mode: the hosts whose TLS tunnels pass through untouched (--pass, --pass-rejected), or null. */
  pass?: PassHosts | null;
  /** Writing the session log failed (capture goes on): one line for the user. */
  onLogError: (err: Error) => void;
  /** A script to load (an ES module, relative to the current directory) that acts on the traffic, or null. */
  script: (ScriptHostOptions & { file: string }) | null;
  /** --intercept: with a script, the data messages its onMessage sees; without, the messages held for the user. */
  intercept: FilterPredicate | null;
  /** Reads the application protocols (the store runs it before its consumers), or null for none. */
  app: AppLayer | null;
}

/** What a capture saw, for the line said when it ends. */
export interface CaptureSummary {
  /** TCP connections accepted. */
  connections: number;
  /** Of those, the ones upgraded to WebSocket. */
  webSockets: number;
  messages: number;
  /** The session log's size once closed, or null without one. */
  logBytes: number | null;
}

export interface Capture {
  proxy: RunningProxy;
  /** The session log's path, or null. */
  logPath: string | null;
  /**
   * Subscribes the consumers and lets records flow: first the session record (which names the
   * bound address), then whatever arrived since the proxy started listening.
   */
  start(consumers: RecordListener[]): void;
  /** Ends every connection, then closes the session log whole; says what was captured. */
  stop(reason?: string): Promise<CaptureSummary>;
  /** Writes what the log has pending, now, and closes it: for a process about to die. */
  closeLogSync(): void;
}

/**
 * A live capture: the proxy, the session store its records flow through, and the session log.
 * A forward proxy checks wspeek's CA (creating it on first use) before it listens: a key stored
 * insecurely stops the start, not the first TLS tunnel.
 */
export async function openCapture(options: CaptureOptions): Promise<Capture> {
  const script = options.script && { ...options.script, module: await loadOrStop(options.script.file) };
  const ca = options.target ? null : loadCa(options.caDir);
  const keyLog = options.keyLog ? openKeyLog(options.keyLog, options.onLogError) : null;
  let writer: SessionLogWriter | null;
  try {
    writer = options.save ? createWriter(options.save, options.onLogError) : null;
  } catch (err) {
    keyLog?.close();
    throw err;
  }
  const store = new SessionStore(options.app);
  if (writer) store.subscribe(({ record }) => writer.write(record));
  const summary: CaptureSummary = { connections: 0, webSockets: 0, messages: 0, logBytes: null };
  store.subscribe(({ record }) => {
    if (record.type === 'message') summary.messages++;
    else if (record.type === 'connect') summary.connections++;
    else if (record.type === 'handshake' && record.upgraded) summary.webSockets++;
  });
  // Records wait until the session record has gone first.
  let early: LogRecord[] | null = [];
  let proxy: RunningProxy;
  try {
    proxy = await startProxy({
      host: options.listen.host, port: options.listen.port, target: options.target, maxPayload: options.maxPayload, ca,
      insecure: options.insecure, keyLog: keyLog && ((line) => keyLog.write(line)), clientCertificates: options.clientCertificates ?? null, allow: options.allow, pass: options.pass ?? null, emit: (r) => (early ? early.push(r) : store.add(r)), script, intercept: options.intercept, socks: options.socks ?? null,
    });
  } catch (err) {
    writer?.closeSync();
    keyLog?.close();
    if (err instanceof SocksListenError && options.socks) throw listenError(err.cause, options.socks, '--socks');
    throw listenError(err as NodeJS.ErrnoException, options.listen, '--listen');
  }
  let stopped: Promise<CaptureSummary> | null = null;
  return {
    proxy,
    logPath: writer?.path ?? null,
    start(consumers) {
      for (const c of consumers) store.subscribe(c);
      store.add(sessionRecord(now(), options.mode, proxy.address, options.target?.href ?? null));
      for (const r of early ?? []) store.add(r);
      early = null;
    },
    stop(reason) {
      stopped ??= proxy.close(reason).then(() => {
        keyLog?.close();
        if (!writer) return summary;
        writer.closeSync();
        return { ...summary, logBytes: fileSize(writer.path) };
      });
      return stopped;
    },
    closeLogSync: () => writer?.closeSync(),
  };
}

function fileSize(path: string): number | null {
  try {
    return fs.statSync(path).size;
  } catch {
    return null;
  }
}

function loadCa(dir: string): CertificateAuthority {
  try {
    return CertificateAuthority.loadOrCreate(dir);
  } catch (err) {
    if (err instanceof CaError) throw new StartError(err.message);
    throw err;
  }
}

async function loadOrStop(file: string): Promise<Script> {
  try {
    return await loadScript(file);
  } catch (err) {
    if (err instanceof ScriptError) throw new StartError(err.message);
    throw err;
  }
}

function openKeyLog(path: string, onError: (err: Error) => void): KeyLogFile {
  try {
    return KeyLogFile.open(path, onError);
  } catch (err) {
    if (err instanceof KeyLogFileError) throw new StartError(err.message);
    throw err;
  }
}

function createWriter(path: string, onError: (err: Error) => void): SessionLogWriter {
  try {
    return SessionLogWriter.create(path, onError);
  } catch (err) {
    throw new StartError((err as Error).message);
  }
}

/** Why listening failed, for the user; other errors as they are. */
function listenError(e: NodeJS.ErrnoException, listen: { host: string; port: number }, flag: '--listen' | '--socks'): Error {
  if (e.code === 'EADDRINUSE') return new StartError(`${listen.host}:${listen.port} is already in use; choose another with ${flag}`);
  if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') return new StartError(`cannot listen on ${listen.host}: no such local address`);
  if (e.code === 'EACCES') return new StartError(`not allowed to listen on port ${listen.port}`);
  return e;
}
