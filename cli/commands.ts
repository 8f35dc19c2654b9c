import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import type { Root } from 'protobufjs';
import type { AppProtocol } from '../core/app/app-decoder.js';
import { AppLayer } from '../core/app/app-layer.js';
import { parsePassPattern, PassHosts } from '../core/capture/pass-hosts.js';
import { RejectionHints } from '../core/capture/rejection-hint.js';
import { protobufTypes } from '../core/app/formats/protobuf-schema.js';
import { protobufProtocol } from '../core/app/payload-formats.js';
import { parseProtocolRules } from '../core/app/protocol-rules.js';
import { APP_PROTOCOLS } from '../core/app/protocols.js';
import { FILTER_HELP } from '../core/filter/filter-help.js';
import { parseFilter, type CompiledFilter } from '../core/filter/filter.js';
import type { LogRecord, SessionRecord } from '../core/log/records.js';
import type { Socks5Credentials } from '../core/socks/socks5-handshake.js';
import { SessionStore, type RecordListener } from '../core/store/session-store.js';
import { openCapture, StartError, type Capture, type CaptureOptions, type CaptureSummary } from '../proxy/capture.js';
import { localSubnets, parseAllowList, type AllowList } from '../proxy/client-allowlist.js';
import { formatHostPort } from '../proxy/destination.js';
import { now } from '../proxy/clock.js';
import { writeNewFile } from '../proxy/log/new-file.js';
import type { HarCreator, HarFileWriter } from '../proxy/log/har-file.js';
import type { CaptureFileOptions } from '../proxy/log/capture-file.js';
import { NotASessionLog, writeViewLog, type LogReadResult, type SessionLogFile } from '../proxy/log/session-log.js';
import { lanAddresses } from '../proxy/proxy-server.js';
import { ANDROID_14_CACERTS, androidCertFileName, androidSystemStoreCommands } from '../proxy/tls/android-system-store.js';
import { CaError, CertificateAuthority } from '../proxy/tls/certificate-authority.js';
import { ClientCertificateError, loadClientCertificates, type ClientCertificates } from '../proxy/tls/client-certificates.js';
import type { AppModel, SessionInfo } from '../tui/app-model.js';
import { pointClientAt } from '../tui/client-hint.js';
import { count, size } from '../tui/format.js';
import { headlessOutput, keptByFilter } from '../tui/headless-output.js';
import { ProgressPacer, readProgress } from '../tui/read-progress.js';
import type { InterceptionControl } from '../tui/interception-control.js';
import { visible } from '../tui/sanitize.js';
import type { ViewFormat } from '../tui/view-formats.js';
import { isLoopback } from './arguments.js';
import { batchedOutput } from './batched-output.js';
import { editorCommand, editorFiles } from './editor-files.js';
import { isNullDevice } from './null-device.js';
import { userInterception } from './user-interception.js';

/** A problem with what the user asked for: one line on stderr, exit code 2. */
export class UsageError extends Error {}

export interface ViewArgs {
  tui: boolean;
  json: boolean;
  filter: string | undefined;
  /** Messages the UI keeps in memory. */
  keep: number;
  /** --protocol values: `NAME` or `FILTER=NAME`. */
  protocol: string[];
  /** --proto: a .proto file for Protobuf connections, and --proto-type's values: `TYPE`, `client=TYPE`, `server=TYPE`. */
  proto: string | undefined;
  protoType: string[];
}

export interface CaptureArgs extends ViewArgs {
  listen: { host: string; port: number };
  target: URL | undefined;
  save: string | undefined;
  /** --save-har: the HAR file written when the capture ends. */
  saveHar: string | undefined;
  maxPayload: number;
  caDir: string;
  insecure: boolean;
  /** --keylog: append every TLS session's secrets to this file. */
  keylog: string | undefined;
  /** --client-cert values: `FILE` or `HOST=FILE`. */
  clientCert: string[];
  /** --allow values; empty: the default for the mode. */
  allow: string[];
  /** --pass patterns (forward mode): hosts whose TLS tunnels are relayed untouched. */
  pass?: string[];
  /** --pass-rejected: a host that rejected wspeek's certificate passes through for the rest of the run. */
  passRejected?: boolean;
}

/** What acts on the traffic: `wspeek [proxy]`'s --script, --script-timeout and --intercept. */
export interface ActArgs {
  script: string | undefined;
  /** Milliseconds a hook may take. */
  scriptTimeout: number;
  intercept: string | undefined;
}

