/**
 * Child processes of the bench: the echo servers (`ws`, and `socket.io` for sio64), the TCP relay,
 * mitmdump (where installed), wspeek headless and wspeek in a tmux pseudo-terminal; plus /proc readings (peak RSS, CPU ticks).
 * Every child is registered so that a finally block, SIGINT or the watchdog can end it; nothing
 * outlives the bench.
 */
import { execFileSync, fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The compiled output (this file is dist/bench/processes.js). */
const DIST = path.join(here, '..');
const ECHO = path.join(here, 'echo-server.js');
const SIO_ECHO = path.join(here, 'sio-echo-server.js');
const RELAY = path.join(here, 'tcp-relay.js');
/** The project root (dist/bench → ../..): tmux panes start there. */
export const ROOT = path.join(here, '..', '..');
/** Where the snapshot of the compiled wspeek goes: gitignored, and under the root so `node_modules` resolves. */
const SNAPSHOT_PARENT = path.join(ROOT, 'bench', 'results');
/** The wspeek CLI the proxies run: dist/cli/main.js, or its snapshot once `snapshotWspeek` ran. */
export let CLI = path.join(DIST, 'cli', 'main.js');

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

/** A running process the load goes through (or to). */
export interface Running {
  port: number;
  /** The node process doing the work (for /proc readings). */
  pid: number;
  /** Extra processes whose CPU is part of this path's cost (tmux's server for the UI). */
  extraPids: number[];
  /** wspeek's session log, for a path that saves one. */
  save?: string;
  /** Bytes read so far from its stdout, for a path whose stdout is a pipe the bench reads. */
  stdoutBytes?: () => number;
  /** Stops it; the session log is removed unless `keepSave` (then the caller removes it). */
  stop(keepSave?: boolean): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Emergency cleanup: synchronous, so it can run from a signal handler or 'exit'.

const emergency = new Set<() => void>();
let tmpSeq = 0;

/** Ends every child still running and removes temporary files. Safe to call more than once. */
export function killEverything(): void {
  for (const f of [...emergency]) {
    try {
      f();
    } catch {
      // best effort: keep going with the others
    }
  }
  emergency.clear();
}

/**
 * Nothing outlives a bench script: on SIGINT, SIGTERM and exit, every child (and this bench's
 * tmux server) is ended, and `also` runs. Returns `bail`, which does that now and exits with `code`.
 */
export function stopEverythingOnExit(script: string, also: () => void = () => {}): (code: number, why: string) => void {
  let exiting = false;
  const stopAll = () => {
    killEverything();
    stopTmuxServer();
    also();
  };
  const bail = (code: number, why: string) => {
    if (exiting) return;
    exiting = true;
    process.stderr.write(`\n${script}: ${why}; stopping children\n`);
    stopAll();
    process.exit(code);
  };
  process.on('SIGINT', () => bail(130, 'interrupted'));
  process.on('SIGTERM', () => bail(143, 'terminated'));
  process.on('exit', stopAll);
  return bail;
}

/**
 * Copies the compiled wspeek (dist/cli, core, demo, proxy, tui) aside and runs that copy for the rest
 * of the bench: a rebuild of dist/ during the run (another `tsc`) can't break or change it midway.
 * The copy is removed at the end. Returns the directory, relative to the project root.
 */
export function snapshotWspeek(): string {
  fs.mkdirSync(SNAPSHOT_PARENT, { recursive: true });
  const dir = fs.mkdtempSync(path.join(SNAPSHOT_PARENT, '.wspeek-snapshot-'));
  const remove = () => fs.rmSync(dir, { recursive: true, force: true });
  emergency.add(remove);
  for (const part of ['cli', 'core', 'demo', 'proxy', 'tui']) {
    fs.cpSync(path.join(DIST, part), path.join(dir, part), { recursive: true, filter: (src) => !src.endsWith('.map') });
  }
  CLI = path.join(dir, 'cli', 'main.js');
  return path.relative(ROOT, dir);
}

/** Replaces this machine's paths (project root, temporary directory) in text meant for files or tables. */
export function scrubPaths(text: string): string {
  const pairs: Array<[string, string]> = [
    [pathToFileURL(ROOT).href, '<project>'],
    [ROOT, '<project>'],
    [os.tmpdir(), '<tmp>'],
    [os.homedir(), '~'],
  ];
  let out = text;
  for (const [from, to] of pairs) if (from.length > 1) out = out.split(from).join(to);
  return out.replace(/<project>\/bench\/results\/\.wspeek-snapshot-[^/]+\//g, '<project>/dist/');
}

export function tmpFile(label: string, ext: string): string {
  return path.join(os.tmpdir(), `wspeek-bench-${process.pid}-${label}-${++tmpSeq}${ext}`);
}

function removeQuietly(file: string): void {
  try {
    fs.rmSync(file, { force: true });
  } catch {
    // already gone
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function waitPidGone(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!alive(pid) || isZombie(pid)) return true;
    await sleep(25);
  }
  return !alive(pid);
}

function isZombie(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true;
  }
}

/** Children that did not exit within STOP_TIMEOUT_MS of being asked to, and were killed. */
export const forcedKills: string[] = [];

/** Signals a child, waits for it, and SIGKILLs it if it won't go. */
async function stopChild(child: ChildProcess, signal: NodeJS.Signals, name: string): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  if (!(await waitExit(child, STOP_TIMEOUT_MS))) {
    forcedKills.push(`${name} ignored ${signal} for ${STOP_TIMEOUT_MS} ms`);
    child.kill('SIGKILL');
    await waitExit(child, STOP_TIMEOUT_MS);
  }
}

/** A forked helper (echo server, relay) that reports `{ port }` over IPC. */
async function forkHelper(script: string, args: string[], name: string): Promise<Running> {
  const child = fork(script, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const kill = () => child.kill('SIGKILL');
  emergency.add(kill);
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      child.once('message', (m: { port?: number }) => {
        clearTimeout(timer);
        if (typeof m.port === 'number') resolve(m.port);
        else reject(new Error(`${name} sent ${JSON.stringify(m)}`));
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with code ${code} before listening`));
      });
    });
    return {
      port, pid: child.pid!, extraPids: [],
      async stop() {
        await stopChild(child, 'SIGTERM', name);
        emergency.delete(kill);
      },
    };
  } catch (err) {
    child.kill('SIGKILL');
    emergency.delete(kill);
    throw err;
  }
}

export function startEchoServer(): Promise<Running> {
  return forkHelper(ECHO, [], 'echo server');
}

export function startSioEchoServer(): Promise<Running> {
  return forkHelper(SIO_ECHO, [], 'socket.io echo server');
}

export function startRelay(targetPort: number): Promise<Running> {
  return forkHelper(RELAY, [String(targetPort)], 'tcp relay');
}

const LISTENING = /listening on (\S+):(\d+)/;

let passingHooks: string | null = null;

/** A script whose onMessage returns undefined (every message goes on as it came), written once per bench and removed at the end. */
export function passingScript(): string {
  if (passingHooks) return passingHooks;
  const file = tmpFile('hooks', '.mjs');
  fs.writeFileSync(file, 'export function onMessage() {}\n');
  emergency.add(() => removeQuietly(file));
  passingHooks = file;
  return file;
}

/** The acting paths' flags: --intercept with a filter nothing in the workloads matches, or the script seeing every message. */
export function actingArgs(path: 'intercept' | 'script'): string[] {
  const script = ['--script', passingScript()];
  return path === 'intercept' ? [...script, '--intercept', 'payload:"never-in-the-workload"'] : script;
}

/** The raw path's flags: no application protocol read on any connection (decoding of Socket.IO, GraphQL… off). */
export const RAW_ARGS: readonly string[] = ['--protocol', 'raw'];

/**
 * `wspeek --no-tui --save FILE [wspeekArgs]` in front of the echo server (`cli`: this checkout's, or another's
 * for an A/B), stdout to /dev/null (stdio 'ignore'), or with `readStdout` a pipe this process reads and
 * discards, counting its bytes (wspeek's human lines, as on a terminal). Stopped with SIGINT so the log
 * is flushed and closed; the log file is removed.
 */
export async function startWspeekHeadless(
  targetPort: number, nodeArgs: string[] = [], cli = CLI, wspeekArgs: readonly string[] = [], readStdout = false,
): Promise<Running> {
  const save = tmpFile('save', '.jsonl');
  const args = [...nodeArgs, cli, '--target', `ws://127.0.0.1:${targetPort}`, '--listen', '127.0.0.1:0', '--no-tui', '--save', save, ...wspeekArgs];
  const child = spawn(process.execPath, args, { stdio: ['ignore', readStdout ? 'pipe' : 'ignore', 'pipe'], cwd: ROOT });
  let stdoutBytes = 0;
  child.stdout?.on('data', (chunk: Buffer) => (stdoutBytes += chunk.length));
  const kill = () => {
    child.kill('SIGKILL');
    removeQuietly(save);
  };
  emergency.add(kill);
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let stderr = '';
      const timer = setTimeout(() => reject(new Error(`wspeek did not print "listening on" within ${START_TIMEOUT_MS} ms: ${stderr.trim()}`)), START_TIMEOUT_MS);
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (text: string) => {
        stderr += text;
        const m = LISTENING.exec(stderr);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[2]));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`wspeek exited with code ${code} before listening: ${stderr.trim()}`));
      });
    });
    return {
      port, pid: child.pid!, extraPids: [], save,
      ...(readStdout ? { stdoutBytes: () => stdoutBytes } : {}),
      async stop(keepSave = false) {
        await stopChild(child, 'SIGINT', 'wspeek --no-tui');
        if (!keepSave) removeQuietly(save);
        emergency.delete(kill);
      },
    };
  } catch (err) {
    kill();
    emergency.delete(kill);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// mitmproxy's mitmdump, the best peer: where it is installed.

/** `mitmdump --version`'s first line (e.g. `Mitmproxy: 8.1.1`), or null where mitmdump is not installed. */
export function mitmdumpVersion(): string | null {
  const r = spawnSync('mitmdump', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return r.status === 0 ? r.stdout.split('\n', 1)[0]!.trim() : null;
}

/** A port free on 127.0.0.1 now (the kernel's pick, released): for a program that can't be told to listen on port 0. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * `mitmdump --mode reverse:http://127.0.0.1:PORT` in front of the echo server (WebSocket upgrades are
 * carried through; mitmproxy 8 takes no ws:// scheme), quiet (`-q`, flow details off, no flows saved), on a
 * port picked free beforehand: mitmdump can't listen on port 0 and say which it got. Stopped with SIGTERM.
 */
export async function startMitmdump(targetPort: number): Promise<Running> {
  const port = await freePort();
  const args = [
    '--mode', `reverse:http://127.0.0.1:${targetPort}`, '--listen-host', '127.0.0.1', '--listen-port', String(port),
    '-q', '--set', 'flow_detail=0', '--set', 'termlog_verbosity=error',
  ];
  const child = spawn('mitmdump', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (text: string) => (stderr += text));
  const kill = () => child.kill('SIGKILL');
  emergency.add(kill);
  try {
    const until = Date.now() + START_TIMEOUT_MS;
    while (!(await accepts(port))) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`mitmdump exited before listening: ${stderr.trim()}`);
      if (Date.now() > until) throw new Error(`mitmdump did not listen on ${port} within ${START_TIMEOUT_MS} ms: ${stderr.trim()}`);
      await sleep(50);
    }
    return {
      port, pid: child.pid!, extraPids: [],
      async stop() {
        await stopChild(child, 'SIGTERM', 'mitmdump');
        emergency.delete(kill);
      },
    };
  } catch (err) {
    kill();
    emergency.delete(kill);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// wspeek with its terminal UI, in a tmux pane (its own tmux server, so nothing else is touched).

const TMUX_SOCKET = `wspeek-bench-${process.pid}`;
let tmuxServerUsed = false;

export function haveTmux(): boolean {
  return spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
}

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', TMUX_SOCKET, '-f', '/dev/null', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Stops this bench's tmux server, if it started one. */
export function stopTmuxServer(): void {
  if (!tmuxServerUsed) return;
  tmuxServerUsed = false;
  try {
    tmux('kill-server');
  } catch {
    // no server left
  }
}

export async function startWspeekUi(targetPort: number, nodeArgs: string[] = []): Promise<Running> {
  const save = tmpFile('ui-save', '.jsonl');
  const errFile = tmpFile('ui-stderr', '.txt');
  const session = `ui-${++tmpSeq}`;
  const cmd = ['exec', process.execPath, ...nodeArgs, CLI, '--target', `ws://127.0.0.1:${targetPort}`, '--listen', '127.0.0.1:0', '--save', save].map(shellQuote).join(' ');
  tmuxServerUsed = true;
  const cleanup = (keepSave = false) => {
    try {
      tmux('kill-session', '-t', session);
    } catch {
      // already gone
    }
    if (!keepSave) removeQuietly(save);
    removeQuietly(errFile);
  };
  emergency.add(cleanup);
  emergency.add(stopTmuxServer);
  try {
    tmux('new-session', '-d', '-x', '200', '-y', '50', '-s', session, '-c', ROOT, `${cmd} 2>${shellQuote(errFile)}`);
    const panePid = Number(tmux('list-panes', '-t', session, '-F', '#{pane_pid}').trim().split('\n')[0]);
    const pid = nodePid(panePid);
    const serverPid = Number(tmux('display-message', '-p', '-t', session, '#{pid}').trim());
    const until = Date.now() + START_TIMEOUT_MS;
    let port = 0;
    while (!port) {
      const text = fs.existsSync(errFile) ? fs.readFileSync(errFile, 'utf8') : '';
      const m = LISTENING.exec(text);
      if (m) port = Number(m[2]);
      else if (!alive(pid)) throw new Error(`wspeek (UI) exited before listening: ${text.trim()}`);
      else if (Date.now() > until) throw new Error(`wspeek (UI) did not print "listening on" within ${START_TIMEOUT_MS} ms: ${text.trim()}`);
      else await sleep(50);
    }
    return {
      port, pid, extraPids: Number.isInteger(serverPid) && serverPid > 0 ? [serverPid] : [], save,
      // The session ending is SIGHUP for wspeek, which closes its log whole before it exits.
      async stop(keepSave = false) {
        cleanup(keepSave);
        if (!(await waitPidGone(pid, STOP_TIMEOUT_MS))) {
          forcedKills.push(`wspeek UI outlived its tmux session for ${STOP_TIMEOUT_MS} ms`);
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone meanwhile
          }
        }
        emergency.delete(cleanup);
      },
    };
  } catch (err) {
    cleanup();
    emergency.delete(cleanup);
    throw err;
  }
}

/** The node process in a pane: the pane's process itself (the command was exec'd), else its child. */
function nodePid(panePid: number): number {
  if (readComm(panePid) === 'node') return panePid;
  const out = spawnSync('pgrep', ['-P', String(panePid)], { encoding: 'utf8' }).stdout.trim();
  for (const line of out.split('\n')) {
    const pid = Number(line);
    if (pid > 0 && readComm(pid) === 'node') return pid;
  }
  return panePid;
}

function readComm(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------
// /proc readings.

/** Peak resident set size (VmHWM) in bytes, or null if the process is gone. */
export function peakRss(pid: number): number | null {
  return statusBytes(pid, 'VmHWM');
}

/** Resident set size now (VmRSS) in bytes, or null if the process is gone. */
export function currentRss(pid: number): number | null {
  return statusBytes(pid, 'VmRSS');
}

function statusBytes(pid: number, field: 'VmHWM' | 'VmRSS'): number | null {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+)\\s+kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

let clockTicks = 0;

function ticksPerSecond(): number {
  if (clockTicks) return clockTicks;
  try {
    clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    clockTicks = 100;
  }
  return clockTicks;
}

/** User + system CPU seconds the process has used so far, or null if it is gone. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the command: state is field 3, utime field 14, stime field 15.
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return null;
  }
}

/** CPU seconds the whole machine has spent busy (all cores; steal time apart), from /proc/stat. */
export function systemCpuSeconds(): { busy: number; steal: number } | null {
  try {
    const line = fs.readFileSync('/proc/stat', 'latin1').split('\n', 1)[0]!;
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    const hz = ticksPerSecond();
    return { busy: (user! + nice! + system! + irq! + softirq!) / hz, steal: (steal ?? 0) / hz };
  } catch {
    return null;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