const say = (line: string) => process.stderr.write(`${line}\n`);
/** The HAR files wspeek writes say so, with its version: read from package.json (two folders up from dist/cli) when one is written, not at every start. */
function harCreator(): HarCreator {
  return { name: 'wspeek', version: (createRequire(import.meta.url)('../../package.json') as { version: string }).version };
}
const stdout = batchedOutput(process.stdout);

/** `wspeek [proxy]`'s SOCKS5 listener: --socks and --socks-auth. */
export interface SocksArgs {
  socks: { host: string; port: number } | undefined;
  socksAuth: Socks5Credentials | undefined;
}

/** `wspeek [proxy]`: the live proxy until SIGINT/SIGTERM/SIGHUP or, with the UI, until the user quits. */
export async function runProxy(args: CaptureArgs & ActArgs & SocksArgs): Promise<void> {
  if (args.socks && args.target) throw new UsageError('--socks is for forward mode (without --target): in reverse mode every connection goes to the target');
  if (args.socksAuth && !args.socks) throw new UsageError('--socks-auth guards the SOCKS listener: give --socks [HOST:]PORT too');
  const socks = args.socks ? { ...args.socks, credentials: args.socksAuth ?? null } : null;
  const allow = allowList(args, socks);
  // The QR encoder is loaded only for a forward proxy (or its SOCKS listener) that a phone can reach.
  const socksReachable = socks !== null && !isLoopback(socks.host);
  const codes = !args.target && (!isLoopback(args.listen.host) || socksReachable) ? await import('../tui/setup-codes.js') : null;
  const showCodes = (info: SessionInfo, setup: NonNullable<SessionInfo['setup']>) => {
    info.setup = setup;
    const text = codes!.setupCodeLines(setup, process.stderr.columns ?? 80, Infinity);
    say('tooSmall' in text ? text.tooSmall : text.lines.join('\n'));
  };
  const exposure = `${allow ? `serving only clients from ${allow.description} (--allow)` : 'anyone who can reach it can use it (--allow to restrict)'}`;
  /**
   * Says that a listener on `host` is reachable from other machines and where a phone points at it
   * (`setting`); the setup codes give the first such listener's address (a LAN address when it
   * listens on every interface).
   */
  const reachable = (info: SessionInfo, name: string, setting: string, host: string, port: number, kind: 'socks5' | null) => {
    say(`warning: ${name}listening on ${host}, reachable from other machines; ${exposure}`);
    const lan = lanAddresses();
    if (lan.length) say(`point the phone's ${setting} at one of: ${lan.map((a) => formatHostPort(a, port)).join(', ')}`);
    const at = host === '0.0.0.0' || host === '::' ? lan[0] : host;
    if (codes && !info.setup && at !== undefined) showCodes(info, { proxy: formatHostPort(at, port), ...(kind ? { kind } : {}), caPage: codes.CA_PAGE_URL });
  };
  // Said before the UI takes the terminal over, so it is there again when the UI gives it back.
  const announce = (port: number, info: SessionInfo, socksPort: number | null) => {
    if (!isLoopback(args.listen.host)) reachable(info, '', 'proxy', args.listen.host, port, null);
    // With the HTTP listener on loopback, the codes give the SOCKS5 listener's address instead.
    if (socks && socksPort !== null && !isLoopback(socks.host)) reachable(info, 'socks ', 'SOCKS5 proxy', socks.host, socksPort, 'socks5');
    if (!args.target) say(`forward proxy: set this as the HTTP proxy${socks ? ' (or the socks one as a SOCKS5 proxy)' : ''}; for wss:// trust the CA from http://wspeek.ca/ (or \`wspeek ca\`)`);
  };
  const live = await startCapture(args, args.target ? 'reverse' : 'forward', args.target ?? null, allow, true, args, announce, socks);
  // Headless, only a signal ends it; with the UI, quitting does too.
  await Promise.race([live.signalled, ...(live.quit ? [live.quit] : [])]);
}

/**
 * `wspeek demo`: the embedded echo server and scripted client, behind the proxy. Loaded here and
 * only here: the demo runs on `ws`, which no other command needs.
 */
export async function runDemo(args: CaptureArgs): Promise<void> {
  const [{ startDemoServer }, { runDemoClient }] = await Promise.all([import('../demo/demo-server.js'), import('../demo/demo-client.js')]);
  const demo = await startDemoServer();
  const live = await startCapture(args, 'demo', new URL(demo.origin));
  try {
    // With the UI: again and again until the user quits; headless: once.
    await runDemoClient(`http://${live.capture.proxy.address}`, live.quit);
    if (!live.quit) await delay(100); // let the last close frames and FINs pass through
  } finally {
    await live.stop();
    await demo.close();
  }
}

/**
 * `wspeek open FILE [--keylog KEYLOG]`: a saved session (a session log, a HAR file or a packet
 * capture), through the same consumers as a live one; with `har`, converted to a new HAR file
 * instead (as --filter selects), nothing shown. A packet capture's reading shows its progress: in
 * the UI's status bar, else on stderr (see ProgressPacer: one line redrawn on a terminal, a line per
 * tenth elsewhere; none under a second).
 */
export async function runOpen(args: ViewArgs & { file: string; keylog?: string | undefined; har?: string | undefined }): Promise<void> {
  if (args.har !== undefined) return convertToHar(args, args.har);
  let log: SessionLogFile;
  const info: SessionInfo = { mode: 'open', listen: null, target: null, file: args.file };
  const terminal = process.stderr.isTTY === true;
  const pacer = new ProgressPacer(terminal);
  const began = performance.now();
  let ui = false;
  const last = { read: 0, total: 0 };
  const onProgress = (read: number, total: number) => {
    const elapsed = performance.now() - began;
    Object.assign(last, { read, total });
    if (ui) info.reading = readProgress(read, total, elapsed);
    else if (pacer.due(read, total, elapsed)) process.stderr.write(terminal ? `\r${readProgress(read, total, elapsed)}\x1b[K` : `${readProgress(read, total, elapsed)}\n`);
  };
  log = await openRecording(args.file, { keylog: args.keylog, onProgress });
  const proto = loadProto(args);
  const store = new SessionStore(appLayer(args, proto));
  const view = await createView(args, compileFilter(args.filter, '--filter'), info, async () => {}, null, proto);
  ui = view.model !== null;
  store.subscribe(view.listener);
  let result;
  try {
    result = await log.read((r) => store.add(r), () => stdout.drained());
  } catch (err) {
    view.close();
    throw new UsageError(`cannot read ${args.file}: ${(err as Error).message}`);
  } finally {
    info.reading = null;
    // The line redrawn on a terminal ends where the reading did.
    if (pacer.shown && terminal) process.stderr.write(`\r${readProgress(last.read, last.total, performance.now() - began)}\x1b[K\n`);
  }
  for (const message of problemLines(args.file, result)) {
    if (view.model) view.model.notice = message;
    else say(message);
  }
  stdout.flush();
  await view.quit;
}

/** What could not be read in a file, a line each: a session log's lines by number; a HAR's entries and a capture's packets say where themselves. */
export function problemLines(file: string, result: LogReadResult): string[] {
  return result.problems.map((p) => {
    const where = `${p.source ?? file}${p.line !== undefined ? `:${p.line}` : ''}`;
    if (p.source !== undefined) return `${where}: skipped: ${p.error}`;
    if (p.line === undefined) return `${where}: ${p.error}`;
    const torn = result.tornLastLine && p === result.problems[result.problems.length - 1];
    return torn
      ? `${where}: the last line is incomplete (the capture was interrupted mid-write); the ${result.records} records before it are shown`
      : `${where}: skipped, not a record: ${p.error}`;
  });
}

/**
 * Opens a recording (a session log, a HAR file, a packet capture) to read; one that can't be
 * opened, or whose key log can't be read, is a usage error that says why.
 */
export async function openRecording(file: string, options: CaptureFileOptions = {}): Promise<SessionLogFile> {
  const [{ openCaptureFile }, { KeyLogFileError }] = await Promise.all([import('../proxy/log/capture-file.js'), import('../proxy/log/key-log-file.js')]);
  try {
    return await openCaptureFile(file, options);
  } catch (err) {
    if (err instanceof NotASessionLog || err instanceof KeyLogFileError) throw new UsageError(err.message);
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

/**
 * `wspeek open FILE --har OUT`: the session as a new HAR file. A filter keeps what `--json`
 * keeps (the matching messages and errors, and what frames their connections); only
 * problems and errors are said.
 */
async function convertToHar(args: ViewArgs & { file: string }, out: string): Promise<void> {
  const filter = compileFilter(args.filter, '--filter')?.predicate ?? null;
  const log = await openRecording(args.file);
  const store = new SessionStore(appLayer(args, loadProto(args)));
  // The name is taken before the file is read: one in use is refused at once.
  let har: HarFileWriter;
  try {
    har = (await import('../proxy/log/har-file.js')).HarFileWriter.create(out, harCreator());
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  store.subscribe((stored) => {
    if (!filter || keptByFilter(stored, filter)) har.add(stored.record);
  });
  let result: LogReadResult;
  try {
    result = await log.read((r) => store.add(r));
  } catch (err) {
    har.closeSync();
    fs.rmSync(out, { force: true });
    throw new UsageError(`cannot read ${args.file}: ${(err as Error).message}`);
  }
  for (const line of problemLines(args.file, result)) say(line);
  try {
    har.closeSync();
  } catch (err) {
    throw new UsageError(`writing ${out} failed: ${(err as Error).message}`);
  }
}

/** The application-protocol layer, with what --protocol forces and --proto's schema (`proto`, loaded by loadProto). */
function appLayer(args: ViewArgs, proto: Root | null): AppLayer {
  // --proto alone reads every connection as Protobuf: it never sniffs, and the file says that is what is spoken.
  const protocol = proto !== null && args.protocol.length === 0 ? ['protobuf'] : args.protocol;
  const rules = parseProtocolRules(protocol, APP_PROTOCOLS.map((p) => p.name));
  if (!rules.ok) throw new UsageError(rules.error);
  const schema = proto && protobufWithTypes(args, proto);
  const protocols = schema ? APP_PROTOCOLS.map((p) => (p.name === schema.name ? schema : p)) : APP_PROTOCOLS;
  return new AppLayer({ protocols, forced: rules.forced ?? undefined });
}

/** --proto's file, parsed (protobufjs loads it, imports included), or null without --proto. */
function loadProto(args: ViewArgs): Root | null {
  if (args.proto === undefined) {
    if (args.protoType.length > 0) throw new UsageError('--proto-type needs --proto FILE (the .proto that defines the type)');
    return null;
  }
  try {
    return (createRequire(import.meta.url)('protobufjs') as typeof import('protobufjs')).loadSync(args.proto);
  } catch (err) {
    throw new UsageError(`--proto ${args.proto}: ${(err as Error).message}`);
  }
}

/** --proto-type's types: the `protobuf` protocol reading by field name; null without any (the wire view, and P in the UI). */
function protobufWithTypes(args: ViewArgs, root: Root): AppProtocol | null {
  if (args.protoType.length === 0) return null;
  const types: { client?: string; server?: string } = {};
  for (const value of args.protoType) {
    const m = /^(?:(client|server)=)?(.+)$/.exec(value.trim());
    const side = m?.[1] as 'client' | 'server' | undefined;
    if (!m) throw new UsageError(`--proto-type wants TYPE, client=TYPE or server=TYPE; got ${JSON.stringify(value)}`);
    if (side) types[side] = m[2]!;
    else types.client = types.server = m[2]!;
  }
  try {
    return protobufProtocol({ root, types });
  } catch (err) {
    throw new UsageError(`--proto-type: ${(err as Error).message}`);
  }
}

/** `wspeek help filter`: the filter language, a row per form. */
export function runHelpFilter(): void {
  const width = Math.max(...FILTER_HELP.map(([syntax]) => syntax.length));
  process.stdout.write('Filter syntax (--filter EXPR; / and F in the UI): terms side by side mean and.\n\n');
  process.stdout.write(FILTER_HELP.map(([syntax, meaning]) => `  ${syntax.padEnd(width)}  ${meaning}\n`).join(''));
  process.stdout.write("\nExamples: server text len>1k · host:api and not ping and not pong · /\"error\":\\s*true/i or code>=4000 · #3 binary · violation · proto:socket.io name:join unanswered · reply latency>100ms · json.type~subscribe -heartbeat\n");
}

/**
 * `wspeek ca`: print the CA certificate (creating the CA on first use); with `android`, its file
 * name in Android's system store (`<subject_hash_old>.0`) and the adb commands that put it there.
 */
export function runCa(args: { caDir: string; android: boolean }): void {
  let ca: CertificateAuthority;
  try {
    ca = CertificateAuthority.loadOrCreate(args.caDir);
  } catch (err) {
    if (err instanceof CaError) throw new UsageError(err.message);
    throw err;
  }
  if (args.android) {
    process.stdout.write([androidCertFileName(ca.subjectHashOld), ...androidSystemStoreCommands(ca.subjectHashOld, ca.certPath)].map((l) => `${l}\n`).join(''));
    say(`Android's system store (emulators started with -writable-system, rooted devices): every app trusts a CA there`);
    say(`Android 14 and later read system CAs from ${ANDROID_14_CACERTS} instead, where these commands have no effect`);
    return;
  }
  process.stdout.write(ca.certPem);
  say(`${ca.created ? 'created' : 'CA'} ${ca.certPath} (key ${ca.keyPath}, 0600)`);
  say(`SHA-256 fingerprint ${ca.fingerprint256}`);
  say(`install it on the device that runs the client; through the proxy, http://wspeek.ca/ serves it with instructions`);
}

/** A capture with its view attached. */
interface LiveCapture {
  capture: Capture;
  /** Stops the capture (once), then gives the terminal back. */
  stop(reason?: string): Promise<void>;
  /** With the UI: resolves when the user quits; null when headless. */
  quit: Promise<void> | null;
  /** When asked for: resolves once SIGINT, SIGTERM or SIGHUP has stopped the capture. */
  signalled: Promise<void> | null;
}

interface View {
  listener: RecordListener;
  quit: Promise<void> | null;
  model: AppModel | null;
  /** Gives the terminal back, if the view had taken it. */
  close(): void;
}

/**
 * The terminal UI when asked for and stdout is a terminal; else the headless lines or JSONL.
 * The UI's modules (its model, blessed) are loaded only for the UI: headless, their heap would
 * only slow every garbage collection (blessed alone is 1.7 MB; with the model's, bin1m headless
 * spent 15–20% more CPU per message, V8 starting major collections more often).
 * `control`: what the UI may do to the live proxy's conversation; null for a saved session.
 */
async function createView(
  args: ViewArgs, filter: CompiledFilter | null, info: SessionInfo, onQuit: () => Promise<void>, control: InterceptionControl | null, proto: Root | null,
): Promise<View> {
  if (wantsUi(args)) {
    const [{ AppModel }, { startTerminalUi }, { ProtobufChoice }, { writeHarFile }] = await Promise.all([
      import('../tui/app-model.js'), import('../tui/terminal-ui.js'), import('../tui/protobuf-choice.js'), import('../proxy/log/har-file.js'),
    ]);
    // How each format the save prompt offers is written.
    const viewWriters: Record<ViewFormat, (records: LogRecord[], file: string) => string> = {
      jsonl: writeViewLog,
      har: (records, file) => writeHarFile(records, file, harCreator()),
    };
    const model = new AppModel(info, args.keep, filter, control);
    if (proto) model.protobuf = new ProtobufChoice(protobufTypes(proto));
    const ui = startTerminalUi(model, {
      onQuit, saveView: (file, format, records) => viewWriters[format](records, file), writePayload: writeNewFile,
      editor: editorFiles(editorCommand(process.env)), now,
    });
    return { listener: ui.listener, quit: ui.done, model, close: ui.close };
  }
  // Lines to /dev/null are not worth building: the capture (and --save) go on without them.
  const listener: RecordListener = isNullDevice(1) ? () => {} : headlessOutput({ json: args.json, filter, write: writeStdout });
  return { listener, quit: null, model: null, close: () => {} };
}

/** --client-cert's files, read before anything listens: a file that can't be used is a usage error; a key others may read, a warning. */
function loadClientCertificatesOrFail(values: string[]): ClientCertificates | null {
  if (values.length === 0) return null;
  try {
    const certificates = loadClientCertificates(values);
    for (const warning of certificates.warnings) say(`wspeek: ${warning}`);
    return certificates;
  } catch (err) {
    if (err instanceof ClientCertificateError) throw new UsageError(err.message);
    throw err;
  }
}

/** Whether the view is the terminal UI: asked for, and stdin and stdout are terminals. */
function wantsUi(args: ViewArgs): boolean {
  return args.tui && !args.json && process.stdout.isTTY === true && process.stdin.isTTY === true;
}


/** The --pass patterns and --pass-rejected as the proxy uses them; null when neither is given. Forward mode only. */
function passHosts(args: CaptureArgs, target: URL | null): PassHosts | null {
  const patterns = args.pass ?? [];
  if (patterns.length === 0 && !args.passRejected) return null;
  if (target) throw new UsageError('--pass and --pass-rejected choose which tunnels wspeek leaves untouched: forward mode only (without --target)');
  const parsed = patterns.map(parsePassPattern);
  for (const p of parsed) if (!(p instanceof RegExp)) throw new UsageError(p.error);
  return new PassHosts(parsed as RegExp[], args.passRejected === true);
}

/**
 * Who may use the proxy: --allow when given; a forward proxy on a non-loopback address
 * serves only the local subnets by default, so it is never an open relay.
 */
function allowList(args: CaptureArgs, socks: { host: string } | null): AllowList | null {
  try {
    if (args.allow.length > 0) return parseAllowList(args.allow);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const exposed = !isLoopback(args.listen.host) || (socks !== null && !isLoopback(socks.host));
  return !args.target && exposed ? localSubnets() : null;
}

/**
 * Opens the capture (with `socks`, a SOCKS5 listener too), says where it listens, then attaches
 * the view (which may take the terminal over) and lets records flow. With `stopOnSignal`, a stop
 * signal ends it from before it says where it listens: a client (or a test) told where to connect
 * may send one at once. `announce` says more about the listeners (given the HTTP listener's port,
 * the view's session info to add to, and the SOCKS listener's port) before the view starts.
 */
async function startCapture(
  args: CaptureArgs, mode: SessionRecord['mode'], target: URL | null, allow: AllowList | null = null, stopOnSignal = false, act: ActArgs | null = null,
  announce: ((port: number, info: SessionInfo, socksPort: number | null) => void) | null = null, socks: CaptureOptions['socks'] = null,
): Promise<LiveCapture> {
  // A bad filter is a usage error before anything starts.
  const filter = compileFilter(args.filter, '--filter');
  const proto = loadProto(args);
  const app = appLayer(args, proto);
  const intercept = compileFilter(act?.intercept, '--intercept');
  const pass = passHosts(args, target);
  if (intercept && !act?.script && !wantsUi(args)) {
    throw new UsageError('--intercept without --script holds messages for you to decide on in the terminal UI; with --no-tui, --json or stdout not a terminal, give a --script that decides');
  }
  // A script's ctx.log: into the UI's notice once there is one, else on stderr; made terminal-safe either way.
  let model: AppModel | null = null;
  const scriptLog = (line: string) => {
    if (model) model.notice = `script: ${visible(line)}`;
    else for (const l of line.split('\n')) say(`script: ${visible(l)}`);
  };
  // --save-har takes its name now: a file in use is refused before anything listens.
  let har: HarFileWriter | null = null;
  try {
    if (args.saveHar !== undefined) har = (await import('../proxy/log/har-file.js')).HarFileWriter.create(args.saveHar, harCreator());
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const writeHar = () => {
    if (!har) return;
    try {
      har.closeSync();
    } catch (err) {
      say(`wspeek: writing ${har.path} failed: ${(err as Error).message}`);
    }
  };
  const clientCertificates = loadClientCertificatesOrFail(args.clientCert);
  let capture: Capture;
  try {
    capture = await openCapture({
      mode, listen: args.listen, target, save: args.save ?? null, maxPayload: args.maxPayload, caDir: args.caDir,
      insecure: args.insecure, keyLog: args.keylog ?? null, clientCertificates, allow, pass, onLogError: (err) => say(`wspeek: ${err.message}`),
      script: act?.script ? { file: act.script, timeoutMs: act.scriptTimeout, log: scriptLog } : null, intercept: intercept?.predicate ?? null, app, socks,
    });
  } catch (err) {
    // Nothing was captured: the name taken at startup is given back.
    writeHar();
    if (har) fs.rmSync(har.path, { force: true });
    if (err instanceof StartError) throw new UsageError(err.message);
    throw err;
  }
  let ui = false;
  if (capture.logPath || har) {
    // Whatever goes wrong, every line already captured lands whole, and the HAR file is written.
    process.once('uncaughtException', (err) => {
      capture.closeLogSync();
      writeHar();
      // Leave the UI's alternate screen and show the cursor again, so the error can be read.
      const restore = ui ? '\x1b[?1049l\x1b[?25h' : '';
      process.stderr.write(`${restore}wspeek: ${err.stack ?? err.message}\n`);
      process.exit(1);
    });
  }
  let view: View | null = null;
  let stopped = false;
  // A rejected certificate, once per host: the UI's notice (and on stderr once the UI is gone), else stderr at once.
  const hints = new RejectionHints();
  const toldInUi: string[] = [];
  const hintListener: RecordListener = ({ record }) => {
    const hint = record.type === 'tunnel' ? hints.hintFor(record) : null;
    if (hint === null) return;
    if (model) {
      model.notice = visible(hint);
      toldInUi.push(hint);
    } else say(`wspeek: ${visible(hint)}`);
  };
  const stop = async (reason?: string) => {
    if (stopped) return;
    stopped = true;
    const summary = await capture.stop(reason);
    writeHar();
    stdout.flush();
    view?.close();
    // Said once the UI has given the terminal back, so it stays on screen.
    for (const hint of toldInUi) say(`wspeek: ${visible(hint)}`);
    say(captureSummary(summary, capture.logPath));
  };
  // A second signal while stopping: the log closed whole as it stands, the terminal given back, exit now.
  const abandon = () => {
    capture.closeLogSync();
    writeHar();
    stdout.flush();
    view?.close();
  };
  const signalled = stopOnSignal ? untilSignal(stop, abandon) : null;
  say(`listening on ${capture.proxy.address}`);
  if (capture.proxy.socksAddress) say(`socks listening on ${capture.proxy.socksAddress}`);
  if (mode === 'reverse' && target) say(pointClientAt(capture.proxy.address, target.href));
  if (capture.logPath) say(`saving the session log to ${capture.logPath}`);
  if (har) say(`writing a HAR file to ${har.path} when the capture ends`);
  // The view comes last: the UI takes the terminal over, so the lines above go first.
  const info: SessionInfo = { mode, listen: capture.proxy.address, target: target?.href ?? null, file: capture.logPath };
  announce?.(capture.proxy.port, info, capture.proxy.socksPort);
  const created = await createView(args, filter, info, () => stop('wspeek quit'), userInterception(capture.proxy.interception, act?.script ? '' : intercept?.source ?? ''), proto);
  view = created;
  model = created.model;
  if (stopped) created.close(); // a signal came while the view was starting
  ui = created.model !== null;
  capture.start(har ? [created.listener, hintListener, ({ record }) => har.add(record)] : [created.listener, hintListener]);
  return { capture, stop, quit: created.quit, signalled };
}

/** The line said when a capture ends: what it saw, and where the log is. */
function captureSummary(s: CaptureSummary, logPath: string | null): string {
  const plural = (n: number, one: string) => `${count(n)} ${one}${n === 1 ? '' : 's'}`;
  const log = logPath ? `; session log ${logPath}${s.logBytes !== null ? ` (${size(s.logBytes)})` : ''}` : '';
  return `captured ${plural(s.connections, 'connection')} (${count(s.webSockets)} WebSocket), ${plural(s.messages, 'message')}${log}`;
}

function compileFilter(source: string | undefined, flag: '--filter' | '--intercept'): CompiledFilter | null {
  if (source === undefined || source.trim() === '') return null;
  const parsed = parseFilter(source);
  if (parsed.ok) return parsed;
  throw new UsageError(`${flag}: ${parsed.error}\n  ${source}\n  ${' '.repeat(parsed.position)}${'^'.repeat(Math.max(1, parsed.length))}`);
}

/** Signals that end a capture; SIGHUP is the terminal (or its tmux session) going away. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Resolves after SIGINT, SIGTERM or SIGHUP has run `stop` (which ends every connection and closes
 * the log whole). Another signal before `stop` is done exits at once, after `abandon`.
 */
function untilSignal(stop: (reason: string) => Promise<void>, abandon: () => void): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        say(`wspeek: ${signal} again: exiting now, without waiting for the connections to end`);
        abandon();
        process.exit(128 + os.constants.signals[signal]);
      }
      stopping = true;
      void stop(`wspeek stopped by ${signal}`).then(() => {
        for (const s of STOP_SIGNALS) process.off(s, onSignal);
        resolve();
      });
    };
    for (const s of STOP_SIGNALS) process.on(s, onSignal);
  });
}

function writeStdout(text: string): void {
  stdout.write(text);
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
